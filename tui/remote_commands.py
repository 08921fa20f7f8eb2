"""``promptcache attach`` (a running application's cache) and ``promptcache serve`` (the app
in a browser, through textual-serve)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands import positive_float, positive_int

if TYPE_CHECKING:
    from core.server import Address

ATTACH_HELP = """\
Show the live panels for the cache inside a running application that started a stats
server (core.serve_stats). The components are browsed in the application, not here.

  promptcache attach                 the one application of yours serving on unix:DEFAULT
  promptcache attach unix:/run/user/1000/promptcache/4242.sock
  promptcache attach tcp:127.0.0.1:8765 --token-file token.txt

Over SSH, forward the socket or port first, then attach to the local end:
  ssh -L 8765:127.0.0.1:8765 server      then  promptcache attach tcp:127.0.0.1:8765 ...
"""


def read_token(path: Path) -> str:
    """The first line of ``path``; ValueError with a one-line reason otherwise."""
    try:
        token = path.read_text(encoding="utf-8").splitlines()[0].strip()
    except FileNotFoundError:
        raise ValueError(f"token file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, IndexError) as exc:
        raise ValueError(f"cannot read a token from {str(path)!r} ({exc})") from None
    if not token:
        raise ValueError(f"token file {str(path)!r} is empty")
    return token


def find_default_server() -> Address:
    """The one live server on a ``unix:DEFAULT`` socket; ValueError naming what was found."""
    from core.errors import ComponentError
    from core.server import default_socket_dir, local_servers

    try:
        found = local_servers()
    except ComponentError as exc:
        raise ValueError(str(exc)) from None
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(
            f"no application is serving its cache in {default_socket_dir()}; start one "
            "(python examples/prompt_server.py) or give its address"
        )
    listed = ", ".join(str(a) for a in found)
    raise ValueError(f"{len(found)} applications are serving: {listed}; give one of them")


def attach(argv: Sequence[str]) -> int:
    """``promptcache attach [ADDRESS]``."""
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
    args = parser.parse_args(argv)
    from tui.remote import RemoteClient, parse_address

    try:
        if args.address == "unix:DEFAULT":
            address = find_default_server()
        else:
            address = parse_address(args.address)
        token = read_token(args.token_file) if args.token_file else os.environ.get(
            "PROMPTCACHE_TOKEN"
        )  # fmt: skip
    except ValueError as exc:
        parser.error(str(exc))
    if address.kind == "tcp" and not token:
        parser.error("a tcp address needs the server's token: --token-file FILE")
    from tui.attach_app import AttachApp

    rediscover = find_default_server if args.address == "unix:DEFAULT" else None
    AttachApp(RemoteClient(address, token, rediscover=rediscover), refresh_s=args.refresh).run()
    return 0


def serve(argv: Sequence[str]) -> int:
    """``promptcache serve [PATH]``: the app in a browser on this machine."""
    parser = argparse.ArgumentParser(
        prog="promptcache serve",
        description="Serve the app over HTTP on localhost with textual-serve; open the "
        "printed address in a browser (its scripts come from the installed package, so it "
        "works without internet access). Options after -- go to the app.",
    )
    parser.add_argument("--host", default="localhost", help="address to bind (localhost)")
    parser.add_argument("--port", type=positive_int, default=8000, help="port (8000)")
    parser.add_argument("app_args", nargs=argparse.REMAINDER, help="PATH and app options")
    args = parser.parse_args(argv)
    if args.host not in ("localhost", "127.0.0.1", "::1"):
        parser.error("serve binds to this machine only (localhost); use ssh -L to reach it")
    app_args = [a for a in args.app_args if a != "--"]
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "tui", *app_args])
    Server(command, host=args.host, port=args.port, title="promptcache").serve()
    return 0
