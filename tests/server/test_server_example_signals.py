"""The example application stops within 2 s of SIGTERM or SIGINT, however they arrive."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from server_testlib import EXAMPLE, ROOT

from promptcache import CachedComponentLoader, ComponentCache
from promptcache.tui import SAMPLE_LIBRARY

STOP_WITHIN_S = 2.0


def start_example(sock: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--address", f"unix:{sock}", "--rate", "2000"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("serving stats on ")
    return proc


@pytest.mark.parametrize(
    ("signum", "burst"),
    [
        pytest.param(signal.SIGTERM, 1, id="one-sigterm"),
        # A second signal while the handler of the first one runs is what once deadlocked:
        # the handler called Event.set() and took a lock the main thread already held.
        pytest.param(signal.SIGTERM, 500, id="sigterm-burst"),
        pytest.param(signal.SIGINT, 500, id="sigint-burst"),
    ],
)
def test_stops_within_two_seconds(
    sock_dir: Path, signum: signal.Signals, burst: int, tmp_path: Path
) -> None:
    sock = sock_dir / "app.sock"
    proc = start_example(sock)
    try:
        time.sleep(0.3)  # serving requests, so the main loop is busy and sleeping in turn
        for _ in range(burst):
            try:
                os.kill(proc.pid, signum)
            except ProcessLookupError:
                break
        sent = time.monotonic()
        try:
            code = proc.wait(STOP_WITHIN_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {STOP_WITHIN_S} s after {signum.name}") from None
        assert time.monotonic() - sent < STOP_WITHIN_S
        assert code == 0
        assert not sock.exists(), "the socket file must be removed"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_the_request_loop_sees_a_stop_within_a_tick() -> None:
    """Even at 1 request/s the loop sleeps at most one tick before it looks again."""
    spec = importlib.util.spec_from_file_location("prompt_server_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    stop = example.StopRequest()
    with CachedComponentLoader(SAMPLE_LIBRARY, ComponentCache()) as loader:
        paths = loader.component_paths()
        threading.Timer(0.2, stop, args=(signal.SIGTERM, None)).start()
        started = time.monotonic()
        example.serve_requests(loader, paths, 1.0, 30.0, stop)
        took = time.monotonic() - started
    assert stop.requested
    assert 0.2 <= took < 0.2 + 4 * example.TICK_S, took
