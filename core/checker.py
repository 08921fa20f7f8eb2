"""Check every component of a folder: placeholders, encoding, size and template problems.

The checks mirror what ``CachedComponentLoader`` refuses (errors) and what makes a
rendering come out wrong (warnings), so a folder that checks clean loads clean:

- errors: unreadable, not UTF-8, too large, malformed placeholders (``{name``,
  ``{ name }``), a symlink that leads out of the folder, a broken variable-set file,
  and what is not a component file at all: a FIFO, a device, a dangling or looping symlink;
- warnings: an empty component, a placeholder that no variable set defines (only when
  the folder has a variable-set file).

Only files matching the component patterns are checked (by default
``COMPONENT_PATTERNS``), so a check run from a repository's root skips its code.

No UI here; the ``promptcache check`` command prints the report.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .cache import MIB
from .dialects import (
    BRACE,
    Diagnostic,
    ProjectConfigError,
    SourceFile,
    Templates,
    make_source,
    read_folder_default,
)
from .dialects.report import build_report
from .dialects.sources import PROJECT_FILE
from .errors import (
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentOutsideBaseError,
    ComponentTooLargeError,
)
from .paths import open_component, open_folder, walk_components
from .template import PLACEHOLDER, find_malformed
from .varsets import VARS_FILE, VariableSetsError, read_variable_sets

Severity = Literal["error", "warning"]

UNREADABLE = "unreadable"
NOT_UTF8 = "not_utf8"
TOO_LARGE = "too_large"
MALFORMED = "malformed_placeholder"
OUTSIDE = "outside_folder"
NOT_A_FILE = "not_a_file"
BROKEN_SYMLINK = "broken_symlink"
BAD_VARS_FILE = "bad_vars_file"
EMPTY = "empty"
UNDEFINED = "undefined_variable"
BAD_PROJECT_FILE = "bad_project_file"

COMPONENT_PATTERNS: tuple[str, ...] = (
    "*.md",
    "*.txt",
    "*.prompt",
    "*.prompty",
    "*.j2",
    "*.jinja",
    "*.jinja2",
    "*.mustache",
    "*.hbs",
)
"""Files ``check_folder`` treats as components unless told otherwise: the sample library's
``.md`` and ``.txt`` and the usual template extensions of prompt libraries."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a component; ``line`` and ``column`` are 1-based when known."""

    severity: Severity
    kind: str
    message: str
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready data (``line`` and ``column`` only when known)."""
        data: dict[str, Any] = {
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
        }
        if self.line is not None:
            data["line"] = self.line
        if self.column is not None:
            data["column"] = self.column
        return data


@dataclass(frozen=True, slots=True)
class ComponentCheck:
    """A component's placeholders (in order of first use) and its problems."""

    path: str
    placeholders: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    dialect: str = BRACE
    includes: tuple[str, ...] = ()

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        """How many problems are warnings."""
        return sum(1 for p in self.problems if p.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        """The component as JSON-ready data."""
        data: dict[str, Any] = {
            "path": self.path,
            "placeholders": list(self.placeholders),
            "problems": [p.to_dict() for p in self.problems],
        }
        if self.dialect != BRACE:  # today's files keep today's JSON
            data["dialect"] = self.dialect
            data["includes"] = list(self.includes)
        return data


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Every component of ``folder``, sorted by path, with its problems."""

    folder: str
    components: tuple[ComponentCheck, ...]
    vars_file: str | None = None
    """The variable-set file undefined placeholders were checked against, if any."""
    files_checked: int = 0
    """How many component files matched the patterns and were checked."""

    @property
    def errors(self) -> int:
        """Errors over all components."""
        return sum(c.errors for c in self.components)

    @property
    def warnings(self) -> int:
        """Warnings over all components."""
        return sum(c.warnings for c in self.components)

    def failed(self, strict: bool = False) -> bool:
        """True when there is an error (or, with ``strict``, a warning)."""
        return self.errors > 0 or (strict and self.warnings > 0)

    def to_dict(self) -> dict[str, Any]:
        """``{"folder", "components": [...], "errors", "warnings"}``, ready for JSON."""
        return {
            "folder": self.folder,
            "components": [c.to_dict() for c in self.components],
            "errors": self.errors,
            "warnings": self.warnings,
        }


# ---------------------------------------------------------------------- one component


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_large(path: str, max_bytes: int) -> ComponentCheck:
    message = f"over the {max_bytes:,}-byte limit for one component"
    return ComponentCheck(path, problems=(Problem("error", TOO_LARGE, message),))


def check_text(
    path: str,
    data: bytes,
    defined: Collection[str] | None = None,
    *,
    max_bytes: int = MIB,
    folder: _FolderFiles | None = None,
) -> ComponentCheck:
    """Check one component's bytes. ``defined``: names the variable sets define (None: skip).

    ``data`` may hold up to ``max_bytes + 1`` bytes; more than ``max_bytes`` is too large.
    With ``folder`` (the folder being checked), Jinja2, Mustache and frontmatter files are
    checked in their dialect, through their includes.
    """
    if len(data) > max_bytes:
        return _too_large(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return ComponentCheck(
            path,
            problems=(
                Problem(
                    "error",
                    NOT_UTF8,
                    f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    line,
                    column,
                ),
            ),
        )
    if folder is not None:
        source = folder.remember(path, text)
        if not source.plain:
            return _check_dialect(source, folder)
    if "{" not in text:  # the common fast path: nothing to parse
        if text.strip():
            return ComponentCheck(path)
        return ComponentCheck(path, problems=(Problem("warning", EMPTY, "empty component"),))
    names = tuple(dict.fromkeys(PLACEHOLDER.findall(text)))
    problems = [
        Problem(
            "error", MALFORMED, f"malformed placeholder {m.text!r}: {m.problem}", m.line, m.column
        )
        for m in find_malformed(text)
    ]
    if defined is not None:
        for name in names:
            if name not in defined:
                line, column = _position(text, text.find("{" + name + "}"))
                problems.append(
                    Problem(
                        "warning",
                        UNDEFINED,
                        f"{{{name}}} is defined in no variable set",
                        line,
                        column,
                    )
                )
    problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.severity != "error"))
    return ComponentCheck(path, names, tuple(problems))


class _FolderFiles:
    """The checker's include resolver: files of the folder, confined like loads."""

    def __init__(
        self,
        base: tuple[int, str],
        folder_default: str | None,
        variable_sets: Mapping[str, Mapping[str, Any]] | None,
        max_bytes: int,
    ) -> None:
        self.base = base
        self.folder_default = folder_default
        self.variable_sets = variable_sets
        self.max_bytes = max_bytes
        self.templates = Templates(self)
        self._sources: dict[str, SourceFile | ComponentError] = {}

    def remember(self, path: str, text: str) -> SourceFile:
        source = make_source(path, text, self.folder_default)
        self._sources[path] = source
        return source

    def source(self, path: str) -> SourceFile:
        found = self._sources.get(path)
        if found is None:
            found = self._read(path)
            self._sources[path] = found
        if isinstance(found, ComponentError):
            raise found
        return found

    def _read(self, path: str) -> SourceFile | ComponentError:
        try:
            data = _read_bytes(self.base, path, self.max_bytes)
        except ComponentError as exc:
            return exc
        except OSError as exc:
            return ComponentError(f"{path}: cannot read ({exc.strerror})", path)
        try:
            return make_source(path, data.decode("utf-8"), self.folder_default)
        except UnicodeDecodeError:
            return ComponentError(f"{path}: not UTF-8 text", path)

    def exists(self, path: str) -> bool:
        try:
            self.source(path)
        except ComponentError:
            return False
        return True

    def current(self, source: SourceFile) -> Callable[[], bool]:
        return _always


def _always() -> bool:
    return True


def _problem(diag: Diagnostic, path: str) -> Problem:
    where = diag.path if diag.line is None else f"{diag.path}:{diag.line}"
    message = diag.message if diag.path in ("", path) else f"{where}: {diag.message}"
    line, column = (diag.line, diag.column) if diag.path in ("", path) else (None, None)
    return Problem(diag.severity, diag.kind, message, line, column)


def _check_dialect(source: SourceFile, folder: _FolderFiles) -> ComponentCheck:
    report = build_report(folder.templates, source, variable_sets=folder.variable_sets)
    problems = [_problem(d, source.path) for d in report.problems]
    if not source.body.strip() and not problems:
        problems.append(Problem("warning", EMPTY, "empty component"))
    return ComponentCheck(
        source.path, report.paths, tuple(problems), source.dialect, report.includes
    )


def _read_bytes(base: tuple[int, str], rel: str, limit: int) -> bytes:
    """The component's bytes, read through the loader's race-free open (``limit``: max).

    ``base``: a descriptor on the folder and the folder's resolved path."""
    return open_component(base[0], rel, max_bytes=limit, base_name=base[1])[0]


def _check_file(
    base: tuple[int, str],
    rel: str,
    problem: str,
    defined: Collection[str] | None,
    max_bytes: int,
    folder: _FolderFiles | None = None,
) -> ComponentCheck:
    if problem:
        kind = UNREADABLE if problem.startswith("cannot") else NOT_A_FILE
        if "symlink" in problem and not problem.startswith("a symlink to"):
            kind = BROKEN_SYMLINK
        message = problem if problem.startswith("cannot") else f"is {problem}"
        return ComponentCheck(rel, problems=(Problem("error", kind, message),))
    try:
        data = _read_bytes(base, rel, max_bytes)
    except ComponentOutsideBaseError as exc:
        reason = str(exc).removeprefix(f"{rel}: ")
        return ComponentCheck(rel, problems=(Problem("error", OUTSIDE, reason),))
    except ComponentTooLargeError:
        return _too_large(rel, max_bytes)
    except ComponentNotAFileError as exc:
        reason = str(exc).removeprefix(f"{rel}: ")
        return ComponentCheck(rel, problems=(Problem("error", NOT_A_FILE, reason),))
    except ComponentError as exc:
        reason = str(exc).removeprefix(f"{rel}: ")
        return ComponentCheck(rel, problems=(Problem("error", UNREADABLE, reason),))
    except OSError as exc:
        why = exc.strerror or exc.__class__.__name__
        return ComponentCheck(rel, problems=(Problem("error", UNREADABLE, f"cannot read ({why})"),))
    return check_text(rel, data, defined, max_bytes=max_bytes, folder=folder)


# ---------------------------------------------------------------------- the folder


_LINE_OF_ERROR = re.compile(r":(\d+): ")


def _vars_file_problem(path: Path, exc: VariableSetsError) -> ComponentCheck:
    message = str(exc)
    line: int | None = None
    rest = message.removeprefix(f"{path}")
    match = _LINE_OF_ERROR.match(rest)
    if match:
        line = int(match.group(1))
        rest = rest[match.end() :]
    else:
        rest = rest.removeprefix(": ")
    return ComponentCheck(VARS_FILE, problems=(Problem("error", BAD_VARS_FILE, rest, line),))


def check_folder(
    folder: str | os.PathLike[str],
    *,
    variable_sets: Mapping[str, Mapping[str, str]] | None = None,
    max_component_bytes: int = MIB,
    patterns: Sequence[str] = COMPONENT_PATTERNS,
) -> CheckReport:
    """Check every component under ``folder`` (sorted by path).

    ``patterns``: glob patterns a file must match to be checked; one without ``/`` is
    matched against the file's name, one with ``/`` against its path inside ``folder``
    (where ``*`` also crosses folders). ``CheckReport.files_checked`` says how many matched.

    ``variable_sets``: the sets placeholders are checked against; when None, the folder's
    ``.promptcache-vars.toml`` is read if it exists (a broken one is reported as an error)
    and undefined placeholders are not checked when there is none.

    Raises ``ComponentNotFoundError`` when ``folder`` is not an existing folder.
    """
    base = Path(folder)
    if not base.is_dir():
        what = "is not a folder" if base.exists() else "component folder does not exist"
        raise ComponentNotFoundError(f"{base}: {what}", str(base))
    resolved = base.resolve()
    extra: list[ComponentCheck] = []
    vars_file: str | None = None
    defined: frozenset[str] | None = None
    sets: Mapping[str, Mapping[str, Any]] | None = variable_sets
    try:
        folder_default = read_folder_default(resolved)
    except ProjectConfigError as exc:
        folder_default = None
        reason = str(exc).removeprefix(f"{resolved / PROJECT_FILE}: ")
        extra.append(
            ComponentCheck(PROJECT_FILE, problems=(Problem("error", BAD_PROJECT_FILE, reason),))
        )
    if variable_sets is not None:
        defined = frozenset(name for values in variable_sets.values() for name in values)
    else:
        vars_path = resolved / VARS_FILE
        if vars_path.exists():
            vars_file = str(vars_path)
            try:
                sets = read_variable_sets(vars_path)
            except VariableSetsError as exc:
                extra.append(_vars_file_problem(vars_path, exc))
            else:
                defined = frozenset(name for values in sets.values() for name in values)
    base_fd = open_folder(resolved)
    folder_at = (base_fd, str(resolved))
    folder_files = _FolderFiles(folder_at, folder_default, sets, max_component_bytes)
    try:
        entries = [
            (rel, problem)
            for rel, problem in walk_components(resolved)
            # unlistable folders are always reported
            if problem.startswith("cannot list") or matches(rel, patterns)
        ]
        checks = [
            _check_file(folder_at, rel, problem, defined, max_component_bytes, folder_files)
            for rel, problem in entries
        ]
    finally:
        os.close(base_fd)
    files = [entry for entry in entries if not entry[1].startswith("cannot list")]
    if extra:
        checks.extend(extra)
        checks.sort(key=lambda c: c.path)
    return CheckReport(str(resolved), tuple(checks), vars_file, files_checked=len(files))


def matches(path: str, patterns: Sequence[str]) -> bool:
    """True when the POSIX ``path`` matches one of ``patterns`` (see ``check_folder``)."""
    name = path.rpartition("/")[2]
    return any(fnmatch.fnmatchcase(path if "/" in p else name, p) for p in patterns)
