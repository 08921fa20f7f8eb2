"""Defect 10 and the monitor: bounded snapshots, targets as parameters, trends, advice."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import deque

import pytest
from core_testlib import FakeClock

from promptcache import (
    HIT_RATIO_TARGET,
    CachePerformanceMonitor,
    ComponentCache,
    MonitorSnapshot,
    PerformanceTrends,
    TrendAnalysis,
)


def _requests(cache: ComponentCache, hits: int, misses: int) -> None:
    if cache.peek("hot.md") is None:
        cache.put("hot.md", "hot")
    for _ in range(hits):
        assert cache.get("hot.md") is not None
    for n in range(misses):
        assert cache.get(f"cold-{n}.md") is None


def _fill_memory(cache: ComponentCache, fraction: float) -> None:
    """Put one entry taking about ``fraction`` of the memory budget."""
    probe = cache.put("probe.md", "")
    overhead = probe.size_bytes - 49  # an empty str is 49 bytes
    cache.invalidate("probe.md")
    cache.put("mem.md", "m" * int(cache.max_memory_bytes * fraction - overhead - 49))


class TestMonitor:
    def test_log_is_a_bounded_deque(self, clock: FakeClock) -> None:
        monitor = CachePerformanceMonitor(ComponentCache(), max_snapshots=3, clock=clock)
        assert isinstance(monitor.performance_log, deque)
        for _ in range(5):
            clock.advance(1)
            monitor.log_performance_snapshot()
        assert len(monitor.performance_log) == 3
        assert [s.timestamp for s in monitor.performance_log] == [
            clock.now - 2,
            clock.now - 1,
            clock.now,
        ]

    def test_default_targets(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=3, misses=1)  # 75 %: meets the 75 % target
        snap = monitor.log_performance_snapshot()
        assert snap.hit_ratio == 75.0
        assert snap.response_time_target_met is True
        assert snap.memory_efficient is True
        assert snap.cache_healthy is True
        _requests(cache, hits=0, misses=1)  # 60 %
        snap = monitor.log_performance_snapshot()
        assert snap.response_time_target_met is False
        assert snap.cache_healthy is False

    @pytest.mark.parametrize(
        ("hit_target", "met"), [(50.0, True), (60.0, True), (60.01, False), (90.0, False)]
    )
    def test_hit_ratio_target_parameter(self, hit_target: float, met: bool) -> None:
        cache = ComponentCache()
        _requests(cache, hits=3, misses=2)  # 60 %
        monitor = CachePerformanceMonitor(cache, hit_ratio_target=hit_target)
        snap = monitor.log_performance_snapshot()
        assert snap.response_time_target_met is met
        assert snap.cache_healthy is met

    @pytest.mark.parametrize(("memory_target", "efficient"), [(80.0, True), (30.0, False)])
    def test_memory_target_parameter(self, memory_target: float, efficient: bool) -> None:
        cache = ComponentCache(max_memory_mb=0.05)
        _requests(cache, hits=10, misses=0)
        _fill_memory(cache, 0.5)
        utilization = cache.get_stats()["memory_utilization"]
        assert 40 < utilization < 60
        monitor = CachePerformanceMonitor(cache, memory_target=memory_target)
        snap = monitor.log_performance_snapshot()
        assert snap.memory_efficient is efficient
        assert snap.response_time_target_met is True
        assert snap.cache_healthy is efficient
        monitor.log_performance_snapshot()
        advice = monitor.get_performance_trends().recommendations
        assert any("max_memory_mb" in a for a in advice) is not efficient

    def test_trend_direction(self) -> None:
        cache = ComponentCache()
        improving = CachePerformanceMonitor(cache)
        _requests(cache, hits=0, misses=10)
        for _ in range(5):
            improving.log_performance_snapshot()
            _requests(cache, hits=20, misses=0)
        trends = improving.get_performance_trends().analysis
        assert trends.direction == "improving"
        assert trends.hit_ratio_change > 0
        assert trends.snapshots == 5

        cache = ComponentCache()
        degrading = CachePerformanceMonitor(cache)
        _requests(cache, hits=10, misses=0)
        for _ in range(5):
            degrading.log_performance_snapshot()
            _requests(cache, hits=0, misses=20)
        assert degrading.get_performance_trends().analysis.direction == "degrading"

        cache = ComponentCache()
        stable = CachePerformanceMonitor(cache)
        _requests(cache, hits=8, misses=2)
        for _ in range(5):
            stable.log_performance_snapshot()
            _requests(cache, hits=8, misses=2)
        analysis = stable.get_performance_trends().analysis
        assert analysis.direction == "stable"
        assert analysis.average_hit_ratio == 80.0
        assert analysis.target_achievement is True
        assert analysis.performance_stable is True

    def test_trend_window_uses_recent_snapshots(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache, trend_window=4)
        _requests(cache, hits=0, misses=10)
        for _ in range(6):
            monitor.log_performance_snapshot()
        _requests(cache, hits=990, misses=0)  # lifetime 99 %
        for _ in range(4):
            monitor.log_performance_snapshot()
        analysis = monitor.get_performance_trends().analysis
        assert analysis.snapshots == 4
        assert analysis.average_hit_ratio == 99.0
        assert analysis.direction == "stable"

    def test_recommendations(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=1, misses=9)  # 10 %
        monitor.log_performance_snapshot()
        monitor.log_performance_snapshot()
        advice = monitor.get_performance_trends().recommendations
        assert "Increase cache size or adjust hot component list" in advice
        assert "Review component loading patterns - possible cache thrashing" in advice
        assert "Cache performance degraded - consider memory optimization" in advice

        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=7, misses=3)  # 70 %: below target, not thrashing
        monitor.log_performance_snapshot()
        monitor.log_performance_snapshot()
        advice = monitor.get_performance_trends().recommendations
        assert "Increase cache size or adjust hot component list" in advice
        assert not any("thrashing" in a for a in advice)

        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=99, misses=1)
        monitor.log_performance_snapshot()
        monitor.log_performance_snapshot()
        assert monitor.get_performance_trends().recommendations == ()

    def test_snapshot_reports_counts(self) -> None:
        cache = ComponentCache(max_size=1)
        monitor = CachePerformanceMonitor(cache)
        cache.put("a.md", "a")
        cache.put("b.md", "b")  # evicts a.md
        _requests(cache, hits=1, misses=1)
        snap = monitor.log_performance_snapshot()
        assert snap.total_requests == 2
        assert snap.evictions == 2  # a.md for b.md, b.md for hot.md


class TestTypedResults:
    def test_snapshots_and_trends_are_frozen_dataclasses(self, clock: FakeClock) -> None:
        cache = ComponentCache(clock=clock)
        monitor = CachePerformanceMonitor(cache, clock=clock)
        _requests(cache, hits=3, misses=1)
        snap = monitor.log_performance_snapshot()
        assert isinstance(snap, MonitorSnapshot)
        assert list(monitor.performance_log) == [snap]
        with pytest.raises(dataclasses.FrozenInstanceError):
            snap.hit_ratio = 0.0  # type: ignore[misc]
        monitor.log_performance_snapshot()
        trends = monitor.get_performance_trends()
        assert isinstance(trends, PerformanceTrends) and trends.status == "ok"
        assert isinstance(trends.analysis, TrendAnalysis)
        assert trends.recommendations == ()
        assert monitor.hit_ratio_target == HIT_RATIO_TARGET == 75.0

    def test_read_by_key_gives_the_original_dicts(self, clock: FakeClock) -> None:
        cache = ComponentCache(clock=clock)
        monitor = CachePerformanceMonitor(cache, clock=clock)
        _requests(cache, hits=1, misses=1)
        snap = monitor.log_performance_snapshot()
        assert snap is not None
        assert snap.to_dict() == {
            "timestamp": clock.now, "hit_ratio": 50.0, "recent_hit_ratio": 50.0,
            "memory_utilization": snap.memory_utilization, "total_requests": 2, "evictions": 0,
            "response_time_target_met": False, "memory_efficient": True,
            "cache_healthy": False,
        }  # fmt: skip
        assert dict(snap) == snap.to_dict() and snap == snap.to_dict()
        assert snap["total_requests"] == 2 and snap.get("nope") is None and "hit_ratio" in snap
        with pytest.raises(KeyError):
            snap["nope"]
        assert monitor.get_performance_trends().to_dict() == {"status": "insufficient_data"}
        monitor.log_performance_snapshot()
        trends = monitor.get_performance_trends()
        data = trends.to_dict()
        assert data == {
            "trend_analysis": {
                "average_hit_ratio": 50.0, "target_achievement": False,
                "performance_stable": False, "direction": "stable", "hit_ratio_change": 0.0,
                "snapshots": 2,
            },
            "recommendations": [
                "Increase cache size or adjust hot component list",
                "Cache performance degraded - consider memory optimization",
            ],
        }  # fmt: skip
        assert trends["trend_analysis"]["direction"] == "stable"
        assert json.loads(json.dumps(data)) == data  # JSON-ready

    def test_from_dict_rebuilds_what_to_dict_gave(self, clock: FakeClock) -> None:
        cache = ComponentCache(clock=clock)
        monitor = CachePerformanceMonitor(cache, clock=clock)
        _requests(cache, hits=9, misses=1)
        first = monitor.log_performance_snapshot()
        assert first is not None
        _requests(cache, hits=0, misses=5)
        monitor.log_performance_snapshot()
        trends = monitor.get_performance_trends()
        wire = json.loads(json.dumps({"s": first.to_dict(), "t": trends.to_dict()}))
        assert MonitorSnapshot.from_dict(wire["s"]) == first
        again = PerformanceTrends.from_dict(wire["t"])
        assert (again.status, again.analysis, again.recommendations) == (
            "ok", trends.analysis, trends.recommendations,
        )  # fmt: skip
        assert again.analysis is not None and again.analysis.direction == "degrading"
        assert PerformanceTrends.from_dict({"status": "no_monitor"}).status == "no_monitor"
        empty = PerformanceTrends.from_dict({"status": "insufficient_data"})
        assert (empty.status, empty.analysis) == ("insufficient_data", None)


class TestSnapshotIfDue:
    def test_one_snapshot_per_interval(self, clock: FakeClock) -> None:
        monitor = CachePerformanceMonitor(ComponentCache(clock=clock), clock=clock)
        first = monitor.snapshot_if_due(1.0)
        assert first is not None and first.timestamp == clock.now
        clock.advance(0.5)
        assert monitor.snapshot_if_due(1.0) is first
        clock.advance(0.5)
        second = monitor.snapshot_if_due(1.0)
        assert second is not None and second is not first and second.timestamp == clock.now
        assert list(monitor.performance_log) == [first, second]

    def test_snapshots_the_application_logs_count(self, clock: FakeClock) -> None:
        monitor = CachePerformanceMonitor(ComponentCache(clock=clock), clock=clock)
        own = monitor.log_performance_snapshot()
        clock.advance(0.9)
        assert monitor.snapshot_if_due(1.0) is own
        assert len(monitor.performance_log) == 1

    def test_a_clock_that_went_back_takes_a_new_one(self, clock: FakeClock) -> None:
        monitor = CachePerformanceMonitor(ComponentCache(clock=clock), clock=clock)
        first = monitor.snapshot_if_due(60.0)
        clock.advance(-5.0)
        assert monitor.snapshot_if_due(60.0) is not first

    def test_threads_polling_at_once_take_one_snapshot(self, clock: FakeClock) -> None:
        monitor = CachePerformanceMonitor(ComponentCache(clock=clock), clock=clock)
        start = threading.Barrier(8)
        seen: list[MonitorSnapshot | None] = []

        def poll() -> None:
            start.wait(timeout=10)
            for _ in range(200):
                seen.append(monitor.snapshot_if_due(1.0))

        threads = [threading.Thread(target=poll) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(monitor.performance_log) == 1
        assert len(seen) == 1600 and all(s is monitor.performance_log[0] for s in seen)
