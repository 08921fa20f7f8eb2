"""Jinja2 components: a sandboxed environment with StrictUndefined, static analysis.

Templates never reach Python internals (``SandboxedEnvironment``), and a variable the
context does not give fails the render instead of rendering as an empty string
(``StrictUndefined``). Includes are loaded through the loader's confined read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
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
)

SYNTAX = "syntax_error"
DYNAMIC_INCLUDE = "dynamic_include"
SANDBOX = "sandbox"
_CONTROL = (nodes.For, nodes.If, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.With)


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
        return source.body, template, self.resolver.current(template)


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


def _loads(node: nodes.Node) -> Iterator[tuple[str, int]]:
    """``(path, line)`` for every variable read: the longest attribute chain per use."""
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        path = _chain(node)
        if path is not None:
            yield path, node.lineno
            return
    if isinstance(node, nodes.Name):
        if node.ctx == "load":
            yield node.name, node.lineno
        return
    for child in node.iter_child_nodes():
        yield from _loads(child)


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
        """Variables (with attribute paths), static includes, syntax errors."""
        try:
            tree = self.env.parse(source.body, name=source.path)
        except TemplateSyntaxError as exc:
            return Analysis(problems=(_syntax_problem(exc, source),))
        stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        stored.update(m.name for m in tree.find_all(nodes.Macro))
        stored.add("loop")
        offset = source.body_line - 1
        uses: list[VariableUse] = []
        for path, line in _loads(tree):
            root = path.split(".", 1)[0]
            if root in stored or root in self._globals:
                continue
            file_line = line + offset
            uses.append(VariableUse(path, file_line, column_of(source.text, file_line, root)))
        includes: list[tuple[str, int, int]] = []
        problems: list[Diagnostic] = []
        for stmt in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            line = stmt.lineno + offset
            if isinstance(stmt, nodes.Include) and stmt.ignore_missing:
                continue
            target: nodes.Expr = stmt.template  # type: ignore[attr-defined]
            if isinstance(target, nodes.Const) and isinstance(target.value, str):
                name = target.value
                includes.append((name, line, column_of(source.text, line, name)))
            else:
                problems.append(
                    Diagnostic(
                        "warning",
                        DYNAMIC_INCLUDE,
                        "include name is computed at render time; it is not tracked",
                        line,
                        1,
                        source.path,
                    )
                )
        for access in tree.find_all((nodes.Getattr, nodes.Getitem)):
            attr = access.attr if isinstance(access, nodes.Getattr) else None
            if isinstance(access, nodes.Getitem) and isinstance(access.arg, nodes.Const):
                attr = access.arg.value if isinstance(access.arg.value, str) else None
            if attr is not None and attr.startswith("_"):
                line = access.lineno + offset
                problems.append(
                    Diagnostic(
                        "error",
                        SANDBOX,
                        f"attribute {attr!r} is refused by the sandbox "
                        "(templates cannot reach Python internals)",
                        line,
                        _find_column(source.text, line, attr),
                        source.path,
                    )
                )
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        needs_render = bool(includes) or any(
            "." in u.path for u in uses
        ) or any(True for _ in tree.find_all(_CONTROL))  # fmt: skip
        return Analysis(tuple(uses), tuple(includes), tuple(problems), needs_render)

    def compile(self, source: SourceFile) -> Template:
        """The compiled template (raise ``TemplateError`` at a syntax error)."""
        try:
            code = self.env.compile(source.body, name=source.path, filename=source.path)
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
