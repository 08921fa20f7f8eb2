"""``promptcache``: the app on a component folder (or the bundled samples), and the
dispatch to the other commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from promptcache import PromptCacheError
from promptcache.tui import DIALECT_LIBRARY, SAMPLE_LIBRARY

from .app_options import DEMO_MEMORY_MB, build_parser
from .exit_signals import run_until_exit_signal


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
    if args.dialects and args.path is not None:
        parser.error("give a component folder or --dialects, not both")
    folder = args.path if args.path is not None else SAMPLE_LIBRARY
    if args.dialects:
        folder = DIALECT_LIBRARY
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
            folder_label=(
                None
                if args.path is not None
                else "bundled dialect samples"
                if args.dialects
                else "bundled sample components"
            ),
        )
    except PromptCacheError as exc:
        parser.error(str(exc))
    if args.theme is not None:
        app.theme = args.theme
    try:
        return run_until_exit_signal(app)
    finally:
        app.loader.close()
