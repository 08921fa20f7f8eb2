"""Issue 13, item 4: the cache's eviction policy switched at runtime (``set_policy``)."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from core_testlib import FakeClock

from promptcache import POLICIES, AdaptivePolicy, ComponentCache, EntryView, LRUPolicy

CHAIN = ("lru", "adaptive", "lirs", "lru")
"""The swaps the issue names, in order."""
ADMISSION_FILTERED = {"wtinylfu"}
"""Policies whose next victim is chosen by an admission filter, not by the order alone:
W-TinyLFU compares the window's newest key with main's oldest, and every moved key has the
same count (one insert), so the tie keeps main's and the newest goes, as it does for any
key W-TinyLFU has seen no more often than main's oldest."""


def _filled(policy: str = "lru", max_size: int = 60) -> tuple[ComponentCache, FakeClock]:
    """A cache after seeded traffic: hits, misses, evictions, context variants, metadata."""
    clock = FakeClock()
    cache = ComponentCache(max_size=max_size, max_memory_mb=1, policy=policy, clock=clock)
    rng = random.Random(13)
    for i in range(1500):
        clock.advance(0.01)
        path = f"components/p{int(rng.paretovariate(0.8)) % 120}.md"
        context = "" if i % 3 else f"tone={i % 4}"
        if cache.get(path, context) is None:
            text = f"{path} {context} " * rng.randint(1, 40)
            cache.put(path, text, {"n": i} if i % 5 == 0 else None, context)
    return cache, clock


def _views(cache: ComponentCache) -> tuple[EntryView, ...]:
    return cache.entries()


def _counters(cache: ComponentCache) -> dict[str, Any]:
    """Every stat except the ones a swap is allowed to change."""
    stats = cache.get_stats()
    for moving in ("policy", "version", "recent_hit_ratio", "recent_requests"):
        stats.pop(moving, None)
    return stats


def _consistent(cache: ComponentCache) -> None:
    views = cache.entries()
    assert len(views) == len(cache) == len({(v.path, v.context) for v in views})
    assert sum(v.size_bytes for v in views) == cache.memory_bytes
    assert len(cache) <= cache.max_size
    assert cache.memory_bytes <= cache.max_memory_bytes


class TestSwap:
    def test_every_entry_survives_lru_adaptive_lirs_lru(self) -> None:
        cache, _ = _filled()
        before = _views(cache)
        counters = _counters(cache)
        objects = {(v.path, v.context): cache.peek(v.path, v.context) for v in before}
        assert len(before) == 60 and counters["evictions"]["size"] > 0

        for name in CHAIN[1:]:
            version = cache.version
            cache.set_policy(name)
            assert cache.policy_name == name
            assert cache.version > version  # the UI redraws
            assert _views(cache) == before  # contents, sizes, counts, ages, metadata, order
            assert _counters(cache) == counters
            _consistent(cache)
        for (path, context), entry in objects.items():
            assert cache.peek(path, context) is entry  # the same objects, not copies

    def test_returns_the_name_replaced_and_the_snapshot_shows_the_new_one(self) -> None:
        cache, _ = _filled()
        assert cache.set_policy("adaptive") == "lru"
        assert cache.snapshot().policy == "adaptive"
        assert cache.get_stats()["policy"] == "adaptive"
        assert cache.set_policy("lru") == "adaptive"

    @pytest.mark.parametrize("name", list(POLICIES))
    def test_the_eviction_order_carries_over(self, name: str) -> None:
        cache, _ = _filled()
        before = [(v.path, v.context) for v in cache.entries()]
        victim = cache.next_victim()
        cache.set_policy(name)
        assert [(v.path, v.context) for v in cache.entries()] == before
        after = cache.next_victim()
        assert victim is not None and after is not None
        if name in ADMISSION_FILTERED:
            assert (after.path, after.context) == before[0]
        else:
            assert (after.path, after.context) == (victim.path, victim.context)

    @pytest.mark.parametrize("name", list(POLICIES))
    def test_the_new_policy_evicts_and_serves_after_the_swap(self, name: str) -> None:
        cache, clock = _filled()
        before = cache.entries()
        cache.set_policy(name)
        cache.put("components/new.md", "new text")
        gone = [v.path for v in before if cache.peek(v.path, v.context) is None]
        if cache.peek("components/new.md") is None:  # refused by an admission filter
            gone.append("components/new.md")
        assert len(gone) == 1 and len(cache) == 60
        if name not in ADMISSION_FILTERED:  # the old least protected went
            assert gone == [before[-1].path]
        _consistent(cache)
        clock.advance(1)
        for i in range(200):  # keeps working under its own rules
            cache.put(f"components/more{i}.md", "x" * i)
            cache.get(f"components/more{i // 2}.md")
        _consistent(cache)

    def test_variant_index_still_finds_every_context(self) -> None:
        cache, _ = _filled()
        path = next(v.path for v in cache.entries() if v.context != "")
        variants = {v.context for v in cache.entries() if v.path == path}
        cache.set_policy("s3fifo")
        assert cache.invalidate(path) == len(variants)
        assert all(v.path != path for v in cache.entries())
        _consistent(cache)

    def test_an_empty_cache_swaps_too(self) -> None:
        cache = ComponentCache(max_size=3)
        cache.set_policy("arc")
        for i in range(5):
            cache.put(f"p{i}", "text")
        assert cache.policy_name == "arc" and len(cache) == 3

    def test_a_policy_object_is_used_as_given(self) -> None:
        cache, _ = _filled()
        mine: LRUPolicy[Any] = LRUPolicy()
        cache.set_policy(mine)
        assert cache._store is mine
        assert len(mine) == len(cache) == 60

    def test_the_policy_object_in_use_changes_nothing(self) -> None:
        cache, _ = _filled()
        before, version = cache.entries(), cache.version
        assert cache.set_policy(cache._store) == "lru"
        assert cache.entries() == before and cache.version == version


class TestBadInput:
    def test_an_unknown_name_names_the_choices_and_changes_nothing(self) -> None:
        cache, _ = _filled()
        before, version = cache.entries(), cache.version
        with pytest.raises(ValueError, match="unknown eviction policy 'mru'; choose from lru, "):
            cache.set_policy("mru")
        assert cache.policy_name == "lru"
        assert cache.entries() == before
        assert cache.version == version

    def test_a_policy_already_holding_entries_is_refused(self) -> None:
        cache, _ = _filled()
        other, _ = _filled("fifo")
        before = cache.entries()
        with pytest.raises(ValueError, match="must be empty; 'fifo' holds 60 entries"):
            cache.set_policy(other._store)
        assert cache.policy_name == "lru" and cache.entries() == before

    def test_a_policy_failing_midway_leaves_the_cache_as_it_was(self) -> None:
        cache, _ = _filled()
        before = cache.entries()

        class Broken(LRUPolicy[Any]):
            def __init__(self) -> None:
                super().__init__()
                inserted = self.insert_new

                def insert_new(key: object, value: Any) -> Any:
                    if len(self) == 30:
                        raise RuntimeError("broken policy")
                    return inserted(key, value)

                self.insert_new = insert_new

        with pytest.raises(RuntimeError, match="broken policy"):
            cache.set_policy(Broken())
        assert cache.policy_name == "lru" and cache.entries() == before
        cache.put("components/after.md", "still works")
        _consistent(cache)


class TestMovedEntriesAreNotRequests:
    """Moved entries enter the adaptive policy as preloaded ones do: outside its experts."""

    def test_no_expert_sees_them_and_no_score_moves(self) -> None:
        cache, _ = _filled()
        policy: AdaptivePolicy[Any] = AdaptivePolicy()
        cache.set_policy(policy)
        cache.entries()  # reading the order plays everything pending through the experts
        assert [len(expert) for expert in policy.experts] == [0, 0, 0]
        assert policy.scores == [0.0, 0.0, 0.0]
        assert policy.switches == 0

    def test_they_go_first_in_the_old_order_unless_requested_again(self) -> None:
        cache, _ = _filled()
        order = [(v.path, v.context) for v in cache.entries()]
        requested = order[-1]  # the least protected: the next victim, until it is used
        cache.set_policy("adaptive")
        assert cache.get(*requested) is not None  # joins the policy as a first access
        evicted: list[tuple[str, object]] = []
        cache.add_listener(lambda e: evicted.append((e.path, e.context)), ["evict"])
        for i in range(10):
            cache.put(f"components/new{i}.md", "new")
        assert evicted == order[-2:-12:-1]
        assert cache.peek(*requested) is not None

    def test_access_counts_and_the_preload_predicate_are_kept(self) -> None:
        cache, _ = _filled()
        counts = {(v.path, v.context): v.hits for v in cache.entries()}
        policy: AdaptivePolicy[Any] = AdaptivePolicy()
        cache.set_policy(policy)
        assert {(v.path, v.context): v.hits for v in cache.entries()} == counts
        cache.put("components/asked.md", "asked for")  # a request after the swap
        cache.entries()
        assert policy.holder.get("components/asked.md") is not None


class TestConcurrentSwaps:
    SECONDS = 1.5

    @pytest.mark.parametrize("max_size", [400, 40], ids=["room-for-all", "evicting"])
    def test_gets_and_puts_during_swaps_lose_nothing(self, max_size: int) -> None:
        cache = ComponentCache(max_size=max_size, max_memory_mb=4)
        keys = [f"components/k{i}.md" for i in range(90)]  # 360 (key, context) pairs
        stop = threading.Event()
        errors: list[BaseException] = []
        done = {"gets": 0, "puts": 0}
        stored: set[tuple[str, str]] = set()
        count_lock = threading.Lock()

        def traffic(seed: int) -> None:
            rng = random.Random(seed)
            gets = puts = 0
            mine: set[tuple[str, str]] = set()
            try:
                while not stop.is_set():
                    key = rng.choice(keys)
                    context = "" if rng.random() < 0.7 else f"c{rng.randint(0, 2)}"
                    entry = cache.get(key, context)
                    gets += 1
                    if entry is None:
                        cache.put(key, f"{key}|{context}", context_hash=context)
                        puts += 1
                        mine.add((key, context))
                    else:
                        assert entry.content == f"{key}|{context}"
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
            with count_lock:
                done["gets"] += gets
                done["puts"] += puts
                stored.update(mine)

        threads = [threading.Thread(target=traffic, args=(seed,)) for seed in range(3)]
        for thread in threads:
            thread.start()
        swaps = 0
        names = list(POLICIES)
        end = time.monotonic() + self.SECONDS
        try:
            while time.monotonic() < end:
                cache.set_policy(names[swaps % len(names)])
                swaps += 1
                time.sleep(0.001)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=5)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        assert swaps > 50
        stats = cache.get_stats()
        assert stats["hits"] + stats["misses"] == done["gets"]
        assert stats["puts"] == done["puts"]
        _consistent(cache)
        if max_size == 400:  # room for every (key, context): nothing may be missing
            assert stats["evictions"]["size"] == 0
            assert {(v.path, v.context) for v in cache.entries()} == stored
        for view in cache.entries():
            entry = cache.peek(view.path, view.context)
            assert entry is not None and entry.content == f"{view.path}|{view.context}"
