"""The example application as a real subprocess, inspected through its stats server."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_testlib import EXAMPLE, ROOT, TIMEOUT, Client, wait_until


class App:
    """The example application running as a subprocess, its stdout read by a thread."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.proc = subprocess.Popen(
            [sys.executable, str(EXAMPLE), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def read_line(self, timeout: float = TIMEOUT) -> str:
        """The next stdout line; fails (rather than hangs) if none comes within ``timeout``."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output line within {timeout} s") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(TIMEOUT)
        assert self.proc.stderr is not None
        self.proc.stderr.close()


@pytest.fixture
def start_app() -> Iterator[Callable[..., App]]:
    """``start_app(*args)``: the example application as a subprocess; killed at teardown."""
    apps: list[App] = []

    def _start(*args: str) -> App:
        apps.append(App(*args))
        return apps[-1]

    yield _start
    for app in apps:
        app.stop()


def total_requests(client: Client) -> int:
    return int(client.call("state")["snapshot"]["total_requests"])


def test_example_app_serves_growing_stats(start_app: Callable[..., App], tmp_path: Path) -> None:
    sock = tmp_path / "app.sock"
    app = start_app("--address", f"unix:{sock}", "--rate", "500")
    assert app.read_line() == f"serving stats on unix:{sock}"
    client = Client(f"unix:{sock}")
    hello = client.hello()
    assert hello["pid"] == app.proc.pid
    assert hello["folder"] == str(ROOT / "tui" / "sample_library")
    assert "components/reporting/generate-structured-report.md" in hello["components"]
    assert hello["control"] is False
    first = total_requests(client)
    wait_until(lambda: total_requests(client) > first)
    state = client.call("state")
    assert state["entries"] and state["monitor"]["snapshot"] is not None
    assert client.request("clear")["error"]["code"] == "forbidden"
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(TIMEOUT) == 0
    assert not sock.exists()
    client.wait_closed()


def test_example_app_on_tcp_with_a_generated_token(start_app: Callable[..., App]) -> None:
    app = start_app("--address", "tcp:127.0.0.1:0", "--allow-control", "--duration", "30")
    address = app.read_line().removeprefix("serving stats on ")
    token = app.read_line().removeprefix("token: ")
    assert address.startswith("tcp:127.0.0.1:") and len(token) >= 32
    client = Client(address)
    assert client.hello(token=token)["control"] is True
    wait_until(lambda: total_requests(client) > 0)
    assert client.call("clear") == {}
    app.proc.send_signal(signal.SIGINT)
    assert app.proc.wait(TIMEOUT) == 0


def test_example_app_rejects_a_bad_address(start_app: Callable[..., App]) -> None:
    app = start_app("--address", "tcp:0.0.0.0:0")
    assert app.proc.wait(TIMEOUT) == 2
    assert app.proc.stderr is not None
    err = app.proc.stderr.read()
    assert "allow_remote" in err and "Traceback" not in err
