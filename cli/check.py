"""``promptcache check``: every component's placeholders and problems."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

from promptcache.checker import (
    COMPONENT_PATTERNS,
    CheckReport,
    ComponentCheck,
    Problem,
    check_folder,
)
from promptcache.varsets import VARS_FILE

from .output import UsageError, emit, existing_folder, plural, print_json
from .parsing import Subparsers

FORMATS = ("lines", "grouped", "json", "github")

CHECK_HELP = f"""\
Check every component file of DIR (default: the current folder) and print one line per
problem, PATH:LINE:COL: SEVERITY: MESSAGE [KIND], then a summary line.

Component files are those matching --include patterns (default: {" ".join(COMPONENT_PATTERNS)});
a pattern without / matches file names, one with / the path inside DIR. No file matching
is bad input (exit 2).

Formats: lines (the default, for editors and CI logs), grouped (each file with its
placeholders and problems), json (one object; problems with line and column), github
(workflow annotations: ::error file=...,line=...,col=...::message).

Errors: unreadable, not UTF-8, too large (over 1 MiB), malformed placeholders ({{name or
{{ name }}), a symlink leading out of the folder, a broken {VARS_FILE}.
Warnings: empty component; a placeholder defined in no variable set (only when DIR has a
{VARS_FILE}).

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
    check.add_argument(
        "--format", choices=FORMATS, default=None, help="output format (default: lines)"
    )
    check.add_argument(
        "--json",
        action="store_const",
        const="json",
        dest="json_format",
        help="the same as --format json",
    )
    check.add_argument(
        "--include",
        action="append",
        metavar="GLOB",
        help="check files matching GLOB (repeatable; replaces the default patterns)",
    )
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="grouped: list only components with problems; lines and github: no summary line",
    )

    check.set_defaults(run=run)


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
    if check.placeholders:
        head.append("  ")
        head.append(" ".join("{" + name + "}" for name in check.placeholders), style="cyan")
    lines = [head]
    for problem in check.problems:
        line = Text("       ")
        line.append(
            f"{problem.severity}:", style="red" if problem.severity == "error" else "yellow"
        )
        if problem.line is not None:
            line.append(f" line {problem.line}:", style="dim")
        line.append(f" {problem.message}")
        line.append(f" [{problem.kind}]", style="dim")
        lines.append(line)
    return lines


def _where(folder: Path, check: ComponentCheck, problem: Problem) -> tuple[str, int, int]:
    """The path to show (as given on the command line) with the line and column (1 if not
    known, so that every line parses the same way)."""
    return (
        os.path.normpath(os.path.join(folder, check.path)),
        problem.line or 1,
        problem.column or 1,
    )


def _problem_lines(folder: Path, report: CheckReport) -> list[Text]:
    lines = []
    for check in report.components:
        for problem in check.problems:
            path, line_no, column = _where(folder, check, problem)
            line = Text(f"{path}:{line_no}:{column}: ", style="bold")
            line.append(
                f"{problem.severity}:", style="red" if problem.severity == "error" else "yellow"
            )
            line.append(f" {problem.message}")
            line.append(f" [{problem.kind}]", style="dim")
            lines.append(line)
    return lines


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_lines(folder: Path, report: CheckReport) -> list[Text]:
    """GitHub Actions workflow commands: one ``::error`` or ``::warning`` per problem."""
    lines = []
    for check in report.components:
        for problem in check.problems:
            path, line_no, column = _where(folder, check, problem)
            properties = ",".join(
                (
                    f"file={_escape_property(path)}",
                    f"line={line_no}",
                    f"col={column}",
                    f"title={_escape_property(f'promptcache check: {problem.kind}')}",
                )
            )
            lines.append(
                Text(f"::{problem.severity} {properties}::{_escape_data(problem.message)}")
            )
    return lines


def _summary(report: CheckReport, strict: bool, seconds: float) -> Text:
    failed = report.failed(strict)
    line = Text()
    line.append("FAIL" if failed else "PASS", style="bold red" if failed else "bold green")
    with_problems = sum(1 for c in report.components if c.problems)
    line.append(
        f"  {plural(report.files_checked, 'file')} checked in {seconds:.2f} s: "
        f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')} "
        f"in {plural(with_problems, 'file')}"
    )
    if report.vars_file is None:
        line.append(f"  (no {VARS_FILE}: variables not checked)", style="dim")
    return line


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``promptcache check``."""
    if args.format is not None and args.json_format and args.format != "json":
        raise UsageError(f"--json and --format {args.format} ask for two formats; give one")
    output = args.format or args.json_format or "lines"
    folder = existing_folder(args.folder)
    patterns = tuple(args.include or COMPONENT_PATTERNS)
    started = time.perf_counter()
    report = check_folder(folder, patterns=patterns)
    seconds = time.perf_counter() - started
    if report.files_checked == 0:
        raise UsageError(
            f"{folder}: no component files to check (none matches {' '.join(patterns)}); "
            "point at your component folder or give --include GLOB"
        )
    if output == "json":
        print_json(out, report.to_dict())
        return 1 if report.failed(args.strict) else 0
    lines: list[Text] = []
    if output == "grouped":
        for check in report.components:
            if check.problems or not args.quiet:
                lines.extend(_component_lines(check))
    elif output == "github":
        lines = _github_lines(args.folder, report)
    else:
        lines = _problem_lines(args.folder, report)
    if output == "grouped" or not args.quiet:
        lines.append(_summary(report, args.strict, seconds))
    emit(out, lines)
    return 1 if report.failed(args.strict) else 0
