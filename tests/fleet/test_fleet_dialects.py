"""Jinja2, Mustache and frontmatter components published to a real server render exactly as
from the folder, includes come from the same published version, and a change to an included
file reaches every worker through the published includes graph."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_testlib import Server, wait_until, write_components

from promptcache import CachedComponentLoader, ComponentCache, ComponentError, serve_stats
from promptcache.addresses import parse_address
from promptcache.client import RemoteClient
from promptcache.dialects import IncludeError, MissingVariableError, SandboxViolationError
from promptcache.errors import ComponentOutsideBaseError
from promptcache.fleet import Manifest, RemoteComponentLoader, publish
from promptcache.fleet.store import Keys
from promptcache.tui.sources import RemoteSource
from promptcache.tui.state import TableQuery
from promptcache.tui.widgets.status_bar import status_line

_ns = itertools.count()

FILES = {
    "top.j2": "Top {{ user.name }}\n{% include 'part.j2' %}",
    "part.j2": "part for {{ topic }}",
    "sub/nested.j2": "{% include 'sub/../part.j2' %}!",
    "card.mustache": "Card {{title}}: {{> row}}",
    "row.mustache": "row {{value}}",
    "chat.prompty": (
        "---\nname: chat\nmodel:\n  api: chat\ninputs:\n  question:\n    type: string\n"
        "  tone:\n    default: calm\n---\nAsk ({{ tone }}): {{ question }}"
    ),
    "plain.md": 'Hello {name}, JSON {"a": 1}',
    "front.md": "---\ntemplate_format: mustache\n---\nHi {{who}}",
    "escape.j2": "{{ ''.__class__.__mro__ }}",
    "leak.j2": "{% include '../outside.j2' %}",
}
CONTEXTS = {
    "top.j2": {"user": {"name": "Ada"}, "topic": "cats"},
    "part.j2": {"topic": "dogs"},
    "sub/nested.j2": {"topic": "x"},
    "card.mustache": {"title": "T", "value": "7"},
    "chat.prompty": {"question": "why?"},
    "plain.md": {"name": "Bo"},
    "front.md": {"who": "you"},
}


@pytest.fixture
def namespace() -> str:
    return f"d{next(_ns)}"


def _outcome(loader: CachedComponentLoader, path: str, ctx: dict[str, object]) -> object:
    try:
        return loader.load_component(path, ctx)
    except ComponentError as exc:
        return (type(exc).__name__, str(exc))


@pytest.fixture
def pair(any_server: Server, tmp_path: Path, namespace: str) -> Iterator[tuple[Path, str]]:
    folder = write_components(tmp_path / "lib", FILES)
    (tmp_path / "outside.j2").write_text("secret", encoding="utf-8")
    publish(folder, any_server.url, namespace=namespace)
    yield folder, namespace


def test_every_dialect_renders_from_the_store_as_from_the_folder(
    any_server: Server, pair: tuple[Path, str]
) -> None:
    folder, namespace = pair
    local = CachedComponentLoader(folder, ComponentCache(max_size=50))
    remote = CachedComponentLoader(any_server.url, ComponentCache(max_size=50), namespace=namespace)
    try:
        assert isinstance(remote, RemoteComponentLoader)
        expected = {
            "top.j2": "Top Ada\npart for cats",
            "sub/nested.j2": "part for x!",
            "card.mustache": "Card T: row 7",
            "chat.prompty": "Ask (calm): why?",
            "plain.md": 'Hello Bo, JSON {"a": 1}',
            "front.md": "Hi you",
        }
        for path, text in expected.items():
            assert remote.load_component(path, CONTEXTS[path]) == text
            assert local.load_component(path, CONTEXTS[path]) == text
        reads = remote.file_reads
        for path, text in expected.items():  # hits, and a compiled template per version
            assert remote.load_component(path, CONTEXTS[path]) == text
        assert remote.file_reads == reads
        # Errors are the folder's typed errors, with the same messages.
        cases = [
            ("top.j2", {"topic": "cats"}),  # StrictUndefined: user.name
            ("top.j2", {"user": {"name": "Ada"}}),  # missing inside the include
            ("escape.j2", {}),
            ("leak.j2", {}),
        ]
        for path, ctx in cases:
            mine, theirs = _outcome(remote, path, ctx), _outcome(local, path, ctx)
            assert isinstance(mine, tuple), (path, mine)
            assert mine == theirs
        with pytest.raises(MissingVariableError, match=r"user\.name"):
            remote.load_component("top.j2", {"topic": "cats"})
        with pytest.raises(SandboxViolationError):
            remote.load_component("escape.j2")
        with pytest.raises(IncludeError, match="outside"):
            remote.load_component("leak.j2")
        with pytest.raises(ComponentOutsideBaseError):
            remote.source("../outside.j2")
        # Inspections and previews agree with the folder's.
        for path in ("top.j2", "card.mustache", "chat.prompty", "plain.md"):
            mine_report, their_report = remote.inspect(path), local.inspect(path)
            assert mine_report.dialect == their_report.dialect
            assert mine_report.paths == their_report.paths
            assert mine_report.walk.edges == their_report.walk.edges
            assert [p.message for p in mine_report.problems] == [
                p.message for p in their_report.problems
            ]
            assert remote.preview(path, {}) == local.preview(path, {})
        assert remote.source("chat.prompty").frontmatter is not None
        assert remote.included_by("part.j2") == ("sub/nested.j2", "top.j2")
        assert "top.j2" in local.included_by("part.j2")
        assert remote.included_by("row.mustache") == ("card.mustache",)
    finally:
        remote.close()
        local.close()


def test_the_manifest_carries_the_includes_graph_and_folder_default(
    server: Server, tmp_path: Path, namespace: str
) -> None:
    folder = write_components(tmp_path, {**FILES, "a.md": "{{ x }} and {% include 'part.j2' %}"})
    (folder / ".promptcache.toml").write_text('template_format = "jinja2"\n', encoding="utf-8")
    publish(folder, server.url, namespace=namespace)
    manifest = Manifest.decode(server.client().get(Keys(namespace).manifest))
    assert manifest.template_format == "jinja2"
    assert manifest.includes == {
        "a.md": ("part.j2",),
        "top.j2": ("part.j2",),
        "sub/nested.j2": ("part.j2",),
        "card.mustache": ("row.mustache",),
    }
    loader = CachedComponentLoader(server.url, ComponentCache(max_size=10), namespace=namespace)
    try:  # the folder default renders a.md as Jinja2 from the store, as from the folder
        assert loader.load_component("a.md", {"x": 1, "topic": "t"}) == "1 and part for t"
        # Changing only the folder default is a new version, and workers drop everything.
        (folder / ".promptcache.toml").write_text('template_format = "brace"\n', encoding="utf-8")
        report = publish(folder, server.url, namespace=namespace)
        assert report.touched and report.template_format_changed and report.version == 2
        wait_until(lambda: loader.version == 2, 2.0, "version 2")
        assert loader.load_component("a.md", {"x": 1}) == "{{ x }} and {% include 'part.j2' %}"
    finally:
        loader.close()


def test_a_change_to_an_included_file_reaches_every_worker(
    server: Server, tmp_path: Path, namespace: str
) -> None:
    folder = write_components(tmp_path, {"top.j2": "top[{% include 'part.j2' %}]", "part.j2": "v1"})
    publish(folder, server.url, namespace=namespace)
    workers = [
        CachedComponentLoader(server.url, ComponentCache(max_size=10), namespace=namespace)
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.load_component("top.j2") == "top[v1]"
            assert worker.load_component("top.j2") == "top[v1]"  # now a cached hit
            assert worker.cache.peek("top.j2", "") is not None
        (folder / "part.j2").write_text("v2", encoding="utf-8")
        report = publish(folder, server.url, namespace=namespace)
        published = time.perf_counter()
        assert report.changed == ("part.j2",) and report.added == ()
        seen: list[float] = []
        for worker in workers:
            wait_until(lambda w=worker: w.load_component("top.j2") == "top[v2]", 1.0, "top[v2]")
            seen.append(time.perf_counter() - published)
        # top.j2 itself did not change: only the includes graph can have dropped it.
        assert max(seen) < 1.0
    finally:
        for worker in workers:
            worker.close()


def test_includes_come_from_the_version_the_load_started_with(
    server: Server, tmp_path: Path, namespace: str
) -> None:
    """Publishes switch top.j2 and part.j2 together while threads load: no render may
    combine a top of one version with a part of another (bounded in time)."""
    folder = write_components(tmp_path, {"top.j2": "", "part.j2": ""})

    def write_version(n: int) -> None:
        # Each version is a new text for both files (and a new context key for the loads).
        # A loop before the include keeps each render open for a while.
        top = f"top{n}:{{% for _ in range(20000) %}}{{% endfor %}}{{% include 'part.j2' %}}"
        (folder / "top.j2").write_text(top, encoding="utf-8")
        (folder / "part.j2").write_text(f"part{n} {{{{ i }}}}", encoding="utf-8")

    write_version(0)
    publish(folder, server.url, namespace=namespace)
    loader = CachedComponentLoader(server.url, ComponentCache(max_size=100), namespace=namespace)
    mixed: list[str] = []
    stop = threading.Event()
    counter = itertools.count()

    def load() -> None:
        while not stop.is_set():
            text = loader.load_component("top.j2", {"i": next(counter) % 50})
            top, _, part = text.partition(":")
            if top[3:] != part.split(" ")[0][4:]:
                mixed.append(text)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 1.5
        n = 0
        while time.monotonic() < deadline:
            n += 1
            write_version(n)
            publish(folder, server.url, namespace=namespace)
        wait_until(lambda: loader.version == n + 1, 2.0, "the last version")
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
        loader.close()
    assert n >= 5
    assert mixed == []


def test_a_worker_s_stale_flag_shows_in_its_own_attach_status_line(
    server: Server, tmp_path: Path, namespace: str
) -> None:
    folder = write_components(tmp_path / "lib", {"a.md": "A"})
    publish(folder, server.url, namespace=namespace)
    loader = CachedComponentLoader(
        server.url, ComponentCache(max_size=10), namespace=namespace, timeout_s=0.3
    )
    address = f"unix:{tmp_path}/stats.sock"
    try:
        with serve_stats(loader.cache, address, loader=loader):
            source = RemoteSource(RemoteClient(parse_address(address)))
            try:
                assert loader.load_component("a.md") == "A"
                state = source.collect(TableQuery(0, 10))
                assert state.link.connection == "connected" and not state.link.stale
                assert "stale:" not in status_line(state).plain
                server.pause()  # the network cut: the worker keeps serving, marked stale
                wait_until(lambda: loader.stale, 5.0, "the cut to be noticed")
                state = source.collect(TableQuery(0, 10))
                assert state.link.stale
                assert "stale: its store is unreachable" in status_line(state).plain
                server.resume()
                wait_until(lambda: not loader.stale, 5.0, "the reconnect")
                assert not source.collect(TableQuery(0, 10)).link.stale
            finally:
                source.close()
    finally:
        server.resume()
        loader.close()
