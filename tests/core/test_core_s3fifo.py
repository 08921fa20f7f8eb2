"""S3-FIFO's per-key nodes: what they must not cost in memory (decisions: the model tests)."""

from __future__ import annotations

import gc
import random
import weakref
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from promptcache.policies import S3FIFOPolicy
from promptcache.policies.race import count_hits

CAPACITY = 100


class Key:
    """A key that can be watched with a weak reference (a ``str`` cannot)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __hash__(self) -> int:
        return self.number

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and other.number == self.number


def drive(policy: S3FIFOPolicy[Hashable], keys: Iterator[Hashable]) -> int:
    """The cache's calls, holding at most ``CAPACITY`` keys; returns the hits."""
    return count_hits(policy, keys, CAPACITY)


def mixed_requests(count: int) -> Iterator[int]:
    """Mostly new keys, every third request one of 30 hot keys (hits in main)."""
    for n in range(count):
        yield n % 30 if n % 3 == 0 else 1000 + n


@contextmanager
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_stream_of_misses_leaves_nothing_for_the_cycle_collector() -> None:
    """A node out of every list points at itself: dropped, it would be freed only by the
    cyclic collector, which would then run every few hundred misses."""
    policy: S3FIFOPolicy[Hashable] = S3FIFOPolicy()
    with collector_off():
        hits = drive(policy, mixed_requests(20_000))
        unreachable = gc.collect()
    assert hits > 6000  # the hot keys reached main and stayed
    assert len(policy) == CAPACITY
    assert unreachable == 0


def test_forgotten_keys_are_not_kept_alive() -> None:
    """Evicted keys stay in the ghost queue for a while; once forgotten, or removed, no
    node (in use, or spare for reuse) may still hold them."""
    policy: S3FIFOPolicy[Hashable] = S3FIFOPolicy()
    evicted = [Key(n) for n in range(CAPACITY)]
    removed = [Key(n) for n in range(20_000, 20_000 + CAPACITY // 2)]
    watched = [weakref.ref(key) for key in evicted + removed]
    with collector_off():
        drive(policy, iter(evicted))
        del evicted
        drive(policy, (Key(n) for n in range(10_000, 10_000 + 5 * CAPACITY)))
        drive(policy, iter(removed))
        for key in removed:
            policy.remove(key)
        del removed, key
        alive = sum(ref() is not None for ref in watched)
    assert alive == 0
    assert len(policy) == CAPACITY - CAPACITY // 2


def test_ghost_keys_are_bounded_and_come_back_into_main() -> None:
    """One-time keys are remembered only up to the main queue's size; a remembered key
    requested again skips the small queue, so it survives a flood of new keys."""
    policy: S3FIFOPolicy[Hashable] = S3FIFOPolicy()
    drive(policy, iter(range(50_000)))
    assert len(policy) == CAPACITY
    remembered = len(policy._entries) - CAPACITY  # nodes of ghost keys
    assert remembered == CAPACITY - CAPACITY // 10
    back = 49_850  # the newest 100 keys are resident, the 90 before them ghosts
    assert back not in policy
    drive(policy, iter([back]))
    drive(policy, iter(range(60_000, 60_000 + 2 * CAPACITY)))  # twice the cache of new keys
    assert back in policy


def test_inserting_a_resident_key_with_its_own_value_changes_nothing() -> None:
    """``insert_new`` is ``setdefault``: given the very value a key holds, it must not
    reset the key's count or queue it a second time."""
    values: dict[int, str] = {}
    plain: S3FIFOPolicy[str] = S3FIFOPolicy()
    repeated: S3FIFOPolicy[str] = S3FIFOPolicy()
    evicted: dict[str, list[Hashable]] = {"plain": [], "repeated": []}
    hits = 0
    rng = random.Random(13)
    for key in (int(rng.paretovariate(0.8)) % 400 for _ in range(6000)):  # skewed: main evicts
        value = values.setdefault(key, f"v{key}")
        for name, policy in (("plain", plain), ("repeated", repeated)):
            if policy.get(key) is not None:
                policy.record_access(key)
                if policy is repeated:
                    hits += 1
                    assert policy.insert_new(key, value) is value
            else:
                policy.insert_new(key, value)
                while len(policy) > CAPACITY:
                    evicted[name].append(policy.pop_victim()[0])
    assert hits > 1000 and len(evicted["plain"]) > 100
    assert evicted["repeated"] == evicted["plain"]
    assert list(repeated.ordered()) == list(plain.ordered())
