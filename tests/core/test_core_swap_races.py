"""Issue 10, item 1: a name swapped for a symlink, a folder or a FIFO while loads run.

Another process exchanges two names with ``renameat2(RENAME_EXCHANGE)`` in a tight loop
(atomically, so every instant one of them is the hostile one) while loads and checks run.
Every scenario is bounded in time: zero reads outside the folder, zero hangs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from core_testlib import LoaderFactory

from promptcache import CachedComponentLoader, ComponentError
from promptcache.checker import check_folder

SECONDS = 3.0
"""How long each scenario swaps; loads run for as long."""

SECRET = "SECRET {outside_only}"
INSIDE = "inside {x}"

_SWAPPER = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b, seconds = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2]), float(sys.argv[3])
AT_FDCWD, RENAME_EXCHANGE = -100, 2
print("ready", flush=True)
end = time.monotonic() + seconds
swaps = 0
while time.monotonic() < end:
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")
    swaps += 1
print(swaps, flush=True)
"""


@pytest.fixture
def swap() -> Iterator[Callable[[Path, Path], subprocess.Popen[str]]]:
    """``swap(a, b)``: start a process exchanging ``a`` and ``b`` for ``SECONDS``."""
    started: list[subprocess.Popen[str]] = []

    def _swap(a: Path, b: Path) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SWAPPER, str(a), str(b), str(SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        return proc

    yield _swap
    for proc in started:
        proc.kill()
        proc.wait()


def _run_bounded(work: Callable[[], None], proc: subprocess.Popen[str], threads: int = 3) -> int:
    """Call ``work`` from ``threads`` threads until the swapper ends; fail if one hangs.

    Returns how many calls finished.
    """
    calls = 0
    failure: list[BaseException] = []

    def loop() -> None:
        nonlocal calls
        try:
            while proc.poll() is None:
                work()
                calls += 1
        except BaseException as exc:  # surfaced below
            failure.append(exc)

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + SECONDS + 15
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    assert not any(w.is_alive() for w in workers), f"a call hung (after {calls} calls)"
    if failure:
        raise failure[0]
    assert proc.stdout is not None
    swaps = int(proc.stdout.read().strip() or 0)
    assert proc.wait() == 0
    assert swaps > 100, "the swapper barely ran"
    return calls


def _cached_text(loader: CachedComponentLoader) -> str:
    texts = []
    for view in loader.cache.entries():
        entry = loader.cache.peek(view.path, view.context)
        texts.append(entry.content if entry is not None else "")
    return "\n".join(texts)


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "comp.md").write_text(SECRET, encoding="utf-8")
    return folder


@pytest.mark.parametrize("watch", ["inotify", "stat"])
def test_file_swapped_with_symlink_outside(
    tmp_path: Path, base: Path, make_loader: LoaderFactory, swap: Callable[..., Any], watch: str
) -> None:
    outside = _outside(tmp_path)
    (base / "comp.md").write_text(INSIDE, encoding="utf-8")
    os.symlink(outside / "comp.md", base / "evil.md")
    loader = make_loader(watch)
    seen: set[str] = set()

    def load() -> None:
        try:
            seen.add(loader.load_component("comp.md", {"x": 1}))
        except ComponentError as exc:
            assert "SECRET" not in str(exc)

    calls = _run_bounded(load, swap(base / "comp.md", base / "evil.md"))
    assert calls > 10
    assert seen <= {"inside 1"}, seen
    assert "SECRET" not in _cached_text(loader)


@pytest.mark.parametrize("watch", ["inotify", "stat"])
def test_folder_swapped_with_symlink_outside(
    tmp_path: Path, base: Path, make_loader: LoaderFactory, swap: Callable[..., Any], watch: str
) -> None:
    outside = _outside(tmp_path)
    (base / "sub").mkdir()
    (base / "sub" / "comp.md").write_text(INSIDE, encoding="utf-8")
    os.symlink(outside, base / "evil")
    loader = make_loader(watch)
    seen: set[str] = set()

    def load() -> None:
        try:
            seen.add(loader.load_component("sub/comp.md", {"x": 2}))
        except ComponentError as exc:
            assert "SECRET" not in str(exc)

    _run_bounded(load, swap(base / "sub", base / "evil"))
    assert seen <= {"inside 2"}, seen
    assert "SECRET" not in _cached_text(loader)


def test_file_swapped_with_fifo_never_hangs(
    base: Path, make_loader: LoaderFactory, swap: Callable[..., Any]
) -> None:
    (base / "comp.md").write_text(INSIDE, encoding="utf-8")
    os.mkfifo(base / "pipe")
    loader = make_loader("stat")
    outcomes: set[str] = set()

    def load() -> None:
        try:
            outcomes.add(loader.load_component("comp.md"))
        except ComponentError as exc:
            outcomes.add(type(exc).__name__)

    _run_bounded(load, swap(base / "comp.md", base / "pipe"))
    assert outcomes <= {INSIDE, "ComponentNotAFileError", "ComponentNotFoundError"}, outcomes
    assert "ComponentNotAFileError" in outcomes  # the FIFO was met, and refused


def test_check_during_swaps_never_reads_outside_or_hangs(
    tmp_path: Path, base: Path, swap: Callable[..., Any]
) -> None:
    outside = _outside(tmp_path)
    (base / "comp.md").write_text(INSIDE, encoding="utf-8")
    os.symlink(outside / "comp.md", base / "evil.md")
    (base / "a.md").write_text("plain", encoding="utf-8")
    os.mkfifo(base / "pipe")
    placeholders: set[str] = set()

    def check() -> None:
        for component in check_folder(base).components:
            placeholders.update(component.placeholders)

    # Two swappers: a symlink out, and a FIFO, taking turns under the same names.
    proc = swap(base / "comp.md", base / "evil.md")
    fifo = swap(base / "a.md", base / "pipe")
    _run_bounded(check, proc)
    fifo.wait(SECONDS + 15)
    assert "outside_only" not in placeholders
    assert placeholders <= {"x"}


def test_a_fifo_is_refused_at_once(base: Path, make_loader: LoaderFactory) -> None:
    os.mkfifo(base / "pipe.md")
    loader = make_loader("inotify")
    started = time.monotonic()
    with pytest.raises(ComponentError, match=r"^pipe\.md: is not a regular file \(a FIFO\)"):
        loader.load_component("pipe.md")
    assert time.monotonic() - started < 5
