"""Placeholder parsing, single-pass rendering and template diagnostics (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A well-formed placeholder: ``{`` + a Python identifier + ``}``."""

_SPACED = re.compile(r"\{(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*)\}")
_UNCLOSED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?=[\s.,;!?)\]]|$)(?!\s*\})", re.MULTILINE)


def placeholders(template: str) -> list[str]:
    """Names of the well-formed placeholders, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


@lru_cache(maxsize=512)
def _key_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first so that no key's placeholder shadows a longer one.
    ordered = sorted(keys, key=len, reverse=True)
    return re.compile("|".join(re.escape("{" + k + "}") for k in ordered))


def render(template: str, context: Mapping[str, Any] | None) -> str:
    """Replace every ``{key}`` of ``context`` with ``str(value)`` in one pass.

    Values are never expanded again, so a value holding ``{other}`` stays as written.
    Placeholders with no value stay visible; other braces (JSON) are left alone.
    """
    if not context:
        return template
    values = {"{" + str(k) + "}": str(v) for k, v in context.items()}
    pattern = _key_pattern(tuple(sorted(str(k) for k in context)))
    return pattern.sub(lambda m: values[m.group(0)], template)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A placeholder that looks intended but will never be filled."""

    line: int
    column: int
    text: str
    problem: str


@dataclass(frozen=True, slots=True)
class TemplateDiagnostics:
    """What a template needs and what is wrong with it for a given context."""

    placeholders: tuple[str, ...]
    missing: tuple[str, ...]
    unused: tuple[str, ...]
    malformed: tuple[Malformed, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is missing or malformed."""
        return not self.missing and not self.malformed


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def find_malformed(template: str) -> list[Malformed]:
    """Placeholders with spaces inside (``{ name }``) or never closed (``{name``)."""
    found: list[Malformed] = []
    for m in _SPACED.finditer(template):
        if m.group(1) or m.group(3):
            line, col = _position(template, m.start())
            found.append(Malformed(line, col, m.group(0), "spaces inside braces"))
    for m in _UNCLOSED.finditer(template):
        line, col = _position(template, m.start())
        found.append(Malformed(line, col, m.group(0), "no closing brace"))
    found.sort(key=lambda d: (d.line, d.column))
    return found


def diagnose(template: str, context: Mapping[str, Any] | None = None) -> TemplateDiagnostics:
    """Placeholders, missing and unused variables, and malformed placeholders."""
    names = placeholders(template)
    given = {str(k) for k in (context or {})}
    return TemplateDiagnostics(
        placeholders=tuple(names),
        missing=tuple(n for n in names if n not in given),
        unused=tuple(sorted(given.difference(names))),
        malformed=tuple(find_malformed(template)),
    )
