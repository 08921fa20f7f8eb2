"""Reproducible app states, shared by the snapshot tests and ``screenshots/make_screenshots.py``.

Every scene runs on the bundled sample library with seeded traffic and clocks that step
by a fixed amount per call, so the same scene draws the same screen on any machine
(set ``TZ=UTC`` for the event log's times).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from promptcache.tui import DIALECT_LIBRARY, SAMPLE_LIBRARY
from promptcache.tui.app import PromptCacheApp, build_app
from promptcache.tui.folder_watcher import FolderChanges
from promptcache.tui.traffic import TrafficSettings
from promptcache.tui.widgets.variable_form import input_id

START = 1_767_268_800.0  # 2026-01-01 12:00:00 UTC


class StepClock:
    """A clock that advances ``step`` seconds every time it is read."""

    def __init__(self, start: float, step: float) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def scene_app(
    max_size: int = 40,
    max_memory_mb: float = 0.25,
    folder: Path = SAMPLE_LIBRARY,
    folder_label: str = "tui/sample_library",
) -> PromptCacheApp:
    """The app over the sample library, with deterministic clocks and no live polling."""
    clock = StepClock(START, 0.002)
    return build_app(
        folder,
        max_size=max_size,
        max_memory_mb=max_memory_mb,
        clock=clock,
        timer=StepClock(0.0, 0.00012),
        # Not "auto": inotify instances are limited per user (128 by default), and when a
        # busy machine or a long test run has used them up, the loader falls back to stat
        # and the status line reads differently. That made the help scene flaky.
        watch="stat",
        live=False,
        folder_label=folder_label,
        watch_folder=False,
        traffic=TrafficSettings(rate=2000, seed=11),
    )


async def settle(pilot: Pilot[None]) -> None:
    """Let messages and background workers finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def send_traffic(pilot: Pilot[None], rounds: int = 24, per_round: int = 250) -> None:
    """Seeded demo traffic in rounds, with a poll after each (builds the history chart)."""
    app = pilot.app
    assert isinstance(app, PromptCacheApp)
    for _ in range(rounds):
        app.traffic.run_requests(per_round)
        app.refresh_now(sync=True)
    await settle(pilot)


async def open_component(pilot: Pilot[None], path: str, **values: str) -> None:
    """Open ``path`` in the browser and type ``values`` into its variable form."""
    app = pilot.app
    app.query_one("#browser").open(path)  # type: ignore[attr-defined]
    await settle(pilot)
    for name, value in values.items():
        app.query_one(f"#{input_id(name)}", Input).value = value
        await settle(pilot)
    app.refresh_now(sync=True)  # type: ignore[attr-defined]
    await settle(pilot)


Step = Callable[[Pilot[None]], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    """A named state: a terminal size and the steps that lead there from a fresh app."""

    name: str
    size: tuple[int, int]
    steps: tuple[Step, ...] = ()
    press: tuple[str, ...] = ()
    app_options: dict[str, float] = field(default_factory=dict)
    writable: bool = False
    """Run on a temporary copy of the sample library, which the steps may edit."""
    theme: str = "textual-dark"
    """The Textual theme the scene is drawn in."""
    library: Path = SAMPLE_LIBRARY
    """The bundled sample set the scene opens (``DIALECT_LIBRARY`` for the dialect scenes)."""

    def app(self) -> PromptCacheApp:
        """A fresh app for this scene."""
        folder = self.library
        if self.writable:
            folder = Path(tempfile.mkdtemp(prefix="promptcache-scene-")) / "library"
            shutil.copytree(self.library, folder)
        label = f"tui/{self.library.name}"
        app = scene_app(folder=folder, folder_label=label, **self.app_options)  # type: ignore[arg-type]
        app.theme = self.theme
        return app

    async def run_before(self, pilot: Pilot[None]) -> None:
        """Play the steps and key presses, then refresh once more."""
        await settle(pilot)
        for step in self.steps:
            await step(pilot)
        for key in self.press:
            await pilot.press(key)
            await settle(pilot)
        pilot.app.refresh_now(sync=True)  # type: ignore[attr-defined]
        await settle(pilot)


REPORT = "components/reporting/generate-structured-report.md"


async def _report_filled(pilot: Pilot[None]) -> None:
    await open_component(
        pilot, REPORT, project_name="Atlas", audience="the board",
        reporting_period="Q3 2026", max_words="600",
    )  # fmt: skip


async def _report_missing(pilot: Pilot[None]) -> None:
    await open_component(pilot, REPORT, project_name="Atlas")


async def _broken(pilot: Pilot[None]) -> None:
    await open_component(pilot, "components/broken/legacy-latin1.txt")


async def _malformed(pilot: Pilot[None]) -> None:
    await open_component(
        pilot, "components/broken/malformed-placeholders.md", support_email="help@example.com"
    )


async def _edited_on_disk(pilot: Pilot[None]) -> None:
    """The open report is edited in another editor; the app follows (as the watcher would)."""
    await _report_filled(pilot)
    app = pilot.app
    assert isinstance(app, PromptCacheApp)
    report = app.loader.base_path / REPORT
    text = report.read_text(encoding="utf-8")
    text = text.replace("senior analyst", "staff analyst").replace(
        "## Goals", "Keep it under {max_words} words.\n\n## Goals"
    )
    report.write_text(text, encoding="utf-8")
    app.apply_folder_changes(FolderChanges(frozenset(), frozenset({REPORT}), frozenset()))
    await settle(pilot)
    app.query_one("#preview-tabs", TabbedContent).active = "tab-changes"
    await settle(pilot)


async def _traffic(pilot: Pilot[None]) -> None:
    await send_traffic(pilot)


async def _diagnostics_tab(pilot: Pilot[None]) -> None:
    pilot.app.query_one("#preview-tabs", TabbedContent).active = "tab-diagnostics"
    await settle(pilot)


async def _limits_typo(pilot: Pilot[None]) -> None:
    await pilot.press("L")
    await settle(pilot)
    pilot.app.screen.query_one("#max-memory", Input).value = "lots"
    await pilot.press("enter")
    await settle(pilot)


async def _race_loop(pilot: Pilot[None]) -> None:
    """The Race tab on the loop workload, 16 steps in: LRU flat at 0, adaptive near OPT."""
    from promptcache.tui.widgets.race_panel import RacePanel

    await pilot.press("4")
    await settle(pilot)
    panel = pilot.app.query_one(RacePanel)
    panel.restart("loop")
    panel.step_now(16)
    await settle(pilot)


async def _loop_then_adaptive(pilot: Pilot[None]) -> None:
    """The loop workload collapses LRU; the cache switches to adaptive and recovers."""
    app = pilot.app
    assert isinstance(app, PromptCacheApp)
    app.traffic.update(workload="loop")
    await send_traffic(pilot, rounds=12)
    app.switch_policy("adaptive")
    await settle(pilot)
    app.clear_notifications()  # a toast's life is wall-clock time: keep it out of the picture
    await send_traffic(pilot, rounds=12)


async def _policy_list(pilot: Pilot[None]) -> None:
    await _loop_then_adaptive(pilot)
    await pilot.press("P")
    await settle(pilot)


async def _jinja_includes(pilot: Pilot[None]) -> None:
    await open_component(
        pilot, "jinja/support-reply.j2",
        product="Atlas", tone="warm", **{
            "customer.name": "Ada", "ticket.subject": "Refund for order 42", "ticket.urgent": "yes"
        },
    )  # fmt: skip


async def _jinja_broken(pilot: Pilot[None]) -> None:
    await open_component(pilot, "jinja/broken/missing-include.j2")


async def _mustache_broken(pilot: Pilot[None]) -> None:
    await open_component(pilot, "mustache/broken/handlebars-each.hbs")


async def _mustache_partial(pilot: Pilot[None]) -> None:
    await open_component(pilot, "mustache/signature.hbs")


async def _prompty(pilot: Pilot[None]) -> None:
    await open_component(pilot, "prompty/broken/unused-input.prompty", topic="the launch")


SCENES = {
    scene.name: scene
    for scene in (
        Scene("empty-80x24", (80, 24)),
        Scene("traffic-lru", (100, 30), (_traffic,), ("2",)),
        Scene("traffic-monitor", (100, 30), (_traffic,), ("3",)),
        Scene("browser-filled", (100, 30), (_report_filled,)),
        Scene("browser-missing-variable", (100, 30), (_report_missing,)),
        Scene("browser-broken-file", (100, 30), (_broken,)),
        Scene("browser-malformed-diagnostics", (100, 30), (_malformed, _diagnostics_tab)),
        Scene("browser-reloaded-diff", (100, 30), (_edited_on_disk,), writable=True),
        Scene("help", (80, 24), (), ("question_mark",)),
        Scene("traffic-80x24", (80, 24), (_traffic,)),
        Scene("small-40x12", (40, 12), (_traffic,)),
        Scene("lru-80x24", (80, 24), (_traffic,), ("2",)),
        Scene("lru-detail-80x24", (80, 24), (_traffic,), ("2", "down", "enter")),
        Scene("events-80x24", (80, 24), (_traffic,), ("3",)),
        Scene("too-small-30x10", (30, 10)),
        Scene("limits-bad-input", (80, 24), (_limits_typo,)),
        Scene("race-loop", (100, 30), (_race_loop,)),
        Scene("policy-switched-loop", (100, 30), (_loop_then_adaptive,)),
        Scene("policy-list", (100, 30), (_policy_list,)),
        Scene("light-traffic-lru", (100, 30), (_traffic,), ("2",), theme="textual-light"),
        Scene("light-traffic-monitor", (100, 30), (_traffic,), ("3",), theme="textual-light"),
        Scene(
            "light-browser-missing-variable", (100, 30), (_report_missing,), theme="textual-light"
        ),
        Scene("light-traffic-80x24", (80, 24), (_traffic,), theme="textual-light"),
        Scene("light-help", (80, 24), (), ("question_mark",), theme="textual-light"),
        Scene(
            "dialects-jinja-include-tree", (110, 36), (_jinja_includes,), library=DIALECT_LIBRARY
        ),
        Scene(
            "dialects-jinja-diagnostics",
            (110, 36),
            (_jinja_broken, _diagnostics_tab),
            library=DIALECT_LIBRARY,
        ),
        Scene(
            "dialects-mustache-diagnostics",
            (110, 36),
            (_mustache_broken, _diagnostics_tab),
            library=DIALECT_LIBRARY,
        ),
        Scene(
            "dialects-mustache-included-by",
            (110, 36),
            (_mustache_partial,),
            library=DIALECT_LIBRARY,
        ),
        Scene("dialects-prompty-frontmatter", (110, 36), (_prompty,), library=DIALECT_LIBRARY),
    )
}
"""Every scene by name."""
