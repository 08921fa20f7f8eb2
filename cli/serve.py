"""``promptcache serve``: the app in a browser on this machine, through textual-serve."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

from .args import positive_int


def build_parser() -> argparse.ArgumentParser:
    """The options of ``promptcache serve``."""
    parser = argparse.ArgumentParser(
        prog="promptcache serve",
        description="Serve the app over HTTP on localhost with textual-serve; open the "
        "printed address in a browser (its scripts come from the installed package, so it "
        "works without internet access). Options after -- go to the app.",
    )
    parser.add_argument("--host", default="localhost", help="address to bind (localhost)")
    parser.add_argument("--port", type=positive_int, default=8000, help="port (8000)")
    parser.add_argument("app_args", nargs=argparse.REMAINDER, help="PATH and app options")
    return parser


def serve(argv: Sequence[str]) -> int:
    """``promptcache serve [PATH]``: the app in a browser on this machine."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.host not in ("localhost", "127.0.0.1", "::1"):
        parser.error("serve binds to this machine only (localhost); use ssh -L to reach it")
    app_args = [a for a in args.app_args if a != "--"]
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "promptcache.cli", *app_args])
    Server(command, host=args.host, port=args.port, title="promptcache").serve()
    return 0
