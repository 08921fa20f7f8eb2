"""A race of eviction policies over one trace: the model behind ``promptcache race``.

No Textual here: a ``Race`` replays requests through several fresh policies of one
capacity, and through Belady's OPT, and hands out immutable ``RaceSnapshot``s, so a
widget only draws them.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, cast

from ..errors import PromptCacheError
from ..policy import EvictionPolicy
from ..workloads import WorkloadName, generate, request_universe
from . import POLICIES, make_policy
from .opt import opt_hits

OPT = "opt"
DEFAULT_RACERS: tuple[str, ...] = ("lru", "adaptive", "lirs", "wtinylfu", "s3fifo", "arc")


class TraceFormatError(PromptCacheError):
    """A trace file that cannot be read as keys, one a line."""


def read_keys(path: str | Path) -> list[str]:
    """The keys of a trace file: one a line, gzip or plain text; blank lines and the
    ``*`` checkpoint lines of the LIRS traces are skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TraceFormatError(f"{path}: no such trace file") from None
    except IsADirectoryError:
        raise TraceFormatError(f"{path}: is a folder, not a trace file") from None
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read ({exc.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise TraceFormatError(f"{path}: damaged gzip file ({exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceFormatError(f"{path}: not UTF-8 text (byte offset {exc.start})") from None
    keys = [line for line in (raw_line.strip() for raw_line in text.splitlines()) if line]
    keys = [k for k in keys if k != "*"]
    if not keys:
        raise TraceFormatError(f"{path}: holds no requests")
    return keys


@dataclass(frozen=True, slots=True)
class RacerState:
    """One policy's standing: hits so far, its hit ratio (%) so far at each checkpoint
    (``series``) and within each step between checkpoints (``steps``)."""

    name: str
    hits: int
    series: tuple[float, ...]
    steps: tuple[float, ...] = ()

    def hit_ratio(self, requests: int) -> float:
        """Hit ratio in % over ``requests`` (0 when there were none)."""
        return 100.0 * self.hits / requests if requests else 0.0


@dataclass(frozen=True, slots=True)
class RaceSnapshot:
    """The race after ``requests`` requests; ``racers`` end with OPT when it runs."""

    capacity: int
    requests: int
    total: int
    checkpoints: tuple[int, ...]
    racers: tuple[RacerState, ...]

    @property
    def done(self) -> bool:
        """Whether every request of the trace was replayed."""
        return self.requests >= self.total

    def ratios(self) -> dict[str, float]:
        """Name -> hit ratio in %."""
        return {r.name: r.hit_ratio(self.requests) for r in self.racers}


def count_hits(policy: EvictionPolicy[Any], keys: Iterable[Hashable], capacity: int) -> int:
    """Hits of ``policy`` over ``keys`` as ComponentCache drives it, with unit-size entries
    and room for ``capacity`` of them (each key is its own value)."""
    get, touch, insert, pop = (
        policy.get, policy.record_access, policy.insert_new, policy.pop_victim,
    )  # fmt: skip
    hits = 0
    for key in keys:
        if get(key) is not None:
            hits += 1
            touch(key)
        else:
            insert(key, key)
            if len(policy) > capacity:
                pop()
    return hits


class _Racer:
    def __init__(self, name: str, policy: EvictionPolicy[Any], capacity: int) -> None:
        self.name = name
        self.policy = policy
        self.capacity = capacity
        self.hits = 0
        self.series: list[float] = []
        self.steps: list[float] = []

    def replay(self, keys: Sequence[Hashable]) -> None:
        self.hits += count_hits(self.policy, keys, self.capacity)


class Race:
    """Several policies, each a fresh one of ``capacity`` entries, and OPT on one trace.

    Args:
        trace: The whole request sequence (OPT needs the future).
        capacity: Entries each policy may keep.
        policies: Names from ``POLICIES`` or ``(name, policy)`` pairs.
        opt: Also run Belady's OPT.
    """

    def __init__(
        self,
        trace: Sequence[Hashable],
        capacity: int,
        policies: Sequence[str | tuple[str, EvictionPolicy[Any]]] = DEFAULT_RACERS,
        *,
        opt: bool = True,
    ) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"capacity must be a whole number of at least 1, not {capacity!r}")
        self.trace = trace
        self.capacity = capacity
        self._racers: list[_Racer] = []
        for entry in policies:
            name, policy = (entry, make_policy(entry)) if isinstance(entry, str) else entry
            self._racers.append(_Racer(name, policy, capacity))
        self._opt: list[bool] | None = None
        self._opt_hits = 0
        self._opt_series: list[float] = []
        self._opt_steps: list[float] = []
        self._with_opt = opt
        self.requests = 0
        self._checkpoints: list[int] = []

    def _opt_table(self, progress: Callable[[int], object] | None) -> list[bool]:
        if self._opt is None:
            self._opt = list(opt_hits(self.trace, self.capacity, progress=progress))
        return self._opt

    def advance(self, count: int) -> RaceSnapshot:
        """Replay the next ``count`` requests (fewer at the end) and return the standings."""
        start = self.requests
        stop = min(len(self.trace), start + max(0, count))
        chunk = self.trace[start:stop]
        before = {racer.name: racer.hits for racer in self._racers}
        opt_before = self._opt_hits
        for racer in self._racers:
            racer.replay(chunk)
        if self._with_opt:
            self._opt_hits += sum(self._opt_table(None)[start:stop])
        self.requests = stop
        self._checkpoints.append(stop)
        span = stop - start
        for racer in self._racers:
            racer.series.append(100.0 * racer.hits / stop if stop else 0.0)
            racer.steps.append(100.0 * (racer.hits - before[racer.name]) / span if span else 0.0)
        self._opt_series.append(100.0 * self._opt_hits / stop if stop else 0.0)
        self._opt_steps.append(100.0 * (self._opt_hits - opt_before) / span if span else 0.0)
        return self.snapshot()

    def run(
        self, step: int = 16384, progress: Callable[[int], object] | None = None
    ) -> RaceSnapshot:
        """Replay the rest of the trace; ``progress(done)`` is called along the way."""
        if self._with_opt:
            self._opt_table(progress)
        snap = self.snapshot()
        while not snap.done:
            snap = self.advance(step)
            if progress is not None:
                progress(snap.requests)
        return snap

    def steps(self, step: int) -> Iterator[RaceSnapshot]:
        """Snapshots every ``step`` requests until the trace ends."""
        snap = self.snapshot()
        while not snap.done:
            snap = self.advance(step)
            yield snap

    def snapshot(self) -> RaceSnapshot:
        """The standings now, as an immutable value."""
        racers = [RacerState(r.name, r.hits, tuple(r.series), tuple(r.steps)) for r in self._racers]
        if self._with_opt:
            opt = RacerState(OPT, self._opt_hits, tuple(self._opt_series), tuple(self._opt_steps))
            racers.append(opt)
        return RaceSnapshot(
            self.capacity, self.requests, len(self.trace), tuple(self._checkpoints), tuple(racers)
        )


WORKLOAD_KEYS_PER_ENTRY = 3
"""A workload race draws from three keys per cache entry: a loop of half of them is longer
than the cache, the case where LRU never hits."""


def workload_trace(
    workload: str, capacity: int, requests: int, *, skew: float = 1.1, seed: int = 7
) -> list[int]:
    """``requests`` keys of a demo workload (zipf, scan, loop, shifting) over
    ``3 x capacity`` keys, reproducible from ``seed``."""
    universe = request_universe([str(i) for i in range(WORKLOAD_KEYS_PER_ENTRY * capacity)], 1)
    index = {id(request): i for i, request in enumerate(universe)}
    name = cast("WorkloadName", workload)  # generate() rejects an unknown name
    stream = generate(universe, name, skew=skew, seed=seed, shift_every=4 * capacity)
    return [index[id(request)] for request in islice(stream, requests)]


def workload_race(
    workload: str,
    capacity: int,
    policies: Sequence[str] = ("lru", "adaptive", "lirs"),
    *,
    requests: int = 20_000,
    seed: int = 7,
) -> Race:
    """A race over a demo workload, each policy with ``capacity`` entries, and OPT."""
    return Race(workload_trace(workload, capacity, requests, seed=seed), capacity, policies)


__all__ = [
    "DEFAULT_RACERS",
    "OPT",
    "POLICIES",
    "Race",
    "RaceSnapshot",
    "RacerState",
    "read_keys",
    "workload_race",
    "workload_trace",
]
