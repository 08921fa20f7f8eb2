"""Least frequently used, ties broken by recency (O(1) frequency buckets)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from itertools import islice
from typing import TypeVar

from ._base import ResidentPolicy

V = TypeVar("V")


class LFUPolicy(ResidentPolicy[V]):
    """Evict the resident key read fewest times since it was inserted; among those, the one
    used longest ago. Counts start at 1 on insert and are forgotten on eviction."""

    name = "lfu"

    def __init__(self) -> None:
        super().__init__()
        self._count: dict[Hashable, int] = {}
        self._buckets: dict[int, dict[Hashable, None]] = {}  # count -> keys, LRU first
        self._least = 1  # at most the smallest count present

    def record_access(self, key: Hashable) -> None:
        count = self._count[key]
        bucket = self._buckets[count]
        del bucket[key]
        if not bucket:
            del self._buckets[count]
        self._count[key] = count + 1
        self._buckets.setdefault(count + 1, {})[key] = None

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is value:
            self._count[key] = 1
            self._buckets.setdefault(1, {})[key] = None
            self._least = 1
        return old

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        count = self._count.pop(key)
        bucket = self._buckets[count]
        del bucket[key]
        if not bucket:
            del self._buckets[count]
        return value

    def _least_bucket(self) -> dict[Hashable, None]:
        if not self._buckets:
            raise KeyError("pop_victim(): the policy holds nothing")
        while self._least not in self._buckets:
            self._least += 1
        return self._buckets[self._least]

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        bucket = self._least_bucket()
        key = next(iter(bucket))
        return key, self.remove(key)

    def victim(self) -> V | None:
        if not self._values:
            return None
        return self._values[next(iter(self._least_bucket()))]

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        def walk() -> Iterator[V]:
            for count in sorted(self._buckets, reverse=True):
                for key in reversed(self._buckets[count]):
                    yield self._values[key]

        return islice(walk(), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        self._values.clear()
        self._count.clear()
        self._buckets.clear()
        self._least = 1
