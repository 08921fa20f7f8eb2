"""A thread-safe cache of prompt components, bounded by entry count and memory."""

from __future__ import annotations

import heapq
import logging
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeVar

from .errors import EntryTooLargeError
from .events import (
    ALL_EVENT_KINDS,
    CacheEvent,
    EventKind,
    EvictionJournal,
    EvictionRecord,
    Listener,
)
from .memory import ENTRY_OVERHEAD, MIB, extra_size
from .policies import make_policy
from .policy import EvictionPolicy
from .stats import (
    CacheSnapshot,
    EntryView,
    SlidingPercentiles,
    TopComponent,
    ratio_percent,
    stats_dict,
)

log = logging.getLogger(__name__)
_getsizeof = sys.getsizeof
_ASCII_STR = sys.getsizeof("")  # an ASCII str of n characters takes this + n bytes

__all__ = [
    "DEFAULT_HOT_COMPONENTS",
    "MIB",
    "CacheEntry",
    "ComponentCache",
    "EvictionJournal",
    "EvictionRecord",
    "Warmer",
]

DEFAULT_HOT_COMPONENTS: Final[dict[str, int]] = {
    "components/reporting/generate-structured-report.md": 42,
    "components/context/context-optimization.md": 18,
    "components/validation/xml-structure.md": 15,
    "components/error/error-handling.md": 12,
    "components/planning/create-step-by-step-plan.md": 10,
}
"""The original hot list: path -> observed usage count."""

_new_entry = object.__new__
_access_count = attrgetter("access_count")
_hash_key = attrgetter("hash_key")

# Readers of a big cache: what would walk every entry is done at most once a second.
_SMALL_CACHE: Final = 4096
"""Up to this many entries, ``top_components`` scans on every call (about a millisecond)."""
_WALK_INTERVAL_S: Final = 1.0
"""Bigger caches are walked at most this often for the most used entries and deep pages."""
_TOP_KEPT: Final = 32
"""How many of the most used entries a walk remembers for the calls that follow it."""
_DEEP_OFFSET: Final = 2048
"""From this offset on, ``entries()`` pages of a big cache come from the last walk."""

_ALL: Final = object()
_NO_METADATA: Final[dict[str, Any]] = MappingProxyType({})  # type: ignore[assignment]
"""Shared by entries put without metadata: read-only, and one object for all of them."""


def _store_key(component_path: str, context: Hashable) -> Hashable:
    """The store's key for (path, context). get and put inline this on the hot path.

    No-context entries are keyed by the path alone: a str caches its hash, a tuple does
    not, and no tuple is built. A str never equals a tuple, so keys cannot collide.
    """
    return component_path if context == "" else (component_path, context)


@dataclass(slots=True, eq=False)
class CacheEntry:
    """A cached component; the first seven fields are the original public ones.

    ``token_count`` is a rough estimate (about four characters a token) and ``hash_key``
    is the exact key the entry is stored under (the path, or ``(path, context)``).
    """

    content: str
    metadata: dict[str, Any]
    access_count: int
    last_accessed: float
    created_at: float
    token_count: int
    hash_key: Hashable
    component_path: str = ""
    context: Hashable = ""
    size_bytes: int = 0
    content_bytes: int = 0


def _view(rank: int, e: CacheEntry) -> EntryView:
    return EntryView(
        rank, e.component_path, e.context, e.size_bytes, e.access_count, e.created_at,
        e.last_accessed, dict(e.metadata),
    )  # fmt: skip


def _memory_limit_bytes(max_size: object, max_memory_mb: object) -> int:
    """Check both limits before anything changes; return the memory limit in bytes.

    Raises ``ValueError`` naming the limit that is wrong.
    """
    if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size < 1:
        raise ValueError(f"max_size must be a whole number of at least 1, not {max_size!r}")
    if (
        not isinstance(max_memory_mb, (int, float))
        or isinstance(max_memory_mb, bool)
        or not max_memory_mb > 0
    ):
        raise ValueError(f"max_memory_mb must be a number above 0, not {max_memory_mb!r}")
    try:
        limit = float(max_memory_mb) * MIB
    except OverflowError:  # an int too large for a float
        limit = math.inf
    if not math.isfinite(limit):
        raise ValueError(f"max_memory_mb must be a finite number of MiB, not {max_memory_mb!r}")
    return int(limit)


def _hold_of(policy: EvictionPolicy[CacheEntry]) -> Callable[[Hashable, CacheEntry], CacheEntry]:
    """How ``policy`` stores an entry put without a request (preload, warm-up, a policy
    switch): its ``hold`` if it tells those apart (the adaptive policy), else insert_new."""
    hold: Callable[[Hashable, CacheEntry], CacheEntry] = getattr(policy, "hold", policy.insert_new)
    return hold


R_co = TypeVar("R_co", covariant=True)


class Warmer(Protocol[R_co]):
    """What preloading needs from a loader: ``CachedComponentLoader`` is one."""

    def warm(self, paths: Iterable[str], *, origin: str) -> R_co:
        """Load ``paths`` into the cache, counted as ``origin``; return a report."""
        ...


class ComponentCache:
    """Thread-safe cache of components keyed exactly by (path, context).

    Bounded by ``max_size`` entries and ``max_memory_mb`` MiB of memory as CPython
    really allocates it. Eviction order comes from a pluggable policy (LRU by default).

    Args:
        max_size: Most entries kept.
        max_memory_mb: Memory budget in MiB.
        hot_components: Paths to preload, with their usage counts (the original five if None).
        policy: The eviction policy: a name from ``promptcache.POLICIES`` (``"lru"``,
            ``"adaptive"``, ...) or a policy object; LRU if None. ``set_policy`` switches it later.
        clock: Wall-clock source, injectable for tests.
        recent_window_s: Width of the window behind ``recent_hit_ratio``.
    """

    # Slots: the hot path reads about twenty of these per request, and past 30 instance
    # attributes CPython 3.11 stops sharing dict keys and reads them ~20% slower.
    # ``__dict__`` stays, so that a test can still patch a method on one cache.
    __slots__ = (
        "__dict__",
        "_acquire",
        "_bytes_served",
        "_clock",
        "_evicted_memory",
        "_evicted_size",
        "_hits",
        "_hold",
        "_insert",
        "_invalidated",
        "_journal_record",
        "_journals",
        "_listeners",
        "_load_failures",
        "_load_sample_size",
        "_load_time_total",
        "_load_times",
        "_loads",
        "_lock",
        "_lookup",
        "_memory",
        "_misses",
        "_mutations",
        "_order_keys",
        "_order_walked_at",
        "_pop_victim",
        "_preloaded",
        "_puts",
        "_rejected",
        "_release",
        "_samples",
        "_size",
        "_store",
        "_top_keys",
        "_top_scanned_at",
        "_touch",
        "_variants",
        "_want_evict",
        "_want_put",
        "_wanted",
        "_warmed_up",
        "clock",
        "hot_components",
        "max_memory_bytes",
        "max_size",
        "recent_window_s",
    )

    def __init__(
        self,
        max_size: int = 100,
        max_memory_mb: float = 50,
        *,
        hot_components: dict[str, int] | None = None,
        policy: str | EvictionPolicy[CacheEntry] | None = None,
        clock: Callable[[], float] = time.time,
        recent_window_s: float = 10.0,
        load_sample_size: int = 2048,
    ) -> None:
        memory_limit = _memory_limit_bytes(max_size, max_memory_mb)
        self.max_size = max_size
        self.max_memory_bytes = memory_limit
        self.hot_components: dict[str, int] = dict(
            DEFAULT_HOT_COMPONENTS if hot_components is None else hot_components
        )
        store: EvictionPolicy[CacheEntry] = make_policy(policy)
        self._store = store
        self._lookup = store.get
        self._touch = store.record_access
        self._insert = store.insert_new
        self._hold = _hold_of(store)
        self._pop_victim = store.pop_victim
        self._clock = clock
        self.clock = clock
        """The wall clock the cache stamps entries and events with."""
        self._lock = threading.Lock()
        self._acquire = self._lock.acquire
        self._release = self._lock.release
        # Context variants per path, for invalidating a path at once. Entries without a
        # context ("") are found directly, so the common case pays nothing here.
        self._variants: dict[str, set[Hashable]] = {}
        self._listeners: tuple[tuple[Listener, frozenset[str] | None], ...] = ()
        self._wanted: frozenset[str] = frozenset()  # event kinds some listener takes
        self._want_put = False
        self._want_evict = False
        # Open eviction journals, and what the eviction paths call per eviction (None: none
        # open; one journal's own ``record`` when one is, the usual case).
        self._journals: tuple[EvictionJournal, ...] = ()
        self._journal_record: Callable[[EvictionRecord], None] | None = None
        self._mutations = 0
        self._size = 0
        self.recent_window_s = recent_window_s
        self._load_sample_size = load_sample_size
        self._reset_counters()

    def _reset_counters(self) -> None:
        # Keep ``version`` growing across a reset: fold the old request counts into it.
        self._mutations = getattr(self, "_mutations", 0) + getattr(self, "_hits", 0)
        self._mutations += getattr(self, "_misses", 0) + 1
        self._hits = 0
        self._misses = 0
        self._memory = 0
        self._preloaded = 0
        self._warmed_up = 0
        self._puts = 0
        self._rejected = 0
        self._evicted_size = 0
        self._evicted_memory = 0
        self._invalidated = 0
        self._loads = 0
        self._load_failures = 0
        self._load_time_total = 0.0
        self._load_times = SlidingPercentiles(self._load_sample_size)
        self._bytes_served = 0
        self._samples: deque[tuple[float, int, int]] = deque()
        # Keys of the most used entries as of the last scan of a big cache (keys, not
        # entries: an evicted entry's content must not stay alive), and when it ran.
        self._top_keys: list[Hashable] = []
        self._top_scanned_at = -math.inf
        # Keys in eviction order as of the last walk for a deep page of a big cache.
        self._order_keys: list[Hashable] = []
        self._order_walked_at = -math.inf

    # ----------------------------------------------------------------- the hot path

    def get(self, component_path: str, context_hash: Hashable = "") -> CacheEntry | None:
        """Return the entry for (path, context) and mark it used, or None on a miss.

        Every call counts as one request in the hit ratio.
        """
        key = component_path if context_hash == "" else (component_path, context_hash)
        self._acquire()
        try:
            entry = self._lookup(key)
            if entry is None:
                self._misses += 1
                return None
            self._hits += 1
            entry.access_count += 1
            entry.last_accessed = self._clock()
            self._bytes_served += entry.content_bytes
            self._touch(key)
            return entry
        finally:
            self._release()

    def peek(self, component_path: str, context_hash: Hashable = "") -> CacheEntry | None:
        """Return the entry without counting a request or changing its place."""
        with self._lock:
            return self._lookup(_store_key(component_path, context_hash))

    def __contains__(self, key: object) -> bool:
        """``(path, context) in cache``, without counting a request."""
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        return self.peek(key[0], key[1]) is not None

    def __len__(self) -> int:
        return self._size

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
        # sys.getsizeof costs ~100 ns; an ASCII str's size is plain arithmetic.
        if content.isascii():
            content_bytes = len(content)
            size = _ASCII_STR + content_bytes + ENTRY_OVERHEAD
        else:
            content_bytes = len(content.encode("utf-8", "surrogatepass"))
            size = _getsizeof(content) + ENTRY_OVERHEAD
        size += (
            _ASCII_STR + len(component_path)
            if component_path.isascii()
            else _getsizeof(component_path)
        )
        if metadata is None:
            metadata = _NO_METADATA
            if context_hash != "":
                size += extra_size(component_path, metadata, context_hash)
        else:
            size += extra_size(component_path, metadata, context_hash)
        now = self._clock()
        request = origin == "request"
        key = component_path if context_hash == "" else (component_path, context_hash)
        # What CacheEntry(...) does, without the class call and __init__ frame (~150 ns).
        entry = _new_entry(CacheEntry)
        entry.content = content
        entry.metadata = metadata
        entry.access_count = 1 if request else 0
        entry.last_accessed = entry.created_at = now
        entry.token_count = (content_bytes + 3) >> 2
        entry.hash_key = key
        entry.component_path = component_path
        entry.context = context_hash
        entry.size_bytes = size
        entry.content_bytes = content_bytes
        want_evict = self._want_evict
        evicted: Iterable[tuple[CacheEntry, str]] = ()
        self._acquire()
        try:
            if size > self.max_memory_bytes:
                self._rejected += 1
                self._mutations += 1
                raise EntryTooLargeError(
                    f"{component_path}: entry needs {size:,} bytes, more than the "
                    f"whole cache budget of {self.max_memory_bytes:,} bytes",
                    component_path,
                )
            old = self._insert(key, entry) if request else self._hold(key, entry)
            if old is not entry:  # replacing: drop the old entry, then insert again
                self._remove(key)
                (self._insert if request else self._hold)(key, entry)
            if context_hash != "":
                variants = self._variants.get(component_path)
                if variants is None:
                    self._variants[component_path] = {context_hash}
                else:
                    variants.add(context_hash)
            memory = self._memory + size
            self._puts += 1
            if not request:
                self._count_origin(origin)
            if memory > self.max_memory_bytes or want_evict:
                self._memory = memory
                self._size += 1
                if self._size > self.max_size or memory > self.max_memory_bytes:
                    evicted = self._evict_over_limits(want_evict, now)
            elif self._size < self.max_size:
                self._memory = memory
                self._size += 1
            else:  # the common case, one entry too many: evict it here, no loop, no list
                victim: CacheEntry = self._pop_victim()[1]
                self._memory = memory - victim.size_bytes
                self._evicted_size += 1
                if victim.context != "":
                    self._unindex(victim.component_path, victim.context)
                record = self._journal_record
                if record is not None:
                    record(("evict", victim.component_path, victim.context, "size",
                            victim.size_bytes, now))  # fmt: skip
        finally:
            self._release()
        if self._want_put:
            self._emit(CacheEvent("put", component_path, context_hash, origin, size, now))
        if evicted:
            self._emit_evictions(evicted, now)
        return entry

    def _count_origin(self, origin: str) -> None:
        if origin == "preload":
            self._preloaded += 1
        elif origin == "warmup":
            self._warmed_up += 1

    def _remove(self, key: Hashable) -> CacheEntry:
        """Take a present ``key`` out of the store and the variant index (lock held)."""
        entry = self._store.remove(key)
        self._size -= 1
        self._memory -= entry.size_bytes
        if entry.context != "":
            self._unindex(entry.component_path, entry.context)
        return entry

    def _unindex(self, path: str, context: Hashable) -> None:
        variants = self._variants[path]
        variants.discard(context)
        if not variants:
            del self._variants[path]

    def _evict_over_limits(self, keep: object, now: float) -> list[tuple[CacheEntry, str]]:
        """Evict until within both limits (lock held); the evicted, if ``keep`` is truthy.

        Open journals get a record of each eviction, stamped ``now``.
        """
        pop_victim = self._store.pop_victim
        record = self._journal_record
        evicted: list[tuple[CacheEntry, str]] = []
        while self._size:  # a put usually evicts one; resize may evict many
            if self._size > self.max_size:
                self._evicted_size += 1
                reason = "size"
            elif self._memory > self.max_memory_bytes:
                self._evicted_memory += 1
                reason = "memory"
            else:
                break
            entry = pop_victim()[1]
            self._size -= 1
            self._memory -= entry.size_bytes
            if entry.context != "":
                self._unindex(entry.component_path, entry.context)
            if keep:
                evicted.append((entry, reason))
            if record is not None:
                record(("evict", entry.component_path, entry.context, reason,
                        entry.size_bytes, now))  # fmt: skip
        return evicted

    def invalidate(
        self, component_path: str, context_hash: Hashable = _ALL, *, reason: str = "invalidated"
    ) -> int:
        """Remove one entry, or every context variant of a path; return how many went."""
        now = self._clock()
        removed: list[CacheEntry] = []
        with self._lock:
            contexts: list[Hashable] = (
                ["", *self._variants.get(component_path, ())]
                if context_hash is _ALL
                else [context_hash]
            )
            for context in contexts:
                key = _store_key(component_path, context)
                if self._lookup(key) is not None:
                    removed.append(self._remove(key))
            self._invalidated += len(removed)
        if "invalidate" in self._wanted:
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

    def paths(self) -> frozenset[str]:
        """Every component path with at least one cached variant."""
        with self._lock:
            return frozenset(e.component_path for e in self._store.values())

    def resize(self, max_size: int | None = None, max_memory_mb: float | None = None) -> int:
        """Change the limits at runtime, evicting at once; return how many were evicted."""
        new_size = self.max_size if max_size is None else max_size
        new_mb = self.max_memory_bytes / MIB if max_memory_mb is None else max_memory_mb
        new_bytes = _memory_limit_bytes(new_size, new_mb)  # both checked before either changes
        if max_memory_mb is None:
            new_bytes = self.max_memory_bytes
        want_evict = self._want_evict
        now = self._clock()
        with self._lock:
            self.max_size = new_size
            self.max_memory_bytes = new_bytes
            self._mutations += 1
            before = self._size
            evicted = self._evict_over_limits(want_evict, now)
            count = before - self._size
        if evicted:
            self._emit_evictions(evicted, now)
        return count

    def set_policy(self, policy: str | EvictionPolicy[CacheEntry]) -> str:
        """Switch to another eviction policy at runtime, keeping every entry.

        Returns the name of the policy replaced.

        ``policy`` is a name from ``promptcache.POLICIES`` or a new, empty policy object.
        Under the lock, every entry moves into the new policy in the old one's eviction
        order, least protected first (the most protected are inserted last), so a fresh
        policy starts with the old order. Entries, sizes, memory, counters, access counts
        and ages stay as they were; the move is not a request and counts no hit, miss or
        put. Each moved entry is inserted once, as a new key would be, and nothing more. The
        adaptive policy, which tells requests from preloads, holds moved entries the way it
        holds preloaded and warmed-up ones: outside its experts, adding to no frequency
        count, ghost or score, evicted first in the carried-over order until requested
        again (what it does itself when its leading expert changes). Then, if the cache is
        over a limit, it evicts down to both.

        The move is O(entries) under the lock (about 0.06-0.2 s for 100,000 entries, by
        policy), so requests wait that long once.

        Raises ``ValueError`` (the cache untouched) for an unknown name or a policy object
        that already holds entries.
        """
        new = make_policy(policy)
        if new is self._store:  # the policy in use, as an object: nothing to move
            return new.name
        if len(new):
            raise ValueError(
                f"the new eviction policy must be empty; {new.name!r} holds {len(new)} entries"
            )
        want_evict = self._want_evict
        now = self._clock()
        with self._lock:
            old = self._store
            moving = list(old.ordered())  # most protected first
            moving.reverse()
            insert = _hold_of(new)  # moving an entry is no request
            for entry in moving:
                insert(entry.hash_key, entry)
            # Only now, with every entry in the new policy, does the cache use it: an
            # error above (a broken policy object) leaves the cache as it was.
            self._store = new
            self._lookup = new.get
            self._touch = new.record_access
            self._insert = new.insert_new
            self._hold = _hold_of(new)
            self._pop_victim = new.pop_victim
            old.clear()
            self._order_keys = []
            self._order_walked_at = -math.inf
            self._mutations += 1
            evicted = self._evict_over_limits(want_evict, now)
        if evicted:
            self._emit_evictions(evicted, now)
        return old.name

    def clear_cache(self) -> None:
        """Remove every entry and reset every counter."""
        with self._lock:
            count = self._size
            self._size = 0
            self._store.clear()
            self._variants.clear()
            self._reset_counters()
        if "clear" in self._wanted:
            self._emit(CacheEvent("clear", "", "", f"{count} entries", 0, self._clock()))

    # ----------------------------------------------------------------- loads

    def record_load(self, component_path: str, seconds: float, error: str | None = None) -> None:
        """Record a cold load done by a loader (for load counters and percentiles)."""
        with self._lock:
            if error is None:
                self._loads += 1
                self._load_time_total += seconds
                self._load_times.add(seconds)
            else:
                self._load_failures += 1
            self._mutations += 1
        if error is not None and "load_error" in self._wanted:
            self._emit(CacheEvent("load_error", component_path, "", error, 0, self._clock()))

    def record_event(self, event: CacheEvent) -> None:
        """Pass an event from a collaborator (a loader's file watcher) to the listeners."""
        if event.kind in self._wanted:
            self._emit(event)

    # ----------------------------------------------------------------- listeners

    def add_listener(
        self, listener: Listener, kinds: Iterable[EventKind] | None = None
    ) -> Callable[[], None]:
        """Call ``listener`` outside the lock for events of ``kinds`` (every kind if None).

        Returns a remover. Events nobody asked for are never built, so a listener for
        evictions does not slow puts down, and none at all costs nothing.
        """
        wanted = None if kinds is None else frozenset(kinds)
        with self._lock:
            self._listeners = (*self._listeners, (listener, wanted))
            self._update_wanted()

        def remove() -> None:
            with self._lock:
                self._listeners = tuple(x for x in self._listeners if x[0] is not listener)
                self._update_wanted()

        return remove

    @property
    def listener_count(self) -> int:
        """How many listeners are registered (none: events cost nothing)."""
        return len(self._listeners)

    def eviction_journal(self, maxlen: int = 500) -> EvictionJournal:
        """Start keeping the newest ``maxlen`` evictions for a reader that polls.

        Cheaper than an ``evict`` listener when events are read in batches (a stats
        server answering a client a few times a second while the cache evicts thousands
        of times a second). ``close()`` the journal when done.
        """
        journal = EvictionJournal(maxlen, self._lock, self._forget_journal)
        with self._lock:
            self._journals = (*self._journals, journal)
            self._route_evictions()
        return journal

    def _forget_journal(self, journal: EvictionJournal) -> None:
        """A journal closed (lock held)."""
        self._journals = tuple(j for j in self._journals if j is not journal)
        self._route_evictions()

    def _route_evictions(self) -> None:
        """Point the eviction paths at the open journals (lock held)."""
        journals = self._journals
        if not journals:
            self._journal_record = None
        elif len(journals) == 1:
            self._journal_record = journals[0].record
        else:
            records = tuple(j.record for j in journals)

            def record_all(record: EvictionRecord) -> None:
                for keep in records:
                    keep(record)

            self._journal_record = record_all

    def _update_wanted(self) -> None:
        every: set[str] = set()
        for _, kinds in self._listeners:
            every |= ALL_EVENT_KINDS if kinds is None else kinds
        self._wanted = frozenset(every)
        self._want_put = "put" in every
        self._want_evict = "evict" in every

    def _emit(self, event: CacheEvent) -> None:
        for listener, kinds in self._listeners:
            if kinds is not None and event.kind not in kinds:
                continue
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
        """Grows on every mutation, hits and misses included: skip a redraw when unchanged."""
        return self._version()

    def _version(self) -> int:
        return (
            self._mutations
            + self._hits
            + self._misses
            + self._puts
            + self._evicted_size
            + self._evicted_memory
            + self._invalidated
        )

    @property
    def policy_name(self) -> str:
        """Name of the eviction policy (``set_policy`` changes it)."""
        return self._store.name

    @property
    def memory_bytes(self) -> int:
        """Memory the entries retain, in bytes."""
        return self._memory

    def next_victim(self) -> EntryView | None:
        """The entry the policy would evict next (O(1) for LRU), or None when empty."""
        with self._lock:
            entry = self._store.victim()
            return None if entry is None else _view(self._size, entry)

    def entries(self, limit: int | None = None, offset: int = 0) -> tuple[EntryView, ...]:
        """Entries from the most to the least protected (MRU to LRU), ranked from 1.

        O(offset + limit) for an offset below 2,048. Deeper pages of a cache over 4,096
        entries come from the eviction order as it was at most a second ago (so that
        paging through a big cache costs one walk a second, not one per page): ranks are
        as of then, entries removed since are left out, and entries added since are not
        shown until the next walk.
        """
        with self._lock:
            return self._views(limit, offset)

    def _views(self, limit: int | None, offset: int) -> tuple[EntryView, ...]:
        if offset < _DEEP_OFFSET or self._size <= _SMALL_CACHE:
            ordered = self._store.ordered(limit, offset)
            return tuple(_view(rank, e) for rank, e in enumerate(ordered, start=offset + 1))
        now = self._clock()
        if not 0 <= now - self._order_walked_at < _WALK_INTERVAL_S:
            self._order_keys = list(map(_hash_key, self._store.ordered(None, 0)))
            self._order_walked_at = now
        keys = self._order_keys[offset : None if limit is None else offset + limit]
        lookup = self._lookup
        views: list[EntryView] = []
        for rank, key in enumerate(keys, start=offset + 1):
            entry = lookup(key)
            if entry is not None:
                views.append(_view(rank, entry))
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
            return self._snapshot(entry_limit, entry_offset)

    def _snapshot(self, entry_limit: int, entry_offset: int) -> CacheSnapshot:
        now = self._clock()
        recent_ratio, recent_requests, window = self._recent(now)
        times = self._load_times
        return CacheSnapshot(
            timestamp=now,
            version=self._version(),
            policy=self._store.name,
            max_size=self.max_size,
            max_memory_bytes=self.max_memory_bytes,
            size=self._size,
            memory_bytes=self._memory,
            hits=self._hits,
            misses=self._misses,
            preloaded=self._preloaded,
            warmed_up=self._warmed_up,
            puts=self._puts,
            rejected=self._rejected,
            evictions={
                "size": self._evicted_size,
                "memory": self._evicted_memory,
                "invalidated": self._invalidated,
            },
            loads=self._loads,
            load_failures=self._load_failures,
            load_time_p50_ms=times.percentile(0.50) * 1000,
            load_time_p95_ms=times.percentile(0.95) * 1000,
            load_time_p99_ms=times.percentile(0.99) * 1000,
            average_load_time_ms=(self._load_time_total / self._loads * 1000)
            if self._loads
            else 0.0,
            bytes_served=self._bytes_served,
            recent_hit_ratio=recent_ratio,
            recent_requests=recent_requests,
            recent_window_s=window,
            entries=self._views(entry_limit, entry_offset),
        )

    def top_components(self, limit: int = 10) -> list[TopComponent]:
        """The ``limit`` entries used most (``access_count``), most used first.

        A cache of up to 4,096 entries is scanned on every call. A bigger one is scanned at
        most once a second (for up to 32 entries): calls in between rank the entries that
        scan found, those still cached, by their current counts. So a client polling a big
        cache costs one scan a second, however often it asks, and hits pay nothing for it.
        """
        with self._lock:
            return self._top(limit)

    def _top(self, limit: int) -> list[TopComponent]:
        if self._size <= _SMALL_CACHE or limit > _TOP_KEPT:
            top = heapq.nlargest(limit, self._store.values(), key=_access_count)
        else:
            now = self._clock()
            lookup = self._lookup
            seen = [e for e in map(lookup, self._top_keys) if e is not None]
            since = now - self._top_scanned_at
            if not 0 <= since < _WALK_INTERVAL_S or (
                len(seen) < limit and since >= _WALK_INTERVAL_S / 10
            ):
                seen = heapq.nlargest(_TOP_KEPT, self._store.values(), key=_access_count)
                self._top_scanned_at = now
            self._top_keys = [e.hash_key for e in seen]
            top = heapq.nlargest(limit, seen, key=_access_count)
        return [TopComponent(e.component_path, e.access_count, e.last_accessed) for e in top]

    def get_stats(self) -> dict[str, Any]:
        """Statistics as a dict: the original keys plus the newer counters."""
        with self._lock:
            snap = self._snapshot(0, 0)
            top = self._top(10)
        return stats_dict(snap, top)

    # ----------------------------------------------------------------- preloading

    def preload_hot_components(self, component_loader: Warmer[R_co]) -> R_co:
        """Load the hot list through ``component_loader``, counted apart from traffic.

        ``component_loader`` is a ``CachedComponentLoader`` (or anything with its ``warm``);
        the result is its report, a ``WarmupReport`` for the loader.
        """
        ranked = sorted(self.hot_components, key=lambda p: -self.hot_components[p])
        return component_loader.warm(ranked, origin="preload")

    def warmup_cache(self, component_loader: Warmer[R_co], warmup_list: Iterable[str]) -> R_co:
        """Load ``warmup_list`` through ``component_loader``, counted apart from traffic."""
        return component_loader.warm(list(warmup_list), origin="warmup")
