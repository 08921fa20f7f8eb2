"""Confine component paths to the component folder before anything is opened."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .errors import ComponentError, ComponentOutsideBaseError


def resolve_inside(base: Path, component_path: str) -> Path:
    """Resolve ``component_path`` under the already resolved ``base``, or raise.

    Refuses NUL bytes, absolute paths, and anything (``..``, symlinks) that resolves
    outside ``base``. Nothing is opened.
    """
    if not isinstance(component_path, str):
        raise ComponentError(
            f"component path must be a string, not {type(component_path).__name__}",
            repr(component_path),
        )
    if not component_path.strip():
        raise ComponentError("component path is empty", component_path)
    if "\x00" in component_path:
        raise ComponentOutsideBaseError(
            f"{component_path!r}: path contains a NUL byte", component_path
        )
    if os.path.isabs(component_path) or PurePosixPath(component_path).is_absolute():
        raise ComponentOutsideBaseError(
            f"{component_path}: absolute paths are not allowed; give a path inside {base}",
            component_path,
        )
    try:
        resolved = (base / component_path).resolve()
    except (RuntimeError, OSError) as exc:  # symlink loops: RuntimeError up to 3.12
        raise ComponentError(
            f"{component_path}: cannot resolve path ({exc})", component_path
        ) from None
    if not resolved.is_relative_to(base):
        raise ComponentOutsideBaseError(
            f"{component_path}: resolves outside the component folder {base}", component_path
        )
    return resolved


def list_components(base: Path) -> list[str]:
    """Every regular file under ``base`` (hidden ones skipped), as sorted POSIX paths."""
    found: list[str] = []
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            full = Path(root, name)
            if full.is_file():
                found.append(full.relative_to(base).as_posix())
    found.sort()
    return found
