"""Health against the targets, the trend, recommendations, and recent cache events."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

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
from promptcache.tui.shorten import elide_middle, elide_path, strip_folder
from promptcache.tui.state import AppState
from promptcache.tui.themed import ACCENT, BAD, GOOD, MUTED, PRIMARY, WARN, themed

EVENT_STYLES = {
    "evict": WARN,
    "invalidate": ACCENT,
    "file_changed": ACCENT,
    "load_error": BAD,
    "clear": PRIMARY,
    "put": MUTED,
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
        text.append(f" · {cache.load_failures:,} failed", BAD)
    return text


def health_text(
    snapshot: MonitorSnapshot | None, trends: PerformanceTrends, cache: CacheSnapshot | None
) -> list[Text]:
    """The latest monitor snapshot, load times, the trend and the recommendations."""
    if snapshot is None:
        return [Text("No snapshots yet.", MUTED)]

    def flag(ok: bool, good: str, bad: str) -> Text:
        return Text.assemble(("✔ " if ok else "✖ ", GOOD if ok else BAD), good if ok else bad)

    idle = snapshot.total_requests == 0
    if idle:
        # Nothing to judge yet: a 0% hit ratio over no requests is not a failure.
        head = Text("● no traffic yet", f"bold {MUTED}")
        ratio = Text("– hit ratio: no requests yet", MUTED)
    else:
        healthy = snapshot.cache_healthy
        head = Text(
            "● healthy" if healthy else "● needs attention", f"bold {GOOD if healthy else BAD}"
        )
        ratio = flag(
            snapshot.response_time_target_met,
            f"hit ratio {snapshot.hit_ratio:.1f}% meets target",
            f"hit ratio {snapshot.hit_ratio:.1f}% below target",
        )
    lines = [
        head,
        ratio,
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
    if idle:
        lines.append(Text("Trend and advice start with the first requests.", MUTED))
    elif analysis is None:
        lines.append(Text("Trend: needs two snapshots", MUTED))
    else:
        arrow = {"improving": "↗", "degrading": "↘"}.get(analysis.direction, "→")
        lines.append(
            Text.assemble(
                "Trend ",
                (f"{arrow} {analysis.direction}", "bold"),
                f"  avg {analysis.average_hit_ratio:.1f}% over {analysis.snapshots} snapshots",
            )
        )
        recommendations = [advice_text(a, analysis.snapshots) for a in trends.recommendations]
        lines.append(Text(""))
        lines.append(Text("Recommendations", "bold"))
        if not recommendations:
            lines.append(Text("none: the cache is doing well", GOOD))
        for advice in recommendations:
            lines.append(Text(f"• {advice}", WARN))
    return lines


UNHEALTHY_ADVICE = "Cache performance degraded - consider memory optimization"
"""The monitor's advice when over a fifth of the recent snapshots were unhealthy."""


def advice_text(advice: str, snapshots: int) -> str:
    """A recommendation as the panel words it. The monitor's "performance degraded" is
    about how often the cache was unhealthy, not about the trend's direction; said as is
    next to "↗ improving" it reads as a contradiction."""
    if advice == UNHEALTHY_ADVICE:
        return f"Often unhealthy over the last {snapshots} snapshots - consider memory optimization"
    return advice


def event_line(
    event: CacheEvent,
    repeats: int = 1,
    width: int | None = None,
    folder: str = "",
    *,
    show_kind: bool = True,
) -> Text:
    """``12:01:02 evict        size     review/x.md (project_name=Atlas)``: path last,
    shown inside ``folder`` and, when ``width`` is given, cut in the middle so that the
    file name stays. ``repeats`` > 1 adds a count after the kind: the same event happened
    that many times in a row. ``show_kind=False`` leaves the kind out (under a heading
    that names it)."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
    style = EVENT_STYLES.get(event.kind, "")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(stamp + " ", MUTED)
    if show_kind:
        # The longest kind, "file changed", is 12 cells: a space always follows it.
        text.append(f"{event.kind.replace('_', ' '):<12} ", style)
    if repeats > 1:
        text.append(f"×{repeats} ", "bold")
    if event.kind == "load_error":
        text.append(event.reason, style)
        return text
    text.append(f"{event.reason:<8.12} ", style)
    path = strip_folder(event.path, folder) if event.path else "(all)"
    context = describe_context(event.context, 40)
    if width is not None:
        room = width - len(text.plain)
        path = elide_path(path, max(room, 12))
        room -= len(path) + 3
        context = elide_middle(context, room) if room >= 8 else "—"
    text.append(path)
    if context != "—":
        text.append(f" ({context})", MUTED)
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


def events_text(
    notable: Sequence[CacheEvent],
    evictions: Sequence[CacheEvent],
    width: int | None = None,
    folder: str = "",
) -> list[Text]:
    """Problems and changes first (they are rare and matter), then the latest evictions.

    Evictions get one line each, fitted to ``width``; the rare notable events wrap."""
    if not notable and not evictions:
        return [Text("No events yet: evictions, invalidations and load errors show here.", MUTED)]
    lines: list[Text] = []
    if notable:
        for event, repeats in collapse_repeats(notable):
            line = event_line(event, repeats, folder=folder)
            line.no_wrap = False  # rare and important: show them whole
            lines.append(line)
        lines.append(Text(""))
    if evictions:
        lines.append(Text("Latest evictions", "bold"))
        lines.extend(
            event_line(e, n, width, folder, show_kind=False) for e, n in collapse_repeats(evictions)
        )
    return lines


class MonitorPanel(Horizontal):
    """Left: health and advice. Right: the event log, newest first."""

    DEFAULT_CSS = """
    MonitorPanel {
        height: 1fr;
    }
    MonitorPanel > VerticalScroll {
        border: round $primary 40%;
        border-title-color: $text;
        padding: 0 1;
    }
    MonitorPanel > #health-box {
        width: 2fr;
    }
    MonitorPanel > #events-box {
        width: 3fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._events_key: tuple[object, ...] = ()
        self._health_key: object = None
        self._events: tuple[Sequence[CacheEvent], Sequence[CacheEvent]] = ((), ())
        self._folder = ""

    def set_folder(self, folder: str) -> None:
        """Show event paths relative to ``folder`` (the folder every component lives in)."""
        if folder != self._folder:
            self._folder = folder
            if self._events_key:
                self._draw_events(self.query_one("#events", Static).content_size.width)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="health-box"):
            yield Static(themed(Text("No snapshots yet.", MUTED)), id="health")
        with VerticalScroll(id="events-box"):
            yield Static(themed(Text("No events yet.", MUTED)), id="events")

    def on_mount(self) -> None:
        self.query_one("#health-box").border_title = "Health"
        self.query_one("#events-box").border_title = "Recent events"

    def show_state(self, state: AppState) -> None:
        """Redraw the parts of ``state`` that changed."""
        self.update_monitor(
            state.cache,
            state.monitor_snapshot,
            state.trends,
            state.events.notable,
            state.events.evictions,
            state.events.version,
        )

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
            # Not its timestamp: with no traffic the monitor still logs a snapshot every
            # second, and the panel need not draw the same numbers again.
            dataclasses.replace(snapshot, timestamp=0.0) if snapshot is not None else None,
            trends,
            (cache.loads, cache.load_failures, cache.load_time_p50_ms, cache.load_time_p99_ms),
        )
        if health_key != self._health_key:
            self._health_key = health_key
            self.query_one("#health", Static).update(themed(health_text(snapshot, trends, cache)))
        width = self.query_one("#events", Static).content_size.width
        key = (events_version, width)
        if key != self._events_key:
            self._events_key = key
            self._events = (notable, evictions)
            self._draw_events(width)

    def _draw_events(self, width: int) -> None:
        lines = events_text(*self._events, width=width or None, folder=self._folder)
        self.query_one("#events", Static).update(themed(lines, width))

    def on_resize(self) -> None:
        self.call_after_refresh(self._redraw_events)

    def _redraw_events(self) -> None:
        width = self.query_one("#events", Static).content_size.width
        if self._events_key and self._events_key[-1] != width:
            self._events_key = (self._events_key[0], width)
            self._draw_events(width)
