"""ARC (Megiddo and Modha, FAST'03): recency and frequency lists sized by ghost hits."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from itertools import chain, islice
from typing import TypeVar

from ._base import ResidentPolicy

V = TypeVar("V")


class ARCPolicy(ResidentPolicy[V]):
    """T1 holds keys seen once recently, T2 keys seen at least twice; B1 and B2 remember
    keys evicted from each. A miss that hits B1 grows T1's target ``p``, one that hits B2
    shrinks it, and the victim comes from T1 while T1 is above its target."""

    name = "arc"

    def __init__(self) -> None:
        super().__init__()
        self._t1: OrderedDict[Hashable, None] = OrderedDict()
        self._t2: OrderedDict[Hashable, None] = OrderedDict()
        self._b1: OrderedDict[Hashable, None] = OrderedDict()
        self._b2: OrderedDict[Hashable, None] = OrderedDict()
        self._p = 0.0
        self._newest: Hashable | None = None  # inserted and not yet followed by an eviction
        self._newest_was_b2 = False

    def record_access(self, key: Hashable) -> None:
        if key in self._t1:
            del self._t1[key]
            self._t2[key] = None
        else:
            self._t2.move_to_end(key)

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        c = self.capacity or len(self._values)
        self._newest_was_b2 = False
        if key in self._b1:
            self._p = min(float(c), self._p + max(len(self._b2) / len(self._b1), 1.0))
            del self._b1[key]
            self._t2[key] = None
        elif key in self._b2:
            self._p = max(0.0, self._p - max(len(self._b1) / len(self._b2), 1.0))
            del self._b2[key]
            self._t2[key] = None
            self._newest_was_b2 = True
        else:
            if self.capacity:
                if len(self._t1) + len(self._b1) >= c and self._b1:
                    self._b1.popitem(last=False)
                elif self._b2 and len(self._values) + len(self._b1) + len(self._b2) > 2 * c:
                    self._b2.popitem(last=False)
            self._t1[key] = None
        self._newest = key
        return value

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        if key in self._t1:
            del self._t1[key]
        else:
            del self._t2[key]
        if key == self._newest:
            self._newest = None
        return value

    def _victim_list(self) -> OrderedDict[Hashable, None]:
        """ARC's REPLACE, with the key just inserted left out of T1's length."""
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        t1 = len(self._t1) - (self._newest is not None and self._newest in self._t1)
        if t1 and (t1 > self._p or (self._newest_was_b2 and t1 == int(self._p))):
            return self._t1
        return self._t2 if self._t2 else self._t1

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        source = self._victim_list()
        key, _ = source.popitem(last=False)
        (self._b1 if source is self._t1 else self._b2)[key] = None
        self._newest = None
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        return self._values[next(iter(self._victim_list()))] if self._values else None

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        keys = chain(reversed(self._t2), reversed(self._t1))
        return islice(
            (self._values[k] for k in keys), offset, None if limit is None else offset + limit
        )

    def clear(self) -> None:
        for part in (self._values, self._t1, self._t2, self._b1, self._b2):
            part.clear()
        self._p = 0.0
        self._newest = None
