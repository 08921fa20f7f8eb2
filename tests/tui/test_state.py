"""The state both apps share, without a UI: the LRU table's window, the event history and
the local source over a real cache."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Hashable
from pathlib import Path

import pytest

from promptcache import (
    CacheEvent,
    CachePerformanceMonitor,
    ComponentCache,
    EntryView,
    serve_stats,
)
from promptcache.addresses import parse_address
from promptcache.client import RemoteClient
from promptcache.tui.sources import LocalSource, RemoteSource
from promptcache.tui.state import EventHistory, TableQuery, table_window


def entry(rank: int, path: str, hits: int, size: int, last: float, ctx: Hashable = "") -> EntryView:
    return EntryView(rank, path, ctx, size, hits, 0.0, last)


ROWS = (  # MRU -> LRU, as the cache lists them
    entry(1, "a/plan.md", hits=5, size=300, last=40.0),
    entry(2, "b/review.md", hits=9, size=100, last=30.0, ctx=frozenset({("team", "plan")})),
    entry(3, "c/plan-x.md", hits=1, size=200, last=20.0),
    entry(4, "d/other.md", hits=9, size=400, last=10.0),
)


def paths(query: TableQuery) -> str:
    """The first letters of the window's paths, in order."""

    def scan() -> tuple[EntryView, ...]:
        return ROWS

    page = ROWS[query.offset : query.offset + query.limit]
    window = table_window(query, 50.0, page=page, total=len(ROWS), scan=scan)
    return "".join(r.path[0] for r in window.rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(TableQuery(0, 10), "abcd", id="recency"),
        pytest.param(TableQuery(1, 2), "bc", id="recency-window"),
        pytest.param(TableQuery(0, 10, "hits"), "bdac", id="hits-stable-ties"),
        pytest.param(TableQuery(0, 10, "size"), "dacb", id="size"),
        pytest.param(TableQuery(0, 10, "idle"), "dcba", id="idle"),
        pytest.param(TableQuery(0, 10, "recency", "plan"), "abc", id="filter-path-or-context"),
        pytest.param(TableQuery(0, 10, "recency", "PLAN-X"), "c", id="filter-ignores-case"),
        pytest.param(TableQuery(1, 1, "size", "plan"), "c", id="filter-sort-window"),
        pytest.param(TableQuery(0, 10, "hits", "nothing"), "", id="no-match"),
    ],
)  # fmt: skip
def test_table_window(query: TableQuery, expected: str) -> None:
    assert paths(query) == expected


def test_table_window_counts_the_filtered_rows_and_marks_the_victim() -> None:
    victim = ROWS[-1]
    window = table_window(
        TableQuery(0, 1, "recency", "plan"),
        50.0,
        page=(),
        total=4,
        scan=lambda: ROWS,
        victim=victim,
    )
    assert window.total == 3 and len(window.rows) == 1
    assert window.lru_path_context == (victim.path, victim.context)


def test_plain_query_never_scans() -> None:
    def scan() -> tuple[EntryView, ...]:
        raise AssertionError("a recency page must not scan every entry")

    window = table_window(TableQuery(0, 2), 1.0, page=ROWS[:2], total=1000, scan=scan)
    assert window.total == 1000 and window.rows == ROWS[:2]


def event(kind: str, path: str, at: float) -> CacheEvent:
    return CacheEvent(kind, path, "", "size" if kind == "evict" else "manual", 10, at)  # type: ignore[arg-type]


def test_event_history_keeps_notable_events_apart_from_evictions() -> None:
    history = EventHistory(notable=3, evictions=2)
    history.add([event("load_error", "broken.md", 1.0)])
    history.add(event("evict", f"e{i}.md", 2.0 + i) for i in range(50))
    shown = history.recent()
    assert [e.path for e in shown.notable] == ["broken.md"]  # a flood did not push it out
    assert [e.path for e in shown.evictions] == ["e49.md", "e48.md"]  # newest first
    assert shown.version == 51
    assert history.recent(notable=0, evictions=1).evictions == shown.evictions[:1]


class TestLocalSource:
    def test_reads_evictions_from_the_journal_not_from_a_listener(self) -> None:
        cache = ComponentCache(max_size=3)
        source = LocalSource(cache, CachePerformanceMonitor(cache))
        try:
            for i in range(5):
                cache.put(f"c{i}.md", f"content {i}")
            cache.invalidate("c4.md", reason="manual")
            state = source.collect(TableQuery(0, 10))
            assert [e.path for e in state.events.evictions] == ["c1.md", "c0.md"]
            assert [(e.kind, e.path) for e in state.events.notable] == [("invalidate", "c4.md")]
            again = source.collect(TableQuery(0, 10))
            assert again.events == state.events  # read once, not twice
            assert [r.path for r in state.table.rows] == ["c3.md", "c2.md"]
            assert state.table.lru_path_context == ("c2.md", "")
        finally:
            source.close()
        cache.put("c9.md", "late")
        cache.invalidate("c9.md", reason="manual")
        assert source.history.recent() == state.events  # closed: nothing more recorded

    def test_actions_change_the_cache(self) -> None:
        cache = ComponentCache(max_size=10)
        source = LocalSource(cache, CachePerformanceMonitor(cache))
        for i in range(6):
            cache.put(f"c{i}.md", "x", context_hash=frozenset({("n", i)}))
        assert source.evict("c5.md", frozenset({("n", 5)})) is True
        assert source.evict("c5.md", frozenset({("n", 5)})) is False
        assert source.resize(3, 1.0) == 2 and source.limits() == (3, 1.0)
        source.clear()
        assert len(cache) == 0
        source.close()


@pytest.mark.parametrize(
    "context",
    [
        "",
        "plain",
        frozenset({("n", 1)}),
        frozenset({("b", "2"), ("a", "1")}),
        ("tuple", 2**70, b"bytes", -0.0),
    ],
    ids=["none", "string", "frozenset-int", "frozenset-str", "tuple"],
)
def test_the_attach_source_evicts_any_key_from_the_served_cache(
    context: Hashable, tmp_path: Path
) -> None:
    cache = ComponentCache(max_size=10)
    cache.put("a.md", "x", context_hash=context)
    cache.put("keep.md", "y", context_hash=context)
    address = f"unix:{tmp_path}/s.sock"
    with serve_stats(cache, address, allow_control=True):
        source = RemoteSource(RemoteClient(parse_address(address)))
        try:
            state = source.collect(TableQuery(0, 10))
            assert state.link.connection == "connected"
            (row,) = [r for r in state.table.rows if r.path == "a.md"]
            assert source.evict(row.path, row.context)
        finally:
            source.close()
    assert [(v.path, v.context) for v in cache.entries()] == [("keep.md", context)]


def test_state_and_sources_do_not_import_textual() -> None:
    code = (
        "import sys, promptcache.tui.state, promptcache.tui.sources; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
