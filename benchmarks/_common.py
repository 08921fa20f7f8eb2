"""Shared helpers: command line, interleaved rounds, medians, tables and the verdict."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

Timed = Callable[[], object]


def parse_args(
    description: str, *, timed: bool = True, default_rounds: int = 7, quick_rounds: int = 5
) -> argparse.Namespace:
    """The options every benchmark takes: --quick, --check (and --rounds when timed)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a ~5 s run with a smaller workload")
    parser.add_argument("--check", action="store_true", help="exit non-zero when the target fails")
    if timed:
        parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds to run")
    args = parser.parse_args()
    if timed and args.rounds is None:
        args.rounds = quick_rounds if args.quick else default_rounds
    return args


def header(title: str) -> None:
    """Print what ran where: the numbers only mean something beside this line."""
    print(f"== {title}")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"   {python}, {platform.machine()}, {os.cpu_count()} CPUs")


def time_once(fn: Timed, clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds one call of ``fn`` takes, after a full collection (the GC stays enabled)."""
    gc.collect()
    start = clock()
    fn()
    return clock() - start


def interleaved(
    cases: dict[str, Timed], rounds: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, list[float]]:
    """Time every case once per round; each round starts the rotation one case later.

    Interleaving spreads the machine's slow moments over all cases, so per-round ratios
    between cases are far steadier than ratios of separately measured totals. For
    single-threaded CPU-bound cases, ``clock=time.process_time`` also leaves out the time
    other processes take the CPU away (a shared machine).
    """
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(time_once(cases[name], clock))
    return times


def per_round_ratios(times: dict[str, list[float]], name: str, anchor: str) -> list[float]:
    """``name``'s time over ``anchor``'s, round by round."""
    return [a / b for a, b in zip(times[name], times[anchor], strict=True)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain fixed-width table (first column left-aligned, the rest right-aligned)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def verdict(ok: bool, message: str, check: bool) -> int:
    """Print the PASS/FAIL line; return the exit status (non-zero only on FAIL with --check)."""
    print(f"{'PASS' if ok else 'FAIL'}: {message}")
    return 1 if check and not ok else 0
