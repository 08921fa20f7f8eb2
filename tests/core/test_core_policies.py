"""Every eviction policy against one contract, through the policy and through the cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Hashable
from typing import Any

import pytest

from promptcache import POLICIES, AdaptivePolicy, ComponentCache, EvictionPolicy, make_policy
from promptcache.cache import MIB
from promptcache.policies.adaptive import in_sample

NAMES = tuple(POLICIES)


@pytest.fixture(params=NAMES)
def policy(request: pytest.FixtureRequest) -> EvictionPolicy[Any]:
    """A fresh policy of each kind (cachetools' one-suite-for-every-cache style)."""
    return make_policy(request.param)


def replay(policy: EvictionPolicy[Any], keys: list[Hashable], capacity: int) -> int:
    """The cache's calls: get, record_access on a hit, insert_new then pop_victim on a miss."""
    hits = 0
    for key in keys:
        if policy.get(key) is not None:
            hits += 1
            policy.record_access(key)
        else:
            policy.insert_new(key, f"v{key}")
            while len(policy) > capacity:
                policy.pop_victim()
    return hits


class TestContract:
    def test_names_round_trip(self, policy: EvictionPolicy[Any]) -> None:
        assert POLICIES[policy.name]().name == policy.name

    def test_insert_get_contains_len(self, policy: EvictionPolicy[Any]) -> None:
        assert policy.insert_new("a", "A") == "A"
        assert policy.insert_new("b", "B") == "B"
        assert policy.insert_new("a", "other") == "A"  # setdefault: the stored value wins
        assert policy.get("a") == "A" and policy.get("zzz") is None
        assert "a" in policy and "zzz" not in policy and len(policy) == 2
        assert sorted(policy.values()) == ["A", "B"]

    def test_remove_and_clear(self, policy: EvictionPolicy[Any]) -> None:
        for key in "abcd":
            policy.insert_new(key, key.upper())
        assert policy.remove("b") == "B"
        assert "b" not in policy and len(policy) == 3
        with pytest.raises(KeyError):
            policy.remove("b")
        policy.clear()
        assert len(policy) == 0 and policy.victim() is None and list(policy.ordered()) == []
        with pytest.raises(KeyError):
            policy.pop_victim()

    def test_victim_is_what_pop_victim_takes(self, policy: EvictionPolicy[Any]) -> None:
        keys = [k % 7 + (k // 40) * 3 for k in range(200)]
        for key in keys:
            if policy.get(key) is not None:
                policy.record_access(key)
            else:
                policy.insert_new(key, f"v{key}")
                while len(policy) > 5:
                    expected = policy.victim()
                    key_out, value_out = policy.pop_victim()
                    assert value_out == expected == f"v{key_out}"
                    assert key_out not in policy

    def test_ordered_lists_every_value_once(self, policy: EvictionPolicy[Any]) -> None:
        replay(policy, [k % 11 for k in range(300)] + list(range(50, 60)), 8)
        ordered = list(policy.ordered())
        assert sorted(ordered) == sorted(policy.values()) and len(ordered) == len(policy) == 8
        assert list(policy.ordered(limit=3, offset=2)) == ordered[2:5]

    def test_stays_within_capacity_and_hits_a_small_working_set(
        self, policy: EvictionPolicy[Any]
    ) -> None:
        keys = [k % 4 for k in range(400)]
        assert replay(policy, keys, 4) == 396  # four cold misses, then every key fits
        assert len(policy) == 4

    def test_pop_victim_after_capacity_shrinks(self, policy: EvictionPolicy[Any]) -> None:
        replay(policy, [k % 30 for k in range(300)], 20)
        while len(policy) > 3:
            policy.pop_victim()
        assert len(policy) == 3 and len(list(policy.ordered())) == 3
        replay(policy, [k % 30 for k in range(300)], 3)  # keeps working at the new size
        assert len(policy) == 3


@pytest.mark.parametrize("name", NAMES)
def test_cache_by_name_keeps_both_bounds(name: str) -> None:
    """Entries of 10 kB under a 0.1 MiB budget: memory binds before the 50-entry bound."""
    cache = ComponentCache(max_size=50, max_memory_mb=0.1, policy=name)
    assert cache.policy_name == name
    for i in range(400):
        path = f"c{i % 6 if i % 3 else i}.md"  # six hot keys and a scan
        if cache.get(path) is None:
            cache.put(path, "x" * 10_000)
        assert cache.memory_bytes <= 0.1 * MIB and len(cache) <= 50
    stats = cache.get_stats()
    assert stats["evictions"]["memory"] > 0 and stats["hits"] > 0
    assert len(cache.entries()) == len(cache) == len(cache._store)
    cache.resize(max_size=3)
    assert len(cache) == 3 and len(cache.entries()) == 3
    assert cache.next_victim() is not None


def test_unknown_policy_name_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown eviction policy 'mru'; choose from lru"):
        ComponentCache(policy="mru")


def test_lru_stays_the_default_and_objects_are_used_as_given() -> None:
    assert ComponentCache().policy_name == "lru"
    mine = AdaptivePolicy[Any]()
    assert ComponentCache(policy=mine)._store is mine


def loop(length: int, rounds: int) -> list[int]:
    return list(range(length)) * rounds


def test_adaptive_survives_a_loop_that_defeats_lru() -> None:
    """A loop of 100 keys in a cache of 50: LRU never hits; OPT hits about half the time."""
    keys = loop(100, 40)
    assert replay(make_policy("lru"), keys, 50) == 0
    adaptive = make_policy("adaptive")
    assert replay(adaptive, keys, 50) / len(keys) > 0.45
    assert isinstance(adaptive, AdaptivePolicy) and adaptive.leader_name != "lru"


def test_adaptive_follows_recency_when_recency_wins() -> None:
    """A sliding window of hot keys: what was used last is what comes back next."""
    keys = [i // 3 + (i % 3) * 7 for i in range(6000)]
    adaptive = make_policy("adaptive")
    lru_hits = replay(make_policy("lru"), keys, 16)
    assert replay(adaptive, keys, 16) >= lru_hits * 0.98


class TestPreload:
    """Preloaded (and warmed-up) entries are held but stay out of the adaptive policy's
    statistics until requested, and are the first to go when room is needed."""

    def test_preloaded_entries_are_not_counted_until_requested(self) -> None:
        cache = ComponentCache(max_size=10, policy="adaptive")
        policy = cache._store
        assert isinstance(policy, AdaptivePolicy)
        for i in range(5):
            cache.put(f"hot{i}.md", "hot", origin="preload")
        assert in_sample("hot0.md")  # so the miniature experts see its requests
        assert all(f"hot{i}.md" not in expert for expert in policy.experts for i in range(5))
        assert list(policy.holder.ordered()) == []  # the expert holding the cache: none
        assert policy.scores == [0.0] * len(policy.experts)
        wtinylfu = next(e for e in policy.experts if e.name == "wtinylfu")
        assert wtinylfu.frequency.counts == {}
        assert cache.get("hot0.md") is not None  # the first request: now it counts once
        policy.sync()
        assert wtinylfu.frequency.counts == {"hot0.md": 1}
        assert all("hot0.md" in expert for expert in policy.experts)
        assert [e.component_path for e in policy.holder.ordered()] == ["hot0.md"]

    def test_unrequested_preloads_go_first(self) -> None:
        cache = ComponentCache(max_size=4, policy="adaptive")
        for i in range(3):
            cache.put(f"hot{i}.md", "hot", origin="preload")
        cache.get("hot1.md")
        for name in ("a.md", "b.md", "c.md"):
            cache.get(name)
            cache.put(name, "traffic")
        assert sorted(e.path for e in cache.entries()) == ["a.md", "b.md", "c.md", "hot1.md"]

    def test_preload_leaves_the_experts_exactly_as_traffic_alone_would(self) -> None:
        traffic = [f"k{(i * 7) % 23}.md" for i in range(500)]

        def run(preload: bool) -> AdaptivePolicy[Any]:
            cache = ComponentCache(max_size=8, policy="adaptive")
            if preload:
                for i in range(6):
                    cache.put(f"preloaded{i}.md", "p", origin="preload")
            for path in traffic:
                if cache.get(path) is None:
                    cache.put(path, "x")
            store = cache._store
            assert isinstance(store, AdaptivePolicy)
            store.sync()
            return store

        with_preload, without = run(True), run(False)
        assert with_preload.leader == without.leader
        counts = [
            e.frequency.counts
            for e in (with_preload, without)
            for e in e.experts
            if e.name == "wtinylfu"
        ]
        assert counts[0] == counts[1] and counts[0]
        for a, b in zip(with_preload.experts, without.experts, strict=True):
            assert list(a.ordered()) == list(b.ordered())
        held = [[e.component_path for e in p.holder.ordered()] for p in (with_preload, without)]
        assert held[0] == held[1] and len(held[0]) == 8


class TestAdaptiveMechanics:
    """The leading expert holds the cache; the others race on a hash-sampled miniature."""

    def test_miniatures_see_only_sampled_keys_at_a_quarter_of_the_size(self) -> None:
        keys = [f"k{(i * 13) % 700}" for i in range(6000)]
        adaptive = AdaptivePolicy[Any]()
        replay(adaptive, keys, 400)
        adaptive.sync()
        for expert in adaptive.experts:
            held = list(expert.ordered())
            assert held and all(in_sample(k) for k in held)
            assert len(held) <= 100  # 400 >> SAMPLE_SHIFT
        assert 0.15 < sum(map(in_sample, {*keys})) / len({*keys}) < 0.35

    def test_switching_hands_the_resident_keys_to_the_new_leader(self) -> None:
        """Recency first (S3-FIFO or W-TinyLFU lead), then a loop (LIRS must take over):
        no resident key is lost on the switch, and the loop is then mostly hit."""
        recency = [f"r{i // 3 + (i % 3) * 7}" for i in range(20_000)]
        looping = [f"l{i % 150}" for i in range(30_000)]
        cache = ComponentCache(max_size=100, policy="adaptive")
        policy = cache._store
        assert isinstance(policy, AdaptivePolicy)
        for path in recency:
            if cache.get(path) is None:
                cache.put(path, "x")
        first = policy.leader_name
        hits = 0
        for n, path in enumerate(looping):
            if cache.get(path) is not None:
                hits += n >= 15_000
            else:
                cache.put(path, "x")
            assert len(policy) == len(cache) <= 100
        assert first != "lirs" and policy.leader_name == "lirs" and policy.switches >= 1
        assert hits / 15_000 > 0.5  # OPT: 0.66; LRU: 0
        assert sorted(e.path for e in cache.entries()) == sorted(
            e.component_path for e in policy.values()
        )

    def test_the_sample_is_the_same_in_every_process(self) -> None:
        """A fixed hash, not Python's per-process string hash: runs are reproducible."""
        script = (
            "from promptcache.policies.adaptive import in_sample;"
            "print(sum(in_sample(f'components/b{i}.md') for i in range(2000)))"
        )
        outputs = {
            subprocess.run(
                [sys.executable, "-c", script],
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for seed in ("1", "2")
        }
        assert len(outputs) == 1


@pytest.mark.parametrize("name", NAMES)
def test_replay_is_request_by_request(name: str) -> None:
    """``replay`` (the experts' batch path, with hits inlined) changes nothing but speed."""
    keys: list[Hashable] = [(k * 7) % 23 if k % 5 else k % 40 for k in range(3000)]
    batched: Any = make_policy(name)
    single = make_policy(name)
    changed: list[Hashable] = []
    hits = 0
    for start in range(0, len(keys), 97):
        hits += batched.replay(keys[start : start + 97], 9, changed)
    expected = 0
    for key in keys:
        if single.get(key) is not None:
            expected += 1
            single.record_access(key)
        else:
            single.insert_new(key, key)
            while len(single) > 9:
                single.pop_victim()
    assert hits == expected > 0
    assert list(batched.ordered()) == list(single.ordered())
    assert len(changed) >= 2 * (len(keys) - hits - 9)  # every miss, every eviction


@pytest.mark.parametrize("name", ["lirs", "s3fifo", "wtinylfu"])
def test_touch_many_is_record_access_key_by_key(name: str) -> None:
    """The adaptive policy's holder plays logged hits with ``touch_many``."""
    keys: list[Hashable] = [(k * 7) % 23 if k % 5 else k % 40 for k in range(3000)]
    batched: Any = make_policy(name)
    single: Any = make_policy(name)
    for policy in (batched, single):
        replay(policy, keys[:500], 9)  # warm: LIR and HIR keys, a full main queue
    hits = [k for k in keys[500:] if k in batched]
    batched.touch_many(hits)
    for key in hits:
        single.record_access(key)
    assert len(hits) > 100 and list(batched.ordered()) == list(single.ordered())
    assert replay(batched, keys, 9) == replay(single, keys, 9)
