"""The adaptive policy: simulate a few expert policies and keep what the recent best keeps."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from itertools import chain, islice
from typing import Any, TypeVar

from ..policy import LRUPolicy
from ._base import ResidentPolicy
from .lirs import LIRSPolicy
from .s3fifo import S3FIFOPolicy
from .wtinylfu import WTinyLFUPolicy

V = TypeVar("V")

Expert = Any  # a policy over keys only (each value is its key) with a ``replay`` method

HALF_LIFE_FACTOR = 8.0
"""An expert's score halves over this many times the capacity of requests."""
SWITCH_MARGIN = 0.02
"""A challenger leads once its recent hits beat the leader's by this share."""
HIT_LOG_LIMIT = 1 << 16
"""Hits waiting to be replayed through the experts; in a longer run of hits without a
miss (when nothing is evicted anyway) the oldest are dropped."""
_RESCALE_AT = 1e150


def default_experts() -> list[Expert]:
    """LIRS (reuse distance: loops, scans), W-TinyLFU (frequency), S3-FIFO (quick
    demotion of one-hit keys) and LRU (recency)."""
    return [LIRSPolicy(), WTinyLFUPolicy(), S3FIFOPolicy(), LRUPolicy()]


def is_request(value: object) -> bool:
    """False for a value put without a request: ComponentCache's preloaded and warmed-up
    entries start with ``access_count == 0``; anything else counts as requested."""
    return getattr(value, "access_count", 1) != 0


class AdaptivePolicy(ResidentPolicy[V]):
    """Follow the expert with the best recent hit ratio (after ARC, LeCaR and Cacheus).

    Every request is replayed through each expert, a key-only copy of a reference policy
    sized like the cache. Each expert's hits are counted with exponential decay (half-life
    of eight capacities of requests), and the cache keeps what the leading expert keeps:
    a victim is a resident key the leader does not hold, the one it dropped longest ago;
    only when there is none does the leader choose. After a switch, the cache converges on
    the new leader's contents over the next misses, at no extra cost.

    A hit only appends the key to a log (a C call, as cheap as LRU's reordering); the log
    is replayed through the experts, in order, at the next miss or read of the policy
    (``victim``, ``ordered``, ``sync``), which gives the same result as replaying each hit
    at once, since nothing is evicted in between.

    Preload: a value for which ``requested`` is false (preloaded or warmed up) is held but
    not shown to the experts, so it adds to no frequency count, ghost or score. It is the
    first to go when room is needed, until a request for it reaches the experts as the
    key's first access.
    """

    name = "adaptive"

    def __init__(
        self,
        experts: Sequence[Expert] | None = None,
        *,
        requested: Callable[[object], bool] = is_request,
    ) -> None:
        super().__init__()
        self.experts: list[Expert] = list(default_experts() if experts is None else experts)
        self._requested = requested
        self.scores = [0.0] * len(self.experts)
        """Each expert's decayed hits, in units of the current ``_weight``."""
        self._weight = 1.0  # grows by 1/decay per request, instead of decaying every score
        self._growth = 1.0
        self.leader = 0
        # Resident keys the leader does not hold, the oldest first.
        self._outside: dict[Hashable, None] = {}
        self.switches = 0
        self._log: deque[Hashable] = deque(maxlen=HIT_LOG_LIMIT)
        self.record_access: Callable[[Hashable], Any] = self._log.append

    @property
    def leader_name(self) -> str:
        """The name of the expert followed now."""
        self.sync()
        return str(self.experts[self.leader].name)

    def sync(self) -> None:
        """Replay the logged hits through the experts."""
        if self._log:
            self._replay(self._log)
            self._log.clear()

    def _replay(self, keys: Sequence[Hashable]) -> None:
        """Requests through every expert, in order; keeps ``_outside`` in step with the
        leader and adds the hits to the scores. A hit counts with the weight of the middle
        of the batch (batches are short next to the scores' half-life)."""
        start = self._weight
        end = start * self._growth ** len(keys)
        weight = math.sqrt(start * end)
        lead = self.leader
        changed: list[Hashable] = []
        for index, expert in enumerate(self.experts):
            hits = expert.replay(keys, self.capacity, changed if index == lead else None)
            self.scores[index] += hits * weight
        if changed:
            leader, values, outside = self.experts[lead], self._values, self._outside
            for key in changed:
                if key in values and key not in leader:
                    outside.setdefault(key, None)
                else:
                    outside.pop(key, None)
        self._weight = end
        if end > _RESCALE_AT:
            self.scores = [s / end for s in self.scores]
            self._weight = 1.0

    def _choose_leader(self) -> None:
        scores, lead = self.scores, self.leader
        best = lead
        for index, score in enumerate(scores):
            if score > scores[best]:
                best = index
        if best != lead and scores[best] > scores[lead] * (1.0 + SWITCH_MARGIN) + self._weight:
            self.leader = best
            self.switches += 1
            leader = self.experts[best]
            self._outside = {k: None for k in self._values if k not in leader}

    def insert_new(self, key: Hashable, value: V) -> V:
        old = self._values.setdefault(key, value)
        if old is not value:
            return old
        if self._log:
            self.sync()
        if self._requested(value):
            self._replay((key,))
            self._choose_leader()
            if key not in self.experts[self.leader]:
                self._outside[key] = None
        else:
            self._outside[key] = None
        return value

    def remove(self, key: Hashable) -> V:
        self.sync()
        self._outside.pop(key, None)
        return self._values.pop(key)

    def _learn_capacity(self) -> None:
        before = self.capacity
        super()._learn_capacity()
        if self.capacity != before:
            self._growth = 2.0 ** (1.0 / (HALF_LIFE_FACTOR * max(1, self.capacity)))

    def _next_outside(self) -> Hashable:
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        self.sync()
        outside, values = self._outside, self._values
        leader = self.experts[self.leader]
        while not outside:  # the leader holds every resident key: let it choose
            dropped = leader.pop_victim()[0]
            if dropped in values:
                outside[dropped] = None
        return next(iter(outside))

    def pop_victim(self) -> tuple[Hashable, V]:
        self._learn_capacity()
        key = self._next_outside()
        del self._outside[key]
        return key, self._values.pop(key)

    def victim(self) -> V | None:
        return self._values[self._next_outside()] if self._values else None

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        self.sync()
        values, outside = self._values, self._outside
        leader = self.experts[self.leader]
        held = (values[k] for k in leader.ordered() if k in values and k not in outside)
        dropped = (values[k] for k in reversed(outside))
        return islice(chain(held, dropped), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        self._values.clear()
        self._outside.clear()
        self._log.clear()
        for expert in self.experts:
            expert.clear()
        self.scores = [0.0] * len(self.experts)
        self._weight = 1.0
        self.leader = 0
