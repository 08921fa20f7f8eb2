"""The Race tab: its lines from a race snapshot, and the live race in the app."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult

from promptcache.policies.race import OPT, Race, workload_race
from promptcache.tui.scenes import scene_app, settle
from promptcache.tui.widgets.race_panel import RacePanel, history_rows, race_lines


def test_history_rows_scale_hit_ratios_to_bars() -> None:
    rows = history_rows((0.0, 50.0, 100.0), width=10, height=2)
    assert [r.plain for r in rows] == ["  █", " ██"]  # 50% fills exactly the lower row
    assert [r.plain for r in history_rows((10.0, 20.0, 30.0), width=2, height=1)] == ["▂▂"]


def test_race_lines_rank_racers_under_opt() -> None:
    race = Race(list(range(30)) * 20, 10, ["lru", "lirs"])
    snap = race.advance(300)
    lines = [line.plain for line in race_lines(snap, "loop", width=60, height=20)]
    assert lines[0].startswith("loop workload · 10 entries each · 300 / 600 requests")
    assert lines[-1].startswith("n: next workload")
    body = [line for line in lines[2:-1] if line[:10].strip()]  # a chart's last row names it
    assert [line.split()[0] for line in body] == [OPT, "lirs", "lru"]
    lru = next(line for line in body if line.startswith("lru"))
    assert lru.split()[1:3] == ["0.0", f"{-snap.ratios()[OPT]:+.1f}"]


class RaceOnly(App[None]):
    def compose(self) -> ComposeResult:
        yield RacePanel(40, id="race-panel")


async def test_live_race_diverges_on_a_loop_within_seconds() -> None:
    app = RaceOnly()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(RacePanel)
        assert panel.workload == "loop"
        deadline = time.monotonic() + 10.0
        while panel.snapshot.requests < 3000 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        ratios = panel.snapshot.ratios()
        assert panel.snapshot.requests >= 3000
        assert ratios["lru"] == 0.0 and ratios[OPT] > ratios["adaptive"] > 40.0
        await pilot.press("n")  # the next workload restarts the race
        assert panel.workload == "shifting" and panel.snapshot.requests < 3000


async def test_race_tab_in_the_app_follows_the_cache_size() -> None:
    app = scene_app(max_size=25)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        panel = app.query_one(RacePanel)
        assert app.focused is panel
        snap = panel.step_now(4)
        assert snap.capacity == 25 and snap.requests == 2000
        expected = workload_race("loop", 25, ("lru", "adaptive", "lirs", "wtinylfu", "s3fifo"))
        assert snap.ratios() == expected.advance(2000).ratios()
        await pilot.press("r")
        assert panel.snapshot.requests == 0
