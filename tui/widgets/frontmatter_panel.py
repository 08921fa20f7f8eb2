"""Dialect, declared inputs, model settings and dialect problems of the open component."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from promptcache.dialects.report import ComponentReport
from promptcache.dialects.templates import INCLUDE_CYCLE, MISSING_INCLUDE
from promptcache.tui.themed import ACCENT, BAD, MUTED, PRIMARY, WARN, themed

MAX_VALUE = 40


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _flatten(settings: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(settings, dict):
        found: list[tuple[str, Any]] = []
        for key, value in settings.items():
            found.extend(_flatten(value, f"{prefix}{key}."))
        return found
    return [(prefix.rstrip("."), settings)]


def frontmatter_text(report: ComponentReport) -> Text:
    """What the panel shows, as one Rich text (no UI here, so tests read it directly)."""
    out = Text()
    out.append(report.dialect, f"bold {ACCENT}")
    fm = report.frontmatter
    if fm is None:
        out.append("  no frontmatter\n", MUTED)
    else:
        out.append("  frontmatter\n", MUTED)
        if fm.inputs:
            out.append("inputs\n", "bold")
            for item in fm.inputs:
                out.append(f"  {item.name}", PRIMARY)
                if item.has_default:
                    out.append(f" = {_short(item.default)}", MUTED)
                out.append("  required\n" if item.required else "\n", WARN)
        if fm.model:
            out.append("model\n", "bold")
            for key, value in _flatten(dict(fm.model)):
                out.append(f"  {key}: ", MUTED)
                out.append(f"{_short(value)}\n")
    shown = [
        p
        for p in report.problems
        if p.kind not in (MISSING_INCLUDE, INCLUDE_CYCLE, "missing_variable")
    ]
    for problem in shown:
        style = BAD if problem.severity == "error" else WARN
        where = problem.path if problem.path != report.source.path else ""
        if problem.line is not None:
            where += f"{':' if where else ''}{problem.line}:{problem.column or 1}"
        out.append("✖ " if problem.severity == "error" else "● ", style)
        if where:
            out.append(f"{where} ", "bold")
        out.append(f"{problem.message}\n", style)
    out.rstrip()
    return out


class FrontmatterPanel(Static):
    """The dialect, declared inputs and model settings of the open component."""

    DEFAULT_CSS = """
    FrontmatterPanel {
        width: 1fr;
        height: auto;
        max-height: 9;
        padding: 0 1;
        background: $surface;
    }
    """

    def show(self, report: ComponentReport | None) -> None:
        """Show ``report`` (None: clear)."""
        self.update(themed(frontmatter_text(report)) if report is not None else "")
