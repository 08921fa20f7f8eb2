"""Seeded synthetic request streams for demos and replays: Zipf, scan, loop, shifting."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

WorkloadName = Literal["zipf", "scan", "loop", "shifting"]
WORKLOADS: tuple[WorkloadName, ...] = ("zipf", "scan", "loop", "shifting")

PROJECTS = ("Atlas", "Borealis", "Cygnus", "Draco", "Eridanus", "Fornax", "Gemini", "Hydra")
AUDIENCES = ("engineers", "executives", "customers", "auditors")
TONES = ("neutral", "friendly", "formal")


@dataclass(frozen=True, slots=True)
class Request:
    """One synthetic request: a component and the context it is rendered with."""

    path: str
    context: Mapping[str, str]


def request_universe(paths: Sequence[str], variants: int = 6) -> list[Request]:
    """Every (path, context) pair a workload draws from: ``variants`` contexts per path."""
    contexts = [
        {
            "project_name": PROJECTS[i % len(PROJECTS)],
            "audience": AUDIENCES[i % len(AUDIENCES)],
            "tone": TONES[i % len(TONES)],
        }
        for i in range(max(1, variants))
    ]
    return [Request(p, c) for p in paths for c in contexts]


def _zipf_weights(n: int, skew: float) -> list[float]:
    cumulative = list(itertools.accumulate(1.0 / (rank**skew) for rank in range(1, n + 1)))
    total = cumulative[-1]
    return [c / total for c in cumulative]


def generate(
    universe: Sequence[Request],
    workload: WorkloadName = "zipf",
    *,
    skew: float = 1.1,
    seed: int = 7,
    loop_length: int | None = None,
    shift_every: int = 5000,
) -> Iterator[Request]:
    """An endless, reproducible stream of requests drawn from ``universe``.

    - ``zipf``: popularity follows rank**-skew (a few items get most requests).
    - ``scan``: every item once, in order, again and again (LRU's worst case when the
      universe exceeds the cache).
    - ``loop``: the first ``loop_length`` items in order, repeatedly.
    - ``shifting``: Zipf whose popular items change every ``shift_every`` requests.
    """
    if not universe:
        raise ValueError("a workload needs at least one component")
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; choose one of {', '.join(WORKLOADS)}")
    rng = random.Random(seed)
    n = len(universe)
    if workload == "scan":
        yield from itertools.cycle(universe)
    elif workload == "loop":
        yield from itertools.cycle(universe[: max(1, min(n, loop_length or n // 2 or 1))])
    else:
        order = list(universe)
        rng.shuffle(order)
        cumulative = _zipf_weights(n, max(0.0, skew))
        draw = rng.random
        pick = bisect.bisect_left
        count = 0
        while True:
            if workload == "shifting" and count and count % shift_every == 0:
                rng.shuffle(order)
            count += 1
            yield order[min(n - 1, pick(cumulative, draw()))]
