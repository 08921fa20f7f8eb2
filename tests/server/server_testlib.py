"""Plain helpers for the stats-server tests: a blocking protocol client and waiting.

Imported as a top-level module (``tests/server`` is on ``sys.path`` under pytest's default
import mode); named uniquely so that it cannot clash with other test folders.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from promptcache.server import StatsServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LIBRARY = ROOT / "tui" / "sample_library"
EXAMPLE = ROOT / "examples" / "prompt_server.py"
TOKEN = "a-test-token-of-24-chars"
"""A TCP token long enough for the server (16 characters at least)."""
TIMEOUT = 10.0
"""A generous bound for anything that should happen at once; never a speed assertion."""


def connect(address: str, timeout: float = TIMEOUT) -> socket.socket:
    """A blocking socket connected to ``unix:PATH`` or ``tcp:HOST:PORT``."""
    kind, _, rest = address.partition(":")
    if kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(rest)
        return sock
    host, _, port = rest.rpartition(":")
    sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    sock.settimeout(timeout)
    return sock


class Client:
    """A protocol v1 client over a blocking socket, for tests (it never hides errors)."""

    def __init__(self, address: str | socket.socket, timeout: float = TIMEOUT) -> None:
        self.sock = connect(address, timeout) if isinstance(address, str) else address
        self.buffer = b""
        self.ids = itertools.count(1)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode() + b"\n")

    def request(self, op: str, **params: Any) -> dict[str, Any]:
        """Send ``op`` and return the whole response object."""
        request_id = next(self.ids)
        self.send({"v": 1, "id": request_id, "op": op, **params})
        response = self.recv()
        assert response["id"] == request_id or not response["ok"], response
        return response

    def call(self, op: str, **params: Any) -> dict[str, Any]:
        """Send ``op`` and return its result; fail the test on an error response."""
        response = self.request(op, **params)
        assert response["ok"] is True, response
        assert set(response) == {"v", "id", "ok", "result"}
        return dict(response["result"])

    def hello(self, token: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"client": "tests"}
        if token is not None:
            params["token"] = token
        return self.call("hello", **params)

    def recv(self) -> dict[str, Any]:
        """The next response line, parsed; raises ConnectionError at EOF."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    def recv_error(self) -> dict[str, Any]:
        """The next line, which must be an error response; returns its error object."""
        message = self.recv()
        assert message["ok"] is False, message
        assert set(message) == {"v", "id", "ok", "error"}
        assert message["v"] == 1
        assert set(message["error"]) == {"code", "message"}
        assert "\n" not in message["error"]["message"]
        return dict(message["error"])

    def wait_closed(self, timeout: float = TIMEOUT) -> int:
        """Read until the server closes the connection; returns the bytes read meanwhile."""
        self.sock.settimeout(timeout)
        total = len(self.buffer)
        self.buffer = b""
        try:
            while chunk := self.sock.recv(1 << 20):
                total += len(chunk)
        except ConnectionResetError:
            pass
        return total

    def close(self) -> None:
        self.sock.close()


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` seconds (a bound, not a target)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


def rss_bytes() -> int:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


ServerFactory = Callable[..., StatsServer]
"""The ``make_server`` fixture's type: builds and starts a server on a cache."""
