"""Run a Textual app so that SIGTERM and SIGHUP (an SSH drop) end it the way ``q`` does.

Without this the default action kills the process at once, and the terminal stays in the
alternate screen with mouse tracking on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

EXIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that end the app the way q does, so the terminal is given back as it was."""

FORCED_EXIT_AFTER_S = 3.0
"""If the app has not shut down this long after such a signal, restore the terminal and exit."""

# Leave the alternate screen, turn mouse tracking and bracketed paste off, show the cursor.
_RESTORE_TERMINAL = (
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?25h\x1b[?1049l"
)


def run_until_exit_signal(app: App[Any]) -> int:
    """Run ``app``; its exit status: 0, or 128 + the signal that ended it.

    A second signal, or an app still running ``FORCED_EXIT_AFTER_S`` after the first, gets
    the terminal restored and the process ended here.
    """
    received: list[int] = []
    watchdogs: list[threading.Timer] = []
    saved_tty = _terminal_attributes()
    # Taken now: while the app runs, Textual swaps sys.stdout/sys.stderr for capture objects
    # whose fileno() is -1, so looking the terminal up at exit time finds none.
    screen_fd = _screen_fd()

    def forced_exit() -> None:  # the app did not shut down: give the terminal back anyway
        _restore_terminal(screen_fd, saved_tty)
        os._exit(128 + received[0])

    def on_signal(signum: int) -> None:
        if received:  # a second one: the user insists
            forced_exit()
        if not received:
            received.append(signum)
            watchdog = threading.Timer(FORCED_EXIT_AFTER_S, forced_exit)
            watchdog.daemon = True
            watchdog.start()
            watchdogs.append(watchdog)
        app.exit()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in EXIT_SIGNALS:
            with contextlib.suppress(NotImplementedError):  # no such handlers on Windows
                loop.add_signal_handler(signum, on_signal, signum)
        try:
            await app.run_async()
        finally:
            for signum in EXIT_SIGNALS:
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(signum)

    try:
        asyncio.run(run())
    finally:
        for watchdog in watchdogs:
            watchdog.cancel()
    return 128 + received[0] if received else 0


def _terminal_attributes() -> list[Any] | None:
    """The terminal's modes (termios), to put back on a forced exit; None when not a tty."""
    try:
        import termios

        return termios.tcgetattr(sys.stdin.fileno())
    except Exception:  # no termios (Windows), no terminal, or stdin replaced
        return None


def _screen_fd() -> int | None:
    """The descriptor the app draws on (Textual's driver writes to ``sys.__stderr__``).

    None when it is not a terminal (a pipe, as under serve): nothing to restore there.
    """
    stream = sys.__stderr__
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if stream is not None and os.isatty(stream.fileno()):
            return stream.fileno()
    return None


def _restore_terminal(screen_fd: int | None, saved: list[Any] | None) -> None:
    """Put the terminal back: write the restore sequence to ``screen_fd``, reset its modes."""
    if screen_fd is not None:
        data = _RESTORE_TERMINAL.encode()
        with contextlib.suppress(OSError):
            while data:  # a tty write may be short; all of it must reach the terminal
                data = data[os.write(screen_fd, data) :]
    if saved is not None:
        import termios

        with contextlib.suppress(Exception):
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, saved)
