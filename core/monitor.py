"""Performance snapshots over time, their trend, and recommendations.

Snapshots and trends are frozen dataclasses. They can also be read by key, as the dicts
the original API returned (``snapshot["hit_ratio"]``), and ``to_dict()`` gives that dict.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from .cache import ComponentCache
from .stats import HIT_RATIO_TARGET

Direction = Literal["improving", "degrading", "stable"]
TrendStatus = Literal["ok", "insufficient_data", "no_monitor"]


class _ReadByKey(Mapping[str, Any]):
    """Read access by key to the dict form, for code written against the original dicts."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The plain dict (JSON-ready) the original API returned."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


@dataclass(frozen=True, slots=True, eq=False)
class MonitorSnapshot(_ReadByKey):
    """The cache's health at one instant, against the monitor's targets."""

    timestamp: float
    hit_ratio: float
    """Lifetime hit ratio, percent (2 decimals)."""
    recent_hit_ratio: float
    memory_utilization: float
    """Memory used, percent of the budget (2 decimals)."""
    total_requests: int
    evictions: int
    """Evictions of every reason, invalidations included."""
    response_time_target_met: bool
    """The hit ratio is at or above the monitor's target."""
    memory_efficient: bool
    """Memory use is below the monitor's target."""
    cache_healthy: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitorSnapshot:
        """Rebuild one from its ``to_dict()`` form (as a stats server sends it)."""
        return cls(
            float(data["timestamp"]),
            float(data["hit_ratio"]),
            float(data["recent_hit_ratio"]),
            float(data["memory_utilization"]),
            int(data["total_requests"]),
            int(data["evictions"]),
            bool(data["response_time_target_met"]),
            bool(data["memory_efficient"]),
            bool(data["cache_healthy"]),
        )


@dataclass(frozen=True, slots=True, eq=False)
class TrendAnalysis(_ReadByKey):
    """How the hit ratio moved over the recent snapshots."""

    average_hit_ratio: float
    target_achievement: bool
    """The average meets the hit ratio target."""
    performance_stable: bool
    """More than 90% of the snapshots were healthy."""
    direction: Direction
    hit_ratio_change: float
    """Second half's average minus the first half's, in points."""
    snapshots: int


@dataclass(frozen=True, slots=True, eq=False)
class PerformanceTrends(_ReadByKey):
    """The trend of the recent snapshots and advice; ``analysis`` is None until there
    are two snapshots (``status`` says why)."""

    status: TrendStatus
    analysis: TrendAnalysis | None = None
    recommendations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"status": ...}`` without an analysis, else the original two keys."""
        if self.analysis is None:
            return {"status": self.status}
        return {
            "trend_analysis": self.analysis.to_dict(),
            "recommendations": list(self.recommendations),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PerformanceTrends:
        """Rebuild one from its ``to_dict()`` form (as a stats server sends it)."""
        if "trend_analysis" not in data:
            status = data.get("status")
            return cls("no_monitor" if status == "no_monitor" else "insufficient_data")
        a = data["trend_analysis"]
        direction: Direction = (
            a["direction"] if a["direction"] in ("improving", "degrading") else "stable"
        )
        analysis = TrendAnalysis(
            float(a["average_hit_ratio"]),
            bool(a["target_achievement"]),
            bool(a["performance_stable"]),
            direction,
            float(a["hit_ratio_change"]),
            int(a["snapshots"]),
        )
        return cls("ok", analysis, tuple(str(r) for r in data.get("recommendations", ())))


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
        hit_ratio_target: float = HIT_RATIO_TARGET,
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
        self.performance_log: deque[MonitorSnapshot] = deque(maxlen=max_snapshots)
        self._clock = clock
        self._due_lock = threading.Lock()

    def log_performance_snapshot(self) -> MonitorSnapshot | None:
        """Record and return a snapshot: hit ratio and health against the targets.

        Returns None while ``monitoring_enabled`` is False.
        """
        if not self.monitoring_enabled:
            return None
        snap = self.cache.snapshot(entry_limit=0)
        hit_ok = snap.hit_ratio >= self.hit_ratio_target
        memory_ok = snap.memory_utilization < self.memory_target
        snapshot = MonitorSnapshot(
            timestamp=self._clock(),
            hit_ratio=round(snap.hit_ratio, 2),
            recent_hit_ratio=round(snap.recent_hit_ratio, 2),
            memory_utilization=round(snap.memory_utilization, 2),
            total_requests=snap.total_requests,
            evictions=snap.total_evictions,
            response_time_target_met=hit_ok,
            memory_efficient=memory_ok,
            cache_healthy=hit_ok and memory_ok,
        )
        self.performance_log.append(snapshot)
        return snapshot

    def snapshot_if_due(self, interval_s: float) -> MonitorSnapshot | None:
        """The newest snapshot, taking a new one first if the newest is ``interval_s`` old.

        For live views that poll faster than snapshots should be taken: any number of
        threads may call it, and snapshots the application logs itself count. None while
        nothing was logged.
        """
        with self._due_lock:
            log = self.performance_log
            latest = log[-1] if log else None
            if latest is None or not 0 <= self._clock() - latest.timestamp < interval_s:
                latest = self.log_performance_snapshot() or latest
            return latest

    def get_performance_trends(self) -> PerformanceTrends:
        """Trend of the recent snapshots and recommendations; needs two snapshots."""
        if len(self.performance_log) < 2:
            return PerformanceTrends("insufficient_data")
        recent = list(self.performance_log)[-self.trend_window :]
        ratios = [s.hit_ratio for s in recent]
        average = sum(ratios) / len(ratios)
        healthy = sum(1 for s in recent if s.cache_healthy) / len(recent)
        half = len(ratios) // 2
        first, second = ratios[:half] or ratios[:1], ratios[half:]
        delta = sum(second) / len(second) - sum(first) / len(first)
        direction: Direction = (
            "improving" if delta > 1.0 else "degrading" if delta < -1.0 else "stable"
        )
        analysis = TrendAnalysis(
            average_hit_ratio=round(average, 2),
            target_achievement=average >= self.hit_ratio_target,
            performance_stable=healthy > 0.9,
            direction=direction,
            hit_ratio_change=round(delta, 2),
            snapshots=len(recent),
        )
        return PerformanceTrends("ok", analysis, self._recommendations(recent, average, healthy))

    def _recommendations(
        self, snapshots: list[MonitorSnapshot], average: float, healthy: float
    ) -> tuple[str, ...]:
        advice: list[str] = []
        if average < self.hit_ratio_target:
            advice.append("Increase cache size or adjust hot component list")
        if average < 50.0:
            advice.append("Review component loading patterns - possible cache thrashing")
        if 1.0 - healthy > 0.2:
            advice.append("Cache performance degraded - consider memory optimization")
        latest = snapshots[-1]
        if latest.memory_utilization >= self.memory_target:
            advice.append(
                f"Memory use is {latest.memory_utilization:.0f}% of the budget - "
                "raise max_memory_mb or cache fewer context variants"
            )
        return tuple(advice)
