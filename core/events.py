"""Cache events for listeners, and a bounded log of recent ones."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
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
