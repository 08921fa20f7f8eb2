"""What every dialect shares: sources, diagnostics, errors and the include resolver."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import ComponentError
from .frontmatter import Frontmatter

Severity = Literal["error", "warning"]

BRACE = "brace"
JINJA2 = "jinja2"
MUSTACHE = "mustache"
FORMATS = (BRACE, "fstring", JINJA2, MUSTACHE)
"""Values ``template_format`` accepts; ``fstring`` is another name for ``brace``."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a template, at a 1-based line and column of ``path`` when known."""

    severity: Severity
    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A component file split into frontmatter and body, with its dialect."""

    path: str
    text: str
    body: str
    body_line: int
    """The file line where ``body`` starts (1 without frontmatter)."""
    dialect: str
    frontmatter: Frontmatter | None = None
    problems: tuple[Diagnostic, ...] = ()
    """Frontmatter and dialect problems (errors stop a render)."""
    version: Hashable = 0
    """The reader's version of the file when it was read (an opaque token: the loader's
    generation, which changes whenever the file may have changed)."""

    @property
    def plain(self) -> bool:
        """True for today's ``{name}`` files without frontmatter: rendered exactly as before."""
        return self.dialect == BRACE and self.frontmatter is None and not self.problems


@dataclass(frozen=True, slots=True)
class VariableUse:
    """A variable (``user.name`` for attribute paths) a template reads, and where."""

    path: str
    line: int
    column: int
    top_level: bool = True
    """False inside a Mustache section, where the name may belong to the section's item."""
    file: str = ""
    """The file it is read in (an include's path), when not the component itself."""

    @property
    def root(self) -> str:
        """The context name the path starts from."""
        return self.path.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Analysis:
    """What reading a template (no rendering) tells: variables, includes and problems."""

    variables: tuple[VariableUse, ...] = ()
    includes: tuple[tuple[str, int, int], ...] = ()
    """Static include names with the line and column of the tag."""
    problems: tuple[Diagnostic, ...] = ()
    needs_render: bool = False
    """True when only a render can tell every variable (control flow, attributes, includes)."""
    tree: Any = field(default=None, compare=False, repr=False)
    """The engine's parse tree, so that compiling does not parse again."""

    @property
    def names(self) -> tuple[str, ...]:
        """Root variable names, in order of first use."""
        return tuple(dict.fromkeys(v.root for v in self.variables))

    @property
    def paths(self) -> tuple[str, ...]:
        """Variable paths (``user.name``), in order of first use."""
        return tuple(dict.fromkeys(v.path for v in self.variables))


class TemplateError(ComponentError):
    """A template cannot be compiled or rendered; the message names the file and line."""

    def __init__(
        self, message: str, path: str = "", line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message, path)
        self.line = line
        self.column = column


class MissingVariableError(TemplateError):
    """A strict render met a variable (or attribute) the context does not give."""

    def __init__(
        self,
        message: str,
        path: str = "",
        line: int | None = None,
        column: int | None = None,
        variable: str = "",
    ) -> None:
        super().__init__(message, path, line, column)
        self.variable = variable


class SandboxViolationError(TemplateError):
    """A template tried to reach Python internals; the sandbox refused."""


class IncludeError(TemplateError):
    """An include is missing, outside the folder, or part of a cycle; ``chain`` names it."""

    def __init__(self, message: str, path: str = "", chain: tuple[str, ...] = ()) -> None:
        super().__init__(message, path)
        self.chain = chain


class IncludeResolver(Protocol):
    """Finds included files inside the component folder (with the loader's confinement)."""

    def source(self, path: str) -> SourceFile:
        """The include at ``path`` (relative to the folder), or raise ``ComponentError``."""
        ...

    def exists(self, path: str) -> bool:
        """True when ``path`` names a readable file inside the folder."""
        ...

    def current(self, source: SourceFile) -> Callable[[], bool]:
        """A cheap test that ``source`` (as returned by ``source``) is still current."""
        ...


def chain_text(chain: tuple[str, ...] | list[str]) -> str:
    """``a.md → b.md → a.md``."""
    return " → ".join(chain)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def column_of(text: str, line: int, word: str) -> int:
    """The column of ``word`` on ``line`` of ``text`` (1 when it is not found)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return 1
    match = re.search(r"(?<![\w.])" + re.escape(word) + r"(?!\w)", lines[line - 1])
    return match.start() + 1 if match else 1


def lookup(context: Mapping[str, Any], path: str) -> bool:
    """True when ``path`` (``user.name``) resolves in ``context`` through mappings/attributes."""
    parts = path.split(".")
    if parts[0] not in context:
        return False
    value: Any = context[parts[0]]
    for part in parts[1:]:
        if isinstance(value, Mapping):
            if part not in value:
                return False
            value = value[part]
        elif part.isdigit() and isinstance(value, list | tuple):
            if int(part) >= len(value):
                return False
            value = value[int(part)]
        else:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Rendered:
    """A render's text and the include paths it used."""

    text: str
    includes: tuple[str, ...] = field(default=())


def nested_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"user.name": "Ada"}`` → ``{"user": {"name": "Ada"}}``; plain names unchanged."""
    context: dict[str, Any] = {}
    for name, value in values.items():
        *parents, last = str(name).split(".")
        target = context
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[last] = value
    return context
