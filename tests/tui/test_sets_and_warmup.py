"""Issue 11, items 8 (app side) and 13: sets for the bundled samples live in the user's data
folder and come back after a restart; warm-up says how many entries were evicted at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_testlib import Messages

from promptcache.tui import SAMPLE_LIBRARY
from promptcache.tui.scenes import REPORT, open_component, scene_app, settle
from promptcache.tui.widgets.varset_bar import VarSetBar
from promptcache.varsets import VARS_FILE


class TestBundledSets:
    async def test_saved_sets_go_to_the_data_folder_and_come_back(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
        messages = Messages()
        app = scene_app()
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await open_component(pilot, REPORT, project_name="Atlas")
            await pilot.press("ctrl+s")
            await settle(pilot)
            app.screen.query_one("#set-name", Input).value = "mine"
            await pilot.press("enter")
            await settle(pilot)
        saved = app.vars_file
        assert saved.is_relative_to(tmp_path) and saved.exists()
        assert not (SAMPLE_LIBRARY / VARS_FILE).exists()  # nothing written into the package
        assert any(str(saved) in note for note in messages.notifications())
        again = scene_app()
        async with again.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert again.var_sets["mine"]["project_name"] == "Atlas"
            assert "mine" in again.query_one(VarSetBar)._names


class TestWarmUpMessage:
    async def test_warm_up_says_how_many_were_evicted_at_once(self) -> None:
        messages = Messages()
        app = scene_app(max_size=5)
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await settle(pilot)
            await pilot.press("w")
            await settle(pilot)
            note = next(n for n in messages.notifications() if n.startswith("Warmed up"))
            gone = sum(1 for p in app.loader.component_paths() if app.cache.peek(p) is None)
            assert "were evicted at once (the cache holds 5 entries)" in note
            assert f"{gone - 1:,} of them were evicted" in note  # the broken file never loaded
