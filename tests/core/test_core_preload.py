"""Defects 6 and 7, and hot components learned from use."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from core_testlib import REPORT, LoaderFactory, WriteFn

from promptcache import DEFAULT_HOT_COMPONENTS, CacheEvent, ComponentCache, WarmupReport

HOT = list(DEFAULT_HOT_COMPONENTS)


def _traffic(cache: ComponentCache) -> tuple[int, int, int]:
    stats = cache.get_stats()
    return stats["hits"], stats["misses"], stats["total_requests"]


class TestPreloading:
    def test_preload_is_not_traffic(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        for path in HOT:
            write(path, f"text of {path}")
        loader = make_loader()
        cache = loader.cache
        puts: list[CacheEvent] = []
        cache.add_listener(lambda e: puts.append(e) if e.kind == "put" else None)

        report = loader.preload_components()

        assert report == WarmupReport(loaded=tuple(HOT), skipped=(), failed={})
        assert report.ok
        assert _traffic(cache) == (0, 0, 0)
        stats = cache.get_stats()
        assert stats["preloaded"] == 5
        assert stats["warmed_up"] == 0
        assert stats["puts"] == 5
        assert stats["hit_ratio"] == 0.0
        assert sorted(e.path for e in puts) == sorted(HOT)  # each path put once
        assert {e.reason for e in puts} == {"preload"}
        assert loader.file_reads == 5

        # A real request for a preloaded component is a hit, and the only request.
        assert loader.load_component(HOT[0]) == f"text of {HOT[0]}"
        assert _traffic(cache) == (1, 0, 1)
        assert cache.get_stats()["hit_ratio"] == 100.0

    def test_preload_again_skips_what_is_cached(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        for path in HOT:
            write(path, "x")
        loader = make_loader()
        loader.preload_components()
        again = loader.preload_components()
        assert again.loaded == ()
        assert again.skipped == tuple(HOT)
        assert loader.cache.get_stats()["puts"] == 5
        assert loader.file_reads == 5
        assert _traffic(loader.cache) == (0, 0, 0)

    def test_preload_keeps_going_past_failures(
        self,
        write: WriteFn,
        make_loader: LoaderFactory,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        write(HOT[0], "first")
        write(HOT[2], b"\xff\xfe latin-1 \xe9")
        write(HOT[4], "last")
        loader = make_loader()
        with caplog.at_level(logging.WARNING, logger="promptcache"):
            report = loader.preload_components()
        assert report.loaded == (HOT[0], HOT[4])
        assert set(report.failed) == {HOT[1], HOT[2], HOT[3]}
        assert not report.ok
        for path, why in report.failed.items():
            assert path in why
        assert "UTF-8" in report.failed[HOT[2]]
        assert _traffic(loader.cache) == (0, 0, 0)
        stats = loader.cache.get_stats()
        assert stats["preloaded"] == 2
        assert stats["load_failures"] == 3
        assert stats["loads"] == 2
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert HOT[1] in logged

    def test_cache_preload_hot_components_uses_its_hot_list(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("rare.md", "r")
        write("common.md", "c")
        cache = ComponentCache(hot_components={"rare.md": 1, "common.md": 50, "gone.md": 9})
        loader = make_loader(cache=cache)
        report = cache.preload_hot_components(loader)
        assert report.loaded == ("common.md", "rare.md")  # most used first
        assert list(report.failed) == ["gone.md"]
        assert _traffic(cache) == (0, 0, 0)
        assert cache.get_stats()["preloaded"] == 2

    def test_warmup_is_counted_apart(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        write("a.md", "a")
        write("b.md", "b")
        loader = make_loader()
        cache = loader.cache
        loader.load_component("a.md")  # one real miss
        progress: list[tuple[int, int, str]] = []
        report = loader.warm(
            ["a.md", "b.md", "nope.md"], progress=lambda *args: progress.append(args)
        )
        assert report.skipped == ("a.md",)
        assert report.loaded == ("b.md",)
        assert list(report.failed) == ["nope.md"]
        assert progress == [(1, 3, "a.md"), (2, 3, "b.md"), (3, 3, "nope.md")]
        report2 = cache.warmup_cache(loader, ["b.md", "a.md"])
        assert report2.skipped == ("b.md", "a.md")
        stats = cache.get_stats()
        assert (stats["hits"], stats["misses"], stats["total_requests"]) == (0, 1, 1)
        assert stats["warmed_up"] == 1
        assert stats["preloaded"] == 0
        assert stats["puts"] == 2
        entry = cache.peek("b.md")
        assert entry is not None
        assert entry.metadata.get("warmed_up") is True
        assert entry.access_count == 0


class TestTopComponents:
    def test_top_components_include_preloaded_entries(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        for path in HOT:
            write(path, "x")
        loader = make_loader()
        loader.preload_components()
        top = loader.cache.get_stats()["top_components"]
        assert sorted(t["path"] for t in top) == sorted(HOT)
        assert all(t["access_count"] == 0 for t in top)
        for view in loader.cache.entries():
            assert view.path in HOT
            assert view.metadata["component_path"] == view.path

    def test_top_components_ordered_by_use(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        for path in HOT:
            write(path, "x")
        loader = make_loader()
        loader.preload_components()
        for _ in range(3):
            loader.load_component(HOT[3])
        loader.load_component(HOT[1])
        top = loader.cache.get_stats()["top_components"]
        assert [t["path"] for t in top[:2]] == [HOT[3], HOT[1]]
        assert [t["access_count"] for t in top[:2]] == [3, 1]

    def test_direct_put_without_metadata_knows_its_path(self) -> None:
        cache = ComponentCache()
        cache.put("a.md", "a", None, "ctx", origin="preload")
        cache.put("b.md", "b", {"unrelated": 1})
        top = cache.get_stats()["top_components"]
        assert sorted(t["path"] for t in top) == ["a.md", "b.md"]

    def test_top_components_limited_to_ten(self) -> None:
        cache = ComponentCache()
        for i in range(15):
            cache.put(f"{i}.md", "x")
            for _ in range(i):
                cache.get(f"{i}.md")
        top = cache.get_stats()["top_components"]
        assert [t["path"] for t in top] == [f"{i}.md" for i in range(14, 4, -1)]


class TestHotUsage:
    def _use(self, loader_factory: LoaderFactory, hot_file: Path, **kwargs: object) -> None:
        loader = loader_factory(hot_usage_file=hot_file, **kwargs)
        uses = {"a.md": 5, "b.md": 3, "c.md": 8, "d.md": 1}
        for path, n in uses.items():
            for _ in range(n):
                loader.load_component(path)
        loader.load_component("a.md", {"ctx": 1})  # a second variant counts for the path
        assert loader.save_hot_usage() == hot_file

    def test_save_is_atomic_json(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        for name in "abcd":
            write(f"{name}.md", name)
        state = tmp_path / "state"
        hot_file = state / "hot.json"
        self._use(make_loader, hot_file)
        data = json.loads(hot_file.read_text(encoding="utf-8"))
        assert data["counts"] == {"a.md": 6, "b.md": 3, "c.md": 8, "d.md": 1}
        assert os.listdir(state) == ["hot.json"]

    def test_saving_twice_does_not_double_count(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("a.md", "a")
        hot_file = tmp_path / "hot.json"
        loader = make_loader(hot_usage_file=hot_file)
        loader.load_component("a.md")
        loader.load_component("a.md")
        loader.save_hot_usage()
        loader.save_hot_usage()
        loader.load_component("a.md")
        loader.save_hot_usage()
        assert json.loads(hot_file.read_text())["counts"] == {"a.md": 3}

    def test_counts_survive_eviction(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("a.md", "a")
        write("b.md", "b")
        hot_file = tmp_path / "hot.json"
        loader = make_loader(cache=ComponentCache(max_size=1), hot_usage_file=hot_file)
        for _ in range(4):
            loader.load_component("a.md")
        loader.load_component("b.md")  # evicts a.md
        loader.save_hot_usage()
        assert json.loads(hot_file.read_text())["counts"] == {"a.md": 4, "b.md": 1}

    def test_failed_write_leaves_old_file_and_no_temp(
        self,
        tmp_path: Path,
        write: WriteFn,
        make_loader: LoaderFactory,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        write("a.md", "a")
        state = tmp_path / "state"
        state.mkdir()
        hot_file = state / "hot.json"
        hot_file.write_text('{"version": 1, "counts": {"old.md": 2}}')
        loader = make_loader(hot_usage_file=hot_file)
        loader.load_component("a.md")

        def broken_replace(src: object, dst: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", broken_replace)
        with pytest.raises(OSError, match="disk full"):
            loader.save_hot_usage()
        monkeypatch.undo()
        assert json.loads(hot_file.read_text()) == {"version": 1, "counts": {"old.md": 2}}
        assert os.listdir(state) == ["hot.json"]

    def test_preload_uses_learned_top_n(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        for name in "abcd":
            write(f"{name}.md", name)
        for path in HOT:
            write(path, "default")
        hot_file = tmp_path / "hot.json"
        self._use(make_loader, hot_file)

        loader = make_loader(hot_usage_file=hot_file, hot_top_n=2)
        assert loader.hot_paths() == ["c.md", "a.md"]
        report = loader.preload_components()
        assert report.loaded == ("c.md", "a.md")
        assert loader.cache.paths() == frozenset({"c.md", "a.md"})
        assert _traffic(loader.cache) == (0, 0, 0)

        everything = make_loader(hot_usage_file=hot_file)
        assert everything.preload_components().loaded == ("c.md", "a.md", "b.md", "d.md")

    def test_top_n_is_capped_by_cache_size(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        for name in "abcd":
            write(f"{name}.md", name)
        hot_file = tmp_path / "hot.json"
        self._use(make_loader, hot_file)
        loader = make_loader(cache=ComponentCache(max_size=3), hot_usage_file=hot_file)
        assert loader.preload_components().loaded == ("c.md", "a.md", "b.md")

    def test_no_file_yet_uses_default_list(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write(REPORT, "r")
        loader = make_loader(hot_usage_file=tmp_path / "missing.json")
        assert loader.hot_paths() == HOT
        assert loader.preload_components().loaded == (REPORT,)

    @pytest.mark.parametrize(
        "content",
        [
            b"{not json",
            b"\xff\xfe\x00",
            b"[1, 2, 3]",
            b'{"counts": {"a.md": "many"}}',
            b'{"counts": {"a.md": true}}',
            b'{"counts": [["a.md", 3]]}',
            b"",
        ],
    )
    def test_corrupt_file_falls_back_to_default_list(
        self,
        tmp_path: Path,
        content: bytes,
        write: WriteFn,
        make_loader: LoaderFactory,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        write(REPORT, "r")
        write("a.md", "a")
        hot_file = tmp_path / "hot.json"
        hot_file.write_bytes(content)
        loader = make_loader(hot_usage_file=hot_file)
        with caplog.at_level(logging.WARNING, logger="promptcache"):
            report = loader.preload_components()
        assert report.loaded == (REPORT,)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert any(str(hot_file) in r.getMessage() for r in warnings)

        # Saving over a corrupt file replaces it with a valid one.
        loader.load_component("a.md")
        with caplog.at_level(logging.WARNING, logger="promptcache"):
            loader.save_hot_usage()
        assert json.loads(hot_file.read_text())["counts"] == {"a.md": 1}

    def test_close_saves_usage(
        self, tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("a.md", "a")
        hot_file = tmp_path / "hot.json"
        with make_loader(hot_usage_file=hot_file) as loader:
            loader.load_component("a.md")
        assert json.loads(hot_file.read_text())["counts"] == {"a.md": 1}
