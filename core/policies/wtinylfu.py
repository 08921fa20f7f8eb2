"""W-TinyLFU (Einziger, Friedman and Manes, 2017): Caffeine's policy, with a fixed window."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from itertools import islice
from typing import Final, TypeVar, cast

from ._base import ExpertPolicy
from ._links import DList, Link

V = TypeVar("V")

MAX_COUNT: Final = 15
"""Counts saturate here, like the 4-bit counters of Caffeine's sketch."""
SAMPLE_FACTOR: Final = 10
"""Counts are halved each time this many times the capacity accesses were counted."""
PROTECTED_FRACTION: Final = 0.8


class _Key(Link):
    """A key with a recent count: in a segment (as this link) while resident; after its
    eviction it stays, unlinked, until halving brings its count to 0."""

    def __init__(self, key: Hashable, segment: DList) -> None:
        super().__init__()
        self.key = key
        self.count = 1
        self.segment = segment  # while linked: the segment it is in


class FrequencyCounter:
    """Recent access counts: exact, saturating at 15, halved every ``10 x capacity`` counts.

    TinyLFU's count-min sketch trades a little accuracy for memory; in Python a dict is
    both more accurate and much faster than four hashed counters. The counts live on the
    policy's nodes, so one lookup finds a key's node and its count; halving drops the
    evicted keys whose count reaches 0, so at most ``10 x capacity`` keys are tracked.
    """

    def __init__(self, nodes: dict[Hashable, _Key]) -> None:
        self.nodes = nodes  # the policy's, never replaced
        self.spare: list[_Key] = []  # forgotten nodes, for new keys: fewer allocations
        self.added = 0
        self.period = 0  # 0 until a capacity is known: never halve

    @property
    def counts(self) -> dict[Hashable, int]:
        """Every key's count but zeros, resident or not (a new dict)."""
        return {key: node.count for key, node in self.nodes.items() if node.count}

    def halve(self) -> None:
        nodes = self.nodes
        forgotten: list[_Key] = []
        for node in nodes.values():
            count = node.count >> 1
            node.count = count
            if not count and not node.linked():
                forgotten.append(node)
        for node in forgotten:
            self.forget(node)
        self.added >>= 1

    def forget(self, node: _Key) -> None:
        """Drop an evicted key whose count is 0; its node becomes a spare."""
        del self.nodes[node.key]
        node.key = None
        self.spare.append(node)

    def clear(self) -> None:
        """Forget the counts (the nodes are the policy's to clear)."""
        self.added = 0
        self.spare.clear()


class WTinyLFUPolicy(ExpertPolicy[V]):
    """A small LRU window admits every new key; a key leaving the window enters the main
    SLRU only if it was accessed more often recently than the key it would displace.

    Caffeine also moves the window's share by hill climbing on the hit ratio. Tried here
    (sampling every ten capacities of requests), it improved none of the 15 points of the
    shared traces by more than 0.1 and lost 1.5 on sprite@250, so the share stays fixed.

    Each resident key has one node, found by one dict lookup; the window and the main
    SLRU's probation and protected segments are linked lists of those nodes.

    Args:
        window: The window's share of the capacity (Caffeine's 1%).
    """

    name = "wtinylfu"

    def __init__(self, window: float = 0.01) -> None:
        super().__init__()
        self._nodes: dict[Hashable, _Key] = {}
        self._window = DList()
        self._probation = DList()
        self._protected = DList()
        self.frequency = FrequencyCounter(self._nodes)
        self.window_share = window
        # The segments' sizes for one capacity and window share, computed when either changes.
        self._limits_capacity = -1
        self._limits_share = window
        self._window_limit = 0
        self._main_limit = 0
        self._protected_limit = 0

    def _set_limits(self, capacity: int) -> None:
        share = self.window_share
        window_limit = int(capacity * share)
        self._limits_capacity = capacity
        self._limits_share = share
        self._window_limit = window_limit
        self._main_limit = capacity - window_limit
        # ``count > PROTECTED_FRACTION * main`` is ``count > int(PROTECTED_FRACTION * main)``
        # for an integer count: the float product is taken once per capacity.
        self._protected_limit = int(PROTECTED_FRACTION * max(0, capacity - window_limit))

    def _protected_room(self) -> int:
        """The most keys the protected segment holds."""
        capacity = self.capacity
        if not capacity:  # before the first eviction, main is every resident key
            return int(PROTECTED_FRACTION * len(self._values))
        if capacity != self._limits_capacity or self.window_share != self._limits_share:
            self._set_limits(capacity)
        return self._protected_limit

    def _hit(self, node: _Key) -> None:
        count = node.count
        if count < MAX_COUNT:
            node.count = count + 1
        frequency = self.frequency
        frequency.added += 1
        if frequency.added >= frequency.period > 0:
            frequency.halve()
        segment = node.segment
        if segment is self._probation:
            segment.unlink(node)
            protected = self._protected
            protected.push(node)
            node.segment = protected
            if protected.size > self._protected_room():
                demoted = cast(_Key, protected.pop_front())
                segment.push(demoted)
                demoted.segment = segment
        else:
            segment.move_to_back(node)

    def record_access(self, key: Hashable) -> None:
        node = self._nodes[key]
        if not node.linked():  # evicted: only its count is left
            raise KeyError(key)
        self._hit(node)

    def touch_many(self, keys: Iterable[Hashable]) -> None:
        """``record_access`` for each key."""
        nodes = self._nodes
        for key in keys:
            node = nodes[key]
            if not node.linked():
                raise KeyError(key)
            self._hit(node)

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """``ResidentPolicy.replay`` with the hit inlined."""
        nodes = self._nodes
        hits = 0
        for key in keys:
            node = nodes.get(key)
            if node is not None and node.linked():
                hits += 1
                self._hit(node)
                continue
            self._replay_miss(key, capacity, changed)
        return hits

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        window = self._window
        node = self._nodes.get(key)
        if node is None:
            spare = self.frequency.spare
            if spare:
                node = spare.pop()
                node.key = key
                node.count = 1
                node.segment = window
            else:
                node = _Key(key, window)
            self._nodes[key] = node
        else:  # evicted, and requested again before its count fell to 0
            count = node.count
            if count < MAX_COUNT:
                node.count = count + 1
            node.segment = window
        window.push(node)
        frequency = self.frequency
        frequency.added += 1
        if frequency.added >= frequency.period > 0:
            frequency.halve()
        return value

    def _evict(self, node: _Key) -> None:
        """Take a resident key's node out of its segment; its count stays (if not 0)."""
        node.segment.unlink(node)
        if not node.count:
            self.frequency.forget(node)

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        self._evict(self._nodes[key])
        return value

    def _choose(self, capacity: int) -> tuple[_Key, _Key | None]:
        """``(victim, admitted)``: the key to evict, and a window key to move into main."""
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        if capacity != self._limits_capacity or self.window_share != self._limits_share:
            self._set_limits(capacity)
        window_limit = self._window_limit
        window, probation, protected = self._window, self._probation, self._protected
        # The cache's first eviction, or a larger window share: spill the window into main.
        if window.size > window_limit:
            main_limit = self._main_limit
            while window.size > window_limit and probation.size + protected.size < main_limit:
                spilled = cast(_Key, window.pop_front())
                probation.push(spilled)
                spilled.segment = probation
        main = probation if probation.size else protected
        if window.size > window_limit or not main.size:
            if not window.size:  # every resident key is outside this policy (see adaptive)
                raise KeyError("pop_victim(): the policy holds nothing")
            candidate = cast(_Key, window.front())
            if not main.size:
                return candidate, None
            resident = cast(_Key, main.front())
            if candidate.count > resident.count:
                return resident, candidate
            return candidate, None
        return cast(_Key, main.front()), None

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        capacity = self.capacity
        self.frequency.period = SAMPLE_FACTOR * (capacity if capacity > 1 else 1)
        victim, admitted = self._choose(capacity)
        key = victim.key
        self._evict(victim)
        if admitted is not None:
            self._window.unlink(admitted)
            probation = self._probation
            probation.push(admitted)
            admitted.segment = probation
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        """The next victim, for the capacity ``pop_victim`` would learn now."""
        if not self._values:
            return None
        return self._values[self._choose(len(self._values) - 1)[0].key]

    def _values_in_order(self) -> Iterator[V]:
        """Protected, window, then probation values, each newest first."""
        values = self._values
        for segment in (self._protected, self._window, self._probation):
            for link in segment.newest_first():
                yield values[cast(_Key, link).key]

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        stop = None if limit is None else offset + limit
        return islice(self._values_in_order(), offset, stop)

    def clear(self) -> None:
        self._values.clear()
        self._nodes.clear()
        for segment in (self._window, self._probation, self._protected):
            segment.clear()
        self.frequency.clear()
