"""W-TinyLFU's counts of evicted keys: kept while they count, forgotten when they halve to 0."""

from __future__ import annotations

import pytest

from promptcache.policies import WTinyLFUPolicy
from promptcache.policies.wtinylfu import SAMPLE_FACTOR


def fill(policy: WTinyLFUPolicy[str], keys: list[str], capacity: int) -> None:
    for key in keys:
        if policy.get(key) is not None:
            policy.record_access(key)
        else:
            policy.insert_new(key, key)
            while len(policy) > capacity:
                policy.pop_victim()


PUSHED_OUT = ["hot", "hot", "a", "a", "a", "b", "b", "b"]
"""At capacity 2, ``b``'s third request gives it a count above ``hot``'s: ``hot`` goes."""


def test_an_evicted_key_keeps_its_count_and_adds_to_it_when_back() -> None:
    policy: WTinyLFUPolicy[str] = WTinyLFUPolicy()
    fill(policy, PUSHED_OUT, 2)
    assert sorted(policy.values()) == ["a", "b"]
    assert policy.frequency.counts == {"hot": 2, "a": 3, "b": 3}
    fill(policy, ["hot"], 2)
    assert policy.frequency.counts["hot"] == 3


def test_a_scan_is_forgotten_as_counts_halve() -> None:
    """One-hit keys fall to 0 at the next halving: the tracked keys (and the spare nodes
    kept for new keys) stay bounded."""
    capacity = 20
    policy: WTinyLFUPolicy[str] = WTinyLFUPolicy()
    scan = [f"k{i}" for i in range(50 * SAMPLE_FACTOR * capacity)]
    fill(policy, scan, capacity)
    tracked = len(policy.frequency.nodes)
    assert capacity <= tracked <= SAMPLE_FACTOR * capacity + capacity
    assert len(policy.frequency.counts) <= tracked
    spare = policy.frequency.spare  # forgotten nodes, reused for new keys
    assert len(spare) + tracked <= SAMPLE_FACTOR * capacity + capacity
    assert all(node.key is None for node in spare)  # holding on to no key


def test_record_access_on_an_evicted_key_is_a_key_error() -> None:
    policy: WTinyLFUPolicy[str] = WTinyLFUPolicy()
    fill(policy, PUSHED_OUT, 2)
    before = list(policy.ordered())
    with pytest.raises(KeyError):
        policy.record_access("hot")
    with pytest.raises(KeyError):
        policy.touch_many(["hot"])
    assert list(policy.ordered()) == before and policy.frequency.counts["hot"] == 2
