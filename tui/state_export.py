"""Export what an attached app shows (``e``): the remote cache's stats, the latest monitor
snapshot, the trend and the recent events, as JSON. No Textual here."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from promptcache.export import iso_time
from promptcache.stats import stats_dict
from promptcache.tui.state import AppState


def export_state(directory: Path, state: AppState, source: str) -> Path:
    """Write ``promptcache-attach-STAMP.json`` in ``directory``; returns its path.

    Raises ``OSError`` when the directory cannot be written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    taken = state.cache.timestamp
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(taken))
    path = directory / f"promptcache-attach-{stamp}.json"
    snapshot = state.monitor_snapshot

    def event(e: Any) -> dict[str, Any]:
        return {
            "kind": e.kind, "path": e.path, "context": str(e.context), "reason": e.reason,
            "size_bytes": e.size_bytes, "timestamp": e.timestamp,
            "timestamp_iso": iso_time(e.timestamp),
        }  # fmt: skip

    payload = {
        "source": source,
        "taken_at": taken,
        "taken_at_iso": iso_time(taken),
        "stats": stats_dict(state.cache, ()),
        "snapshot": snapshot.to_dict() if snapshot is not None else None,
        "trends": state.trends.to_dict(),
        "events": [event(e) for e in state.events.notable],
        "evictions": [event(e) for e in state.events.evictions],
    }
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path
