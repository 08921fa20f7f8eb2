"""The adaptive policy: the leading expert holds the cache; the others race on a sample."""

from __future__ import annotations

import math
import zlib
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from itertools import chain, islice
from typing import Any, Final, TypeVar

from ._base import ExpertPolicy, ResidentPolicy
from .lirs import LIRSPolicy
from .s3fifo import S3FIFOPolicy
from .wtinylfu import WTinyLFUPolicy

V = TypeVar("V")

Expert = ExpertPolicy[Any]
ExpertFactory = Callable[[], Expert]

SAMPLE_SHIFT: Final = 2
"""One key in ``2**SAMPLE_SHIFT`` (by a fixed hash) is shown to the miniature experts."""
MIN_MINIATURE: Final = 32
"""A miniature expert holds at least this many keys (or the whole capacity if smaller)."""
HALF_LIFE_FACTOR: Final = 8.0
"""An expert's score halves over this many times the capacity of (sampled) requests."""
SWITCH_MARGIN: Final = 0.02
"""A challenger leads once its recent hits beat the leader's by this share."""
SCORE_BATCH: Final = 64
"""Sampled requests wait until this many are ready to be played through the miniatures
(one call per expert per batch instead of per request)."""
HIT_LOG_LIMIT: Final = 1 << 16
"""Hits waiting for the next miss; in a longer run of hits the oldest are dropped."""
SAMPLE_MEMO_FACTOR: Final = 8
MIN_SAMPLE_MEMO: Final = 8192
"""Sample decisions are remembered for up to SAMPLE_MEMO_FACTOR times the capacity of
keys, at least MIN_SAMPLE_MEMO: a key missed again costs a dict lookup, not a CRC."""
_RESCALE_AT: Final = 1e150


def default_experts() -> list[ExpertFactory]:
    """LIRS (reuse distance: loops, scans), S3-FIFO (recency with quick demotion of
    one-hit keys) and W-TinyLFU (frequency)."""
    return [LIRSPolicy, S3FIFOPolicy, WTinyLFUPolicy]


def is_request(value: object) -> bool:
    """A ``requested`` predicate for using the policy without ComponentCache: false for a
    value with ``access_count == 0`` (how the cache's preloaded and warmed-up entries
    start); anything else counts as requested."""
    return getattr(value, "access_count", 1) != 0


def in_sample(key: Hashable, shift: int = SAMPLE_SHIFT) -> bool:
    """Whether a key is in the experts' sample: a fixed hash (Python's own str hash
    changes from run to run), so that runs are reproducible."""
    text = key if isinstance(key, str) else repr(key)
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) & ((1 << shift) - 1) == 0


class AdaptivePolicy(ResidentPolicy[V]):
    """Hold the cache with the expert that has the best recent hit ratio on a sample.

    After ARC, LeCaR and Cacheus, with spatial sampling after SHARDS (Waldspurger et al.,
    FAST'15): one key in four, chosen by a fixed hash, is replayed through a miniature of
    each expert (the leader's too, so that scores compare like with like) sized a quarter
    of the cache, at least 32. Each miniature's hits are counted with exponential decay
    (half-life of eight capacities of requests). The leading expert is not a shadow: it
    holds the resident keys itself, in this policy's dict, so a request costs one expert's
    work plus a quarter of every expert's. A hit is logged by a C call (``deque.append``);
    the log is played through the leader at the next miss or read of the policy, and the
    sampled requests through the miniatures in batches of 64.

    The capacity is learnt as the cache evicts (see ``ResidentPolicy``), so a memory bound
    that binds first shrinks the miniatures too.

    Switching leaders hands the resident keys to a fresh instance of the winner as
    *legacy* keys, in the old leader's eviction order: they are evicted first, oldest
    first, and one that is requested again joins the new leader as a new key.

    Preload: ComponentCache puts preloaded, warmed-up and moved entries through ``hold``,
    which keeps them as legacy keys, outside every expert, so they add to no frequency
    count, ghost or score. They are the first to go when room is needed, until a request
    reaches the experts as the key's first access. Given a ``requested`` predicate (such
    as ``is_request``), ``insert_new`` also holds the values for which it is false.
    """

    name = "adaptive"

    def __init__(
        self,
        experts: Sequence[ExpertFactory] | None = None,
        *,
        sample_shift: int = SAMPLE_SHIFT,
        requested: Callable[[object], bool] | None = None,
    ) -> None:
        super().__init__()
        self._factories = list(default_experts() if experts is None else experts)
        self._requested = requested  # None: every insert_new is a request
        self._sample_memo: dict[Hashable, bool] = {}
        self._memo_limit = MIN_SAMPLE_MEMO
        self._shift = sample_shift
        self._mask = (1 << sample_shift) - 1
        self.experts: list[Expert] = [make() for make in self._factories]
        """The miniature experts, over the sampled keys only."""
        self.scores = [0.0] * len(self.experts)
        """Each miniature's decayed hits, in units of the current ``_weight``."""
        self._weight = 1.0  # grows by 1/decay per sampled request, instead of decaying scores
        self._growth = 1.0
        self._miniature = 0  # the miniatures' capacity; 0 (unbounded) until one is learnt
        self.leader = 0
        self.switches = 0
        self.holder: Expert = self._adopt(self._factories[0]())
        """The leading expert, holding the resident keys (in this policy's dict)."""
        self._legacy: dict[Hashable, None] = {}  # resident keys outside the holder
        self._sampled: set[Hashable] = set()  # resident keys in the sample
        self._pending: list[Hashable] = []  # sampled requests not yet scored, in order
        self._log: deque[Hashable] = deque(maxlen=HIT_LOG_LIMIT)
        self.record_access: Callable[[Hashable], Any] = self._log.append

    def _adopt(self, expert: Expert) -> Expert:
        """Make ``expert`` keep its keys in this policy's dict (what ``get`` reads)."""
        expert._values = self._values
        expert.get = self._values.get
        expert.capacity = self.capacity
        return expert

    @property
    def leader_name(self) -> str:
        """The name of the expert holding the cache now."""
        self.sync()
        return str(self.holder.name)

    def sync(self) -> None:
        """Play the logged hits through the holder, and every pending sampled request
        through the miniatures."""
        self._drain_log()
        if self._pending:
            self._score()

    def _drain_log(self) -> None:
        """Play the logged hits through the holder; queue the sampled ones for scoring."""
        log = self._log
        if not log:
            return
        legacy = self._legacy
        if legacy:
            holder = self.holder
            for key in log:
                if key in legacy:
                    self._promote(key)
                else:
                    holder.record_access(key)
        else:
            self.holder.touch_many(log)
        sampled = self._sampled
        if sampled:
            pending = self._pending
            for key in log:
                if key in sampled:
                    pending.append(key)
        log.clear()

    def _promote(self, key: Hashable) -> None:
        """A legacy key was requested: it joins the holder as a new key."""
        del self._legacy[key]
        self.holder.insert_new(key, self._values.pop(key))

    def _score(self) -> None:
        """Pending sampled requests through every miniature; the hits add to the scores.
        A hit counts with the weight of the middle of the batch."""
        keys = self._pending
        self._pending = []
        start = self._weight
        end = start * self._growth ** len(keys)
        weight = math.sqrt(start * end)
        size, scores = self._miniature, self.scores
        for index, expert in enumerate(self.experts):
            scores[index] += expert.replay(keys, size) * weight
        self._weight = end
        if end > _RESCALE_AT:
            self.scores = [s / end for s in scores]
            self._weight = 1.0
        self._choose_leader()

    def _choose_leader(self) -> None:
        scores, lead = self.scores, self.leader
        best = lead
        for index, score in enumerate(scores):
            if score > scores[best]:
                best = index
        if best != lead and scores[best] > scores[lead] * (1.0 + SWITCH_MARGIN) + self._weight:
            self._switch(best)

    def _switch(self, best: int) -> None:
        """Hand the resident keys to a fresh ``best`` expert, as legacy keys in the old
        holder's eviction order (after the legacy keys there were already)."""
        old, values, legacy = self.holder, self._values, self._legacy
        held = [old.pop_victim() for _ in range(len(values) - len(legacy))]
        values.update(held)
        for key, _ in held:
            legacy[key] = None
        self.leader = best
        self.switches += 1
        self.holder = self._adopt(self._factories[best]())

    def insert_new(self, key: Hashable, value: V) -> V:
        values = self._values
        if key in values:  # (one lookup: the key is new in all but misuse)
            return values[key]
        check = self._requested
        if check is not None and not check(value):
            return self.hold(key, value)
        if self._log:
            self._drain_log()
        self.holder.insert_new(key, value)
        if self._in_sample(key):
            self._sampled.add(key)
            pending = self._pending
            pending.append(key)
            if len(pending) >= SCORE_BATCH:
                self._score()
        return value

    def hold(self, key: Hashable, value: V) -> V:
        """Store ``value`` as a preloaded one (setdefault): outside every expert, so it adds
        to no count, ghost or score, and evicted first, until it is requested. The cache
        moves its entries in this way when its policy is switched."""
        values = self._values
        if key in values:
            return values[key]
        if self._log:
            self._drain_log()
        values[key] = value
        self._legacy[key] = None
        if self._in_sample(key):
            self._sampled.add(key)
        return value

    def _in_sample(self, key: Hashable) -> bool:
        memo = self._sample_memo
        sampled = memo.get(key)
        if sampled is None:
            sampled = in_sample(key, self._shift)
            if len(memo) >= self._memo_limit:
                memo.clear()
            memo[key] = sampled
        return sampled

    def remove(self, key: Hashable) -> V:
        self.sync()
        self._sampled.discard(key)
        if key in self._legacy:
            del self._legacy[key]
            return self._values.pop(key)
        value: V = self.holder.remove(key)
        return value

    def _learn_capacity(self) -> None:
        capacity = len(self._values) - 1
        if capacity != self.capacity:
            self.capacity = capacity  # the holder learns it at its own evictions
            self._miniature = min(max(MIN_MINIATURE, capacity >> self._shift), capacity)
            self._memo_limit = max(MIN_SAMPLE_MEMO, SAMPLE_MEMO_FACTOR * capacity)
            self._growth = 2.0 ** (1.0 / (HALF_LIFE_FACTOR * max(1, self._miniature)))

    def pop_victim(self) -> tuple[Hashable, V]:
        if not self._values:
            raise KeyError("pop_victim(): the policy holds nothing")
        if self._log:
            self._drain_log()
        self._learn_capacity()
        legacy = self._legacy
        if legacy:
            key = next(iter(legacy))
            del legacy[key]
            victim = (key, self._values.pop(key))
        else:
            victim = self.holder.pop_victim()
        sampled = self._sampled
        if sampled:
            sampled.discard(victim[0])
        return victim

    def victim(self) -> V | None:
        if not self._values:
            return None
        self.sync()
        if self._legacy:
            return self._values[next(iter(self._legacy))]
        value: V | None = self.holder.victim()
        return value

    def ordered(self, limit: int | None = None, offset: int = 0) -> Iterator[V]:
        self.sync()
        values = self._values
        held = self.holder.ordered() if len(values) > len(self._legacy) else iter(())
        dropped = (values[k] for k in reversed(self._legacy))
        return islice(chain(held, dropped), offset, None if limit is None else offset + limit)

    def clear(self) -> None:
        self._values.clear()
        self._legacy.clear()
        self._sampled.clear()
        self._log.clear()
        self._pending.clear()
        self._sample_memo.clear()
        for expert in self.experts:
            expert.clear()
        self.scores = [0.0] * len(self.experts)
        self._weight = 1.0
        self.leader = 0
        self.holder = self._adopt(self._factories[0]())
