"""First in, first out: a hit changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import islice
from typing import Any, Generic, TypeVar

from ._base import replay_requests

V = TypeVar("V")


def _ignore(key: Hashable) -> None:
    return None


class FIFOPolicy(Generic[V]):
    """Evict the key inserted longest ago, however often it was read."""

    name = "fifo"

    def __init__(self) -> None:
        store: dict[Hashable, V] = {}
        self._store = store
        self.get: Callable[[Hashable], V | None] = store.get
        self.record_access: Callable[[Hashable], Any] = _ignore
        self.insert_new: Callable[[Hashable, V], V] = store.setdefault
        self.remove: Callable[[Hashable], V] = store.pop

    def pop_victim(self) -> tuple[Hashable, V]:
        for key in self._store:  # dicts keep insertion order: the first key is the oldest
            return key, self._store.pop(key)
        raise KeyError("pop_victim(): the policy holds nothing")

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """Request each key as a simulation would (see ``ResidentPolicy.replay``)."""
        return replay_requests(self, keys, capacity, changed)

    def victim(self) -> V | None:
        return next(iter(self._store.values()), None)

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
