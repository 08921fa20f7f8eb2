"""The parts every live view shares: panels, their layout, and a poll that never overlaps.

``PromptCacheApp`` (a local cache) and ``AttachApp`` (a cache in another process) differ in
where the state comes from (``collect``) and what the status line and actions say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent

from promptcache import CacheEvent, CacheSnapshot, EntryView, MonitorSnapshot, PerformanceTrends
from promptcache.tui.traffic import TrafficStatus
from promptcache.tui.widgets.help_screen import HelpScreen
from promptcache.tui.widgets.hit_ratio import HitRatioPanel
from promptcache.tui.widgets.lru_panel import LRUPanel
from promptcache.tui.widgets.lru_table import LRUTable, TableWindow
from promptcache.tui.widgets.memory_gauge import MemoryGauge
from promptcache.tui.widgets.monitor_panel import MonitorPanel
from promptcache.tui.widgets.status_bar import StatusBar

MIN_WIDTH, MIN_HEIGHT = 40, 12
COMPACT_WIDTH, COMPACT_HEIGHT = 80, 24


@dataclass(frozen=True, slots=True)
class TableQuery:
    """Which rows the LRU table wants."""

    offset: int
    limit: int
    sort: str
    filter: str


@dataclass(frozen=True, slots=True)
class AppState:
    """Everything the panels show, collected off the UI thread."""

    cache: CacheSnapshot
    table: TableWindow
    monitor_snapshot: MonitorSnapshot | None
    trends: PerformanceTrends
    notable_events: tuple[CacheEvent, ...]
    evictions: tuple[CacheEvent, ...]
    events_version: tuple[int, int]
    traffic: TrafficStatus | None = None


def filter_and_sort(rows: list[EntryView], query: TableQuery) -> list[EntryView]:
    """The LRU table's rows for a filter and an order other than recency."""
    if query.filter:
        needle = query.filter.lower()
        rows = [r for r in rows if needle in r.path.lower() or needle in r.context_label.lower()]
    if query.sort == "hits":
        rows.sort(key=lambda r: -r.hits)
    elif query.sort == "size":
        rows.sort(key=lambda r: -r.size_bytes)
    elif query.sort == "idle":
        rows.sort(key=lambda r: r.last_accessed)
    return rows


class InspectorApp(App[None]):
    """Hit ratio, memory, LRU and monitor panels over a source of ``AppState``."""

    CSS_PATH = "app.tcss"
    TITLE = "promptcache"
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("2", "tab('tab-lru')", "LRU", show=False),
        Binding("3", "tab('tab-monitor')", "Monitor", show=False),
        Binding("q", "quit", "Quit"),
    ]
    FOCUS_ON_TAB: ClassVar[dict[str, str]] = {"tab-lru": "#lru-table"}
    """Which widget takes the focus when a tab opens."""

    def __init__(self, *, refresh_s: float = 0.5, live: bool = True) -> None:
        super().__init__()
        self.refresh_s = refresh_s
        self.live = live
        self._poll_timer: Timer | None = None
        self._polling = False
        self._poll_again = False
        self._compact = False

    # ------------------------------------------------------------------ to override

    def collect(self, query: TableQuery) -> AppState:
        """Every snapshot the panels need (called on a worker thread)."""
        raise NotImplementedError

    def status_line(self, state: AppState, summary: CacheSnapshot | None) -> Text:
        """The line under the panels (``summary`` is given in the compact layout)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ layout

    def compose_top(self) -> ComposeResult:
        """The two top panels and the status line."""
        with Horizontal(id="top-row"):
            yield HitRatioPanel(id="hit-ratio")
            yield MemoryGauge(id="memory-gauge")
        yield StatusBar(id="status-bar")

    def compose_bottom(self) -> ComposeResult:
        """The too-small message and the footer."""
        yield Static(
            f"Terminal too small: promptcache needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            id="too-small",
        )
        yield Footer(compact=True)

    def on_resize(self, event: events.Resize) -> None:
        # The event has the new size; ``self.size`` catches up only a frame later.
        self._apply_layout_classes(event.size)

    def _apply_layout_classes(self, size: Size | None = None) -> None:
        width, height = size or self.size
        compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        main = self.screen_stack[0]
        main.set_class(compact, "-compact")
        main.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")
        if compact != self._compact:
            self._compact = compact
            if self.is_mounted(self.query_one(StatusBar)):
                self.refresh_now()

    # ------------------------------------------------------------------ polling

    def _table_query(self) -> TableQuery:
        table = self.query_one(LRUTable)
        panel = self.query_one(LRUPanel)
        offset, limit = table.wanted_window()
        return TableQuery(offset, limit, panel.sort, panel.filter_text)

    def apply(self, state: AppState) -> None:
        """Show ``state``; each panel skips work when its part did not change."""
        with self.batch_update():
            self.query_one(HitRatioPanel).update_snapshot(state.cache)
            self.query_one(MemoryGauge).update_snapshot(state.cache)
            self.query_one(LRUPanel).show(state.table)
            self.query_one(MonitorPanel).update_monitor(
                state.cache,
                state.monitor_snapshot,
                state.trends,
                state.notable_events,
                state.evictions,
                state.events_version,
            )
            self.query_one(StatusBar).show(
                self.status_line(state, state.cache if self._compact else None)
            )

    def refresh_now(self, sync: bool = False) -> None:
        """Fetch and show new state now (on this thread when ``sync``)."""
        if sync:
            if len(self.screen_stack) == 1:
                self.apply(self.collect(self._table_query()))
            return
        if self._polling:
            self._poll_again = True
            return
        self._poll()

    def _schedule_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self._poll_timer = self.set_timer(self.refresh_s, self._poll)

    def _poll(self) -> None:
        if self._polling:
            return
        if not self.is_running or len(self.screen_stack) != 1:
            # Shutting down, or a dialog is open: no UI work now, look again later.
            if self.live and self.is_running:
                self._schedule_poll()
            return
        self._polling = True
        self._poll_worker(self._table_query())

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll_worker(self, query: TableQuery) -> None:
        try:
            state = self.collect(query)
        except Exception as exc:  # never let a poll kill the app; say what happened
            self.call_from_thread(self.notify, f"refresh failed: {exc}", severity="error")
            self.call_from_thread(self._poll_done)
            return
        self.call_from_thread(self._apply_and_continue, state)

    def _apply_and_continue(self, state: AppState) -> None:
        if len(self.screen_stack) == 1:
            self.apply(state)
        self._poll_done()

    def _poll_done(self) -> None:
        self._polling = False
        if self._poll_again:
            self._poll_again = False
            self._poll()
        elif self.live:
            self._schedule_poll()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id != "tabs":
            return
        target = self.FOCUS_ON_TAB.get(event.pane.id or "")
        if target:
            self.query_one(target).focus()
        self.refresh_now()

    @on(LRUTable.WindowChanged)
    def _table_window_changed(self) -> None:
        self.refresh_now()

    @on(LRUPanel.QueryChanged)
    def _table_query_changed(self) -> None:
        self.refresh_now()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
