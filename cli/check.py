"""``promptcache check``: every component's placeholders and problems."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

from promptcache.checker import CheckReport, ComponentCheck, check_folder
from promptcache.varsets import VARS_FILE

from .output import emit, existing_folder, plural, print_json
from .parsing import Subparsers

CHECK_HELP = f"""\
Check every component of DIR (default: the current folder) and list each one with its
placeholders and problems.

Errors: unreadable, not UTF-8, too large (over 1 MiB), malformed placeholders ({{name or
{{ name }}), a symlink leading out of the folder, a broken {VARS_FILE}.
Warnings: empty component; a placeholder defined in no variable set (only when DIR has a
{VARS_FILE}).

Jinja2 and Mustache/Handlebars files (by extension, frontmatter template_format, or the
folder's .promptcache.toml) are checked in their dialect, through their includes, with
line and column. Errors: syntax errors, bad frontmatter or template_format, missing
includes and include cycles (naming the chain), attributes the sandbox refuses.
Warnings: declared inputs never used, used variables not declared; with a {VARS_FILE},
a strict render per variable set names each undefined variable (user.name).

Exit status: 0 clean; 1 on any error (with --strict, on any warning too); 2 bad input.
"""


def add_parser(commands: Subparsers) -> None:
    """Register ``promptcache check`` and its options."""
    check = commands.add_parser(
        "check",
        help=CHECK_HELP.splitlines()[0],
        description=CHECK_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument(
        "-q", "--quiet", action="store_true", help="list only components with problems"
    )

    check.set_defaults(run=run)


_SHAPES = {"jinja2": "{{{{ {} }}}}", "mustache": "{{{{{}}}}}"}


def _component_lines(check: ComponentCheck) -> list[Text]:
    if check.errors:
        status, style = "ERROR", "bold red"
    elif check.warnings:
        status, style = "warn ", "yellow"
    else:
        status, style = "ok   ", "green"
    head = Text()
    head.append(status, style=style)
    head.append("  ")
    head.append(check.path, style="bold" if check.problems else "")
    if check.dialect != "brace":
        head.append(f"  [{check.dialect}]", style="dim")
    if check.placeholders:
        head.append("  ")
        shape = _SHAPES.get(check.dialect, "{{{}}}")
        head.append(" ".join(shape.format(name) for name in check.placeholders), style="cyan")
    if check.includes:
        head.append("  includes " + ", ".join(check.includes), style="dim")
    lines = [head]
    for problem in check.problems:
        line = Text("       ")
        line.append(
            f"{problem.severity}:", style="red" if problem.severity == "error" else "yellow"
        )
        if problem.line is not None and problem.column is not None:
            line.append(f" line {problem.line}, column {problem.column}:", style="dim")
        elif problem.line is not None:
            line.append(f" line {problem.line}:", style="dim")
        line.append(f" {problem.message}")
        line.append(f" [{problem.kind}]", style="dim")
        lines.append(line)
    return lines


def _summary(report: CheckReport, strict: bool, seconds: float) -> Text:
    failed = report.failed(strict)
    line = Text()
    line.append("FAIL" if failed else "PASS", style="bold red" if failed else "bold green")
    with_problems = sum(1 for c in report.components if c.problems)
    line.append(
        f"  {plural(len(report.components), 'file')} checked in {seconds:.2f} s: "
        f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')} "
        f"in {plural(with_problems, 'file')}"
    )
    if report.vars_file is None:
        line.append(f"  (no {VARS_FILE}: variables not checked)", style="dim")
    return line


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``promptcache check``."""
    folder = existing_folder(args.folder)
    started = time.perf_counter()
    report = check_folder(folder)
    seconds = time.perf_counter() - started
    if args.json:
        print_json(out, report.to_dict())
    else:
        lines: list[Text] = []
        for check in report.components:
            if check.problems or not args.quiet:
                lines.extend(_component_lines(check))
        lines.append(_summary(report, args.strict, seconds))
        emit(out, lines)
    return 1 if report.failed(args.strict) else 0
