"""Fixtures for the browser tests of ``promptcache serve``: Debian's Chromium, installed here
when missing (CI machines are Debian and the tests run as root), and a running server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from debian_packages import ensure_command
from serve_testlib import ServeProcess, start_serve


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium binary, installed by the test set-up if missing (never skipped)."""
    wrapper = ensure_command("chromium", "chromium")
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
