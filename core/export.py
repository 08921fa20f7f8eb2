"""Write cache statistics and monitor snapshots to JSON and CSV files.

Times are kept as epoch seconds (``timestamp``, ``exported_at``) for programs, each with an
ISO 8601 twin in UTC (``timestamp_iso``, ``exported_at_iso``) for people and spreadsheets.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .cache import ComponentCache
from .files import atomic_write
from .monitor import CachePerformanceMonitor, MonitorSnapshot

_MONITOR_FIELDS = tuple(f.name for f in fields(MonitorSnapshot))
SNAPSHOT_FIELDS = (_MONITOR_FIELDS[0], "timestamp_iso", *_MONITOR_FIELDS[1:])


def iso_time(epoch_seconds: float) -> str:
    """``epoch_seconds`` as ISO 8601 in UTC, ms: ``2026-11-30T18:03:21.250+00:00``."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).isoformat(timespec="milliseconds")


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
    snapshots = [
        {**snapshot.to_dict(), "timestamp_iso": iso_time(snapshot.timestamp)}
        for snapshot in monitor.performance_log
    ]
    exported_at = cache.clock()
    payload = {
        "exported_at": exported_at,
        "exported_at_iso": iso_time(exported_at),
        "stats": cache.get_stats(),
        "snapshots": snapshots,
        "trends": monitor.get_performance_trends().to_dict(),
        **(extra or {}),
    }
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=SNAPSHOT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(snapshots)
    atomic_write(json_path, json.dumps(payload, indent=2, default=str))
    atomic_write(csv_path, table.getvalue())
    return json_path, csv_path
