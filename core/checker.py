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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .cache import MIB
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
        return {
            "path": self.path,
            "placeholders": list(self.placeholders),
            "problems": [p.to_dict() for p in self.problems],
        }


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
    path: str, data: bytes, defined: Collection[str] | None = None, *, max_bytes: int = MIB
) -> ComponentCheck:
    """Check one component's bytes. ``defined``: names the variable sets define (None: skip).

    ``data`` may hold up to ``max_bytes + 1`` bytes; more than ``max_bytes`` is too large.
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
    return check_text(rel, data, defined, max_bytes=max_bytes)


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
    try:
        entries = [
            (rel, problem)
            for rel, problem in walk_components(resolved)
            # unlistable folders are always reported
            if problem.startswith("cannot list") or matches(rel, patterns)
        ]
        checks = [
            _check_file(folder_at, rel, problem, defined, max_component_bytes)
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
