"""Performance snapshots over time, their trend, and recommendations."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .cache import ComponentCache


class CachePerformanceMonitor:
    """Takes snapshots of a cache's health and analyses the recent ones.

    Args:
        cache: The cache to watch.
        hit_ratio_target: Hit ratio (percent) at or above which responses meet the target.
        memory_target: Memory utilisation (percent) below which the cache is efficient.
        max_snapshots: How many snapshots are kept (oldest dropped first).
        trend_window: How many recent snapshots the trend analysis uses.
        clock: Wall-clock source, injectable for tests.
    """

    def __init__(
        self,
        cache: ComponentCache,
        *,
        hit_ratio_target: float = 75.0,
        memory_target: float = 80.0,
        max_snapshots: int = 1000,
        trend_window: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache = cache
        self.monitoring_enabled = True
        self.hit_ratio_target = hit_ratio_target
        self.memory_target = memory_target
        self.trend_window = trend_window
        self.performance_log: deque[dict[str, Any]] = deque(maxlen=max_snapshots)
        self._clock = clock

    def log_performance_snapshot(self) -> dict[str, Any]:
        """Record and return a snapshot: timestamp, hit ratio and health against the targets.

        Returns ``{}`` while ``monitoring_enabled`` is False.
        """
        if not self.monitoring_enabled:
            return {}
        snap = self.cache.snapshot(entry_limit=0)
        hit_ok = snap.hit_ratio >= self.hit_ratio_target
        memory_ok = snap.memory_utilization < self.memory_target
        snapshot = {
            "timestamp": self._clock(),
            "hit_ratio": round(snap.hit_ratio, 2),
            "recent_hit_ratio": round(snap.recent_hit_ratio, 2),
            "memory_utilization": round(snap.memory_utilization, 2),
            "total_requests": snap.total_requests,
            "evictions": snap.total_evictions,
            "response_time_target_met": hit_ok,
            "memory_efficient": memory_ok,
            "cache_healthy": hit_ok and memory_ok,
        }
        self.performance_log.append(snapshot)
        return snapshot

    def get_performance_trends(self) -> dict[str, Any]:
        """Trend of the recent snapshots and recommendations; needs two snapshots."""
        if len(self.performance_log) < 2:
            return {"status": "insufficient_data"}
        recent = list(self.performance_log)[-self.trend_window :]
        ratios = [s["hit_ratio"] for s in recent]
        average = sum(ratios) / len(ratios)
        healthy = sum(1 for s in recent if s["cache_healthy"]) / len(recent)
        half = len(ratios) // 2
        first, second = ratios[:half] or ratios[:1], ratios[half:]
        delta = sum(second) / len(second) - sum(first) / len(first)
        direction = "improving" if delta > 1.0 else "degrading" if delta < -1.0 else "stable"
        return {
            "trend_analysis": {
                "average_hit_ratio": round(average, 2),
                "target_achievement": average >= self.hit_ratio_target,
                "performance_stable": healthy > 0.9,
                "direction": direction,
                "hit_ratio_change": round(delta, 2),
                "snapshots": len(recent),
            },
            "recommendations": self._recommendations(recent, average, healthy),
        }

    def _recommendations(
        self, snapshots: list[dict[str, Any]], average: float, healthy: float
    ) -> list[str]:
        advice: list[str] = []
        if average < self.hit_ratio_target:
            advice.append("Increase cache size or adjust hot component list")
        if average < 50.0:
            advice.append("Review component loading patterns - possible cache thrashing")
        if 1.0 - healthy > 0.2:
            advice.append("Cache performance degraded - consider memory optimization")
        latest = snapshots[-1]
        if latest.get("memory_utilization", 0.0) >= self.memory_target:
            advice.append(
                f"Memory use is {latest['memory_utilization']:.0f}% of the budget - "
                "raise max_memory_mb or cache fewer context variants"
            )
        return advice
