"""One folder's dialect engines behind one interface: analyse, compile once, render."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ComponentError
from ..template import PLACEHOLDER, find_malformed
from ..template import render as render_brace
from .base import (
    BRACE,
    JINJA2,
    MUSTACHE,
    Analysis,
    Diagnostic,
    IncludeError,
    IncludeResolver,
    SourceFile,
    TemplateError,
    VariableUse,
    chain_text,
    position,
)
from .jinja import JinjaDialect
from .mustache import MustacheDialect, partial_candidates

MALFORMED = "malformed_placeholder"
MISSING_INCLUDE = "missing_include"
INCLUDE_CYCLE = "include_cycle"


def analyze_brace(source: SourceFile) -> Analysis:
    """``{name}`` placeholders with positions, and malformed ones as errors."""
    body = source.body
    if "{" not in body:
        return Analysis()
    uses: list[VariableUse] = []
    seen: set[str] = set()
    offset = source.body_line - 1
    for m in PLACEHOLDER.finditer(body):
        if m.group(1) not in seen:
            seen.add(m.group(1))
            line, column = position(body, m.start())
            uses.append(VariableUse(m.group(1), line + offset, column))
    problems = tuple(
        Diagnostic(
            "error",
            MALFORMED,
            f"malformed placeholder {bad.text!r}: {bad.problem}",
            bad.line + offset,
            bad.column,
            source.path,
        )
        for bad in find_malformed(body)
    )
    return Analysis(tuple(uses), (), problems)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A component compiled once for one version of its file."""

    source: SourceFile
    analysis: Analysis
    program: Any


@dataclass(frozen=True, slots=True)
class IncludeWalk:
    """Every file a component reaches through includes, and what is wrong on the way."""

    edges: Mapping[str, tuple[str, ...]]
    """Includer path → included paths (missing ones by the name they were asked for)."""
    problems: tuple[Diagnostic, ...]
    analyses: Mapping[str, tuple[SourceFile, Analysis]]

    def first_error(self) -> IncludeError | None:
        """The first missing include or cycle as an exception, or None."""
        for p in self.problems:
            if p.kind in (MISSING_INCLUDE, INCLUDE_CYCLE):
                return IncludeError(f"{p.path}:{p.line}:{p.column}: {p.message}", p.path)
        return None


class Templates:
    """The engines for one component folder, bound to its include resolver."""

    def __init__(self, resolver: IncludeResolver) -> None:
        self.resolver = resolver
        self.jinja = JinjaDialect(resolver)
        self.mustache = MustacheDialect(resolver)
        self._lock = threading.Lock()
        self._analyses: dict[tuple[str, str], tuple[SourceFile, Analysis]] = {}

    def analyze(self, source: SourceFile, dialect: str | None = None) -> Analysis:
        """What reading ``source`` as ``dialect`` (default: its own) tells; memoised."""
        dialect = dialect or source.dialect
        key = (source.path, dialect)
        with self._lock:
            cached = self._analyses.get(key)
        if cached is not None and cached[0] is source:
            return cached[1]
        if dialect == JINJA2:
            analysis = self.jinja.analyze(source)
        elif dialect == MUSTACHE:
            analysis = self.mustache.analyze(source)
        else:
            analysis = analyze_brace(source)
        with self._lock:
            self._analyses[key] = (source, analysis)
        return analysis

    def compile(self, source: SourceFile) -> Compiled:
        """Compile ``source`` (raise ``TemplateError`` for frontmatter or syntax errors)."""
        for problem in source.problems:
            if problem.severity == "error":
                raise TemplateError(
                    f"{source.path}:{problem.line}:{problem.column}: {problem.message}",
                    source.path,
                    problem.line,
                    problem.column,
                )
        analysis = self.analyze(source)
        program: Any
        if source.dialect == JINJA2:
            program = self.jinja.compile(source, analysis.tree)
        elif source.dialect == MUSTACHE:
            program = self.mustache.compile(source)
        else:
            program = source.body
        return Compiled(source, analysis, program)

    def render(self, compiled: Compiled, context: Mapping[str, Any] | None) -> str:
        """Render with declared defaults under ``context``; strict outside brace files."""
        source = compiled.source
        fm = source.frontmatter
        values: Mapping[str, Any] = context or {}
        if fm is not None and fm.inputs:
            merged = fm.defaults
            merged.update(values)
            values = merged
        if source.dialect == JINJA2:
            return self.jinja.render(compiled.program, source, values, self._known_analysis)
        if source.dialect == MUSTACHE:
            return self.mustache.render(compiled.program, source, values)
        return render_brace(compiled.program, values)

    def preview(self, compiled: Compiled, context: Mapping[str, Any] | None) -> str:
        """Like ``render`` but lenient: what is undefined stays visible (Jinja2) or empty."""
        source = compiled.source
        values: dict[str, Any] = source.frontmatter.defaults if source.frontmatter else {}
        values.update(context or {})
        if source.dialect == JINJA2:
            return self.jinja.preview(source, values)
        if source.dialect == MUSTACHE:
            return self.mustache.preview(compiled.program, source, values)
        return render_brace(compiled.program, values)

    def _known_analysis(self, path: str) -> tuple[SourceFile, Analysis] | None:
        with self._lock:
            return self._analyses.get((path, JINJA2))

    def resolve(self, name: str, includer: str, dialect: str) -> str | None:
        """The folder path an include name means, or None when no such file."""
        candidates = partial_candidates(name, includer) if dialect == MUSTACHE else [name]
        for candidate in candidates:
            if self.resolver.exists(candidate):
                return candidate
        return None

    def walk(self, source: SourceFile, analysis: Analysis | None = None) -> IncludeWalk:
        """Follow includes from ``source`` (as its dialect): edges, missing ones, cycles."""
        dialect = source.dialect
        edges: dict[str, tuple[str, ...]] = {}
        problems: list[Diagnostic] = []
        analyses: dict[str, tuple[SourceFile, Analysis]] = {
            source.path: (source, analysis or self.analyze(source))
        }
        if dialect == BRACE:
            return IncludeWalk(edges, (), analyses)
        stack: list[str] = []

        def visit(path: str) -> None:
            stack.append(path)
            file_analysis = analyses[path][1]
            targets: list[str] = []
            for name, line, column in file_analysis.includes:
                target = self.resolve(name, path, dialect)
                if target is None:
                    targets.append(name)
                    problems.append(
                        Diagnostic(
                            "error",
                            MISSING_INCLUDE,
                            f"include {name!r} not found: {chain_text([*stack, name])}",
                            line,
                            column,
                            path,
                        )
                    )
                    continue
                targets.append(target)
                if target in stack:
                    cycle = [*stack[stack.index(target) :], target]
                    problems.append(
                        Diagnostic(
                            "error",
                            INCLUDE_CYCLE,
                            f"include cycle: {chain_text(cycle)}",
                            line,
                            column,
                            path,
                        )
                    )
                    continue
                if target in analyses:
                    continue
                try:
                    included = self.resolver.source(target)
                except ComponentError as exc:
                    problems.append(
                        Diagnostic("error", MISSING_INCLUDE, str(exc), line, column, path)
                    )
                    continue
                included_analysis = self.analyze(included, dialect)
                analyses[target] = (included, included_analysis)
                problems.extend(included_analysis.problems)
                visit(target)
            edges[path] = tuple(targets)
            stack.pop()

        visit(source.path)
        return IncludeWalk(edges, tuple(problems), analyses)
