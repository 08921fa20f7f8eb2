"""The race of eviction policies: each policy's hit ratio over time, against OPT."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from promptcache.policies.race import OPT, RaceSnapshot, workload_race
from promptcache.workloads import WORKLOADS

BLOCKS = " ▁▂▃▄▅▆▇█"
RACERS = ("lru", "adaptive", "lirs", "wtinylfu", "s3fifo")
STEP = 500
"""Requests per step of the race."""
HORIZON = 40_000
"""Requests of one workload race (OPT needs them all in advance)."""


def history_rows(values: tuple[float, ...], width: int, height: int) -> list[Text]:
    """The newest ``width`` hit ratios (0-100 %) as bars ``height`` rows tall, top row first."""
    shown = values[-width:] if width > 0 else ()
    rows = []
    for row in range(height - 1, -1, -1):
        line = Text(no_wrap=True, overflow="crop")
        for value in shown:
            level = max(0.0, min(100.0, value)) / 100 * height * 8 - row * 8
            line.append(BLOCKS[int(max(0, min(8, round(level))))])
        rows.append(line)
    return rows


def race_lines(snap: RaceSnapshot, workload: str, width: int, height: int) -> list[Text]:
    """What the panel shows for ``snap``: a header, then each racer (OPT first) with its
    hit ratio so far, its distance to OPT and bars of its hit ratio in each step."""
    ratios = snap.ratios()
    opt = ratios.get(OPT, 0.0)
    header = Text.assemble(
        (workload, "bold"),
        f" workload · {snap.capacity:,} entries each · {snap.requests:,} / {snap.total:,} "
        f"requests · a bar per {STEP:,} requests",
    )
    lines = [header, Text("policy      hit %   to OPT  hit ratio per step", style="dim")]
    racers = sorted(snap.racers, key=lambda r: (r.name != OPT, -r.hits))
    bar_height = max(1, min(3, (height - 3) // max(1, len(racers))))
    chart_width = max(0, width - 28)
    for racer in racers:
        ratio = ratios[racer.name]
        gap = ratio - opt
        style = "bold cyan" if racer.name == OPT else "red" if gap < -10 else "green"
        chart = history_rows(racer.steps, chart_width, bar_height)
        for index, bars in enumerate(chart):
            row = Text(no_wrap=True, overflow="crop")
            if index == len(chart) - 1:
                row.append(f"{racer.name:<10}", "cyan" if racer.name == OPT else "bold")
                row.append(f"{ratio:6.1f}  ", style)
                row.append(f"{gap:+7.1f}  " if racer.name != OPT else " " * 9, "dim")
            else:
                row.append(" " * 27)
            bars.stylize(style)
            row.append_text(bars)
            lines.append(row)
    lines.append(Text("n: next workload   r: restart", style="dim"))
    return lines


class RacePanel(Widget, can_focus=True):
    """Several eviction policies, each with the same capacity, on one demo workload.

    The race's model (``promptcache.policies.race``) does the work; this widget steps it
    on a timer (in a thread, never overlapping) while it is shown, and draws snapshots.
    """

    DEFAULT_CSS = """
    RacePanel {
        height: 1fr;
        border: round $primary 40%;
        padding: 0 1;
    }
    RacePanel:focus {
        border: round $primary;
    }
    """

    BINDINGS = [
        Binding("n", "next_workload", "Next workload"),
        Binding("r", "restart", "Restart"),
    ]

    workload: reactive[str] = reactive("loop")
    """The demo workload racing now."""

    def __init__(self, capacity: int, *, live: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.capacity = capacity
        self.live = live
        self._race = workload_race(self.workload, capacity, RACERS, requests=HORIZON)
        self._snapshot: RaceSnapshot = self._race.snapshot()
        self._generation = 0

    @property
    def snapshot(self) -> RaceSnapshot:
        """The standings drawn now."""
        return self._snapshot

    def on_mount(self) -> None:
        self.border_title = "Race: eviction policies against OPT"
        if self.live:
            self.set_timer(0.2, self._tick)

    def restart(self, workload: str | None = None) -> None:
        """Start a fresh race (on ``workload``, or the same one)."""
        if workload is not None:
            self.workload = workload
        self._generation += 1
        self._race = workload_race(self.workload, self.capacity, RACERS, requests=HORIZON)
        self._snapshot = self._race.snapshot()
        self.refresh()

    def step_now(self, steps: int = 1) -> RaceSnapshot:
        """Advance the race ``steps`` steps on this thread (tests, scenes)."""
        for _ in range(steps):
            self._snapshot = self._race.advance(STEP)
        self.refresh()
        return self._snapshot

    def _tick(self) -> None:
        if not self.is_mounted:
            return
        if not self.display or not self.is_on_screen or self._snapshot.done:
            self.set_timer(1.0, self._tick)  # hidden or finished: look again later
            return
        race, generation = self._race, self._generation

        def advance() -> None:
            snapshot = race.advance(STEP)
            self.app.call_from_thread(self._advanced, generation, snapshot)

        self.run_worker(advance, thread=True, group="race")

    def _advanced(self, generation: int, snapshot: RaceSnapshot) -> None:
        if generation == self._generation:
            self._snapshot = snapshot
            self.refresh()
        self.set_timer(0.1, self._tick)

    def action_next_workload(self) -> None:
        names: list[str] = list(WORKLOADS)
        self.restart(names[(names.index(self.workload) + 1) % len(names)])

    def action_restart(self) -> None:
        self.restart()

    def render(self) -> Group:
        size = self.content_size
        return Group(*race_lines(self._snapshot, self.workload, size.width, size.height))
