"""Protocol v1 as specified: the JSON shape of every op, the hello rules, events, paging."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from server_testlib import SAMPLE_LIBRARY, Client, ServerFactory

from promptcache import (
    CachedComponentLoader,
    CacheEvent,
    CachePerformanceMonitor,
    CacheSnapshot,
    ComponentCache,
    StatsServer,
)

ENTRY_KEYS = {
    "rank",
    "path",
    "context",
    "context_key",
    "context_label",
    "size_bytes",
    "hits",
    "created_at",
    "last_accessed",
}
EVENT_KEYS = {"seq", "kind", "path", "context_label", "reason", "size_bytes", "timestamp"}
SNAPSHOT_KEYS = (set(CacheSnapshot.__dataclass_fields__) - {"entries"}) | {
    "hit_ratio",
    "total_requests",
    "memory_utilization",
    "total_evictions",
}
CTX = frozenset({("project_name", "Atlas"), ("audience", "engineers")})


def fill(cache: ComponentCache, n: int, prefix: str = "c") -> None:
    for i in range(n):
        cache.put(f"{prefix}/{i:04d}.md", f"content {i}", context_hash=CTX if i % 2 else "")


@pytest.fixture
def client(server: StatsServer) -> Client:
    c = Client(server.address)
    c.hello()
    return c


# ----------------------------------------------------------------- hello


def test_hello_result_shape(make_server: ServerFactory) -> None:
    server = make_server(folder=Path("/lib"), components=["a.md", "b/c.md"])
    result = Client(server.address).hello()
    assert result == {
        "server": "promptcache",
        "protocol": 1,
        "control": False,
        "policy": "lru",
        "pid": os.getpid(),
        "folder": "/lib",
        "components": ["a.md", "b/c.md"],
    }


def test_hello_without_folder_or_components_sends_nulls(server: StatsServer) -> None:
    result = Client(server.address).hello()
    assert result["folder"] is None and result["components"] is None


def test_unix_socket_needs_no_token_and_ignores_one(server: StatsServer) -> None:
    assert server.token is None
    assert Client(server.address).hello()["server"] == "promptcache"
    assert Client(server.address).hello(token="anything")["protocol"] == 1


def test_any_op_before_hello_is_hello_first_and_closes(server: StatsServer) -> None:
    c = Client(server.address)
    response = c.request("state")
    assert response["id"] == 1
    assert response["ok"] is False and response["error"]["code"] == "hello_first"
    c.wait_closed()


def test_unknown_op_before_hello_is_hello_first(server: StatsServer) -> None:
    c = Client(server.address)
    c.send({"v": 1, "id": 7, "op": "nope"})
    assert c.recv_error()["code"] == "hello_first"
    c.wait_closed()


@pytest.mark.parametrize("version", [2, 0, "1", None, 1.5, True])
def test_other_versions_are_bad_version_and_close(server: StatsServer, version: object) -> None:
    c = Client(server.address)
    c.send({"v": version, "id": 3, "op": "hello"})
    message = c.recv()
    assert message["id"] == 3
    assert message["error"]["code"] == "bad_version"
    assert "version 1" in message["error"]["message"]
    c.wait_closed()


def test_missing_version_is_bad_version(server: StatsServer) -> None:
    c = Client(server.address)
    c.send({"id": 3, "op": "hello"})
    assert c.recv_error()["code"] == "bad_version"
    c.wait_closed()


def test_tcp_hello_needs_the_token(make_server: ServerFactory) -> None:
    server = make_server("tcp:127.0.0.1:0", token="s3cret-token-0123456")
    assert Client(server.address).hello(token="s3cret-token-0123456")["protocol"] == 1
    for wrong in (None, "", "s3cret-token-012345", "s3cret-token-0123456-", "é", 123):
        c = Client(server.address)
        params = {} if wrong is None else {"token": wrong}
        c.send({"v": 1, "id": 1, "op": "hello", **params})
        assert c.recv_error()["code"] == "bad_token"
        c.wait_closed()


def test_second_hello_is_answered(client: Client) -> None:
    assert client.hello()["server"] == "promptcache"


# ----------------------------------------------------------------- ops


def test_state_shape(make_server: ServerFactory, cache: ComponentCache) -> None:
    fill(cache, 5)
    server = make_server()
    c = Client(server.address)
    c.hello()
    result = c.call("state")
    assert set(result) == {"snapshot", "entries", "victim", "events", "events_next", "monitor"}
    snap = result["snapshot"]
    assert set(snap) == SNAPSHOT_KEYS
    assert snap["size"] == 5 and snap["policy"] == "lru" and snap["max_size"] == 100
    assert snap["total_requests"] == 0 and snap["hit_ratio"] == 0.0
    assert snap["evictions"] == {"size": 0, "memory": 0, "invalidated": 0}
    assert [e["rank"] for e in result["entries"]] == [1, 2, 3, 4, 5]
    for entry in result["entries"]:
        assert set(entry) == ENTRY_KEYS
    newest, oldest = result["entries"][0], result["entries"][-1]
    assert newest["path"] == "c/0004.md" and newest["context"] is None
    assert newest["context_label"] == "—"
    pairs = [["audience", "engineers"], ["project_name", "Atlas"]]
    assert result["entries"][1]["context"] == pairs
    assert result["entries"][1]["context_label"] == "audience=engineers, project_name=Atlas"
    assert result["victim"] == {**oldest, "rank": 5}
    assert result["events"] == [] and result["events_next"] == 0
    assert result["monitor"] == {"snapshot": None, "trends": {"status": "no_monitor"}}


def test_state_counts_requests(client: Client, cache: ComponentCache) -> None:
    cache.put("a.md", "A")
    cache.get("a.md")
    cache.get("missing.md")
    snap = client.call("state")["snapshot"]
    assert (snap["hits"], snap["misses"], snap["total_requests"]) == (1, 1, 2)
    assert snap["hit_ratio"] == 50.0


def test_state_of_an_empty_cache_has_no_victim(client: Client) -> None:
    result = client.call("state")
    assert result["entries"] == [] and result["victim"] is None


def test_state_with_a_monitor(make_server: ServerFactory, cache: ComponentCache) -> None:
    monitor = CachePerformanceMonitor(cache)
    server = make_server(monitor=monitor)
    c = Client(server.address)
    c.hello()
    started = time.monotonic()
    first = c.call("state")["monitor"]
    assert first["snapshot"] is not None and "hit_ratio" in first["snapshot"]
    assert first["trends"] == {"status": "insufficient_data"}
    for _ in range(5):
        c.call("state")
    # at most one snapshot a second, however long these calls took
    assert len(monitor.performance_log) <= 1 + int(time.monotonic() - started)
    monitor.log_performance_snapshot()  # the application's own snapshots count too
    trends = c.call("state")["monitor"]["trends"]
    assert "trend_analysis" in trends and "recommendations" in trends


def test_contexts_of_other_kinds_are_sent_as_repr(client: Client, cache: ComponentCache) -> None:
    cache.put("a.md", "A", context_hash="plain-string")
    cache.put("b.md", "B", context_hash=("tuple", 1))
    entries = {e["path"]: e for e in client.call("state")["entries"]}
    assert entries["a.md"]["context"] == "'plain-string'"
    assert entries["b.md"]["context"] == "('tuple', 1)"


def test_non_utf8_names_and_huge_numbers_still_go_out(
    client: Client, cache: ComponentCache
) -> None:
    # orjson refuses both; the answer falls back to the standard library's encoder
    cache.put("bad-\udce9.md", "A")
    cache.put("big.md", "B", context_hash=frozenset({("n", 10**30)}))
    entries = {e["path"]: e for e in client.call("state")["entries"]}
    assert set(entries) == {"bad-\udce9.md", "big.md"}
    assert entries["big.md"]["context"] == [["n", 10**30]]
    assert client.request("config", id=None)["ok"] is False  # still answering


def test_request_ids_beyond_64_bits_are_echoed(client: Client) -> None:
    client.send({"v": 1, "id": 2**70, "op": "config"})
    response = client.recv()
    assert response["ok"] is True and response["id"] == 2**70


def test_stats_is_get_stats(client: Client, cache: ComponentCache) -> None:
    fill(cache, 3)
    result = client.call("stats")
    expected = cache.get_stats()
    assert set(result) == set(expected)
    assert result["cache_size"] == 3 and result["policy"] == "lru"
    assert len(result["top_components"]) == 3


def test_config_shape(make_server: ServerFactory) -> None:
    server = make_server(allow_control=True, folder="/f", components=["x.md"])
    c = Client(server.address)
    c.hello()
    assert c.call("config") == {
        "max_size": 100,
        "max_memory_bytes": 50 * 1024 * 1024,
        "policy": "lru",
        "control": True,
        "folder": "/f",
        "components": ["x.md"],
    }


def test_entries_paging(client: Client, cache: ComponentCache) -> None:
    cache.resize(max_size=500)
    fill(cache, 120)
    first = client.call("entries")
    assert first["total"] == 120
    assert [e["rank"] for e in first["entries"]] == list(range(1, 51))
    last = client.call("entries", limit=50, offset=100)
    assert [e["rank"] for e in last["entries"]] == list(range(101, 121))
    assert last["entries"][-1]["path"] == "c/0000.md"  # the least recently used
    assert client.call("entries", limit=10, offset=500)["entries"] == []
    assert len(client.call("entries", limit=0)["entries"]) == 0
    paged = client.call("state", entry_limit=5, entry_offset=10)["entries"]
    assert [e["rank"] for e in paged] == list(range(11, 16))


def test_limits_cap_at_1000_entries(make_server: ServerFactory) -> None:
    big = ComponentCache(max_size=1500)
    fill(big, 1200)
    c = Client(make_server(cache=big).address)
    c.hello()
    assert len(c.call("entries", limit=5000)["entries"]) == 1000
    assert len(c.call("state", entry_limit=5000)["entries"]) == 1000


@pytest.mark.parametrize(
    ("op", "params"),
    [
        ("entries", {"limit": -1}),
        ("entries", {"offset": "3"}),
        ("entries", {"limit": 2.5}),
        ("state", {"entry_limit": True}),
        ("state", {"events_since": -4}),
    ],
)
def test_bad_params_are_bad_request(client: Client, op: str, params: dict[str, object]) -> None:
    response = client.request(op, **params)
    assert response["ok"] is False and response["error"]["code"] == "bad_request"
    assert client.call("config")["policy"] == "lru"  # still open


# ----------------------------------------------------------------- events


def test_events_since_and_next(client: Client, cache: ComponentCache) -> None:
    small = cache
    small.resize(max_size=2)
    for name in ("a", "b", "c"):  # c evicts a
        small.put(f"{name}.md", name)
    small.invalidate("b.md", reason="manual")
    small.record_load("broken.md", 0.0, error="not UTF-8 text")
    small.record_event(CacheEvent("file_changed", "c.md", "", "modified", 0, 1.0))
    small.clear_cache()
    result = client.call("state", events_since=0)
    events = result["events"]
    for event in events:
        assert set(event) == EVENT_KEYS
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["kind"] for e in events] == [
        "evict",
        "invalidate",
        "load_error",
        "file_changed",
        "clear",
    ]
    assert events[0]["path"] == "a.md" and events[0]["reason"] == "size"
    assert events[1]["reason"] == "manual" and events[2]["reason"] == "not UTF-8 text"
    assert events[0]["context_label"] == "—"
    assert result["events_next"] == 5
    again = client.call("state", events_since=result["events_next"])
    assert again["events"] == [] and again["events_next"] == 5
    assert [e["seq"] for e in client.call("state", events_since=3)["events"]] == [4, 5]
    future = client.call("state", events_since=99)
    assert future["events"] == [] and future["events_next"] == 5


def test_only_the_last_500_events_are_kept(client: Client, cache: ComponentCache) -> None:
    for i in range(620):
        cache.record_load(f"x{i}.md", 0.0, error="boom")
    result = client.call("state", events_limit=500)
    seqs = [e["seq"] for e in result["events"]]
    assert seqs == list(range(121, 621))
    assert result["events_next"] == 620
    assert result["events"][-1]["path"] == "x619.md"


def test_one_answer_carries_the_newest_100_events_by_default(
    client: Client, cache: ComponentCache
) -> None:
    for i in range(150):
        cache.record_load(f"x{i}.md", 0.0, error="boom")
    result = client.call("state")
    assert [e["seq"] for e in result["events"]] == list(range(51, 151))
    assert result["events_next"] == 150


def test_a_flood_of_evictions_does_not_push_out_a_load_error(
    client: Client, cache: ComponentCache
) -> None:
    cache.record_load("broken.md", 0.0, error="not UTF-8")
    cache.resize(max_size=1)
    for i in range(800):
        cache.put(f"p{i}.md", "x")
    result = client.call("state")
    kinds = [e["kind"] for e in result["events"]]
    assert kinds.count("load_error") == 1 and kinds.count("evict") == 99
    assert result["events"][0]["path"] == "broken.md"


def test_only_the_last_100_evictions_are_kept(client: Client, cache: ComponentCache) -> None:
    cache.resize(max_size=1)
    client.call("state")  # numbers the resize's evictions (none: the cache was empty)
    for i in range(301):  # 300 evictions: p0 .. p299
        cache.put(f"p{i}.md", "x")
    invalidated = cache.invalidate("p300.md")
    result = client.call("state", events_limit=500)
    events = result["events"]
    assert invalidated == 1 and result["events_next"] == 301
    assert [e["seq"] for e in events] == [*range(201, 302)]
    assert [e["path"] for e in events[:2]] == ["p200.md", "p201.md"]
    assert events[-1]["kind"] == "invalidate" and events[-1]["path"] == "p300.md"


def test_puts_are_not_events(client: Client, cache: ComponentCache) -> None:
    cache.put("a.md", "A")
    assert client.call("state")["events"] == []


# ----------------------------------------------------------------- control


@pytest.mark.parametrize(
    ("op", "params"),
    [("clear", {}), ("evict", {"path": "a.md", "context": None}), ("resize", {"max_size": 1})],
)
def test_control_is_forbidden_by_default(
    client: Client, cache: ComponentCache, op: str, params: dict[str, object]
) -> None:
    fill(cache, 3)
    response = client.request(op, **params)
    assert response["error"]["code"] == "forbidden"
    assert "allow_control" in response["error"]["message"]
    assert len(cache) == 3 and cache.max_size == 100
    assert client.call("config")["control"] is False  # still open


@pytest.fixture
def control(make_server: ServerFactory) -> Client:
    c = Client(make_server(allow_control=True).address)
    assert c.hello()["control"] is True
    return c


def test_clear(control: Client, cache: ComponentCache) -> None:
    fill(cache, 4)
    cache.get("c/0000.md")
    assert control.call("clear") == {}
    assert len(cache) == 0 and cache.snapshot().total_requests == 0


def test_evict_by_wire_context(control: Client, cache: ComponentCache) -> None:
    fill(cache, 4)  # 0 and 2 without context, 1 and 3 with CTX
    entries = {e["path"]: e for e in control.call("entries")["entries"]}
    for path in ("c/0000.md", "c/0001.md"):
        e = entries[path]
        assert control.call("evict", path=path, context=e["context"]) == {"removed": 1}
    assert cache.peek("c/0000.md") is None and cache.peek("c/0001.md", CTX) is None
    assert cache.peek("c/0003.md", CTX) is not None
    assert control.call("evict", path="c/0003.md", context=None) == {"removed": 0}
    assert control.call("evict", path="nope.md", context=[["a", "b"]]) == {"removed": 0}
    assert len(cache) == 2


def test_evict_a_repr_context(control: Client, cache: ComponentCache) -> None:
    cache.put("a.md", "A", context_hash="plain")
    wire = control.call("entries")["entries"][0]["context"]
    assert control.call("evict", path="a.md", context=wire) == {"removed": 1}
    assert len(cache) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"context": None},
        {"path": "a.md"},
        {"path": 3, "context": None},
        {"path": "a.md", "context": [["only-one"]]},
        {"path": "a.md", "context": [[["nested"], "x"]]},
        {"path": "a.md", "context": 5},
    ],
)
def test_bad_evict_is_bad_request(
    control: Client, cache: ComponentCache, params: dict[str, object]
) -> None:
    cache.put("a.md", "A")
    assert control.request("evict", **params)["error"]["code"] == "bad_request"
    assert len(cache) == 1


def test_resize(control: Client, cache: ComponentCache) -> None:
    fill(cache, 10)
    assert control.call("resize", max_size=4) == {"evicted": 6}
    assert cache.max_size == 4 and len(cache) == 4
    assert control.call("resize", max_memory_mb=1) == {"evicted": 0}
    assert cache.max_memory_bytes == 1024 * 1024 and cache.max_size == 4
    assert control.call("config")["max_size"] == 4


@pytest.mark.parametrize(
    "params", [{"max_size": 0}, {"max_size": 2.5}, {"max_memory_mb": -1}, {"max_size": "9"}]
)
def test_bad_resize_is_bad_request(
    control: Client, cache: ComponentCache, params: dict[str, object]
) -> None:
    response = control.request("resize", **params)
    assert response["error"]["code"] == "bad_request"
    assert "max_" in response["error"]["message"]
    assert cache.max_size == 100


def test_ops_on_a_real_loader(make_server: ServerFactory, cache: ComponentCache) -> None:
    with CachedComponentLoader(SAMPLE_LIBRARY, cache) as loader:
        paths = loader.component_paths()
        c = Client(make_server(components=paths, folder=loader.base_path).address)
        assert c.hello()["components"] == paths
        loader.load_component(paths[0], {"project_name": "Atlas"})
        loader.load_component(paths[0], {"project_name": "Atlas"})
        result = c.call("state")
        assert result["snapshot"]["hits"] == 1 and result["snapshot"]["loads"] == 1
        assert result["entries"][0]["context"] == [["project_name", "Atlas"]]
