"""Run every benchmark (with --quick unless --full) and summarise their verdicts.

Run from the repository root:  python -m benchmarks.run_all [--full] [--check]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = (
    "cache_throughput",
    "loader_hit",
    "memory_accounting",
    "check_speed",
    "tui_live",
    "live_reload",
    "server_overhead",
    "fleet_store",
    "policy_race",
)
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="default sizes instead of --quick")
    parser.add_argument("--check", action="store_true", help="exit non-zero if any target fails")
    args = parser.parse_args()
    verdicts: list[tuple[str, str, float]] = []
    for name in BENCHMARKS:
        command = [sys.executable, "-m", f"benchmarks.{name}"] + ([] if args.full else ["--quick"])
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        print(done.stdout, end="")
        if done.returncode != 0:
            print(done.stderr, end="", file=sys.stderr)
        lines = [x for x in done.stdout.splitlines() if x.startswith(("PASS", "FAIL"))]
        verdict = lines[-1] if lines else f"ERROR: exit status {done.returncode}"
        verdicts.append((name, verdict, elapsed))
        print()
    print("== summary")
    for name, verdict, elapsed in verdicts:
        print(f"{name:<18} {elapsed:5.1f} s  {verdict}")
    failed = any(not v.startswith("PASS") for _, v, _ in verdicts)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
