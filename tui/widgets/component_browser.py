"""Browse components, fill their variables, and see the render and what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from tui.render_result import RenderResult
from tui.widgets.component_tree import ComponentTree
from tui.widgets.render_preview import RenderPreview
from tui.widgets.variable_form import VariableForm


def status_text(result: RenderResult) -> Text:
    """One line: hit or miss, time, problems, then the path (cropped first when narrow)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if result.error:
        text.append(" ERROR ", "bold white on red")
        text.append(f"  {result.path}")
        return text
    if result.hit:
        text.append(" HIT ", "bold black on green")
    else:
        text.append(" MISS ", "bold black on yellow")
    text.append(f" {result.seconds * 1000:.2f} ms", "dim")
    diag = result.diagnostics
    if diag is not None:
        if diag.missing:
            text.append(f" · {len(diag.missing)} missing", "yellow")
        if diag.malformed:
            text.append(f" · {len(diag.malformed)} malformed", "red")
        if diag.ok:
            text.append(" · ✔ complete", "green")
    text.append(f"  {result.path}", "bold")
    return text


class ComponentBrowser(Horizontal):
    """Tree on the left; variables, status and preview on the right."""

    class RenderRequested(Message):
        """Render ``path`` with ``context`` through the cached loader."""

        def __init__(self, path: str, context: dict[str, str]) -> None:
            super().__init__()
            self.path = path
            self.context = context

    def compose(self) -> ComposeResult:
        yield ComponentTree(id="component-tree")
        with Vertical(id="browser-main"):
            yield Static(Text("No component open", "dim"), id="browser-status")
            yield VariableForm(id="variable-form")
            yield RenderPreview(id="render-preview")

    @property
    def current_path(self) -> str | None:
        """The open component."""
        return self.query_one(VariableForm).path

    def set_paths(self, paths: Iterable[str]) -> None:
        """The components to list."""
        self.query_one(ComponentTree).set_paths(paths)

    def on_component_tree_component_chosen(self, event: ComponentTree.ComponentChosen) -> None:
        event.stop()
        self.open(event.path)

    def open(self, path: str) -> None:
        """Open ``path``: ask for a render with its remembered values."""
        form = self.query_one(VariableForm)
        self.post_message(self.RenderRequested(path, form.values_for(path)))

    def on_variable_form_context_changed(self, event: VariableForm.ContextChanged) -> None:
        event.stop()
        self.post_message(self.RenderRequested(event.path, event.context))

    async def show(self, result: RenderResult) -> None:
        """Show a finished render."""
        names = result.diagnostics.placeholders if result.diagnostics else ()
        await self.query_one(VariableForm).show(result.path, names, readable=result.error is None)
        self.query_one("#browser-status", Static).update(status_text(result))
        self.query_one(RenderPreview).show(result)
