"""``promptcache render|check|stats``: commands for scripts and CI (no Textual here).

Results go to stdout, diagnostics and errors to stderr. Output is styled with Rich in a
terminal and plain text when piped; ``check`` and ``stats`` also print JSON (``--json``).

Exit statuses: 0 when all is well; 1 when ``check`` finds an error (or, with ``--strict``,
a warning) or ``render --strict`` leaves a placeholder unfilled; 2 for bad input (a missing
folder, a path outside the folder, an unreadable variable or trace file, a bad option),
reported as one line ``promptcache <command>: error: ...``; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from promptcache import PromptCacheError

from . import check, render, stats
from .output import UsageError, diagnostic
from .parsing import Runner

COMMANDS = ("render", "check", "stats")


def build_parser(prog: str = "promptcache") -> argparse.ArgumentParser:
    """The parser of the three commands (``promptcache render|check|stats``)."""
    parser = argparse.ArgumentParser(prog=prog, description="Commands for scripts and CI.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (render, check, stats):
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``promptcache render|check|stats`` with ``argv`` (the command first)."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:  # --help, or an argparse error already printed
        return exc.code if isinstance(exc.code, int) else 2
    out = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)
    run: Runner = args.run
    try:
        return run(args, out, err)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except KeyboardInterrupt:
        diagnostic(err, args.command, "error", "interrupted")
        return 130
    except (UsageError, PromptCacheError) as exc:
        diagnostic(err, args.command, "error", str(exc))
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        diagnostic(err, args.command, "error", f"{where}{exc.strerror or exc}")
        return 2
