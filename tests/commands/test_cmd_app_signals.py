"""SIGTERM and SIGHUP to the app give the terminal back: run it in a pseudo-terminal and
read the escape sequences it writes before it exits."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from cmd_testlib import FORCING_VARIABLES, ROOT

ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"
MOUSE_ON = b"\x1b[?1000h"
MOUSE_OFF = b"\x1b[?1000l"
ANY_MOTION_OFF = b"\x1b[?1003l"


def read_until(fd: int, done: bytes | None, timeout: float, into: bytearray) -> None:
    """Read the pty into ``into`` until ``done`` shows up (None: until EOF) or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done is not None and done in into:
            return
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side has closed
            return
        if not chunk:
            return
        into.extend(chunk)
    if done is not None:
        raise AssertionError(f"no {done!r} within {timeout} s; got {bytes(into[-300:])!r}")


def wait_until_delivered(pid: int, signum: int, timeout: float = 30) -> None:
    """Wait until ``signum`` is no longer pending for ``pid`` (Linux: /proc/PID/status)."""
    bit = 1 << (signum - 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # gone
            return
        pending = 0
        for line in status.splitlines():
            if line.startswith(("SigPnd:", "ShdPnd:")):
                pending |= int(line.split()[1], 16)
        if not pending & bit:
            return
        time.sleep(0.001)
    raise AssertionError(f"signal {signum} still pending for {pid} after {timeout} s")


@pytest.mark.parametrize(
    ("command", "signum", "times"),
    [
        pytest.param("app", signal.SIGTERM, 1, id="app-SIGTERM"),
        pytest.param("app", signal.SIGHUP, 1, id="app-SIGHUP"),
        pytest.param("attach", signal.SIGTERM, 1, id="attach-SIGTERM"),
        pytest.param("attach", signal.SIGHUP, 1, id="attach-SIGHUP"),
        # a second signal restores the terminal and exits at once, without the app
        pytest.param("app", signal.SIGTERM, 2, id="app-SIGTERM-twice"),
    ],
)
def test_an_exit_signal_restores_the_terminal(
    command: str, signum: signal.Signals, times: int, tmp_path: Path
) -> None:
    # attach: to an address where nothing serves yet (the panels show, waiting for it)
    args = ["--refresh", "0.2"] if command == "app" else ["attach", f"unix:{tmp_path}/none.sock"]
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in FORCING_VARIABLES}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptcache.cli", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    output = bytearray()
    try:
        read_until(controller, b"Hit ratio", 60, output)  # the app is up and drawn
        assert ALT_SCREEN_ON in output and MOUSE_ON in output
        for _ in range(times):
            # Signals of one kind do not queue: sent back to back, a second SIGTERM that
            # finds the first still pending is dropped, and the forced exit never runs.
            wait_until_delivered(proc.pid, signum)
            proc.send_signal(signum)
        wait_until_delivered(proc.pid, signum)
        read_until(controller, None, 10, output)
        code = proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)
    assert code == 128 + signum, code
    after = bytes(output[output.rindex(ALT_SCREEN_ON) :])
    assert ALT_SCREEN_OFF in after, "still in the alternate screen"
    assert MOUSE_OFF in after and ANY_MOTION_OFF in after, "mouse tracking left on"
    assert b"Traceback" not in output
