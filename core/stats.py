"""Immutable views of cache state for readers such as the UI and the monitor, and the
``get_stats()`` dict built from them."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from .memory import MIB

HIT_RATIO_TARGET: Final = 75.0
"""The hit ratio (percent) a healthy cache reaches: the monitor's default target, and
where the app and the CLI turn a hit ratio from red to green."""


def ratio_percent(part: int | float, whole: int | float) -> float:
    """``part / whole`` as a percentage; 0.0 when ``whole`` is 0."""
    return (part / whole) * 100.0 if whole else 0.0


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values by nearest rank; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1))))
    return sorted_values[rank]


class SlidingPercentiles:
    """Percentiles of the newest ``size`` values, each read in O(1).

    Keeps the window in arrival order and in sorted order: adding a value costs a binary
    search and a memmove of the sorted list (about a microsecond at 2048 values), where
    sorting the window on every read cost ~120 µs. Not thread-safe: the owner locks.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size!r}")
        self._window: deque[float] = deque(maxlen=size)
        self._sorted: list[float] = []

    def add(self, value: float) -> None:
        """Take ``value``, dropping the oldest one when the window is full."""
        window = self._window
        if len(window) == window.maxlen:
            del self._sorted[bisect_left(self._sorted, window[0])]
        window.append(value)
        insort(self._sorted, value)

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0..1) by nearest rank; 0.0 when empty."""
        return percentile(self._sorted, q)

    def __len__(self) -> int:
        return len(self._window)


def describe_context(context: Hashable, width: int | None = None) -> str:
    """A short, stable, human-readable form of a context key."""
    if context is None or context == "" or context == frozenset():
        text = "—"
    elif isinstance(context, frozenset):
        try:
            pairs = sorted(context)
            text = ", ".join(f"{k}={v}" for k, v in pairs)
        except (TypeError, ValueError):
            text = repr(context)
    else:
        text = str(context)
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


@dataclass(frozen=True, slots=True)
class EntryView:
    """One cached entry as a reader sees it."""

    rank: int
    path: str
    context: Hashable
    size_bytes: int
    hits: int
    created_at: float
    last_accessed: float
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def context_label(self) -> str:
        """The context in a short form."""
        return describe_context(self.context)


@dataclass(frozen=True, slots=True)
class CacheSnapshot:
    """Everything a live view shows, taken at one instant under the cache lock."""

    timestamp: float
    version: int
    policy: str
    max_size: int
    max_memory_bytes: int
    size: int
    memory_bytes: int
    hits: int
    misses: int
    preloaded: int
    warmed_up: int
    puts: int
    rejected: int
    evictions: Mapping[str, int]
    loads: int
    load_failures: int
    load_time_p50_ms: float
    load_time_p95_ms: float
    load_time_p99_ms: float
    average_load_time_ms: float
    bytes_served: int
    recent_hit_ratio: float
    recent_requests: int
    recent_window_s: float
    entries: tuple[EntryView, ...]

    @property
    def total_requests(self) -> int:
        """Hits plus misses: requests made by users, not preloads."""
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float:
        """Lifetime hit ratio in percent."""
        return ratio_percent(self.hits, self.total_requests)

    @property
    def memory_utilization(self) -> float:
        """Memory used as a percentage of the budget."""
        return ratio_percent(self.memory_bytes, self.max_memory_bytes)

    @property
    def total_evictions(self) -> int:
        """Evictions of every reason."""
        return sum(self.evictions.values())


class TopComponent(NamedTuple):
    """One of the most used entries, as ``get_stats()["top_components"]`` lists them."""

    path: str
    access_count: int
    last_accessed: float


def stats_dict(snap: CacheSnapshot, top: Sequence[TopComponent]) -> dict[str, Any]:
    """``ComponentCache.get_stats()``: the original keys, then the newer counters."""
    return {
        "hit_ratio": round(snap.hit_ratio, 2),
        "hits": snap.hits,
        "misses": snap.misses,
        "total_requests": snap.total_requests,
        "cache_size": snap.size,
        "memory_usage_mb": round(snap.memory_bytes / MIB, 2),
        "memory_utilization": round(snap.memory_utilization, 2),
        "top_components": [t._asdict() for t in top],
        "memory_usage_bytes": snap.memory_bytes,
        "max_size": snap.max_size,
        "max_memory_mb": round(snap.max_memory_bytes / MIB, 2),
        "recent_hit_ratio": round(snap.recent_hit_ratio, 2),
        "recent_requests": snap.recent_requests,
        "recent_window_s": round(snap.recent_window_s, 2),
        "preloaded": snap.preloaded,
        "warmed_up": snap.warmed_up,
        "puts": snap.puts,
        "rejected": snap.rejected,
        "evictions": dict(snap.evictions),
        "loads": snap.loads,
        "load_failures": snap.load_failures,
        "load_time_p50_ms": round(snap.load_time_p50_ms, 3),
        "load_time_p95_ms": round(snap.load_time_p95_ms, 3),
        "load_time_p99_ms": round(snap.load_time_p99_ms, 3),
        "bytes_served": snap.bytes_served,
        "policy": snap.policy,
        "version": snap.version,
    }
