"""What stats clients cost an application: a big cache polled, and an unauthenticated flood.

The application's loop is in-process ``cache.get()`` over a fixed Zipf (skew 1.0) stream
of keys, every one a hit. Cases, in interleaved rounds, each on the same cache:

  big cache (100,000 entries):
    (a) a stats server, no client;
    (s) a client process polling ``state`` (50 entries, events) at 10 Hz;
    (e) the same polling ``entries`` (50) at 10 Hz;
    (t) the same polling ``stats`` at 10 Hz: one run of a tenth of the gets after the
        rounds (it is far slower), against (a)'s median rate.
  flood (1,000 entries, the server on TCP):
    (a) a stats server, no client;
    (f) a process whose 31 threads connect without a token and send ``{"v":1}`` lines
        as fast as the server takes them, reconnecting whenever it closes them.

Targets (issue 10, item 9): polling ``state`` at 10 Hz on the 100,000-entry cache costs
under 5% of the application's requests per second, 1 - (a)/(s) < 0.05; and the flood
costs next to nothing, 1 - (a)/(f) < 0.05. (``stats`` and ``entries`` are printed for
information.) The flood's own process competes for the CPU too: on a 2-core machine part
of any drop is that competition.

Run from the repository root:  python -m benchmarks.server_load [--quick] [--check]
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from promptcache import ComponentCache, StatsServer, serve_stats

from ._common import header, median, parse_args, per_round_ratios, table, verdict

ROOT = Path(__file__).resolve().parents[1]
POLL_FLAG = "--poll-client"
FLOOD_FLAG = "--flood-client"
POLL_HZ = 10.0
FLOOD_THREADS = 31
TOKEN = "benchmark-token-0123456789"
NO_CLIENT = "(a) server, no client"
POLLED = {
    "state": "(s) polling state",
    "stats": "(t) polling stats",
    "entries": "(e) polling entries",
}
FLOOD = "(f) 31 unauthenticated clients"


# ----------------------------------------------------------------- client processes


def poll_client(address: str, op: str) -> int:
    """Run as a subprocess: hello, then ``op`` at 10 Hz; one stdout line per answer."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(address.removeprefix("unix:"))
    stream = sock.makefile("rwb")
    ids = iter(range(1, 1 << 62))

    def call(name: str, **params: Any) -> dict[str, Any]:
        stream.write(json.dumps({"v": 1, "id": next(ids), "op": name, **params}).encode() + b"\n")
        stream.flush()
        line = stream.readline()
        if not line:
            raise SystemExit(0)  # the server went away: the run is over
        reply: dict[str, Any] = json.loads(line)
        if not reply["ok"]:
            raise SystemExit(f"poll client: {reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    call("hello", client="benchmarks.server_load")
    since, due = 0, time.monotonic()
    params: dict[str, Any] = {"entries": {"limit": 50}, "stats": {}}.get(op, {"entry_limit": 50})
    while True:
        if op == "state":
            params["events_since"] = since
            since = call(op, **params)["events_next"]
        else:
            call(op, **params)
        print("answer", flush=True)
        due += 1.0 / POLL_HZ
        time.sleep(max(0.0, due - time.monotonic()))


def flood_client(address: str) -> int:
    """Run as a subprocess: 31 threads sending ``{"v":1}`` lines without a hello."""
    host, _, port = address.removeprefix("tcp:").rpartition(":")
    line = b'{"v":1}\n' * 64
    answers = [0] * FLOOD_THREADS

    def flood(i: int) -> None:
        while True:
            try:
                with socket.create_connection((host, int(port)), timeout=5) as sock:
                    while True:
                        sock.sendall(line)
                        if not sock.recv(4096):
                            break
                        answers[i] += 1
            except OSError:
                pass

    for i in range(FLOOD_THREADS):
        threading.Thread(target=flood, args=(i,), daemon=True).start()
    print("flooding", flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin
    finally:
        print(f"answers {sum(answers)}", flush=True)
    return 0


@contextlib.contextmanager
def client_process(*args: str, ready: str) -> Iterator[list[str]]:
    """A client subprocess while the block runs; yields its output lines (set after)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server_load", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    if proc.stdout.readline() != ready:
        proc.kill()
        raise RuntimeError(f"the client {args[0]} did not start")
    lines: list[str] = []
    try:
        yield lines
    finally:
        proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
        proc.terminate()
        lines.extend(proc.stdout.read().splitlines())
        proc.wait(timeout=10)


# ----------------------------------------------------------------- the application


def filled_cache(entries: int) -> tuple[ComponentCache, list[tuple[str, frozenset[Any]]]]:
    cache = ComponentCache(max_size=entries, max_memory_mb=4096)
    keys = []
    for i in range(entries):
        path, context = f"components/c{i // 10:05d}.md", frozenset({("n", str(i % 10))})
        cache.put(path, f"content {i}", context_hash=context)
        keys.append((path, context))
    return cache, keys


def get_loop(cache: ComponentCache, keys: list[tuple[str, Any]], n: int) -> Callable[[], None]:
    weights = itertools.accumulate(1.0 / (rank + 1) for rank in range(len(keys)))
    stream = random.Random(7).choices(keys, cum_weights=list(weights), k=n)
    get = cache.get

    def run() -> None:
        for path, context in stream:
            get(path, context)

    return run


APP_CPU: dict[str, list[float]] = {}
"""The request loop thread's CPU seconds per case, run by run (for the app CPU column)."""


def time_once(run: Callable[[], None], case: str = "") -> float:
    """Wall seconds of one ``run``; its thread's CPU seconds go to ``APP_CPU[case]``."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.thread_time()
    run()
    APP_CPU.setdefault(case, []).append(time.thread_time() - cpu)
    return time.perf_counter() - wall


def measure(
    cases: dict[str, Callable[[Callable[[], None]], float]], run: Callable[[], None], rounds: int
) -> dict[str, list[float]]:
    """Interleaved rounds: each case times ``run`` once per round."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(cases[name](run))
    return times


def report(times: dict[str, list[float]], n: int) -> dict[str, float]:
    """Print the table; the median drop in requests/s of each case against (a)."""
    drops = {}
    rows = []
    for name, values in times.items():
        ratio = median(per_round_ratios(times, name, NO_CLIENT))
        drops[name] = 1 - 1 / ratio
        cpu = median([c / a for c, a in zip(APP_CPU[name], APP_CPU[NO_CLIENT], strict=False)])
        rows.append(
            (
                name,
                f"{n / median(values):,.0f}",
                f"{ratio:.4f}",
                f"{drops[name] * 100:.1f}%",
                f"{cpu:.4f}",
            )
        )
    table(("case", "requests/s", "time vs (a)", "fewer requests/s", "app CPU vs (a)"), rows)
    return drops


def polled_case(server: StatsServer, op: str, counts: list[int]) -> Callable[..., float]:
    def case(run: Callable[[], None]) -> float:
        with client_process(POLL_FLAG, server.address, op, ready="answer\n") as lines:
            seconds = time_once(run, POLLED[op])
        counts.append(lines.count("answer"))
        return seconds

    return case


def flood_case(server: StatsServer, counts: list[int]) -> Callable[..., float]:
    def case(run: Callable[[], None]) -> float:
        with client_process(FLOOD_FLAG, server.address, ready="flooding\n") as lines:
            time.sleep(0.3)  # let it get going
            seconds = time_once(run, FLOOD)
        counts.extend(int(x.split()[1]) for x in lines if x.startswith("answers "))
        return seconds

    return case


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == POLL_FLAG:
        return poll_client(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 3 and sys.argv[1] == FLOOD_FLAG:
        return flood_client(sys.argv[2])
    args = parse_args(__doc__.splitlines()[0], default_rounds=10, quick_rounds=3)
    n = 1_000_000 if args.quick else 2_000_000
    header(f"stats clients' cost: in-process get(), Zipf 1.0, {n:,} gets per run")
    status = 0
    with tempfile.TemporaryDirectory(prefix="pcl-") as tmp:
        os.chmod(tmp, 0o700)
        cache, keys = filled_cache(100_000)
        run = get_loop(cache, keys, n)
        with serve_stats(cache, f"unix:{tmp}/big.sock") as server:
            counts: dict[str, list[int]] = {op: [] for op in POLLED}
            cases: dict[str, Callable[[Callable[[], None]], float]] = {
                NO_CLIENT: lambda run: time_once(run, NO_CLIENT),
                POLLED["state"]: polled_case(server, "state", counts["state"]),
                POLLED["entries"]: polled_case(server, "entries", counts["entries"]),
            }
            run()  # warm-up
            print(f"-- 100,000 entries; a client process polls one op at {POLL_HZ:.0f} Hz")
            times = measure(cases, run, args.rounds)
            drops = report(times, n)
            short = get_loop(cache, keys, n // 10)
            stats_s = polled_case(server, "stats", counts["stats"])(short)
            stats_drop = 1 - (median(times[NO_CLIENT]) / n) / (stats_s / (n // 10))
            print(
                f"   {POLLED['stats']}: {(n // 10) / stats_s:,.0f} requests/s, one run: "
                f"{stats_drop * 100:.1f}% fewer"
            )
            answers = ", ".join(f"{op} {sum(c)}" for op, c in counts.items())
            print(f"   answers received while timed: {answers}")
        status |= verdict(
            drops[POLLED["state"]] < 0.05 and sum(counts["state"]) > 0,
            f"state at 10 Hz on 100,000 entries: {drops[POLLED['state']] * 100:.1f}% fewer "
            "requests/s (target < 5%)",
            args.check,
        )
        del cache, keys, run
        small, small_keys = filled_cache(1_000)
        run = get_loop(small, small_keys, n)
        with serve_stats(small, "tcp:127.0.0.1:0", token=TOKEN) as server:
            answered: list[int] = []
            APP_CPU.clear()
            cases = {
                NO_CLIENT: lambda run: time_once(run, NO_CLIENT),
                FLOOD: flood_case(server, answered),
            }
            print()
            print(f"-- 1,000 entries; {FLOOD_THREADS} threads of another process flood the port")
            drops = report(measure(cases, run, args.rounds), n)
            print(f"   answers the flood got, all rounds: {sum(answered):,}")
        status |= verdict(
            drops[FLOOD] < 0.05,
            f"unauthenticated flood: {drops[FLOOD] * 100:.1f}% fewer requests/s (target < 5%)",
            args.check,
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
