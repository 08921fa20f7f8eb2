"""``promptcache attach``: the live panels for a cache inside another, running process."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent, TabPane

from promptcache import (
    MIB,
    CacheSnapshot,
    EntryView,
    EventLog,
    MonitorSnapshot,
    PerformanceTrends,
)
from promptcache.client import (
    RemoteClient,
    RemoteError,
    entry_view,
    event_from,
    snapshot_from,
)
from promptcache.tui.inspector import AppState, InspectorApp, TableQuery
from promptcache.tui.widgets.limits_screen import Limits, LimitsScreen
from promptcache.tui.widgets.lru_panel import LRUPanel
from promptcache.tui.widgets.lru_table import TableWindow
from promptcache.tui.widgets.monitor_panel import MonitorPanel
from promptcache.tui.widgets.status_bar import summary_text

FATAL = ("bad_token", "bad_version", "hello_first")
"""Errors that retrying cannot fix: the app says so and stops trying."""

SCAN_LIMIT = 5000
"""Most entries fetched to filter or sort the LRU table of a remote cache."""


def empty_snapshot(now: float) -> CacheSnapshot:
    """What the panels show before the first answer."""
    return CacheSnapshot(
        now, 0, "lru", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, {}, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0,
        0.0, (),
    )  # fmt: skip


class AttachApp(InspectorApp):
    """Panels fed by a stats server; components are browsed in the application itself."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "clear", "Clear"),
        Binding("L", "limits", "Limits"),
    ]

    def __init__(self, client: RemoteClient, *, refresh_s: float = 0.5, live: bool = True) -> None:
        super().__init__(refresh_s=refresh_s, live=live)
        self.client = client
        self.notable_log = EventLog(maxlen=100)
        self.eviction_log = EventLog(maxlen=40)
        self._events_next = 0
        self._lock = threading.Lock()
        self._last: AppState | None = None
        self.connection = "connecting"
        """``connecting``, ``connected``, ``disconnected`` or ``refused``."""
        self.connection_detail = f"to {client.address}"
        self._retry_at = 0.0

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with TabbedContent(id="tabs", initial="tab-lru"):
            with TabPane("2 LRU order", id="tab-lru"):
                yield LRUPanel(id="lru-panel")
            with TabPane("3 Monitor", id="tab-monitor"):
                yield MonitorPanel(id="monitor-panel")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.sub_title = f"attached to {self.client.address}"
        self.query_one("#lru-table").focus()
        self._apply_layout_classes()
        if self.live:
            self.refresh_now()

    def on_unmount(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ state

    @property
    def control(self) -> bool:
        """True when the application allows clear, evict and resize."""
        return bool(self.client.hello.get("control"))

    def _connect(self) -> bool:
        if self.connection == "refused":
            return False
        if self.client.connected:
            return True
        if time.monotonic() < self._retry_at:
            return False
        try:
            hello = self.client.connect()
        except RemoteError as exc:
            fatal = exc.code in FATAL
            self.connection = "refused" if fatal else "disconnected"
            self.connection_detail = str(exc)
            self._retry_at = time.monotonic() + 2.0
            return False
        except OSError as exc:
            self.connection = "disconnected"
            reason = exc.strerror or str(exc) or type(exc).__name__
            self.connection_detail = f"{self.client.address}: {reason}; retrying every 2 s"
            self._retry_at = time.monotonic() + 2.0
            return False
        self.connection = "connected"
        folder = hello.get("folder") or "its components"
        self.connection_detail = f"to {self.client.address} · pid {hello.get('pid')} · {folder}"
        self._events_next = 0
        return True

    def collect(self, query: TableQuery) -> AppState:
        with self._lock:
            if not self._connect():
                return self._last or self._empty()
            try:
                state = self._fetch(query)
            except RemoteError as exc:
                if exc.code in FATAL:
                    self.connection, self.connection_detail = "refused", str(exc)
                return self._last or self._empty()
            except OSError as exc:
                self.client.close()
                self.connection = "disconnected"
                self.connection_detail = (
                    f"{self.client.address}: {exc or 'connection lost'}; retrying every 2 s"
                )
                self._retry_at = time.monotonic() + 2.0
                return self._last or self._empty()
            self._last = state
            return state

    def _empty(self) -> AppState:
        now = time.time()
        return AppState(
            empty_snapshot(now),
            TableWindow((), 0, 0, now),
            None,
            PerformanceTrends("insufficient_data"),
            (),
            (),
            (0, 0),
            None,
        )

    def _fetch(self, query: TableQuery) -> AppState:
        data = self.client.call(
            "state",
            entry_limit=min(query.limit, 1000),
            entry_offset=query.offset,
            events_since=self._events_next,
            events_limit=60,  # what the monitor panel shows
        )
        entries = tuple(entry_view(e) for e in data.get("entries", []))
        snap = snapshot_from(data["snapshot"], entries)
        for raw in data.get("events", []):
            event = event_from(raw)
            (self.eviction_log if event.kind == "evict" else self.notable_log).record(event)
        self._events_next = int(data.get("events_next", self._events_next))
        victim_data = data.get("victim")
        victim = entry_view(victim_data) if victim_data else None
        victim_key = (victim.path, victim.context) if victim else None
        if query.sort == "recency" and not query.filter:
            table = TableWindow(
                entries, query.offset, snap.size, snap.timestamp, query.sort, "", victim_key
            )
        else:
            table = self._scanned_window(query, snap, victim_key)
        monitor: dict[str, Any] = data.get("monitor") or {}
        monitored = monitor.get("snapshot")
        return AppState(
            snap,
            table,
            None if monitored is None else MonitorSnapshot.from_dict(monitored),
            PerformanceTrends.from_dict(monitor.get("trends") or {}),
            self.notable_log.recent(40),
            self.eviction_log.recent(20),
            (self.notable_log.version, self.eviction_log.version),
            None,
        )

    def _scanned_window(
        self, query: TableQuery, snap: CacheSnapshot, victim_key: tuple[str, object] | None
    ) -> TableWindow:
        rows: list[EntryView] = []
        for offset in range(0, min(snap.size, SCAN_LIMIT), 1000):
            page = self.client.call("entries", limit=1000, offset=offset)
            rows.extend(entry_view(e) for e in page.get("entries", []))
        if query.filter:
            needle = query.filter.lower()
            rows = [
                r for r in rows if needle in r.path.lower() or needle in r.context_label.lower()
            ]
        key = {"hits": lambda r: -r.hits, "size": lambda r: -r.size_bytes}.get(query.sort)
        if key is not None:
            rows.sort(key=key)
        elif query.sort == "idle":
            rows.sort(key=lambda r: r.last_accessed)
        window = tuple(rows[query.offset : query.offset + query.limit])
        return TableWindow(
            window, query.offset, len(rows), snap.timestamp, query.sort, query.filter, victim_key
        )

    def status_line(self, state: AppState, summary: CacheSnapshot | None) -> Text:
        badges = {
            "connected": (" ● attached ", "bold black on green"),
            "connecting": (" … connecting ", "bold black on yellow"),
            "disconnected": (" ○ disconnected ", "bold white on red"),
            "refused": (" ✖ refused ", "bold white on red"),
        }
        text = Text(no_wrap=True, overflow="ellipsis")
        if summary is not None and self.connection == "connected":
            text.append_text(summary_text(summary))
        label, style = badges[self.connection]
        text.append(label, style)
        text.append(f"  {self.connection_detail}", "dim" if self.connection == "connected" else "")
        if self.connection == "connected" and not self.control:
            text.append("  · read-only", "dim")
        return text

    # ------------------------------------------------------------------ control

    def _control(self, op: str, **params: Any) -> dict[str, Any] | None:
        if self.connection != "connected":
            self.notify("Not connected to the application", severity="warning")
            return None
        if not self.control:
            self.notify(
                "The application did not allow control (start its server with allow_control=True)",
                severity="warning",
            )
            return None
        try:
            with self._lock:
                return self.client.call(op, **params)
        except (RemoteError, OSError) as exc:
            self.notify(f"{op} failed: {exc}", severity="error")
            return None

    def action_clear(self) -> None:
        if self._control("clear") is not None:
            self.notify("Cleared the application's cache")
        self.refresh_now()

    def action_limits(self) -> None:
        if self._last is None or not self.control:
            self._control("config")  # says why not
            return
        snap = self._last.cache

        def apply(limits: Limits | None) -> None:
            if limits is None:
                return
            result = self._control(
                "resize", max_size=limits.max_size, max_memory_mb=limits.max_memory_mb
            )
            if result is not None:
                self.notify(f"Resized: {result.get('evicted', 0):,} evicted")
            self.refresh_now()

        self.push_screen(LimitsScreen(snap.max_size, snap.max_memory_bytes / MIB), apply)

    @on(LRUPanel.EvictRequested)
    def _evict_requested(self, event: LRUPanel.EvictRequested) -> None:
        context = event.context
        wire = sorted([list(pair) for pair in context]) if isinstance(context, frozenset) else (
            None if context == "" else context
        )  # fmt: skip
        result = self._control("evict", path=event.path, context=wire)
        if result is not None:
            self.notify(f"Evicted {event.path}" if result.get("removed") else "Already gone")
        self.refresh_now()
