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
        template = loader.read_template(path)
    except ComponentError as exc:
        with contextlib.suppress(ComponentError):
            loader.load(path, typed)
        return RenderResult(path, dict(typed), error=str(exc))
    context = {
        name: typed[name] if name in typed else defaults[name]
        for name in placeholders(template)
        if name in typed or name in defaults
    }
    try:
        result = loader.load(path, context)
    except ComponentError as exc:
        return RenderResult(path, context, template, error=str(exc))
    return RenderResult(
        path, context, template, result.content, result.hit, result.seconds,
        diagnose(template, context),
    )  # fmt: skip


def rendered_diff(before: str, after: str) -> list[str]:
    """Unified diff lines of a component's rendered output before and after a change."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "now", n=2)
    return [line.rstrip("\n") for line in lines]
