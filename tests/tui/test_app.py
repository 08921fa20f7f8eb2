"""Interactions, driven through the real app with Pilot (one class per feature)."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from pathlib import Path

from textual.screen import ModalScreen
from textual.widgets import Input, Static
from tui_testlib import Messages

from promptcache import CacheEvent
from promptcache.addresses import parse_address
from promptcache.client import RemoteClient
from promptcache.tui.app import PromptCacheApp
from promptcache.tui.attach_app import AttachApp
from promptcache.tui.render_result import MAX_VALUE_CHARS
from promptcache.tui.scenes import REPORT, open_component, scene_app, send_traffic, settle
from promptcache.tui.state import AppState, TableQuery
from promptcache.tui.widgets.help_screen import HelpScreen
from promptcache.tui.widgets.hit_ratio import HitRatioPanel
from promptcache.tui.widgets.limits_screen import LimitsScreen
from promptcache.tui.widgets.lru_table import LRUTable
from promptcache.tui.widgets.monitor_panel import collapse_repeats, events_text

SIZE = (100, 30)
SNAPSHOTS_AFTER_3_ROUNDS = 2
"""Monitor snapshots after ``send_traffic(rounds=3)``: one as the app opens, and one once
the 750 requests moved the scene clock (2 ms per read) past the 1 s monitor interval."""


def text_of(app: PromptCacheApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


class TestBrowser:
    async def test_editing_a_variable_rerenders_and_reports_hit_or_miss(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, REPORT, project_name="Atlas")
            assert "**Atlas**" in text_of(app, "#rendered-body")
            assert "MISS" in text_of(app, "#browser-status")
            await open_component(pilot, REPORT, project_name="Borealis")
            assert "**Borealis**" in text_of(app, "#rendered-body")
            assert "Atlas" not in text_of(app, "#rendered-body")
            await open_component(pilot, REPORT, project_name="Atlas")
            assert "HIT" in text_of(app, "#browser-status")
            stats = app.cache.get_stats()
            # Misses: empty form, Atlas, Borealis. Hits: reopening with Atlas remembered,
            # reopening with Borealis remembered, and Atlas typed again.
            assert (stats["hits"], stats["misses"]) == (3, 3)

    async def test_tab_goes_from_the_tree_to_the_variables(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, REPORT)
            app.query_one("#component-tree").focus()
            await pilot.press("tab", "tab")
            assert app.focused is app.query_one("#var-project_name")
            await pilot.press(*"Atlas")
            await settle(pilot)
            assert "**Atlas**" in text_of(app, "#rendered-body")

    async def test_missing_variables_stay_visible_and_are_counted(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, REPORT, project_name="Atlas")
            rendered = text_of(app, "#rendered-body")
            assert "{audience}" in rendered and "{project_name}" not in rendered
            assert "3 missing" in text_of(app, "#browser-status")

    async def test_values_are_remembered_per_component(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, REPORT, project_name="Atlas")
            await open_component(pilot, "components/error/error-handling.md")
            await open_component(pilot, REPORT)
            assert app.query_one("#var-project_name", Input).value == "Atlas"

    async def test_broken_file_shows_the_error_and_counts_a_failed_load(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, "components/broken/legacy-latin1.txt")
            assert "not UTF-8" in text_of(app, "#rendered-body")
            assert "ERROR" in text_of(app, "#browser-status")
            assert app.cache.get_stats()["load_failures"] == 1

    async def test_malformed_placeholders_are_diagnosed(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, "components/broken/malformed-placeholders.md")
            diagnostics = text_of(app, "#diagnostics-body")
            assert "{ order_id }" in diagnostics and "spaces inside braces" in diagnostics
            assert "{customer_name" in diagnostics and "no closing brace" in diagnostics

    async def test_huge_value_is_refused_with_a_message(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, REPORT, project_name="Atlas")
            app.query_one("#var-audience", Input).value = "x" * (MAX_VALUE_CHARS + 1)
            await settle(pilot)
            assert "limit" in text_of(app, "#form-problem")
            assert "x" * 100 not in text_of(app, "#rendered-body")

    async def test_non_utf8_paste_is_refused_with_a_message(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await open_component(pilot, REPORT)
            app.query_one("#var-audience", Input).value = "caf\udce9"
            await settle(pilot)
            assert "not valid text" in text_of(app, "#form-problem")
            app.query_one("#var-audience", Input).value = ""
            await settle(pilot)
            assert text_of(app, "#form-problem") == ""
            assert "{audience}" in text_of(app, "#rendered-body")


class TestCacheActions:
    async def test_clear_empties_entries_and_counters(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await send_traffic(pilot, rounds=2)
            assert app.cache.get_stats()["total_requests"] > 0
            await pilot.press("c")
            await settle(pilot)
            stats = app.cache.get_stats()
            assert stats["total_requests"] == 0 and stats["cache_size"] == 0
            assert stats["memory_usage_bytes"] == 0
            assert not app.query_one(HitRatioPanel).history

    async def test_evict_removes_the_selected_row(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await send_traffic(pilot, rounds=2)
            await pilot.press("2")
            await settle(pilot)
            app.refresh_now(sync=True)
            table = app.query_one(LRUTable)
            first = table.selected
            assert first is not None
            before = len(app.cache)
            await pilot.press("x")
            await settle(pilot)
            app.refresh_now(sync=True)
            assert len(app.cache) == before - 1
            assert app.cache.peek(first.path, first.context) is None
            assert table.selected is not None and table.selected != first

    async def test_limit_change_evicts_at_once(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await send_traffic(pilot, rounds=2)
            assert len(app.cache) > 5
            await pilot.press("L")
            await settle(pilot)
            assert isinstance(app.screen, LimitsScreen)
            app.screen.query_one("#max-size", Input).value = "5"
            await pilot.press("enter")
            await settle(pilot)
            assert app.cache.max_size == 5 and len(app.cache) == 5

    async def test_bad_limits_keep_the_dialog_open_with_a_message(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("L")
            await settle(pilot)
            dialog = app.screen
            for bad in ("", "ten", "0", "99999999999"):
                dialog.query_one("#max-size", Input).value = bad
                await pilot.press("enter")
                await settle(pilot)
                assert app.screen is dialog
                assert "max entries" in str(dialog.query_one("#limits-message", Static).render())
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is not dialog and app.cache.max_size == 40

    async def test_preload_is_not_counted_as_traffic(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("p")
            await settle(pilot)
            stats = app.cache.get_stats()
            assert stats["preloaded"] == 5 and stats["total_requests"] == 0

    async def test_warm_up_loads_the_folder_and_reports_the_broken_file(self) -> None:
        app = scene_app(max_size=100, max_memory_mb=5)
        messages = Messages()
        async with app.run_test(size=SIZE, message_hook=messages) as pilot:
            await pilot.press("w")
            await settle(pilot)
            paths = app.loader.component_paths()
            assert app.cache.get_stats()["warmed_up"] == len(paths) - 1
            (said,) = [m for m in messages.notifications() if m.startswith("Warmed up")]
            assert "1 failed" in said and "legacy-latin1.txt" in said

    async def test_export_writes_json_and_csv(self, tmp_path: Path) -> None:
        app = scene_app()
        app.export_dir = tmp_path
        async with app.run_test(size=SIZE) as pilot:
            await send_traffic(pilot, rounds=3)
            await pilot.press("e")
            await settle(pilot)
        (json_path,) = tmp_path.glob("*.json")
        (csv_path,) = tmp_path.glob("*.csv")
        data = json.loads(json_path.read_text())
        assert data["stats"]["total_requests"] == 750
        assert len(data["snapshots"]) == SNAPSHOTS_AFTER_3_ROUNDS
        assert [s["hit_ratio"] for s in data["snapshots"]] == [0.0, 68.8]  # seeded traffic
        rows = list(csv.DictReader(csv_path.open()))
        assert len(rows) == SNAPSHOTS_AFTER_3_ROUNDS and "hit_ratio" in rows[0]


class TestDemoTraffic:
    async def test_toggle_and_pause(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("d")
            await settle(pilot)
            assert app.traffic.running and not app.traffic.paused
            await pilot.press("space")
            assert app.traffic.paused
            await pilot.press("space")
            assert not app.traffic.paused
            await pilot.press("d")
            assert not app.traffic.running

    async def test_workload_rate_and_skew_keys(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t", "plus", "right_square_bracket")
            settings = app.traffic.settings
            assert settings.workload == "scan"
            assert settings.rate == 4000
            assert settings.skew == 1.2

    async def test_broken_components_are_left_out_after_one_error(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE):
            failures = sum(app.traffic.run_requests(300) for _ in range(20))
            assert failures == 1
            assert app.cache.get_stats()["load_failures"] == 1


class TestLRUTable:
    async def test_filter_keeps_matching_rows(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await send_traffic(pilot, rounds=2)
            await pilot.press("2", "slash")
            for ch in "planning":
                await pilot.press(ch)
            await settle(pilot)
            app.refresh_now(sync=True)
            window = app.query_one(LRUTable).window_data
            assert window.rows and all("planning" in r.path for r in window.rows)
            assert window.total < len(app.cache)


class TestRedrawOnlyOnChange:
    async def test_panels_skip_work_when_the_version_is_unchanged(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await send_traffic(pilot, rounds=2)
            panel = app.query_one(HitRatioPanel)
            app.refresh_now(sync=True)
            shown, history = panel.shown, list(panel.history)
            assert shown is not None
            app.refresh_now(sync=True)
            app.refresh_now(sync=True)
            assert panel.shown is shown and list(panel.history) == history
            app.traffic.run_requests(10)
            app.refresh_now(sync=True)
            assert panel.shown is not shown and len(panel.history) == len(history) + 1


class TestSmallTerminals:
    async def test_compact_layout_moves_numbers_into_the_status_bar(self) -> None:
        app = scene_app()
        async with app.run_test(size=(60, 20)) as pilot:
            await send_traffic(pilot, rounds=1)
            assert app.screen.has_class("-compact")
            assert not app.query_one("#top-row").display
            assert "hit " in text_of(app, "#status-bar")

    async def test_resizing_the_terminal_switches_layouts_both_ways(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            layouts = []
            for size in ((30, 10), (60, 20), (100, 30)):
                await pilot.resize_terminal(*size)
                await settle(pilot)
                screen = app.screen
                layouts.append((screen.has_class("-compact"), screen.has_class("-too-small")))
            assert layouts == [(True, True), (True, False), (False, False)]
            assert app.query_one("#top-row").display

    async def test_too_small_says_so(self) -> None:
        app = scene_app()
        async with app.run_test(size=(30, 8)) as pilot:
            await settle(pilot)
            assert app.screen.has_class("-too-small")
            assert app.query_one("#too-small").display

    async def test_help_opens_and_closes(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is app.screen_stack[0]
            assert not isinstance(app.screen, ModalScreen)


def test_the_event_log_collapses_the_same_event_in_a_row() -> None:
    error = "components/broken/x.txt: not UTF-8 text"
    notable = [
        *(CacheEvent("load_error", "broken/x.txt", "", error, 0, 100.0 - i) for i in range(6)),
        CacheEvent("invalidate", "a.md", "", "manual", 10, 90.0),
        CacheEvent("load_error", "broken/x.txt", "", error, 0, 80.0),
    ]
    evictions = [CacheEvent("evict", f"e{i}.md", "", "size", 10, 70.0) for i in range(3)]
    assert [count for _, count in collapse_repeats(notable)] == [6, 1, 1]
    lines = [line.plain for line in events_text(notable, evictions)]
    assert sum("load error" in line for line in lines) == 2
    assert "×6" in lines[0] and error in lines[0]
    assert "×" not in "".join(lines[1:])
    evicted = lines[lines.index("Latest evictions") + 1 :]
    assert [line.split()[-1] for line in evicted] == ["e0.md", "e1.md", "e2.md"]  # all kept


class TestThemes:
    async def test_the_palette_switches_the_theme(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.theme == "textual-dark"
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*"theme", "enter")
            await settle(pilot)
            await pilot.press(*"textual-light", "enter")
            await settle(pilot)
            assert app.theme == "textual-light"
            assert app.screen is app.screen_stack[0]

    async def test_the_palette_has_one_help_entry(self) -> None:
        app = scene_app()
        async with app.run_test(size=SIZE):
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Theme" in titles and titles.count("Help") == 1 and "Keys" not in titles


class TestLivePolling:
    async def test_polls_never_overlap_and_every_state_arrives_as_one_message(self) -> None:
        app = scene_app()
        app.live, app.refresh_s = True, 0.01
        inner = app.source.collect
        running = 0
        overlaps: list[int] = []

        def slow_collect(query: TableQuery) -> AppState:
            nonlocal running
            running += 1
            overlaps.append(running)
            time.sleep(0.03)  # slower than the refresh interval
            try:
                return inner(query)
            finally:
                running -= 1

        app.source.collect = slow_collect  # type: ignore[method-assign]
        messages = Messages()
        async with app.run_test(size=SIZE, message_hook=messages) as pilot:
            app.traffic.run_requests(100)
            await pilot.press("2", "3", "2")  # tab changes ask for a poll at once
            await asyncio.sleep(0.5)
            states = messages.states()
            assert len(states) >= 3
            assert set(overlaps) == {1}  # never two collects at once
            await settle(pilot)
            assert app.state is not None and app.state.cache.total_requests == 100


def test_scenes_draw_the_same_whether_or_not_inotify_is_left() -> None:
    """inotify instances are limited per user; a scene whose loader took one when it could
    (watch="auto") drew "watching with inotify", and "stat" once a long run had used them
    up: the help scene's status line then lost its ellipsis. Scenes pin stat."""
    app = scene_app()
    assert app.loader.watch_mode == "stat"
    app.loader.close()


def test_help_lists_only_the_keys_that_work_in_each_app() -> None:
    local = dict(scene_app().help_keys())
    attached = dict(AttachApp(RemoteClient(parse_address("unix:/nowhere.sock"))).help_keys())
    assert {"d", "space", "p", "w", "e", "ctrl+s", "c", "L", "x"} <= set(local)
    assert {"c", "L", "x", "/", "s", "space", "e"} <= set(attached)  # freeze, export
    assert not {"d", "p", "w", "ctrl+s"} & set(attached)
    assert "freeze" in attached["space"] and "pause" in local["space"]
