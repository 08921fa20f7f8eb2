"""Component usage counts learned from traffic, persisted atomically as JSON."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from .errors import ComponentError


def read_usage(path: Path) -> dict[str, int]:
    """Counts saved by ``write_usage``; raises ``ComponentError`` naming a bad file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ComponentError(f"{path}: cannot read hot-usage file ({exc})", str(path)) from None
    counts = data.get("counts") if isinstance(data, dict) else None
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in counts.items()
    ):
        raise ComponentError(
            f'{path}: hot-usage file must hold {{"counts": {{path: integer}}}}', str(path)
        )
    return dict(counts)


def write_usage(path: Path, counts: dict[str, int]) -> None:
    """Write ``counts`` to ``path`` atomically: a temporary file, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"version": 1, "counts": dict(sorted(counts.items()))}, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def top_paths(counts: dict[str, int], n: int) -> list[str]:
    """The ``n`` most used paths, most used first (ties by path)."""
    return [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]
