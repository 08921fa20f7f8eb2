"""Belady's OPT, the race of policies, and reading trace files."""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import random
from pathlib import Path

import pytest

from promptcache.policies.opt import opt_hits
from promptcache.policies.race import OPT, Race, TraceFormatError, read_keys

SHARED_TRACES = Path(__file__).resolve().parents[3] / "shared" / "traces"
"""The team's traces, beside the repository (as in CI: ``../shared/traces``)."""


def best_possible_hits(trace: list[int], capacity: int) -> int:
    """Exhaustive search over every admission and eviction choice."""
    states: dict[frozenset[int], int] = {frozenset(): 0}
    for key in trace:
        following: dict[frozenset[int], int] = {}
        for held, hits in states.items():
            if key in held:
                options = [(held, hits + 1)]
            else:
                options = [(held, hits)]  # leave it out
                if len(held) < capacity:
                    options.append((held | {key}, hits))
                else:
                    options += [((held - {out}) | {key}, hits) for out in held]
            for state, score in options:
                if following.get(state, -1) < score:
                    following[state] = score
        states = following
    return max(states.values())


@pytest.mark.parametrize("seed", range(25))
def test_opt_is_the_exhaustive_optimum(seed: int) -> None:
    rng = random.Random(seed)
    trace = [rng.randrange(5) for _ in range(rng.randrange(1, 13))]
    capacity = rng.randrange(1, 4)
    assert sum(opt_hits(trace, capacity)) == best_possible_hits(trace, capacity)


def test_opt_on_a_loop_keeps_what_fits() -> None:
    trace = list(range(7)) * 4
    assert sum(opt_hits(trace, 4)) == best_possible_hits(trace, 4) > 0
    assert sum(opt_hits(list(range(10)) * 20, 10)) == 190  # all fit: only cold misses
    with pytest.raises(ValueError, match="capacity"):
        list(opt_hits(trace, 0))


def test_race_on_a_loop_lru_collapses_and_adaptive_follows_opt() -> None:
    trace = list(range(200)) * 30
    race = Race(trace, 100, ["lru", "adaptive", "lirs"])
    snapshots = list(race.steps(1000))
    assert [s.requests for s in snapshots] == list(range(1000, 6001, 1000))
    final = snapshots[-1]
    assert final.done and final.total == 6000
    ratios = final.ratios()
    assert ratios["lru"] == 0.0
    assert ratios[OPT] - ratios["adaptive"] < 3.0 and ratios[OPT] >= ratios["lirs"]
    series = {r.name: r.series for r in final.racers}
    assert len(series["adaptive"]) == 6 and series["lru"] == (0.0,) * 6
    assert series["adaptive"][-1] == pytest.approx(ratios["adaptive"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.requests = 0  # type: ignore[misc]
    # An earlier snapshot does not change as the race goes on.
    assert snapshots[0].racers[0].series == (0.0,)


def test_race_run_reports_progress_and_equals_stepping() -> None:
    trace = [k % 37 + (k // 500) * 50 for k in range(3000)]
    seen: list[int] = []
    run = Race(trace, 20, ["lru", "s3fifo"]).run(step=700, progress=seen.append)
    stepped = list(Race(trace, 20, ["lru", "s3fifo"]).steps(1000))[-1]
    assert run.ratios() == stepped.ratios()
    assert seen[-1] == 3000 and seen == sorted(seen)


def test_race_rejects_a_bad_capacity_and_policy() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Race([1, 2], 0)
    with pytest.raises(ValueError, match="unknown eviction policy"):
        Race([1, 2], 2, ["nope"])


def test_read_keys_gzip_plain_and_checkpoints(tmp_path: Path) -> None:
    plain = tmp_path / "t.txt"
    plain.write_text("a\n\n*\nb\r\n a \n", encoding="utf-8")
    packed = tmp_path / "t.gz"
    packed.write_bytes(gzip.compress(b"1\n*\n2\n1\n"))
    assert read_keys(plain) == ["a", "b", "a"]
    assert read_keys(packed) == ["1", "2", "1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "holds no requests"),
        (b"*\n\n", "holds no requests"),
        (b"\xff\xfe\n", "not UTF-8"),
        (b"\x1f\x8b broken", "damaged gzip"),
    ],
)
def test_read_keys_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(TraceFormatError, match=message):
        read_keys(path)
    with pytest.raises(TraceFormatError, match="no such trace file"):
        read_keys(tmp_path / "missing")
    with pytest.raises(TraceFormatError, match="is a folder"):
        read_keys(tmp_path)


def test_shared_gli_trace_prefix() -> None:
    """The glimpse trace's loops: LRU far below; the adaptive policy close to OPT."""
    keys = read_keys(SHARED_TRACES / "gli.trace.gz")[:4000]
    ratios = Race(keys, 500, ["lru", "adaptive", "lirs"]).run().ratios()
    assert ratios["lru"] < 5.0 < ratios["lirs"] - 15.0
    assert ratios[OPT] >= max(ratios["adaptive"], ratios["lirs"], ratios["lru"])
    assert abs(ratios["adaptive"] - ratios["lirs"]) < 2.0


def test_adaptive_beats_each_expert_somewhere_unseen() -> None:
    """A trace the policy was not tuned on: phases of a loop, then a Zipf-like hot set,
    then a sliding window; the adaptive policy stays near the best expert of each."""
    rng = random.Random(5)
    loop = list(range(300)) * 8
    hot = [int(rng.paretovariate(1.0)) % 2000 + 1000 for _ in range(4000)]
    sliding = [5000 + i // 4 + rng.randrange(40) for i in range(4000)]
    trace = list(itertools.chain(loop, hot, sliding))
    ratios = Race(trace, 120, ["adaptive", "lru", "lirs", "wtinylfu"]).run().ratios()
    best = max(ratios["lru"], ratios["lirs"], ratios["wtinylfu"])
    assert ratios["adaptive"] >= best - 2.0
