"""The original API keeps working as users know it; ``core`` never imports textual."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from core_testlib import REPORT, REPORT_TEXT, LoaderFactory, WriteFn

import promptcache
from promptcache import (
    DEFAULT_HOT_COMPONENTS,
    CachedComponentLoader,
    CacheEntry,
    CachePerformanceMonitor,
    ComponentCache,
    ComponentError,
)

ORIGINAL_HOT = [
    "components/reporting/generate-structured-report.md",
    "components/context/context-optimization.md",
    "components/validation/xml-structure.md",
    "components/error/error-handling.md",
    "components/planning/create-step-by-step-plan.md",
]

STATS_KEYS = {
    "hit_ratio",
    "hits",
    "misses",
    "total_requests",
    "cache_size",
    "memory_usage_mb",
    "memory_utilization",
    "top_components",
}


class TestOriginalAPI:
    def test_readme_usage_runs_as_written(self, base: Path, write: WriteFn) -> None:
        write(REPORT, REPORT_TEXT)

        cache = ComponentCache(max_size=150, max_memory_mb=100)
        loader = CachedComponentLoader(base, cache)
        monitor = CachePerformanceMonitor(cache)
        try:
            loader.preload_components()
            content = loader.load_component(REPORT, context_vars={"project_name": "MyProject"})
            performance = monitor.log_performance_snapshot()
            stats = loader.get_performance_stats()
        finally:
            loader.close()

        assert content == REPORT_TEXT.replace("{project_name}", "MyProject")
        assert stats["total_components_loaded"] == 1
        assert stats["cache_stats"]["cache_size"] == 2  # the preloaded raw one + MyProject
        assert stats["cache_stats"]["misses"] == 1
        assert stats["cache_stats"]["hits"] == 0
        assert performance is not None
        assert performance["hit_ratio"] == 0.0  # the README prints it this way

    def test_public_names_importable_from_core(self) -> None:
        for name in (
            "ComponentCache",
            "CacheEntry",
            "CachedComponentLoader",
            "CachePerformanceMonitor",
            "ComponentError",
        ):
            assert hasattr(promptcache, name), name
        assert issubclass(ComponentError, Exception)

    def test_default_constructor_limits(self) -> None:
        cache = ComponentCache()
        assert cache.max_size == 100
        assert cache.max_memory_bytes == 50 * 1024 * 1024

    def test_default_hot_list_is_the_original_five_and_configurable(self) -> None:
        assert list(DEFAULT_HOT_COMPONENTS) == ORIGINAL_HOT
        assert list(ComponentCache().hot_components) == ORIGINAL_HOT
        custom = ComponentCache(hot_components={"a.md": 3, "b.md": 9})
        assert custom.hot_components == {"a.md": 3, "b.md": 9}

    def test_cache_entry_keeps_original_fields(self) -> None:
        names = [f.name for f in dataclasses.fields(CacheEntry)]
        assert names[:7] == [
            "content",
            "metadata",
            "access_count",
            "last_accessed",
            "created_at",
            "token_count",
            "hash_key",
        ]
        entry = CacheEntry("a b c", {"k": 1}, 0, 1.0, 2.0, 3, "key")
        assert (entry.content, entry.metadata, entry.access_count) == ("a b c", {"k": 1}, 0)
        assert (entry.last_accessed, entry.created_at, entry.token_count) == (1.0, 2.0, 3)
        assert entry.hash_key == "key"

    def test_get_put_positional_signature(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=1)
        assert cache.get("p.md") is None
        cache.put("p.md", "one two three", {"source": "test"})
        entry = cache.get("p.md")
        assert entry is not None
        assert entry.content == "one two three"
        assert entry.metadata["source"] == "test"
        assert isinstance(entry.token_count, int)
        assert entry.token_count > 0
        assert entry.component_path == "p.md"
        cache.put("p.md", "ctx", {}, "h1")
        hit = cache.get("p.md", "h1")
        assert hit is not None
        assert hit.content == "ctx"
        assert entry.hash_key == "p.md"  # no context: the path alone
        assert hit.hash_key == ("p.md", "h1")  # the exact key, different per context

    def test_get_stats_keys_and_meanings(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=1)
        cache.put("a.md", "alpha", {})
        assert cache.get("a.md") is not None
        assert cache.get("a.md") is not None
        assert cache.get("a.md") is not None
        assert cache.get("missing.md") is None
        stats = cache.get_stats()
        assert stats.keys() >= STATS_KEYS
        assert stats["hits"] == 3
        assert stats["misses"] == 1
        assert stats["total_requests"] == 4
        assert stats["hit_ratio"] == 75.0  # percent
        assert stats["cache_size"] == 1
        assert stats["memory_usage_mb"] == round(cache.memory_bytes / (1024 * 1024), 2)
        assert stats["memory_utilization"] == round(cache.memory_bytes / (1024 * 1024) * 100, 2)
        assert stats["memory_utilization"] > 0
        (top,) = stats["top_components"]
        assert set(top) >= {"path", "access_count", "last_accessed"}
        assert top["path"] == "a.md"
        assert top["access_count"] == 4  # the put counts as one use, as originally

    def test_get_stats_empty_cache(self) -> None:
        stats = ComponentCache().get_stats()
        assert stats["hit_ratio"] == 0.0
        assert stats["total_requests"] == 0
        assert stats["cache_size"] == 0
        assert stats["top_components"] == []

    def test_performance_stats_keys(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        write("a.md", "A {x}")
        write("b.md", "B")
        loader = make_loader()
        loader.load_component("a.md", {"x": 1})
        loader.load_component("a.md", {"x": 1})
        loader.load_component("b.md")
        stats = loader.get_performance_stats()
        assert {"average_load_time_ms", "total_components_loaded", "cache_stats"} <= stats.keys()
        assert stats["total_components_loaded"] == 2
        assert stats["average_load_time_ms"] >= 0
        assert stats["cache_stats"]["hits"] == 1
        assert stats["cache_stats"]["misses"] == 2
        assert stats["cache_stats"].keys() >= STATS_KEYS

    def test_monitor_snapshot_and_trend_keys(self) -> None:
        cache = ComponentCache()
        monitor = CachePerformanceMonitor(cache)
        assert monitor.get_performance_trends() == {"status": "insufficient_data"}
        snap = monitor.log_performance_snapshot()
        assert snap is not None
        assert {
            "timestamp",
            "hit_ratio",
            "response_time_target_met",
            "memory_efficient",
            "cache_healthy",
        } <= snap.keys()
        assert snap["hit_ratio"] == snap.hit_ratio == 0.0  # read by key, as the README does
        assert monitor.get_performance_trends() == {"status": "insufficient_data"}
        monitor.log_performance_snapshot()
        trends = monitor.get_performance_trends()
        assert set(trends) == {"trend_analysis", "recommendations"}
        assert isinstance(trends["recommendations"], list)
        assert {"average_hit_ratio", "target_achievement", "performance_stable"} <= set(
            trends["trend_analysis"]
        )
        assert trends["trend_analysis"]["snapshots"] == 2

    def test_monitoring_disabled_records_nothing(self) -> None:
        monitor = CachePerformanceMonitor(ComponentCache())
        monitor.monitoring_enabled = False
        assert monitor.log_performance_snapshot() is None
        assert monitor.snapshot_if_due(0.0) is None
        assert len(monitor.performance_log) == 0

    @pytest.mark.parametrize(
        ("max_size", "max_memory_mb"), [(0, 1), (-1, 1), (1.5, 1), (True, 1), (1, 0), (1, -2)]
    )
    def test_invalid_limits_rejected(self, max_size: object, max_memory_mb: object) -> None:
        with pytest.raises(ValueError):
            ComponentCache(max_size=max_size, max_memory_mb=max_memory_mb)  # type: ignore[arg-type]

    @pytest.mark.parametrize("max_memory_mb", [1e308, float("inf"), -float("inf"), 10**400])
    def test_a_memory_limit_too_large_is_named(self, max_memory_mb: float) -> None:
        with pytest.raises(ValueError, match=r"^max_memory_mb must be .*, not "):
            ComponentCache(max_memory_mb=max_memory_mb)

    def test_the_stats_command_reports_it_in_one_line(
        self, base: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from promptcache.cli.main import main

        args = ["stats", str(base), "--workload", "zipf", "--max-memory-mb", "1e308"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err == (
            "promptcache stats: error: --max-memory-mb / --max-size: max_memory_mb must be a "
            "finite number of MiB, not 1e+308\n"
        )

    def test_loader_on_missing_folder(self, tmp_path: Path) -> None:
        with pytest.raises(ComponentError, match="nowhere"):
            CachedComponentLoader(tmp_path / "nowhere", ComponentCache())


class TestNoTextualImport:
    def test_core_does_not_import_textual(self) -> None:
        code = (
            "import promptcache, promptcache.client, promptcache.server, sys\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
            "assert not bad, bad\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=Path(promptcache.__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
