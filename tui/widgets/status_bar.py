"""One line under the panels: where the state comes from, demo traffic, and what keys do."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from promptcache import HIT_RATIO_TARGET, CacheSnapshot
from promptcache.tui.state import AppState, Link
from promptcache.tui.themed import (
    BAD,
    BAD_BADGE,
    GOOD,
    GOOD_BADGE,
    IDLE_BADGE,
    MUTED,
    WARN_BADGE,
    themed,
)
from promptcache.tui.traffic import TrafficStatus


def summary_text(cache: CacheSnapshot) -> Text:
    """The panels' key numbers and the eviction policy in one line, for terminals too small
    for the panels."""
    ok = cache.hit_ratio >= HIT_RATIO_TARGET or not cache.total_requests
    return Text.assemble(
        ("hit ", MUTED),
        (
            f"{cache.hit_ratio:.1f}%",
            f"bold {GOOD}" if ok else f"bold {BAD}",
        ),
        (" · mem ", MUTED),
        (f"{cache.memory_utilization:.0f}%", "bold"),
        (" · ", MUTED),
        (f"{cache.size}/{cache.max_size}", "bold"),
        (" · ", MUTED),
        cache.policy,
        "  ",
    )


def traffic_text(traffic: TrafficStatus | None, link: Link) -> Text:
    """``▶ demo  zipf · skew 1.10 · 2,000/s (1,990/s actual)``, or the folder when idle."""
    text = Text()
    if traffic is None or not traffic.running:
        text.append(" demo off ", IDLE_BADGE)
        text.append(f"  {link.detail}", MUTED)
        if link.watch_mode:
            text.append(f"  · watching with {link.watch_mode}", MUTED)
        text.append("  · d starts demo traffic", MUTED)
        return text
    s = traffic.settings
    if traffic.paused:
        text.append(" ❚❚ paused ", WARN_BADGE)
    else:
        text.append(" ▶ demo ", GOOD_BADGE)
    text.append(f"  {s.workload}", "bold")
    if s.workload in ("zipf", "shifting"):
        text.append(f" · skew {s.skew:.2f}")
    text.append(f" · {s.rate:,}/s")
    if not traffic.paused:
        text.append(f" ({traffic.actual_rate:,.0f}/s actual)", MUTED)
    if traffic.errors:
        text.append(f" · {traffic.errors} broken left out", BAD)
    text.append("  t workload · +/- rate · [ ] skew", MUTED)
    return text


BADGES = {
    "connected": (" ● attached ", GOOD_BADGE),
    "connecting": (" … connecting ", WARN_BADGE),
    "disconnected": (" ○ disconnected ", BAD_BADGE),
    "refused": (" ✖ refused ", BAD_BADGE),
}


def link_text(link: Link) -> Text:
    """``● attached  to unix:… · pid 42 · components`` and whether control is allowed."""
    label, style = BADGES[link.connection]
    text = Text(label, style)
    connected = link.connection == "connected"
    text.append(f"  {link.detail}", MUTED if connected else "")
    if connected and not link.control:
        text.append("  · read-only", MUTED)
    if connected and link.stale:
        text.append("  · stale: its store is unreachable", BAD)
    return text


def status_line(state: AppState, compact: bool = False) -> Text:
    """The status line for ``state``; ``compact`` puts the panels' key numbers first."""
    text = Text(no_wrap=True, overflow="ellipsis")
    local = state.link.connection == "local"
    if compact and (local or state.link.connection == "connected"):
        text.append_text(summary_text(state.cache))
    text.append_text(traffic_text(state.traffic, state.link) if local else link_text(state.link))
    return text


class StatusBar(Static):
    """Shows ``status_line``; updated only when the line changes."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._last: str | None = None

    def show_state(self, state: AppState) -> None:
        """Show the line for ``state`` (redrawn only when it changed)."""
        self.show(status_line(state, self.screen.has_class("-compact")))

    def show(self, line: Text) -> None:
        """Show ``line`` (redrawn only when it changed)."""
        if line.markup != self._last:
            self._last = line.markup
            self.update(themed(line))
