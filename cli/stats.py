"""``promptcache stats``: replay a workload or a trace through the real loader and cache."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from promptcache import HIT_RATIO_TARGET, CachedComponentLoader, ComponentCache, ComponentError
from promptcache.cache import MIB
from promptcache.replay import ReplayResult, read_trace, replay
from promptcache.workloads import WORKLOADS, WorkloadName, generate, request_universe

from .args import non_negative_float, positive_float, positive_int, whole_number
from .output import LazyProgress, UsageError, diagnostic, emit, existing_folder, plural, print_json
from .parsing import Subparsers

MAX_VARIANTS = 1000
"""Contexts per component a synthetic workload may ask for (each is held in memory)."""


def variant_count(text: str) -> int:
    """argparse type for --variants: 1 to ``MAX_VARIANTS``."""
    value = positive_int(text)
    if value > MAX_VARIANTS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_VARIANTS:,}, got {value:,}")
    return value


STATS_HELP = """\
Replay traffic through the real loader and cache and report the hit ratio (lifetime and
per phase), evictions by reason, memory and time-per-request percentiles.

Traffic is a synthetic --workload over DIR's components (default: the current folder;
components that cannot be loaded are left out; without --workload or --trace, the zipf
workload), or a --trace file: one request per line,
a component path relative to DIR, optionally followed by a TAB and a JSON object of
context variables; blank lines and lines starting with # are ignored.

  components/reporting/weekly-status.md
  components/reporting/weekly-status.md<TAB>{"project_name": "Atlas"}

Exit status: 0 done (failed loads are counted and reported); 2 bad input.
"""


def add_parser(commands: Subparsers) -> None:
    """Register ``promptcache stats`` and its options."""
    stats = commands.add_parser(
        "stats",
        help=STATS_HELP.splitlines()[0],
        description=STATS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stats.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR")
    source = stats.add_mutually_exclusive_group()
    source.add_argument(
        "--workload", choices=WORKLOADS, help="a synthetic request pattern (default: zipf)"
    )
    source.add_argument("--trace", type=Path, metavar="FILE", help="a trace file to replay")
    synthetic = stats.add_argument_group("synthetic workload (--workload)")
    synthetic.add_argument(
        "--requests", type=positive_int, metavar="N", help="requests to send (default: 20000)"
    )
    synthetic.add_argument(
        "--skew", type=non_negative_float, help="Zipf skew, higher is more concentrated (1.1)"
    )
    synthetic.add_argument(
        "--variants",
        type=variant_count,
        metavar="N",
        help=f"contexts per component (6; at most {MAX_VARIANTS:,})",
    )
    synthetic.add_argument("--seed", type=whole_number, metavar="N", help="random seed (7)")
    stats.add_argument(
        "--phase",
        type=positive_int,
        default=5000,
        metavar="N",
        help="requests per phase for per-phase hit ratios; the shifting workload moves its "
        "popular components at every phase (default: 5000)",
    )
    stats.add_argument(
        "--max-size", type=positive_int, default=100, metavar="N", help="most entries (100)"
    )
    stats.add_argument(
        "--max-memory-mb",
        type=positive_float,
        default=50.0,
        metavar="MIB",
        help="memory budget in MiB (50)",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(run=run)


DEFAULT_WORKLOAD: WorkloadName = "zipf"

_NOT_CACHED = "not cached: "


class _RefusalTally(logging.Handler):
    """Counts the loader's per-load ``not cached`` warnings (a refusal each) instead of
    printing them; other records go on to stderr as diagnostics."""

    def __init__(self, err: Console) -> None:
        super().__init__(logging.WARNING)
        self.err = err
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(_NOT_CACHED):
            self.count += 1
            if self.first is None:
                self.first = message.removeprefix(_NOT_CACHED)
        else:
            diagnostic(self.err, "stats", record.levelname.lower(), message)


@contextlib.contextmanager
def _tally_refusals(err: Console) -> Iterator[_RefusalTally]:
    """While active, the loader's warnings go to a ``_RefusalTally``, not one line each."""
    logger = logging.getLogger(CachedComponentLoader.__module__)
    tally = _RefusalTally(err)
    propagate = logger.propagate
    logger.addHandler(tally)
    logger.propagate = False
    try:
        yield tally
    finally:
        logger.removeHandler(tally)
        logger.propagate = propagate


def _loadable(loader: CachedComponentLoader) -> tuple[list[str], dict[str, str]]:
    good: list[str] = []
    bad: dict[str, str] = {}
    for path in loader.component_paths():
        try:
            loader.read_template(path)
        except ComponentError as exc:
            bad[path] = str(exc)
        else:
            good.append(path)
    return good, bad


def _mib(n: int) -> str:
    return f"{n / MIB:,.2f} MiB"


def _stats_lines(result: ReplayResult, title: str) -> list[Text]:
    def row(label: str, value: str | Text) -> Text:
        line = Text(f"{label:<12}", style="bold")
        line.append(value)
        return line

    def ratio(value: float) -> Text:
        return Text(f"{value:6.2f} %", style="green" if value >= HIT_RATIO_TARGET else "red")

    lines = [Text(title)]
    lifetime = ratio(result.hit_ratio)
    lifetime.append(
        f"  {result.hits:,} hits, {result.misses:,} misses of {result.requests:,} requests"
        f" ({result.failures:,} failed)"
    )
    lines.append(row("hit ratio", lifetime))
    for phase in result.phases:
        value = ratio(phase.hit_ratio)
        last = phase.start + phase.requests
        value.append(f"  phase {phase.index}: requests {phase.start + 1:,}-{last:,}", style="dim")
        lines.append(row("", value))
    evictions = ", ".join(f"{reason} {n:,}" for reason, n in result.evictions.items())
    lines.append(
        row("evictions", f"{result.total_evictions:,} ({evictions}); {result.rejected:,} refused")
    )
    lines.append(
        row(
            "memory",
            f"{_mib(result.memory_bytes)} of {_mib(result.max_memory_bytes)} "
            f"(peak {_mib(result.peak_memory_bytes)}); "
            f"{result.entries:,} of {result.max_size:,} entries",
        )
    )
    for name, label in (("miss", "miss (load)"), ("hit", "hit"), ("all", "all")):
        p = result.latency[name]
        lines.append(
            row(
                "time" if name == "miss" else "",
                f"{label:<12}p50 {p.p50_ms:8.3f} ms  p95 {p.p95_ms:8.3f} ms  "
                f"p99 {p.p99_ms:8.3f} ms  ({p.count:,})",
            )
        )
    return lines


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``promptcache stats``."""
    folder = existing_folder(args.folder)
    if args.trace is not None:
        given = [
            option
            for option, value in (
                ("--requests", args.requests),
                ("--skew", args.skew),
                ("--variants", args.variants),
                ("--seed", args.seed),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)}: only with --workload, not with --trace")
    try:
        cache = ComponentCache(
            max_size=args.max_size, max_memory_mb=args.max_memory_mb, hot_components={}
        )
    except ValueError as exc:  # a limit the cache cannot use (1e308 MiB overflows)
        raise UsageError(f"--max-memory-mb / --max-size: {exc}") from None
    loader = CachedComponentLoader(folder, cache)
    try:
        source: dict[str, Any]
        left_out: dict[str, str] = {}
        requests: Iterable[tuple[str, Mapping[str, Any] | None]]
        if args.trace is not None:
            trace = read_trace(args.trace, loader.base_path)
            if not trace:
                raise UsageError(f"{args.trace}: the trace holds no requests")
            total = len(trace)
            components = len({path for path, _ in trace})
            requests = trace
            source = {"trace": str(args.trace)}
            title = f"trace {args.trace}"
        else:
            paths, left_out = _loadable(loader)
            if not paths:
                raise UsageError(f"{folder}: no loadable components in the folder")
            workload: WorkloadName = args.workload or DEFAULT_WORKLOAD
            total = args.requests or 20_000
            skew = 1.1 if args.skew is None else args.skew
            variants = args.variants or 6
            seed = 7 if args.seed is None else args.seed
            universe = request_universe(paths, variants)
            stream = generate(universe, workload, skew=skew, seed=seed, shift_every=args.phase)
            requests = ((r.path, r.context) for r in itertools.islice(stream, total))
            components = len(paths)
            source = {
                "workload": workload,
                "skew": skew,
                "variants": variants,
                "seed": seed,
            }
            title = f"{workload} workload (skew {skew}, {variants} variants, seed {seed})"
        for why in left_out.values():
            diagnostic(err, "stats", "warning", f"left out, cannot be loaded: {why}")
        progress = LazyProgress(err, total, "replaying")
        try:
            with _tally_refusals(err) as refusals:
                result = replay(loader, requests, phase_size=args.phase, progress=progress)
        finally:
            progress.stop()
    finally:
        loader.close()
    if refusals.count:
        diagnostic(
            err,
            "stats",
            "warning",
            f"{plural(refusals.count, 'load')} not cached, each too large for the whole cache; "
            f"first: {refusals.first} (raise --max-memory-mb)",
        )
    if result.failures:
        first = next(iter(result.failed_paths.values()), "")
        diagnostic(
            err,
            "stats",
            "warning",
            f"{plural(result.failures, 'request')} failed; first: {first}",
        )
    if args.json:
        data = {
            "folder": str(loader.base_path),
            "source": source,
            "components": components,
            "left_out": left_out,
            "cache": {"max_size": args.max_size, "max_memory_mb": args.max_memory_mb},
            "phase_size": args.phase,
            **result.to_dict(),
        }
        print_json(out, data)
    else:
        header = (
            f"{plural(result.requests, 'request')} from the {title} over "
            f"{plural(components, 'component')} of {loader.base_path}, in {result.seconds:.2f} s"
        )
        emit(out, _stats_lines(result, header))
    return 0
