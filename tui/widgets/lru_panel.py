"""The LRU tab: a filter box, the column header and the virtual LRU table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from promptcache.tui.state import SORTS, AppState, TableWindow
from promptcache.tui.widgets.entry_detail_screen import EntryDetailScreen
from promptcache.tui.widgets.lru_table import SORT_OF_COLUMN, LRUTable, column_at, header_text


class LRUPanel(Vertical):
    """Entries MRU → LRU with filter (``/``), sort (``s``) and evict (``x``)."""

    DEFAULT_CSS = """
    LRUPanel {
        height: 1fr;
        & > #lru-header {
            height: 1;
            background: $boost;
            text-style: bold;
        }
        & > #lru-footer {
            height: 1;
            color: $text-muted;
        }
        & > #lru-filter {
            height: 1;
        }
        & > Static {
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
    }
    """

    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("x", "evict", "Evict"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    sort: reactive[str] = reactive("recency")
    """Current order: one of ``SORTS``."""
    reverse: reactive[bool] = reactive(False)
    """The sort is turned around (a second click on the column title)."""
    filter_text: reactive[str] = reactive("")
    """Substring that paths or contexts must contain."""

    class QueryChanged(Message):
        """Sort or filter changed: the app should fetch again."""

    class EvictRequested(Message):
        """Evict this entry."""

        def __init__(self, path: str, context: object) -> None:
            super().__init__()
            self.path = path
            self.context = context

    _entries = 0
    """Entries in the cache (not only those the filter lets through): the eviction order."""

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="filter by path or context, Enter to keep, Esc to clear",
            id="lru-filter",
            compact=True,
        )
        yield Static("", id="lru-header")
        yield LRUTable(id="lru-table")
        yield Static("", id="lru-footer")

    def on_mount(self) -> None:
        self.query_one("#lru-filter").display = False

    def show_state(self, state: AppState) -> None:
        """Show the table part of ``state``."""
        self._entries = state.cache.size
        self.show(state.table)

    def on_lrutable_entry_chosen(self, event: LRUTable.EntryChosen) -> None:
        event.stop()
        entries = max(self._entries, event.entry.rank)
        self.app.push_screen(EntryDetailScreen(event.entry, event.now, entries, event.is_next))

    def show(self, window: TableWindow) -> None:
        """Show a fetched window and the line under it."""
        table = self.query_one(LRUTable)
        table.show(window)
        self.query_one("#lru-header", Static).update(
            header_text(table.scrollable_content_region.width, window.sort, window.reverse)
        )
        # "recency" is the policy's own order: most recently used first only under LRU.
        order = "eviction order" if window.sort == "recency" else window.sort
        parts = [f"{window.total:,} entries", f"by {order}{' reversed' * window.reverse}"]
        if window.filter:
            parts.append(f"filter {window.filter!r}")
        if table.folder:
            parts.append(f"paths in {table.folder}/")
        parts.append("⏏ evicted next · ⏎ details · / filter · s sort · x evict")
        self.query_one("#lru-footer", Static).update(" · ".join(parts))

    def action_filter(self) -> None:
        box = self.query_one("#lru-filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#lru-filter", Input)
        box.value = ""
        box.display = False
        self.query_one(LRUTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            event.input.display = False
        self.query_one(LRUTable).focus()

    def action_sort(self) -> None:
        self.reverse = False
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    def sort_by(self, sort: str) -> None:
        """Sort by ``sort``; asked again for the same sort, turn it around."""
        if sort == self.sort:
            self.reverse = not self.reverse
        else:
            self.reverse = False
            self.sort = sort

    def on_click(self, event: Click) -> None:
        header = self.query_one("#lru-header", Static)
        if event.widget is not header:
            return
        table = self.query_one(LRUTable)
        x = event.screen_x - header.content_region.x
        column = column_at(table.scrollable_content_region.width, x)
        sort = SORT_OF_COLUMN.get(column or "")
        if sort is not None:
            event.stop()
            self.sort_by(sort)

    def watch_sort(self) -> None:
        self.post_message(self.QueryChanged())

    def watch_reverse(self) -> None:
        self.post_message(self.QueryChanged())

    def watch_filter_text(self) -> None:
        self.query_one(LRUTable).cursor = 0
        self.post_message(self.QueryChanged())

    def action_evict(self) -> None:
        entry = self.query_one(LRUTable).selected
        if entry is None:
            self.notify("No entry selected", severity="warning")
            return
        self.post_message(self.EvictRequested(entry.path, entry.context))
