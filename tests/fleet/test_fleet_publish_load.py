"""Publish a folder, load it through a worker's own cache, on every available real server."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fleet_testlib import Server, wait_until, write_components

from promptcache import (
    CachedComponentLoader,
    ComponentCache,
    ComponentError,
    ComponentNotFoundError,
)
from promptcache.fleet import (
    Manifest,
    RemoteComponentLoader,
    StoreEntryError,
    StoreError,
    publish,
)
from promptcache.fleet.store import Keys

_ns = itertools.count()


@pytest.fixture
def namespace() -> str:
    return f"t{next(_ns)}"


def test_publish_then_load_through_the_local_cache(
    any_server: Server, tmp_path: Path, namespace: str
) -> None:
    folder = write_components(tmp_path, {"greet.md": "Hello {name}!", "sub/sys.txt": "system"})
    report = publish(folder, any_server.url, namespace=namespace)
    assert (report.added, report.version) == (("greet.md", "sub/sys.txt"), 1)
    cache = ComponentCache(max_size=10)
    loader = CachedComponentLoader(any_server.url, cache, namespace=namespace)
    try:
        assert isinstance(loader, RemoteComponentLoader)
        assert loader.load_component("greet.md", {"name": "Ada"}) == "Hello Ada!"
        assert loader.load_component("sub/sys.txt") == "system"
        reads = loader.file_reads
        for _ in range(50):  # hits: no more reads from the server
            assert loader.load_component("greet.md", {"name": "Ada"}) == "Hello Ada!"
        assert loader.file_reads == reads
        # A new context of a known component renders from the remembered template.
        assert loader.load_component("greet.md", {"name": "Bo"}) == "Hello Bo!"
        assert loader.file_reads == reads
        assert cache.get_stats()["hits"] == 50
        assert loader.component_paths() == ["greet.md", "sub/sys.txt"]
        with pytest.raises(ComponentNotFoundError, match=r"missing\.md: no such component"):
            loader.load_component("missing.md")
    finally:
        loader.close()


def test_only_changed_files_are_sent_and_dry_run_writes_nothing(
    any_server: Server, tmp_path: Path, namespace: str
) -> None:
    folder = write_components(tmp_path, {"a.md": "A", "b.md": "B", "c.md": "C"})
    publish(folder, any_server.url, namespace=namespace)
    write_components(folder, {"b.md": "B2", "d.md": "D"})
    (folder / "c.md").unlink()
    client = any_server.client()
    before = client.get(Keys(namespace).manifest)
    dry = publish(folder, any_server.url, namespace=namespace, dry_run=True)
    assert (dry.added, dry.changed, dry.removed, dry.unchanged) == (
        ("d.md",),
        ("b.md",),
        ("c.md",),
        1,
    )
    assert (dry.version, dry.bytes_sent) == (1, 0)
    assert client.get(Keys(namespace).manifest) == before
    real = publish(folder, any_server.url, namespace=namespace)
    assert (real.added, real.changed, real.removed) == (dry.added, dry.changed, dry.removed)
    assert (real.version, real.bytes_sent) == (2, len("B2") + len("D"))
    again = publish(folder, any_server.url, namespace=namespace)
    assert not again.touched and again.version == 2 and again.bytes_sent == 0
    manifest = Manifest.decode(client.get(Keys(namespace).manifest))
    assert sorted(manifest.components) == ["a.md", "b.md", "d.md"]
    # The removed component's blob lingers for workers mid-switch, then expires.
    old_blob = Keys(namespace).blob(__import__("hashlib").sha256(b"C").hexdigest())
    assert 0 < client.ttl(old_blob) <= 300


def test_namespaces_keep_applications_apart(any_server: Server, tmp_path: Path) -> None:
    one = write_components(tmp_path / "one", {"p.md": "app one"})
    two = write_components(tmp_path / "two", {"p.md": "app two", "only2.md": "x"})
    publish(one, any_server.url, namespace="app")
    publish(two, any_server.url, namespace="app2")
    with (
        CachedComponentLoader(any_server.url, ComponentCache(), namespace="app") as a,
        CachedComponentLoader(any_server.url, ComponentCache(), namespace="app2") as b,
    ):
        assert (a.load_component("p.md"), b.load_component("p.md")) == ("app one", "app two")
        with pytest.raises(ComponentNotFoundError):
            a.load_component("only2.md")
        publish(write_components(one, {"p.md": "app one v2"}), any_server.url, namespace="app")
        wait_until(lambda: a.version == 2, what="app to see version 2")
        assert b.version == 1 and b.load_component("p.md") == "app two"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("manifest", b"\xff not json", "not valid JSON"),
        ("manifest", b'{"format": "other"}', "format"),
        (
            "manifest",
            b'{"format":"promptcache-manifest/1","version":1,"published_at":0,'
            b'"components":{"../../etc/passwd":["' + b"0" * 64 + b'",1]}}',
            "unsafe component path",
        ),
        ("blob", b"tampered content", "does not match the manifest's hash"),
        ("blob", None, "missing from the store"),
    ],
    ids=[
        "manifest-not-json",
        "manifest-format",
        "manifest-traversal",
        "blob-tampered",
        "blob-gone",
    ],
)
def test_corrupt_or_malicious_entries_are_typed_errors(
    server: Server, tmp_path: Path, key: str, value: bytes | None, message: str
) -> None:
    folder = write_components(tmp_path, {"a.md": "fine"})
    publish(folder, server.url, namespace="ns")
    keys = Keys("ns")
    client = server.client()
    target = (
        keys.manifest
        if key == "manifest"
        else keys.blob(__import__("hashlib").sha256(b"fine").hexdigest())
    )
    if value is None:
        client.delete(target)
    else:
        client.set(target, value)
    with CachedComponentLoader(server.url, ComponentCache(), namespace="ns") as loader:
        with pytest.raises(StoreEntryError, match=message):
            loader.load_component("a.md")
        assert loader.cache.get_stats()["load_failures"] == 1


def test_bad_urls_and_namespaces_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="scheme must be redis"):
        CachedComponentLoader("http://127.0.0.1:1/0", ComponentCache())
    with pytest.raises(StoreError, match="namespace 'a:b'"):
        CachedComponentLoader("redis://127.0.0.1:1/0", ComponentCache(), namespace="a:b")
    with pytest.raises(StoreError, match="database must be a number"):
        publish(tmp_path, "redis://127.0.0.1:1/x")
    with pytest.raises(ValueError, match="apply to a redis:// URL"):
        CachedComponentLoader(tmp_path, ComponentCache(), namespace="x")


def test_publish_refuses_a_symlink_out_of_the_folder(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not upload")
    folder = write_components(tmp_path / "lib", {"a.md": "A"})
    (folder / "leak.md").symlink_to(secret)
    with pytest.raises(ComponentError, match="resolves outside the component folder"):
        publish(folder, server.url, namespace="ns")
    assert server.client().keys("promptcache:ns:*") == []


def test_one_oversized_component_does_not_break_the_others(server: Server, tmp_path: Path) -> None:
    folder = write_components(tmp_path, {"big.md": "x" * 5000, "small.md": "ok"})
    publish(folder, server.url, namespace="ns")
    with CachedComponentLoader(
        server.url, ComponentCache(), namespace="ns", max_component_bytes=1000
    ) as loader:
        assert loader.load_component("small.md") == "ok"
        reads = loader.file_reads
        with pytest.raises(StoreEntryError, match=r"big\.md: 5,000 bytes is over"):
            loader.load_component("big.md")
        assert loader.file_reads == reads  # refused from the manifest, before any read
