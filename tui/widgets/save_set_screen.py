"""Ask for the name of the variable set to save the form's values into (``ctrl+s``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class SaveSetScreen(ModalScreen[str | None]):
    """Returns the set name typed, or None when cancelled."""

    DEFAULT_CSS = """
    SaveSetScreen {
        align: center middle;
    }
    SaveSetScreen #save-set-dialog {
        width: 60;
        max-width: 95%;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 1 2;
    }
    SaveSetScreen .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    SaveSetScreen .dim {
        color: $text-muted;
    }
    SaveSetScreen #set-name {
        margin: 1 0;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggested: str, count: int, file_name: str) -> None:
        super().__init__()
        self._suggested = suggested
        self._count = count
        self._file_name = file_name

    def compose(self) -> ComposeResult:
        with Vertical(id="save-set-dialog"):
            yield Static("Save variables to a set", classes="dialog-title")
            yield Static(
                f"{self._count} value(s) of this component go into {self._file_name}; "
                "other sets and other variables of the set are kept.",
                classes="dim",
            )
            yield Input(self._suggested, placeholder="set name", id="set-name", compact=True)
            yield Static("Enter saves · Esc cancels", id="save-set-message", classes="dim")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not name:
            self.query_one("#save-set-message", Static).update("✖ a set needs a name")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
