"""A stats server: lets another process inspect a running application's cache.

``serve_stats(cache)`` starts it in a daemon thread. It speaks protocol v1, newline-delimited
JSON over a Unix socket (the default) or localhost TCP with a token; see docs/protocol.md.
It reads the cache only through its public methods, and only when a client asks.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hmac
import inspect
import ipaddress
import json
import logging
import os
import secrets
import socket
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final, ParamSpec

from .addresses import (
    Address,
    check_token,
    is_loopback_host,
    parse_address,
    read_token_file,
    remove_stale_socket,
    secure_socket_dir,
)
from .errors import ComponentError
from .event_feed import NOTABLE_KINDS, EventFeed
from .protocol import (
    DEFAULT_ENTRY_LIMIT,
    DEFAULT_EVENTS_LIMIT,
    MAX_ENTRY_LIMIT,
    MAX_LINE_BYTES,
    MAX_OFFSET,
    PROTOCOL_VERSION,
    ContextMemo,
    ContextRefs,
    JSONDict,
    ProtocolError,
    context_json,
    decode_context,
    encode_message,
    entry_json,
    event_json,
    legacy_context_key,
    snapshot_json,
)
from .protocol import (
    error_message as _error,
)

if TYPE_CHECKING:
    from types import TracebackType

    from .cache import ComponentCache
    from .monitor import CachePerformanceMonitor

log = logging.getLogger(__name__)

__all__ = ["NOTABLE_KINDS", "StatsServer", "serve_stats"]

MAX_CLIENTS: Final = 32
"""Clients that said hello, at once."""
MAX_UNGREETED: Final = 32
"""Connections that have not said hello yet, at once; a new one drops the oldest, so that
connections that never say hello cannot keep a client that does from getting in."""
ACCEPTS_PER_S: Final = 200.0
"""New connections taken per second at most (bursts of as many): what connections that
never say hello can cost the application is bounded by this rate."""
MAX_HELLO_READS: Final = 16
"""Reads a connection may take before its hello is complete."""
WRITE_TIMEOUT_S: Final = 5.0
IDLE_TIMEOUT_S: Final = 600.0
HELLO_TIMEOUT_S: Final = 10.0
"""From connecting to a complete hello, in all (not per read)."""
EVENTS_KEPT: Final = 500
"""Events other than evictions kept for clients (and the most one answer carries)."""
EVICTIONS_KEPT: Final = 100
"""Evictions kept for clients. Each record keeps the evicted entry's context alive until
it is dropped; 500 of them cost an eviction-heavy application 1.5% of its requests per
second (freeing them late, from cold memory), 100 cost under 1%. At thousands of
evictions a second nobody reads them one by one: the counts are in every snapshot."""
MONITOR_INTERVAL_S: Final = 1.0
CONTROL_OPS: Final = frozenset({"clear", "evict", "resize"})
_BACKLOG: Final = 256
_RECV_BYTES: Final = 65536
_DRAIN_S: Final = 1.0  # a polite close reads what the client still sends, this long
_HELLO_DRAIN_S: Final = 0.2  # or this long, for a connection that never said hello
_DRAIN_BYTES: Final = 256 * 1024  # or this much
_UNIX_PATH_MAX: Final = 107  # sun_path is 108 bytes on Linux, NUL included

P = ParamSpec("P")


class _RequestError(Exception):
    def __init__(self, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.close = close


def _int_param(request: JSONDict, name: str, default: int, maximum: int | None = None) -> int:
    """A whole-number parameter from 0 to ``MAX_OFFSET`` (capped at ``maximum``)."""
    value = request.get(name)
    if value is None:
        return default
    if type(value) is not int or not 0 <= value <= MAX_OFFSET:
        shown = repr(value)[:40] if type(value) is not int else f"{value:.3g}"
        raise _RequestError(
            "bad_request", f"{name} must be a whole number from 0 to {MAX_OFFSET}, not {shown}"
        )
    return value if maximum is None else min(value, maximum)


class _Client:
    """One connection: its socket, whether it said hello, and until when it may try."""

    __slots__ = ("deadline", "greeted", "reads", "sock")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.greeted = False
        self.deadline = deadline
        self.reads = 0


class _Rate:
    """A token bucket: ``take()`` sleeps (without holding the GIL) until a token is there."""

    def __init__(self, per_s: float) -> None:
        self._per_s = per_s
        self._tokens = per_s
        self._at = time.monotonic()

    def take(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._per_s, self._tokens + (now - self._at) * self._per_s)
        self._at = now
        if self._tokens < 1.0:
            time.sleep((1.0 - self._tokens) / self._per_s)
            self._at = time.monotonic()
            self._tokens = 1.0
        self._tokens -= 1.0


def _set_timeouts(sock: socket.socket, receive_s: float, send_s: float) -> None:
    """Kernel timeouts on a blocking socket (SO_RCVTIMEO, SO_SNDTIMEO): Python's own
    timeouts would add a poll() before every recv and send, and each system call is a
    round of the GIL with the application's thread."""
    for option, seconds in ((socket.SO_RCVTIMEO, receive_s), (socket.SO_SNDTIMEO, send_s)):
        whole = int(seconds)
        sock.setsockopt(
            socket.SOL_SOCKET, option, struct.pack("ll", whole, int((seconds - whole) * 1e6))
        )


# ----------------------------------------------------------------- the server


class StatsServer:
    """Serves read-only snapshots of ``cache`` (and, if allowed, control ops) to clients.

    Construct, then ``start()`` (or use it as a context manager); ``serve_stats`` does
    both and takes the same arguments. ``address`` is the bound address after ``start()``
    and ``token`` the TCP token (None for Unix sockets). The limits below are class
    attributes; set them on an instance before ``start()`` to change them.

    Args:
        cache: The cache to expose (read through its public methods only).
        address: ``unix:DEFAULT`` (a 0600 socket in a 0700 folder), ``unix:/path.sock``
            or ``tcp:127.0.0.1:PORT`` (port 0: any free one; see ``.address``).
        monitor: A monitor whose snapshots and trends ``state`` includes.
        token: The TCP token, at least 16 characters (TCP always needs one; generated
            and logged if not given).
        token_file: A file whose first line is the TCP token; only its owner may read it.
        allow_control: Enable the ``clear``, ``evict`` and ``resize`` ops.
        allow_remote: Allow binding a TCP host other than loopback.
        folder: The component folder, reported to clients.
        components: The component paths, reported to clients.
        loader: The loader filling ``cache``; a store-backed one's ``stale`` flag (its
            server is unreachable, cached entries may be out of date) goes out in ``state``.

    Raises ``ComponentError`` for a bad address, an unsafe socket folder, a refused host,
    a short token, an unreadable or unsafe token file, or a socket that cannot be bound.
    """

    max_clients: int = MAX_CLIENTS
    max_ungreeted: int = MAX_UNGREETED
    accepts_per_s: float = ACCEPTS_PER_S
    max_line_bytes: int = MAX_LINE_BYTES
    write_timeout_s: float = WRITE_TIMEOUT_S
    idle_timeout_s: float = IDLE_TIMEOUT_S
    hello_timeout_s: float = HELLO_TIMEOUT_S

    def __init__(
        self,
        cache: ComponentCache,
        address: str = "unix:DEFAULT",
        *,
        monitor: CachePerformanceMonitor | None = None,
        token: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        allow_control: bool = False,
        allow_remote: bool = False,
        folder: str | os.PathLike[str] | None = None,
        components: Iterable[str] | None = None,
        loader: object | None = None,
    ) -> None:
        self.cache = cache
        self.monitor = monitor
        self.allow_control = bool(allow_control)
        self.folder = None if folder is None else os.fspath(folder)
        self.components = None if components is None else [str(c) for c in components]
        self.loader = loader
        self._where = parse_address(address)
        self.address = str(self._where)
        self.token: str | None = None
        self._token_generated = False
        if self._where.kind == "tcp":
            host = self._where.host
            if not allow_remote and not is_loopback_host(host):
                raise ComponentError(
                    f"binding to {host} exposes the cache to the network; pass "
                    "allow_remote=True to allow it, or bind 127.0.0.1 and use ssh -L"
                )
            if token is not None and token_file is not None:
                raise ComponentError("pass token or token_file, not both")
            if token is not None:
                self.token = check_token(token)
            elif token_file is not None:
                self.token = read_token_file(token_file)
            else:
                self.token = secrets.token_urlsafe(24)
                self._token_generated = True
        self._token_bytes = (
            b"" if self.token is None else self.token.encode("utf-8", "surrogatepass")
        )
        self._events = EventFeed(EVICTIONS_KEPT, EVENTS_KEPT)
        self._listener_lock = threading.Lock()
        self._lifecycle = threading.Lock()
        self._started = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._listening: socket.socket | None = None
        self._socket_id: tuple[int, int] | None = None
        self._clients: set[_Client] = set()
        self._ungreeted: OrderedDict[_Client, None] = OrderedDict()  # oldest first
        self._client_threads: set[threading.Thread] = set()
        self._clients_lock = threading.Lock()
        self._refs = ContextRefs()
        self._forms = ContextMemo(self._refs)
        self._ops: dict[str, Callable[[_Client, JSONDict], JSONDict]] = {
            "hello": self._op_hello,
            "state": self._op_state,
            "stats": self._op_stats,
            "entries": self._op_entries,
            "config": self._op_config,
            "clear": self._op_clear,
            "evict": self._op_evict,
            "resize": self._op_resize,
        }

    # ------------------------------------------------------------- lifecycle

    def start(self) -> StatsServer:
        """Bind the socket and serve from daemon threads; returns self (a no-op if started).

        One thread accepts connections and one serves each client, with blocking sockets:
        per request that is one wake-up for the request and one for the answer, the fewest
        rounds of the GIL that the application's thread has to give up.
        """
        with self._lifecycle:
            if self._closed:
                raise ComponentError(f"{self.address}: the stats server is closed")
            if self._started:
                return self
            self._listening = self._bind()
            self._thread = threading.Thread(
                target=self._accept_loop,
                args=(self._listening,),
                name="promptcache-stats",
                daemon=True,
            )
            self._thread.start()
            self._started = True
        atexit.register(self.close)
        if self._token_generated:
            log.warning("stats server on %s: generated token %s", self.address, self.token)
        log.info("stats server listening on %s", self.address)
        return self

    def close(self) -> None:
        """Stop serving, drop every client and remove the Unix socket; safe to call twice."""
        with self._lifecycle:
            if self._closed:
                return
            self._closed = True
            listening, thread = self._listening, self._thread
        if listening is not None:
            with contextlib.suppress(OSError):
                listening.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            listening.close()
        with self._clients_lock:
            clients, threads = list(self._clients), list(self._client_threads)
        for client in clients:
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)  # wakes its thread's recv()
        current = threading.current_thread()
        for worker in [thread, *threads]:
            if worker is not None and worker is not current:
                worker.join(10.0)
        self._detach_listener()
        self._unlink_socket()
        atexit.unregister(self.close)

    def __enter__(self) -> StatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def serving(self) -> bool:
        """True between ``start()`` and ``close()``."""
        return self._started and not self._closed

    @property
    def clients(self) -> int:
        """How many clients are connected now."""
        with self._clients_lock:
            return len(self._clients)

    def _bind(self) -> socket.socket:
        if self._where.kind == "unix":
            return self._bind_unix(self._where.path)
        return self._bind_tcp(self._where.host, self._where.port)

    def _bind_unix(self, path: str) -> socket.socket:
        if len(os.fsencode(path)) > _UNIX_PATH_MAX:
            raise ComponentError(
                f"unix:{path}: socket path too long ({len(os.fsencode(path))} bytes, "
                f"at most {_UNIX_PATH_MAX})"
            )
        secure_socket_dir(os.path.dirname(path))
        remove_stale_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            st = os.stat(path)
            self._socket_id = (st.st_dev, st.st_ino)
            os.chmod(path, 0o600)
            sock.listen(_BACKLOG)
        except OSError as exc:
            sock.close()
            self._unlink_socket()
            raise ComponentError(f"unix:{path}: cannot listen: {exc.strerror or exc}") from None
        return sock

    def _bind_tcp(self, host: str, port: int) -> socket.socket:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as exc:
            raise ComponentError(f"{self.address}: cannot resolve {host}: {exc.strerror}") from None
        family, _, _, _, sockaddr = infos[0]
        if is_loopback_host(host) and not ipaddress.ip_address(sockaddr[0]).is_loopback:
            raise ComponentError(f"{self.address}: {host} resolves to {sockaddr[0]}, not loopback")
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            sock.listen(_BACKLOG)
        except OSError as exc:
            sock.close()
            raise ComponentError(f"{self.address}: cannot listen: {exc.strerror or exc}") from None
        bound_host, bound_port = sock.getsockname()[:2]
        if not is_loopback_host(host):
            log.warning("stats server on %s is reachable from the network", bound_host)
        self._where = Address("tcp", host=bound_host, port=bound_port)
        self.address = str(self._where)
        return sock

    def _unlink_socket(self) -> None:
        """Remove our socket file, unless another server has replaced it since."""
        if self._where.kind != "unix" or self._socket_id is None:
            return
        path = self._where.path
        try:
            st = os.lstat(path)
            if (st.st_dev, st.st_ino) == self._socket_id:
                os.unlink(path)
        except OSError:
            pass
        self._socket_id = None

    # ------------------------------------------------------------- listener

    def _attach_listener(self) -> None:
        with self._listener_lock:
            if not self._closed:
                self._events.attach(self.cache)

    def _detach_listener(self) -> None:
        with self._listener_lock:
            self._events.detach()

    # ------------------------------------------------------------- connections

    def _accept_loop(self, listening: socket.socket) -> None:
        rate = _Rate(self.accepts_per_s)
        while True:
            rate.take()
            try:
                sock, _ = listening.accept()
            except OSError:
                if self._closed:
                    return
                log.exception("stats server on %s: accept failed", self.address)
                time.sleep(0.1)  # out of file descriptors, say: do not spin
                continue
            try:
                self._admit(sock)
            except Exception:  # the thread must never take the application down
                log.exception("stats server: could not take a connection")
                sock.close()

    def _admit(self, sock: socket.socket) -> None:
        """Serve ``sock`` from a thread of its own until it says hello (or fails to, by its
        deadline). When ``max_ungreeted`` connections wait for a hello, the oldest of them
        makes room: it gets ``busy``."""
        client = _Client(sock, time.monotonic() + self.hello_timeout_s)
        _set_timeouts(sock, self.hello_timeout_s, self.write_timeout_s)
        bumped: _Client | None = None
        with self._clients_lock:
            if self._closed:
                sock.close()
                return
            if len(self._ungreeted) >= self.max_ungreeted:
                bumped, _ = self._ungreeted.popitem(last=False)
            self._ungreeted[client] = None
            self._clients.add(client)
            if len(self._clients) == 1:
                self._attach_listener()
            worker = threading.Thread(
                target=self._serve_client,
                args=(client,),
                name="promptcache-stats-client",
                daemon=True,
            )
            self._client_threads.add(worker)
        if bumped is not None:
            log.info("stats server: more than %d connections without a hello", self.max_ungreeted)
            with contextlib.suppress(OSError):
                bumped.sock.shutdown(socket.SHUT_RD)  # its thread's recv() returns, and sees why
        worker.start()

    def _greet(self, client: _Client) -> None:
        """Count ``client`` among the greeted ones, or refuse it with ``busy``."""
        with self._clients_lock:
            if client not in self._ungreeted:
                raise _RequestError("busy", "too many connections without a hello", close=True)
            if len(self._clients) - len(self._ungreeted) >= self.max_clients:
                del self._ungreeted[client]
                raise _RequestError("busy", f"more than {self.max_clients} clients", close=True)
            del self._ungreeted[client]
            client.greeted = True

    def _serve_client(self, client: _Client) -> None:
        polite = False
        try:
            polite = self._serve(client)
        except OSError as exc:
            log.debug("client went away: %s", exc)
        except Exception:
            log.exception("stats server: client handler failed")
        finally:
            if polite:
                self._close_politely(client.sock, _DRAIN_S if client.greeted else _HELLO_DRAIN_S)
            else:
                client.sock.close()
            with self._clients_lock:
                self._clients.discard(client)
                self._ungreeted.pop(client, None)
                self._client_threads.discard(threading.current_thread())
                if not self._clients:
                    self._detach_listener()

    def _serve(self, client: _Client) -> bool:
        """Answer requests until the client leaves; True to close politely, False to drop."""
        sock = client.sock
        pending = bytearray()
        while True:
            end = pending.find(b"\n")
            if (len(pending) if end < 0 else end) > self.max_line_bytes:
                message = f"request line longer than {self.max_line_bytes} bytes"
                self._send(client, _error(None, "too_long", message))
                return True
            if end < 0:
                if not client.greeted and not self._hello_read_allowed(client):
                    return False
                try:
                    chunk = sock.recv(_RECV_BYTES)
                except BlockingIOError:  # SO_RCVTIMEO ran out
                    what = "idle" if client.greeted else "without a hello"
                    timeout = self.idle_timeout_s if client.greeted else self.hello_timeout_s
                    log.info("stats server: dropping a client %s for %.0f s", what, timeout)
                    return False
                if not chunk or self._closed:
                    if not client.greeted and not self._closed and self._was_bumped(client):
                        self._send(client, _error(None, "busy", "too many connections"))
                    return True
                pending += chunk
                continue
            line = bytes(pending[:end])
            del pending[: end + 1]
            if line.isspace() or not line:
                continue
            was_greeted = client.greeted
            response, close = self._respond(client, line)
            if not self._send(client, response):
                return False
            if close or not client.greeted:  # before a hello, any error ends the connection
                return True
            if client.greeted and not was_greeted:  # from the hello deadline to the idle one
                _set_timeouts(sock, self.idle_timeout_s, self.write_timeout_s)

    def _hello_read_allowed(self, client: _Client) -> bool:
        """Before a hello: set the read timeout to what is left of the connection's
        deadline; False (drop it) when none is left or it has read too often."""
        client.reads += 1
        left = client.deadline - time.monotonic()
        if left <= 0 or client.reads > MAX_HELLO_READS:
            log.info("stats server: dropping a client without a hello")
            return False
        _set_timeouts(client.sock, left, self.write_timeout_s)
        return True

    def _was_bumped(self, client: _Client) -> bool:
        with self._clients_lock:
            return client in self._clients and client not in self._ungreeted

    def _send(self, client: _Client, message: JSONDict) -> bool:
        """Send one line; False when the client does not take it within the write timeout."""
        try:
            client.sock.sendall(encode_message(message))
        except BlockingIOError:  # SO_SNDTIMEO ran out: the client is not reading
            log.info("stats server: dropping a client whose writes block")
            return False
        except OSError as exc:
            log.debug("client went away: %s", exc)
            return False
        return True

    @staticmethod
    def _close_politely(sock: socket.socket, drain_s: float) -> None:
        """Close after the client has read what was sent: shut our side, then read what
        it still sends (briefly) so that unread data does not turn the close into a reset
        that can destroy the last line."""
        try:
            sock.shutdown(socket.SHUT_WR)
            _set_timeouts(sock, drain_s, drain_s)
            deadline, left = time.monotonic() + drain_s, _DRAIN_BYTES
            while left > 0 and time.monotonic() < deadline:
                chunk = sock.recv(_RECV_BYTES)
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass
        finally:
            sock.close()

    # ------------------------------------------------------------- requests

    def _respond(self, client: _Client, line: bytes) -> tuple[JSONDict, bool]:
        """The response to one request line, and whether to close afterwards."""
        try:
            request = json.loads(line.decode("utf-8"))  # tiny: orjson would gain nothing
        except (UnicodeDecodeError, ValueError, RecursionError):
            return _error(None, "bad_request", "not a JSON object on one line"), False
        if not isinstance(request, dict):
            return _error(None, "bad_request", "a request must be a JSON object"), False
        raw_id = request.get("id")
        request_id = raw_id if type(raw_id) is int else None
        version = request.get("v")
        if type(version) is not int or version != PROTOCOL_VERSION:
            message = f"this server speaks protocol version {PROTOCOL_VERSION}, not {version!r}"
            return _error(request_id, "bad_version", message), True
        if request_id is None:
            return _error(None, "bad_request", 'every request needs an integer "id"'), False
        op = request.get("op")
        if not isinstance(op, str):
            return _error(request_id, "bad_request", 'every request needs an "op" string'), False
        if not client.greeted and op != "hello":
            return _error(request_id, "hello_first", "the first request must be hello"), True
        handler = self._ops.get(op)
        if handler is None:
            return _error(request_id, "unknown_op", f"unknown op {op[:80]!r}"), False
        if op in CONTROL_OPS and not self.allow_control:
            message = f"{op} needs a server started with allow_control=True"
            return _error(request_id, "forbidden", message), False
        try:
            result = handler(client, request)
        except _RequestError as exc:
            return _error(request_id, exc.code, str(exc)), exc.close
        except Exception as exc:
            log.exception("stats server: op %s failed", op)
            return _error(request_id, "internal", f"{type(exc).__name__}: {exc}"), False
        return {"v": PROTOCOL_VERSION, "id": request_id, "ok": True, "result": result}, False

    def _op_hello(self, client: _Client, request: JSONDict) -> JSONDict:
        if self.token is not None:
            token = request.get("token")
            if not isinstance(token, str) or not hmac.compare_digest(
                token.encode("utf-8", "surrogatepass"), self._token_bytes
            ):
                raise _RequestError("bad_token", "wrong or missing token", close=True)
        if not client.greeted:
            self._greet(client)
        log.debug("stats client: %.200s", request.get("client"))
        return {
            "server": "promptcache",
            "protocol": PROTOCOL_VERSION,
            "control": self.allow_control,
            "policy": self.cache.policy_name,
            "pid": os.getpid(),
            "folder": self.folder,
            "components": self.components,
        }

    def _op_state(self, client: _Client, request: JSONDict) -> JSONDict:
        limit = _int_param(request, "entry_limit", DEFAULT_ENTRY_LIMIT, MAX_ENTRY_LIMIT)
        offset = _int_param(request, "entry_offset", 0)
        since = _int_param(request, "events_since", 0)
        events_limit = _int_param(request, "events_limit", DEFAULT_EVENTS_LIMIT, EVENTS_KEPT)
        snap = self.cache.snapshot(entry_limit=limit, entry_offset=offset)
        victim = self.cache.next_victim()
        events, newest = self._events.since(since, events_limit)
        forms = self._forms
        state: JSONDict = {
            "snapshot": snapshot_json(snap),
            "entries": [entry_json(e, forms) for e in snap.entries],
            "victim": None if victim is None else entry_json(victim, forms),
            "events": [event_json(seq, event, forms) for seq, event in events],
            "events_next": newest,
            "monitor": self._monitor_json(),
        }
        if self.loader is not None:
            state["stale"] = bool(getattr(self.loader, "stale", False))
        return state

    def _monitor_json(self) -> JSONDict:
        monitor = self.monitor
        if monitor is None:
            return {"snapshot": None, "trends": {"status": "no_monitor"}}
        latest = monitor.snapshot_if_due(MONITOR_INTERVAL_S)
        return {
            "snapshot": None if latest is None else latest.to_dict(),
            "trends": monitor.get_performance_trends().to_dict(),
        }

    def _op_stats(self, client: _Client, request: JSONDict) -> JSONDict:
        return self.cache.get_stats()

    def _op_entries(self, client: _Client, request: JSONDict) -> JSONDict:
        limit = _int_param(request, "limit", DEFAULT_ENTRY_LIMIT, MAX_ENTRY_LIMIT)
        offset = _int_param(request, "offset", 0)
        views = self.cache.entries(limit, offset)
        entries = [entry_json(v, self._forms) for v in views]
        return {"entries": entries, "total": len(self.cache)}

    def _op_config(self, client: _Client, request: JSONDict) -> JSONDict:
        return {
            "max_size": self.cache.max_size,
            "max_memory_bytes": self.cache.max_memory_bytes,
            "policy": self.cache.policy_name,
            "control": self.allow_control,
            "folder": self.folder,
            "components": self.components,
        }

    def _op_clear(self, client: _Client, request: JSONDict) -> JSONDict:
        self.cache.clear_cache()
        return {}

    def _op_evict(self, client: _Client, request: JSONDict) -> JSONDict:
        path = request.get("path")
        if not isinstance(path, str):
            raise _RequestError("bad_request", 'evict needs a "path" string')
        try:
            if "context_key" in request:  # the lossless form
                context = decode_context(request["context_key"], self._refs.resolve)
            elif "context" not in request:
                raise _RequestError("bad_request", 'evict needs a "context_key" (or "context")')
            elif isinstance(request["context"], str):
                return {"removed": self._evict_by_repr(path, request["context"])}
            else:
                context = legacy_context_key(request["context"])
        except ProtocolError as exc:
            raise _RequestError("bad_request", str(exc)) from None
        return {"removed": self.cache.invalidate(path, context, reason="manual")}

    def _evict_by_repr(self, path: str, wanted: str) -> int:
        """v1 clients send a key of another kind as its repr: scan for it."""
        removed = 0
        for view in self.cache.entries():
            if view.path == path and context_json(view.context) == wanted:
                removed += self.cache.invalidate(path, view.context, reason="manual")
        return removed

    def _op_resize(self, client: _Client, request: JSONDict) -> JSONDict:
        max_size = request.get("max_size")
        max_memory_mb = request.get("max_memory_mb")
        try:
            evicted = self.cache.resize(max_size=max_size, max_memory_mb=max_memory_mb)
        except ValueError as exc:
            raise _RequestError("bad_request", str(exc)) from None
        return {"evicted": evicted}


def _started(server_type: Callable[P, StatsServer]) -> Callable[P, StatsServer]:
    """``serve_stats``: the server's own parameters, and ``start()`` called for you."""

    @functools.wraps(server_type, assigned=("__module__",), updated=())
    def serve_stats(*args: P.args, **kwargs: P.kwargs) -> StatsServer:
        """Serve ``cache``'s stats on ``address`` from a daemon thread; returns the running
        server. Takes ``StatsServer``'s arguments:
        ``serve_stats(cache, address="unix:DEFAULT", *, monitor=None, token=None,
        token_file=None, allow_control=False, allow_remote=False, folder=None,
        components=None, loader=None)``; see ``StatsServer``.
        """
        return server_type(*args, **kwargs).start()

    signature = inspect.signature(server_type).replace(return_annotation="StatsServer")
    serve_stats.__signature__ = signature  # type: ignore[attr-defined]
    return serve_stats


serve_stats = _started(StatsServer)
