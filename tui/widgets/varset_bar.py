"""Which variable set fills the form, from the folder's ``.promptcache-vars.toml``."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, Select, Static

NO_SET = "(no set)"


class VarSetBar(Horizontal):
    """A compact picker of variable sets, and the state of the sets file."""

    DEFAULT_CSS = """
    VarSetBar {
        height: 1;
    }
    VarSetBar .varset-label {
        width: 22;
        color: $text-muted;
        text-align: right;
        padding-right: 1;
    }
    VarSetBar #varset-select {
        width: 24;
    }
    VarSetBar #varset-note {
        width: 1fr;
        color: $text-muted;
        padding-left: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    class SetChosen(Message):
        """The user picked a set (``None``: no set)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._names: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("Variables", classes="varset-label")
        yield Select[str]([], prompt=NO_SET, compact=True, id="varset-select", allow_blank=True)
        yield Static("", id="varset-note")

    @property
    def chosen(self) -> str | None:
        """The chosen set's name, or None."""
        value = self.query_one(Select).value
        return value if isinstance(value, str) else None

    def set_sets(self, names: tuple[str, ...], note: str = "", *, keep: str | None = None) -> None:
        """Offer ``names``; ``note`` says where they come from or what is wrong."""
        select = self.query_one("#varset-select", Select)
        if names != self._names:
            self._names = names
            current = keep if keep in names else self.chosen
            with select.prevent(Select.Changed):
                select.set_options((name, name) for name in names)
                if current in names:
                    select.value = current
        self.query_one("#varset-note", Static).update(note)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        self.post_message(self.SetChosen(value if isinstance(value, str) else None))
