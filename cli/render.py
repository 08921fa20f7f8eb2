"""``promptcache render``: one component rendered through the cache."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

from promptcache import CachedComponentLoader, ComponentCache, ComponentError, diagnose
from promptcache.dialects import MissingVariableError, SourceFile, count_tokens, nested_context
from promptcache.errors import ComponentOutsideBaseError
from promptcache.template import placeholders
from promptcache.template import render as fill
from promptcache.varsets import VARS_FILE, read_variable_sets

from .args import assignment
from .output import UsageError, diagnostic, existing_folder, write
from .parsing import Subparsers

RENDER_HELP = f"""\
Render one component through the cache and print it on stdout; missing variables,
malformed placeholders and unused -v values are reported on stderr.

Dialects: {{name}} (brace), Jinja2 (.j2 .jinja .jinja2 .prompty, sandboxed) and
Mustache/Handlebars (.mustache .hbs), or as the file's frontmatter (template_format) or
the folder's .promptcache.toml says. Frontmatter defaults fill undeclared values;
-v user.name=Ada gives Jinja2 and Mustache templates nested values.

The component folder (the loader never reads outside it) is --dir DIR when given;
otherwise the nearest folder above PATH that holds {VARS_FILE} (the search stops
at a repository root and at a folder you do not own); otherwise PATH's own folder.
With --dir, a relative PATH that does not exist from the current folder is looked up
inside DIR.

Variables: the chosen set of the variable file (--vars, default DIR/{VARS_FILE}
when it exists; --set NAME, default the set named "default" if there is one), then every
-v NAME=VALUE on top. A variable file that another user owns, or that others can
write, is refused; so is a symlink leading out of its folder, a FIFO or a device.

Exit status: 0 rendered; 1 with --strict when a placeholder is left unfilled (nothing is
printed on stdout then); 2 bad input or a component that cannot be loaded (a syntax
error, a missing include or an include cycle, a template the sandbox refuses).
"""


def add_parser(commands: Subparsers) -> None:
    """Register ``promptcache render`` and its options."""
    render = commands.add_parser(
        "render",
        help=RENDER_HELP.splitlines()[0],
        description=RENDER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument("path", metavar="PATH", help="the component file")
    render.add_argument(
        "-v",
        "--var",
        dest="assignments",
        type=assignment,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable's value (repeatable; overrides the variable set)",
    )
    render.add_argument("--vars", type=Path, metavar="FILE", help="the variable-set file")
    render.add_argument("--set", dest="set_name", metavar="NAME", help="the variable set to use")
    render.add_argument("--dir", type=Path, metavar="DIR", help="the component folder (see above)")
    render.add_argument(
        "--stats",
        action="store_true",
        help="also print the dialect, includes and token count of the output on stderr",
    )
    render.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a variable is missing or a placeholder is malformed",
    )

    render.set_defaults(run=run)


def _locate(path_arg: str, dir_arg: Path | None) -> tuple[Path, str]:
    """The component folder and the component's path relative to it."""
    given = Path(path_arg)
    if dir_arg is not None:
        folder = Path(os.path.abspath(existing_folder(dir_arg)))
        if not given.is_absolute() and not os.path.lexists(given):
            given = folder / given
        full = Path(os.path.abspath(given))
    else:
        full = Path(os.path.abspath(given))
        if not os.path.lexists(full):
            raise UsageError(f"{path_arg}: no such component file")
        folder = _folder_with_vars(full)
    try:
        relative = Path(os.path.relpath(full, folder)).as_posix()
    except ValueError:  # another drive on Windows
        raise UsageError(f"{path_arg}: is outside the component folder {folder}") from None
    return folder, relative


def _folder_with_vars(full: Path) -> Path:
    """The nearest folder above ``full`` holding a variable file, else ``full``'s folder.

    The climb stops at a repository root (a folder holding ``.git``) and before the first
    folder the user does not own: a file planted higher up (in ``/tmp``) is never used.
    """
    user = os.geteuid()
    for candidate in full.parents:
        try:
            if os.stat(candidate).st_uid != user:
                break
        except OSError:
            break
        if os.path.lexists(candidate / VARS_FILE):
            return candidate
        if os.path.lexists(candidate / ".git"):
            break
    return full.parent


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


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
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
            # One read: the diagnostics and the output come from the same text.
            source = loader.source(relative)
            if not source.plain:
                return _run_dialect(args, out, err, loader, relative, source, values, typed)
            template = source.text
            names = placeholders(template)
            context = {name: values[name] for name in names if name in values}
            content = fill(template, context)
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
        diagnostic(
            err,
            "render",
            severity,
            f"{args.path}: missing {'variable' if len(report.missing) == 1 else 'variables'}: "
            + ", ".join(report.missing),
        )
    for bad in report.malformed:
        diagnostic(
            err,
            "render",
            severity,
            f"{args.path}:{bad.line}: malformed placeholder {bad.text!r}: {bad.problem}",
        )
    for name in typed:
        if name not in names:
            diagnostic(err, "render", "warning", f"{args.path}: -v {name} is not a placeholder")
    if args.strict and problems:
        return 1
    _print(args, out, err, content, "brace", ())
    return 0


def _print(
    args: argparse.Namespace,
    out: Console,
    err: Console,
    content: str,
    dialect: str,
    includes: tuple[str, ...],
) -> None:
    if args.stats:
        tokens = count_tokens(content)
        stats = f"{args.path}: {tokens.label()}, {len(content):,} characters, {dialect}"
        if includes:
            stats += ", includes " + ", ".join(includes)
        diagnostic(err, "render", "stats", stats)
    if out.is_terminal and content and not content.endswith("\n"):
        content += "\n"
    write(out, content)


def _run_dialect(
    args: argparse.Namespace,
    out: Console,
    err: Console,
    loader: CachedComponentLoader,
    relative: str,
    source: SourceFile,
    values: dict[str, str],
    typed: dict[str, str],
) -> int:
    """``render`` of a Jinja2, Mustache or frontmatter component."""
    context = nested_context(values)
    report = loader.inspect(relative, context, given=typed)
    where = args.path
    for problem in report.problems:
        if problem.severity == "error":
            at = problem.path if problem.path != relative else where
            if problem.line is not None:
                at += f":{problem.line}:{problem.column or 1}"
            raise UsageError(f"{at}: {problem.message}")
    severity = "error" if args.strict else "warning"
    missing = False
    for problem in report.problems:
        at = problem.path if problem.path != relative else where
        if problem.line is not None:
            at += f":{problem.line}:{problem.column or 1}"
        if problem.kind == "missing_variable":
            missing = True
            diagnostic(err, "render", severity, f"{at}: {problem.message}")
        else:
            diagnostic(err, "render", "warning", f"{at}: {problem.message}")
    try:
        content = loader.load_component(relative, context)
    except MissingVariableError as exc:
        if not missing:
            diagnostic(err, "render", severity, str(exc))
        if args.strict:
            return 1
        content = loader.preview(relative, context)
    except ComponentError as exc:
        raise UsageError(str(exc)) from None
    else:
        if missing and args.strict:
            return 1
    _print(args, out, err, content, source.dialect, report.includes)
    return 0
