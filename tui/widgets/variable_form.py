"""One input per placeholder of the open component; values are kept per component."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from promptcache.tui.render_result import check_value


def input_id(name: str) -> str:
    """The input's widget id: ``var-NAME`` (``user.name`` → ``var-user--name``)."""
    return "var-" + name.replace(".", "--")


class VariableForm(VerticalScroll, can_focus=False):
    """Context variables for the open component. Empty inputs count as not given.

    Not focusable itself, so that tab goes from the tree straight to the inputs.
    """

    DEFAULT_CSS = """
    VariableForm {
        height: auto;
        max-height: 40%;
        border-bottom: hkey $primary 30%;
        scrollbar-size-vertical: 1;
    }
    VariableForm .var-row {
        height: 1;
    }
    VariableForm .var-name {
        width: 22;
        color: $text-muted;
        text-align: right;
        padding-right: 1;
    }
    VariableForm .var-input {
        width: 1fr;
    }
    VariableForm .form-hint {
        color: $text-muted;
        height: 1;
    }
    VariableForm .form-problem {
        color: $text-error;
        height: auto;
    }
    """

    class ContextChanged(Message):
        """The usable values changed."""

        def __init__(self, path: str, context: dict[str, str]) -> None:
            super().__init__()
            self.path = path
            self.context = context

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path: str | None = None
        self.names: tuple[str, ...] = ()
        self._values: dict[str, dict[str, str]] = {}
        self.problem: str | None = None
        """Why the last edit could not be used, or None."""

    def compose(self) -> ComposeResult:
        yield Static(
            "← pick a component (↑ ↓ Enter)",
            classes="form-hint",
        )

    def typed_for(self, path: str) -> dict[str, str]:
        """Values typed for ``path`` (empty ones left out)."""
        return {k: v for k, v in self._values.get(path, {}).items() if v}

    def rename(self, old: str, new: str) -> None:
        """Values typed for ``old`` now belong to ``new`` (the file was renamed)."""
        if old in self._values:
            self._values[new] = self._values.pop(old)

    def forget(self, path: str, names: Iterable[str]) -> None:
        """Drop typed values of ``names`` for ``path`` (a variable set now provides them)."""
        typed = self._values.get(path, {})
        for name in names:
            typed.pop(name, None)

    async def show(
        self,
        path: str,
        names: tuple[str, ...],
        values: dict[str, str] | None = None,
        *,
        readable: bool = True,
    ) -> None:
        """Show inputs for ``names`` holding ``values``; rebuilt only when the names change."""
        values = values or {}
        if path == self.path and names == self.names and readable:
            for name in names:
                box = self.query_one(f"#{input_id(name)}", Input)
                if box.value != values.get(name, "") and not box.has_focus:
                    with box.prevent(Input.Changed):
                        box.value = values.get(name, "")
            return
        self.path, self.names = path, names
        await self.remove_children()
        if not readable:
            await self.mount(Static("Cannot read this component: see below.", classes="form-hint"))
            return
        if not names:
            await self.mount(Static("This component has no {placeholders}.", classes="form-hint"))
            return
        remembered = {**values, **self.typed_for(path)}
        rows = [
            Horizontal(
                Label(name, classes="var-name"),
                Input(
                    remembered.get(name, ""),
                    placeholder="(missing)",
                    compact=True,
                    id=input_id(name),
                    classes="var-input",
                ),
                classes="var-row",
            )
            for name in names
        ]
        await self.mount_all(rows)
        await self.mount(Static("", id="form-problem", classes="form-problem"))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.path is None or event.input.id is None:
            return
        name = event.input.id.removeprefix("var-").replace("--", ".")
        problem = check_value(name, event.value)
        self.problem = problem
        banner = self.query("#form-problem")
        if banner:
            banner.first(Static).update(problem or "")
        if problem is not None:
            return
        self._values.setdefault(self.path, {})[name] = event.value
        self.post_message(self.ContextChanged(self.path, self.typed_for(self.path)))
