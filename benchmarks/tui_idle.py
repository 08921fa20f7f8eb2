"""Idle CPU of the app: ``promptcache`` open at 80x24 with no traffic, against a bare
Textual app (one Static) run the same way, in the same run.

Each app runs in its own pseudo-terminal (80x24, TERM=xterm-256color) whose output is
drained; after a settle period its CPU seconds (utime + stime from /proc) are read over a
quiet window. Target: the app under 1.5% of one core.

    python -m benchmarks.tui_idle            # 20 s per app
    python -m benchmarks.tui_idle --quick    # 8 s per app
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

from benchmarks._common import header, parse_args

TARGET_PERCENT = 1.5
BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("idle")
Bare().run()
"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (and its reaped children) in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def drain(fd: int, seconds: float) -> None:
    """Read and drop the terminal's output for ``seconds`` (a full pty would block the app)."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def idle_percent(argv: list[str], settle_s: float, window_s: float) -> float:
    """Percent of one core ``argv`` uses over ``window_s`` after ``settle_s``."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of 80x24
        os.environ.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        drain(fd, settle_s)
        before = cpu_seconds(pid)
        drain(fd, window_s)
        used = cpu_seconds(pid) - before
    finally:
        os.kill(pid, 15)
        drain(fd, 0.5)
        os.waitpid(pid, 0)
        os.close(fd)
    return used / window_s * 100


def main() -> int:
    args = parse_args(__doc__ or "", timed=False)
    window = 8.0 if args.quick else 20.0
    header(f"idle CPU at 80x24 over {window:.0f} s (after 4 s to settle)")
    app_bin = os.path.join(os.path.dirname(sys.executable), "promptcache")
    cases = {
        "bare Textual app (anchor)": [sys.executable, "-c", BARE_APP],
        "promptcache (sample library)": [app_bin],
    }
    results = {name: idle_percent(argv, 4.0, window) for name, argv in cases.items()}
    anchor = results["bare Textual app (anchor)"]
    for name, percent in results.items():
        ratio = percent / anchor if anchor > 0 else float("inf")
        print(f"   {name:<32} {percent:5.2f}% of a core   {ratio:5.2f}x anchor")
    app = results["promptcache (sample library)"]
    ok = app < TARGET_PERCENT
    print(f"   target: under {TARGET_PERCENT}% -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
