"""Cached entries from most to least recently used; only the visible rows are built."""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from promptcache import EntryView, describe_context
from promptcache.tui.shorten import compact_count, elide_middle, elide_path, strip_folder
from promptcache.tui.state import SORTS, TableWindow

__all__ = ["SORTS", "LRUTable", "TableWindow", "column_at", "column_widths", "header_text"]


def human_bytes(n: int) -> str:
    """1,234 -> '1.2K'."""
    value = float(n)
    for unit in ("B", "K", "M", "G"):
        if value < 1024 or unit == "G":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{n}B"


def human_seconds(seconds: float) -> str:
    """65 -> '1m05s', 4000 -> '1h06m'."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


COLUMNS = (
    ("#", 6),
    ("component", 0),
    ("context", 0),
    ("size", 7),
    ("hits", 7),
    ("age", 7),
    ("idle", 7),
)
NARROW_BELOW = 100
"""Under this many cells the fixed columns shrink to what their values need."""
NARROW_FIXED = {"#": 5, "hits": 6, "age": 6, "idle": 6}


def column_widths(width: int) -> list[int]:
    """Fixed columns keep their width; the component gets 2/3 of the rest (3/5 when wide)
    and the context what is left."""
    fixed_widths = [NARROW_FIXED.get(name, w) if width < NARROW_BELOW else w for name, w in COLUMNS]
    fixed = sum(fixed_widths) + len(COLUMNS) - 1
    free = max(10, width - fixed)
    component = free * 2 // 3 if width < NARROW_BELOW else free * 3 // 5
    return [
        w if w else (component if name == "component" else free - component)
        for (name, _), w in zip(COLUMNS, fixed_widths, strict=True)
    ]


def fit(text: str, width: int, right: bool = False) -> str:
    """Crop with an ellipsis, then pad, to exactly ``width`` cells."""
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text.rjust(width) if right else text.ljust(width)


SORT_OF_COLUMN = {"#": "recency", "hits": "hits", "size": "size", "idle": "idle"}
"""The sort a click on a column's title picks (the other columns do not sort)."""


def header_text(width: int, sort: str = "", reverse: bool = False) -> Text:
    """The column titles, aligned with the rows; the sorted column carries ▼ (▲ reversed)."""
    cells = []
    for (name, _), w in zip(COLUMNS, column_widths(width), strict=True):
        title = name
        if sort and SORT_OF_COLUMN.get(name) == sort:
            title = f"{'▲' if reverse else '▼'}{name}"
        cells.append(fit(title, w, right=name in ("#", "size", "hits", "age", "idle")))
    return Text(" ".join(cells), no_wrap=True)


def column_at(width: int, x: int) -> str | None:
    """The name of the column under cell ``x`` of a row ``width`` cells wide."""
    start = 0
    for (name, _), w in zip(COLUMNS, column_widths(width), strict=True):
        if start <= x < start + w + 1:
            return name
        start += w + 1
    return None


class LRUTable(ScrollView, can_focus=True):
    """A virtual table: the app fetches only the window of entries that is visible."""

    COMPONENT_CLASSES = {
        "lru-table--cursor",
        "lru-table--cursor-blurred",
        "lru-table--victim",
        "lru-table--pending",
    }
    DEFAULT_CSS = """
    LRUTable {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .lru-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .lru-table--cursor-blurred {
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .lru-table--victim {
            color: $text-error;
            text-style: bold;
        }
        & > .lru-table--pending {
            color: $text-muted;
        }
    }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Details", show=False),
    ]

    cursor: reactive[int] = reactive(0)
    """Index of the selected row in the whole list."""

    class WindowChanged(Message):
        """The visible window moved: the app should fetch rows for it."""

    class EntryChosen(Message):
        """Enter on a row: show this entry in full."""

        def __init__(self, entry: EntryView, now: float, is_next: bool) -> None:
            super().__init__()
            self.entry = entry
            self.now = now
            self.is_next = is_next

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window_data = TableWindow((), 0, 0, 0.0)
        self.folder = ""
        """The folder every component lives in (``components``); rows show paths inside it."""

    def set_folder(self, folder: str) -> None:
        """Show paths relative to ``folder`` (``""``: as they are)."""
        if folder != self.folder:
            self.folder = folder
            self.refresh()

    # ------------------------------------------------------------- data in

    def wanted_window(self) -> tuple[int, int]:
        """(offset, limit) of the rows worth fetching: the visible ones plus a margin."""
        # While hidden the table has no height yet; it can never be taller than the app.
        height = max(self.size.height, self.app.size.height)
        return max(0, int(self.scroll_offset.y)), height + 1

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()  # a new theme: the rows are drawn with its colours

    def show(self, window: TableWindow) -> None:
        """Display ``window``; only lines whose content changed are repainted."""
        old = self.window_data
        self.window_data = window
        if window.total != old.total:
            self.virtual_size = Size(self.scrollable_content_region.width, window.total)
        if self.cursor >= window.total:
            self.cursor = max(0, window.total - 1)
        if old.offset != window.offset or old.now != window.now or old.sort != window.sort:
            self.refresh()
            return
        old_rows, new_rows = old.rows, window.rows
        for i in range(max(len(old_rows), len(new_rows))):
            a = old_rows[i] if i < len(old_rows) else None
            b = new_rows[i] if i < len(new_rows) else None
            if a != b:
                self.refresh_lines(window.offset + i - int(self.scroll_offset.y), 1)

    @property
    def selected(self) -> EntryView | None:
        """The entry under the cursor, if it is in the fetched window."""
        w = self.window_data
        i = self.cursor - w.offset
        return w.rows[i] if 0 <= i < len(w.rows) else None

    # ------------------------------------------------------------- drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base_style = self.rich_style
        index = int(self.scroll_offset.y) + y
        w = self.window_data
        if index >= w.total:
            return Strip.blank(width, self.rich_style)
        row_at = index - w.offset
        if not 0 <= row_at < len(w.rows):
            pending = self.get_component_rich_style("lru-table--pending")
            return Strip([Segment(fit("  …", width), base_style + pending)], width)
        entry = w.rows[row_at]
        widths = column_widths(width)
        is_victim = w.lru_path_context == (entry.path, entry.context)
        rank = f"⏏{entry.rank}" if is_victim else str(entry.rank)
        cells = [
            fit(rank, widths[0], right=True),
            fit(elide_path(strip_folder(entry.path, self.folder), widths[1]), widths[1]),
            fit(elide_middle(describe_context(entry.context), widths[2]), widths[2]),
            fit(human_bytes(entry.size_bytes), widths[3], right=True),
            fit(compact_count(entry.hits), widths[4], right=True),
            fit(human_seconds(w.now - entry.created_at), widths[5], right=True),
            fit(human_seconds(w.now - entry.last_accessed), widths[6], right=True),
        ]
        base = base_style
        if index == self.cursor:
            focus = "lru-table--cursor" if self.has_focus else "lru-table--cursor-blurred"
            style = base + self.get_component_rich_style(focus)
        else:
            style = base
        victim = self.get_component_rich_style("lru-table--victim", partial=True)
        segments = [Segment(cells[0] + " ", style + victim if is_victim else style)]
        segments.append(Segment(" ".join(cells[1:]), style))
        return Strip(segments).crop_extend(0, width, base)

    # ------------------------------------------------------------- movement

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        height = max(1, self.size.height)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh_lines(old - top, 1)
        self.refresh_lines(new - int(self.scroll_offset.y), 1)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if int(old) != int(new):
            self.post_message(self.WindowChanged())

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.window_data.total)
        self.post_message(self.WindowChanged())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self.cursor = max(0, min(self.window_data.total - 1, self.cursor + delta))

    def action_choose(self) -> None:
        entry = self.selected
        if entry is None:
            return
        w = self.window_data
        is_next = w.lru_path_context == (entry.path, entry.context)
        self.post_message(self.EntryChosen(entry, w.now, is_next))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        self.cursor = 0 if where == 0 else max(0, self.window_data.total - 1)

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if isinstance(y, int):
            self.cursor = max(0, min(self.window_data.total - 1, int(self.scroll_offset.y) + y))
