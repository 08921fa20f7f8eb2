"""Server-assisted invalidation: one connection that hears every manifest switch.

The listener's connection turns on ``CLIENT TRACKING ... REDIRECT <itself> BCAST PREFIX
<manifest key>`` and subscribes to ``__redis__:invalidate`` (RESP2, so it works the same on
Redis 6.2+ and on Valkey). The server then pushes the key name whenever a publish replaces
the manifest, and a null message on FLUSHALL/FLUSHDB. A PING every ``ping_s`` tells a live
server from a cut-off one (``kill -STOP``), which would otherwise look merely quiet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from redis.connection import Connection, parse_url

from .store import StoreAddress

log = logging.getLogger(__name__)

INVALIDATE_CHANNEL = b"__redis__:invalidate"


class InvalidationListener:
    """A thread that reports connection changes and invalidations through callbacks.

    Args:
        address: The server.
        prefix: Key prefix tracked in broadcast mode.
        on_connected: Called (in the thread) once tracking is on, after every (re)connect.
        on_invalidated: Called with the invalidated key names, or None for "everything".
        on_disconnected: Called with the reason when the connection is lost.
        on_tick: Called about every ``tick_s`` while connected (heartbeats).
        ping_s: How often the connection is checked.
        timeout_s: How long a connect, a setup step or a PING may take.
    """

    def __init__(
        self,
        address: StoreAddress,
        prefix: str,
        *,
        on_connected: Callable[[], None],
        on_invalidated: Callable[[list[bytes] | None], None],
        on_disconnected: Callable[[str], None],
        on_tick: Callable[[], None] | None = None,
        tick_s: float = 1.0,
        ping_s: float = 0.5,
        timeout_s: float = 1.0,
    ) -> None:
        self._address = address
        self._prefix = prefix
        self._on_connected = on_connected
        self._on_invalidated = on_invalidated
        self._on_disconnected = on_disconnected
        self._on_tick = on_tick
        self._tick_s = tick_s
        self._ping_s = ping_s
        self._timeout_s = timeout_s
        self._stop = threading.Event()
        self._conn: Any = None
        self.connected = threading.Event()
        self.attempted = threading.Event()
        """Set after the first connection attempt, whatever its outcome."""
        self._thread = threading.Thread(target=self._run, name="promptcache-fleet", daemon=True)

    def start(self) -> None:
        """Start listening (connects in the background)."""
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the thread and close its connection."""
        self._stop.set()
        self._thread.join(timeout_s)

    def _connect(self) -> Any:
        parse: Callable[[str], dict[str, Any]] = parse_url
        kwargs = dict(parse(self._address.url))
        factory: Callable[..., Any] = kwargs.pop("connection_class", Connection)
        kwargs.update(
            socket_timeout=self._timeout_s,
            socket_connect_timeout=self._timeout_s,
            protocol=2,
            retry=None,
            health_check_interval=0,
        )
        conn = factory(**kwargs)  # redis-py leaves Connection's methods unannotated
        conn.connect()
        conn.send_command("CLIENT", "ID")
        client_id = conn.read_response()
        conn.send_command(
            "CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", "PREFIX", self._prefix
        )
        conn.read_response()
        conn.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
        conn.read_response()
        return conn

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
            except (redis.RedisError, OSError) as exc:
                self.attempted.set()
                log.debug("store listener cannot connect: %s", exc)
                self._on_disconnected(str(exc))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            backoff = 0.05
            try:
                self.connected.set()
                self._on_connected()
                self.attempted.set()
                self._listen(self._conn)
            except Exception as exc:  # this thread must outlive any one failure
                if not self._stop.is_set():
                    log.info("store connection lost: %s", exc)
                    self._on_disconnected(str(exc))
                    self._stop.wait(backoff)
            finally:
                self.connected.clear()
                self._conn.disconnect()
                self._conn = None

    def _listen(self, conn: Any) -> None:
        now = time.monotonic
        next_ping = now() + self._ping_s
        next_tick = now()
        pong_due: float | None = None
        while not self._stop.is_set():
            t = now()
            if self._on_tick is not None and t >= next_tick:
                self._on_tick()
                next_tick = t + self._tick_s
            if pong_due is not None and t > pong_due:
                raise redis.TimeoutError(f"no answer to PING in {self._timeout_s:g} s")
            if pong_due is None and t >= next_ping:
                conn.send_command("PING")
                pong_due = t + self._timeout_s
            wait = min(next_ping, next_tick, pong_due or next_ping) - now()
            if not conn.can_read(timeout=max(0.0, min(wait, 0.2))):
                continue
            message = conn.read_response()
            if not isinstance(message, list) or not message:
                continue
            kind = message[0]
            if kind == b"pong":
                pong_due = None
                next_ping = now() + self._ping_s
            elif kind == b"message" and len(message) == 3 and message[1] == INVALIDATE_CHANNEL:
                keys = message[2]
                self._on_invalidated(list(keys) if isinstance(keys, list) else None)
