"""Jinja2 components: a sandboxed environment with StrictUndefined, static analysis.

Templates never reach Python internals (``SandboxedEnvironment``), and a variable the
context does not give fails the render instead of rendering as an empty string
(``StrictUndefined``). Includes are loaded through the loader's confined read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from jinja2 import (
    BaseLoader,
    ChainableUndefined,
    DebugUndefined,
    Environment,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import ComponentError
from .base import (
    Analysis,
    Diagnostic,
    IncludeError,
    IncludeResolver,
    MissingVariableError,
    SandboxViolationError,
    SourceFile,
    TemplateError,
    VariableUse,
    column_of,
    lookup,
    position,
)

SYNTAX = "syntax_error"
DYNAMIC_INCLUDE = "dynamic_include"
SANDBOX = "sandbox"
_CONTROL = frozenset(
    {nodes.For, nodes.If, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.With}
)
_OPENING = re.compile(r"\{[{%#]")
_SIMPLE_EXPR = re.compile(
    r"-?\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"((?:\s*\|\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*-?"
)
_FILTER_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIMPLE_INCLUDE = re.compile(r"-?\s*include\s+([\"'])([^\"'{}%]+)\1\s*-?")
_NOT_VARIABLES = frozenset({"true", "false", "none", "True", "False", "None"})
_INCLUDES = frozenset({nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends})


class _VisibleUndefined(ChainableUndefined, DebugUndefined):
    """For previews: ``{{ user.name }}`` with no ``user`` shows as ``{{ user }}``."""


class _FolderLoader(BaseLoader):
    """Jinja's view of the component folder: every read goes through the resolver."""

    def __init__(self, resolver: IncludeResolver) -> None:
        self.resolver = resolver

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        try:
            source = self.resolver.source(template)
        except ComponentError as exc:
            raise TemplateNotFound(template, str(exc)) from None
        # Keep the file's line numbers: frontmatter lines become empty comment-free lines
        # only in what Jinja compiles, never in what it outputs.
        return source.body, template, self.resolver.current(source)


def _syntax_problem(exc: TemplateSyntaxError, source: SourceFile) -> Diagnostic:
    line = (exc.lineno or 1) + source.body_line - 1
    lines = source.text.splitlines()
    column = 1
    if 1 <= line <= len(lines):  # Jinja gives no column: point at the line's first tag
        text = lines[line - 1]
        starts = [i for i in (text.find("{%"), text.find("{{")) if i >= 0]
        column = min(starts) + 1 if starts else len(text) - len(text.lstrip()) + 1
    where = exc.name or source.path
    return Diagnostic("error", SYNTAX, f"syntax error: {exc.message}", line, column, where)


def _chain(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        inner = _chain(node.node)
        return None if inner is None else f"{inner}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        inner = _chain(node.node)
        return None if inner is None else f"{inner}.{node.arg.value}"
    return None


class _Scan:
    """One pass over a parse tree: reads (longest attribute chains), names set by the
    template, includes, attributes the sandbox refuses, and whether there is control flow."""

    def __init__(self, tree: nodes.Template) -> None:
        self.loads: list[tuple[str, int]] = []
        self.stored: set[str] = {"loop"}
        self.includes: list[tuple[str | None, int]] = []
        self.unsafe: list[tuple[str, int]] = []
        self.control = False
        stack: list[nodes.Node] = [tree]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is nodes.Name:
                if node.ctx == "load":  # type: ignore[attr-defined]
                    self.loads.append((node.name, node.lineno))  # type: ignore[attr-defined]
                else:
                    self.stored.add(node.name)  # type: ignore[attr-defined]
                continue
            if kind is nodes.Getattr or kind is nodes.Getitem:
                attr = _attribute(node)
                if attr is not None and attr.startswith("_"):
                    self.unsafe.append((attr, node.lineno))
                path = _chain(node)
                if path is not None:
                    self.loads.append((path, node.lineno))
                    self.unsafe.extend(
                        (part, node.lineno) for part in path.split(".")[1:-1]
                        if part.startswith("_")
                    )  # fmt: skip
                    continue
            elif kind in _INCLUDES:
                if kind is nodes.Include and node.ignore_missing:  # type: ignore[attr-defined]
                    continue
                target = node.template  # type: ignore[attr-defined]
                named = isinstance(target, nodes.Const) and isinstance(target.value, str)
                self.includes.append((target.value if named else None, node.lineno))
            elif kind in _CONTROL:
                self.control = True
                if kind is nodes.Macro:
                    self.stored.add(node.name)  # type: ignore[attr-defined]
            children = list(node.iter_child_nodes())
            children.reverse()
            stack.extend(children)


def _attribute(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        value = node.arg.value
        return value if isinstance(value, str) else None
    return None


class JinjaDialect:
    """Compiles, analyses and renders Jinja2 components of one folder."""

    def __init__(self, resolver: IncludeResolver, *, cache_size: int = 4096) -> None:
        self.resolver = resolver
        self.env = SandboxedEnvironment(
            loader=_FolderLoader(resolver),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            cache_size=cache_size,
            auto_reload=True,
        )
        self._globals = frozenset(self.env.globals)
        self._preview_env = self.env.overlay(undefined=_VisibleUndefined)

    def preview(self, source: SourceFile, context: Mapping[str, Any]) -> str:
        """A lenient render for display: undefined values stay visible as ``{{ name }}``."""
        try:
            return self._preview_env.from_string(source.body).render(context)
        except Exception as exc:  # a preview never fails: show why instead
            return f"[preview failed: {exc}]"

    def analyze(self, source: SourceFile) -> Analysis:
        """Variables (with attribute paths), static includes, syntax errors, sandbox refusals."""
        simple = self._simple(source)
        if simple is not None:
            return simple
        try:
            tree = self.env.parse(source.body, name=source.path)
        except TemplateSyntaxError as exc:
            return Analysis(problems=(_syntax_problem(exc, source),))
        scan = _Scan(tree)
        stored = scan.stored
        offset = source.body_line - 1
        uses: list[VariableUse] = []
        for path, line in sorted(scan.loads, key=lambda item: item[1]):
            root = path.split(".", 1)[0]
            if root in stored or root in self._globals:
                continue
            file_line = line + offset
            uses.append(VariableUse(path, file_line, column_of(source.text, file_line, root)))
        includes: list[tuple[str, int, int]] = []
        problems: list[Diagnostic] = []
        for name, line in scan.includes:
            file_line = line + offset
            if name is None:
                problems.append(
                    Diagnostic(
                        "warning",
                        DYNAMIC_INCLUDE,
                        "include name is computed at render time; it is not tracked",
                        file_line,
                        1,
                        source.path,
                    )
                )
            else:
                includes.append((name, file_line, column_of(source.text, file_line, name)))
        for attr, line in scan.unsafe:
            file_line = line + offset
            problems.append(
                Diagnostic(
                    "error",
                    SANDBOX,
                    f"attribute {attr!r} is refused by the sandbox "
                    "(templates cannot reach Python internals)",
                    file_line,
                    _find_column(source.text, file_line, attr),
                    source.path,
                )
            )
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        needs_render = scan.control  # includes and attribute paths are followed statically
        return Analysis(tuple(uses), tuple(includes), tuple(problems), needs_render, tree)

    def _simple(self, source: SourceFile) -> Analysis | None:
        """The analysis of a template made only of ``{{ name.path | filter }}``, literal
        ``{% include "file" %}`` and comments, read without Jinja's parser (a fifth of
        its cost); None for anything else, which Jinja parses. Renders always use Jinja."""
        body = source.body
        uses: list[VariableUse] = []
        includes: list[tuple[str, int, int]] = []
        offset = source.body_line - 1
        end = 0
        for opening in _OPENING.finditer(body):
            start = opening.start()
            if start < end:
                continue  # inside the previous tag or comment
            kind = opening.group(0)[1]
            closer = "}}" if kind == "{" else kind + "}"
            end = body.find(closer, start + 2)
            if end < 0:
                return None
            inner = body[start + 2 : end]
            end += 2
            if kind == "#":
                continue
            line, column = position(body, start)
            if kind == "{":
                m = _SIMPLE_EXPR.fullmatch(inner)
                if m is None or m.group(1).split(".", 1)[0] in _NOT_VARIABLES:
                    return None
                filters = _FILTER_NAMES.findall(m.group(2) or "")
                if any(f not in self.env.filters for f in filters):
                    return None
                root = m.group(1).split(".", 1)[0]
                if root in self._globals or "._" in m.group(1) or root.startswith("_"):
                    return None
                inner_column = column + m.start(1) + 2
                uses.append(VariableUse(m.group(1), line + offset, inner_column))
            else:
                m = _SIMPLE_INCLUDE.fullmatch(inner)
                if m is None:
                    return None
                includes.append((m.group(2), line + offset, column + m.start(2) + 2))
        return Analysis(tuple(uses), tuple(includes), (), False, None)

    def compile(self, source: SourceFile, tree: nodes.Template | None = None) -> Template:
        """The compiled template (raise ``TemplateError`` at a syntax error)."""
        try:
            parsed: str | nodes.Template = source.body if tree is None else tree
            code = self.env.compile(parsed, name=source.path, filename=source.path)
        except TemplateSyntaxError as exc:
            problem = _syntax_problem(exc, source)
            raise TemplateError(
                f"{problem.path}:{problem.line}:{problem.column}: {problem.message}",
                source.path,
                problem.line,
                problem.column,
            ) from None
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None))

    def render(
        self,
        template: Template,
        source: SourceFile,
        context: Mapping[str, Any],
        analysis: Callable[[str], tuple[SourceFile, Analysis] | None],
    ) -> str:
        """Render strictly; errors name the file (main or include), line and variable."""
        try:
            return template.render(context)
        except UndefinedError as exc:
            where, line = _template_frame(exc.__traceback__, source.path)
            if isinstance(exc, SecurityError) or "unsafe" in str(exc):
                raise _refused(exc, where, line) from None
            found = analysis(where)
            variable = ""
            column: int | None = None
            if found is not None and line is not None:
                file_source, file_analysis = found
                line += file_source.body_line - 1
                for use in file_analysis.variables:
                    if use.line == line and not lookup(context, use.path):
                        variable, column = use.path, use.column
                        break
            what = f"undefined variable {variable}" if variable else "undefined variable"
            raise MissingVariableError(
                f"{_at(where, line, column)}: {what} ({exc.message})",
                source.path,
                line,
                column,
                variable,
            ) from None
        except SecurityError as exc:
            where, line = _template_frame(exc.__traceback__, source.path)
            raise _refused(exc, where, line) from None
        except TemplateNotFound as exc:
            raise IncludeError(
                f"{source.path}: include {exc.name!r} not found in the component folder",
                source.path,
                (source.path, str(exc.name)),
            ) from None
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"{exc.name or source.path}:{exc.lineno}: syntax error: {exc.message}",
                source.path,
                exc.lineno,
            ) from None
        except RecursionError:
            raise IncludeError(
                f"{source.path}: includes recurse without end", source.path
            ) from None
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            where, line = _template_frame(exc.__traceback__, source.path)
            raise TemplateError(
                f"{_at(where, line, None)}: render failed: {exc}", source.path, line
            ) from None


def _find_column(text: str, line: int, word: str) -> int:
    lines = text.splitlines()
    found = lines[line - 1].find(word) if 1 <= line <= len(lines) else -1
    return found + 1 if found >= 0 else 1


def _at(path: str, line: int | None, column: int | None) -> str:
    if line is None:
        return path
    return f"{path}:{line}" if column is None else f"{path}:{line}:{column}"


def _refused(exc: Exception, where: str, line: int | None) -> SandboxViolationError:
    return SandboxViolationError(
        f"{_at(where, line, None)}: refused by the sandbox: {exc} "
        "(templates cannot reach Python internals)",
        where,
        line,
    )


@dataclass(frozen=True, slots=True)
class _Frame:
    path: str
    line: int


def _template_frame(tb: TracebackType | None, default: str) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback Jinja rewrote."""
    found: _Frame | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not os.path.isabs(filename) and not filename.startswith("<"):
            found = _Frame(filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return default, None
    return found.path, found.line
