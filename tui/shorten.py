"""Make paths and counts fit narrow columns without losing what tells them apart.

No Textual here: the widgets of both apps use it, and it is tested without a UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def elide_path(path: str, width: int) -> str:
    """``path`` in at most ``width`` cells, cut in the middle so the file name stays.

    ``components/review/security-review.md`` at 24 cells is ``comp…/security-review.md``;
    a file name longer than the column keeps its start and its extension.
    """
    if width <= 0:
        return ""
    if len(path) <= width:
        return path
    folder, _, name = path.rpartition("/")
    if len(name) + 2 <= width and folder:
        head = width - len(name) - 2  # room for "…/"
        return f"{folder[:head]}…/{name}"
    return elide_middle(name, width)


def elide_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: its start, an ellipsis, and its end."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return text[:head] + "…" + (text[-tail:] if tail else "")


def strip_folder(path: str, folder: str) -> str:
    """``path`` without its leading ``folder/`` (the folder every component lives in)."""
    prefix = folder.rstrip("/") + "/" if folder else ""
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


def common_folder(paths: Iterable[str]) -> str:
    """The first folder every path starts with (``components``), or ``""``."""
    first: str | None = None
    for path in paths:
        head, slash, _ = path.partition("/")
        if not slash:
            return ""
        if first is None:
            first = head
        elif head != first:
            return ""
    return first or ""


def compact_count(n: int, tight: bool = False) -> str:
    """A count in at most 5 cells: ``9,999``, ``12.3k``, ``236k``, ``1.2M``, ``45M``;
    ``tight`` abbreviates from 1,000 on (``2.1k``: at most 4 cells below a million)."""
    if n < (1_000 if tight else 10_000):
        return f"{n:,}"
    for unit, scale in (("k", 1_000), ("M", 1_000_000), ("G", 1_000_000_000)):
        value = n / scale
        if value < 99.95:
            return f"{value:.1f}{unit}".replace(".0" + unit, unit)
        if value < 999.5 or unit == "G":
            return f"{value:.0f}{unit}"
    return f"{n:,}"  # pragma: no cover (the loop always returns)


def counts_line(parts: Sequence[tuple[int, str]], width: int, sep: str = " · ") -> list[str]:
    """Numbers with their labels, in full when they fit in ``width``, else abbreviated.

    Returns the numbers as strings, in order, so the caller can style them.
    """
    candidates = (
        [f"{n:,}" for n, _ in parts],
        [compact_count(n) for n, _ in parts],
        [compact_count(n, tight=True) for n, _ in parts],
    )
    for numbers in candidates:
        length = sum(len(s) + 1 + len(label) for s, (_, label) in zip(numbers, parts, strict=True))
        if length + len(sep) * (len(parts) - 1) <= width:
            return numbers
    return candidates[-1]
