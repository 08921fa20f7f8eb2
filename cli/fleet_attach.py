"""``promptcache attach redis://...``: the fleet of workers sharing one store."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from promptcache.errors import PromptCacheError

from .args import positive_float, theme_name
from .publish import with_env_password

FLEET_HELP = """\
Show every live worker of a namespace (from the heartbeats they write), the versions in
use (a worker on an old version stands out), the aggregate hit ratio, and the shared
store's size and memory.

  promptcache attach redis://127.0.0.1:6379/0
  promptcache attach redis://127.0.0.1:6379/0 --namespace billing --once
"""


def build_parser() -> argparse.ArgumentParser:
    """The options of ``promptcache attach redis://...``."""
    parser = argparse.ArgumentParser(
        prog="promptcache attach",
        description=FLEET_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", metavar="URL", help="redis://[USER:PASSWORD@]HOST:PORT/DB")
    parser.add_argument("--namespace", default="default", metavar="NS")
    parser.add_argument("--once", action="store_true", help="print the fleet once as text and exit")
    parser.add_argument(
        "--refresh", type=positive_float, default=1.0, metavar="SECONDS",
        help="how often the view refreshes (default: 1)",
    )  # fmt: skip
    parser.add_argument("--theme", type=theme_name, default=None, metavar="NAME")
    return parser


def attach_fleet(argv: Sequence[str]) -> int:
    """``promptcache attach redis://HOST:PORT/DB [--namespace NS] [--once]``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from promptcache.fleet import FleetReader

        reader = FleetReader(with_env_password(args.url), args.namespace)
        if args.once:
            snapshot = reader.read()
            sys.stdout.write("\n".join(snapshot.describe()) + "\n")
            return 0
    except PromptCacheError as exc:
        sys.stderr.write(f"promptcache attach: error: {' '.join(str(exc).split())}\n")
        return 2
    if not sys.stdout.isatty():
        return _text_loop(reader, args.refresh)
    from promptcache.addresses import parse_address
    from promptcache.client import RemoteClient
    from promptcache.tui.attach_app import AttachApp
    from promptcache.tui.fleet_app import FleetApp

    from .exit_signals import run_until_exit_signal

    while True:  # the fleet, then a worker's panels, then back to the fleet
        fleet = FleetApp(reader, refresh_s=args.refresh)
        if args.theme is not None:
            fleet.theme = args.theme
        status = run_until_exit_signal(fleet)
        chosen = fleet.return_value
        if status or not chosen:
            return status
        try:
            address = parse_address(chosen)
        except PromptCacheError:
            continue
        token = os.environ.get("PROMPTCACHE_TOKEN")
        if address.kind == "tcp" and not token:
            continue
        worker = AttachApp(RemoteClient(address, token), refresh_s=min(args.refresh, 0.5))
        if args.theme is not None:
            worker.theme = args.theme
        status = run_until_exit_signal(worker)
        if status:  # SIGTERM or SIGHUP: end here, not back in the fleet
            return status


def _text_loop(reader: object, refresh_s: float) -> int:
    from promptcache.fleet import FleetReader

    assert isinstance(reader, FleetReader)
    try:
        while True:
            try:
                lines = reader.read().describe()
            except PromptCacheError as exc:
                lines = [f"error: {exc}"]
            sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(lines) + "\n")
            sys.stdout.flush()
            time.sleep(refresh_s)
    except KeyboardInterrupt:
        return 0
