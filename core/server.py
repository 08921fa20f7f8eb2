"""A stats server: lets another process inspect a running application's cache.

``serve_stats(cache)`` starts it in a daemon thread. It speaks protocol v1, newline-delimited
JSON over a Unix socket (the default) or localhost TCP with a token; see docs/protocol.md.
It reads the cache only through its public methods, and only when a client asks.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hmac
import ipaddress
import itertools
import json
import logging
import os
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Final

import orjson

from .addresses import (
    Address,
    is_loopback_host,
    parse_address,
    read_token_file,
    remove_stale_socket,
    secure_socket_dir,
)
from .errors import ComponentError
from .events import CacheEvent, EventKind
from .stats import CacheSnapshot, EntryView, describe_context

if TYPE_CHECKING:
    from types import TracebackType

    from .cache import ComponentCache, EvictionJournal, EvictionRecord
    from .monitor import CachePerformanceMonitor

log = logging.getLogger(__name__)

PROTOCOL_VERSION: Final = 1
MAX_CLIENTS: Final = 32
MAX_LINE_BYTES: Final = 64 * 1024
WRITE_TIMEOUT_S: Final = 5.0
IDLE_TIMEOUT_S: Final = 600.0
HELLO_TIMEOUT_S: Final = 10.0
EVENTS_KEPT: Final = 500
"""Events other than evictions kept for clients (and the most one answer carries)."""
EVICTIONS_KEPT: Final = 100
"""Evictions kept for clients. Each record keeps the evicted entry's context alive until
it is dropped; 500 of them cost an eviction-heavy application 1.5% of its requests per
second (freeing them late, from cold memory), 100 cost under 1%. At thousands of
evictions a second nobody reads them one by one: the counts are in every snapshot."""
DEFAULT_ENTRY_LIMIT: Final = 50
MAX_ENTRY_LIMIT: Final = 1000
MONITOR_INTERVAL_S: Final = 1.0
DEFAULT_EVENTS_LIMIT: Final = 100
"""Most events one ``state`` answer carries unless the client asks for more."""
NOTABLE_KINDS: Final[frozenset[EventKind]] = frozenset(
    {"invalidate", "clear", "load_error", "file_changed"}
)
"""Event kinds the server keeps besides evictions (puts are not events)."""
CONTROL_OPS: Final = frozenset({"clear", "evict", "resize"})
_BACKLOG: Final = 256
_RECV_BYTES: Final = 65536
_DRAIN_S: Final = 1.0  # a polite close reads what the client still sends, this long
_DRAIN_BYTES: Final = 256 * 1024  # or this much
_UNIX_PATH_MAX: Final = 107  # sun_path is 108 bytes on Linux, NUL included

JSONDict = dict[str, Any]


# ----------------------------------------------------------------- JSON views


def context_json(context: Hashable) -> list[list[Any]] | str | None:
    """A context key as JSON: ``""`` -> null, a set of pairs -> sorted pairs, else its repr."""
    if isinstance(context, str) and context == "":
        return None
    if isinstance(context, frozenset) and all(
        isinstance(p, tuple) and len(p) == 2 and all(_is_scalar(x) for x in p) for p in context
    ):
        try:
            return [list(p) for p in sorted(context)]
        except TypeError:
            pass
    return repr(context)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float))


ContextForms = tuple[list[list[Any]] | str | None, str]
"""A context's wire form and its label."""


def context_forms(context: Hashable) -> ContextForms:
    """``(context_json(context), describe_context(context))``."""
    return context_json(context), describe_context(context)


class _ContextMemo:
    """Wire forms of the contexts seen lately: an application uses few, over and over."""

    def __init__(self, size: int = 4096) -> None:
        self._forms: dict[Hashable, ContextForms] = {}
        self._size = size

    def __call__(self, context: Hashable) -> ContextForms:
        try:
            return self._forms[context]
        except KeyError:
            pass
        except TypeError:  # not hashable after all
            return context_forms(context)
        forms = context_forms(context)
        if type(context) in (str, frozenset):  # types whose equal values look the same
            if len(self._forms) >= self._size:
                self._forms.clear()
            self._forms[context] = forms
        return forms


def entry_json(
    view: EntryView, forms: Callable[[Hashable], ContextForms] = context_forms
) -> JSONDict:
    """One entry as the protocol sends it."""
    wire, label = forms(view.context)
    return {
        "rank": view.rank,
        "path": view.path,
        "context": wire,
        "context_label": label,
        "size_bytes": view.size_bytes,
        "hits": view.hits,
        "created_at": view.created_at,
        "last_accessed": view.last_accessed,
    }


def snapshot_json(snap: CacheSnapshot) -> JSONDict:
    """Every snapshot field but the entries, with the derived ratios and totals."""
    out: JSONDict = {
        f.name: getattr(snap, f.name) for f in dataclasses.fields(snap) if f.name != "entries"
    }
    out["evictions"] = dict(snap.evictions)
    out["hit_ratio"] = snap.hit_ratio
    out["total_requests"] = snap.total_requests
    out["memory_utilization"] = snap.memory_utilization
    out["total_evictions"] = snap.total_evictions
    return out


EventFields = CacheEvent | tuple[str, str, Hashable, str, int, float]
"""A CacheEvent, or a plain tuple of its fields in order (an eviction journal's record)."""


def event_json(
    seq: int, event: EventFields, forms: Callable[[Hashable], ContextForms] = context_forms
) -> JSONDict:
    """One numbered event as the protocol sends it."""
    kind, path, context, reason, size_bytes, timestamp = event
    return {
        "seq": seq,
        "kind": kind,
        "path": path,
        "context_label": forms(context)[1],
        "reason": reason,
        "size_bytes": size_bytes,
        "timestamp": timestamp,
    }


def _encode(message: JSONDict) -> bytes:
    # orjson takes a twentieth of the stdlib's time for a state answer; the stdlib takes
    # what orjson refuses (integers beyond 64 bits, file names with lone surrogates).
    try:
        return orjson.dumps(message, default=repr, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return json.dumps(message, separators=(",", ":"), default=repr).encode("ascii") + b"\n"


def _error(request_id: int | None, code: str, message: str) -> JSONDict:
    error = {"code": code, "message": " ".join(message.split())}
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": False, "error": error}


class _EventRing:
    """The last ``evictions`` evictions and the last ``others`` other events, numbered from 1.

    Kept apart so that a flood of evictions never pushes out a load error. Evictions come
    from the cache's eviction journal (a plain tuple per eviction on the application's
    thread, far cheaper than a listener); the rare other kinds from a listener. Both are
    numbered, in the order they happened, when a client next asks, on the server's thread.
    """

    def __init__(self, evictions: int, others: int) -> None:
        self._maxlen = evictions
        self._notable: deque[tuple[int, CacheEvent]] = deque(maxlen=others)
        self._evictions: deque[tuple[int, EvictionRecord]] = deque(maxlen=evictions)
        # Not yet numbered: (arrival number, evictions journaled before it, event).
        self._pending: deque[tuple[int, int, CacheEvent]] = deque(maxlen=others)
        self._arrivals = itertools.count(1)
        self._arrived = 0  # arrival numbers taken out of _pending so far
        self._journal: EvictionJournal | None = None
        self._journaled = 0  # journal numbers taken so far
        self._newest = 0
        self._remove_listener: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def attach(self, cache: ComponentCache) -> None:
        """Start recording ``cache``'s events (idempotent)."""
        with self._lock:
            if self._journal is None:
                self._journal = cache.eviction_journal(self._maxlen)
                self._journaled = 0
                self._remove_listener = cache.add_listener(self.record, NOTABLE_KINDS)

    def detach(self) -> None:
        """Stop recording; what was recorded stays readable (idempotent)."""
        with self._lock:
            self._number_new_events()
            journal, self._journal = self._journal, None
            remove, self._remove_listener = self._remove_listener, None
        if remove is not None:
            remove()
        if journal is not None:
            journal.close()

    def record(self, event: CacheEvent) -> None:
        # A cache listener for NOTABLE_KINDS, on the application's thread: no lock (next()
        # and a deque's append are each atomic), just a note of how many evictions came first.
        journal = self._journal
        before = 0 if journal is None else journal.total
        self._pending.append((next(self._arrivals), before, event))

    def since(self, seq: int, limit: int) -> tuple[list[tuple[int, EventFields]], int]:
        """Up to ``limit`` events numbered above ``seq``, oldest first (all the notable ones
        that fit, then the newest evictions), and the newest number so far."""
        with self._lock:
            self._number_new_events()
            notable = [item for item in self._notable if item[0] > seq][-limit:]
            room = limit - len(notable)
            newer = [item for item in self._evictions if item[0] > seq]
            newest = self._newest
        evictions: list[tuple[int, EventFields]] = newer[-room:] if room else []
        return sorted(notable + evictions), newest

    def _number_new_events(self) -> None:
        """Number what arrived since the last call, in order (lock held). Events that fell
        out of the bounded queues before this still count, so numbers show the gap."""
        first, dropped = 0, 0
        evictions: list[EvictionRecord] = []
        if self._journal is not None:
            first, evictions, total = self._journal.records_since(self._journaled)
            dropped = total - self._journaled - len(evictions)
            self._journaled = total
        arrived: list[tuple[int, int, CacheEvent]] = []
        with contextlib.suppress(IndexError):
            while True:
                arrived.append(self._pending.popleft())
        if arrived:
            arrived.sort(key=lambda item: item[0])
            dropped += arrived[-1][0] - self._arrived - len(arrived)
            self._arrived = arrived[-1][0]
        seq = self._newest + dropped
        done = 0  # evictions numbered so far
        for _, before, event in arrived:
            upto = min(len(evictions), max(done, before - first + 1))
            self._evictions.extend(zip(itertools.count(seq + 1), evictions[done:upto]))
            seq += upto - done + 1
            done = upto
            self._notable.append((seq, event))
        self._evictions.extend(zip(itertools.count(seq + 1), evictions[done:]))
        self._newest = seq + len(evictions) - done


class _RequestError(Exception):
    def __init__(self, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.close = close


def _context_key(wanted: object) -> Hashable:
    """The cache key for a context sent as null or ``[[name, value], ...]``."""
    if wanted is None:
        return ""
    bad = _RequestError("bad_request", "context must be null, [[name, value], ...] or a string")
    if not isinstance(wanted, list):
        raise bad
    pairs: list[tuple[Any, Any]] = []
    for pair in wanted:
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_scalar, pair))):
            raise bad
        pairs.append((pair[0], pair[1]))
    return frozenset(pairs)


def _int_param(request: JSONDict, name: str, default: int, maximum: int | None = None) -> int:
    value = request.get(name)
    if value is None:
        return default
    if type(value) is not int or value < 0:
        raise _RequestError("bad_request", f"{name} must be a whole number >= 0, not {value!r}")
    return value if maximum is None else min(value, maximum)


class _Client:
    """One connection: its socket, and whether it said hello."""

    __slots__ = ("greeted", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.greeted = False


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
    both. Arguments are those of ``serve_stats``. ``address`` is the bound address after
    ``start()`` and ``token`` the TCP token (None for Unix sockets). The limits below are
    class attributes; set them on an instance before ``start()`` to change them.
    """

    max_clients: int = MAX_CLIENTS
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
    ) -> None:
        self.cache = cache
        self.monitor = monitor
        self.allow_control = bool(allow_control)
        self.folder = None if folder is None else os.fspath(folder)
        self.components = None if components is None else [str(c) for c in components]
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
                if not isinstance(token, str) or not token.strip():
                    raise ComponentError("token must be a non-empty string")
                self.token = token
            elif token_file is not None:
                self.token = read_token_file(token_file)
            else:
                self.token = secrets.token_urlsafe(24)
                self._token_generated = True
        self._token_bytes = b"" if self.token is None else self.token.encode("utf-8")
        self._events = _EventRing(EVICTIONS_KEPT, EVENTS_KEPT)
        self._listener_lock = threading.Lock()
        self._lifecycle = threading.Lock()
        self._started = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._listening: socket.socket | None = None
        self._socket_id: tuple[int, int] | None = None
        self._clients: set[_Client] = set()
        self._client_threads: set[threading.Thread] = set()
        self._clients_lock = threading.Lock()
        self._forms = _ContextMemo()
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
        while True:
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
        """Serve ``sock`` from a thread of its own, or refuse it when the server is full."""
        _set_timeouts(sock, self.hello_timeout_s, self.write_timeout_s)
        client = _Client(sock)
        with self._clients_lock:
            full = len(self._clients) >= self.max_clients or self._closed
            if not full:
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
        if full:
            log.info("stats server busy: refusing a connection")
            _set_timeouts(sock, _DRAIN_S, _DRAIN_S)
            self._send(client, _error(None, "busy", f"more than {self.max_clients} clients"))
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
            sock.close()
            return
        worker.start()

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
                self._close_politely(client.sock)
            else:
                client.sock.close()
            with self._clients_lock:
                self._clients.discard(client)
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
                try:
                    chunk = sock.recv(_RECV_BYTES)
                except BlockingIOError:  # SO_RCVTIMEO ran out
                    what = "idle" if client.greeted else "without a hello"
                    timeout = self.idle_timeout_s if client.greeted else self.hello_timeout_s
                    log.info("stats server: dropping a client %s for %.0f s", what, timeout)
                    return False
                if not chunk or self._closed:
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
            if close:
                return True
            if client.greeted and not was_greeted:  # from the hello deadline to the idle one
                _set_timeouts(sock, self.idle_timeout_s, self.write_timeout_s)

    def _send(self, client: _Client, message: JSONDict) -> bool:
        """Send one line; False when the client does not take it within the write timeout."""
        try:
            client.sock.sendall(_encode(message))
        except BlockingIOError:  # SO_SNDTIMEO ran out: the client is not reading
            log.info("stats server: dropping a client whose writes block")
            return False
        except OSError as exc:
            log.debug("client went away: %s", exc)
            return False
        return True

    @staticmethod
    def _close_politely(sock: socket.socket) -> None:
        """Close after the client has read what was sent: shut our side, then read what
        it still sends (briefly) so that unread data does not turn the close into a reset
        that can destroy the last line."""
        try:
            sock.shutdown(socket.SHUT_WR)
            _set_timeouts(sock, _DRAIN_S, _DRAIN_S)
            deadline, left = time.monotonic() + _DRAIN_S, _DRAIN_BYTES
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
        client.greeted = True
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
        return {
            "snapshot": snapshot_json(snap),
            "entries": [entry_json(e, forms) for e in snap.entries],
            "victim": None if victim is None else entry_json(victim, forms),
            "events": [event_json(seq, event, forms) for seq, event in events],
            "events_next": newest,
            "monitor": self._monitor_json(),
        }

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
        if "context" not in request:
            raise _RequestError("bad_request", 'evict needs a "context" (null for none)')
        wanted = request["context"]
        if isinstance(wanted, str):  # a key of another kind, sent as its repr: scan for it
            removed = 0
            for view in self.cache.entries():
                if view.path == path and context_json(view.context) == wanted:
                    removed += self.cache.invalidate(path, view.context, reason="manual")
            return {"removed": removed}
        return {"removed": self.cache.invalidate(path, _context_key(wanted), reason="manual")}

    def _op_resize(self, client: _Client, request: JSONDict) -> JSONDict:
        max_size = request.get("max_size")
        max_memory_mb = request.get("max_memory_mb")
        try:
            evicted = self.cache.resize(max_size=max_size, max_memory_mb=max_memory_mb)
        except ValueError as exc:
            raise _RequestError("bad_request", str(exc)) from None
        return {"evicted": evicted}


def serve_stats(
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
) -> StatsServer:
    """Serve ``cache``'s stats on ``address`` from a daemon thread; returns the running server.

    Args:
        cache: The cache to expose (read through its public methods only).
        address: ``unix:DEFAULT`` (a 0600 socket in a 0700 folder), ``unix:/path.sock``
            or ``tcp:127.0.0.1:PORT`` (port 0: any free one; see ``.address``).
        monitor: A monitor whose snapshots and trends ``state`` includes.
        token: The TCP token (TCP always needs one; generated and logged if not given).
        token_file: A file whose first line is the TCP token.
        allow_control: Enable the ``clear``, ``evict`` and ``resize`` ops.
        allow_remote: Allow binding a TCP host other than loopback.
        folder: The component folder, reported to clients.
        components: The component paths, reported to clients.

    Raises ``ComponentError`` for a bad address, an unsafe socket folder, a refused host,
    an unreadable token file, or a socket that cannot be bound.
    """
    return StatsServer(
        cache,
        address,
        monitor=monitor,
        token=token,
        token_file=token_file,
        allow_control=allow_control,
        allow_remote=allow_remote,
        folder=folder,
        components=components,
    ).start()
