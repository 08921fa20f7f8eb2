"""A client for a running application's stats server (``promptcache.server``), for ``attach``.

It speaks protocol v1 (newline-delimited JSON, see docs/protocol.md) over a blocking
socket and turns the server's answers back into the same immutable views the panels show
for a local cache. No UI here.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable, Hashable
from typing import Any

from .addresses import Address
from .errors import PromptCacheError
from .protocol import (
    CLOSING_ERRORS,
    MAX_REPLY_BYTES,
    PROTOCOL_VERSION,
    ContextRef,
    entry_view,
    event_from,
    evict_params,
    snapshot_from,
)

__all__ = [
    "ContextRef",
    "RemoteClient",
    "RemoteError",
    "entry_view",
    "event_from",
    "snapshot_from",
]


class RemoteError(Exception):
    """The server refused or failed; ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class RemoteClient:
    """One connection to a stats server. Not thread-safe: use it from one thread."""

    def __init__(
        self,
        address: Address,
        token: str | None = None,
        timeout: float = 5.0,
        rediscover: Callable[[], Address] | None = None,
    ) -> None:
        self.address = address
        self.rediscover = rediscover
        """Finds the address again when a connection fails (an application found on
        unix:DEFAULT that restarted has a new socket); PromptCacheError when it cannot."""
        self.token = token
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._ids = itertools.count(1)
        self.hello: dict[str, Any] = {}

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._sock is not None

    def connect(self) -> dict[str, Any]:
        """Connect and say hello; returns the server's hello. Raises OSError or RemoteError."""
        try:
            return self._connect()
        except OSError:
            if self.rediscover is None:
                raise
            try:
                found = self.rediscover()
            except PromptCacheError:
                found = self.address
            if found == self.address:
                raise
            self.address = found
            return self._connect()

    def _connect(self) -> dict[str, Any]:
        self.close()
        if self.address.kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: Any = self.address.path
        else:
            family = socket.AF_INET6 if ":" in self.address.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            target = (self.address.host, self.address.port)
        sock.settimeout(self.timeout)
        try:
            sock.connect(target)
        except OSError:
            sock.close()
            raise
        self._sock, self._buffer = sock, b""
        try:
            self.hello = self.call("hello", token=self.token or "", client="promptcache attach")
        except BaseException:
            self.close()
            raise
        if self.hello.get("protocol") != PROTOCOL_VERSION:
            self.close()
            raise RemoteError(
                "bad_version",
                f"the server speaks protocol {self.hello.get('protocol')}, "
                f"this app {PROTOCOL_VERSION}",
            )
        return self.hello

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def call(self, op: str, **params: Any) -> dict[str, Any]:
        """Send one request and wait for its answer. Raises OSError or RemoteError."""
        if self._sock is None:
            raise ConnectionError("not connected")
        request_id = next(self._ids)
        line = json.dumps({"v": PROTOCOL_VERSION, "id": request_id, "op": op, **params}) + "\n"
        try:
            self._sock.sendall(line.encode())
            reply = json.loads(self._read_line())
        except (OSError, ValueError):
            self.close()
            raise
        if not isinstance(reply, dict):
            self.close()
            raise RemoteError("bad_reply", "the server sent something that is not an object")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            code = str(error.get("code", "error"))
            if code in CLOSING_ERRORS:
                self.close()
            raise RemoteError(code, str(error.get("message", code)))
        result = reply.get("result")
        return result if isinstance(result, dict) else {"value": result}

    def evict(self, path: str, context: Hashable) -> int:
        """Evict the entry ``(path, context)`` as ``entries`` sent it (``context`` as an
        ``EntryView`` of this client holds it); returns how many entries went (0 or 1)."""
        return int(self.call("evict", **evict_params(path, context)).get("removed", 0))

    def _read_line(self) -> bytes:
        assert self._sock is not None
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                raise ConnectionError("the server sent a line that is too long")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line
