"""``promptcache race``: replay a trace through several eviction policies and Belady's OPT."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from promptcache import POLICIES, PromptCacheError
from promptcache.policies.race import DEFAULT_RACERS, OPT, Race, RaceSnapshot, read_keys

from .args import positive_int
from .output import LazyProgress, UsageError, diagnostic, emit, plural

RACE_HELP = """\
Replay a trace through each eviction policy, every one with the same capacity, and through
Belady's OPT (the best any policy could do, computed from the trace's future). Prints each
policy's hit ratio over the whole trace, cold start included, and its distance to OPT.

TRACE: one key per line, plain text or gzip (the LIRS traces in shared/traces); blank
lines and `*` checkpoint lines are skipped.

Exit status: 0 done; 2 bad input.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def policy_list(text: str) -> list[str]:
    """argparse type: comma-separated policy names from ``POLICIES``."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown policy {', '.join(unknown) or repr(text)}; choose from {', '.join(POLICIES)}"
        )
    return list(dict.fromkeys(names))


def build_parser() -> argparse.ArgumentParser:
    """The options of ``promptcache race``."""
    parser = _Parser(
        prog="promptcache race",
        description=RACE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("trace", type=Path, metavar="TRACE", help="trace file")
    parser.add_argument(
        "--size", type=positive_int, required=True, metavar="N", help="entries each policy keeps"
    )
    parser.add_argument(
        "--policies",
        type=policy_list,
        default=list(DEFAULT_RACERS),
        metavar="A,B,...",
        help=f"policies to race (default: {','.join(DEFAULT_RACERS)}; all: {','.join(POLICIES)})",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    return parser


def result_json(trace: Path, snap: RaceSnapshot) -> dict[str, object]:
    """The race's results as plain data."""
    ratios = snap.ratios()
    opt = ratios.get(OPT, 0.0)
    return {
        "trace": str(trace),
        "requests": snap.requests,
        "capacity": snap.capacity,
        "opt_hit_ratio": round(opt, 3),
        "policies": [
            {
                "name": r.name,
                "hits": r.hits,
                "hit_ratio": round(ratios[r.name], 3),
                "below_opt": round(opt - ratios[r.name], 3),
            }
            for r in snap.racers
            if r.name != OPT
        ],
    }


def table_lines(snap: RaceSnapshot) -> list[Text]:
    """The results table: policy, hit %, points below OPT, best first."""
    ratios = snap.ratios()
    opt = ratios.get(OPT, 0.0)
    rows = sorted((r for r in snap.racers if r.name != OPT), key=lambda r: -r.hits)
    lines = [Text(f"{'policy':<10} {'hit %':>7} {'to OPT':>7}", style="bold")]
    for r in rows:
        line = Text(f"{r.name:<10} {ratios[r.name]:7.2f} {ratios[r.name] - opt:+7.2f}")
        lines.append(line)
    lines.append(Text(f"{OPT:<10} {opt:7.2f} {0.0:+7.2f}", style="dim"))
    return lines


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Read the trace, race, print (and write) the results."""
    keys = read_keys(args.trace)
    race = Race(keys, args.size, args.policies)
    progress = LazyProgress(err, len(keys), f"racing {len(args.policies)} policies")
    try:
        snap = race.run(progress=progress)
    finally:
        progress.stop()
    data = result_json(args.trace, snap)
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.json}: cannot write ({exc.strerror})") from None
    header = Text(
        f"{args.trace.name}: {plural(snap.requests, 'request')}, "
        f"{plural(len(set(keys)), 'distinct key')}, capacity {snap.capacity:,}"
    )
    emit(out, [header, *table_lines(snap)])
    return 0


def main(argv: Sequence[str]) -> int:
    """``promptcache race`` with ``argv`` (the options after ``race``)."""
    out = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)
    try:
        args = build_parser().parse_args(list(argv))
        return run(args, out, err)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        diagnostic(err, "race", "error", "interrupted")
        return 130
    except (UsageError, PromptCacheError) as exc:
        diagnostic(err, "race", "error", str(exc))
        return 2
