"""Plain helpers shared by the ``core`` tests (fixtures live in conftest.py).

Imported as a top-level module (``tests/core`` is on ``sys.path`` under pytest's default
import mode); named uniquely so that it cannot clash with other test folders.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from promptcache import CachedComponentLoader

WATCH_MODES = ("inotify", "stat")

WriteFn = Callable[..., Path]
"""The ``write`` fixture: ``write(rel, text, old=True) -> Path``."""

LoaderFactory = Callable[..., CachedComponentLoader]
"""The ``make_loader`` fixture: ``make_loader(watch="stat", cache=None, **kw)``."""

REPORT = "components/reporting/generate-structured-report.md"
REPORT_TEXT = "# Report for {project_name}\n\nSummarise {project_name} in sections.\n"

# Older than the stat tracker's racy window (2 s), so that an unchanged file is trusted
# by the stat checks and a rewrite made now is a visible change.
OLD = time.time() - 3600


def age(path: Path) -> None:
    """Set the file's times one hour back, as if it had been written long ago."""
    os.utime(path, (OLD, OLD), follow_symlinks=False)


class FakeClock:
    """A settable clock for ``ComponentCache(clock=...)`` and the monitor."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
