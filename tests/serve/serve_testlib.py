"""Helpers for the ``promptcache serve`` tests: the server, its app processes, Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s; fail the test naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class ServeProcess:
    """A running ``promptcache serve`` and where its output goes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/"

    def app_processes(self) -> list[int]:
        """The app processes the server started (one per browser session)."""
        return [pid for pid in children(self.process.pid) if "promptcache.cli" in command_line(pid)]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def start_serve(tmp_path: Path, *args: str) -> ServeProcess:
    """Start ``python -m promptcache.cli serve --port P ARGS`` and wait until it listens."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "COLUMNS": "100"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "promptcache.cli", "serve", "--port", str(port), *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
            env=env,
            start_new_session=True,
        )
    server = ServeProcess(process, port, log)

    def listening() -> bool:
        assert process.poll() is None, f"serve exited early:\n{server.output()}"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, STARTUP_S, "promptcache serve to listen")
    return server


@dataclass
class Chromium:
    """A headless Chromium with a DevTools endpoint, in its own process group."""

    process: subprocess.Popen[bytes]
    endpoint: str

    def kill(self) -> None:
        """SIGKILL the whole browser (every renderer too): no polite goodbye to any page."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def start_chromium(binary: str, profile: Path) -> Chromium:
    """Headless Chromium listening for DevTools on a free port of 127.0.0.1."""
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            f"--remote-debugging-port={port}",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, "chromium exited at start"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(ready, STARTUP_S, "chromium's DevTools port")
    return Chromium(process, endpoint)


_ESCAPE = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[\]P_^][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def screen_text(output: str) -> str:
    """Terminal output with its escape sequences taken out."""
    return _ESCAPE.sub("", output)
