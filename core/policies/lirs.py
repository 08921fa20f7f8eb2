"""LIRS (Jiang and Zhang, SIGMETRICS'02): rank keys by reuse distance, not recency."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable, Iterator
from itertools import chain, islice
from typing import TypeVar

from ._base import ExpertPolicy

V = TypeVar("V")

HIR_FRACTION = 0.01
"""Share of the capacity for resident HIR keys (the paper's 1%)."""
NONRESIDENT_FACTOR = 3
"""At most this many times the capacity of evicted keys are remembered in the stack."""


class LIRSPolicy(ExpertPolicy[V]):
    """LIR keys (short reuse distance) fill 99% of the cache; HIR keys get a 1% queue.

    The stack S holds keys in recency order with an LIR key at its bottom; a HIR key hit
    while still in S has a shorter reuse distance than the bottom LIR key, so they swap.
    """

    name = "lirs"

    def __init__(self) -> None:
        super().__init__()
        self._stack: OrderedDict[Hashable, None] = OrderedDict()  # bottom first
        self._queue: OrderedDict[Hashable, None] = OrderedDict()  # resident HIR, victim first
        self._lir: set[Hashable] = set()
        self._nonresident: OrderedDict[Hashable, None] = OrderedDict()  # evicted, still in S

    def _lir_limit(self) -> int:
        if not self.capacity:
            return len(self._values)
        return self.capacity - max(1, int(self.capacity * HIR_FRACTION))

    def _prune(self) -> None:
        """Drop HIR keys from the stack's bottom until an LIR key is there."""
        stack, lir, nonresident = self._stack, self._lir, self._nonresident
        while stack:
            bottom = next(iter(stack))
            if bottom in lir:
                return
            del stack[bottom]
            nonresident.pop(bottom, None)

    def _demote_bottom(self) -> None:
        """The stack's bottom LIR key becomes a resident HIR key, at the queue's end."""
        self._prune()
        bottom, _ = self._stack.popitem(last=False)
        self._lir.remove(bottom)
        self._queue[bottom] = None
        self._prune()

    def record_access(self, key: Hashable) -> None:
        stack = self._stack
        if key in self._lir:
            # If the key was at the bottom, HIR keys are now below the lowest LIR key: they
            # are pruned before anything looks at the stack again (the same result).
            stack.move_to_end(key)
            return
        self._prune()
        if key in stack:  # a resident HIR key with a short reuse distance
            stack.move_to_end(key)
            del self._queue[key]
            self._lir.add(key)
            if len(self._lir) > self._lir_limit():
                self._demote_bottom()
        else:
            if self._lir:  # with no LIR key at all, the stack stays empty
                stack[key] = None
            self._queue.move_to_end(key)

    def touch_many(self, keys: Iterable[Hashable]) -> None:
        """``record_access`` for each key; when all are LIR keys (the common case), one C
        loop moving them to the stack's top."""
        lir, to_top = self._lir, self._stack.move_to_end
        if lir.issuperset(keys):
            deque(map(to_top, keys), 0)
            return
        touch = self.record_access
        for key in keys:
            if key in lir:
                to_top(key)
            else:
                touch(key)

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """``ResidentPolicy.replay`` with the LIR hit (the common case) inlined."""
        values, lir, to_top = self._values, self._lir, self._stack.move_to_end
        touch, insert, pop = self.record_access, self.insert_new, self.pop_victim
        hits = 0
        for key in keys:
            if key in values:
                hits += 1
                if key in lir:
                    to_top(key)
                else:
                    touch(key)
                continue
            insert(key, key)  # type: ignore[arg-type]  # a simulation: keys are the values
            if changed is not None:
                changed.append(key)
            if capacity:
                while len(values) > capacity:
                    dropped = pop()[0]
                    if changed is not None:
                        changed.append(dropped)
        return hits

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        stack = self._stack
        if stack and next(iter(stack)) not in self._lir:
            self._prune()
        if key in stack:  # evicted recently enough to be remembered: short reuse distance
            del self._nonresident[key]
            stack.move_to_end(key)
            self._lir.add(key)
            if len(self._lir) > self._lir_limit():
                self._demote_bottom()
        elif not self.capacity or len(self._lir) < self._lir_limit():
            stack[key] = None
            self._lir.add(key)
        else:
            if self._lir:
                stack[key] = None
            self._queue[key] = None
        nonresident = self._nonresident
        if len(nonresident) > NONRESIDENT_FACTOR * self.capacity and self.capacity:
            limit = NONRESIDENT_FACTOR * self.capacity
            while len(nonresident) > limit:
                del stack[nonresident.popitem(False)[0]]
        return value

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        if key in self._lir:
            self._lir.remove(key)
            del self._stack[key]
            self._prune()
        else:
            del self._queue[key]
            self._stack.pop(key, None)
        return value

    def pop_victim(self) -> tuple[Hashable, V]:
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        self._learn_capacity()
        stack, lir, queue = self._stack, self._lir, self._queue
        if stack and next(iter(stack)) not in lir:
            self._prune()
        if len(lir) > self._lir_limit() or not queue:
            while lir and (len(lir) > self._lir_limit() or not queue):
                self._demote_bottom()
        key = queue.popitem(False)[0]
        if key in stack:
            self._nonresident[key] = None
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        if not self._values:
            return None
        if self._queue:
            return self._values[next(iter(self._queue))]
        self._prune()
        return self._values[next(iter(self._stack))]

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        lir = self._lir
        keys = chain((k for k in reversed(self._stack) if k in lir), reversed(self._queue))
        values = self._values
        return islice((values[k] for k in keys), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        for part in (self._values, self._stack, self._queue, self._lir, self._nonresident):
            part.clear()
