"""The events a stats server hands its clients: the cache's recent evictions and its
rarer notable events, numbered in the order they happened."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from .events import CacheEvent, EventKind
from .protocol import EventFields

if TYPE_CHECKING:
    from .cache import ComponentCache, EvictionJournal, EvictionRecord

NOTABLE_KINDS: Final[frozenset[EventKind]] = frozenset(
    {"invalidate", "clear", "load_error", "file_changed"}
)
"""Event kinds kept besides evictions (puts are not events)."""


class EventFeed:
    """The last ``evictions`` evictions and the last ``others`` other events, numbered from 1.

    Kept apart so that a flood of evictions never pushes out a load error. Evictions come
    from the cache's eviction journal (a plain tuple per eviction on the application's
    thread, far cheaper than a listener); the rare other kinds from a listener. Both are
    numbered, in the order they happened, when a client next asks, on the server's thread.
    """

    def __init__(self, evictions: int, others: int) -> None:
        self._maxlen = evictions
        self._notable: deque[tuple[int, CacheEvent]] = deque(maxlen=others)
        self._evictions: deque[tuple[int, EvictionRecord]] = deque(maxlen=evictions)
        # Not yet numbered: (arrival number, evictions journaled before it, event).
        self._pending: deque[tuple[int, int, CacheEvent]] = deque(maxlen=others)
        self._arrivals = itertools.count(1)
        self._arrived = 0  # arrival numbers taken out of _pending so far
        self._journal: EvictionJournal | None = None
        self._journaled = 0  # journal numbers taken so far
        self._newest = 0
        self._remove_listener: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def attach(self, cache: ComponentCache) -> None:
        """Start recording ``cache``'s events (idempotent)."""
        with self._lock:
            if self._journal is None:
                self._journal = cache.eviction_journal(self._maxlen)
                self._journaled = 0
                self._remove_listener = cache.add_listener(self.record, NOTABLE_KINDS)

    def detach(self) -> None:
        """Stop recording; what was recorded stays readable (idempotent)."""
        with self._lock:
            self._number_new_events()
            journal, self._journal = self._journal, None
            remove, self._remove_listener = self._remove_listener, None
        if remove is not None:
            remove()
        if journal is not None:
            journal.close()

    def record(self, event: CacheEvent) -> None:
        # A cache listener for NOTABLE_KINDS, on the application's thread: no lock (next()
        # and a deque's append are each atomic), just a note of how many evictions came first.
        journal = self._journal
        before = 0 if journal is None else journal.total
        self._pending.append((next(self._arrivals), before, event))

    def since(self, seq: int, limit: int) -> tuple[list[tuple[int, EventFields]], int]:
        """Up to ``limit`` events numbered above ``seq``, oldest first (all the notable ones
        that fit, then the newest evictions), and the newest number so far."""
        with self._lock:
            self._number_new_events()
            notable = [item for item in self._notable if item[0] > seq][-limit:] if limit else []
            room = limit - len(notable)
            newer = [item for item in self._evictions if item[0] > seq]
            newest = self._newest
        evictions: list[tuple[int, EventFields]] = newer[-room:] if room else []
        return sorted(notable + evictions), newest

    def _number_new_events(self) -> None:
        """Number what arrived since the last call, in order (lock held). Events that fell
        out of the bounded queues before this still count, so numbers show the gap."""
        first, dropped = 0, 0
        evictions: list[EvictionRecord] = []
        if self._journal is not None:
            first, evictions, total = self._journal.records_since(self._journaled)
            dropped = total - self._journaled - len(evictions)
            self._journaled = total
        arrived: list[tuple[int, int, CacheEvent]] = []
        with contextlib.suppress(IndexError):
            while True:
                arrived.append(self._pending.popleft())
        if arrived:
            arrived.sort(key=lambda item: item[0])
            dropped += arrived[-1][0] - self._arrived - len(arrived)
            self._arrived = arrived[-1][0]
        seq = self._newest + dropped
        done = 0  # evictions numbered so far
        for _, before, event in arrived:
            upto = min(len(evictions), max(done, before - first + 1))
            self._evictions.extend(zip(itertools.count(seq + 1), evictions[done:upto]))
            seq += upto - done + 1
            done = upto
            self._notable.append((seq, event))
        self._evictions.extend(zip(itertools.count(seq + 1), evictions[done:]))
        self._newest = seq + len(evictions) - done
