"""ComponentCache against a reference LRU model (hypothesis stateful testing)."""

from __future__ import annotations

from collections import OrderedDict

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from promptcache import ComponentCache

PATHS = st.sampled_from(["a.md", "b.md", "c.md"])
CONTEXTS = st.sampled_from(["", "x"])
SIZES = st.integers(min_value=1, max_value=5)

Key = tuple[str, str]

# Rules other than put wait for a non-empty cache, and ``traffic`` runs several requests
# per step: hypothesis's choice of rules is far from uniform, and without these most
# examples are runs of no-ops on an empty cache.
non_empty = precondition(lambda machine: len(machine.model) > 0)
OPS = st.lists(st.tuples(st.booleans(), PATHS, CONTEXTS), min_size=1, max_size=12)


class CacheVersusLRUModel(RuleBasedStateMachine):
    """Rules mutate both; invariants compare order, contents and counters."""

    cache: ComponentCache

    def __init__(self) -> None:
        super().__init__()
        self.model: OrderedDict[Key, str] = OrderedDict()  # LRU first, MRU last
        self.max_size = 1
        self.hits = 0
        self.misses = 0
        self.size_evictions = 0
        self.invalidations = 0
        self.counter = 0

    @initialize(max_size=SIZES)
    def make(self, max_size: int) -> None:
        self.max_size = max_size
        self.cache = ComponentCache(max_size=max_size, max_memory_mb=64)

    def _evict(self) -> None:
        while len(self.model) > self.max_size:
            self.model.popitem(last=False)
            self.size_evictions += 1

    def _put(self, path: str, ctx: str, length: int) -> None:
        self.counter += 1
        content = f"{self.counter}:" + "c" * length
        entry = self.cache.put(path, content, {"n": self.counter}, ctx)
        assert entry.content == content
        self.model.pop((path, ctx), None)
        self.model[(path, ctx)] = content
        self._evict()

    def _get(self, path: str, ctx: str) -> None:
        entry = self.cache.get(path, ctx)
        expected = self.model.get((path, ctx))
        if expected is None:
            assert entry is None
            self.misses += 1
        else:
            assert entry is not None
            assert entry.content == expected
            self.model.move_to_end((path, ctx))
            self.hits += 1

    @rule(path=PATHS, ctx=CONTEXTS, length=st.integers(min_value=0, max_value=300))
    def put(self, path: str, ctx: str, length: int) -> None:
        self._put(path, ctx, length)

    @rule(path=PATHS, ctx=CONTEXTS)
    def get(self, path: str, ctx: str) -> None:
        self._get(path, ctx)

    @rule(ops=OPS)
    def traffic(self, ops: list[tuple[bool, str, str]]) -> None:
        """A burst of requests; a miss is followed by a put, as a loader does."""
        for is_put, path, ctx in ops:
            if is_put:
                self._put(path, ctx, len(path) * 10)
            else:
                self._get(path, ctx)

    @non_empty
    @rule(path=PATHS, ctx=CONTEXTS)
    def peek(self, path: str, ctx: str) -> None:
        entry = self.cache.peek(path, ctx)
        expected = self.model.get((path, ctx))
        assert (entry.content if entry is not None else None) == expected

    @non_empty
    @rule(path=PATHS)
    def invalidate_path(self, path: str) -> None:
        gone = [key for key in self.model if key[0] == path]
        for key in gone:
            del self.model[key]
        self.invalidations += len(gone)
        assert self.cache.invalidate(path) == len(gone)

    @non_empty
    @rule(path=PATHS, ctx=CONTEXTS)
    def invalidate_variant(self, path: str, ctx: str) -> None:
        present = self.model.pop((path, ctx), None) is not None
        self.invalidations += present
        assert self.cache.invalidate(path, ctx) == int(present)

    @non_empty
    @rule(max_size=SIZES)
    def resize(self, max_size: int) -> None:
        before = self.size_evictions
        self.max_size = max_size
        self._evict()
        assert self.cache.resize(max_size=max_size) == self.size_evictions - before

    @non_empty
    @rule()
    def clear(self) -> None:
        self.cache.clear_cache()
        self.model.clear()
        self.hits = self.misses = self.size_evictions = self.invalidations = 0

    @invariant()
    def same_entries_in_same_order(self) -> None:
        views = self.cache.entries()
        assert [(v.path, v.context) for v in views] == list(reversed(self.model))
        assert [v.rank for v in views] == list(range(1, len(views) + 1))
        assert self.cache.paths() == frozenset(path for path, _ in self.model)

    @invariant()
    def same_counters(self) -> None:
        stats = self.cache.get_stats()
        assert stats["hits"] == self.hits
        assert stats["misses"] == self.misses
        assert stats["total_requests"] == self.hits + self.misses
        assert stats["evictions"] == {
            "size": self.size_evictions,
            "memory": 0,
            "invalidated": self.invalidations,
        }

    @invariant()
    def within_limits_and_memory_adds_up(self) -> None:
        assert len(self.cache) == len(self.model) <= self.max_size
        assert self.cache.max_size == self.max_size
        assert self.cache.memory_bytes == sum(v.size_bytes for v in self.cache.entries())
        assert (self.cache.memory_bytes == 0) == (len(self.model) == 0)


CacheVersusLRUModel.TestCase.settings = settings(
    max_examples=75, stateful_step_count=30, deadline=None
)
TestCacheAgainstLRUModel = CacheVersusLRUModel.TestCase
