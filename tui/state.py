"""What the live panels show, as immutable values, and the one function that windows the
LRU table. No Textual here: the local and the attach app share this, and it is tested
without a UI.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from promptcache import CacheEvent, CacheSnapshot, EntryView, MonitorSnapshot, PerformanceTrends
from promptcache.tui.traffic import TrafficStatus

SORTS = ("recency", "hits", "size", "idle")
"""Orders the LRU table offers; ``recency`` is the cache's own MRU → LRU order."""

Connection = Literal["local", "connecting", "connected", "disconnected", "refused"]


@dataclass(frozen=True, slots=True)
class TableQuery:
    """Which rows the LRU table wants."""

    offset: int
    limit: int
    sort: str = "recency"
    filter: str = ""
    reverse: bool = False
    """Turn the sort around (least recent, fewest hits, smallest, most recently used)."""

    @property
    def plain(self) -> bool:
        """True when the rows are the cache's own order, unfiltered: a page, not a scan."""
        return self.sort == "recency" and not self.filter and not self.reverse


@dataclass(frozen=True, slots=True)
class TableWindow:
    """The rows the table shows now: a slice of the full (filtered, sorted) list."""

    rows: tuple[EntryView, ...]
    offset: int
    total: int
    now: float
    sort: str = "recency"
    filter: str = ""
    lru_path_context: tuple[str, object] | None = None
    """(path, context) of the entry the cache evicts next."""
    reverse: bool = False
    """The sort is turned around."""


def matches(entry: EntryView, needle: str) -> bool:
    """True when ``needle`` (lower case) is in the entry's path or context."""
    return needle in entry.path.lower() or needle in entry.context_label.lower()


SORT_KEYS: Mapping[str, Callable[[EntryView], float]] = {
    "hits": lambda e: -e.hits,
    "size": lambda e: -e.size_bytes,
    "idle": lambda e: e.last_accessed,
}


def table_window(
    query: TableQuery,
    now: float,
    *,
    page: Sequence[EntryView],
    total: int,
    scan: Callable[[], Iterable[EntryView]],
    victim: EntryView | None = None,
) -> TableWindow:
    """The LRU table's window for ``query``.

    In the cache's own order ``page`` already is the window (O(visible) to fetch) and
    ``total`` the entry count. To filter or sort, every entry from ``scan()`` (MRU → LRU)
    is filtered, sorted stably and sliced.
    """
    victim_key = (victim.path, victim.context) if victim is not None else None
    if query.plain:
        return TableWindow(tuple(page), query.offset, total, now, query.sort, "", victim_key)
    rows: Iterable[EntryView] = scan()
    if query.filter:
        needle = query.filter.lower()
        rows = [r for r in rows if matches(r, needle)]
    ordered = list(rows)
    key = SORT_KEYS.get(query.sort)
    if key is not None:
        ordered.sort(key=key, reverse=query.reverse)
    elif query.reverse:
        ordered.reverse()
    window = tuple(ordered[query.offset : query.offset + query.limit])
    return TableWindow(
        window, query.offset, len(ordered), now, query.sort, query.filter, victim_key,
        query.reverse,
    )  # fmt: skip


class EventHistory:
    """Recent notable events (invalidations, load errors, changes on disk, clears) and
    recent evictions, kept apart so that a flood of evictions never pushes out a load
    error. Thread-safe."""

    def __init__(self, notable: int = 100, evictions: int = 40) -> None:
        self._notable: deque[CacheEvent] = deque(maxlen=notable)
        self._evictions: deque[CacheEvent] = deque(maxlen=evictions)
        self._lock = threading.Lock()
        self._version = 0

    def add(self, events: Iterable[CacheEvent]) -> None:
        """Keep ``events`` (oldest first)."""
        with self._lock:
            for event in events:
                (self._evictions if event.kind == "evict" else self._notable).append(event)
                self._version += 1

    def record(self, event: CacheEvent) -> None:
        """Keep one event (usable as a cache listener)."""
        self.add((event,))

    @property
    def version(self) -> int:
        """Grows whenever an event is kept."""
        return self._version

    def recent(self, notable: int = 100, evictions: int = 20) -> EventsShown:
        """The newest events of each kind, newest first."""
        with self._lock:
            return EventsShown(
                tuple(reversed(self._notable))[:notable],
                tuple(reversed(self._evictions))[:evictions],
                self._version,
            )


@dataclass(frozen=True, slots=True)
class EventsShown:
    """What the event log shows; ``version`` changes whenever either list does."""

    notable: tuple[CacheEvent, ...] = ()
    evictions: tuple[CacheEvent, ...] = ()
    version: int = 0


@dataclass(frozen=True, slots=True)
class Link:
    """Where the state comes from, for the status line."""

    connection: Connection = "local"
    detail: str = ""
    """The folder (local) or the address and what happened to it (attached)."""
    control: bool = True
    """True when clear, evict and resize are allowed."""
    watch_mode: str = ""
    """How a local loader notices edits on disk (``inotify``, ``stat``)."""
    stale: bool = False
    """True when the attached worker's shared store is unreachable (its entries may be
    out of date)."""


NO_TRENDS = PerformanceTrends("insufficient_data")
"""Trends before the monitor has two snapshots (or when there is no monitor)."""


@dataclass(frozen=True, slots=True)
class AppState:
    """Everything the panels show, collected off the UI thread in one go."""

    cache: CacheSnapshot
    table: TableWindow
    monitor_snapshot: MonitorSnapshot | None = None
    trends: PerformanceTrends = field(default_factory=lambda: NO_TRENDS)
    events: EventsShown = EventsShown()
    link: Link = Link()
    traffic: TrafficStatus | None = None


def empty_snapshot(now: float) -> CacheSnapshot:
    """What the panels show before there is anything to show."""
    return CacheSnapshot(
        now, 0, "lru", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, {}, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0,
        0.0, (),
    )  # fmt: skip


def empty_state(now: float, link: Link) -> AppState:
    """A state with no data yet (before a remote cache first answers)."""
    return AppState(empty_snapshot(now), TableWindow((), 0, 0, now), link=link)
