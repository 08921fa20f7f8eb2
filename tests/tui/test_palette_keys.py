"""Issue 11, item 5: every README key has a palette entry, header clicks sort, j/k, F1."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Static

from promptcache.tui.scenes import scene_app, send_traffic, settle
from promptcache.tui.widgets.help_screen import HelpScreen
from promptcache.tui.widgets.lru_table import LRUTable, column_widths

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_keys() -> list[str]:
    """The keys of the README's key table (the rows between '| key | action |' and a blank)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| key | action |") :].split("\n\n", 1)[0]
    keys: list[str] = []
    for row in table.splitlines()[2:]:
        first_cell = row.split("|")[1]
        keys.extend(re.findall(r"`([^`]+)`", first_cell))
    return keys


class TestPalette:
    async def test_every_readme_key_has_a_palette_entry(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)):
            commands = list(app.get_system_commands(app.screen))
            helps = " ".join(c.help for c in commands)
            titles = [c.title for c in commands]
            keys = readme_keys()
            assert len(keys) > 20
            not_palette = {"q", "j", "k", "Enter"}  # Textual's Quit; movement; the detail view
            missing = [
                k
                for k in keys
                if k not in not_palette and f"{k})" not in helps and f"{k} or" not in helps
            ]
            assert not missing, missing
            assert "Quit" in titles
            assert titles.count("Help") == 1 and "Keys" not in titles

    async def test_palette_sort_entry_sorts_the_lru_table(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await send_traffic(pilot, rounds=2)
            command = next(
                c for c in app.get_system_commands(app.screen) if c.title == "Sort entries"
            )
            command.callback()
            await settle(pilot)
            app.refresh_now(sync=True)
            assert app.query_one(LRUTable).window_data.sort == "hits"


class TestHeaderSort:
    async def test_click_sorts_and_a_second_click_reverses(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await send_traffic(pilot, rounds=3)
            await pilot.press("2")
            await settle(pilot)
            table = app.query_one(LRUTable)
            widths = column_widths(table.scrollable_content_region.width)
            hits_x = sum(w + 1 for w in widths[:4]) + 2  # inside the "hits" title
            for expect_reverse in (False, True):
                await pilot.click("#lru-header", offset=(hits_x, 0))
                await settle(pilot)
                app.refresh_now(sync=True)
                await settle(pilot)
                window = table.window_data
                hits = [r.hits for r in window.rows]
                assert window.sort == "hits" and window.reverse is expect_reverse
                assert hits == sorted(hits, reverse=not expect_reverse)
                header = str(app.query_one("#lru-header", Static).render())
                assert ("▲hits" if expect_reverse else "▼hits") in header


class TestKeys:
    async def test_j_and_k_move_in_lists(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await send_traffic(pilot, rounds=2)
            await pilot.press("2")
            await settle(pilot)
            table = app.query_one(LRUTable)
            await pilot.press("j", "j", "k")
            assert table.cursor == 1
            await pilot.press("1")
            await settle(pilot)
            tree = app.query_one("#component-tree")
            line = tree.cursor_line  # type: ignore[attr-defined]
            await pilot.press("j")
            assert tree.cursor_line == line + 1  # type: ignore[attr-defined]

    async def test_f1_opens_help(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)


class TestPaletteHint:
    async def test_the_footer_drops_the_palette_hint_when_narrowed_and_brings_it_back(
        self,
    ) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)

            def hints() -> int:
                return len(app.screen.query("Footer FooterKey.-command-palette"))

            assert hints() == 1
            await pilot.resize_terminal(40, 12)
            await settle(pilot)
            assert hints() == 0
            await pilot.resize_terminal(100, 30)
            await settle(pilot)
            assert hints() == 1
