"""``promptcache attach``: the live panels for a running application's cache."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from promptcache.addresses import (
    Address,
    default_socket_dir,
    local_servers,
    parse_address,
    read_token_file,
)
from promptcache.errors import PromptCacheError

from .args import positive_float, theme_name

ATTACH_HELP = """\
Show the live panels for the cache inside a running application that started a stats
server (promptcache.serve_stats). The components are browsed in the application, not here.

  promptcache attach                 the one application of yours serving on unix:DEFAULT
  promptcache attach unix:/run/user/1000/promptcache/4242.sock
  promptcache attach tcp:127.0.0.1:8765 --token-file token.txt
  promptcache attach redis://127.0.0.1:6379/0  the fleet of workers sharing a store

Over SSH, forward the socket or port first, then attach to the local end:
  ssh -L 8765:127.0.0.1:8765 server      then  promptcache attach tcp:127.0.0.1:8765 ...
"""


def find_default_server() -> Address:
    """The one live server on a ``unix:DEFAULT`` socket; PromptCacheError naming what was found."""
    found = local_servers()
    if len(found) == 1:
        return found[0]
    if not found:
        raise PromptCacheError(
            f"no application is serving its cache in {default_socket_dir()}; start one "
            "(python examples/prompt_server.py) or give its address"
        )
    listed = ", ".join(str(a) for a in found)
    raise PromptCacheError(f"{len(found)} applications are serving: {listed}; give one of them")


def build_parser() -> argparse.ArgumentParser:
    """The options of ``promptcache attach``."""
    parser = argparse.ArgumentParser(
        prog="promptcache attach",
        description=ATTACH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "address", nargs="?", default="unix:DEFAULT",
        help="unix:PATH or tcp:HOST:PORT (default: find the application serving on "
        "unix:DEFAULT)",
    )  # fmt: skip
    parser.add_argument(
        "--token-file", type=Path, metavar="FILE",
        help="file whose first line is the server's token (needed for tcp); "
        "or set PROMPTCACHE_TOKEN",
    )  # fmt: skip
    parser.add_argument(
        "--refresh", type=positive_float, default=0.5, metavar="SECONDS",
        help="how often the panels refresh (default: 0.5)",
    )  # fmt: skip
    parser.add_argument(
        "--theme", type=theme_name, default=None, metavar="NAME",
        help="a Textual theme, e.g. textual-light (default: textual-dark)",
    )  # fmt: skip
    return parser


def attach(argv: Sequence[str]) -> int:
    """``promptcache attach [ADDRESS]``; a ``redis://`` address shows the fleet instead."""
    if any(a.lower().startswith(("redis://", "rediss://")) for a in argv):
        from .fleet_attach import attach_fleet

        return attach_fleet(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    from promptcache.client import RemoteClient

    try:
        if args.address == "unix:DEFAULT":
            address = find_default_server()
        else:
            address = parse_address(args.address)
        token = read_token_file(args.token_file) if args.token_file else os.environ.get(
            "PROMPTCACHE_TOKEN"
        )  # fmt: skip
    except PromptCacheError as exc:
        parser.error(str(exc))
    if address.kind == "tcp" and not token:
        parser.error("a tcp address needs the server's token: --token-file FILE")
    from promptcache.tui.attach_app import AttachApp

    rediscover = find_default_server if args.address == "unix:DEFAULT" else None
    app = AttachApp(RemoteClient(address, token, rediscover=rediscover), refresh_s=args.refresh)
    if args.theme is not None:
        app.theme = args.theme
    from .exit_signals import run_until_exit_signal

    return run_until_exit_signal(app)
