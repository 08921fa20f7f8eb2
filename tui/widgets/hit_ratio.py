"""Lifetime and recent hit ratio, with a chart of the recent ratio and the target marked."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from promptcache import HIT_RATIO_TARGET, CacheSnapshot
from promptcache.tui.shorten import counts_line
from promptcache.tui.state import AppState
from promptcache.tui.themed import BAD, GOOD, MUTED, themed

BLOCKS = " ▁▂▃▄▅▆▇█"


def chart_rows(history: list[float], width: int, height: int, target: float) -> list[Text]:
    """Bars of ``history`` (percentages, newest right) with a dotted line at ``target``."""
    values = history[-width:] if width > 0 else []
    pad = width - len(values)
    target_level = target / 100 * height * 8  # in eighths of a row, from the bottom
    rows: list[Text] = []
    for row in range(height - 1, -1, -1):
        line = Text(no_wrap=True, overflow="crop")
        floor = row * 8
        on_target_row = floor <= target_level < floor + 8
        for _ in range(pad):
            line.append("┈" if on_target_row else " ", MUTED)
        for value in values:
            level = max(0.0, min(100.0, value)) / 100 * height * 8
            filled = int(max(0, min(8, round(level - floor))))
            style = "$success" if value >= target else "$error"
            if filled == 0 and on_target_row:
                line.append("┈", MUTED)
            else:
                line.append(BLOCKS[filled], style)
        rows.append(line)
    return rows


class HitRatioPanel(Widget):
    """Hit ratio over the cache's life and over the last seconds, and their history."""

    DEFAULT_CSS = """
    HitRatioPanel {
        height: 100%;
        border: round $primary 60%;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text;
        padding: 0 1;
    }
    """

    target: reactive[float] = reactive(HIT_RATIO_TARGET)
    """Hit ratio (percent) below which numbers and bars turn red."""

    window_s: reactive[float] = reactive(10.0)
    """Width of the cache's recent window (ComponentCache's default; the README's 10 s)."""

    def __init__(self, history_size: int = 240, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history: deque[float] = deque(maxlen=history_size)
        """Recent hit ratio at each poll that saw new requests, oldest first."""
        self._snapshot: CacheSnapshot | None = None
        self._last_requests = -1

    def on_mount(self) -> None:
        self.border_title = "Hit ratio"

    @property
    def shown(self) -> CacheSnapshot | None:
        """The snapshot on screen."""
        return self._snapshot

    def show_state(self, state: AppState) -> None:
        """Show the cache part of ``state``."""
        self.update_snapshot(state.cache)

    def update_snapshot(self, snapshot: CacheSnapshot) -> None:
        """Take a new cache snapshot; redraws only when something it shows changed."""
        previous = self._snapshot
        if previous is not None and previous.version == snapshot.version:
            return
        if snapshot.total_requests < self._last_requests:
            self.history.clear()  # the cache was cleared
        if snapshot.total_requests != self._last_requests and snapshot.total_requests:
            self.history.append(snapshot.recent_hit_ratio)
        self._last_requests = snapshot.total_requests
        if previous is None or previous.policy != snapshot.policy:
            self.border_subtitle = f"policy: {snapshot.policy}"
        self._snapshot = snapshot
        self.refresh()

    def _ratio(self, value: float, label: str, requests: int) -> Text:
        if not requests:
            return Text.assemble(("    –", "bold"), (f" {label}", MUTED))
        ok = value >= self.target
        style = "bold" if not requests else f"bold {GOOD}" if ok else f"bold {BAD}"
        return Text.assemble((f"{value:5.1f}%", style), (f" {label}", MUTED))

    def render(self) -> Content:
        snap = self._snapshot
        width = max(1, self.content_size.width)
        if snap is None:
            return themed(Text("waiting for data…", MUTED))
        # The configured window, not the span the samples happen to cover (which wanders
        # between a fraction of it and about twice it): the label stays put.
        window = f"last {self.window_s:.0f} s"
        head = Text.assemble(
            self._ratio(snap.hit_ratio, "lifetime", snap.total_requests),
            "   ",
            self._ratio(snap.recent_hit_ratio, window, snap.recent_requests),
        )
        chart_height = max(1, self.content_size.height - 2)
        rows = chart_rows(list(self.history), width, chart_height, self.target)
        if not self.history:
            rows[-1] = Text(f"no requests yet · target {self.target:.0f}%", MUTED)
        miss, req = (" misses · ", " requests") if width >= 44 else (" miss · ", " req")
        hits, misses, total = counts_line(
            ((snap.hits, "hits"), (snap.misses, miss.strip(" ·")), (snap.total_requests, req)),
            width,
        )
        foot = Text.assemble(
            (hits, "bold"),
            " hits · ",
            (misses, "bold"),
            miss,
            (total, "bold"),
            req,
            no_wrap=True,
            overflow="ellipsis",
        )
        return themed([head, *rows, foot], width)
