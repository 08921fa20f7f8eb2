"""ComponentCache vs cachetools.LRUCache + threading.RLock on Zipf traces (same run).

Request = get, then put on a miss. Target: ComponentCache's time per request is at most
the anchor's (median of per-round ratios <= 1.0) on a Zipf(1.0) trace (61% hits) and on a
miss-heavy Zipf(0.9) trace (about 47% hits: puts, each evicting one, dominate).
lru-dict, cachebox and functools.lru_cache are printed beside the first for information,
then real LIRS traces are replayed for hit ratios.

Run from the repository root:  python -m benchmarks.cache_throughput [--quick] [--check]
"""

from __future__ import annotations

import functools
import gzip
import random
import threading
import timeit
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path

from promptcache import ComponentCache

from ._common import (
    header,
    interleaved,
    median,
    parse_args,
    per_round_ratios,
    table,
    verdict,
)

CAPACITY = 1000
DISTINCT_KEYS = 20_000
ALPHA = 1.0
MISS_HEAVY_ALPHA = 0.9
SEED = 42
BIG_BUDGET_MB = 4096  # never the binding limit: entry count is
# The team's shared folder beside the checkout (/work/shared beside /work/main, or
# beside the folder of worktrees).
TRACES_DIR = next(
    (p / "shared" / "traces" for p in Path(__file__).resolve().parents[1:4]
     if (p / "shared" / "traces").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "traces",
)  # fmt: skip
LIRS_TRACES = ("gli", "ps", "multi2")

Trace = list[str]
Values = dict[str, str]
Replay = Callable[[Trace, Values], int]
"""Replays a trace through a fresh cache; returns the number of misses."""


def zipf_trace(requests: int, keys: int = DISTINCT_KEYS, alpha: float = ALPHA) -> Trace:
    """``requests`` component paths drawn from a Zipf(alpha) law over ``keys`` paths."""
    cumulative = list(accumulate(1.0 / (rank + 1) ** alpha for rank in range(keys)))
    total = cumulative[-1]
    rng = random.Random(SEED)
    paths = [f"components/c{k}.md" for k in range(keys)]
    last = keys - 1
    return [
        paths[min(bisect_right(cumulative, rng.random() * total), last)] for _ in range(requests)
    ]


def values_for(trace: Trace) -> Values:
    return {path: f"# {path}\nA short component about {path[12:-3]}.\n" for path in set(trace)}


# --------------------------------------------------------------------------- contenders


def replay_component_cache(trace: Trace, values: Values) -> int:
    cache = ComponentCache(max_size=CAPACITY, max_memory_mb=BIG_BUDGET_MB)
    get, put = cache.get, cache.put
    misses = 0
    for path in trace:
        if get(path, "") is None:
            misses += 1
            put(path, values[path], None, "")
    stats = cache.get_stats()
    assert stats["misses"] == misses and stats["total_requests"] == len(trace), stats
    return misses


def replay_cachetools_rlock(trace: Trace, values: Values) -> int:
    """The anchor: cachetools.LRUCache guarded by an RLock, keyed by (path, context)."""
    import cachetools

    cache: cachetools.LRUCache[tuple[str, str], str] = cachetools.LRUCache(maxsize=CAPACITY)
    lock = threading.RLock()
    get = cache.get
    misses = 0
    for path in trace:
        key = (path, "")
        with lock:
            value = get(key)
        if value is None:
            misses += 1
            with lock:
                cache[key] = values[path]
    return misses


def replay_lru_dict(trace: Trace, values: Values) -> int:
    from lru import LRU

    cache = LRU(CAPACITY)
    get = cache.get
    misses = 0
    for path in trace:
        key = (path, "")
        if get(key) is None:
            misses += 1
            cache[key] = values[path]
    return misses


def replay_cachebox(trace: Trace, values: Values) -> int:
    import cachebox

    cache = cachebox.LRUCache(maxsize=CAPACITY)
    get = cache.get
    misses = 0
    for path in trace:
        key = (path, "")
        if get(key) is None:
            misses += 1
            cache[key] = values[path]
    return misses


def replay_functools(trace: Trace, values: Values) -> int:
    @functools.lru_cache(maxsize=CAPACITY)
    def load(path: str, context: str = "") -> str:
        return values[path]

    for path in trace:
        load(path, "")
    return load.cache_info().misses


ANCHOR = "cachetools.LRUCache + RLock"
TARGET = "promptcache.ComponentCache"
CONTENDERS: dict[str, Replay] = {
    TARGET: replay_component_cache,
    ANCHOR: replay_cachetools_rlock,
    "lru-dict LRU (no lock)": replay_lru_dict,
    "cachebox.LRUCache": replay_cachebox,
    "functools.lru_cache (call)": replay_functools,
}


# --------------------------------------------------------------------------- per operation


def op_cases(ops: int) -> dict[str, Callable[[], object]]:
    """Hits only (1000 resident keys) and inserts only (each put a new key, evicting one).

    The caches are built once, outside the timed loops; ops > capacity, so each round's
    puts find none of their keys resident.
    """
    import cachetools

    resident = [f"components/c{k}.md" for k in range(CAPACITY)]
    hits = (resident * (ops // CAPACITY + 1))[:ops]
    fresh = [f"components/n{k}.md" for k in range(max(ops, 2 * CAPACITY))]
    value = "A short component."
    lock = threading.RLock()
    ours_hit = ComponentCache(max_size=CAPACITY, max_memory_mb=BIG_BUDGET_MB)
    ours_new = ComponentCache(max_size=CAPACITY, max_memory_mb=BIG_BUDGET_MB)
    anchor_hit: cachetools.LRUCache[tuple[str, str], str] = cachetools.LRUCache(CAPACITY)
    anchor_new: cachetools.LRUCache[tuple[str, str], str] = cachetools.LRUCache(CAPACITY)
    for path in resident:
        ours_hit.put(path, value)
        anchor_hit[(path, "")] = value

    def ours_get() -> None:
        get = ours_hit.get
        for path in hits:
            get(path, "")

    def ours_put() -> None:
        put = ours_new.put
        for path in fresh:
            put(path, value, None, "")

    def anchor_get() -> None:
        get = anchor_hit.get
        for path in hits:
            with lock:
                get((path, ""))

    def anchor_put() -> None:
        for path in fresh:
            with lock:
                anchor_new[(path, "")] = value

    return {
        "get (hit): ComponentCache": ours_get,
        "get (hit): anchor": anchor_get,
        "put (new key, evicts one): ComponentCache": ours_put,
        "put (new key, evicts one): anchor": anchor_put,
    }


def op_section(ops: int, rounds: int) -> None:
    print()
    print(f"Per operation, {ops:,} ops per case (informational: where the time goes)")
    times = interleaved(op_cases(ops), rounds)
    rows = []
    for kind in ("get (hit)", "put (new key, evicts one)"):
        ours, anchor = f"{kind}: ComponentCache", f"{kind}: anchor"
        ratios = per_round_ratios(times, ours, anchor)
        count = ops if kind.startswith("get") else max(ops, 2 * CAPACITY)
        rows.append(
            (
                kind,
                f"{median(times[ours]) / count * 1e9:.0f}",
                f"{median(times[anchor]) / count * 1e9:.0f}",
                f"{median(ratios):.2f}",
            )
        )
    table(("operation", "ComponentCache ns", "anchor ns", "ratio"), rows)


# --------------------------------------------------------------------------- readers


def readers_section(entries: int) -> None:
    """What a stats client's requests cost on a big cache, all under the cache's lock."""
    print()
    print(
        f"Reading a cache of {entries:,} entries, µs per call between the once-a-second walks"
        " (informational; the lock is held throughout)"
    )
    cache = ComponentCache(max_size=entries, max_memory_mb=BIG_BUDGET_MB)
    rng = random.Random(SEED)
    for k in range(entries):
        cache.put(f"components/c{k}.md", "A short component.")
    for _ in range(2 * entries):
        cache.get(f"components/c{rng.randrange(entries)}.md")
    for _ in range(2048):
        cache.record_load("components/c0.md", rng.random() / 100)
    calls: dict[str, Callable[[], object]] = {
        "get() one hit (for scale)": lambda: cache.get("components/c1.md"),
        "get_stats()": cache.get_stats,
        "snapshot(entry_limit=50)": lambda: cache.snapshot(entry_limit=50),
        "entries(50)": lambda: cache.entries(50),
        f"entries(1000, offset={entries - 1000:,})": lambda: cache.entries(1000, entries - 1000),
        "next_victim()": cache.next_victim,
    }
    rows = []
    for name, call in calls.items():
        call()  # the first deep page or ranking walks the cache: a second's worth of calls
        best = min(timeit.repeat(call, number=20, repeat=5)) / 20
        rows.append((name, f"{best * 1e6:,.1f}"))
    table(("call", "µs"), rows)


# --------------------------------------------------------------------------- LIRS traces


def read_lirs(name: str) -> list[str]:
    with gzip.open(TRACES_DIR / f"{name}.trace.gz", "rt") as handle:
        return [s for s in (line.strip() for line in handle) if s and s != "*"]


def lirs_section() -> None:
    print()
    print(f"LIRS traces through ComponentCache at capacity {CAPACITY} (informational)")
    if not TRACES_DIR.is_dir():
        print(f"   skipped: {TRACES_DIR} not found")
        return
    rows = []
    for name in LIRS_TRACES:
        path = TRACES_DIR / f"{name}.trace.gz"
        if not path.is_file():
            rows.append((name, "-", "-", "-", "missing"))
            continue
        trace = read_lirs(name)
        values = {key: f"block {key}" for key in set(trace)}
        ours = replay_component_cache(trace, values)
        anchor = replay_cachetools_rlock(trace, values)
        rows.append(
            (
                name,
                f"{len(trace):,}",
                f"{len(values):,}",
                f"{100 * (1 - ours / len(trace)):.2f}%",
                f"{100 * (1 - anchor / len(trace)):.2f}%",
            )
        )
    table(("trace", "requests", "distinct", "ComponentCache hit", "cachetools LRU hit"), rows)


# --------------------------------------------------------------------------- miss-heavy


def miss_heavy_section(requests: int, rounds: int) -> float:
    """The two contenders on Zipf(0.9); returns the median per-round ratio."""
    trace = zipf_trace(requests, alpha=MISS_HEAVY_ALPHA)
    values = values_for(trace)
    contenders = {TARGET: replay_component_cache, ANCHOR: replay_cachetools_rlock}
    misses = {name: replay(trace, values) for name, replay in contenders.items()}  # warm-up
    times = interleaved(
        {name: functools.partial(replay, trace, values) for name, replay in contenders.items()},
        rounds,
    )
    ratios = per_round_ratios(times, TARGET, ANCHOR)
    print()
    print(
        f"Miss-heavy: Zipf(alpha={MISS_HEAVY_ALPHA}) over {DISTINCT_KEYS:,} keys, "
        f"{requests:,} requests, capacity {CAPACITY}"
    )
    table(
        ("implementation", "ns/request", "ratio", "round range", "hit ratio"),
        [
            (
                name,
                f"{median(times[name]) / requests * 1e9:.0f}",
                f"{median(per_round_ratios(times, name, ANCHOR)):.3f}",
                f"{min(per_round_ratios(times, name, ANCHOR)):.3f}-"
                f"{max(per_round_ratios(times, name, ANCHOR)):.3f}",
                f"{100 * (1 - misses[name] / requests):.2f}%",
            )
            for name in contenders
        ],
    )
    print(f"{TARGET} / anchor per round: " + ", ".join(f"{r:.3f}" for r in ratios))
    return median(ratios)


# --------------------------------------------------------------------------- main


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    requests = 50_000 if args.quick else 200_000
    header(
        f"cache throughput: Zipf(alpha={ALPHA}) over {DISTINCT_KEYS:,} keys, {requests:,} "
        f"requests, capacity {CAPACITY}, {args.rounds} interleaved rounds"
    )
    trace = zipf_trace(requests)
    values = values_for(trace)
    misses = {name: replay(trace, values) for name, replay in CONTENDERS.items()}  # warm-up
    times = interleaved(
        {name: functools.partial(replay, trace, values) for name, replay in CONTENDERS.items()},
        args.rounds,
    )
    rows = []
    for name in CONTENDERS:
        ratios = per_round_ratios(times, name, ANCHOR)
        rows.append(
            (
                name,
                f"{median(times[name]) / requests * 1e9:.0f}",
                f"{median(ratios):.3f}",
                f"{min(ratios):.3f}-{max(ratios):.3f}",
                f"{100 * (1 - misses[name] / requests):.2f}%",
            )
        )
    print()
    table(("implementation", "ns/request", "ratio", "round range", "hit ratio"), rows)
    ratios = per_round_ratios(times, TARGET, ANCHOR)
    print()
    print(f"{TARGET} / anchor per round: " + ", ".join(f"{r:.3f}" for r in ratios))
    miss_heavy = miss_heavy_section(requests, args.rounds)
    op_section(requests // 2, args.rounds)
    readers_section(20_000 if args.quick else 100_000)
    lirs_section()
    print()
    result = median(ratios)
    failed = verdict(
        result <= 1.0,
        f"{TARGET} time per request = {result:.3f}x {ANCHOR} (target <= 1.0)",
        args.check,
    )
    failed |= verdict(
        miss_heavy <= 1.0,
        f"miss-heavy Zipf({MISS_HEAVY_ALPHA}): {TARGET} time per request = {miss_heavy:.3f}x "
        f"{ANCHOR} (target <= 1.0)",
        args.check,
    )
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
