"""Rich ``Text`` styled with theme variables (``$text-success``), shown by Textual.

The panels build Rich ``Text`` because it composes well, and style it with the names of
the theme's variables instead of fixed colours, so that every built-in theme, light or
dark, draws them right. Rich cannot draw such styles; ``themed`` turns the text into
Textual ``Content``, which resolves the variables when it is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.content import Content, Span

GOOD = "$text-success"
BAD = "$text-error"
WARN = "$text-warning"
MUTED = "$text-muted"
ACCENT = "$text-accent"
PRIMARY = "$text-primary"
GOOD_BADGE = "bold $text-success on $success-muted"
BAD_BADGE = "bold $text-error on $error-muted"
WARN_BADGE = "bold $text-warning on $warning-muted"
INFO_BADGE = "bold $text-primary on $primary-muted"
IDLE_BADGE = "bold $foreground on $foreground 15%"
MARK = "bold $text-warning on $warning-muted"
"""Highlights a span in running text: a missing ``{variable}``."""


def themed(lines: Text | Iterable[Text], width: int = 0) -> Content:
    """``lines`` as one ``Content``; lines marked ``no_wrap`` are cut to ``width`` cells
    with an ellipsis (when ``width`` is known)."""
    if isinstance(lines, Text):
        lines = (lines,)
    parts: list[Content] = []
    for text in lines:
        if text.no_wrap and width > 0 and text.cell_len > width:
            text = text.copy()
            text.truncate(width, overflow="ellipsis")
        spans = [Span(0, len(text.plain), str(text.style))] if text.style else []
        spans += [Span(s.start, s.end, str(s.style)) for s in text.spans if s.style]
        parts.append(Content(text.plain, spans))
    return Content("\n").join(parts)
