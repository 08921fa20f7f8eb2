"""Component usage counts learned from traffic, persisted atomically as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ComponentError
from .files import atomic_write, read_small_file

MAX_USAGE_BYTES = 16 << 20
"""The largest hot-usage file read (16 MiB)."""


def read_usage(path: Path) -> dict[str, int]:
    """Counts saved by ``write_usage``; raises ``ComponentError`` naming a bad file."""
    try:
        data = json.loads(read_small_file(path, MAX_USAGE_BYTES, "a hot-usage file"))
    except FileNotFoundError:
        return {}
    except ComponentError as exc:
        raise ComponentError(f"cannot read hot-usage file: {exc}", str(path)) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ComponentError(f"{path}: cannot read hot-usage file ({exc})", str(path)) from None
    counts = data.get("counts") if isinstance(data, dict) else None
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in counts.items()
    ):
        raise ComponentError(
            f'{path}: hot-usage file must hold {{"counts": {{path: count >= 0}}}}', str(path)
        )
    return dict(counts)


def write_usage(path: Path, counts: dict[str, int]) -> None:
    """Write ``counts`` to ``path`` atomically; raises ``OSError`` when it cannot."""
    payload = json.dumps({"version": 1, "counts": dict(sorted(counts.items()))}, indent=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, payload)


def top_paths(counts: dict[str, int], n: int) -> list[str]:
    """The ``n`` most used paths, most used first (ties by path)."""
    return [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]
