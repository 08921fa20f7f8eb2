"""Listeners can ask for some kinds of events only; the others are never built for them."""

from __future__ import annotations

from promptcache import CacheEvent, ComponentCache


def test_a_listener_gets_only_the_kinds_it_asked_for() -> None:
    cache = ComponentCache(max_size=2)
    evictions: list[CacheEvent] = []
    everything: list[CacheEvent] = []
    remove = cache.add_listener(evictions.append, {"evict"})
    for i in range(4):
        cache.put(f"c{i}.md", "x")
    cache.invalidate("c3.md")
    assert [e.kind for e in evictions] == ["evict", "evict"]
    assert [e.path for e in evictions] == ["c0.md", "c1.md"]
    cache.add_listener(everything.append)
    cache.put("c9.md", "x")  # c3 was invalidated: c2 and c9 fit, nothing is evicted
    assert [(e.kind, e.path) for e in everything] == [("put", "c9.md")]
    remove()
    cache.put("c10.md", "x")  # evicts c2, but the evict-only listener is gone
    assert [e.path for e in evictions] == ["c0.md", "c1.md"]
    assert [(e.kind, e.path) for e in everything[1:]] == [("put", "c10.md"), ("evict", "c2.md")]


def test_evictions_are_the_same_with_or_without_an_evict_listener() -> None:
    quiet, watched = ComponentCache(max_size=3), ComponentCache(max_size=3)
    seen: list[CacheEvent] = []
    watched.add_listener(seen.append, {"evict"})
    for cache in (quiet, watched):
        for i in range(10):
            cache.put(f"c{i}.md", "content " * i)
    assert [e.path for e in quiet.entries()] == [e.path for e in watched.entries()]
    assert quiet.memory_bytes == watched.memory_bytes
    assert quiet.get_stats()["evictions"] == watched.get_stats()["evictions"]
    assert len(seen) == 7
