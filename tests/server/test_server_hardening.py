"""Issue 10's stats-server failures: slow hellos, lock-outs, unauthenticated floods, and
parameters that used to answer ``internal`` or the wrong number of events."""

from __future__ import annotations

import contextlib
import inspect
import logging
import time

import pytest
from server_testlib import TOKEN, Client, ServerFactory, connect, wait_until

from promptcache import ComponentCache, StatsServer, serve_stats


def greeted(address: str, token: str | None = None) -> Client:
    c = Client(address)
    c.hello(token=token)
    return c


# ----------------------------------------------------------------- item 8


def test_the_hello_deadline_counts_from_connecting(make_server: ServerFactory) -> None:
    # one byte every 0.1 s used to restart a per-read timeout for ever
    server = make_server(start=False)
    server.hello_timeout_s = 0.5
    server.start()
    c = Client(server.address)
    started = time.monotonic()
    with contextlib.suppress(OSError):
        for byte in b'{"v": 1, "id": 1, "op": "hello", "client": "' + b"x" * 100:
            c.send_raw(bytes([byte]))
            time.sleep(0.1)
            if server.clients == 0:
                break
    wait_until(lambda: server.clients == 0, timeout=5.0)
    assert time.monotonic() - started < 5.0  # the whole trickle would take 14 s
    assert c.wait_closed() == 0  # dropped without an answer


@pytest.mark.parametrize("kind", ["unix", "tcp"])
def test_connections_without_a_hello_cannot_lock_out_a_client(
    make_server: ServerFactory, kind: str
) -> None:
    server = make_server("tcp:127.0.0.1:0", token=TOKEN) if kind == "tcp" else make_server()
    token = TOKEN if kind == "tcp" else None
    silent = [connect(server.address) for _ in range(100)]  # never say hello
    late = greeted(server.address, token)  # used to get busy: 32 slots were taken
    assert late.call("config")["policy"] == "lru"
    assert server.clients <= server.max_ungreeted + 1
    for sock in silent:
        sock.close()


def test_greeted_clients_keep_their_slots_under_a_flood(make_server: ServerFactory) -> None:
    server = make_server()
    served = [greeted(server.address) for _ in range(10)]
    silent = [connect(server.address) for _ in range(100)]
    for c in served:
        assert c.call("config")["policy"] == "lru"  # none of them was pushed out
    for sock in silent:
        sock.close()


def test_the_greeted_limit_still_holds(make_server: ServerFactory) -> None:
    server = make_server(start=False)
    server.max_clients = 3
    server.start()
    served = [greeted(server.address) for _ in range(3)]
    extra = Client(server.address)
    response = extra.request("hello")
    assert response["ok"] is False and response["error"]["code"] == "busy"
    assert extra.wait_closed() == 0
    extra.close()
    served[0].close()
    wait_until(lambda: server.clients == 2)
    assert greeted(server.address).call("config")["policy"] == "lru"


# ----------------------------------------------------------------- item 9, first bullet


def test_new_connections_are_taken_at_a_bounded_rate(make_server: ServerFactory) -> None:
    # what a reconnecting flood can cost the application is bounded by this rate
    server = make_server(start=False)
    server.accepts_per_s = 50.0
    server.start()
    started = time.monotonic()
    for _ in range(100):
        c = Client(server.address)
        c.send_raw(b'{"v": 1}\n')
        assert c.recv_error()["code"] == "bad_request"
        c.close()
    # 50 at once, then 50 a second: at least a second for 100, however fast the machine
    assert time.monotonic() - started >= 0.9


# ----------------------------------------------------------------- item 11


@pytest.fixture
def client(server: StatsServer) -> Client:
    return greeted(server.address)


@pytest.mark.parametrize(
    ("op", "param"),
    [
        ("entries", "offset"),
        ("entries", "limit"),
        ("state", "entry_offset"),
        ("state", "entry_limit"),
        ("state", "events_since"),
        ("state", "events_limit"),
    ],
)
@pytest.mark.parametrize("value", [2**63, 2**63 + 1, 2**64, 10**30, 2**53])
def test_huge_numbers_are_bad_request(
    client: Client,
    cache: ComponentCache,
    caplog: pytest.LogCaptureFixture,
    op: str,
    param: str,
    value: int,
) -> None:
    cache.put("a.md", "A")
    with caplog.at_level(logging.ERROR, logger="promptcache.server"):
        error = client.request(op, **{param: value})["error"]
    assert error["code"] == "bad_request" and param in error["message"]
    assert not caplog.records  # no traceback logged
    assert client.call("entries", offset=2**53 - 1)["entries"] == []  # the largest still works


def test_events_limit_zero_returns_no_events(client: Client, cache: ComponentCache) -> None:
    cache.put("a.md", "A")
    cache.invalidate("a.md")  # a notable event
    for i in range(150):
        cache.put(f"b{i}.md", "B")
    cache.resize(max_size=10)  # and evictions
    result = client.call("state", events_limit=0)
    assert result["events"] == [] and result["events_next"] > 0
    assert len(client.call("state", events_limit=1)["events"]) == 1


# ----------------------------------------------------------------- issue 9: one signature


def test_serve_stats_takes_exactly_the_servers_arguments() -> None:
    ours = inspect.signature(serve_stats)
    theirs = inspect.signature(StatsServer)
    assert list(ours.parameters.values()) == list(theirs.parameters.values())
    assert ours.return_annotation == "StatsServer"
    assert serve_stats.__name__ == "serve_stats" and "daemon thread" in (serve_stats.__doc__ or "")


def test_serve_stats_starts_with_keyword_arguments(cache: ComponentCache) -> None:
    with serve_stats(
        cache, "tcp:127.0.0.1:0", token=TOKEN, allow_control=True, folder="/lib"
    ) as server:
        assert server.serving and server.allow_control and server.folder == "/lib"
        assert greeted(server.address, TOKEN).call("config")["control"] is True
    with pytest.raises(TypeError):
        serve_stats(cache, "tcp:127.0.0.1:0", tokn=TOKEN)  # type: ignore[call-arg]
