"""Defect 3: two different (path, context) pairs never share an entry."""

from __future__ import annotations

import random
from typing import Any

import pytest
from core_testlib import LoaderFactory, WriteFn

from promptcache import ComponentCache, context_key


class TestExactKeys:
    def test_int_bool_and_str_contexts(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        write("t.md", "v={a}")
        loader = make_loader()
        assert loader.load_component("t.md", {"a": 1}) == "v=1"
        assert loader.load_component("t.md", {"a": True}) == "v=True"
        assert loader.load_component("t.md", {"a": "1"}) == "v=1"
        assert loader.load_component("t.md", {"a": 1.0}) == "v=1.0"
        # Again, now from the cache: each still gets its own rendering.
        assert loader.load_component("t.md", {"a": True}) == "v=True"
        assert loader.load_component("t.md", {"a": 1}) == "v=1"
        assert loader.load_component("t.md", {"a": 1.0}) == "v=1.0"
        # 1 and "1" render the same and may share; True and 1.0 must have their own.
        assert len(loader.cache) in (3, 4)

    def test_subset_context_is_a_different_key(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("t.md", "{a}{b}")
        loader = make_loader()
        assert loader.load_component("t.md", {"a": "x", "b": "y"}) == "xy"
        assert loader.load_component("t.md", {"a": "x"}) == "x{b}"
        assert loader.load_component("t.md", {"a": "x", "b": "y"}) == "xy"
        assert loader.load_component("t.md") == "{a}{b}"
        assert loader.load_component("t.md", {}) == "{a}{b}"
        assert len(loader.cache) == 3

    def test_key_order_does_not_matter(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        write("t.md", "{a}-{b}")
        loader = make_loader()
        assert loader.load_component("t.md", {"a": 1, "b": 2}) == "1-2"
        assert loader.load_component("t.md", {"b": 2, "a": 1}) == "1-2"
        assert loader.cache.get_stats()["hits"] == 1

    def test_same_context_on_different_paths(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("one.md", "one {a}")
        write("two.md", "two {a}")
        loader = make_loader()
        assert loader.load_component("one.md", {"a": 1}) == "one 1"
        assert loader.load_component("two.md", {"a": 1}) == "two 1"
        assert loader.load_component("one.md", {"a": 1}) == "one 1"

    @pytest.mark.parametrize(
        ("left", "right"),
        [
            ({"a": 1}, {"a": True}),
            ({"a": 0}, {"a": False}),
            ({"a": 1.0}, {"a": 1}),
            ({"a": "x", "b": "y"}, {"a": "x"}),
            ({"a": "x"}, {"b": "x"}),
            ({"a": None}, {"a": "none"}),
            ({"a": "b=c"}, {"a=b": "c"}),
            ({"a": ("x", "y")}, {"a": "x", "b": "y"}),
        ],
    )
    def test_context_key_distinguishes(self, left: dict[str, Any], right: dict[str, Any]) -> None:
        assert context_key(left) != context_key(right)

    def test_context_key_of_rendering_equal_contexts(self) -> None:
        assert context_key({"a": 1}) == context_key({"a": "1"})
        assert context_key(None) == context_key({}) == ""

    def test_hash_colliding_contexts_are_separate(self) -> None:
        # hash(-1) == hash(-2) in CPython; equal hashes must not merge entries.
        assert hash(-1) == hash(-2)
        cache = ComponentCache(max_size=10, max_memory_mb=1)
        cache.put("p.md", "minus one", {}, -1)
        cache.put("p.md", "minus two", {}, -2)
        first, second = cache.get("p.md", -1), cache.get("p.md", -2)
        assert first is not None
        assert second is not None
        assert (first.content, second.content) == ("minus one", "minus two")

    def test_many_random_keys_get_their_own_entries(self) -> None:
        rng = random.Random(1234)
        keys: set[tuple[str, str]] = set()
        while len(keys) < 3000:
            path = f"components/{rng.randrange(40)}.md"
            ctx = "".join(rng.choice("abcdef0123456789") for _ in range(rng.randrange(0, 12)))
            keys.add((path, ctx))
        cache = ComponentCache(max_size=len(keys), max_memory_mb=200)
        for path, ctx in keys:
            cache.put(path, f"{path}|{ctx}", {}, ctx)
        assert len(cache) == len(keys)
        for path, ctx in keys:
            entry = cache.get(path, ctx)
            assert entry is not None
            assert entry.content == f"{path}|{ctx}"
        assert cache.get_stats()["misses"] == 0

    def test_path_and_context_are_not_concatenated(self) -> None:
        cache = ComponentCache(max_size=10, max_memory_mb=1)
        pairs = [("a", "b:c"), ("a:b", "c"), ("a::b", "c"), ("a", "b::c")]
        for n, (path, ctx) in enumerate(pairs):
            cache.put(path, f"content {n}", {}, ctx)
        for n, (path, ctx) in enumerate(pairs):
            entry = cache.get(path, ctx)
            assert entry is not None
            assert entry.content == f"content {n}"
