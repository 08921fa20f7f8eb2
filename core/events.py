"""Cache events for listeners, a bounded log of recent ones, and eviction journals."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from itertools import islice
from typing import Literal, NamedTuple

EventKind = Literal["put", "evict", "invalidate", "clear", "load_error", "file_changed"]
ALL_EVENT_KINDS: frozenset[str] = frozenset(
    ("put", "evict", "invalidate", "clear", "load_error", "file_changed")
)
"""Every kind of event."""


class CacheEvent(NamedTuple):
    """Something that changed the cache, or a load that failed (immutable; a NamedTuple
    because a frozen dataclass costs three times as much to build, once per eviction).

    ``reason`` says why: ``size`` or ``memory`` for evictions, ``invalidated``,
    ``file changed`` or ``manual`` for invalidations, the error text for load errors.
    """

    kind: EventKind
    path: str
    context: Hashable = ""
    reason: str = ""
    size_bytes: int = 0
    timestamp: float = 0.0


Listener = Callable[[CacheEvent], None]


class EventLog:
    """A bounded, thread-safe record of recent events; register ``log.record`` as a listener."""

    def __init__(self, maxlen: int = 200, kinds: frozenset[EventKind] | None = None) -> None:
        self._events: deque[CacheEvent] = deque(maxlen=maxlen)
        self._kinds = kinds
        self._lock = threading.Lock()
        self._version = 0

    def record(self, event: CacheEvent) -> None:
        """Keep ``event`` if its kind is one this log wants."""
        if self._kinds is not None and event.kind not in self._kinds:
            return
        with self._lock:
            self._events.append(event)
            self._version += 1

    @property
    def version(self) -> int:
        """Changes whenever an event is recorded."""
        return self._version

    def recent(self, limit: int | None = None) -> tuple[CacheEvent, ...]:
        """Newest first."""
        with self._lock:
            items = list(self._events)
        items.reverse()
        return tuple(items if limit is None else items[:limit])

    def clear(self) -> None:
        """Forget every event."""
        with self._lock:
            self._events.clear()
            self._version += 1


EvictionRecord = tuple[str, str, Hashable, str, int, float]
"""An eviction as a journal keeps it: the fields of its CacheEvent, in order."""


class EvictionJournal:
    """The newest evictions of one cache, numbered from 1, for a reader that polls.

    The cache appends a plain tuple per eviction while it holds its lock, and the
    ``CacheEvent`` is built only when the journal is read: a small fraction of what an
    ``evict`` listener costs, which builds and delivers an event on the application's
    thread for every eviction. Open one with ``ComponentCache.eviction_journal()``;
    ``close()`` it when done.

    Args:
        maxlen: How many of the newest evictions are kept.
        lock: The lock the writer holds while it calls ``record``.
        on_close: Called once, under ``lock``, when the journal is closed.
    """

    def __init__(
        self,
        maxlen: int,
        lock: threading.Lock,
        on_close: Callable[[EvictionJournal], None] | None = None,
    ) -> None:
        if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
            raise ValueError(f"maxlen must be a whole number of at least 1, not {maxlen!r}")
        self.maxlen = maxlen
        self._records: deque[EvictionRecord] = deque(maxlen=maxlen)
        self._total = 0
        self._lock = lock
        self._on_close = on_close
        self._closed = False

    def record(self, record: EvictionRecord) -> None:
        """Keep one eviction (the writer holds ``lock``)."""
        self._records.append(record)
        self._total += 1

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    @property
    def total(self) -> int:
        """Evictions since the journal was opened (until it was closed)."""
        return self._total

    def records_since(self, ordinal: int) -> tuple[int, list[EvictionRecord], int]:
        """``(first, records, total)``: the kept evictions numbered above ``ordinal``,
        oldest first, the first one numbered ``first``; and ``total``.

        Records are plain tuples in ``CacheEvent``'s field order; see ``events_since``.
        """
        with self._lock:
            total = self._total
            kept = len(self._records)
            first = total - kept + 1
            skip = min(kept, max(0, ordinal - first + 1))
            records = list(islice(self._records, skip, None))
        return first + skip, records, total

    def events_since(self, ordinal: int) -> tuple[list[tuple[int, CacheEvent]], int]:
        """The kept evictions numbered above ``ordinal`` as numbered events, and ``total``."""
        first, records, total = self.records_since(ordinal)
        return [(n, CacheEvent._make(r)) for n, r in enumerate(records, start=first)], total

    def close(self) -> None:
        """Stop recording and forget the records; ``total`` stays (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._records.clear()
            if self._on_close is not None:
                self._on_close(self)

    def __enter__(self) -> EvictionJournal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
