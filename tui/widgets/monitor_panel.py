"""Health against the targets, the trend, recommendations, and recent cache events."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from promptcache import (
    CacheEvent,
    CacheSnapshot,
    MonitorSnapshot,
    PerformanceTrends,
    describe_context,
)

EVENT_STYLES = {
    "evict": "yellow",
    "invalidate": "cyan",
    "file_changed": "cyan",
    "load_error": "red",
    "clear": "magenta",
    "put": "dim",
}


def loads_text(cache: CacheSnapshot) -> Text:
    """Cold loads: how many, how many failed, and their time percentiles."""
    text = Text.assemble(
        "Loads ",
        (f"{cache.loads:,}", "bold"),
        " · p50 ",
        (f"{cache.load_time_p50_ms:.2f}", "bold"),
        " · p95 ",
        (f"{cache.load_time_p95_ms:.2f}", "bold"),
        " · p99 ",
        (f"{cache.load_time_p99_ms:.2f}", "bold"),
        " ms",
    )
    if cache.load_failures:
        text.append(f" · {cache.load_failures:,} failed", "red")
    return text


def health_text(
    snapshot: MonitorSnapshot | None, trends: PerformanceTrends, cache: CacheSnapshot | None
) -> Group:
    """The latest monitor snapshot, load times, the trend and the recommendations."""
    if snapshot is None:
        return Group(Text("No snapshots yet.", "dim"))

    def flag(ok: bool, good: str, bad: str) -> Text:
        return Text.assemble(("✔ " if ok else "✖ ", "green" if ok else "red"), good if ok else bad)

    lines = [
        Text.assemble(
            (
                "● healthy" if snapshot.cache_healthy else "● needs attention",
                "bold green" if snapshot.cache_healthy else "bold red",
            ),
        ),
        flag(
            snapshot.response_time_target_met,
            f"hit ratio {snapshot.hit_ratio:.1f}% meets target",
            f"hit ratio {snapshot.hit_ratio:.1f}% below target",
        ),
        flag(
            snapshot.memory_efficient,
            f"memory {snapshot.memory_utilization:.1f}% within target",
            f"memory {snapshot.memory_utilization:.1f}% over target",
        ),
    ]
    if cache is not None:
        lines.append(loads_text(cache))
    lines.append(Text(""))
    analysis = trends.analysis
    if analysis is None:
        lines.append(Text("Trend: needs two snapshots", "dim"))
    else:
        arrow = {"improving": "↗", "degrading": "↘"}.get(analysis.direction, "→")
        lines.append(
            Text.assemble(
                "Trend ",
                (f"{arrow} {analysis.direction}", "bold"),
                f"  avg {analysis.average_hit_ratio:.1f}% over {analysis.snapshots} snapshots",
            )
        )
        recommendations = trends.recommendations
        lines.append(Text(""))
        lines.append(Text("Recommendations", "bold"))
        if not recommendations:
            lines.append(Text("none: the cache is doing well", "green"))
        for advice in recommendations:
            lines.append(Text(f"• {advice}", "yellow"))
    return Group(*lines)


def event_line(event: CacheEvent, repeats: int = 1) -> Text:
    """``12:01:02 evict  size     components/x.md (project_name=Atlas)``: path last, so a
    narrow panel crops the path rather than the kind or the reason. ``repeats`` > 1 adds
    a count after the kind: the same event happened that many times in a row."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
    style = EVENT_STYLES.get(event.kind, "")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(stamp + " ", "dim")
    text.append(f"{event.kind.replace('_', ' '):<11}", style)
    if repeats > 1:
        text.append(f"×{repeats} ", "bold")
    if event.kind == "load_error":
        text.append(event.reason, style)
        return text
    text.append(f"{event.reason:<8.12} ", style)
    text.append(event.path or "(all)")
    context = describe_context(event.context, 40)
    if context != "—":
        text.append(f" ({context})", "dim")
    return text


def collapse_repeats(events: Sequence[CacheEvent]) -> list[tuple[CacheEvent, int]]:
    """Runs of the same event (kind, path, context, reason) in a row, as (first, count):
    an application that keeps asking for a broken component should not fill the log."""
    runs: list[tuple[CacheEvent, int]] = []
    for event in events:
        if runs and runs[-1][0][:4] == event[:4]:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((event, 1))
    return runs


def events_text(notable: Sequence[CacheEvent], evictions: Sequence[CacheEvent]) -> Group | Text:
    """Problems and changes first (they are rare and matter), then the latest evictions."""
    if not notable and not evictions:
        return Text("No events yet: evictions, invalidations and load errors show here.", "dim")
    lines: list[Text] = []
    if notable:
        for event, repeats in collapse_repeats(notable):
            line = event_line(event, repeats)
            line.no_wrap = False  # rare and important: show them whole
            lines.append(line)
        lines.append(Text(""))
    if evictions:
        lines.append(Text("Latest evictions", "bold"))
        lines.extend(event_line(e, n) for e, n in collapse_repeats(evictions))
    return Group(*lines)


class MonitorPanel(Horizontal):
    """Left: health and advice. Right: the event log, newest first."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._events_key: tuple[object, ...] = ()
        self._health_key: object = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="health-box"):
            yield Static(Text("No snapshots yet.", "dim"), id="health")
        with VerticalScroll(id="events-box"):
            yield Static(Text("No events yet.", "dim"), id="events")

    def on_mount(self) -> None:
        self.query_one("#health-box").border_title = "Health"
        self.query_one("#events-box").border_title = "Recent events"

    def update_monitor(
        self,
        cache: CacheSnapshot,
        snapshot: MonitorSnapshot | None,
        trends: PerformanceTrends,
        notable: Sequence[CacheEvent],
        evictions: Sequence[CacheEvent],
        events_version: object,
    ) -> None:
        """Redraw the parts whose data changed."""
        health_key = (
            snapshot,
            trends,
            (cache.loads, cache.load_failures, cache.load_time_p50_ms, cache.load_time_p99_ms),
        )
        if health_key != self._health_key:
            self._health_key = health_key
            self.query_one("#health", Static).update(health_text(snapshot, trends, cache))
        key = (events_version,)
        if key != self._events_key:
            self._events_key = key
            self.query_one("#events", Static).update(events_text(notable, evictions))
