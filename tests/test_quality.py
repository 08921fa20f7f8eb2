"""The code stays clean: ruff on everything, mypy --strict on every package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PACKAGE_FOLDERS = {"": "core", "tui": "tui", "cli": "cli"}
"""Where each part of the ``promptcache`` import package lives in the repo (pyproject maps
them the same way)."""


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def link_package(into: Path) -> Path:
    """``into/promptcache``: the installed package's shape, made of links to the repo's files,
    so that mypy sees the import names the code uses."""
    package = into / "promptcache"
    package.mkdir()
    for entry in (ROOT / "core").iterdir():
        if entry.name != "__pycache__":
            os.symlink(entry, package / entry.name)
    for sub, folder in PACKAGE_FOLDERS.items():
        if sub:
            os.symlink(ROOT / folder, package / sub)
    return package


def test_ruff_check_is_clean() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_every_package(tmp_path: Path) -> None:
    link_package(tmp_path)
    config = str(ROOT / "pyproject.toml")
    result = run("mypy", "--config-file", config, "-p", "promptcache", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
