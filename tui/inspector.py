"""The parts every live view shares: panels, their layout, the cache actions, and a poll
that never overlaps.

``PromptCacheApp`` (a local cache) and ``AttachApp`` (a cache in another process) differ
only in their ``StateSource`` and in which panels they compose. A worker thread asks the
source for an ``AppState`` and posts it as one ``StateChanged`` message; the app hands it
to every panel it shows, then schedules the next poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, ClassVar, Protocol, TypeVar

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent

from promptcache.tui.sources import ControlRefused, StateSource
from promptcache.tui.state import AppState, TableQuery
from promptcache.tui.widgets.help_screen import HelpScreen
from promptcache.tui.widgets.hit_ratio import HitRatioPanel
from promptcache.tui.widgets.limits_screen import Limits, LimitsScreen
from promptcache.tui.widgets.lru_panel import LRUPanel
from promptcache.tui.widgets.lru_table import LRUTable
from promptcache.tui.widgets.memory_gauge import MemoryGauge
from promptcache.tui.widgets.monitor_panel import MonitorPanel
from promptcache.tui.widgets.status_bar import StatusBar

T = TypeVar("T")

MIN_WIDTH, MIN_HEIGHT = 40, 12
COMPACT_WIDTH, COMPACT_HEIGHT = 80, 24
PALETTE_HINT_WIDTH = 60
"""Narrower than this, the footer drops its "^p palette" hint (it overlapped the keys)."""


class ShowsState(Protocol):
    """A widget that shows (part of) the state."""

    def show_state(self, state: AppState) -> None:
        """Show ``state``, skipping work when the part shown did not change."""


QUIET_AFTER_POLLS = 3
"""Polls that found nothing new before the app polls at the quiet rate."""
QUIET_REFRESH_S = 1.0
"""Seconds between looks at a quiet source (a look at a local cache costs next to nothing)."""
QUIET_FULL_POLL_S = 5.0
"""Most seconds between full polls while quiet: the ages in the LRU table still move."""


class StateChanged(Message):
    """A new state for the panels. Only the newest one waiting in the queue counts."""

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StateChanged)


class InspectorApp(App[None]):
    """Hit ratio, memory, LRU and monitor panels over a ``StateSource``."""

    CSS_PATH = "app.tcss"
    TITLE = "promptcache"
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
        Binding("2", "tab('tab-lru')", "LRU", show=False),
        Binding("3", "tab('tab-monitor')", "Monitor", show=False),
        Binding("c", "clear", "Clear"),
        Binding("L", "limits", "Limits"),
        Binding("q", "quit", "Quit"),
    ]
    FOCUS_ON_TAB: ClassVar[dict[str, str]] = {"tab-lru": "#lru-table"}
    """Which widget takes the focus when a tab opens."""

    def __init__(self, source: StateSource, *, refresh_s: float = 0.5, live: bool = True) -> None:
        super().__init__()
        self.source = source
        self.refresh_s = refresh_s
        self.live = live
        self.state: AppState | None = None
        """The state the panels show now."""
        self._poll_timer: Timer | None = None
        self._polling = False
        self._poll_again = False
        self._compact = False
        self._panels: list[ShowsState] | None = None

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
        hint = width >= PALETTE_HINT_WIDTH
        for footer in self.query(Footer):
            if footer.show_command_palette != hint:
                footer.show_command_palette = hint
                footer.refresh(recompose=True)  # Footer reads it only when it composes
        if compact != self._compact:
            self._compact = compact
            if self.state is not None:
                self.show_state(self.state)

    def on_unmount(self) -> None:
        self.source.close()

    # ------------------------------------------------------------------ polling

    def _table_query(self) -> TableQuery:
        table = self.query_one(LRUTable)
        panel = self.query_one(LRUPanel)
        offset, limit = table.wanted_window()
        return TableQuery(offset, limit, panel.sort, panel.filter_text, panel.reverse)

    def show_state(self, state: AppState) -> None:
        """Hand ``state`` to every panel; each skips work when its part did not change."""
        self.state = state
        if self._panels is None:  # the panels an app composes never change: look once
            self._panels = [
                *self.query(HitRatioPanel),
                *self.query(MemoryGauge),
                *self.query(StatusBar),
                *self.query(LRUPanel),
                *self.query(MonitorPanel),
            ]
        with self.batch_update():
            for panel in self._panels:
                panel.show_state(state)

    @on(StateChanged)
    def _state_changed(self, message: StateChanged) -> None:
        if not self.is_running or self.frozen:  # shutting down, or held still by the user
            return
        state = message.state
        activity = (state.cache.version, state.events.version, state.traffic, state.link)
        self._quiet_polls = self._quiet_polls + 1 if activity == self._last_activity else 0
        self._last_activity = activity
        if len(self.screen_stack) == 1:  # under a dialog the panels wait for the next one
            self.show_state(message.state)

    def refresh_now(self, sync: bool = False) -> None:
        """Fetch and show new state now: on this thread when ``sync``, or when the app is
        not ``live`` (tests and scenes, which want every step in a fixed order)."""
        if sync or not self.live:
            if len(self.screen_stack) == 1:
                self.show_state(self.source.collect(self._table_query()))
            return
        self._quiet_polls = 0  # asked for: a full poll, and the normal rate for a while
        if self._polling:
            self._poll_again = True
            return
        self._poll()

    frozen = False
    """True while the user holds the display still (the polls go on underneath)."""
    _quiet_polls = 0
    """Polls in a row that found nothing new (no request, no event, no traffic change)."""
    _last_activity: object = None
    _seen_activity: object = None
    """What the source's ``activity()`` said before the last full poll while quiet."""
    _full_poll_at = 0.0

    def _schedule_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        # Nothing happening: poll less often. Any change (or a key that asks for a
        # refresh) brings the normal rate back at once.
        quiet = self._quiet_polls >= QUIET_AFTER_POLLS
        delay = max(self.refresh_s, QUIET_REFRESH_S) if quiet else self.refresh_s
        self._poll_timer = self.set_timer(delay, self._poll)

    def _poll(self) -> None:
        if self._polling:
            return
        if not self.is_running or len(self.screen_stack) != 1:
            # Shutting down, or a dialog is open: no UI work now, look again later.
            if self.live and self.is_running:
                self._schedule_poll()
            return
        activity = getattr(self.source, "activity", None)
        if activity is not None and self._quiet_polls >= QUIET_AFTER_POLLS:
            # Quiet and a local cache: look first whether anything happened at all. Only
            # the ages in the LRU table move then, and they can wait a few seconds.
            now = time.monotonic()
            seen = activity()
            if seen == self._seen_activity and now - self._full_poll_at < QUIET_FULL_POLL_S:
                self._schedule_poll()
                return
            self._seen_activity = seen
            self._full_poll_at = now
        self._polling = True
        self._poll_worker(self._table_query())

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll_worker(self, query: TableQuery) -> None:
        try:
            self.post_message(StateChanged(self.source.collect(query)))
        except Exception as exc:  # never let a poll kill the app; say what happened
            self.call_from_thread(self.notify, f"refresh failed: {exc}", severity="error")
        finally:
            self.call_from_thread(self._poll_done)

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

    # ------------------------------------------------------------------ cache actions

    def control(self, action: Callable[[], T], then: Callable[[T], None]) -> None:
        """Run a cache action on a worker thread (a remote one waits on the network), then
        ``then(result)`` here; when the source refuses, a warning says why."""
        self._control_worker(action, then)

    @work(thread=True, group="control", exit_on_error=False)
    def _control_worker(self, action: Callable[[], T], then: Callable[[T], None]) -> None:
        try:
            result = action()
        except ControlRefused as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        self.call_from_thread(then, result)

    def action_clear(self) -> None:
        def cleared(_: None) -> None:
            for panel in self.query(HitRatioPanel):
                panel.history.clear()
            self.notify("Cache cleared: entries and counters reset")
            self.refresh_now()

        self.control(self.source.clear, cleared)

    def action_limits(self) -> None:
        def apply(limits: Limits | None) -> None:
            if limits is None:
                return

            def resized(evicted: int) -> None:
                self.notify(
                    f"Limits: {limits.max_size:,} entries, {limits.max_memory_mb:g} MiB"
                    + (f" · {evicted:,} evicted" if evicted else "")
                )
                self.refresh_now()

            resize = self.source.resize
            self.control(lambda: resize(limits.max_size, limits.max_memory_mb), resized)

        def ask(current: tuple[int, float]) -> None:
            self.push_screen(LimitsScreen(*current), apply)

        self.control(self.source.limits, ask)

    @on(LRUPanel.EvictRequested)
    def _evict_requested(self, event: LRUPanel.EvictRequested) -> None:
        self.evict(event.path, event.context)

    def evict(self, path: str, context: Hashable) -> None:
        """Evict one entry and say whether it was there."""

        def done(removed: bool) -> None:
            self.notify(f"Evicted {path}" if removed else f"{path} was already gone")
            self.refresh_now()

        self.control(lambda: self.source.evict(path, context), done)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_keys()))

    def help_keys(self) -> tuple[tuple[str, str], ...]:
        """The keys the help screen lists: only those that work in this app."""
        return (("2 3", "LRU order · Monitor tab"), *HelpScreen.COMMON_KEYS)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    # ------------------------------------------------------------------ palette

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        """(title, help, callback) for the command palette."""
        yield "Clear cache", "Remove every entry and reset the counters (c)", self.action_clear
        yield "Change limits", "Max entries and memory budget (L)", self.action_limits
        yield "Help", "Keys and panels (? or F1)", self.action_help
        yield "Tab: LRU order", "Cached entries, most recently used first (2)", self._tab_lru
        yield "Tab: Monitor", "Health, trend, advice and the event log (3)", self._tab_monitor
        yield "Filter entries", "Filter the LRU table by path or context (/)", self._lru("filter")
        yield "Sort entries", "Next LRU sort: recency → hits → size → idle (s)", self._lru("sort")
        yield "Evict entry", "Evict the selected LRU entry (x)", self._lru("evict")

    def _tab_lru(self) -> None:
        self.action_tab("tab-lru")

    def _tab_monitor(self) -> None:
        self.action_tab("tab-monitor")

    def _lru(self, action: str) -> Callable[[], None]:
        """A palette callback: open the LRU tab, then run the table's ``action``."""

        def run() -> None:
            self.action_tab("tab-lru")
            panel = self.query_one(LRUPanel)
            self.call_after_refresh(getattr(panel, f"action_{action}"))

        return run

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title != "Keys":  # our Help lists the keys, with what they do
                yield command
        for title, help_text, callback in self.palette_commands():
            yield SystemCommand(title, help_text, callback)
