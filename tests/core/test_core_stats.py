"""Counters, ordered views and versions, listeners, runtime resize, pluggable policy."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from core_testlib import FakeClock, LoaderFactory, WriteFn

from promptcache import CacheEvent, ComponentCache, EventLog, LRUPolicy
from promptcache.stats import SlidingPercentiles, percentile


def _paths(cache: ComponentCache, limit: int | None = None) -> list[str]:
    return [view.path for view in cache.entries(limit)]


class TestCounters:
    def test_evictions_by_reason(self) -> None:
        cache = ComponentCache(max_size=2, max_memory_mb=0.05)  # about 52 kB
        cache.put("a.md", "a")
        cache.put("b.md", "b")
        cache.put("c.md", "c")  # over the entry limit: a.md goes
        assert cache.get_stats()["evictions"] == {"size": 1, "memory": 0, "invalidated": 0}
        assert cache.invalidate("c.md") == 1
        assert cache.invalidate("c.md") == 0
        assert cache.get_stats()["evictions"] == {"size": 1, "memory": 0, "invalidated": 1}
        cache.put("big-1.md", "x" * 30_000)
        assert cache.invalidate("b.md") == 1
        cache.put("big-2.md", "y" * 30_000)  # two entries, but over the memory limit
        assert cache.get_stats()["evictions"] == {"size": 1, "memory": 1, "invalidated": 2}
        assert cache.paths() == frozenset({"big-2.md"})
        assert cache.snapshot().total_evictions == 4

    def test_invalidate_one_variant_or_all(self) -> None:
        cache = ComponentCache()
        for ctx in ("", "x", "y"):
            cache.put("a.md", ctx, {}, ctx)
        cache.put("b.md", "b")
        assert cache.invalidate("a.md", "x") == 1
        assert cache.peek("a.md", "y") is not None
        assert cache.invalidate("a.md") == 2
        assert cache.paths() == frozenset({"b.md"})
        assert cache.get_stats()["evictions"]["invalidated"] == 3

    def test_loads_failures_and_file_change_invalidations(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("a.md", "aaa {x}")
        loader = make_loader(watch)
        loader.load_component("a.md", {"x": 1})
        loader.load_component("a.md", {"x": 2})
        loader.load_component("a.md", {"x": 1})
        with pytest.raises(Exception, match="nope"):
            loader.load_component("nope.md")
        path.write_text("bbb {x}")
        loader.load_component("a.md", {"x": 1})
        stats = loader.cache.get_stats()
        assert stats["loads"] == 3
        assert stats["load_failures"] == 1
        assert stats["hits"] == 1
        assert stats["misses"] == 4
        assert stats["evictions"]["invalidated"] == 2  # both variants of a.md
        perf = loader.get_performance_stats()
        assert perf["file_reads"] == 3
        assert perf["load_failures"] == 1
        assert perf["watch_mode"] == watch

    def test_load_time_percentiles(self) -> None:
        cache = ComponentCache()
        for ms in range(100, 0, -1):  # 1..100 ms, out of order
            cache.record_load("a.md", ms / 1000)
        cache.record_load("bad.md", 5.0, error="broken")  # failures are not timed
        stats = cache.get_stats()
        assert stats["loads"] == 100
        assert stats["load_failures"] == 1
        p50, p95, p99 = (
            stats["load_time_p50_ms"],
            stats["load_time_p95_ms"],
            stats["load_time_p99_ms"],
        )
        assert p50 <= p95 <= p99
        assert 49 <= p50 <= 52
        assert 94 <= p95 <= 96
        assert 98 <= p99 <= 100
        assert cache.snapshot().average_load_time_ms == pytest.approx(50.5)

    def test_percentiles_empty_and_single(self) -> None:
        cache = ComponentCache()
        assert cache.get_stats()["load_time_p99_ms"] == 0
        cache.record_load("a.md", 0.002)
        stats = cache.get_stats()
        assert stats["load_time_p50_ms"] == stats["load_time_p99_ms"] == 2.0

    def test_percentiles_from_real_loads(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        for i in range(20):
            write(f"{i}.md", "x" * (i * 100))
        loader = make_loader()
        for i in range(20):
            loader.load_component(f"{i}.md")
        perf = loader.get_performance_stats()
        assert 0 < perf["load_time_p50_ms"] <= perf["load_time_p95_ms"] <= perf["load_time_p99_ms"]
        assert perf["total_components_loaded"] == 20

    def test_bytes_served_counts_hits_in_utf8(self) -> None:
        cache = ComponentCache()
        cache.put("a.md", "héllo")  # 6 bytes in UTF-8
        cache.put("b.md", "\U0001f389")  # 4 bytes
        assert cache.get_stats()["bytes_served"] == 0
        cache.get("a.md")
        cache.get("a.md")
        cache.get("b.md")
        cache.get("missing.md")
        assert cache.get_stats()["bytes_served"] == 16

    def test_recent_hit_ratio_reflects_only_the_window(self, clock: FakeClock) -> None:
        cache = ComponentCache(clock=clock, recent_window_s=10.0)
        cache.put("hot.md", "hot")
        # A live panel samples every second: 20 s of misses, then 15 s of hits.
        for second in range(35):
            if second < 20:
                for n in range(5):
                    cache.get(f"cold-{second}-{n}.md")
            else:
                for _ in range(5):
                    cache.get("hot.md")
            cache.snapshot(entry_limit=0)
            clock.advance(1.0)
        snap = cache.snapshot(entry_limit=0)
        assert snap.recent_hit_ratio == 100.0
        assert 10.0 <= snap.recent_window_s <= 12.0
        assert 40 <= snap.recent_requests <= 60  # 5 per second over about 10 s
        assert snap.hit_ratio == pytest.approx(75 / 175 * 100)
        stats = cache.get_stats()
        assert stats["recent_hit_ratio"] == 100.0
        assert stats["hit_ratio"] == round(75 / 175 * 100, 2)

        # And back: 12 s of misses bring the recent ratio to 0 while lifetime barely moves.
        for second in range(12):
            for n in range(5):
                cache.get(f"again-{second}-{n}.md")
            cache.snapshot(entry_limit=0)
            clock.advance(1.0)
        snap = cache.snapshot(entry_limit=0)
        assert snap.recent_hit_ratio == 0.0
        assert snap.hit_ratio > 30

    def test_recent_ratio_on_first_snapshot_is_lifetime(self, clock: FakeClock) -> None:
        cache = ComponentCache(clock=clock)
        cache.put("a.md", "a")
        cache.get("a.md")
        cache.get("b.md")
        snap = cache.snapshot()
        assert snap.recent_hit_ratio == 50.0
        assert snap.recent_requests == 2

    def test_clear_resets_counters(self) -> None:
        cache = ComponentCache(max_size=1)
        cache.put("a.md", "a")
        cache.put("b.md", "b")
        cache.get("b.md")
        cache.get("a.md")
        cache.record_load("a.md", 0.1)
        cache.clear_cache()
        stats = cache.get_stats()
        for key in ("hits", "misses", "total_requests", "cache_size", "puts", "loads"):
            assert stats[key] == 0, key
        assert stats["evictions"] == {"size": 0, "memory": 0, "invalidated": 0}
        assert stats["memory_usage_bytes"] == 0


class TestEntriesAndVersion:
    def test_entries_mru_to_lru(self, clock: FakeClock) -> None:
        cache = ComponentCache(clock=clock)
        for name in "abcde":
            clock.advance(1)
            cache.put(f"{name}.md", name)
        assert _paths(cache) == ["e.md", "d.md", "c.md", "b.md", "a.md"]
        cache.get("b.md")
        cache.peek("d.md")  # a peek does not move it
        cache.put("c.md", "C")  # a put does
        assert _paths(cache) == ["c.md", "b.md", "e.md", "d.md", "a.md"]
        assert _paths(cache, 2) == ["c.md", "b.md"]
        assert _paths(cache, 0) == []
        assert _paths(cache, 99) == _paths(cache)
        views = cache.entries(2, offset=2)
        assert [(v.rank, v.path) for v in views] == [(3, "e.md"), (4, "d.md")]
        first = cache.entries(1)[0]
        assert first.rank == 1
        assert first.hits == 1
        assert first.size_bytes > 0
        assert first.context_label == "—"
        assert [v.path for v in cache.snapshot(entry_limit=3).entries] == _paths(cache, 3)

    def test_first_k_entries_read_only_k_keys(self) -> None:
        consumed = 0

        class CountingLRU(LRUPolicy[Any]):
            def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[Any]:
                nonlocal consumed
                for key in super().ordered(limit, offset):
                    consumed += 1
                    yield key

        cache = ComponentCache(max_size=5000, policy=CountingLRU())
        for i in range(5000):
            cache.put(f"{i}.md", "x")
        consumed = 0
        assert len(cache.entries(3)) == 3
        assert consumed == 3
        consumed = 0
        cache.snapshot(entry_limit=4)
        assert consumed == 4

    def test_version_changes_on_every_mutation(self) -> None:
        cache = ComponentCache(max_size=2, max_memory_mb=0.01)
        seen = [cache.version]

        def changed() -> None:
            assert cache.version != seen[-1]
            seen.append(cache.version)

        cache.put("a.md", "a")
        changed()
        cache.get("a.md")  # hit
        changed()
        cache.get("zzz.md")  # miss
        changed()
        cache.put("a.md", "a2")  # replace
        changed()
        cache.invalidate("a.md")
        changed()
        cache.put("a.md", "a")
        cache.put("b.md", "b")
        cache.put("c.md", "c")  # eviction
        changed()
        cache.resize(max_size=1)
        changed()
        with pytest.raises(Exception, match="budget"):
            cache.put("huge.md", "h" * 50_000)
        changed()
        cache.record_load("a.md", 0.01)
        changed()
        cache.clear_cache()
        changed()
        assert len(set(seen)) == len(seen)

    def test_version_unchanged_by_reads(self) -> None:
        cache = ComponentCache()
        cache.put("a.md", "a", {}, "ctx")
        version = cache.version
        cache.peek("a.md", "ctx")
        cache.peek("nope.md")
        cache.snapshot()
        cache.get_stats()
        cache.entries()
        cache.paths()
        _ = len(cache), ("a.md", "ctx") in cache, cache.memory_bytes
        assert cache.invalidate("nope.md") == 0
        assert cache.version == version

    def test_contains_uses_exact_keys(self) -> None:
        cache = ComponentCache()
        cache.put("a.md", "a", {}, "ctx")
        assert ("a.md", "ctx") in cache
        assert ("a.md", "") not in cache
        assert len(cache) == 1


class TestListeners:
    def test_put_evict_invalidate_clear_events(self, clock: FakeClock) -> None:
        cache = ComponentCache(max_size=2, clock=clock)
        events: list[CacheEvent] = []
        cache.add_listener(events.append)
        cache.put("a.md", "a", {}, "x")
        cache.put("b.md", "b", origin="preload")
        cache.put("c.md", "c", origin="warmup")  # evicts a.md by size
        cache.invalidate("b.md")
        cache.invalidate("c.md", reason="manual")
        cache.put("d.md", "d" * 10)
        cache.resize(max_memory_mb=0.0001)  # about 105 bytes: d.md must go
        cache.clear_cache()
        got = [(e.kind, e.path, e.reason) for e in events]
        assert got == [
            ("put", "a.md", "request"),
            ("put", "b.md", "preload"),
            ("put", "c.md", "warmup"),
            ("evict", "a.md", "size"),
            ("invalidate", "b.md", "invalidated"),
            ("invalidate", "c.md", "manual"),
            ("put", "d.md", "request"),
            ("evict", "d.md", "memory"),
            ("clear", "", "0 entries"),
        ]
        assert events[0].context == "x"
        assert events[3].context == "x"
        assert all(e.size_bytes > 0 for e in events if e.kind != "clear")
        assert all(e.timestamp == clock.now for e in events)

    def test_file_change_events_from_loader(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("a.md", "aaa")
        loader = make_loader(watch)
        events: list[CacheEvent] = []
        loader.cache.add_listener(events.append)
        loader.load_component("a.md")
        path.write_text("bbb")
        loader.load_component("a.md")
        kinds = [(e.kind, e.reason) for e in events]
        assert ("invalidate", "file changed") in kinds
        assert kinds.count(("put", "request")) == 2

    def test_failing_listener_does_not_break_the_cache(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        cache = ComponentCache(max_size=1)
        good: list[CacheEvent] = []

        def broken(event: CacheEvent) -> None:
            raise RuntimeError("listener bug")

        cache.add_listener(broken)
        cache.add_listener(good.append)
        with caplog.at_level(logging.ERROR, logger="promptcache"):
            cache.put("a.md", "a")
            cache.put("b.md", "b")
            cache.invalidate("b.md")
        assert [e.kind for e in good] == ["put", "put", "evict", "invalidate"]
        assert len(cache) == 0
        assert cache.memory_bytes == 0
        assert any("listener" in r.getMessage() for r in caplog.records)

    def test_remove(self) -> None:
        cache = ComponentCache()
        first: list[CacheEvent] = []
        second: list[CacheEvent] = []
        remove_first = cache.add_listener(first.append)
        cache.add_listener(second.append)
        cache.put("a.md", "a")
        remove_first()
        remove_first()  # twice is harmless
        cache.put("b.md", "b")
        assert [e.path for e in first] == ["a.md"]
        assert [e.path for e in second] == ["a.md", "b.md"]
        assert cache.listener_count == 1

    def test_listener_count(self) -> None:
        cache = ComponentCache()
        assert cache.listener_count == 0
        removers = [cache.add_listener(lambda e: None) for _ in range(3)]
        assert cache.listener_count == 3
        for remove in removers:
            remove()
        assert cache.listener_count == 0

    def test_event_log(self) -> None:
        cache = ComponentCache(max_size=1)
        log = EventLog(maxlen=2, kinds=frozenset({"evict", "invalidate"}))
        cache.add_listener(log.record)
        version = log.version
        cache.put("a.md", "a")
        assert log.version == version  # puts are not wanted
        cache.put("b.md", "b")
        cache.put("c.md", "c")
        cache.invalidate("c.md")
        assert [(e.kind, e.path) for e in log.recent()] == [
            ("invalidate", "c.md"),
            ("evict", "b.md"),
        ]
        assert len(log.recent(1)) == 1
        log.clear()
        assert log.recent() == ()


class TestResize:
    def test_resize_size_evicts_at_once(self) -> None:
        cache = ComponentCache(max_size=10)
        for i in range(10):
            cache.put(f"{i}.md", "x")
        cache.get("0.md")
        assert cache.resize(max_size=3) == 7
        assert len(cache) == 3
        assert _paths(cache) == ["0.md", "9.md", "8.md"]
        assert cache.max_size == 3
        assert cache.get_stats()["evictions"]["size"] == 7
        assert cache.get_stats()["max_size"] == 3
        assert cache.memory_bytes == sum(v.size_bytes for v in cache.entries())

    def test_resize_memory_evicts_at_once(self) -> None:
        cache = ComponentCache(max_size=100, max_memory_mb=1)
        for i in range(20):
            cache.put(f"{i}.md", "x" * 10_000)
        assert len(cache) == 20
        evicted = cache.resize(max_memory_mb=0.05)  # about 52 kB: room for 5
        assert evicted == 15
        assert cache.memory_bytes <= cache.max_memory_bytes == int(0.05 * 1024 * 1024)
        assert cache.get_stats()["evictions"]["memory"] == 15
        assert _paths(cache)[0] == "19.md"
        assert cache.max_size == 100

    def test_grow_evicts_nothing_and_allows_more(self) -> None:
        cache = ComponentCache(max_size=2)
        cache.put("a.md", "a")
        cache.put("b.md", "b")
        assert cache.resize(max_size=4, max_memory_mb=100) == 0
        cache.put("c.md", "c")
        cache.put("d.md", "d")
        assert len(cache) == 4

    @pytest.mark.parametrize(
        "kwargs", [{"max_size": 0}, {"max_size": -3}, {"max_memory_mb": 0}, {"max_size": 2.5}]
    )
    def test_invalid_resize_changes_nothing(self, kwargs: dict[str, float]) -> None:
        cache = ComponentCache(max_size=5, max_memory_mb=1)
        cache.put("a.md", "a")
        with pytest.raises(ValueError):
            cache.resize(**kwargs)  # type: ignore[arg-type]
        assert (cache.max_size, cache.max_memory_bytes, len(cache)) == (5, 1024 * 1024, 1)

    @pytest.mark.parametrize("huge", [1e308, float("inf"), 10**400, float("nan"), True])
    def test_an_unusable_memory_limit_changes_nothing(self, huge: float) -> None:
        cache = ComponentCache(max_size=100, max_memory_mb=1)
        for i in range(100):
            cache.put(f"{i}.md", "x")
        version = cache.version
        with pytest.raises(ValueError, match=r"^max_memory_mb must be"):
            cache.resize(max_size=5, max_memory_mb=huge)
        assert (cache.max_size, cache.max_memory_bytes, len(cache)) == (100, 1024 * 1024, 100)
        assert cache.version == version
        assert cache.resize(max_size=5) == 95  # still usable: the next resize works
        assert (cache.max_size, cache.max_memory_bytes) == (5, 1024 * 1024)

    def test_a_very_large_finite_limit_is_kept_exactly(self) -> None:
        cache = ComponentCache(max_memory_mb=1e300)
        assert cache.max_memory_bytes == int(1e300 * 1024 * 1024)
        cache.resize(max_size=3)
        assert cache.max_memory_bytes == int(1e300 * 1024 * 1024)


class TestPolicyInterface:
    def test_another_policy_plugs_in(self) -> None:
        class FIFOPolicy(LRUPolicy[Any]):
            """First in, first out: reads do not protect an entry."""

            name = "fifo"

            def __init__(self) -> None:
                super().__init__()
                self.record_access = lambda key: None

        cache = ComponentCache(max_size=2, policy=FIFOPolicy())
        assert cache.policy_name == "fifo"
        cache.put("a.md", "a")
        cache.put("b.md", "b")
        cache.get("a.md")
        cache.put("c.md", "c")
        assert cache.peek("a.md") is None  # LRU would have kept a.md
        assert _paths(cache) == ["c.md", "b.md"]
        stats = cache.get_stats()
        assert (stats["hits"], stats["policy"], stats["evictions"]["size"]) == (1, "fifo", 1)
        assert cache.memory_bytes == sum(v.size_bytes for v in cache.entries())


class TestWorkUnderTheLock:
    """Readers of a big cache touch O(rows asked for) entries, not every entry."""

    @staticmethod
    def counting_cache(size: int, clock: FakeClock) -> tuple[ComponentCache, list[int]]:
        touched = [0]

        class CountingLRU(LRUPolicy[Any]):
            def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[Any]:
                for value in super().ordered(limit, offset):
                    touched[0] += 1
                    yield value

            def values(self) -> Iterator[Any]:
                for value in super().values():
                    touched[0] += 1
                    yield value

        cache = ComponentCache(max_size=size, policy=CountingLRU(), clock=clock)
        return cache, touched

    def test_polling_a_big_cache(self, clock: FakeClock) -> None:
        cache, touched = self.counting_cache(6000, clock)
        rng = random.Random(5)
        for i in range(6000):
            cache.put(f"{i}.md", "x")
        for _ in range(12_000):
            cache.get(f"{int(rng.paretovariate(0.8)) % 6000}.md")
        touched[0] = 0
        first = cache.get_stats()["top_components"]
        assert touched[0] == 6000  # the first call scans
        for _ in range(20):
            clock.advance(0.04)
            touched[0] = 0
            stats = cache.get_stats()
            cache.snapshot(entry_limit=7)
            cache.entries(3)
            assert touched[0] == 10  # the rest, within a second, touch only what they return
            assert [t["path"] for t in stats["top_components"]] == [t["path"] for t in first]
        hot = first[0]["path"]
        cache.invalidate(hot)
        assert hot not in [t["path"] for t in cache.get_stats()["top_components"]]
        clock.advance(1.0)
        touched[0] = 0
        cache.get_stats()
        assert touched[0] == 5999  # a second later: one scan again (one was invalidated)

    def test_deep_pages_of_a_big_cache(self, clock: FakeClock) -> None:
        cache, touched = self.counting_cache(5000, clock)
        for i in range(5000):
            cache.put(f"{i}.md", "x")
        expected = [(v.rank, v.path) for v in cache.entries()[3000:3005]]
        assert expected == [(3001, "1999.md"), (3002, "1998.md"), (3003, "1997.md"),
                            (3004, "1996.md"), (3005, "1995.md")]  # fmt: skip
        touched[0] = 0
        assert [(v.rank, v.path) for v in cache.entries(5, 3000)] == expected
        assert touched[0] == 5000  # the first deep page walks the order once
        cache.get("0.md")  # moves to the front: every deeper rank shifts by one
        cache.invalidate("1997.md")
        touched[0] = 0
        page = cache.entries(5, 3000)
        assert touched[0] == 0  # pages within the second use that walk
        assert [(v.rank, v.path) for v in page] == [
            (3001, "1999.md"), (3002, "1998.md"), (3004, "1996.md"), (3005, "1995.md"),
        ]  # fmt: skip
        assert cache.entries(2, 6000) == ()
        clock.advance(1.0)
        assert [(v.rank, v.path) for v in cache.entries(4, 3000)] == [
            (3001, "2000.md"),
            (3002, "1999.md"),
            (3003, "1998.md"),
            (3004, "1996.md"),
        ]  # fmt: skip (a new walk: 0.md went first, 1997.md is gone)
        assert [v.path for v in cache.entries(2, 10)] == ["4990.md", "4989.md"]

    def test_load_time_percentiles_do_not_sort_per_read(self) -> None:
        cache = ComponentCache(load_sample_size=4)
        for ms in (5, 1, 4, 2, 3):  # the 5 ms load leaves the window of 4
            cache.record_load("a.md", ms / 1000)
        snap = cache.snapshot(entry_limit=0)
        assert (snap.load_time_p50_ms, snap.load_time_p99_ms) == (3.0, 4.0)


def brute_top(cache: ComponentCache, n: int) -> list[int]:
    return sorted((v.hits for v in cache.entries()), reverse=True)[:n]


class TestTopComponents:
    @pytest.mark.parametrize("seed", range(4))
    def test_the_most_used_match_a_full_scan_under_churn(self, seed: int) -> None:
        rng = random.Random(seed)
        cache = ComponentCache(max_size=rng.choice([5, 40, 200]))
        for step in range(4000):
            roll = rng.random()
            path = f"{min(int(rng.expovariate(0.02)), 400)}.md"
            context = rng.choice(["", "", "v1"])
            if roll < 0.6:
                if cache.get(path, context) is None:
                    cache.put(path, "x", None, context, origin=rng.choice(["request", "preload"]))
            elif roll < 0.7:
                cache.put(path, "y", None, context)  # replaces: the count starts again
            elif roll < 0.75:
                cache.invalidate(path)
            elif roll < 0.76:
                cache.resize(max_size=rng.choice([5, 40, 200]))
            elif roll < 0.761:
                cache.clear_cache()
            if step % 97 == 0:
                for n in (1, 10, 50):
                    top = cache.top_components(n)
                    assert [t.access_count for t in top] == brute_top(cache, n), (step, n)
        stats_top = cache.get_stats()["top_components"]
        assert [t["access_count"] for t in stats_top] == brute_top(cache, 10)

    def test_a_big_cache_between_scans_ranks_current_counts(self, clock: FakeClock) -> None:
        cache = ComponentCache(max_size=5000, clock=clock)
        for i in range(5000):
            cache.put(f"{i}.md", "x")
        for i in range(40):
            for _ in range(40 - i):
                cache.get(f"{i}.md")
        assert [t.path for t in cache.top_components(3)] == ["0.md", "1.md", "2.md"]
        for _ in range(100):
            cache.get("2.md")  # a remembered entry: its new count counts at once
        assert [t.path for t in cache.top_components(2)] == ["2.md", "0.md"]
        cache.invalidate("2.md")
        assert [t.path for t in cache.top_components(2)] == ["0.md", "1.md"]
        for _ in range(500):
            cache.get("4000.md")  # unknown to the last scan: seen at the next one
        assert cache.top_components(1)[0].path == "0.md"
        clock.advance(1.0)
        assert cache.top_components(1)[0].path == "4000.md"
        for _ in range(900):
            cache.get("4001.md")
        clock.advance(-60.0)  # a wall clock set back: walk again rather than never
        assert cache.top_components(1)[0].path == "4001.md"

    def test_entries_named_are_resident_with_their_counts(self) -> None:
        cache = ComponentCache(max_size=3)
        for name, hits in (("a", 5), ("b", 1), ("c", 3)):
            cache.put(f"{name}.md", name)
            for _ in range(hits):
                cache.get(f"{name}.md")
        assert [(t.path, t.access_count) for t in cache.top_components(2)] == [
            ("a.md", 6),
            ("c.md", 4),
        ]
        cache.put("d.md", "d")  # evicts a.md, the least recently used
        assert [t.path for t in cache.top_components(3)] == ["c.md", "b.md", "d.md"]


class TestSlidingPercentiles:
    @pytest.mark.parametrize("size", [1, 3, 64])
    def test_match_sorting_the_window(self, size: int) -> None:
        rng = random.Random(size)
        window = SlidingPercentiles(size)
        seen: list[float] = []
        for _ in range(500):
            value = rng.choice([rng.random(), 0.5, 0.25])  # repeats too
            window.add(value)
            seen.append(value)
            ordered = sorted(seen[-size:])
            for q in (0.0, 0.5, 0.95, 0.99, 1.0):
                assert window.percentile(q) == percentile(ordered, q)
        assert len(window) == size

    def test_empty_and_bad_size(self) -> None:
        assert SlidingPercentiles(2).percentile(0.5) == 0.0
        with pytest.raises(ValueError, match="size"):
            SlidingPercentiles(0)
