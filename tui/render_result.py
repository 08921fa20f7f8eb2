"""What one render of a component produced, as the browser shows it (no UI here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core import CachedComponentLoader, ComponentError, TemplateDiagnostics, diagnose

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
    loader: CachedComponentLoader, path: str, context: Mapping[str, str]
) -> RenderResult:
    """Load ``path`` through the cache with ``context`` and diagnose its template.

    The load comes first so that a failing component counts as a failed request.
    """
    try:
        result = loader.load(path, context)
        template = loader.read_template(path)
    except ComponentError as exc:
        return RenderResult(path, dict(context), error=str(exc))
    return RenderResult(
        path,
        dict(context),
        template,
        result.content,
        result.hit,
        result.seconds,
        diagnose(template, context),
    )
