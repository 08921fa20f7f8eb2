"""What one render of a component produced, as the browser shows it (no UI here)."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from promptcache import (
    CachedComponentLoader,
    ComponentError,
    TemplateDiagnostics,
    diagnose,
    placeholders,
)
from promptcache.dialects import (
    MissingVariableError,
    TokenCount,
    count_tokens,
    nested_context,
)
from promptcache.dialects.report import MISSING, ComponentReport
from promptcache.template import Malformed

MAX_VALUE_CHARS = 10_000
"""Longest value the variable form accepts; longer pastes are refused with a message."""


@dataclass(frozen=True, slots=True)
class RenderResult:
    """A component's template, its rendering with a context, and what is wrong with it."""

    path: str
    context: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None
    content: str | None = None
    hit: bool = False
    seconds: float = 0.0
    diagnostics: TemplateDiagnostics | None = None
    error: str | None = None
    report: ComponentReport | None = None
    """Dialect, frontmatter, includes and problems (None for today's ``{name}`` files)."""
    tokens: TokenCount | None = None
    """Tokens in the rendered output."""
    included_by: tuple[str, ...] = ()
    """Components of the folder that include this one."""


def check_value(name: str, value: str) -> str | None:
    """Why ``value`` cannot be used for variable ``name``, or None when it can."""
    if len(value) > MAX_VALUE_CHARS:
        return f"{name}: value is {len(value):,} characters; the limit is {MAX_VALUE_CHARS:,}"
    for ch in value:
        if "\ud800" <= ch <= "\udfff":
            return (
                f"{name}: value holds bytes that are not valid text (U+{ord(ch):04X}); "
                "paste it as UTF-8"
            )
        if ch < " " and ch not in "\t\n":
            return f"{name}: value holds the control character U+{ord(ch):04X}"
    return None


def render_component(
    loader: CachedComponentLoader,
    path: str,
    typed: Mapping[str, str],
    defaults: Mapping[str, str] | None = None,
) -> RenderResult:
    """Render ``path`` through the cache and diagnose its template.

    The context is what the user typed, then ``defaults`` (the chosen variable set) for
    the template's other placeholders. A component that cannot be read still goes
    through the loader, so that it counts as a failed request.
    """
    defaults = defaults or {}
    try:
        source = loader.source(path)
    except ComponentError as exc:
        with contextlib.suppress(ComponentError):
            loader.load(path, typed)
        return RenderResult(path, dict(typed), error=str(exc))
    template = source.text
    if not source.plain:
        return _render_dialect(loader, path, typed, defaults)
    context = {
        name: typed[name] if name in typed else defaults[name]
        for name in placeholders(template)
        if name in typed or name in defaults
    }
    included_by = loader.included_by(path) if loader.graph else ()
    try:
        result = loader.load(path, context)
    except ComponentError as exc:
        return RenderResult(path, context, template, error=str(exc), included_by=included_by)
    return RenderResult(
        path, context, template, result.content, result.hit, result.seconds,
        diagnose(template, context), tokens=count_tokens(result.content),
        included_by=included_by,
    )  # fmt: skip


def _render_dialect(
    loader: CachedComponentLoader,
    path: str,
    typed: Mapping[str, str],
    defaults: Mapping[str, str],
) -> RenderResult:
    """A Jinja2, Mustache or frontmatter component: the form holds its variable paths
    (``user.name``), filled from what was typed, the variable set, then declared defaults."""
    try:
        report = loader.inspect(path)
    except ComponentError as exc:
        return RenderResult(path, dict(typed), error=str(exc))
    declared = report.frontmatter.defaults if report.frontmatter else {}
    names = tuple(v.path for v in report.variables if v.top_level)
    context: dict[str, str] = {}
    for name in names:
        if name in typed:
            context[name] = typed[name]
        elif name in defaults:
            context[name] = defaults[name]
        elif name in declared and declared[name] is not None:
            context[name] = str(declared[name])
    values = nested_context(context)
    report = loader.inspect(path, values)
    included_by = loader.included_by(path)
    missing = tuple(p.message.removeprefix("missing variable ") for p in report.problems
                    if p.kind == MISSING)  # fmt: skip
    malformed = tuple(
        Malformed(p.line or 0, p.column or 0, p.path, p.message)
        for p in report.problems
        if p.severity == "error"
    )
    diagnostics = TemplateDiagnostics(names, missing, (), malformed)
    if malformed:
        many = len(malformed) > 1
        stops = f"{len(malformed)} problem{'s stop' if many else ' stops'} the render:"
        return RenderResult(
            path, context, report.source.text, error=stops, diagnostics=diagnostics,
            report=report, included_by=included_by,
        )  # fmt: skip
    hit, seconds = False, 0.0
    try:
        result = loader.load(path, values)
        content, hit, seconds = result.content, result.hit, result.seconds
    except MissingVariableError as exc:
        content = loader.preview(path, values)
        if not missing:
            diagnostics = TemplateDiagnostics(names, (exc.variable or str(exc),), (), ())
    except ComponentError as exc:
        return RenderResult(
            path, context, report.source.text, error=str(exc), diagnostics=diagnostics,
            report=report, included_by=included_by,
        )  # fmt: skip
    return RenderResult(
        path, context, report.source.text, content, hit, seconds, diagnostics,
        report=report, tokens=count_tokens(content), included_by=included_by,
    )  # fmt: skip


def rendered_diff(before: str, after: str) -> list[str]:
    """Unified diff lines of a component's rendered output before and after a change."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "now", n=2)
    return [line.rstrip("\n") for line in lines]
