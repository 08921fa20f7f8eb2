"""LIRS (Jiang and Zhang, SIGMETRICS'02): rank keys by reuse distance, not recency."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from itertools import chain, islice
from typing import Final, TypeVar, cast

from ._base import ExpertPolicy
from ._links import DList, Link

V = TypeVar("V")

HIR_FRACTION: Final = 0.01
"""Share of the capacity for resident HIR keys (the paper's 1%)."""
NONRESIDENT_FACTOR: Final = 3
"""At most this many times the capacity of evicted keys are remembered in the stack."""
SPARE_NODES: Final = 64
"""Forgotten nodes kept for new keys (allocating two objects per miss costs more)."""


class _Key(Link):
    """A key in the stack S (through this link's own prev/next) and, through its second
    pair of links, in the queue Q (a resident HIR key) or in the non-resident order (an
    evicted key still in S): one object per key, so one allocation and one object for
    the garbage collector to visit."""

    def __init__(self, key: Hashable) -> None:
        super().__init__()
        self.key: Hashable = key
        self.lir = False
        self.resident = True
        self.qprev: _Key = self
        self.qnext: _Key = self


class _KeyQueue:
    """``DList`` through the keys' second pair of links (Q, or the non-resident order)."""

    def __init__(self) -> None:
        self.head = _Key(None)
        self.size = 0

    def push(self, node: _Key) -> None:
        head = self.head
        last = head.qprev
        node.qprev = last
        node.qnext = head
        last.qnext = node
        head.qprev = node
        self.size += 1

    def unlink(self, node: _Key) -> None:
        before = node.qprev
        after = node.qnext
        before.qnext = after
        after.qprev = before
        node.qprev = node
        node.qnext = node
        self.size -= 1

    def move_to_back(self, node: _Key) -> None:
        self.unlink(node)
        self.push(node)

    def front(self) -> _Key:
        return self.head.qnext

    def pop_front(self) -> _Key:
        node = self.head.qnext
        self.unlink(node)
        return node

    def newest_first(self) -> Iterator[_Key]:
        head = self.head
        node = head.qprev
        while node is not head:
            preceding = node.qprev
            yield node
            node = preceding

    def clear(self) -> None:
        self.head.qprev = self.head
        self.head.qnext = self.head
        self.size = 0


class LIRSPolicy(ExpertPolicy[V]):
    """LIR keys (short reuse distance) fill 99% of the cache; HIR keys get a 1% queue.

    The stack S holds keys in recency order with an LIR key at its bottom; a HIR key hit
    while still in S has a shorter reuse distance than the bottom LIR key, so they swap.
    Each key has one node (found by one dict lookup): S, Q and the non-resident order are
    linked lists through it.
    """

    name = "lirs"

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[Hashable, _Key] = {}  # every key resident or in S
        self._stack = DList()  # S, bottom first
        self._queue = _KeyQueue()  # resident HIR keys, victim first
        self._nonresident = _KeyQueue()  # evicted keys still in S, oldest first
        self._spare: list[_Key] = []  # forgotten nodes, reused for new keys
        self._lir_count = 0
        self._limit_capacity = -1
        self._limit = 0

    def _forget(self, node: _Key) -> None:
        """``node`` (in no list) is neither resident nor in S: drop it, keep it for reuse."""
        del self._keys[node.key]
        node.key = None
        node.lir = False
        if len(self._spare) < SPARE_NODES:
            self._spare.append(node)

    def _lir_limit(self) -> int:
        capacity = self.capacity
        if not capacity:
            return len(self._values)
        if capacity != self._limit_capacity:
            self._limit_capacity = capacity
            self._limit = capacity - max(1, int(capacity * HIR_FRACTION))
        return self._limit

    def _prune(self) -> None:
        """Drop HIR keys from the stack's bottom until an LIR key is there."""
        stack = self._stack
        head = stack.head
        link = head.next
        while link is not head:
            node = cast(_Key, link)
            if node.lir:
                return
            stack.unlink(node)
            if not node.resident:  # forgotten: in neither S nor Q
                self._nonresident.unlink(node)
                self._forget(node)
            link = head.next

    def _demote_bottom(self) -> None:
        """The stack's bottom LIR key becomes a resident HIR key, at the queue's end."""
        self._prune()
        node = cast(_Key, self._stack.pop_front())
        node.lir = False
        self._lir_count -= 1
        self._queue.push(node)
        self._prune()

    def record_access(self, key: Hashable) -> None:
        node = self._keys[key]
        if node.lir:
            # If the key was at the bottom, HIR keys are now below the lowest LIR key: they
            # are pruned before anything looks at the stack again (the same result).
            self._stack.move_to_back(node)
            return
        self._hit_hir(node)

    def _hit_hir(self, node: _Key) -> None:
        self._prune()
        if node.linked():  # a resident HIR key still in S: a short reuse distance
            self._stack.move_to_back(node)
            self._queue.unlink(node)
            node.lir = True
            self._lir_count += 1
            if self._lir_count > self._lir_limit():
                self._demote_bottom()
        else:
            if self._lir_count:  # with no LIR key at all, the stack stays empty
                self._stack.push(node)
            self._queue.move_to_back(node)

    def touch_many(self, keys: Iterable[Hashable]) -> None:
        """``record_access`` for each key."""
        nodes, stack = self._keys, self._stack
        for key in keys:
            node = nodes[key]
            if node.lir:
                stack.move_to_back(node)
            else:
                self._hit_hir(node)

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """``ResidentPolicy.replay`` with the hit inlined."""
        nodes, stack = self._keys, self._stack
        hits = 0
        for key in keys:
            node = nodes.get(key)
            if node is not None and node.resident:
                hits += 1
                if node.lir:
                    stack.move_to_back(node)
                else:
                    self._hit_hir(node)
                continue
            self._replay_miss(key, capacity, changed)
        return hits

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        stack = self._stack
        bottom = stack.head.next
        if bottom is not stack.head and not cast(_Key, bottom).lir:
            self._prune()
        node = self._keys.get(key)
        if node is not None:  # evicted recently enough to be in S: short reuse distance
            self._nonresident.unlink(node)
            node.resident = True
            stack.move_to_back(node)
            node.lir = True
            self._lir_count += 1
            if self._lir_count > self._lir_limit():
                self._demote_bottom()
        else:
            spare = self._spare
            if spare:
                node = spare.pop()
                node.key = key
                node.resident = True
            else:
                node = _Key(key)
            self._keys[key] = node
            if not self.capacity or self._lir_count < self._lir_limit():
                stack.push(node)
                node.lir = True
                self._lir_count += 1
            else:
                if self._lir_count:
                    stack.push(node)
                self._queue.push(node)
        capacity = self.capacity
        nonresident = self._nonresident
        if capacity and nonresident.size > NONRESIDENT_FACTOR * capacity:
            limit = NONRESIDENT_FACTOR * capacity
            while nonresident.size > limit:
                oldest = nonresident.pop_front()
                stack.unlink(oldest)
                self._forget(oldest)
        return value

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        node = self._keys[key]
        if node.lir:
            node.lir = False
            self._lir_count -= 1
            self._stack.unlink(node)
            self._prune()
        else:
            self._queue.unlink(node)
            if node.linked():
                self._stack.unlink(node)
        self._forget(node)
        return value

    def pop_victim(self) -> tuple[Hashable, V]:
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        self._learn_capacity()
        stack, queue = self._stack, self._queue
        bottom = stack.head.next
        if bottom is not stack.head and not cast(_Key, bottom).lir:
            self._prune()
        if self._lir_count > self._lir_limit() or not queue.size:
            while self._lir_count and (self._lir_count > self._lir_limit() or not queue.size):
                self._demote_bottom()
        node = queue.pop_front()
        key = node.key
        node.resident = False
        if node.linked():
            self._nonresident.push(node)
        else:
            self._forget(node)
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        if not self._values:
            return None
        if self._queue.size:
            return self._values[self._queue.front().key]
        self._prune()
        return self._values[cast(_Key, self._stack.front()).key]

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        values = self._values
        lir = (cast(_Key, link).key for link in self._stack.newest_first() if cast(_Key, link).lir)
        queued = (node.key for node in self._queue.newest_first())
        keys = chain(lir, queued)
        return islice((values[k] for k in keys), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        self._values.clear()
        self._keys.clear()
        for part in (self._stack, self._queue, self._nonresident):
            part.clear()
        self._lir_count = 0
