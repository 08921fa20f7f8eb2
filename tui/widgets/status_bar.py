"""One line under the panels: demo traffic state, health, and what keys do."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from promptcache import HIT_RATIO_TARGET, CacheSnapshot
from promptcache.tui.traffic import TrafficStatus


def summary_text(cache: CacheSnapshot) -> Text:
    """The panels' key numbers in one line, for terminals too small for the panels."""
    ok = cache.hit_ratio >= HIT_RATIO_TARGET
    return Text.assemble(
        ("hit ", "dim"),
        (f"{cache.hit_ratio:.1f}%", "bold green" if ok or not cache.total_requests else "bold red"),
        (" · mem ", "dim"),
        (f"{cache.memory_utilization:.0f}%", "bold"),
        (" · ", "dim"),
        (f"{cache.size}/{cache.max_size}", "bold"),
        "  ",
    )


def status_line(
    traffic: TrafficStatus | None,
    watch_mode: str,
    folder: str,
    summary: CacheSnapshot | None = None,
) -> Text:
    """``demo ▶ zipf · skew 1.10 · 2,000/s (1,990/s actual)`` or the folder when idle.

    With ``summary``, the key cache numbers come first (compact layout).
    """
    text = Text(no_wrap=True, overflow="ellipsis")
    if summary is not None:
        text.append_text(summary_text(summary))
    if traffic is None or not traffic.running:
        text.append(" demo off ", "bold black on grey50")
        text.append(f"  {folder}", "dim")
        text.append(f"  · watching with {watch_mode}", "dim")
        text.append("  · d starts demo traffic", "dim")
        return text
    s = traffic.settings
    if traffic.paused:
        text.append(" ❚❚ paused ", "bold black on yellow")
    else:
        text.append(" ▶ demo ", "bold black on green")
    text.append(f"  {s.workload}", "bold")
    if s.workload in ("zipf", "shifting"):
        text.append(f" · skew {s.skew:.2f}")
    text.append(f" · {s.rate:,}/s")
    if not traffic.paused:
        text.append(f" ({traffic.actual_rate:,.0f}/s actual)", "dim")
    if traffic.errors:
        text.append(f" · {traffic.errors} broken left out", "red")
    text.append("  t workload · +/- rate · [ ] skew", "dim")
    return text


class StatusBar(Static):
    """Shows ``status_line``; updated only when the line changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._last: str | None = None

    def show(self, line: Text) -> None:
        """Show ``line`` (redrawn only when it changed)."""
        if line.markup != self._last:
            self._last = line.markup
            self.update(line)
