"""SIEVE (Zhang et al., NSDI'24): a FIFO queue and a hand that spares visited keys once."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from itertools import islice
from typing import TypeVar

from ._base import ResidentPolicy

V = TypeVar("V")


class SIEVEPolicy(ResidentPolicy[V]):
    """New keys enter at the head; the hand walks from the tail towards the head, clearing
    visited marks, and evicts the first unvisited key. Survivors keep their place."""

    name = "sieve"

    def __init__(self) -> None:
        super().__init__()
        # A doubly linked queue over keys: newer[k] is towards the head, older[k] the tail.
        self._newer: dict[Hashable, Hashable] = {}
        self._older: dict[Hashable, Hashable] = {}
        self._head: Hashable = _NONE
        self._tail: Hashable = _NONE
        self._hand: Hashable = _NONE
        self._visited: set[Hashable] = set()
        self.record_access = self._visited.add

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is value:
            head = self._head
            self._older[key] = head
            self._newer[key] = _NONE
            if head is _NONE:
                self._tail = key
            else:
                self._newer[head] = key
            self._head = key
        return old

    def _unlink(self, key: Hashable) -> None:
        newer = self._newer.pop(key)
        older = self._older.pop(key)
        if newer is _NONE:
            self._head = older
        else:
            self._older[newer] = older
        if older is _NONE:
            self._tail = newer
        else:
            self._newer[older] = newer
        if self._hand == key:
            self._hand = newer
        self._visited.discard(key)

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        self._unlink(key)
        return value

    def _sweep(self) -> Hashable:
        """Move the hand to the next unvisited key, clearing marks on the way."""
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        hand = self._tail if self._hand is _NONE else self._hand
        visited = self._visited
        while hand in visited:
            visited.discard(hand)
            hand = self._newer[hand]
            if hand is _NONE:
                hand = self._tail
        self._hand = hand
        return hand

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        key = self._sweep()
        return key, self.remove(key)

    def victim(self) -> V | None:
        """The next victim; clears the marks the hand passes, as the eviction would."""
        return self._values[self._sweep()] if self._values else None

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        def walk() -> Iterator[V]:
            key = self._head
            while key is not _NONE:
                yield self._values[key]
                key = self._older[key]

        return islice(walk(), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        self._values.clear()
        self._newer.clear()
        self._older.clear()
        self._visited.clear()
        self._head = self._tail = self._hand = _NONE


class _Absent:
    """The end of the queue; a key can be anything hashable, None included."""

    def __repr__(self) -> str:
        return "<none>"


_NONE: Hashable = _Absent()
