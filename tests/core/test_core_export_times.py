"""Exports give every time as epoch seconds and as ISO 8601 (UTC)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from promptcache import CachePerformanceMonitor, ComponentCache
from promptcache.export import export_stats, iso_time

NOW = 1_796_061_801.25  # 2026-11-30T18:03:21.250Z


def test_iso_time_is_utc_to_the_millisecond() -> None:
    assert iso_time(NOW) == "2026-11-30T18:03:21.250+00:00"
    assert datetime.fromisoformat(iso_time(NOW)).timestamp() == NOW


def test_json_and_csv_carry_iso_times_next_to_epoch_seconds(tmp_path: Path) -> None:
    clock = [NOW]
    cache = ComponentCache(max_size=10, max_memory_mb=1, clock=lambda: clock[0])
    monitor = CachePerformanceMonitor(cache, clock=lambda: clock[0])
    monitor.log_performance_snapshot()
    clock[0] += 10
    monitor.log_performance_snapshot()
    json_path, csv_path = export_stats(tmp_path, cache, monitor, stamp="t")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["exported_at"] == NOW + 10
    assert data["exported_at_iso"] == "2026-11-30T18:03:31.250+00:00"
    assert [s["timestamp_iso"] for s in data["snapshots"]] == [
        "2026-11-30T18:03:21.250+00:00",
        "2026-11-30T18:03:31.250+00:00",
    ]
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [r["timestamp_iso"] for r in rows] == [s["timestamp_iso"] for s in data["snapshots"]]
    assert float(rows[0]["timestamp"]) == NOW
