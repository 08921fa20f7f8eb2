"""Everything about one cached entry (Enter on an LRU row): nothing cut."""

from __future__ import annotations

import contextlib
import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from promptcache import EntryView, describe_context
from promptcache.tui.themed import MUTED, themed
from promptcache.tui.widgets.lru_table import human_bytes, human_seconds


def eviction_place(rank: int, entries: int, is_next: bool) -> str:
    """Where an entry at MRU ``rank`` (1 = most recent) stands among ``entries``."""
    if is_next or rank >= entries:
        return f"next to be evicted (rank {rank:,} of {entries:,}, least recently used)"
    ahead = entries - rank
    return (
        f"rank {rank:,} of {entries:,} from most recently used: "
        f"{ahead:,} entr{'y' if ahead == 1 else 'ies'} go before it"
    )


def detail_lines(entry: EntryView, now: float, entries: int, is_next: bool) -> list[Text]:
    """The rows of the detail view: label, then the value in full."""

    def when(at: float) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))
        return f"{stamp} ({human_seconds(now - at)} ago)"

    context = describe_context(entry.context)
    if isinstance(entry.context, frozenset) and context != "—":
        # Not name/value pairs: the one-line form is all there is.
        with contextlib.suppress(TypeError, ValueError):
            context = "\n".join(f"{k} = {v}" for k, v in sorted(entry.context))
    fields = [
        ("Path", entry.path),
        ("Context", context if context != "—" else "— (no variables)"),
        ("Size", f"{human_bytes(entry.size_bytes)} ({entry.size_bytes:,} bytes)"),
        ("Hits", f"{entry.hits:,}"),
        ("Created", when(entry.created_at)),
        ("Last used", when(entry.last_accessed)),
        ("Eviction", eviction_place(entry.rank, entries, is_next)),
    ]
    lines: list[Text] = []
    for label, value in fields:
        lines.append(Text(label, "bold"))
        lines.append(Text(value))
    return lines


class EntryDetailScreen(ModalScreen[None]):
    """The selected LRU entry in full; Esc or Enter closes it."""

    DEFAULT_CSS = """
    EntryDetailScreen {
        align: center middle;
    }
    EntryDetailScreen #entry-dialog {
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    EntryDetailScreen #entry-body {
        height: auto;
        max-height: 1fr;
    }
    EntryDetailScreen #entry-hint {
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape,enter,q", "close", "Close"),
    ]

    def __init__(self, entry: EntryView, now: float, entries: int, is_next: bool) -> None:
        super().__init__()
        self.entry = entry
        self._lines = detail_lines(entry, now, entries, is_next)

    def compose(self) -> ComposeResult:
        with Vertical(id="entry-dialog"):
            with VerticalScroll(id="entry-body"):
                yield Static(themed(self._lines), id="entry-detail")
            yield Static(themed(Text("Esc closes", MUTED)), id="entry-hint")

    def on_mount(self) -> None:
        self.query_one("#entry-dialog").border_title = "Cached entry"

    def action_close(self) -> None:
        self.dismiss(None)
