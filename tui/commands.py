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
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from core import CachedComponentLoader, ComponentCache, ComponentError, diagnose
from core.cache import MIB
from core.checker import CheckReport, ComponentCheck, check_folder
from core.errors import ComponentOutsideBaseError
from core.replay import ReplayResult, read_trace, replay
from core.template import placeholders
from core.varsets import VARS_FILE, read_variable_sets
from core.workloads import WORKLOADS, generate, request_universe

COMMANDS = ("render", "check", "stats")

PROGRESS_AFTER_S = 0.5
"""A replay shows a progress bar (on a terminal) once it has run this long."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

Runner = Callable[[argparse.Namespace, Console, Console], int]


class UsageError(Exception):
    """A mistake in what the user asked for: reported as one line, exit status 2."""


# ---------------------------------------------------------------------- argument types


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _assignment(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    if not _NAME.match(name):
        raise argparse.ArgumentTypeError(
            f"{name!r} is not a variable name (letters, digits and _, not starting with a digit)"
        )
    return name, value


# ---------------------------------------------------------------------- the parser

RENDER_HELP = f"""\
Render one component through the cache and print it on stdout; missing variables,
malformed placeholders and unused -v values are reported on stderr.

The component folder (the loader never reads outside it) is --dir DIR when given;
otherwise the nearest folder above PATH that holds {VARS_FILE}; otherwise
PATH's own folder. With --dir, a relative PATH that does not exist from the current folder
is looked up inside DIR.

Variables: the chosen set of the variable file (--vars, default DIR/{VARS_FILE}
when it exists; --set NAME, default the set named "default" if there is one), then every
-v NAME=VALUE on top.

Exit status: 0 rendered; 1 with --strict when a placeholder is left unfilled (nothing is
printed on stdout then); 2 bad input or a component that cannot be loaded.
"""

CHECK_HELP = f"""\
Check every component of DIR (default: the current folder) and list each one with its
placeholders and problems.

Errors: unreadable, not UTF-8, too large (over 1 MiB), malformed placeholders ({{name or
{{ name }}), a symlink leading out of the folder, a broken {VARS_FILE}.
Warnings: empty component; a placeholder defined in no variable set (only when DIR has a
{VARS_FILE}).

Exit status: 0 clean; 1 on any error (with --strict, on any warning too); 2 bad input.
"""

STATS_HELP = """\
Replay traffic through the real loader and cache and report the hit ratio (lifetime and
per phase), evictions by reason, memory and time-per-request percentiles.

Traffic is a synthetic --workload over DIR's components (default: the current folder;
components that cannot be loaded are left out), or a --trace file: one request per line,
a component path relative to DIR, optionally followed by a TAB and a JSON object of
context variables; blank lines and lines starting with # are ignored.

  components/reporting/weekly-status.md
  components/reporting/weekly-status.md<TAB>{"project_name": "Atlas"}

Exit status: 0 done (failed loads are counted and reported); 2 bad input.
"""


def _subparser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=text.splitlines()[0],
        description=text,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser(prog: str = "promptcache") -> argparse.ArgumentParser:
    """The parser of the three commands (``promptcache render|check|stats``)."""
    parser = argparse.ArgumentParser(prog=prog, description="Commands for scripts and CI.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = _subparser(commands, "render", RENDER_HELP)
    render.add_argument("path", metavar="PATH", help="the component file")
    render.add_argument(
        "-v",
        "--var",
        dest="assignments",
        type=_assignment,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable's value (repeatable; overrides the variable set)",
    )
    render.add_argument("--vars", type=Path, metavar="FILE", help="the variable-set file")
    render.add_argument("--set", dest="set_name", metavar="NAME", help="the variable set to use")
    render.add_argument("--dir", type=Path, metavar="DIR", help="the component folder (see above)")
    render.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a variable is missing or a placeholder is malformed",
    )
    render.set_defaults(run=run_render)

    check = _subparser(commands, "check", CHECK_HELP)
    check.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument(
        "-q", "--quiet", action="store_true", help="list only components with problems"
    )
    check.set_defaults(run=run_check)

    stats = _subparser(commands, "stats", STATS_HELP)
    stats.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR")
    source = stats.add_mutually_exclusive_group(required=True)
    source.add_argument("--workload", choices=WORKLOADS, help="a synthetic request pattern")
    source.add_argument("--trace", type=Path, metavar="FILE", help="a trace file to replay")
    synthetic = stats.add_argument_group("synthetic workload (--workload)")
    synthetic.add_argument(
        "--requests", type=positive_int, metavar="N", help="requests to send (default: 20000)"
    )
    synthetic.add_argument(
        "--skew", type=_non_negative_float, help="Zipf skew, higher is more concentrated (1.1)"
    )
    synthetic.add_argument(
        "--variants", type=positive_int, metavar="N", help="contexts per component (6)"
    )
    synthetic.add_argument("--seed", type=_whole_number, metavar="N", help="random seed (7)")
    stats.add_argument(
        "--phase",
        type=positive_int,
        default=5000,
        metavar="N",
        help="requests per phase for per-phase hit ratios; the shifting workload moves its "
        "popular components at every phase (default: 5000)",
    )
    stats.add_argument(
        "--max-size", type=positive_int, default=100, metavar="N", help="most entries (100)"
    )
    stats.add_argument(
        "--max-memory-mb",
        type=positive_float,
        default=50.0,
        metavar="MIB",
        help="memory budget in MiB (50)",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(run=run_stats)
    return parser


# ---------------------------------------------------------------------- output helpers


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).strip()


def _write(console: Console, text: str) -> None:
    """Write ``text`` as it is (no markup, no wrapping) to the console's file."""
    stream = console.file
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            raise
        buffer.write(text.encode("utf-8", "replace"))
    stream.flush()


def _emit(console: Console, lines: Iterable[Text]) -> None:
    """Styled lines on a terminal; their plain text, fast, when piped."""
    if console.is_terminal:
        for line in lines:
            console.print(line)
    else:
        _write(console, "".join(line.plain + "\n" for line in lines))


def _print_json(console: Console, data: Mapping[str, Any]) -> None:
    _write(console, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _diagnostic(err: Console, command: str, severity: str, message: str) -> None:
    style = "bold red" if severity == "error" else "yellow"
    line = Text(f"promptcache {command}: ")
    line.append(f"{severity}:", style=style)
    line.append(f" {_one_line(message)}")
    _emit(err, [line])


def _folder(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"{path}: component folder does not exist")
    if not path.is_dir():
        raise UsageError(f"{path}: is not a folder")
    return path


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


# ---------------------------------------------------------------------- render


def _locate(path_arg: str, dir_arg: Path | None) -> tuple[Path, str]:
    """The component folder and the component's path relative to it."""
    given = Path(path_arg)
    if dir_arg is not None:
        folder = Path(os.path.abspath(_folder(dir_arg)))
        if not given.is_absolute() and not os.path.lexists(given):
            given = folder / given
        full = Path(os.path.abspath(given))
    else:
        full = Path(os.path.abspath(given))
        if not os.path.lexists(full):
            raise UsageError(f"{path_arg}: no such component file")
        folder = full.parent
        for candidate in full.parents:
            if (candidate / VARS_FILE).is_file():
                folder = candidate
                break
    try:
        relative = Path(os.path.relpath(full, folder)).as_posix()
    except ValueError:  # another drive on Windows
        raise UsageError(f"{path_arg}: is outside the component folder {folder}") from None
    return folder, relative


def _variables(folder: Path, vars_arg: Path | None, set_name: str | None) -> dict[str, str]:
    """The values of the chosen variable set ({} when there is none)."""
    vars_file = vars_arg if vars_arg is not None else folder / VARS_FILE
    if vars_arg is not None and not vars_arg.exists():
        raise UsageError(f"{vars_arg}: no such variable file")
    if vars_arg is not None and vars_arg.is_dir():
        raise UsageError(f"{vars_arg}: is a folder, not a variable file")
    sets = read_variable_sets(vars_file) if vars_file.exists() else {}
    if set_name is None:
        return dict(sets.get("default", {}))
    if set_name not in sets:
        if not vars_file.exists():
            raise UsageError(f"--set {set_name}: there is no variable file {vars_file}")
        available = ", ".join(sets) if sets else "none"
        raise UsageError(f"--set {set_name}: no such set in {vars_file} (available: {available})")
    return dict(sets[set_name])


def run_render(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``promptcache render``."""
    folder, relative = _locate(args.path, args.dir)
    values = _variables(folder, args.vars, args.set_name)
    typed = dict(args.assignments)
    values.update(typed)
    cache = ComponentCache(max_size=8, max_memory_mb=64, hot_components={})
    try:
        loader = CachedComponentLoader(folder, cache, watch="stat")
    except ComponentError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            template = loader.read_template(relative)
            names = placeholders(template)
            context = {name: values[name] for name in names if name in values}
            content = loader.load_component(relative, context)
        except ComponentOutsideBaseError:
            raise UsageError(
                f"{args.path}: is outside the component folder {loader.base_path}"
            ) from None
        except ComponentError as exc:  # name the path as the user gave it
            message = str(exc)
            if message.startswith(f"{relative}: "):
                message = f"{args.path}{message[len(relative) :]}"
            raise UsageError(message) from None
    finally:
        loader.close()
    report = diagnose(template, context)
    problems = bool(report.missing or report.malformed)
    severity = "error" if args.strict else "warning"
    if report.missing:
        _diagnostic(
            err,
            "render",
            severity,
            f"{args.path}: missing {'variable' if len(report.missing) == 1 else 'variables'}: "
            + ", ".join(report.missing),
        )
    for bad in report.malformed:
        _diagnostic(
            err,
            "render",
            severity,
            f"{args.path}:{bad.line}: malformed placeholder {bad.text!r}: {bad.problem}",
        )
    for name in typed:
        if name not in names:
            _diagnostic(err, "render", "warning", f"{args.path}: -v {name} is not a placeholder")
    if args.strict and problems:
        return 1
    if out.is_terminal and content and not content.endswith("\n"):
        content += "\n"
    _write(out, content)
    return 0


# ---------------------------------------------------------------------- check


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


def _summary(report: CheckReport, strict: bool, seconds: float) -> Text:
    failed = report.failed(strict)
    line = Text()
    line.append("FAIL" if failed else "PASS", style="bold red" if failed else "bold green")
    with_problems = sum(1 for c in report.components if c.problems)
    line.append(
        f"  {_plural(len(report.components), 'file')} checked in {seconds:.2f} s: "
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} "
        f"in {_plural(with_problems, 'file')}"
    )
    if report.vars_file is None:
        line.append(f"  (no {VARS_FILE}: variables not checked)", style="dim")
    return line


def run_check(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``promptcache check``."""
    folder = _folder(args.folder)
    started = time.perf_counter()
    report = check_folder(folder)
    seconds = time.perf_counter() - started
    if args.json:
        _print_json(out, report.to_dict())
    else:
        lines: list[Text] = []
        for check in report.components:
            if check.problems or not args.quiet:
                lines.extend(_component_lines(check))
        lines.append(_summary(report, args.strict, seconds))
        _emit(out, lines)
    return 1 if report.failed(args.strict) else 0


# ---------------------------------------------------------------------- stats


class _LazyProgress:
    """A Rich progress bar on stderr, shown only on a terminal once the run is long."""

    def __init__(self, err: Console, total: int, label: str) -> None:
        self._err = err
        self._total = total
        self._label = label
        self._started = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int) -> None:
        if self._bar is None:
            if not self._err.is_terminal or time.perf_counter() - self._started < PROGRESS_AFTER_S:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._err,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self._total)
        self._bar.update(self._task, completed=done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _loadable(loader: CachedComponentLoader) -> tuple[list[str], dict[str, str]]:
    good: list[str] = []
    bad: dict[str, str] = {}
    for path in loader.component_paths():
        try:
            loader.read_template(path)
        except ComponentError as exc:
            bad[path] = str(exc)
        else:
            good.append(path)
    return good, bad


def _mib(n: int) -> str:
    return f"{n / MIB:,.2f} MiB"


def _stats_lines(result: ReplayResult, title: str) -> list[Text]:
    def row(label: str, value: str | Text) -> Text:
        line = Text(f"{label:<12}", style="bold")
        line.append(value)
        return line

    def ratio(value: float) -> Text:
        return Text(f"{value:6.2f} %", style="green" if value >= 75 else "red")

    lines = [Text(title)]
    lifetime = ratio(result.hit_ratio)
    lifetime.append(
        f"  {result.hits:,} hits, {result.misses:,} misses of {result.requests:,} requests"
        f" ({result.failures:,} failed)"
    )
    lines.append(row("hit ratio", lifetime))
    for phase in result.phases:
        value = ratio(phase.hit_ratio)
        last = phase.start + phase.requests
        value.append(f"  phase {phase.index}: requests {phase.start + 1:,}-{last:,}", style="dim")
        lines.append(row("", value))
    evictions = ", ".join(f"{reason} {n:,}" for reason, n in result.evictions.items())
    lines.append(
        row("evictions", f"{result.total_evictions:,} ({evictions}); {result.rejected:,} refused")
    )
    lines.append(
        row(
            "memory",
            f"{_mib(result.memory_bytes)} of {_mib(result.max_memory_bytes)} "
            f"(peak {_mib(result.peak_memory_bytes)}); "
            f"{result.entries:,} of {result.max_size:,} entries",
        )
    )
    for name, label in (("miss", "miss (load)"), ("hit", "hit"), ("all", "all")):
        p = result.latency[name]
        lines.append(
            row(
                "time" if name == "miss" else "",
                f"{label:<12}p50 {p.p50_ms:8.3f} ms  p95 {p.p95_ms:8.3f} ms  "
                f"p99 {p.p99_ms:8.3f} ms  ({p.count:,})",
            )
        )
    return lines


def run_stats(args: argparse.Namespace, out: Console, err: Console) -> int:
    """``promptcache stats``."""
    folder = _folder(args.folder)
    if args.trace is not None:
        given = [
            option
            for option, value in (
                ("--requests", args.requests),
                ("--skew", args.skew),
                ("--variants", args.variants),
                ("--seed", args.seed),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)}: only with --workload, not with --trace")
    cache = ComponentCache(
        max_size=args.max_size, max_memory_mb=args.max_memory_mb, hot_components={}
    )
    loader = CachedComponentLoader(folder, cache)
    try:
        source: dict[str, Any]
        left_out: dict[str, str] = {}
        requests: Iterable[tuple[str, Mapping[str, Any] | None]]
        if args.trace is not None:
            trace = read_trace(args.trace, loader.base_path)
            if not trace:
                raise UsageError(f"{args.trace}: the trace holds no requests")
            total = len(trace)
            components = len({path for path, _ in trace})
            requests = trace
            source = {"trace": str(args.trace)}
            title = f"trace {args.trace}"
        else:
            paths, left_out = _loadable(loader)
            if not paths:
                raise UsageError(f"{folder}: no loadable components in the folder")
            total = args.requests or 20_000
            skew = 1.1 if args.skew is None else args.skew
            variants = args.variants or 6
            seed = 7 if args.seed is None else args.seed
            universe = request_universe(paths, variants)
            stream = generate(universe, args.workload, skew=skew, seed=seed, shift_every=args.phase)
            requests = ((r.path, r.context) for r in itertools.islice(stream, total))
            components = len(paths)
            source = {
                "workload": args.workload,
                "skew": skew,
                "variants": variants,
                "seed": seed,
            }
            title = f"{args.workload} workload (skew {skew}, {variants} variants, seed {seed})"
        for why in left_out.values():
            _diagnostic(err, "stats", "warning", f"left out, cannot be loaded: {why}")
        progress = _LazyProgress(err, total, "replaying")
        try:
            result = replay(loader, requests, phase_size=args.phase, progress=progress)
        finally:
            progress.stop()
    finally:
        loader.close()
    if result.failures:
        first = next(iter(result.failed_paths.values()), "")
        _diagnostic(
            err,
            "stats",
            "warning",
            f"{_plural(result.failures, 'request')} failed; first: {first}",
        )
    if args.json:
        data = {
            "folder": str(loader.base_path),
            "source": source,
            "components": components,
            "left_out": left_out,
            "cache": {"max_size": args.max_size, "max_memory_mb": args.max_memory_mb},
            "phase_size": args.phase,
            **result.to_dict(),
        }
        _print_json(out, data)
    else:
        header = (
            f"{_plural(result.requests, 'request')} from the {title} over "
            f"{_plural(components, 'component')} of {loader.base_path}, in {result.seconds:.2f} s"
        )
        _emit(out, _stats_lines(result, header))
    return 0


# ---------------------------------------------------------------------- entry point


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
        _diagnostic(err, args.command, "error", "interrupted")
        return 130
    except (UsageError, ComponentError) as exc:
        _diagnostic(err, args.command, "error", str(exc))
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _diagnostic(err, args.command, "error", f"{where}{exc.strerror or exc}")
        return 2
