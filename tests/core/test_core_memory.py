"""Defects 4 and 5: memory is reported as CPython really retains it; oversize entries refused."""

from __future__ import annotations

import gc
import logging
import random
import tracemalloc
from collections.abc import Hashable

import pytest
from core_testlib import LoaderFactory, WriteFn

from promptcache import (
    CacheEvent,
    ComponentCache,
    ComponentError,
    ComponentTooLargeError,
    EntryTooLargeError,
)

EMOJI = "\U0001f389"


def _fill(
    cache: ComponentCache,
    count: int,
    low: int,
    high: int,
    *,
    emoji_every: int = 3,
    loader_metadata: bool = True,
    seed: int = 7,
) -> None:
    """Put ``count`` fresh components of ``low``..``high`` characters; only the cache keeps them.

    Every ``emoji_every``-th one holds an emoji, which makes CPython store it at 4 bytes
    per character. Half get a loader-like context key, half none.
    """
    rng = random.Random(seed)
    for i in range(count):
        size = rng.randrange(low, high)
        body = (
            f"Component {i}: " + "lorem ipsum {project_name} dolor sit amet " * (size // 40 + 1)
        )[:size]
        if emoji_every and i % emoji_every == 0:
            body = body[:-1] + EMOJI
        path = f"components/group{i % 7}/component-{i}.md"
        context: Hashable = (
            "" if i % 2 else frozenset({("project_name", f"Project {i}"), ("n", str(i))})
        )
        metadata = (
            {
                "component_path": path,
                "load_time": rng.random() / 1000,
                "file_size": len(body),
                "context_applied": bool(context),
            }
            if loader_metadata
            else None
        )
        cache.put(path, body, metadata, context)


def _measured(cache_kwargs: dict[str, float], **fill_kwargs: object) -> tuple[int, int, int]:
    """(bytes tracemalloc sees retained after filling, cache.memory_bytes, entries)."""
    gc.collect()
    tracemalloc.start()
    try:
        cache = ComponentCache(**cache_kwargs)  # type: ignore[arg-type]
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        _fill(cache, **fill_kwargs)  # type: ignore[arg-type]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, cache.memory_bytes, len(cache)


def _sum_of_entries(cache: ComponentCache) -> int:
    return sum(view.size_bytes for view in cache.entries())


class TestMemoryAccounting:
    @pytest.mark.parametrize(
        "fill",
        [
            {"count": 300, "low": 100, "high": 20_000},
            {"count": 300, "low": 100, "high": 20_000, "emoji_every": 0},
            {"count": 300, "low": 100, "high": 20_000, "emoji_every": 1},
            {"count": 300, "low": 100, "high": 20_000, "loader_metadata": False},
            {"count": 600, "low": 100, "high": 500},
        ],
        ids=["third-emoji", "ascii", "all-emoji", "no-metadata", "small"],
    )
    def test_within_ten_percent_of_tracemalloc(self, fill: dict[str, object]) -> None:
        real, reported, size = _measured({"max_size": 1000, "max_memory_mb": 100}, **fill)
        assert size == fill["count"]
        assert 0.9 * real <= reported <= 1.1 * real, (reported, real, reported / real)

    def test_within_ten_percent_after_evictions(self) -> None:
        # 300 puts into room for 120: what is left must still be measured right.
        real, reported, size = _measured(
            {"max_size": 120, "max_memory_mb": 100}, count=300, low=100, high=20_000
        )
        assert size == 120
        assert 0.9 * real <= reported <= 1.1 * real, (reported, real, reported / real)

    def test_emoji_counts_four_bytes_per_character(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=10)
        ascii_entry = cache.put("a.md", "x" * 10_000)
        emoji_entry = cache.put("b.md", "x" * 9_999 + EMOJI)
        assert emoji_entry.size_bytes - ascii_entry.size_bytes >= 29_000

    def test_clear_returns_memory_to_zero(self) -> None:
        cache = ComponentCache(max_size=50, max_memory_mb=100)
        _fill(cache, 200, 100, 5_000)
        assert cache.memory_bytes > 0
        cache.clear_cache()
        assert cache.memory_bytes == 0
        assert len(cache) == 0
        assert cache.get_stats()["memory_usage_mb"] == 0
        _fill(cache, 30, 100, 5_000)
        assert cache.memory_bytes == _sum_of_entries(cache)

    def test_total_is_the_sum_of_entries_through_every_change(self) -> None:
        cache = ComponentCache(max_size=40, max_memory_mb=0.5)
        rng = random.Random(3)
        for step in range(600):
            path = f"p{rng.randrange(60)}.md"
            action = rng.random()
            if action < 0.6:
                cache.put(path, "y" * rng.randrange(10, 30_000), {}, rng.choice(["", "a", "b"]))
            elif action < 0.75:
                cache.invalidate(path)
            elif action < 0.85:
                cache.get(path, rng.choice(["", "a", "b"]))
            elif action < 0.9:
                cache.invalidate(path, rng.choice(["", "a"]))
            else:
                cache.resize(max_size=rng.randrange(5, 50), max_memory_mb=rng.choice([0.2, 0.5]))
            assert cache.memory_bytes == _sum_of_entries(cache), step
            assert cache.memory_bytes <= cache.max_memory_bytes
            assert len(cache) <= cache.max_size
        evictions = cache.get_stats()["evictions"]
        assert evictions["memory"] > 0
        assert evictions["size"] > 0
        assert evictions["invalidated"] > 0

    def test_replacing_an_entry_does_not_drift(self) -> None:
        cache = ComponentCache(max_size=5, max_memory_mb=1)
        first = cache.put("a.md", "short")
        for _ in range(50):
            cache.put("a.md", "a much longer piece of content " * 20)
        cache.put("a.md", "short")
        assert len(cache) == 1
        assert cache.memory_bytes == first.size_bytes == _sum_of_entries(cache)

    def test_memory_from_loader_matches_entries(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("a.md", "hello {name} " * 100)
        write("b.md", EMOJI * 500)
        loader = make_loader()
        for name in ("x", "y", "z"):
            loader.load_component("a.md", {"name": name})
        loader.load_component("b.md")
        assert loader.cache.memory_bytes == _sum_of_entries(loader.cache)
        b_entry = loader.cache.peek("b.md")
        assert b_entry is not None
        assert b_entry.size_bytes >= 2000  # 500 emoji at 4 bytes each


class TestOversizeEntries:
    def test_put_larger_than_budget_is_refused_and_cache_untouched(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=0.1)  # about 105 kB
        cache.put("keep-1.md", "one")
        cache.put("keep-2.md", "two", {}, "ctx")
        events: list[CacheEvent] = []
        cache.add_listener(events.append)
        before = cache.snapshot()
        with pytest.raises(EntryTooLargeError) as info:
            cache.put("huge.md", "h" * 200_000)
        assert isinstance(info.value, ComponentError)
        assert isinstance(info.value, ComponentTooLargeError)
        assert "huge.md" in str(info.value)
        assert info.value.path == "huge.md"
        after = cache.snapshot()
        assert [v.path for v in after.entries] == [v.path for v in before.entries]
        assert after.size == before.size == 2
        assert after.memory_bytes == before.memory_bytes
        assert after.evictions == before.evictions
        assert after.puts == before.puts
        assert after.rejected == before.rejected + 1
        assert cache.get_stats()["rejected"] == 1
        assert cache.peek("huge.md") is None
        assert events == []

    def test_oversize_replacement_keeps_the_old_entry(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=0.1)
        cache.put("a.md", "old")
        with pytest.raises(EntryTooLargeError):
            cache.put("a.md", "n" * 200_000)
        entry = cache.peek("a.md")
        assert entry is not None
        assert entry.content == "old"

    def test_entry_that_fits_alone_evicts_the_rest(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=0.1)
        for i in range(5):
            cache.put(f"small-{i}.md", "s" * 1000)
        cache.put("big.md", "b" * 100_000)
        assert cache.peek("big.md") is not None
        assert cache.memory_bytes <= cache.max_memory_bytes
        assert cache.get_stats()["evictions"]["memory"] >= 1
        assert cache.get_stats()["rejected"] == 0

    def test_loader_returns_content_but_does_not_cache_it(
        self,
        write: WriteFn,
        make_loader: LoaderFactory,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        write("small.md", "small")
        write("huge.md", "H" * 150_000)
        cache = ComponentCache(max_size=10, max_memory_mb=0.1)
        loader = make_loader(cache=cache, max_component_bytes=1_000_000)
        loader.load_component("small.md")
        memory = cache.memory_bytes
        with caplog.at_level(logging.WARNING, logger="promptcache"):
            assert loader.load_component("huge.md") == "H" * 150_000
            assert loader.load_component("huge.md") == "H" * 150_000
        assert cache.peek("huge.md") is None
        assert cache.peek("small.md") is not None
        assert cache.memory_bytes == memory
        stats = cache.get_stats()
        assert stats["rejected"] == 2
        assert stats["loads"] == 3
        assert loader.file_reads == 3
        assert any("huge.md" in r.getMessage() for r in caplog.records)
