"""Single flight and thread safety under mixed traffic."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from core_testlib import LoaderFactory, WriteFn

import promptcache.loader as loader_module
from promptcache import CachedComponentLoader, ComponentCache, ComponentNotFoundError

THREADS = 16


def _run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start ``count`` threads that pass a barrier together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "threads did not finish"
    return results


def _slow_reads(loader: CachedComponentLoader, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every file open take 50 ms; return the list of paths opened."""
    real_open = loader_module.open_component_at
    calls: list[str] = []

    def slow_open(base: int, component_path: str, **kwargs: Any) -> tuple[int, os.stat_result]:
        calls.append(component_path)
        time.sleep(0.05)
        return real_open(base, component_path, **kwargs)

    monkeypatch.setattr(loader_module, "open_component_at", slow_open)
    return calls


class TestSingleFlight:
    def test_sixteen_threads_read_once(
        self,
        write: WriteFn,
        make_loader: LoaderFactory,
        watch: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        write("slow.md", "slow {x}")
        loader = make_loader(watch)
        calls = _slow_reads(loader, monkeypatch)

        results = _run_together(THREADS, lambda i: loader.load_component("slow.md", {"x": 1}))

        assert results == ["slow 1"] * THREADS
        assert loader.file_reads == 1
        assert calls == ["slow.md"]
        stats = loader.cache.get_stats()
        assert stats["hits"] + stats["misses"] == THREADS
        assert stats["loads"] == 1
        assert stats["puts"] == 1
        assert len(loader.cache) == 1

    def test_distinct_contexts_are_distinct_flights(
        self,
        write: WriteFn,
        make_loader: LoaderFactory,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        write("slow.md", "slow {x}")
        loader = make_loader()
        _slow_reads(loader, monkeypatch)
        results = _run_together(THREADS, lambda i: loader.load_component("slow.md", {"x": i % 2}))
        assert results == ["slow 0", "slow 1"] * (THREADS // 2)
        assert loader.file_reads == 2

    def test_failure_is_shared_not_repeated(
        self,
        make_loader: LoaderFactory,
        watch: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        loader = make_loader(watch)
        calls = _slow_reads(loader, monkeypatch)
        results = _run_together(THREADS, lambda i: loader.load_component("missing.md"))
        assert all(isinstance(r, ComponentNotFoundError) for r in results), results
        assert len(calls) == 1
        # Nothing is left in flight: a later load tries again.
        with pytest.raises(ComponentNotFoundError):
            loader.load_component("missing.md")
        assert len(calls) == 2

    def test_late_joiner_after_the_flight_landed_does_not_read_again(
        self,
        write: WriteFn,
        make_loader: LoaderFactory,
        watch: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A thread that missed at the same moment but reaches the flight after it landed."""
        write("slow.md", "slow")
        loader = make_loader(watch)
        calls = _slow_reads(loader, monkeypatch)
        cache = loader.cache
        real_get = cache.get
        leader_done = threading.Event()
        late = threading.Event()

        def get(component_path: str, context_hash: Any = "") -> Any:
            entry = real_get(component_path, context_hash)
            if threading.current_thread().name == "late":
                late.set()
                leader_done.wait(30)  # missed; now the leader finishes first
            return entry

        monkeypatch.setattr(cache, "get", get)
        results: list[str] = []
        late_thread = threading.Thread(
            target=lambda: results.append(loader.load_component("slow.md")), name="late"
        )
        late_thread.start()
        assert late.wait(30)
        results.append(loader.load_component("slow.md"))  # the leader
        leader_done.set()
        late_thread.join(30)
        assert results == ["slow", "slow"]
        assert calls == ["slow.md"]
        assert loader.file_reads == 1


class TestThreadSafety:
    def test_mixed_traffic_keeps_invariants(self) -> None:
        cache = ComponentCache(max_size=20, max_memory_mb=0.2)
        stop = threading.Event()
        gets = [0] * 8
        violations: list[str] = []

        def check() -> None:
            snap = cache.snapshot(entry_limit=1_000_000)
            if snap.size > snap.max_size:
                violations.append(f"size {snap.size} > {snap.max_size}")
            if snap.memory_bytes > snap.max_memory_bytes:
                violations.append(f"memory {snap.memory_bytes} > {snap.max_memory_bytes}")
            if len(snap.entries) != snap.size:
                violations.append(f"{len(snap.entries)} entries listed, size {snap.size}")
            if sum(e.size_bytes for e in snap.entries) != snap.memory_bytes:
                violations.append("memory is not the sum of the entries")
            if snap.memory_bytes < 0:
                violations.append("negative memory")

        def listener(event: Any) -> None:
            if event.kind == "evict" and event.reason not in ("size", "memory"):
                violations.append(f"eviction reason {event.reason!r}")

        cache.add_listener(listener)

        def worker(n: int) -> None:
            rng = random.Random(n)
            while not stop.is_set():
                for _ in range(50):
                    path = f"p{rng.randrange(40)}.md"
                    ctx = rng.choice(["", "a", "b"])
                    roll = rng.random()
                    if roll < 0.55:
                        cache.get(path, ctx)
                        gets[n] += 1
                    elif roll < 0.85:
                        cache.put(path, "z" * rng.randrange(10, 40_000), {"n": n}, ctx)
                    elif roll < 0.93:
                        cache.invalidate(path)
                    elif roll < 0.97:
                        cache.resize(
                            max_size=rng.randrange(3, 30),
                            max_memory_mb=rng.choice([0.1, 0.2, 0.3]),
                        )
                    else:
                        check()

        def checker() -> None:
            while not stop.is_set():
                check()
                time.sleep(0.005)

        errors: list[BaseException] = []

        def guarded(target: Callable[[], None]) -> threading.Thread:
            def run() -> None:
                try:
                    target()
                except BaseException as exc:
                    errors.append(exc)
                    stop.set()

            return threading.Thread(target=run, daemon=True)

        threads = [guarded(lambda n=n: worker(n)) for n in range(7)]  # type: ignore[misc]
        threads.append(guarded(checker))
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert violations == []
        check()
        assert violations == []
        stats = cache.get_stats()
        assert stats["hits"] + stats["misses"] == stats["total_requests"] == sum(gets)
        assert sum(gets) > 0
        assert stats["puts"] > 0
        cache.clear_cache()
        assert cache.memory_bytes == 0
        assert len(cache) == 0
        assert cache.entries() == ()

    def test_loads_during_edits_never_mix_and_end_fresh(
        self, base: Any, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        for i in range(4):
            write(f"f{i}.md", f"f{i} v0 {{who}}")
        loader = make_loader(watch, cache=ComponentCache(max_size=6))
        stop = threading.Event()
        bad: list[str] = []
        errors: list[BaseException] = []

        def reader(n: int) -> None:
            rng = random.Random(n)
            try:
                while not stop.is_set():
                    i = rng.randrange(4)
                    who = rng.choice(["A", "B", "C"])
                    text = loader.load_component(f"f{i}.md", {"who": who})
                    prefix, _, rest = text.partition(" v")
                    if prefix != f"f{i}" or not rest.endswith(f" {who}"):
                        bad.append(text)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(6)]
        for thread in threads:
            thread.start()
        version = 0
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            version += 1
            i = version % 4
            tmp = base / f"f{i}.md.tmp"
            tmp.write_text(f"f{i} v{version} {{who}}", encoding="utf-8")
            tmp.replace(base / f"f{i}.md")
            time.sleep(0.002)
        stop.set()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert bad == []
        final = {i: (base / f"f{i}.md").read_text(encoding="utf-8") for i in range(4)}
        for i in range(4):
            for who in ("A", "B", "C"):
                expected = final[i].replace("{who}", who)
                assert loader.load_component(f"f{i}.md", {"who": who}) == expected
