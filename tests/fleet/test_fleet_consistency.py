"""Atomic switches, stampede control, pipelined batches and heartbeats, on a real server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
from fleet_testlib import Server, wait_until, write_components

from promptcache import CachedComponentLoader, ComponentCache
from promptcache.fleet import FleetReader, Manifest, RemoteComponentLoader, publish
from promptcache.fleet.store import Keys

NAMES = [f"part{i}.md" for i in range(8)]


def get_calls(server: Server) -> int:
    stats = server.client().info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


def remote(server: Server, namespace: str, **kwargs: object) -> RemoteComponentLoader:
    loader = CachedComponentLoader(server.url, ComponentCache(max_size=500), namespace=namespace,
                                   **kwargs)  # fmt: skip
    assert isinstance(loader, RemoteComponentLoader)
    return loader


def test_a_batch_never_mixes_versions_while_publishes_run(server: Server, tmp_path: Path) -> None:
    folder = write_components(tmp_path, {n: f"v0 {n} {{x}}" for n in NAMES})
    publish(folder, server.url, namespace="mix")
    stop = threading.Event()
    published: list[int] = []

    def publisher() -> None:
        for version in range(1, 25):
            write_components(folder, {n: f"v{version} {n} {{x}}" for n in NAMES})
            published.append(publish(folder, server.url, namespace="mix").version)
            time.sleep(0.005)
        stop.set()

    batches = 0
    seen: set[str] = set()
    raw = server.client()
    with remote(server, "mix") as loader:
        thread = threading.Thread(target=publisher)
        thread.start()
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            # A context of its own half the time, so batches mix hits and misses.
            loaded = loader.load_components(NAMES, {"x": str(batches % 2)})
            versions = {text.split()[0] for text in loaded.values()}
            assert len(versions) == 1, loaded
            seen |= versions
            batches += 1
            # Any manifest a reader sees names blobs that are all there.
            manifest = Manifest.decode(raw.get(Keys("mix").manifest))
            blobs = raw.mget([Keys("mix").blob(sha) for sha, _ in manifest.components.values()])
            assert None not in blobs
        thread.join(10)
    assert published == list(range(2, 26)) and batches > 10 and len(seen) > 2


def test_64_threads_missing_a_changed_component_cause_one_read(
    server: Server, tmp_path: Path
) -> None:
    folder = write_components(tmp_path, {"hot.md": "old {user}"})
    publish(folder, server.url, namespace="hot")
    with remote(server, "hot") as loader:
        for i in range(64):
            loader.load_component("hot.md", {"user": str(i)})
        publish(write_components(folder, {"hot.md": "new {user}"}), server.url, namespace="hot")
        wait_until(lambda: loader.version == 2 and not loader.cache.paths(), what="the switch")
        reads, gets = loader.file_reads, get_calls(server)
        barrier = threading.Barrier(64)
        results: list[str] = []

        def request(i: int) -> None:
            barrier.wait(5)
            results.append(loader.load_component("hot.md", {"user": str(i)}))

        threads = [threading.Thread(target=request, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(results) == sorted(f"new {i}" for i in range(64))
        assert loader.file_reads - reads == 1
        assert get_calls(server) - gets == 1  # counted by the server itself


def test_batches_and_warmups_read_missing_blobs_in_one_pipeline(
    server: Server, tmp_path: Path
) -> None:
    names = [f"c{i}.md" for i in range(30)]
    folder = write_components(tmp_path, {n: f"{n} body" for n in names})
    publish(folder, server.url, namespace="pipe")
    with remote(server, "pipe") as loader:
        before = loader.file_reads
        loaded = loader.load_components(names[:20])
        assert loaded == {n: f"{n} body" for n in names[:20]}
        assert loader.file_reads - before == 20
        report = loader.warm(names)
        assert (len(report.loaded), len(report.skipped), report.ok) == (10, 20, True)
        assert loader.file_reads - before == 30
        # One pipelined trip per batch: the server saw no more GETs than blobs.
        assert loader.load_components(names) == {n: f"{n} body" for n in names}
        assert loader.file_reads - before == 30


def test_heartbeats_expire_when_a_worker_stops_sending(server: Server, tmp_path: Path) -> None:
    publish(write_components(tmp_path, {"a.md": "A"}), server.url, namespace="hb")
    loader = remote(server, "hb", heartbeat_s=0.1)
    reader = FleetReader(server.url, "hb")
    try:
        wait_until(lambda: len(reader.read().workers) == 1, what="the first heartbeat")
        key = Keys("hb").heartbeat(loader.worker_id)
        beat = orjson.loads(server.client().get(key))
        assert beat["version"] == 1 and beat["stale"] is False and beat["namespace"] == "hb"
        assert 0 < server.client().pttl(key) <= 300
        loader._listener.stop()  # the process hangs: no more heartbeats, no goodbye
        wait_until(lambda: reader.read().workers == (), timeout_s=3, what="the heartbeat to expire")
    finally:
        loader.close()
        reader.close()
