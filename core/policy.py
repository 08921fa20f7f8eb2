"""Eviction policies. A policy holds the entries in its eviction order; LRU is the default."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from functools import partial
from itertools import islice
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")


class EvictionPolicy(Protocol[V]):
    """Holds key -> value in the order in which keys should be evicted.

    The cache calls it under its own lock, so a policy needs no locking, and it never
    sees sizes, stats or content: those stay with the cache. The per-request operations
    are attributes holding callables, so that a policy can bind them straight to C
    methods and keep the cache's hot path free of extra Python frames.
    """

    @property
    def name(self) -> str:
        """The policy's name in ``promptcache.POLICIES``."""

    # The operations are read-only members: a plain method or an attribute holding a
    # C callable both satisfy them.
    @property
    def get(self) -> Callable[[Hashable], V | None]:
        """The value for a key, or None; does not change the order."""

    @property
    def record_access(self) -> Callable[[Hashable], Any]:
        """A key that ``get`` found was used (a hit)."""

    @property
    def insert_new(self) -> Callable[[Hashable, V], V]:
        """Store the value if the key is absent; return the value now stored (setdefault)."""

    @property
    def remove(self) -> Callable[[Hashable], V]:
        """Take a present key out, returning its value."""

    @property
    def pop_victim(self) -> Callable[[], tuple[Hashable, V]]:
        """Take out and return the (key, value) to evict next; KeyError when empty.

        The cache inserts first and evicts after, so the key just inserted may be the
        victim (a policy with admission control rejecting it)."""

    def victim(self) -> V | None:
        """The value ``pop_victim`` would return, without removing it."""

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        """Values from the most to the least protected (MRU to LRU for LRU)."""

    def values(self) -> Iterator[V]:
        """Every value, in no promised order."""

    def clear(self) -> None:
        """Forget everything."""

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...


class LRUPolicy(Generic[V]):
    """Least recently used: evict the key read or written longest ago."""

    name = "lru"

    def __init__(self) -> None:
        store: OrderedDict[Hashable, V] = OrderedDict()
        self._store = store
        self.get: Callable[[Hashable], V | None] = store.get
        self.record_access: Callable[[Hashable], Any] = store.move_to_end
        self.insert_new: Callable[[Hashable, V], V] = store.setdefault
        self.remove: Callable[[Hashable], V] = store.pop
        # popitem(last=False), passed positionally: a keyword makes the call ~90 ns slower.
        self.pop_victim: Callable[[], tuple[Hashable, V]] = partial(store.popitem, False)

    def victim(self) -> V | None:
        return next(iter(self._store.values()), None)

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """Request each key as a simulation would (the value is the key itself), evicting
        down to ``capacity`` after each miss; return the hits (see ``ResidentPolicy``)."""
        store = self._store
        to_end, pop = store.move_to_end, store.popitem
        hits = 0
        for key in keys:
            if key in store:
                hits += 1
                to_end(key)
                continue
            store[key] = key  # type: ignore[assignment]  # a simulation: keys are the values
            if changed is not None:
                changed.append(key)
            if capacity:
                while len(store) > capacity:
                    dropped = pop(False)[0]
                    if changed is not None:
                        changed.append(dropped)
        return hits

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        stop = None if limit is None else offset + limit
        return islice(reversed(self._store.values()), offset, stop)

    def values(self) -> Iterator[V]:
        return iter(self._store.values())

    def clear(self) -> None:
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return key in self._store
