"""W-TinyLFU (Einziger, Friedman and Manes, 2017): Caffeine's policy, with a fixed window."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator
from itertools import chain, islice
from typing import TypeVar

from ._base import ExpertPolicy

V = TypeVar("V")

MAX_COUNT = 15
"""Counts saturate here, like the 4-bit counters of Caffeine's sketch."""
SAMPLE_FACTOR = 10
"""Counts are halved each time this many times the capacity accesses were counted."""
PROTECTED_FRACTION = 0.8


class FrequencyCounter:
    """Recent access counts: exact, saturating at 15, halved every ``10 x capacity`` counts.

    TinyLFU's count-min sketch trades a little accuracy for memory; in Python a dict is
    both more accurate and much faster than four hashed counters. Halving drops keys whose
    count reaches 0, so at most ``10 x capacity`` keys are tracked.
    """

    def __init__(self) -> None:
        self.counts: dict[Hashable, int] = {}
        self.added = 0
        self.period = 0  # 0 until a capacity is known: never halve

    def add(self, key: Hashable) -> None:
        counts = self.counts
        count = counts.get(key, 0)
        if count < MAX_COUNT:
            counts[key] = count + 1
        self.added += 1
        if self.added >= self.period > 0:
            self.halve()

    def halve(self) -> None:
        self.counts = {k: c >> 1 for k, c in self.counts.items() if c > 1}
        self.added >>= 1

    def clear(self) -> None:
        self.counts.clear()
        self.added = 0


class WTinyLFUPolicy(ExpertPolicy[V]):
    """A small LRU window admits every new key; a key leaving the window enters the main
    SLRU only if it was accessed more often recently than the key it would displace.

    Caffeine also moves the window's share by hill climbing on the hit ratio. Tried here
    (sampling every ten capacities of requests), it improved none of the 15 points of the
    shared traces by more than 0.1 and lost 1.5 on sprite@250, so the share stays fixed.

    Args:
        window: The window's share of the capacity (Caffeine's 1%).
    """

    name = "wtinylfu"

    def __init__(self, window: float = 0.01) -> None:
        super().__init__()
        self._window: OrderedDict[Hashable, None] = OrderedDict()
        self._probation: OrderedDict[Hashable, None] = OrderedDict()
        self._protected: OrderedDict[Hashable, None] = OrderedDict()
        self._segment: dict[Hashable, OrderedDict[Hashable, None]] = {}
        self.frequency = FrequencyCounter()
        self.window_share = window

    def record_access(self, key: Hashable) -> None:
        frequency = self.frequency
        counts = frequency.counts
        count = counts.get(key, 0)
        if count < MAX_COUNT:
            counts[key] = count + 1
        frequency.added += 1
        if frequency.added >= frequency.period > 0:
            frequency.halve()
        segment = self._segment[key]
        if segment is self._probation:
            del segment[key]
            protected = self._protected
            protected[key] = None
            self._segment[key] = protected
            if len(protected) > PROTECTED_FRACTION * self._main_limit():
                demoted, _ = protected.popitem(last=False)
                self._probation[demoted] = None
                self._segment[demoted] = self._probation
        else:
            segment.move_to_end(key)

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """``ResidentPolicy.replay`` with a hit in the window or the protected segment
        inlined."""
        values, segment_of, probation = self._values, self._segment, self._probation
        frequency = self.frequency
        touch, insert, pop = self.record_access, self.insert_new, self.pop_victim
        hits = 0
        for key in keys:
            if key in values:
                hits += 1
                segment = segment_of[key]
                if segment is probation:
                    touch(key)
                    continue
                counts = frequency.counts
                count = counts.get(key, 0)
                if count < MAX_COUNT:
                    counts[key] = count + 1
                frequency.added += 1
                if frequency.added >= frequency.period > 0:
                    frequency.halve()
                segment.move_to_end(key)
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
        self.frequency.add(key)
        self._window[key] = None
        self._segment[key] = self._window
        return value

    def _window_limit(self) -> int:
        return int(self.capacity * self.window_share)

    def _main_limit(self) -> int:
        return max(0, (self.capacity or len(self._values)) - self._window_limit())

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        del self._segment.pop(key)[key]
        return value

    def _choose(self, capacity: int) -> tuple[Hashable, Hashable | None]:
        """``(victim, admitted)``: the key to evict, and a window key to move into main."""
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        window, probation, protected = self._window, self._probation, self._protected
        window_limit = int(capacity * self.window_share)
        main_limit = capacity - window_limit
        # The cache's first eviction, or a larger window share: spill the window into main.
        while len(window) > window_limit and len(probation) + len(protected) < main_limit:
            key, _ = window.popitem(last=False)
            probation[key] = None
            self._segment[key] = probation
        main = probation or protected
        if len(window) > window_limit or not main:
            candidate = next(iter(window))
            if not main:
                return candidate, None
            resident = next(iter(main))
            counts = self.frequency.counts
            if counts.get(candidate, 0) > counts.get(resident, 0):
                return resident, candidate
            return candidate, None
        return next(iter(main)), None

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        self.frequency.period = SAMPLE_FACTOR * max(1, self.capacity)
        key, admitted = self._choose(self.capacity)
        del self._segment.pop(key)[key]
        if admitted is not None:
            del self._window[admitted]
            self._probation[admitted] = None
            self._segment[admitted] = self._probation
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        """The next victim, for the capacity ``pop_victim`` would learn now."""
        return self._values[self._choose(len(self._values) - 1)[0]] if self._values else None

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        keys = chain(reversed(self._protected), reversed(self._window), reversed(self._probation))
        values = self._values
        return islice((values[k] for k in keys), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        for part in (self._values, self._window, self._probation, self._protected, self._segment):
            part.clear()
        self.frequency.clear()
