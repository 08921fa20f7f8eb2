"""S3-FIFO (Yang et al., SOSP'23): a small FIFO filters one-hit wonders from a main FIFO."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator
from itertools import chain, islice
from typing import TypeVar

from ._base import ExpertPolicy

V = TypeVar("V")

SMALL_FRACTION = 0.1
MAX_FREQUENCY = 3


class S3FIFOPolicy(ExpertPolicy[V]):
    """New keys enter the small queue (10%); leaving it, a key read there moves to the main
    queue, others are evicted and remembered in a ghost queue. A ghost key comes back
    straight into main. Main is a FIFO that reinserts keys read since their last pass,
    with a 2-bit count."""

    name = "s3fifo"

    def __init__(self) -> None:
        super().__init__()
        self._small: OrderedDict[Hashable, None] = OrderedDict()
        self._main: OrderedDict[Hashable, None] = OrderedDict()
        self._ghost: OrderedDict[Hashable, None] = OrderedDict()
        self._freq: dict[Hashable, int] = {}

    def record_access(self, key: Hashable) -> None:
        freq = self._freq[key]
        if freq < MAX_FREQUENCY:
            self._freq[key] = freq + 1

    def touch_many(self, keys: Iterable[Hashable]) -> None:
        """``record_access`` for each key, inlined."""
        freq = self._freq
        for key in keys:
            count = freq[key]
            if count < MAX_FREQUENCY:
                freq[key] = count + 1

    def replay(
        self, keys: Iterable[Hashable], capacity: int, changed: list[Hashable] | None = None
    ) -> int:
        """``ResidentPolicy.replay`` with the hit (a count bump) inlined."""
        values, freq = self._values, self._freq
        insert, pop = self.insert_new, self.pop_victim
        hits = 0
        for key in keys:
            if key in values:
                hits += 1
                count = freq[key]
                if count < MAX_FREQUENCY:
                    freq[key] = count + 1
                continue
            insert(key, key)  # type: ignore[arg-type]  # a simulation: keys are the values
            if changed is not None:
                changed.append(key)
            if capacity:
                while len(values) > capacity:
                    dropped = pop()[0]
                    if changed is not None:
                        changed.append(dropped)
        return hits

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        self._freq[key] = 0
        if key in self._ghost:
            del self._ghost[key]
            self._main[key] = None
        else:
            self._small[key] = None
        return value

    def remove(self, key: Hashable) -> V:
        value = self._values.pop(key)
        del self._freq[key]
        if key in self._small:
            del self._small[key]
        else:
            del self._main[key]
        return value

    def _settle(self) -> OrderedDict[Hashable, None]:
        """Promote and reinsert until the front of the returned queue is the victim."""
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        small, main, freq = self._small, self._main, self._freq
        small_target = max(1, int(self.capacity * SMALL_FRACTION))
        while True:
            if small and (len(small) > small_target or not main):
                key = next(iter(small))
                if not freq[key]:
                    return small
                del small[key]
                freq[key] = 0
                main[key] = None
            else:
                key = next(iter(main))
                count = freq[key]
                if not count:
                    return main
                freq[key] = count - 1
                main.move_to_end(key)

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        source = self._settle()
        key, _ = source.popitem(last=False)
        del self._freq[key]
        if source is self._small:
            self._ghost[key] = None
            main_target = max(1, self.capacity - max(1, int(self.capacity * SMALL_FRACTION)))
            while len(self._ghost) > main_target:
                self._ghost.popitem(last=False)
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        """The next victim; promotes and reinserts keys on the way, as the eviction would."""
        return self._values[next(iter(self._settle()))] if self._values else None

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        keys = chain(reversed(self._main), reversed(self._small))
        values = self._values
        return islice((values[k] for k in keys), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        for part in (self._values, self._small, self._main, self._ghost, self._freq):
            part.clear()
