"""Mustache/Handlebars components through pystache (spec-compliant, maintained).

Prompts are not HTML, so ``{{name}}`` is not HTML-escaped (as Dotprompt configures
Handlebars with ``noEscape``). A missing key fails the render (pystache's strict mode).
Partials ``{{> name}}`` are files of the folder: ``name`` as written, else ``name`` with
the including file's extension, read through the loader's confined read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pystache
from pystache.context import KeyNotFoundError
from pystache.parsed import ParsedTemplate
from pystache.parser import ParsingError

from ..errors import ComponentError
from .base import (
    Analysis,
    Diagnostic,
    IncludeError,
    IncludeResolver,
    MissingVariableError,
    SourceFile,
    TemplateError,
    VariableUse,
    position,
)

SYNTAX = "syntax_error"
HANDLEBARS_HELPER = "handlebars_helper"
_TAG = re.compile(r"\{\{(\{|&|#|\^|/|>|!)?\s*([^}]*?)\s*\}?\}\}")
_HELPER = re.compile(r"^(if|each|unless|with|else|log|lookup)\b")


def _identity(text: str) -> str:
    return text


def _nodes(tree: ParsedTemplate, depth: int) -> Iterator[tuple[str, str, int]]:
    """``(kind, key, section depth)`` for every tag of a parsed template."""
    for node in tree._parse_tree:
        kind = type(node).__name__
        if kind in ("_EscapeNode", "_LiteralNode"):
            yield "var", node.key, depth
        elif kind == "_SectionNode":
            yield "section", node.key, depth
            yield from _nodes(node.parsed, depth + 1)
        elif kind == "_InvertedNode":
            yield "section", node.key, depth
            yield from _nodes(node.parsed_section, depth + 1)
        elif kind == "_PartialNode":
            yield "partial", node.key, depth


def partial_candidates(name: str, includer: str) -> list[str]:
    """The paths a partial name may mean, first match wins."""
    suffix = os.path.splitext(includer)[1]
    names = [name]
    if suffix and not name.endswith(suffix):
        names.append(name + suffix)
    return names


class _Partials:
    def __init__(self, resolver: IncludeResolver, includer: str) -> None:
        self.resolver = resolver
        self.includer = includer

    def get(self, name: str) -> str:
        last: ComponentError | None = None
        for candidate in partial_candidates(name, self.includer):
            try:
                return self.resolver.source(candidate).body
            except ComponentError as exc:
                last = exc
        raise IncludeError(
            f"{self.includer}: partial {name!r} not found in the component folder"
            + (f" ({last})" if last else ""),
            self.includer,
            (self.includer, name),
        )


class MustacheDialect:
    """Parses, analyses and renders Mustache/Handlebars components of one folder."""

    def __init__(self, resolver: IncludeResolver) -> None:
        self.resolver = resolver

    def _positions(self, source: SourceFile) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for m in _TAG.finditer(source.body):
            key = m.group(2)
            if key not in found:
                line, column = position(source.body, m.start())
                found[key] = (line + source.body_line - 1, column)
        return found

    def _helpers(self, source: SourceFile) -> tuple[Diagnostic, ...]:
        found: list[Diagnostic] = []
        for m in _TAG.finditer(source.body):
            if m.group(1) in (None, "#", "^") and _HELPER.match(m.group(2)):
                line, column = position(source.body, m.start())
                found.append(
                    Diagnostic(
                        "error",
                        HANDLEBARS_HELPER,
                        f"{m.group(0)} is a Handlebars helper, not Mustache: write "
                        "{{#name}}…{{/name}} for sections and lists",
                        line + source.body_line - 1,
                        column,
                        source.path,
                    )
                )
        return tuple(found)

    def analyze(self, source: SourceFile) -> Analysis:
        """Variables (top level and inside sections), partials, syntax errors, helpers."""
        helpers = self._helpers(source)
        if helpers:  # pystache would only report a confusing section mismatch
            return Analysis(problems=helpers)
        try:
            tree = pystache.parse(source.body, raise_on_mismatch=True)
        except ParsingError as exc:
            info = exc.info
            offset = info.position if info is not None else 0
            tag_start = source.body.rfind("{{", 0, offset)  # pystache points past the tag
            offset = tag_start if tag_start >= 0 else offset
            line, column = position(source.body, min(offset, len(source.body)))
            message = str(exc).split(". Its section")[0]
            return Analysis(
                problems=(
                    Diagnostic(
                        "error",
                        SYNTAX,
                        f"syntax error: {message}",
                        line + source.body_line - 1,
                        column,
                        source.path,
                    ),
                )
            )
        where = self._positions(source)
        uses: list[VariableUse] = []
        includes: list[tuple[str, int, int]] = []
        problems: list[Diagnostic] = []
        for kind, key, depth in _nodes(tree, 0):
            line, column = where.get(key, (source.body_line, 1))
            if kind == "partial":
                includes.append((key, line, column))
            elif key != ".":
                uses.append(VariableUse(key, line, column, top_level=depth == 0))
        needs_render = bool(includes) or any(not u.top_level for u in uses)
        return Analysis(tuple(uses), tuple(includes), tuple(problems), needs_render)

    def compile(self, source: SourceFile) -> ParsedTemplate:
        """The parsed template (raise ``TemplateError`` at a syntax error)."""
        analysis = self.analyze(source)
        for problem in analysis.problems:
            if problem.kind == SYNTAX:
                raise TemplateError(
                    f"{source.path}:{problem.line}:{problem.column}: {problem.message}",
                    source.path,
                    problem.line,
                    problem.column,
                )
        return pystache.parse(source.body, raise_on_mismatch=True)

    def preview(
        self, template: ParsedTemplate, source: SourceFile, context: Mapping[str, Any]
    ) -> str:
        """A lenient render for display: missing keys render empty, as Mustache says."""
        renderer = pystache.Renderer(
            escape=_identity, missing_tags="ignore", partials=_Partials(self.resolver, source.path)
        )
        try:
            return str(renderer.render(template, dict(context)))
        except Exception as exc:  # a preview never fails: show why instead
            return f"[preview failed: {exc}]"

    def render(
        self, template: ParsedTemplate, source: SourceFile, context: Mapping[str, Any]
    ) -> str:
        """Render strictly: a missing key raises ``MissingVariableError`` naming it."""
        renderer = pystache.Renderer(
            escape=_identity,
            missing_tags="strict",
            partials=_Partials(self.resolver, source.path),
        )
        try:
            return str(renderer.render(template, dict(context)))
        except KeyNotFoundError as exc:
            key = str(getattr(exc, "key", "")) or str(exc)
            line, column = self._positions(source).get(key, (None, None))
            where = source.path if line is None else f"{source.path}:{line}:{column}"
            raise MissingVariableError(
                f"{where}: undefined variable {key}", source.path, line, column, key
            ) from None
        except ParsingError as exc:
            raise TemplateError(f"{source.path}: syntax error in a partial: {exc}") from None
        except RecursionError:
            raise IncludeError(
                f"{source.path}: partials recurse without end", source.path
            ) from None
