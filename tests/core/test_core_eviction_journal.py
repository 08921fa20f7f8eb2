"""Eviction journals: the newest evictions, numbered, for readers that poll."""

from __future__ import annotations

import threading

import pytest

from promptcache import CacheEvent, ComponentCache, EvictionJournal


def fill(cache: ComponentCache, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        cache.put(f"c{i}.md", f"content {i}")


def test_a_journal_sees_what_an_evict_listener_sees() -> None:
    cache = ComponentCache(max_size=3, max_memory_mb=0.004)
    heard: list[CacheEvent] = []
    cache.add_listener(heard.append, {"evict"})
    journal = cache.eviction_journal()
    fill(cache, 6)  # evictions for size
    cache.put("big.md", "x" * 3600)  # evictions for memory
    cache.put("ctx.md", "y", context_hash=frozenset({("k", 1)}))
    cache.resize(max_size=1)  # evictions by resize
    events, total = journal.events_since(0)
    assert total == len(heard) > 6
    assert [event for _, event in events] == heard
    assert [number for number, _ in events] == list(range(1, total + 1))
    assert {event.reason for event in heard} == {"size", "memory"}


def test_records_are_plain_tuples_in_event_field_order() -> None:
    cache = ComponentCache(max_size=1, clock=lambda: 42.0)
    journal = cache.eviction_journal()
    cache.put("a.md", "aaa")
    cache.put("b.md", "b", context_hash=frozenset({("x", 1)}))
    first, records, total = journal.records_since(0)
    assert (first, total) == (1, 1)
    (record,) = records
    assert type(record) is tuple
    event = CacheEvent._make(record)
    assert event.kind == "evict" and event.path == "a.md" and event.reason == "size"
    assert event.context == "" and event.timestamp == 42.0 and event.size_bytes > 0


def test_only_the_newest_maxlen_are_kept_and_numbers_count_them_all() -> None:
    cache = ComponentCache(max_size=1)
    journal = cache.eviction_journal(maxlen=3)
    fill(cache, 11)  # 10 evictions: c0 .. c9
    events, total = journal.events_since(0)
    assert total == 10
    assert [(n, e.path) for n, e in events] == [(8, "c7.md"), (9, "c8.md"), (10, "c9.md")]
    assert [n for n, _ in journal.events_since(8)[0]] == [9, 10]
    assert journal.events_since(10) == ([], 10)
    assert journal.events_since(99) == ([], 10)


def test_journals_opened_at_different_times_number_their_own_evictions() -> None:
    cache = ComponentCache(max_size=1)
    early = cache.eviction_journal(maxlen=100)
    fill(cache, 5)  # 4 evictions
    late = cache.eviction_journal(maxlen=2)
    fill(cache, 3, start=5)  # 3 more: c4, c5, c6
    assert early.total == 7 and late.total == 3
    assert [e.path for _, e in early.events_since(0)[0]][-3:] == ["c4.md", "c5.md", "c6.md"]
    assert [(n, e.path) for n, e in late.events_since(0)[0]] == [(2, "c5.md"), (3, "c6.md")]


def test_a_closed_journal_stops_counting_and_a_new_one_starts_empty() -> None:
    cache = ComponentCache(max_size=1)
    with cache.eviction_journal() as journal:
        fill(cache, 3)
    other = cache.eviction_journal()
    fill(cache, 3, start=3)
    assert journal.total == 2
    assert journal.records_since(0) == (3, [], 2)
    journal.close()  # twice is fine
    assert other.total == 3
    assert [e.path for _, e in other.events_since(0)[0]] == ["c2.md", "c3.md", "c4.md"]
    other.close()
    fresh = cache.eviction_journal()
    assert fresh.events_since(0) == ([], 0)  # evictions with no journal open are not kept


def test_evictions_are_the_same_with_or_without_a_journal() -> None:
    quiet, watched = ComponentCache(max_size=3), ComponentCache(max_size=3)
    watched.eviction_journal()
    for cache in (quiet, watched):
        for i in range(10):
            cache.put(f"c{i}.md", "content " * i)
        cache.get("c8.md")
        cache.put("c10.md", "x")
    assert [e.path for e in quiet.entries()] == [e.path for e in watched.entries()]
    assert quiet.memory_bytes == watched.memory_bytes
    assert quiet.get_stats()["evictions"] == watched.get_stats()["evictions"]


def test_concurrent_puts_are_all_counted() -> None:
    cache = ComponentCache(max_size=10)
    journal = cache.eviction_journal(maxlen=50)

    def work(thread: int) -> None:
        for i in range(2000):
            cache.put(f"t{thread}-{i}.md", "x")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events, total = journal.events_since(0)
    assert total == cache.get_stats()["evictions"]["size"] == 8000 - 10
    assert [n for n, _ in events] == list(range(total - 49, total + 1))


@pytest.mark.parametrize("maxlen", [0, -1, 2.5, True, "10"])
def test_maxlen_must_be_a_positive_whole_number(maxlen: object) -> None:
    with pytest.raises(ValueError, match="maxlen"):
        ComponentCache().eviction_journal(maxlen)  # type: ignore[arg-type]


def test_the_journal_type_is_public() -> None:
    assert isinstance(ComponentCache().eviction_journal(), EvictionJournal)
