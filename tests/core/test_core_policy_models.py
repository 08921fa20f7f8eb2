"""Each eviction policy against a plain-list model of its own rules (hypothesis).

A model restates a policy's rules with lists and counters, the slow obvious way; the
machine sends both the same requests (a hit, or a miss then evictions down to the
capacity) and removals, and checks that they hit, miss and evict alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from promptcache import POLICIES, EvictionPolicy, make_policy
from promptcache.policies import WTinyLFUPolicy

KEYS = st.integers(min_value=0, max_value=9)
BURSTS = st.lists(KEYS, min_size=1, max_size=16)


class Model:
    """A policy's rules over keys; ``access`` returns whether the key hit."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity

    def access(self, key: int) -> bool:
        raise NotImplementedError

    def evict(self) -> int:
        raise NotImplementedError

    def remove(self, key: int) -> None:
        raise NotImplementedError

    def resident(self) -> set[int]:
        raise NotImplementedError


class LRUModel(Model):
    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.order: list[int] = []  # least recent first

    def access(self, key: int) -> bool:
        hit = key in self.order
        if hit:
            self.order.remove(key)
        self.order.append(key)
        return hit

    def evict(self) -> int:
        return self.order.pop(0)

    def remove(self, key: int) -> None:
        self.order.remove(key)

    def resident(self) -> set[int]:
        return set(self.order)


class FIFOModel(LRUModel):
    def access(self, key: int) -> bool:
        if key in self.order:
            return True
        self.order.append(key)
        return False


class LFUModel(Model):
    """Fewest reads since insertion; ties: least recently used."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.count: dict[int, int] = {}
        self.used: dict[int, int] = {}
        self.clock = 0

    def access(self, key: int) -> bool:
        self.clock += 1
        hit = key in self.count
        self.count[key] = self.count.get(key, 0) + 1
        self.used[key] = self.clock
        return hit

    def evict(self) -> int:
        key = min(self.count, key=lambda k: (self.count[k], self.used[k]))
        self.remove(key)
        return key

    def remove(self, key: int) -> None:
        del self.count[key], self.used[key]

    def resident(self) -> set[int]:
        return set(self.count)


class SIEVEModel(Model):
    """A queue, newest first; the hand walks from the oldest towards the newest, sparing
    (and unmarking) read keys, and stays where its victim was."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.queue: list[int] = []  # newest first
        self.read: set[int] = set()
        self.hand: int | None = None  # index into queue

    def access(self, key: int) -> bool:
        if key in self.queue:
            self.read.add(key)
            return True
        self.queue.insert(0, key)
        if self.hand is not None:
            self.hand += 1
        return False

    def evict(self) -> int:
        hand = len(self.queue) - 1 if self.hand is None else self.hand
        while self.queue[hand] in self.read:
            self.read.discard(self.queue[hand])
            hand = hand - 1 if hand > 0 else len(self.queue) - 1
        key = self.queue.pop(hand)
        self.hand = hand - 1 if hand > 0 else None
        return key

    def remove(self, key: int) -> None:
        index = self.queue.index(key)
        self.queue.pop(index)
        self.read.discard(key)
        if self.hand is not None:
            if index < self.hand:
                self.hand -= 1
            elif index == self.hand:
                self.hand = index - 1 if index > 0 else None

    def resident(self) -> set[int]:
        return set(self.queue)


class S3FIFOModel(Model):
    """Small queue (10%, at least 1), main queue, ghost queue as long as main may be;
    a key read in small moves to main, main reinserts keys with a count above 0."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.small: list[int] = []  # oldest first
        self.main: list[int] = []
        self.ghost: list[int] = []
        self.count: dict[int, int] = {}

    def access(self, key: int) -> bool:
        if key in self.count:
            self.count[key] = min(3, self.count[key] + 1)
            return True
        self.count[key] = 0
        if key in self.ghost:
            self.ghost.remove(key)
            self.main.append(key)
        else:
            self.small.append(key)
        return False

    def evict(self) -> int:
        small_target = max(1, int(self.capacity * 0.1))
        while True:
            if self.small and (len(self.small) > small_target or not self.main):
                key = self.small.pop(0)
                if self.count[key]:
                    self.count[key] = 0
                    self.main.append(key)
                    continue
                self.ghost.append(key)
                del self.ghost[: max(0, len(self.ghost) - max(1, self.capacity - small_target))]
                del self.count[key]
                return key
            key = self.main.pop(0)
            if self.count[key]:
                self.count[key] -= 1
                self.main.append(key)
                continue
            del self.count[key]
            return key

    def remove(self, key: int) -> None:
        del self.count[key]
        (self.small if key in self.small else self.main).remove(key)

    def resident(self) -> set[int]:
        return set(self.count)


class ARCModel(Model):
    """T1 (seen once), T2 (seen twice), ghosts B1 and B2; p moves on ghost hits."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.t1: list[int] = []
        self.t2: list[int] = []
        self.b1: list[int] = []
        self.b2: list[int] = []
        self.p = 0.0
        self.newest: int | None = None
        self.newest_from_b2 = False

    def access(self, key: int) -> bool:
        c = self.capacity
        if key in self.t1 or key in self.t2:
            (self.t1 if key in self.t1 else self.t2).remove(key)
            self.t2.append(key)
            return True
        self.newest_from_b2 = False
        if key in self.b1:
            self.p = min(float(c), self.p + max(len(self.b2) / len(self.b1), 1.0))
            self.b1.remove(key)
            self.t2.append(key)
        elif key in self.b2:
            self.p = max(0.0, self.p - max(len(self.b1) / len(self.b2), 1.0))
            self.b2.remove(key)
            self.t2.append(key)
            self.newest_from_b2 = True
        else:
            resident = len(self.t1) + len(self.t2)
            if len(self.t1) + len(self.b1) >= c and self.b1:
                self.b1.pop(0)
            elif self.b2 and resident + 1 + len(self.b1) + len(self.b2) > 2 * c:
                self.b2.pop(0)
            self.t1.append(key)
        self.newest = key
        return False

    def evict(self) -> int:
        t1 = len(self.t1) - (self.newest in self.t1)
        if t1 and (t1 > self.p or (self.newest_from_b2 and t1 == int(self.p))):
            key = self.t1.pop(0)
            self.b1.append(key)
        elif self.t2:
            key = self.t2.pop(0)
            self.b2.append(key)
        else:
            key = self.t1.pop(0)
            self.b1.append(key)
        self.newest = None
        return key

    def remove(self, key: int) -> None:
        (self.t1 if key in self.t1 else self.t2).remove(key)
        if key == self.newest:
            self.newest = None

    def resident(self) -> set[int]:
        return set(self.t1) | set(self.t2)


class WTinyLFUModel(Model):
    """A window LRU; then an SLRU main (probation, and protected up to 80% of main) that a
    key leaving a full window enters only if its count beats main's oldest key's. Counts
    saturate at 15 and halve every 10 x capacity counts once the policy knows the capacity
    (from its first eviction; until then main is every resident key)."""

    def __init__(self, capacity: int, share: float = 0.01) -> None:
        super().__init__(capacity)
        self.share = share
        self.window: list[int] = []  # oldest first, like the segments below
        self.probation: list[int] = []
        self.protected: list[int] = []
        self.counts: dict[int, int] = {}
        self.added = 0
        self.learnt = 0

    def _count(self, key: int) -> None:
        self.counts[key] = min(15, self.counts.get(key, 0) + 1)
        self.added += 1
        if self.learnt and self.added >= 10 * self.learnt:
            self.counts = {k: c // 2 for k, c in self.counts.items() if c // 2}
            self.added //= 2

    def access(self, key: int) -> bool:
        self._count(key)
        if key in self.probation:
            self.probation.remove(key)
            self.protected.append(key)
            main = (self.learnt or len(self.resident())) - int(self.learnt * self.share)
            if len(self.protected) > 0.8 * max(0, main):
                self.probation.append(self.protected.pop(0))
            return True
        for segment in (self.window, self.protected):
            if key in segment:
                segment.remove(key)
                segment.append(key)
                return True
        self.window.append(key)
        return False

    def evict(self) -> int:
        self.learnt = self.capacity
        window_limit = int(self.capacity * self.share)
        main_limit = self.capacity - window_limit
        while len(self.window) > window_limit and (
            len(self.probation) + len(self.protected) < main_limit
        ):
            self.probation.append(self.window.pop(0))
        main = self.probation or self.protected
        if len(self.window) > window_limit or not main:
            candidate = self.window.pop(0)
            if main and self.counts.get(candidate, 0) > self.counts.get(main[0], 0):
                victim = main.pop(0)
                self.probation.append(candidate)
                return victim
            return candidate
        return main.pop(0)

    def remove(self, key: int) -> None:
        for segment in (self.window, self.probation, self.protected):
            if key in segment:
                segment.remove(key)

    def resident(self) -> set[int]:
        return {*self.window, *self.probation, *self.protected}


MODELS: dict[str, Callable[[int], Model]] = {
    "lru": LRUModel,
    "fifo": FIFOModel,
    "lfu": LFUModel,
    "sieve": SIEVEModel,
    "s3fifo": S3FIFOModel,
    "arc": ARCModel,
}


class PolicyVersusModel(RuleBasedStateMachine):
    """Requests and removals to a policy and its model; both must agree throughout."""

    name = "lru"

    def __init__(self) -> None:
        super().__init__()
        self.capacity = 1
        self.policy: EvictionPolicy[Any] = make_policy(self.name)
        self.model: Model = MODELS[self.name](1)

    @initialize(capacity=st.integers(min_value=1, max_value=6))
    def make(self, capacity: int) -> None:
        self.capacity = capacity
        self.model = MODELS[self.name](capacity)

    @rule(keys=BURSTS)
    def requests(self, keys: list[int]) -> None:
        for key in keys:
            found = self.policy.get(key) is not None
            if found:
                self.policy.record_access(key)
            else:
                self.policy.insert_new(key, f"v{key}")
            assert self.model.access(key) == found, (self.name, key)
            while len(self.policy) > self.capacity:
                victim: Hashable = self.policy.pop_victim()[0]
                assert victim == self.model.evict(), (self.name, key)

    @rule(key=KEYS)
    def remove(self, key: int) -> None:
        if key in self.policy:
            assert self.policy.remove(key) == f"v{key}"
            self.model.remove(key)

    @invariant()
    def same_keys(self) -> None:
        keys = set(self.policy.values())
        assert keys == {f"v{k}" for k in self.model.resident()}
        assert len(self.policy) == len(keys) <= self.capacity


@pytest.mark.parametrize("name", sorted(MODELS))
def test_policy_follows_its_model(name: str) -> None:
    machine = type(f"{name}Machine", (PolicyVersusModel,), {"name": name})
    machine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
    machine.TestCase().runTest()


class InvariantsOnly(RuleBasedStateMachine):
    """For the policies not in ``MODELS`` (LIRS and the adaptive one, whose rules are too
    long for a list model, and W-TinyLFU, whose model takes a window share: see
    ``WTinyLFUVersusModel``): contents, capacity and victim() against what is resident."""

    name = "lirs"

    def __init__(self) -> None:
        super().__init__()
        self.policy: EvictionPolicy[Any] = make_policy(self.name)
        self.resident: set[int] = set()
        self.capacity = 1

    @initialize(capacity=st.integers(min_value=1, max_value=6))
    def make(self, capacity: int) -> None:
        self.capacity = capacity

    @rule(keys=BURSTS)
    def requests(self, keys: list[int]) -> None:
        for key in keys:
            found = self.policy.get(key) is not None
            assert found == (key in self.resident)
            if found:
                self.policy.record_access(key)
            else:
                self.policy.insert_new(key, f"v{key}")
                self.resident.add(key)
            while len(self.policy) > self.capacity:
                expected = self.policy.victim()
                victim, value = self.policy.pop_victim()
                assert value == expected == f"v{victim}" and victim in self.resident
                self.resident.remove(victim)

    @rule(key=KEYS)
    def remove(self, key: int) -> None:
        if key in self.resident:
            assert self.policy.remove(key) == f"v{key}"
            self.resident.remove(key)

    @rule(smaller=st.integers(min_value=1, max_value=5))
    def shrink(self, smaller: int) -> None:
        self.capacity = min(self.capacity, smaller)
        while len(self.policy) > self.capacity:
            self.resident.remove(self.policy.pop_victim()[0])

    @invariant()
    def same_keys(self) -> None:
        assert set(self.policy.values()) == {f"v{k}" for k in self.resident}
        assert sorted(self.policy.ordered()) == sorted(self.policy.values())


@pytest.mark.parametrize("name", sorted(set(POLICIES) - set(MODELS)))
def test_policy_keeps_its_invariants(name: str) -> None:
    machine = type(f"{name}Invariants", (InvariantsOnly,), {"name": name})
    machine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
    machine.TestCase().runTest()


class WTinyLFUVersusModel(PolicyVersusModel):
    """W-TinyLFU against its model, with window shares that give these small capacities a
    window (the default 1% has none), and the counts and segment orders compared too."""

    name = "wtinylfu"

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)  # not MODELS: the model takes a window share
        self.capacity = 1
        self.policy = WTinyLFUPolicy()
        self.model = self.wtinylfu = WTinyLFUModel(1)

    @initialize(
        capacity=st.integers(min_value=1, max_value=6), share=st.sampled_from([0.01, 0.25, 0.5])
    )
    def make(self, capacity: int, share: float) -> None:
        self.capacity = capacity
        self.policy = WTinyLFUPolicy(window=share)
        self.model = self.wtinylfu = WTinyLFUModel(capacity, share)

    @invariant()
    def same_counts_and_order(self) -> None:
        model = self.wtinylfu
        assert self.policy.frequency.counts == model.counts  # type: ignore[attr-defined]
        newest_first = [*model.protected[::-1], *model.window[::-1], *model.probation[::-1]]
        assert list(self.policy.ordered()) == [f"v{k}" for k in newest_first]


def test_wtinylfu_follows_its_model() -> None:
    """Segments, admission and the counts' halving, request by request."""
    machine = WTinyLFUVersusModel
    machine.TestCase.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
    machine.TestCase().runTest()
