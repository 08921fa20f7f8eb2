"""Issue 11, item 1: rows told apart at 80x24 (paths cut in the middle, counts that fit)
and the detail view of one LRU entry."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from promptcache import CacheEvent
from promptcache.tui.scenes import scene_app, send_traffic, settle
from promptcache.tui.shorten import common_folder, compact_count, counts_line, elide_path
from promptcache.tui.widgets.entry_detail_screen import EntryDetailScreen
from promptcache.tui.widgets.lru_table import LRUTable
from promptcache.tui.widgets.monitor_panel import event_line

LONG = "components/review/security-review-with-a-long-name.md"


@pytest.mark.parametrize(
    ("path", "width", "shown"),
    [
        ("review/a.md", 20, "review/a.md"),
        ("components/review/security-review.md", 24, "comp…/security-review.md"),
        ("components/review/security-review.md", 19, "security-review.md"),
        (LONG, 20, "security-r…g-name.md"),
    ],
)
def test_paths_are_cut_in_the_middle(path: str, width: int, shown: str) -> None:
    assert elide_path(path, width) == shown
    assert len(elide_path(path, width)) <= width


@pytest.mark.parametrize(
    ("n", "text"),
    [(999, "999"), (9_999, "9,999"), (12_345, "12.3k"), (236_100, "236k"), (999_999, "1M")],
)
def test_counts_abbreviate(n: int, text: str) -> None:
    assert compact_count(n) == text


def test_counts_line_abbreviates_only_when_it_must() -> None:
    parts = ((236_100, "hits"), (2_140, "misses"))
    assert counts_line(parts, 40) == ["236,100", "2,140"]
    assert counts_line(parts, 24) == ["236k", "2,140"]
    assert counts_line(parts, 23) == ["236k", "2.1k"]


def test_common_folder() -> None:
    assert common_folder(["components/a.md", "components/b/c.md"]) == "components"
    assert common_folder(["jinja/a.j2", "mustache/b.hbs"]) == ""
    assert common_folder(["a.md"]) == ""


def test_event_line_keeps_the_file_name_at_any_width() -> None:
    event = CacheEvent("evict", LONG, "", "memory", 10, 0.0)
    for width in (56, 60, 80):
        line = event_line(event, width=width, folder="components", show_kind=False).plain
        assert line.endswith("/security-review-with-a-long-name.md") and len(line) <= width
        assert "components/" not in line
    narrow = event_line(event, width=30, folder="components", show_kind=False).plain
    assert narrow.endswith(".md") and "securi" in narrow and len(narrow) <= 30


def test_file_changed_kinds_stay_apart() -> None:
    event = CacheEvent("file_changed", "components/a.md", "", "deleted", 0, 0.0)
    assert "file changed deleted" in event_line(event).plain


class TestAt80x24:
    async def test_lru_rows_show_file_names_and_folder_relative_paths(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await send_traffic(pilot, rounds=4)
            await pilot.press("2")
            await settle(pilot)
            app.refresh_now(sync=True)
            await settle(pilot)
            table = app.query_one(LRUTable)
            rows = table.window_data.rows
            assert rows
            shown = [table.render_line(i).text for i in range(min(len(rows), table.size.height))]
            for entry, line in zip(rows, shown, strict=False):
                name = entry.path.rsplit("/", 1)[-1]
                assert name in line, (name, line)
                assert "components/" not in line
            footer = str(app.query_one("#lru-footer", Static).render())
            assert "paths in components/" in footer

    async def test_enter_opens_the_entry_in_full(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await send_traffic(pilot, rounds=4)
            await pilot.press("2")
            await settle(pilot)
            app.refresh_now(sync=True)
            await pilot.press("end")
            await settle(pilot)
            app.refresh_now(sync=True)
            await settle(pilot)
            table = app.query_one(LRUTable)
            entry = table.selected
            assert entry is not None
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, EntryDetailScreen) and screen.entry == entry
            text = str(screen.query_one("#entry-detail", Static).render())
            assert entry.path in text
            assert f"{entry.size_bytes:,} bytes" in text
            assert "next to be evicted" in text  # the last row is the LRU entry
            for name, value in sorted(entry.context):  # type: ignore[call-overload]
                assert f"{name} = {value}" in text
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is app.screen_stack[0]
