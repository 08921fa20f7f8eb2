"""Bad and unlucky clients: malformed lines, huge lines, floods, non-readers, disconnects."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time

import pytest
from server_testlib import (
    SAMPLE_LIBRARY,
    TOKEN,
    Client,
    ServerFactory,
    connect,
    rss_bytes,
    wait_until,
)

from promptcache import CachedComponentLoader, ComponentCache, StatsServer


def greeted(server: StatsServer) -> Client:
    c = Client(server.address)
    c.hello()
    return c


def still_serves(server: StatsServer) -> None:
    c = greeted(server)
    assert c.call("config")["policy"] == "lru"
    c.close()


@pytest.mark.parametrize(
    "line",
    [
        b"not json\n",
        b"[1, 2]\n",
        b'"hello"\n',
        b"{\n",
        b'{"v": 1, "op": "state"}\n',
        b'{"v": 1, "id": "7", "op": "state"}\n',
        b'{"v": 1, "id": true, "op": "state"}\n',
        b'{"v": 1, "id": null, "op": "state"}\n',
        b"\xff\xfe{}\n",
        b"[" * 50_000 + b"\n",
    ],
)
def test_malformed_lines_are_bad_request_and_keep_a_greeted_connection(
    server: StatsServer, line: bytes
) -> None:
    c = greeted(server)
    c.send_raw(line)
    message = c.recv()
    assert message["id"] is None
    assert message["error"]["code"] == "bad_request"
    assert c.call("config")["control"] is False  # the connection is still usable


@pytest.mark.parametrize("line", [b"not json\n", b'{"v": 1}\n', b'{"v": 1, "op": "hello"}\n'])
def test_any_error_before_hello_closes_the_connection(server: StatsServer, line: bytes) -> None:
    # issue 10 item 9: a client that has not said hello gets one answer, not one per line
    c = Client(server.address)
    with contextlib.suppress(OSError):  # closed while the later lines were still going out
        c.send_raw(line * 1000)
    assert c.recv_error()["code"] == "bad_request"
    assert c.wait_closed() == 0  # nothing more: the 999 other lines were never answered
    wait_until(lambda: server.clients == 0)


def test_missing_op_is_bad_request(server: StatsServer) -> None:
    c = greeted(server)
    c.send({"v": 1, "id": 9})
    message = c.recv()
    assert message["id"] == 9 and message["error"]["code"] == "bad_request"


def test_unknown_op_keeps_the_connection(server: StatsServer) -> None:
    c = greeted(server)
    response = c.request("frobnicate")
    assert (
        response["error"]["code"] == "unknown_op" and "frobnicate" in response["error"]["message"]
    )
    assert c.call("config")["policy"] == "lru"


def test_blank_lines_are_ignored(server: StatsServer) -> None:
    c = Client(server.address)
    c.send_raw(b"\n  \r\n")
    assert c.hello()["protocol"] == 1


def test_pipelined_requests_are_answered_in_order(server: StatsServer) -> None:
    c = greeted(server)
    batch = b"".join(
        json.dumps({"v": 1, "id": i, "op": "config"}).encode() + b"\n" for i in range(100, 150)
    )
    c.send_raw(batch)
    assert [c.recv()["id"] for _ in range(50)] == list(range(100, 150))


def test_a_line_just_under_the_limit_is_read(server: StatsServer) -> None:
    c = greeted(server)
    padding = "x" * (64 * 1024 - 100)
    c.send({"v": 1, "id": 5, "op": "config", "pad": padding})
    assert c.recv()["ok"] is True


def test_long_line_is_too_long_and_closes(server: StatsServer) -> None:
    c = greeted(server)
    c.send_raw(b'{"v": 1, "id": 1, "op": "state", "pad": "' + b"x" * 100_000)
    assert c.recv_error()["code"] == "too_long"
    c.wait_closed()
    still_serves(server)


def test_10_mb_line_closes_the_connection_without_buffering_it(server: StatsServer) -> None:
    c = greeted(server)
    payload = b"y" * (10 * 1024 * 1024)
    before = rss_bytes()
    outcome: list[BaseException | None] = []

    def blast() -> None:
        try:
            c.send_raw(payload)
            outcome.append(None)
        except OSError as exc:  # the server hangs up half-way: expected
            outcome.append(exc)

    sender = threading.Thread(target=blast)
    sender.start()
    still_serves(server)  # answered while the flood is going on
    received = c.wait_closed()
    sender.join(10)
    assert not sender.is_alive()
    assert isinstance(outcome[0], OSError)  # closed long before 10 MB were taken
    assert received < 1000  # at most the too_long line
    assert rss_bytes() - before < 8 * 1024 * 1024
    still_serves(server)
    wait_until(lambda: server.clients == 0)


def test_200_connections_at_once(make_server: ServerFactory, cache: ComponentCache) -> None:
    server = make_server()
    before = rss_bytes()
    socks = [connect(server.address) for _ in range(200)]
    served: list[Client] = []
    busy = 0
    for sock in socks:
        c = Client(sock)
        # A refused connection may be closed already: its busy line is still there to read.
        with contextlib.suppress(OSError):
            c.send({"v": 1, "id": 1, "op": "hello", "client": "flood"})
        message = c.recv()
        if message["ok"]:
            served.append(c)
        else:
            # busy at once (id null: 32 newer connections came without a hello), or as
            # the answer to its hello (32 clients are served already)
            assert message["id"] in (None, 1) and message["error"]["code"] == "busy"
            c.wait_closed()
            busy += 1
    assert (len(served), busy) == (32, 168)
    # the application and the served clients carry on
    with CachedComponentLoader(SAMPLE_LIBRARY, cache, watch="stat") as loader:
        path = loader.component_paths()[0]
        for _ in range(100):
            loader.load_component(path, {"project_name": "Atlas"})
    assert served[-1].call("state")["snapshot"]["hits"] == 99
    assert rss_bytes() - before < 32 * 1024 * 1024
    for c in served:
        c.close()
    wait_until(lambda: server.clients == 0)
    still_serves(server)


def test_a_client_that_never_reads_is_dropped(make_server: ServerFactory) -> None:
    big = ComponentCache(max_size=2000)
    for i in range(1000):
        big.put(f"components/some/rather/long/path/number-{i:05d}.md", "x" * 50)
    server = make_server(cache=big, start=False)
    server.write_timeout_s = 1.0
    server.start()
    other = greeted(server)
    lazy = greeted(server)
    request = json.dumps({"v": 1, "id": 2, "op": "state", "entry_limit": 1000}).encode() + b"\n"

    def flood() -> None:
        with contextlib.suppress(OSError):  # dropped while still sending
            lazy.send_raw(request * 400)  # ~100 MB of answers asked for, none read

    sender = threading.Thread(target=flood)
    sender.start()
    wait_until(lambda: server.clients == 1)
    sender.join(10)
    assert not sender.is_alive()
    assert other.call("state", entry_limit=5)["snapshot"]["size"] == 1000
    big.put("after.md", "still works")
    assert big.get("after.md") is not None
    received = lazy.wait_closed()
    assert received < 400 * 200_000  # far from every answer
    # and a fresh client is served
    still_serves(server)


def test_a_write_blocked_too_long_drops_the_client(sock_dir: object, cache: ComponentCache) -> None:
    big = ComponentCache(max_size=2000)
    for i in range(1000):
        big.put(f"components/some/rather/long/path/number-{i:05d}.md", "x")
    server = StatsServer(big, f"unix:{sock_dir}/w.sock")
    server.write_timeout_s = 0.3
    with server:
        lazy = greeted(server)
        lazy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # three answers: more than the socket buffers hold, less than the 1 MiB queue
        line = json.dumps({"v": 1, "id": 2, "op": "state", "entry_limit": 1000}).encode()
        lazy.send_raw((line + b"\n") * 3)
        wait_until(lambda: server.clients == 0)
        assert lazy.wait_closed() < 3 * 200_000
        still_serves(server)


def test_idle_clients_are_dropped(sock_dir: object, cache: ComponentCache) -> None:
    server = StatsServer(cache, f"unix:{sock_dir}/i.sock")
    server.idle_timeout_s = 0.2
    with server:
        idle = greeted(server)
        assert idle.wait_closed() == 0
        wait_until(lambda: server.clients == 0)


def test_connections_without_a_hello_do_not_hold_a_slot(
    sock_dir: object, cache: ComponentCache
) -> None:
    server = StatsServer(cache, f"unix:{sock_dir}/h.sock")
    server.hello_timeout_s = 0.2
    server.max_clients = 2
    with server:
        silent = [Client(server.address) for _ in range(2)]
        wait_until(lambda: server.clients == 2)
        for client in silent:
            assert client.wait_closed() == 0
        wait_until(lambda: server.clients == 0)
        late = greeted(server)  # a slot is free again
        time.sleep(0.4)  # past the hello deadline: greeted clients stay
        assert late.call("config")["policy"] == "lru"


def test_abrupt_disconnects(make_server: ServerFactory, cache: ComponentCache) -> None:
    server = make_server()
    tcp = make_server("tcp:127.0.0.1:0", token=TOKEN)
    for _ in range(5):
        half = Client(server.address)
        half.send_raw(b'{"v": 1, "id": 1, "op": "hel')
        half.close()
        gone = greeted(server)
        gone.send({"v": 1, "id": 2, "op": "state", "entry_limit": 1000})
        gone.close()  # before reading the answer
        reset = Client(tcp.address)
        reset.hello(token=TOKEN)
        reset.send({"v": 1, "id": 2, "op": "state"})
        reset.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reset.close()  # RST
    wait_until(lambda: server.clients == 0 and tcp.clients == 0)
    still_serves(server)
    # the event listeners went with the last clients
    wait_until(lambda: server.clients == 0 and cache._listeners == ())


def test_listener_only_while_clients_are_connected(
    make_server: ServerFactory, cache: ComponentCache
) -> None:
    server = make_server()
    assert cache._listeners == ()  # no cost on the hot path without a client
    c = greeted(server)
    assert len(cache._listeners) == 1
    d = greeted(server)
    assert len(cache._listeners) == 1
    c.close()
    d.close()
    wait_until(lambda: cache._listeners == ())
    assert len(cache) == 0


def test_client_threads_and_application_threads(
    make_server: ServerFactory, cache: ComponentCache
) -> None:
    server = make_server()
    with CachedComponentLoader(SAMPLE_LIBRARY, cache, watch="stat") as loader:
        paths = [p for p in loader.component_paths() if "broken" not in p]
        stop = threading.Event()
        errors: list[BaseException] = []

        def app() -> None:
            i = 0
            while not stop.is_set():
                try:
                    loader.load_component(paths[i % len(paths)], {"n": str(i % 7)})
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                i += 1

        def poll() -> None:
            try:
                c = greeted(server)
                since = 0
                for _ in range(30):
                    result = c.call("state", events_since=since)
                    seqs = [e["seq"] for e in result["events"]]
                    assert seqs == sorted(seqs) and all(s > since for s in seqs)
                    since = result["events_next"]
                c.close()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        workers = [threading.Thread(target=app) for _ in range(2)]
        pollers = [threading.Thread(target=poll) for _ in range(4)]
        for t in workers + pollers:
            t.start()
        for t in pollers:
            t.join(20)
        stop.set()
        for t in workers:
            t.join(20)
        assert errors == []
        assert cache.snapshot().total_requests > 0
