"""Where the panels' state comes from: a cache in this process, or one in another process
through its stats server. Both give the same ``AppState``; no Textual here.

``collect`` blocks (the remote source waits on the network), so the app calls it on a
worker thread, never two at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from promptcache import (
    MIB,
    CacheEvent,
    CachePerformanceMonitor,
    ComponentCache,
    EntryView,
    EventKind,
    MonitorSnapshot,
    PerformanceTrends,
)
from promptcache.client import RemoteClient, RemoteError, entry_view, event_from, snapshot_from
from promptcache.errors import PromptCacheError
from promptcache.protocol import evict_params
from promptcache.tui.state import (
    AppState,
    Connection,
    EventHistory,
    Link,
    TableQuery,
    empty_state,
    table_window,
)
from promptcache.tui.traffic import TrafficRunner

NOTABLE_KINDS: frozenset[EventKind] = frozenset(
    {"invalidate", "clear", "load_error", "file_changed"}
)
"""Events the log shows besides evictions: rare, so a listener for them costs nothing."""

FATAL = ("bad_token", "bad_version", "hello_first")
"""Errors that retrying cannot fix: the remote source says so and stops trying."""

SCAN_LIMIT = 5000
"""Most entries fetched to filter or sort the LRU table of a remote cache."""

RETRY_S = 2.0
"""Seconds between attempts to reach an application that is not answering."""

EVICTIONS_KEPT = 40
"""Evictions the local source's journal keeps between two polls."""


class ControlRefused(PromptCacheError):
    """A clear, evict, resize or policy switch that the source cannot do now; the message
    says why."""


class StateSource(Protocol):
    """Gives the panels their state and carries out the cache actions."""

    def collect(self, query: TableQuery) -> AppState:
        """Everything the panels show now (blocking: call it on a worker thread)."""

    def limits(self) -> tuple[int, float]:
        """(max entries, memory budget in MiB); ControlRefused when they cannot change."""

    def resize(self, max_size: int, max_memory_mb: float) -> int:
        """Change the limits; returns how many entries were evicted at once."""

    def clear(self) -> None:
        """Remove every entry and reset the counters."""

    def evict(self, path: str, context: Hashable) -> bool:
        """Remove one entry; False when it was already gone."""

    def set_policy(self, name: str) -> str:
        """Switch the eviction policy, keeping every entry; returns the name replaced."""

    def close(self) -> None:
        """Let go of the cache or the connection."""


class LocalSource:
    """The cache of this process. Evictions come from the cache's eviction journal (a
    listener for them would take puts off their fast path); the rarer events from a
    listener."""

    def __init__(
        self,
        cache: ComponentCache,
        monitor: CachePerformanceMonitor,
        *,
        folder: str = "",
        watch_mode: Callable[[], str] = str,
        traffic: TrafficRunner | None = None,
        monitor_interval_s: float = 1.0,
    ) -> None:
        self.cache = cache
        self.monitor = monitor
        self.traffic = traffic
        self.history = EventHistory()
        self.folder = folder
        self.watch_mode = watch_mode
        self.monitor_interval_s = monitor_interval_s
        self._journal = cache.eviction_journal(EVICTIONS_KEPT)
        self._evictions_seen = 0
        self._remove_listener = cache.add_listener(self.history.record, NOTABLE_KINDS)
        self._lock = threading.Lock()

    def activity(self) -> tuple[object, ...]:
        """Cheap to read on the UI thread; equal values mean nothing happened in between
        (no request, mutation or event, no change to the demo traffic)."""
        traffic = self.traffic
        if traffic is None or not traffic.running:
            return (self.cache.version, self.history.version, False, False)
        return (self.cache.version, self.history.version, True, traffic.paused)

    def collect(self, query: TableQuery) -> AppState:
        with self._lock:
            cache = self.cache
            snap = cache.snapshot(entry_limit=query.limit, entry_offset=query.offset)
            events, _ = self._journal.events_since(self._evictions_seen)
            if events:
                self._evictions_seen = events[-1][0]
                self.history.add(event for _, event in events)
            table = table_window(
                query,
                snap.timestamp,
                page=snap.entries,
                total=snap.size,
                scan=cache.entries,
                victim=cache.next_victim(),
            )
            monitor_snapshot = self.monitor.snapshot_if_due(self.monitor_interval_s)
            trends = self.monitor.get_performance_trends()
            traffic = self.traffic
            return AppState(
                snap,
                table,
                monitor_snapshot,
                trends,
                self.history.recent(),
                Link("local", self.folder, True, self.watch_mode()),
                traffic.status() if traffic is not None and traffic.running else None,
            )

    def limits(self) -> tuple[int, float]:
        return self.cache.max_size, self.cache.max_memory_bytes / MIB

    def resize(self, max_size: int, max_memory_mb: float) -> int:
        return self.cache.resize(max_size, max_memory_mb)

    def clear(self) -> None:
        self.cache.clear_cache()

    def evict(self, path: str, context: Hashable) -> bool:
        return bool(self.cache.invalidate(path, context, reason="manual"))

    @property
    def policy_name(self) -> str:
        """The eviction policy the cache uses now."""
        return self.cache.policy_name

    def set_policy(self, name: str) -> str:
        try:
            return self.cache.set_policy(name)
        except ValueError as exc:
            raise ControlRefused(str(exc)) from exc

    def record(self, event: CacheEvent) -> None:
        """Pass an event of the app's own (a change on disk) to the cache's listeners."""
        self.cache.record_event(event)

    def close(self) -> None:
        self._remove_listener()
        self._journal.close()


class RemoteSource:
    """The cache of another process, through its stats server. Reconnects every
    ``RETRY_S`` seconds after a failure, and gives up on errors retrying cannot fix."""

    def __init__(self, client: RemoteClient, *, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.history = EventHistory()
        self.connection: Connection = "connecting"
        self.detail = f"to {client.address}"
        self._clock = clock
        self._retry_at = 0.0
        self._events_next = 0
        self._lock = threading.Lock()
        self._last: AppState | None = None
        self.stale = False
        """The attached worker says its shared store is unreachable."""

    @property
    def control(self) -> bool:
        """True when the application allows clear, evict and resize."""
        return bool(self.client.hello.get("control"))

    @property
    def link(self) -> Link:
        """The connection as the status line shows it."""
        return Link(self.connection, self.detail, self.control, stale=self.stale)

    def collect(self, query: TableQuery) -> AppState:
        with self._lock:
            if self._connect():
                try:
                    self._last = self._fetch(query)
                    return self._last
                except RemoteError as exc:
                    if exc.code in FATAL:
                        self.connection, self.detail = "refused", str(exc)
                except OSError as exc:
                    self.client.close()
                    self._failed(str(exc) or "connection lost")
            if self._last is None:
                return empty_state(time.time(), self.link)
            return _with_link(self._last, self.link)

    def _failed(self, reason: str) -> None:
        self.connection = "disconnected"
        self.detail = f"{self.client.address}: {reason}; retrying every {RETRY_S:g} s"
        self._retry_at = self._clock() + RETRY_S

    def _connect(self) -> bool:
        if self.connection == "refused":
            return False
        if self.client.connected:
            return True
        if self._clock() < self._retry_at:
            return False
        try:
            hello = self.client.connect()
        except RemoteError as exc:
            self.connection = "refused" if exc.code in FATAL else "disconnected"
            self.detail = str(exc)
            self._retry_at = self._clock() + RETRY_S
            return False
        except OSError as exc:
            self._failed(exc.strerror or str(exc) or type(exc).__name__)
            return False
        self.connection = "connected"
        folder = hello.get("folder") or "its components"
        self.detail = f"to {self.client.address} · pid {hello.get('pid')} · {folder}"
        self._events_next = 0
        return True

    def _fetch(self, query: TableQuery) -> AppState:
        data = self.client.call(
            "state",
            entry_limit=min(query.limit, 1000),
            entry_offset=query.offset,
            events_since=self._events_next,
            events_limit=60,  # what the monitor panel shows
        )
        self.stale = data.get("stale") is True
        entries = tuple(entry_view(e) for e in data.get("entries", []))
        snap = snapshot_from(data["snapshot"], entries)
        self.history.add(event_from(raw) for raw in data.get("events", []))
        self._events_next = int(data.get("events_next", self._events_next))
        victim = data.get("victim")
        table = table_window(
            query,
            snap.timestamp,
            page=entries,
            total=snap.size,
            scan=lambda: self._scan(snap.size),
            victim=entry_view(victim) if victim else None,
        )
        monitor_snapshot, trends = _read_remote_monitor(data)
        return AppState(
            snap, table, monitor_snapshot, trends, self.history.recent(), self.link, None
        )

    def _scan(self, size: int) -> list[EntryView]:
        rows: list[EntryView] = []
        for offset in range(0, min(size, SCAN_LIMIT), 1000):
            page = self.client.call("entries", limit=1000, offset=offset)
            rows.extend(entry_view(e) for e in page.get("entries", []))
        return rows

    # ------------------------------------------------------------------ control

    def _control(self, op: str, **params: Any) -> dict[str, Any]:
        if self.connection != "connected":
            raise ControlRefused("Not connected to the application")
        if not self.control:
            raise ControlRefused(
                "The application did not allow control (start its server with allow_control=True)"
            )
        try:
            with self._lock:
                return self.client.call(op, **params)
        except (RemoteError, OSError) as exc:
            raise ControlRefused(f"{op} failed: {exc}") from exc

    def limits(self) -> tuple[int, float]:
        config = self._control("config")
        return int(config["max_size"]), float(config["max_memory_bytes"]) / MIB

    def resize(self, max_size: int, max_memory_mb: float) -> int:
        result = self._control("resize", max_size=max_size, max_memory_mb=max_memory_mb)
        return int(result.get("evicted", 0))

    def clear(self) -> None:
        self._control("clear")

    def evict(self, path: str, context: Hashable) -> bool:
        return bool(self._control("evict", **evict_params(path, context)).get("removed"))

    def set_policy(self, name: str) -> str:
        raise ControlRefused(
            "The eviction policy can be switched only in the application itself, not attached"
        )

    def close(self) -> None:
        self.client.close()


def _read_remote_monitor(
    data: Mapping[str, Any],
) -> tuple[MonitorSnapshot | None, PerformanceTrends]:
    """The monitor's latest snapshot and trends from a ``state`` answer."""
    monitor: Mapping[str, Any] = data.get("monitor") or {}
    snapshot = monitor.get("snapshot")
    trends = PerformanceTrends.from_dict(monitor.get("trends") or {"status": "insufficient_data"})
    return (None if snapshot is None else MonitorSnapshot.from_dict(snapshot)), trends


def _with_link(state: AppState, link: Link) -> AppState:
    return replace(state, link=link)
