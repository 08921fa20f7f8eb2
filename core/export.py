"""Write cache statistics and monitor snapshots to JSON and CSV files."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from .cache import ComponentCache
from .files import atomic_write
from .monitor import CachePerformanceMonitor

SNAPSHOT_FIELDS = (
    "timestamp",
    "hit_ratio",
    "recent_hit_ratio",
    "memory_utilization",
    "total_requests",
    "evictions",
    "response_time_target_met",
    "memory_efficient",
    "cache_healthy",
)


def export_stats(
    directory: Path,
    cache: ComponentCache,
    monitor: CachePerformanceMonitor,
    extra: dict[str, Any] | None = None,
    *,
    stamp: str | None = None,
) -> tuple[Path, Path]:
    """Write ``promptcache-STAMP.json`` (stats, snapshots, trends) and ``.csv`` (snapshots).

    Returns both paths. Raises ``OSError`` when the directory cannot be written (a full
    disk included); each file is then either complete or absent, never partial.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S", time.localtime(cache.clock()))
    json_path = directory / f"promptcache-{stamp}.json"
    csv_path = directory / f"promptcache-{stamp}.csv"
    snapshots = list(monitor.performance_log)
    payload = {
        "exported_at": cache.clock(),
        "stats": cache.get_stats(),
        "snapshots": snapshots,
        "trends": monitor.get_performance_trends(),
        **(extra or {}),
    }
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=SNAPSHOT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(snapshots)
    atomic_write(json_path, json.dumps(payload, indent=2, default=str))
    atomic_write(csv_path, table.getvalue())
    return json_path, csv_path
