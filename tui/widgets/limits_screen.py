"""A small form to change the cache limits at runtime (``L``)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


@dataclass(frozen=True, slots=True)
class Limits:
    """New limits chosen by the user."""

    max_size: int
    max_memory_mb: float


def parse_limits(max_size: str, max_memory_mb: str) -> Limits | str:
    """Valid ``Limits``, or a one-line message naming what is wrong."""
    try:
        size = int(max_size.strip().replace(",", "").replace("_", ""))
    except ValueError:
        return f"max entries must be a whole number, not {max_size.strip()[:20]!r}"
    if not 1 <= size <= 10_000_000:
        return "max entries must be between 1 and 10,000,000"
    try:
        memory = float(max_memory_mb.strip())
    except ValueError:
        return f"memory budget must be a number of MiB, not {max_memory_mb.strip()[:20]!r}"
    if not 0.01 <= memory <= 65_536:
        return "memory budget must be between 0.01 and 65,536 MiB"
    return Limits(size, memory)


class LimitsScreen(ModalScreen[Limits | None]):
    """Edit max entries and the memory budget; returns the new ``Limits`` or None."""

    DEFAULT_CSS = """
    LimitsScreen {
        align: center middle;
    }
    LimitsScreen #limits-dialog {
        width: 50;
        max-width: 95%;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 1 2;
    }
    LimitsScreen .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    LimitsScreen .field {
        height: 1;
        margin-bottom: 1;
    }
    LimitsScreen Label {
        width: 16;
    }
    LimitsScreen Input {
        width: 1fr;
    }
    LimitsScreen #limits-message {
        color: $text-muted;
        height: auto;
        margin-bottom: 1;
    }
    LimitsScreen #limits-message.error {
        color: $text-error;
    }
    LimitsScreen .buttons {
        height: auto;
        align-horizontal: right;
    }
    LimitsScreen Button {
        margin-left: 1;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, max_size: int, max_memory_mb: float) -> None:
        super().__init__()
        self._initial_max_size = max_size
        self._initial_memory_mb = max_memory_mb

    def compose(self) -> ComposeResult:
        with Vertical(id="limits-dialog"):
            yield Static("Cache limits", classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Max entries")
                yield Input(str(self._initial_max_size), id="max-size", compact=True)
            with Horizontal(classes="field"):
                yield Label("Memory (MiB)")
                yield Input(f"{self._initial_memory_mb:g}", id="max-memory", compact=True)
            yield Static("Lowering a limit evicts at once.", id="limits-message", classes="dim")
            with Horizontal(classes="buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        result = parse_limits(
            self.query_one("#max-size", Input).value, self.query_one("#max-memory", Input).value
        )
        if isinstance(result, str):
            message = self.query_one("#limits-message", Static)
            message.update(f"✖ {result}")
            message.add_class("error")
            return
        self.dismiss(result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
