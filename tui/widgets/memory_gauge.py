"""Memory used against the budget, and entries against the entry limit."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from promptcache import MIB, CacheSnapshot
from promptcache.tui.shorten import counts_line
from promptcache.tui.state import AppState
from promptcache.tui.themed import MUTED, themed


def bar(fraction: float, width: int, style: str) -> Text:
    """A horizontal bar ``width`` cells wide, filled to ``fraction`` in eighths."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = Text(no_wrap=True)
    text.append("█" * full, style)
    if part and full < width:
        text.append(" ▏▎▍▌▋▊▉"[part], style)
    text.append("─" * (width - len(text)), MUTED)
    return text


class MemoryGauge(Widget):
    """Used / budget in MiB as a bar, utilisation (warning from ``warn_at``), entry count."""

    DEFAULT_CSS = """
    MemoryGauge {
        height: 100%;
        border: round $primary 60%;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    warn_at: reactive[float] = reactive(80.0)
    """Utilisation (percent) from which the gauge shows a warning colour."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._snapshot: CacheSnapshot | None = None

    def on_mount(self) -> None:
        self.border_title = "Memory"

    def show_state(self, state: AppState) -> None:
        """Show the cache part of ``state``."""
        self.update_snapshot(state.cache)

    def update_snapshot(self, snapshot: CacheSnapshot) -> None:
        """Take a new cache snapshot; redraws only when something it shows changed."""
        old = self._snapshot
        if old is not None and (
            old.memory_bytes,
            old.size,
            old.max_size,
            old.max_memory_bytes,
            old.evictions,
            old.rejected,
        ) == (
            snapshot.memory_bytes,
            snapshot.size,
            snapshot.max_size,
            snapshot.max_memory_bytes,
            snapshot.evictions,
            snapshot.rejected,
        ):
            return
        self._snapshot = snapshot
        self.refresh()

    def render(self) -> Content:
        snap = self._snapshot
        if snap is None:
            return themed(Text("waiting for data…", MUTED))
        width = max(10, self.content_size.width)
        used = snap.memory_utilization
        level = "error" if used >= 95 else "warning" if used >= self.warn_at else "success"
        style = f"${level}"
        budget = snap.max_memory_bytes / MIB
        amount = f" {snap.memory_bytes / MIB:.2f} / {budget:.{1 if budget >= 10 else 2}f} MiB"
        memory_line = bar(used / 100, max(4, width - len(amount)), style)
        memory_line.append(amount)
        entries_pct = snap.size / snap.max_size * 100 if snap.max_size else 0.0
        count = f" {snap.size:,} / {snap.max_size:,} entries"
        entries_line = bar(entries_pct / 100, max(4, width - len(count)), "$primary")
        entries_line.append(count)
        ev = snap.evictions
        by_size, by_memory = counts_line(
            ((ev.get("size", 0), "evicted by size"), (ev.get("memory", 0), "by memory")), width
        )
        invalidated_n, refused_n = counts_line(
            ((ev.get("invalidated", 0), "invalidated"), (snap.rejected, "refused too large")), width
        )
        evictions = Text.assemble(
            "evicted ",
            (by_size, "bold"),
            " by size · ",
            (by_memory, "bold"),
            " by memory",
            no_wrap=True,
            overflow="ellipsis",
        )
        invalidated = Text.assemble(
            "invalidated ",
            (invalidated_n, "bold"),
            " · refused ",
            (refused_n, "bold"),
            " too large",
            no_wrap=True,
            overflow="ellipsis",
        )
        text_style = f"$text-{level}"
        utilisation = Text.assemble((f"{used:5.1f}%", f"bold {text_style}"), (" of budget", MUTED))
        if used >= self.warn_at:
            utilisation.append(f"  ▲ over {self.warn_at:.0f}%", text_style)
        lines = [memory_line, utilisation, entries_line, evictions, invalidated]
        return themed(lines, self.content_size.width)
