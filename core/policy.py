"""Eviction policies. The cache asks its policy which key to drop; LRU is the default."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from itertools import islice
from typing import Protocol


class EvictionPolicy(Protocol):
    """Keeps the order in which keys should be evicted.

    The cache calls these under its own lock, so a policy needs no locking of its own,
    and it never sees sizes, stats or content: those stay with the cache.
    """

    name: str

    def record_insert(self, key: Hashable) -> None:
        """A new key entered the cache."""

    def record_access(self, key: Hashable) -> None:
        """An existing key was read (a hit)."""

    def record_remove(self, key: Hashable) -> None:
        """A key left the cache for any reason."""

    def victim(self) -> Hashable | None:
        """The key to evict next, or None when empty."""

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[Hashable]:
        """Keys from the most to the least protected (MRU to LRU for LRU)."""

    def clear(self) -> None:
        """Forget every key."""


class LRUPolicy:
    """Least recently used: evict the key read or written longest ago."""

    name = "lru"

    def __init__(self) -> None:
        self._order: OrderedDict[Hashable, None] = OrderedDict()
        # Bound methods: the hit path calls this once per request.
        self.record_access = self._order.move_to_end

    def record_insert(self, key: Hashable) -> None:
        self._order[key] = None

    def record_remove(self, key: Hashable) -> None:
        del self._order[key]

    def victim(self) -> Hashable | None:
        return next(iter(self._order), None)

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[Hashable]:
        stop = None if limit is None else offset + limit
        return islice(reversed(self._order), offset, stop)

    def clear(self) -> None:
        self._order.clear()

    def __len__(self) -> int:
        return len(self._order)
