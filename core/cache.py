"""A thread-safe cache of prompt components, bounded by entry count and memory."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .errors import EntryTooLargeError
from .events import CacheEvent, Listener
from .memory import PER_ENTRY_OVERHEAD, deep_sizeof
from .policy import EvictionPolicy, LRUPolicy
from .stats import CacheSnapshot, EntryView, describe_context, percentile, ratio_percent

if TYPE_CHECKING:
    from .loader import CachedComponentLoader, WarmupReport

log = logging.getLogger(__name__)

MIB: Final = 1024 * 1024

DEFAULT_HOT_COMPONENTS: Final[dict[str, int]] = {
    "components/reporting/generate-structured-report.md": 42,
    "components/context/context-optimization.md": 18,
    "components/validation/xml-structure.md": 15,
    "components/error/error-handling.md": 12,
    "components/planning/create-step-by-step-plan.md": 10,
}
"""The original hot list: path -> observed usage count."""

_ALL: Final = object()

CacheKey = tuple[str, Hashable]


@dataclass(slots=True, eq=False)
class CacheEntry:
    """A cached component. The first seven fields are the original public ones."""

    content: str
    metadata: dict[str, Any]
    access_count: int
    last_accessed: float
    created_at: float
    token_count: int
    hash_key: str
    component_path: str = ""
    context: Hashable = ""
    size_bytes: int = 0
    content_bytes: int = 0


def _validate_limits(max_size: int, max_memory_mb: float) -> None:
    if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size < 1:
        raise ValueError(f"max_size must be a whole number of at least 1, not {max_size!r}")
    if not isinstance(max_memory_mb, (int, float)) or not max_memory_mb > 0:
        raise ValueError(f"max_memory_mb must be a number above 0, not {max_memory_mb!r}")


class ComponentCache:
    """Thread-safe cache of components keyed exactly by (path, context).

    Bounded by ``max_size`` entries and ``max_memory_mb`` MiB of memory as CPython
    really allocates it. Eviction order comes from a pluggable policy (LRU by default).

    Args:
        max_size: Most entries kept.
        max_memory_mb: Memory budget in MiB.
        hot_components: Paths to preload, with their usage counts (the original five if None).
        policy: The eviction policy; ``LRUPolicy()`` if None.
        clock: Wall-clock source, injectable for tests.
        recent_window_s: Width of the window behind ``recent_hit_ratio``.
    """

    def __init__(
        self,
        max_size: int = 100,
        max_memory_mb: float = 50,
        *,
        hot_components: dict[str, int] | None = None,
        policy: EvictionPolicy | None = None,
        clock: Callable[[], float] = time.time,
        recent_window_s: float = 10.0,
        load_sample_size: int = 2048,
    ) -> None:
        _validate_limits(max_size, max_memory_mb)
        self.max_size = max_size
        self.max_memory_bytes = int(max_memory_mb * MIB)
        self.hot_components: dict[str, int] = dict(
            DEFAULT_HOT_COMPONENTS if hot_components is None else hot_components
        )
        self._policy: EvictionPolicy = policy if policy is not None else LRUPolicy()
        self._touch = self._policy.record_access
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, CacheEntry] = {}
        self._by_path: dict[str, set[Hashable]] = {}
        self._listeners: tuple[Listener, ...] = ()
        self._departed_usage: dict[str, int] = {}
        self.recent_window_s = recent_window_s
        self._load_sample_size = load_sample_size
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._hits = 0
        self._misses = 0
        self._memory = 0
        self._version = getattr(self, "_version", 0) + 1
        self._preloaded = 0
        self._warmed_up = 0
        self._puts = 0
        self._rejected = 0
        self._evictions = {"size": 0, "memory": 0, "invalidated": 0}
        self._loads = 0
        self._load_failures = 0
        self._load_time_total = 0.0
        self._load_times: deque[float] = deque(maxlen=self._load_sample_size)
        self._bytes_served = 0
        self._samples: deque[tuple[float, int, int]] = deque()

    # ----------------------------------------------------------------- the hot path

    def get(self, component_path: str, context_hash: Hashable = "") -> CacheEntry | None:
        """Return the entry for (path, context) and mark it used, or None on a miss.

        Every call counts as one request in the hit ratio.
        """
        key = (component_path, context_hash)
        with self._lock:
            self._version += 1
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._hits += 1
            entry.access_count += 1
            entry.last_accessed = self._clock()
            self._bytes_served += entry.content_bytes
            self._touch(key)
            return entry

    def peek(self, component_path: str, context_hash: Hashable = "") -> CacheEntry | None:
        """Return the entry without counting a request or changing its place."""
        with self._lock:
            return self._entries.get((component_path, context_hash))

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    # ----------------------------------------------------------------- writes

    def put(
        self,
        component_path: str,
        content: str,
        metadata: dict[str, Any] | None = None,
        context_hash: Hashable = "",
        *,
        origin: str = "request",
    ) -> CacheEntry:
        """Store content for (path, context), evicting as needed; return the new entry.

        ``origin`` is ``request``, ``preload`` or ``warmup``; the latter two are counted
        apart from user traffic. Raises ``EntryTooLargeError`` (cache untouched) if the
        entry alone is larger than the memory budget.
        """
        metadata = {} if metadata is None else dict(metadata)
        metadata.setdefault("component_path", component_path)
        key = (component_path, context_hash)
        now = self._clock()
        entry = CacheEntry(
            content=content,
            metadata=metadata,
            access_count=1 if origin == "request" else 0,
            last_accessed=now,
            created_at=now,
            token_count=len(content.split()),
            hash_key=f"{component_path}::{describe_context(context_hash)}",
            component_path=component_path,
            context=context_hash,
        )
        entry.content_bytes = len(content.encode("utf-8", "surrogatepass"))
        entry.size_bytes = self._entry_size(entry, key)
        with self._lock:
            if entry.size_bytes > self.max_memory_bytes:
                self._rejected += 1
                self._version += 1
                raise EntryTooLargeError(
                    f"{component_path}: entry needs {entry.size_bytes:,} bytes, more than the "
                    f"whole cache budget of {self.max_memory_bytes:,} bytes",
                    component_path,
                )
            evicted: list[tuple[CacheEntry, str]] = []
            old = self._entries.pop(key, None)
            if old is not None:
                self._forget(key, old)
            self._entries[key] = entry
            self._by_path.setdefault(component_path, set()).add(key)
            self._policy.record_insert(key)
            self._memory += entry.size_bytes
            self._puts += 1
            if origin == "preload":
                self._preloaded += 1
            elif origin == "warmup":
                self._warmed_up += 1
            self._version += 1
            self._evict_over_limits(evicted)
        if self._listeners:
            self._emit(
                CacheEvent("put", component_path, context_hash, origin, entry.size_bytes, now)
            )
            self._emit_evictions(evicted, now)
        return entry

    @staticmethod
    def _entry_size(entry: CacheEntry, key: CacheKey) -> int:
        size = (
            deep_sizeof(entry)
            + deep_sizeof(entry.content)
            + deep_sizeof(entry.metadata)
            + deep_sizeof(entry.hash_key)
            + deep_sizeof(entry.last_accessed) * 2
            + deep_sizeof(key)
            + PER_ENTRY_OVERHEAD
        )
        if entry.metadata.get("component_path") is key[0]:
            size -= deep_sizeof(key[0])  # one string, referenced twice
        return size

    def _forget(self, key: Hashable, entry: CacheEntry) -> None:
        """Drop bookkeeping for an entry already popped from ``_entries`` (lock held)."""
        self._policy.record_remove(key)
        self._memory -= entry.size_bytes
        if entry.access_count:
            usage = self._departed_usage
            usage[entry.component_path] = usage.get(entry.component_path, 0) + entry.access_count
        keys = self._by_path.get(entry.component_path)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_path[entry.component_path]

    def _evict_over_limits(self, evicted: list[tuple[CacheEntry, str]]) -> None:
        while self._entries and (
            len(self._entries) > self.max_size or self._memory > self.max_memory_bytes
        ):
            reason = "size" if len(self._entries) > self.max_size else "memory"
            key = self._policy.victim()
            entry = self._entries.pop(key)
            self._forget(key, entry)
            self._evictions[reason] += 1
            evicted.append((entry, reason))
        if evicted:
            self._version += 1

    def invalidate(
        self, component_path: str, context_hash: Hashable = _ALL, *, reason: str = "invalidated"
    ) -> int:
        """Remove one entry, or every context variant of a path; return how many went."""
        now = self._clock()
        removed: list[CacheEntry] = []
        with self._lock:
            if context_hash is _ALL:
                keys = list(self._by_path.get(component_path, ()))
            else:
                keys = [(component_path, context_hash)]
            for key in keys:
                entry = self._entries.pop(key, None)
                if entry is not None:
                    self._forget(key, entry)
                    removed.append(entry)
            if removed:
                self._evictions["invalidated"] += len(removed)
                self._version += 1
        if self._listeners:
            for entry in removed:
                self._emit(
                    CacheEvent(
                        "invalidate",
                        entry.component_path,
                        entry.context,
                        reason,
                        entry.size_bytes,
                        now,
                    )
                )
        return len(removed)

    def usage_counts(self) -> dict[str, int]:
        """Requests served per path since the cache was made, evicted entries included."""
        with self._lock:
            usage = dict(self._departed_usage)
            for entry in self._entries.values():
                if entry.access_count:
                    path = entry.component_path
                    usage[path] = usage.get(path, 0) + entry.access_count
        return usage

    def paths(self) -> frozenset[str]:
        """Every component path with at least one cached variant."""
        with self._lock:
            return frozenset(self._by_path)

    def resize(self, max_size: int | None = None, max_memory_mb: float | None = None) -> int:
        """Change the limits at runtime, evicting at once; return how many were evicted."""
        new_size = self.max_size if max_size is None else max_size
        new_mb = self.max_memory_bytes / MIB if max_memory_mb is None else max_memory_mb
        _validate_limits(new_size, new_mb)
        evicted: list[tuple[CacheEntry, str]] = []
        with self._lock:
            self.max_size = new_size
            self.max_memory_bytes = int(new_mb * MIB)
            self._version += 1
            self._evict_over_limits(evicted)
        if self._listeners:
            self._emit_evictions(evicted, self._clock())
        return len(evicted)

    def clear_cache(self) -> None:
        """Remove every entry and reset every counter."""
        with self._lock:
            count = len(self._entries)
            for key, entry in self._entries.items():
                self._forget(key, entry)
            self._entries.clear()
            self._by_path.clear()
            self._policy.clear()
            self._reset_counters()
        if self._listeners:
            self._emit(CacheEvent("clear", "", "", f"{count} entries", 0, self._clock()))

    # ----------------------------------------------------------------- loads

    def record_load(self, component_path: str, seconds: float, error: str | None = None) -> None:
        """Record a cold load done by a loader (for load counters and percentiles)."""
        with self._lock:
            if error is None:
                self._loads += 1
                self._load_time_total += seconds
                self._load_times.append(seconds)
            else:
                self._load_failures += 1
            self._version += 1
        if error is not None and self._listeners:
            self._emit(CacheEvent("load_error", component_path, "", error, 0, self._clock()))

    def record_event(self, event: CacheEvent) -> None:
        """Pass an event from a collaborator (a loader's file watcher) to the listeners."""
        if self._listeners:
            self._emit(event)

    # ----------------------------------------------------------------- listeners

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event, outside the lock; returns a remover."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def remove() -> None:
            with self._lock:
                self._listeners = tuple(x for x in self._listeners if x is not listener)

        return remove

    def _emit(self, event: CacheEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the cache
                log.exception("cache listener %r failed", listener)

    def _emit_evictions(self, evicted: Iterable[tuple[CacheEntry, str]], now: float) -> None:
        for entry, reason in evicted:
            self._emit(
                CacheEvent(
                    "evict", entry.component_path, entry.context, reason, entry.size_bytes, now
                )
            )

    # ----------------------------------------------------------------- reading state

    @property
    def version(self) -> int:
        """Changes on every mutation, hits included: skip a redraw when it has not."""
        return self._version

    @property
    def policy_name(self) -> str:
        """Name of the eviction policy."""
        return self._policy.name

    @property
    def memory_bytes(self) -> int:
        """Memory the entries retain, in bytes."""
        return self._memory

    def entries(self, limit: int | None = None, offset: int = 0) -> tuple[EntryView, ...]:
        """Entries from the most to the least protected (MRU to LRU); O(offset + limit)."""
        with self._lock:
            return self._views(limit, offset)

    def _views(self, limit: int | None, offset: int) -> tuple[EntryView, ...]:
        views = []
        for rank, key in enumerate(self._policy.ordered(limit, offset), start=offset + 1):
            e = self._entries[key]
            views.append(
                EntryView(
                    rank,
                    e.component_path,
                    e.context,
                    e.size_bytes,
                    e.access_count,
                    e.created_at,
                    e.last_accessed,
                    dict(e.metadata),
                )
            )
        return tuple(views)

    def _recent(self, now: float) -> tuple[float, int, float]:
        """Hit ratio, requests and span of the recent window (lock held)."""
        samples = self._samples
        if not samples or now - samples[-1][0] >= 0.2:
            samples.append((now, self._hits, self._misses))
        cutoff = now - self.recent_window_s
        while len(samples) > 1 and samples[1][0] <= cutoff:
            samples.popleft()
        base_t, base_h, base_m = samples[0]
        hits, misses = self._hits - base_h, self._misses - base_m
        if hits + misses == 0 and base_t == now:
            hits, misses = self._hits, self._misses
        return ratio_percent(hits, hits + misses), hits + misses, max(0.0, now - base_t)

    def snapshot(self, entry_limit: int = 50, entry_offset: int = 0) -> CacheSnapshot:
        """An immutable picture of the whole cache, with ``entry_limit`` entries MRU first."""
        with self._lock:
            now = self._clock()
            recent_ratio, recent_requests, window = self._recent(now)
            times = sorted(self._load_times)
            return CacheSnapshot(
                timestamp=now,
                version=self._version,
                policy=self._policy.name,
                max_size=self.max_size,
                max_memory_bytes=self.max_memory_bytes,
                size=len(self._entries),
                memory_bytes=self._memory,
                hits=self._hits,
                misses=self._misses,
                preloaded=self._preloaded,
                warmed_up=self._warmed_up,
                puts=self._puts,
                rejected=self._rejected,
                evictions=dict(self._evictions),
                loads=self._loads,
                load_failures=self._load_failures,
                load_time_p50_ms=percentile(times, 0.50) * 1000,
                load_time_p95_ms=percentile(times, 0.95) * 1000,
                load_time_p99_ms=percentile(times, 0.99) * 1000,
                average_load_time_ms=(self._load_time_total / self._loads * 1000)
                if self._loads
                else 0.0,
                bytes_served=self._bytes_served,
                recent_hit_ratio=recent_ratio,
                recent_requests=recent_requests,
                recent_window_s=window,
                entries=self._views(entry_limit, entry_offset),
            )

    def get_stats(self) -> dict[str, Any]:
        """Statistics as a dict: the original keys plus the newer counters."""
        snap = self.snapshot(entry_limit=0)
        with self._lock:
            top = heapq.nlargest(10, self._entries.values(), key=lambda e: e.access_count)
            top_components = [
                {
                    "path": e.component_path,
                    "access_count": e.access_count,
                    "last_accessed": e.last_accessed,
                }
                for e in top
            ]
        return {
            "hit_ratio": round(snap.hit_ratio, 2),
            "hits": snap.hits,
            "misses": snap.misses,
            "total_requests": snap.total_requests,
            "cache_size": snap.size,
            "memory_usage_mb": round(snap.memory_bytes / MIB, 2),
            "memory_utilization": round(snap.memory_utilization, 2),
            "top_components": top_components,
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

    # ----------------------------------------------------------------- preloading

    def preload_hot_components(self, component_loader: CachedComponentLoader) -> WarmupReport:
        """Load the hot list through ``component_loader``, counted apart from traffic."""
        ranked = sorted(self.hot_components, key=lambda p: -self.hot_components[p])
        return component_loader.warm(ranked, origin="preload")

    def warmup_cache(
        self, component_loader: CachedComponentLoader, warmup_list: Iterable[str]
    ) -> WarmupReport:
        """Load ``warmup_list`` through ``component_loader``, counted apart from traffic."""
        return component_loader.warm(list(warmup_list), origin="warmup")
