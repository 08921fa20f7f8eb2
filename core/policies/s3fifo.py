"""S3-FIFO (Yang et al., SOSP'23): a small FIFO filters one-hit wonders from a main FIFO."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from itertools import chain, islice
from typing import Final, TypeVar, cast

from ._base import ExpertPolicy
from ._links import DList, Link

V = TypeVar("V")

SMALL_FRACTION: Final = 0.1
MAX_FREQUENCY: Final = 3
SPARE_LIMIT: Final = 64
"""Nodes of forgotten keys kept for reuse. A node out of every list points at itself, so
a dropped one waits for the cyclic garbage collector, which then runs often under a
stream of misses; reusing nodes avoids that and the allocation."""

_SMALL: Final = 0
_MAIN: Final = 1
_GHOST: Final = 2


class _Entry(Link):
    """A key in one of the three queues, with its 2-bit access count."""

    def __init__(self) -> None:
        super().__init__()
        self.key: Hashable = None
        self.freq = 0
        self.queue: int = _SMALL


class S3FIFOPolicy(ExpertPolicy[V]):
    """New keys enter the small queue (10%); leaving it, a key read there moves to the main
    queue, others are evicted and remembered in a ghost queue. A ghost key comes back
    straight into main. Main is a FIFO that reinserts keys read since their last pass,
    with a 2-bit count.

    Each key (resident or ghost) has one node, found by one dict lookup; the queues are
    linked lists through the nodes.
    """

    name = "s3fifo"

    def __init__(self) -> None:
        super().__init__()
        self._entries: dict[Hashable, _Entry] = {}  # resident and ghost keys
        self._small = DList()
        self._main = DList()
        self._ghost = DList()  # evicted from small, oldest first
        self._spares = DList()  # nodes of forgotten keys, for reuse
        self._fresh = _Entry()  # the next new key's node, out of every list
        self._sized_for = -1  # the capacity the two targets below were computed for
        self._small_target = 1
        self._ghost_limit = 1

    def _size(self) -> None:
        """Recompute the queue targets after the capacity changed (not per request)."""
        capacity = self.capacity
        self._sized_for = capacity
        self._small_target = max(1, int(capacity * SMALL_FRACTION))
        self._ghost_limit = max(1, capacity - self._small_target)

    def record_access(self, key: Hashable) -> None:
        entry = self._entries[key]
        if entry.freq < MAX_FREQUENCY:
            entry.freq += 1

    def touch_many(self, keys: Iterable[Hashable]) -> None:
        """``record_access`` for each key, inlined."""
        entries = self._entries
        for key in keys:
            entry = entries[key]
            if entry.freq < MAX_FREQUENCY:
                entry.freq += 1

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """``ResidentPolicy.replay`` with the hit (a count bump) inlined."""
        entries = self._entries
        hits = 0
        for key in keys:
            entry = entries.get(key)
            if entry is not None and entry.queue != _GHOST:
                hits += 1
                if entry.freq < MAX_FREQUENCY:
                    entry.freq += 1
                continue
            self._values[key] = key  # type: ignore[assignment]  # a simulation: keys are the values
            if entry is None:
                fresh = self._fresh
                entries[key] = fresh
                self._queue_new(key, fresh)
            else:
                self._readmit(entry)
            if changed is not None:
                changed.append(key)
            if capacity:
                while len(self._values) > capacity:
                    dropped = self._evict()
                    del self._values[dropped]
                    if changed is not None:
                        changed.append(dropped)
        return hits

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        fresh = self._fresh
        entry = self._entries.setdefault(key, fresh)  # one lookup: a ghost's node, or fresh
        if entry is fresh:
            self._queue_new(key, fresh)
        elif entry.queue == _GHOST:
            self._readmit(entry)
        # else: resident, and ``value`` is the very value it holds: nothing changes
        return value

    def _queue_new(self, key: Hashable, fresh: _Entry) -> None:
        """Put ``self._fresh`` (now ``key``'s node in the dict) in small; ready the next."""
        fresh.key = key
        self._small.push(fresh)
        spares = self._spares
        self._fresh = cast(_Entry, spares.pop_front()) if spares.size else _Entry()

    def _readmit(self, ghost: _Entry) -> None:
        """A ghost key is resident again: straight into main."""
        self._ghost.unlink(ghost)
        ghost.freq = 0
        ghost.queue = _MAIN
        self._main.push(ghost)

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        entry = self._entries.pop(key)
        if entry.queue == _SMALL:
            self._small.unlink(entry)
        else:
            self._main.unlink(entry)
        self._keep_spare(entry)
        return value

    def _settle(self) -> _Entry:
        """Promote and reinsert until the front of small or main is the victim; return it."""
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        if self.capacity != self._sized_for:
            self._size()
        small, main = self._small, self._main
        small_target = self._small_target
        while True:
            if small.size and (small.size > small_target or not main.size):
                entry = cast(_Entry, small.head.next)
                if not entry.freq:
                    return entry
                small.unlink(entry)
                entry.freq = 0
                entry.queue = _MAIN
                main.push(entry)
            else:
                if not main.size:
                    raise KeyError("pop_victim(): the policy holds none of the resident keys")
                entry = cast(_Entry, main.head.next)
                if not entry.freq:
                    return entry
                entry.freq -= 1
                main.move_to_back(entry)

    def pop_victim(self) -> tuple[Hashable, V]:
        key = self._evict()
        values = self._values
        value = values[key]
        del values[key]  # compiled: two C calls, where ``pop`` is a call by name
        return key, value

    def _evict(self) -> Hashable:
        """Take the victim out of the queues (its value stays); return its key."""
        self._learn_capacity()
        entry = self._settle()
        key = entry.key
        if entry.queue == _SMALL:
            self._small.unlink(entry)
            entry.queue = _GHOST
            ghost = self._ghost
            ghost.push(entry)
            if ghost.size > self._ghost_limit:
                limit = self._ghost_limit
                while ghost.size > limit:
                    self._forget(cast(_Entry, ghost.pop_front()))
        else:
            self._main.unlink(entry)
            self._forget(entry)
        return key

    def _forget(self, entry: _Entry) -> None:
        """Drop an unlinked node's key; keep the node for reuse."""
        del self._entries[entry.key]
        self._keep_spare(entry)

    def _keep_spare(self, entry: _Entry) -> None:
        spares = self._spares
        if spares.size < SPARE_LIMIT:
            entry.key = None  # not to keep the key alive
            entry.freq = 0
            entry.queue = _SMALL
            spares.push(entry)

    def victim(self) -> V | None:
        """The next victim; promotes and reinserts keys on the way, as the eviction would."""
        return self._values[self._settle().key] if self._values else None

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        links = chain(self._main.newest_first(), self._small.newest_first())
        values = self._values
        keys = (cast(_Entry, link).key for link in links)
        return islice((values[k] for k in keys), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        self._values.clear()
        self._entries.clear()
        for queue in (self._small, self._main, self._ghost, self._spares):
            queue.clear()
