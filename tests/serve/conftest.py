"""Fixtures for the browser tests of ``promptcache serve``: Debian's Chromium, installed here
when missing (CI machines are Debian and the tests run as root), and a running server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_testlib import ServeProcess, start_serve


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _install_chromium() -> None:
    """``apt-get install chromium`` (after ``apt-get update`` if the package is not known)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, timeout=600)
        subprocess.run(install, env=env, check=True, timeout=900)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium binary, installed by the test set-up if missing (never skipped)."""
    if _find_chromium() is None:
        _install_chromium()
    wrapper = _find_chromium()
    assert wrapper is not None, "apt-get installed chromium but it is not on PATH"
    # /usr/bin/chromium is Debian's shell wrapper; start the binary itself, so that the
    # process the tests kill is the browser.
    binary = Path("/usr/lib/chromium/chromium")
    return str(binary) if binary.exists() else wrapper


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServeProcess]:
    """``promptcache serve`` on a free port, with the bundled samples; stopped at teardown."""
    server = start_serve(tmp_path)
    try:
        yield server
    finally:
        server.stop()
