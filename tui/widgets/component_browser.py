"""Browse components, fill their variables, and see the render and what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent

from promptcache.tui.render_result import RenderResult, rendered_diff
from promptcache.tui.themed import (
    BAD,
    BAD_BADGE,
    GOOD,
    GOOD_BADGE,
    INFO_BADGE,
    MUTED,
    WARN,
    WARN_BADGE,
    themed,
)
from promptcache.tui.widgets.component_tree import ComponentTree
from promptcache.tui.widgets.frontmatter_panel import FrontmatterPanel
from promptcache.tui.widgets.include_tree import IncludeTree
from promptcache.tui.widgets.render_preview import RenderPreview
from promptcache.tui.widgets.variable_form import VariableForm
from promptcache.tui.widgets.varset_bar import VarSetBar


def status_text(result: RenderResult, *, reload: bool = False) -> Text:
    """One line: hit or miss, time, problems, then the path (cropped first when narrow)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if reload:
        text.append(" RELOADED ", INFO_BADGE)
        text.append(" ")
    if result.error:
        text.append(" ERROR ", BAD_BADGE)
        text.append(f"  {result.path}")
        return text
    if result.hit:
        text.append(" HIT ", GOOD_BADGE)
    else:
        text.append(" MISS ", WARN_BADGE)
    text.append(f" {result.seconds * 1000:.2f} ms", MUTED)
    diag = result.diagnostics
    if diag is not None:
        if diag.missing:
            text.append(f" · {len(diag.missing)} missing", WARN)
        if diag.malformed:
            text.append(f" · {len(diag.malformed)} malformed", BAD)
        if diag.ok:
            text.append(" · ✔ complete", GOOD)
    if result.tokens is not None:
        text.append(f" · {result.tokens.label()}", MUTED)
    text.append(f"  {result.path}", "bold")
    return text


class ComponentBrowser(Horizontal):
    """Tree on the left; variable set, variables, status and preview on the right."""

    DEFAULT_CSS = """
    ComponentBrowser {
        height: 1fr;
    }
    ComponentBrowser > ComponentTree {
        width: 36;
        height: 100%;
        border-right: vkey $primary 40%;
        scrollbar-size-vertical: 1;
    }
    ComponentBrowser > #browser-main {
        width: 1fr;
        padding-left: 1;
    }
    ComponentBrowser #browser-status {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    class RenderRequested(Message):
        """Render ``path`` with what was ``typed``, filling the rest from ``defaults``."""

        def __init__(
            self, path: str, typed: dict[str, str], defaults: dict[str, str], reload: bool
        ) -> None:
            super().__init__()
            self.path = path
            self.typed = typed
            self.defaults = defaults
            self.reload = reload

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.defaults: dict[str, str] = {}
        """Values of the chosen variable set."""
        self._last_content: dict[str, str] = {}

    DEFAULT_CSS = """
    #component-info {
        height: auto;
        display: none;
    }
    """

    def compose(self) -> ComposeResult:
        yield ComponentTree(id="component-tree")
        with Vertical(id="browser-main"):
            yield Static(themed(Text("No component open", MUTED)), id="browser-status")
            yield VarSetBar(id="varset-bar")
            yield VariableForm(id="variable-form")
            with Horizontal(id="component-info"):
                yield FrontmatterPanel(id="frontmatter-panel")
                yield IncludeTree(id="include-tree")
            yield RenderPreview(id="render-preview")

    @property
    def current_path(self) -> str | None:
        """The open component."""
        return self.query_one(VariableForm).path

    @property
    def listed_paths(self) -> tuple[str, ...]:
        """The components the tree lists."""
        return self.query_one(ComponentTree).paths

    def set_paths(self, paths: Iterable[str]) -> None:
        """The components to list."""
        self.query_one(ComponentTree).set_paths(paths)

    def on_component_tree_component_chosen(self, event: ComponentTree.ComponentChosen) -> None:
        event.stop()
        self._picked = event.path
        self.open(event.path)

    def open(self, path: str, *, reload: bool = False) -> None:
        """Open (or, after a change on disk, reload) ``path`` with its remembered values."""
        form = self.query_one(VariableForm)
        self.post_message(self.RenderRequested(path, form.typed_for(path), self.defaults, reload))

    def follow_rename(self, old: str, new: str) -> None:
        """The open file ``old`` is now ``new``: open it there, with what was typed."""
        self.query_one(VariableForm).rename(old, new)
        tree = self.query_one(ComponentTree)
        self.open(new, reload=True)
        tree.show_path(new)

    def use_defaults(self, values: dict[str, str]) -> None:
        """Fill the form from a variable set: its values replace what was typed for them."""
        self.defaults = dict(values)
        path = self.current_path
        if path is not None:
            self.query_one(VariableForm).forget(path, values)
            self.open(path)

    def on_variable_form_context_changed(self, event: VariableForm.ContextChanged) -> None:
        event.stop()
        self.post_message(self.RenderRequested(event.path, event.context, self.defaults, False))

    async def show(self, result: RenderResult, *, reload: bool = False) -> None:
        """Show a finished render; after a reload, also what changed in the output."""
        names = result.diagnostics.placeholders if result.diagnostics else ()
        await self.query_one(VariableForm).show(
            result.path,
            names,
            dict(result.context),
            readable=result.error is None or result.report is not None,
        )
        self.query_one("#browser-status", Static).update(themed(status_text(result, reload=reload)))
        info = self.query_one("#component-info")
        info.display = result.report is not None or bool(result.included_by)
        self.query_one(FrontmatterPanel).show(result.report)
        self.query_one(IncludeTree).show(result.path, result.report, result.included_by)
        preview = self.query_one(RenderPreview)
        preview.show(result)
        before = self._last_content.get(result.path)
        after = result.content if result.content is not None else ""
        if reload and before is not None:
            preview.show_changes(rendered_diff(before, after))
        elif not reload and result.path != self._shown_path:
            preview.show_changes(None)
        self._shown_path = result.path
        self._last_content[result.path] = after
        if self._picked == result.path:
            self._picked = None
            self._after_pick(result)

    def _after_pick(self, result: RenderResult) -> None:
        """A file was just picked in the tree: move on to what the user does next. Typing
        goes to the first variable (in the tree it would fire shortcuts: ``d`` starts demo
        traffic), and a file that cannot be used shows why."""
        if result.error is not None:
            self.query_one("#preview-tabs", TabbedContent).active = "tab-diagnostics"
            return
        inputs = self.query_one(VariableForm).query(Input)
        if inputs:
            inputs.first().focus()

    _shown_path: str | None = None
    _picked: str | None = None
    """The file picked in the tree whose render has not arrived yet."""
