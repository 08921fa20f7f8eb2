"""Defect 10 and the monitor: bounded snapshots, targets as parameters, trends, advice."""

from __future__ import annotations

from collections import deque

import pytest
from core_testlib import FakeClock

from promptcache import CachePerformanceMonitor, ComponentCache


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
        assert [s["timestamp"] for s in monitor.performance_log] == [
            clock.now - 2,
            clock.now - 1,
            clock.now,
        ]

    def test_default_targets(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=3, misses=1)  # 75 %: meets the 75 % target
        snap = monitor.log_performance_snapshot()
        assert snap["hit_ratio"] == 75.0
        assert snap["response_time_target_met"] is True
        assert snap["memory_efficient"] is True
        assert snap["cache_healthy"] is True
        _requests(cache, hits=0, misses=1)  # 60 %
        snap = monitor.log_performance_snapshot()
        assert snap["response_time_target_met"] is False
        assert snap["cache_healthy"] is False

    @pytest.mark.parametrize(
        ("hit_target", "met"), [(50.0, True), (60.0, True), (60.01, False), (90.0, False)]
    )
    def test_hit_ratio_target_parameter(self, hit_target: float, met: bool) -> None:
        cache = ComponentCache()
        _requests(cache, hits=3, misses=2)  # 60 %
        monitor = CachePerformanceMonitor(cache, hit_ratio_target=hit_target)
        snap = monitor.log_performance_snapshot()
        assert snap["response_time_target_met"] is met
        assert snap["cache_healthy"] is met

    @pytest.mark.parametrize(("memory_target", "efficient"), [(80.0, True), (30.0, False)])
    def test_memory_target_parameter(self, memory_target: float, efficient: bool) -> None:
        cache = ComponentCache(max_memory_mb=0.05)
        _requests(cache, hits=10, misses=0)
        _fill_memory(cache, 0.5)
        utilization = cache.get_stats()["memory_utilization"]
        assert 40 < utilization < 60
        monitor = CachePerformanceMonitor(cache, memory_target=memory_target)
        snap = monitor.log_performance_snapshot()
        assert snap["memory_efficient"] is efficient
        assert snap["response_time_target_met"] is True
        assert snap["cache_healthy"] is efficient
        monitor.log_performance_snapshot()
        advice = monitor.get_performance_trends()["recommendations"]
        assert any("max_memory_mb" in a for a in advice) is not efficient

    def test_trend_direction(self) -> None:
        cache = ComponentCache()
        improving = CachePerformanceMonitor(cache)
        _requests(cache, hits=0, misses=10)
        for _ in range(5):
            improving.log_performance_snapshot()
            _requests(cache, hits=20, misses=0)
        trends = improving.get_performance_trends()["trend_analysis"]
        assert trends["direction"] == "improving"
        assert trends["hit_ratio_change"] > 0
        assert trends["snapshots"] == 5

        cache = ComponentCache()
        degrading = CachePerformanceMonitor(cache)
        _requests(cache, hits=10, misses=0)
        for _ in range(5):
            degrading.log_performance_snapshot()
            _requests(cache, hits=0, misses=20)
        assert degrading.get_performance_trends()["trend_analysis"]["direction"] == "degrading"

        cache = ComponentCache()
        stable = CachePerformanceMonitor(cache)
        _requests(cache, hits=8, misses=2)
        for _ in range(5):
            stable.log_performance_snapshot()
            _requests(cache, hits=8, misses=2)
        analysis = stable.get_performance_trends()["trend_analysis"]
        assert analysis["direction"] == "stable"
        assert analysis["average_hit_ratio"] == 80.0
        assert analysis["target_achievement"] is True
        assert analysis["performance_stable"] is True

    def test_trend_window_uses_recent_snapshots(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache, trend_window=4)
        _requests(cache, hits=0, misses=10)
        for _ in range(6):
            monitor.log_performance_snapshot()
        _requests(cache, hits=990, misses=0)  # lifetime 99 %
        for _ in range(4):
            monitor.log_performance_snapshot()
        analysis = monitor.get_performance_trends()["trend_analysis"]
        assert analysis["snapshots"] == 4
        assert analysis["average_hit_ratio"] == 99.0
        assert analysis["direction"] == "stable"

    def test_recommendations(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=1, misses=9)  # 10 %
        monitor.log_performance_snapshot()
        monitor.log_performance_snapshot()
        advice = monitor.get_performance_trends()["recommendations"]
        assert "Increase cache size or adjust hot component list" in advice
        assert "Review component loading patterns - possible cache thrashing" in advice
        assert "Cache performance degraded - consider memory optimization" in advice

        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=7, misses=3)  # 70 %: below target, not thrashing
        monitor.log_performance_snapshot()
        monitor.log_performance_snapshot()
        advice = monitor.get_performance_trends()["recommendations"]
        assert "Increase cache size or adjust hot component list" in advice
        assert not any("thrashing" in a for a in advice)

        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        _requests(cache, hits=99, misses=1)
        monitor.log_performance_snapshot()
        monitor.log_performance_snapshot()
        assert monitor.get_performance_trends()["recommendations"] == []

    def test_snapshot_reports_counts(self) -> None:
        cache = ComponentCache(max_size=1)
        monitor = CachePerformanceMonitor(cache)
        cache.put("a.md", "a")
        cache.put("b.md", "b")  # evicts a.md
        _requests(cache, hits=1, misses=1)
        snap = monitor.log_performance_snapshot()
        assert snap["total_requests"] == 2
        assert snap["evictions"] >= 1
