"""What the policies in this package share: the resident values, and the cache's size."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class ResidentPolicy(Generic[V]):
    """A policy keeping its resident values in one dict, so that ``get`` is a C call.

    The cache never tells a policy its capacity: it inserts, then asks for victims until
    both its entry and its memory bound hold. ``capacity`` is therefore learnt: the number
    of entries the cache kept after its latest eviction (0 until the first one). Policies
    size their segments, ghosts and sample periods from it, so a memory bound that binds
    before the entry bound simply shows up as a smaller capacity.
    """

    name = "resident"

    def __init__(self) -> None:
        self._values: dict[Hashable, V] = {}
        self.get: Callable[[Hashable], V | None] = self._values.get
        self.capacity = 0

    def _learn_capacity(self) -> None:
        """Called by ``pop_victim`` before it removes anything."""
        self.capacity = len(self._values) - 1

    def replay(
        self,
        keys: Iterable[Hashable],
        capacity: int,
        changed: list[Hashable] | None = None,
    ) -> int:
        """Request each key as a simulation would (the value is the key itself), evicting
        down to ``capacity`` after each miss (0: never); return the hits. Keys inserted
        or evicted are appended to ``changed``. Subclasses inline their hit path here."""
        return replay_requests(self, keys, capacity, changed)

    def touch_many(self, keys: Iterable[Hashable]) -> None:
        """``record_access`` for each key, in order (all resident); subclasses inline it."""
        touch = self.record_access  # type: ignore[attr-defined]
        for key in keys:
            touch(key)

    def values(self) -> Iterator[V]:
        """Every value, in no promised order."""
        return iter(self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values


class ExpertPolicy(ResidentPolicy[V]):
    """A policy the adaptive policy can race in miniature and hand the cache to.

    Its operations are methods (not attributes bound to C callables), so that compiled
    callers reach them by direct calls."""

    name = "expert"

    def record_access(self, key: Hashable) -> None:
        raise NotImplementedError

    def insert_new(self, key: Hashable, value: V) -> V:
        raise NotImplementedError

    def remove(self, key: Hashable) -> V:
        raise NotImplementedError

    def pop_victim(self) -> tuple[Hashable, V]:
        raise NotImplementedError

    def victim(self) -> V | None:
        raise NotImplementedError

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def _replay_miss(self, key: Hashable, capacity: int, changed: list[Hashable] | None) -> None:
        """A simulated miss in ``replay``: the key goes in as its own value, then victims
        go until ``capacity`` (0: never) holds; both are appended to ``changed``."""
        self.insert_new(key, key)  # type: ignore[arg-type]  # a simulation: keys are the values
        if changed is not None:
            changed.append(key)
        if capacity:
            while len(self._values) > capacity:
                dropped = self.pop_victim()[0]
                if changed is not None:
                    changed.append(dropped)


def replay_requests(
    policy: Any, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None
) -> int:
    """``ResidentPolicy.replay`` for any policy, through its public operations."""
    get, touch, insert, pop = policy.get, policy.record_access, policy.insert_new, policy.pop_victim
    absent = _ABSENT
    hits = 0
    for key in keys:
        if get(key, absent) is not absent:
            touch(key)
            hits += 1
            continue
        insert(key, key)
        if changed is not None:
            changed.append(key)
        if capacity:
            while len(policy) > capacity:
                dropped = pop()[0]
                if changed is not None:
                    changed.append(dropped)
    return hits


_ABSENT: Any = object()
