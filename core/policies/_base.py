"""What the policies in this package share: the resident values, and the cache's size."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

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

    def values(self) -> Iterator[V]:
        """Every value, in no promised order."""
        return iter(self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values
