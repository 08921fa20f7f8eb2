"""``promptcache``: the app on a component folder (or the bundled samples), and the
dispatch to the other commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from promptcache import PromptCacheError
from promptcache.tui import SAMPLE_LIBRARY
from promptcache.workloads import WORKLOADS

from .args import positive_float, positive_int, theme_name
from .exit_signals import run_until_exit_signal

DEMO_MEMORY_MB = 0.22
"""The demo's memory budget: small enough that memory evictions show next to size ones."""


DESCRIPTION = """\
Watch a prompt-component cache live and debug component templates.

  promptcache              the bundled sample components
  promptcache PATH         your own component folder
  promptcache demo [PATH]  with synthetic traffic already running

Commands for scripts and CI (promptcache COMMAND --help for their options):

  promptcache render PATH  print one component rendered with its variables
  promptcache check [DIR]  list every component's placeholders and problems
  promptcache stats [DIR]  replay a workload or a trace through the cache
  promptcache race TRACE --size N   eviction policies and OPT on a trace

A running application's cache, and the app in a browser:

  promptcache attach [ADDRESS]  live panels for a cache served by promptcache.serve_stats
  promptcache serve [PATH]      this app over HTTP on localhost (textual-serve)

Many workers sharing one Redis or Valkey server:

  promptcache publish DIR redis://HOST:PORT/DB  upload the components (changed ones only)
  promptcache attach redis://HOST:PORT/DB       the fleet: workers, versions, hit ratio
"""


def build_parser(prog: str = "promptcache") -> argparse.ArgumentParser:
    """The command-line options of the app."""
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        help="component folder (default: the bundled sample library)",
    )
    parser.add_argument(
        "--max-size",
        type=positive_int,
        default=100,
        metavar="N",
        help="most entries the cache keeps (default: 100)",
    )
    parser.add_argument(
        "--max-memory-mb",
        type=positive_float,
        default=None,
        metavar="MIB",
        help=f"memory budget in MiB (default: 50; {DEMO_MEMORY_MB} for demo, so that both "
        "limits come into play)",
    )
    parser.add_argument(
        "--hot-usage",
        type=Path,
        default=None,
        metavar="FILE",
        help="file where usage counts persist; preload (p) uses it",
    )
    parser.add_argument(
        "--refresh",
        type=positive_float,
        default=0.5,
        metavar="SECONDS",
        help="how often the panels refresh (default: 0.5)",
    )
    parser.add_argument(
        "--export-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where e (export) writes files (default: current folder)",
    )
    parser.add_argument(
        "--theme",
        type=theme_name,
        default=None,
        metavar="NAME",
        help="a Textual theme, e.g. textual-light or nord (default: textual-dark; "
        "ctrl+p, then 'theme', switches it live)",
    )
    demo = parser.add_argument_group("demo traffic (promptcache demo)")
    demo.add_argument(
        "--workload", choices=WORKLOADS, default="zipf", help="request pattern (default: zipf)"
    )
    demo.add_argument(
        "--rate",
        type=positive_int,
        default=2000,
        metavar="N",
        help="requests per second (default: 2000)",
    )
    demo.add_argument(
        "--skew",
        type=positive_float,
        default=1.1,
        help="Zipf skew; higher is more concentrated (default: 1.1)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``promptcache`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in ("render", "check", "stats"):
        from .commands import main as run_command

        return run_command(args_list)
    if args_list and args_list[0] == "race":
        from .race import main as race

        return race(args_list[1:])
    if args_list and args_list[0] == "attach":
        from .attach import attach

        return attach(args_list[1:])
    if args_list and args_list[0] == "publish":
        from .publish import publish_command

        return publish_command(args_list[1:])
    if args_list and args_list[0] == "serve":
        from .serve import serve

        return serve(args_list[1:])
    demo = bool(args_list) and args_list[0] == "demo"
    if demo:
        args_list = args_list[1:]
    parser = build_parser("promptcache demo" if demo else "promptcache")
    args = parser.parse_args(args_list)
    folder = args.path if args.path is not None else SAMPLE_LIBRARY
    if not folder.exists():
        parser.error(f"component folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        parser.error(f"{str(folder)!r} is not a folder")

    from promptcache.tui.app import build_app
    from promptcache.tui.traffic import TrafficSettings

    try:
        app = build_app(
            folder,
            max_size=args.max_size,
            max_memory_mb=args.max_memory_mb or (DEMO_MEMORY_MB if demo else 50.0),
            hot_usage_file=args.hot_usage,
            refresh_s=args.refresh,
            demo=demo,
            traffic=TrafficSettings(workload=args.workload, rate=args.rate, skew=args.skew),
            export_dir=args.export_dir,
            folder_label="bundled sample components" if args.path is None else None,
        )
    except PromptCacheError as exc:
        parser.error(str(exc))
    if args.theme is not None:
        app.theme = args.theme
    try:
        return run_until_exit_signal(app)
    finally:
        app.loader.close()
