"""The promptcache inspector: wires the core objects to the panels."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, ProgressBar, TabbedContent, TabPane

from promptcache import (
    POLICIES,
    CachedComponentLoader,
    CacheEvent,
    CachePerformanceMonitor,
    ComponentCache,
    WarmupReport,
)
from promptcache.export import export_stats
from promptcache.tui.folder_watcher import FolderChanges, FolderWatcher, renamed_to
from promptcache.tui.inspector import InspectorApp
from promptcache.tui.render_result import RenderResult, render_component
from promptcache.tui.shorten import common_folder
from promptcache.tui.sources import LocalSource
from promptcache.tui.traffic import TrafficRunner, TrafficSettings
from promptcache.tui.widgets.component_browser import ComponentBrowser
from promptcache.tui.widgets.help_screen import HelpScreen
from promptcache.tui.widgets.hit_ratio import HitRatioPanel
from promptcache.tui.widgets.lru_panel import LRUPanel
from promptcache.tui.widgets.lru_table import LRUTable
from promptcache.tui.widgets.monitor_panel import MonitorPanel
from promptcache.tui.widgets.race_panel import RacePanel
from promptcache.tui.widgets.save_set_screen import SaveSetScreen
from promptcache.tui.widgets.variable_form import VariableForm
from promptcache.tui.widgets.varset_bar import VarSetBar
from promptcache.varsets import (
    VARS_FILE,
    VariableSetsError,
    read_variable_sets,
    save_variable_set,
    variable_sets_file,
)


class PromptCacheApp(InspectorApp):
    """Live panels over a ComponentCache, and a browser for the components it caches."""

    class RenderShown(Message):
        """The browser shows a finished render (``reload``: after a change on disk)."""

        def __init__(self, result: RenderResult, reload: bool) -> None:
            super().__init__()
            self.result = result
            self.reload = reload

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "toggle_demo", "Demo"),
        # Priority, or the tree would take space; check_action lets Inputs keep it.
        Binding("space", "pause", "Pause", priority=True),
        Binding("p", "preload", "Preload"),
        Binding("w", "warm_up", "Warm up"),
        Binding("e", "export", "Export", show=False),
        Binding("ctrl+s", "save_varset", "Save vars", show=False),
        Binding("t", "next_workload", "Workload", show=False),
        Binding("plus,equals_sign", "rate(2)", "Faster", show=False),
        Binding("minus", "rate(0.5)", "Slower", show=False),
        Binding("left_square_bracket", "skew(-0.1)", "Less skew", show=False),
        Binding("right_square_bracket", "skew(0.1)", "More skew", show=False),
        Binding("1", "tab('tab-components')", "Components", show=False),
        Binding("4", "tab('tab-race')", "Race", show=False),
        Binding("P", "choose_policy", "Policy", show=False),
    ]
    FOCUS_ON_TAB: ClassVar[dict[str, str]] = {
        "tab-components": "#component-tree",
        "tab-lru": "#lru-table",
        "tab-race": "#race-panel",
    }

    def __init__(
        self,
        loader: CachedComponentLoader,
        monitor: CachePerformanceMonitor | None = None,
        *,
        refresh_s: float = 0.5,
        demo: bool = False,
        traffic: TrafficSettings | None = None,
        export_dir: Path | None = None,
        monitor_interval_s: float = 1.0,
        live: bool = True,
        folder_label: str | None = None,
        watch_folder: bool = True,
    ) -> None:
        cache = loader.cache
        monitor = monitor or CachePerformanceMonitor(cache, clock=cache.clock)
        self.traffic = TrafficRunner(loader, traffic)
        self._folder = folder_label or _home_relative(loader.base_path)
        self.source: LocalSource = LocalSource(
            cache,
            monitor,
            folder=self._folder,
            watch_mode=lambda: loader.watch_mode,
            traffic=self.traffic,
            monitor_interval_s=monitor_interval_s,
        )
        super().__init__(self.source, refresh_s=refresh_s, live=live)
        self.loader = loader
        self.cache: ComponentCache = cache
        self.monitor = monitor
        self.export_dir = export_dir or Path.cwd()
        self._start_demo = demo
        self.vars_file = variable_sets_file(loader.base_path)
        """Where ``ctrl+s`` saves sets: the folder's own file, or for the bundled samples a
        file in the user's data folder (never inside the installed package)."""
        shipped = loader.base_path / VARS_FILE
        self._shipped_vars = shipped if shipped != self.vars_file else None
        self._vars_label = (
            VARS_FILE if self._shipped_vars is None else _home_relative(self.vars_file)
        )
        self.var_sets: dict[str, dict[str, str]] = {}
        self._watcher = (
            FolderWatcher(loader.base_path, self._folder_changed_in_thread)
            if watch_folder
            else None
        )

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with TabbedContent(id="tabs"):
            with TabPane("1 Components", id="tab-components"):
                yield ComponentBrowser(id="browser")
            with TabPane("2 LRU order", id="tab-lru"):
                yield LRUPanel(id="lru-panel")
            with TabPane("3 Monitor", id="tab-monitor"):
                yield MonitorPanel(id="monitor-panel")
            with TabPane("4 Race", id="tab-race"):
                yield RacePanel(self.cache.max_size, live=self.live, id="race-panel")
        yield ProgressBar(id="warmup-progress", show_eta=False)
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.sub_title = self._folder
        self.query_one("#warmup-progress").display = False
        self._set_component_paths(self.loader.component_paths())
        self.query_one("#component-tree").focus()
        self._load_var_sets(announce=False)
        if self._watcher is not None:
            self._watcher.start()
        for panel in self.query(HitRatioPanel):
            panel.window_s = self.cache.recent_window_s
        self._apply_layout_classes()
        self.refresh_now(sync=True)
        if self._start_demo:
            self.action_toggle_demo()
        if self.live:
            self._schedule_poll()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        self.traffic.stop()
        super().on_unmount()

    # ------------------------------------------------------------------ browser

    @on(ComponentBrowser.RenderRequested)
    def _render_requested(self, event: ComponentBrowser.RenderRequested) -> None:
        self._render(event.path, event.typed, event.defaults, event.reload)

    @work(thread=True, group="render", exclusive=True, exit_on_error=False)
    def _render(
        self, path: str, typed: dict[str, str], defaults: dict[str, str], reload: bool
    ) -> None:
        result = render_component(self.loader, path, typed, defaults)
        # Textual types the callback as returning T | Awaitable[T]; mypy cannot solve T for
        # a coroutine function, though call_from_thread awaits it as documented.
        self.call_from_thread(self._show_render, result, reload)  # type: ignore[arg-type]

    async def _show_render(self, result: RenderResult, reload: bool) -> None:
        await self.query_one(ComponentBrowser).show(result, reload=reload)
        self.post_message(self.RenderShown(result, reload))
        self.refresh_now()

    # ------------------------------------------------------------------ live reload

    def _folder_changed_in_thread(self, changes: FolderChanges) -> None:
        self.call_from_thread(self.apply_folder_changes, changes)

    def apply_folder_changes(self, changes: FolderChanges) -> None:
        """Follow one burst of changes on disk: cache, events, tree, sets, open component."""
        browser = self.query_one(ComponentBrowser)
        listed = set(browser.listed_paths)
        hidden = {p for p in changes.all if any(part.startswith(".") for part in p.split("/"))}
        modified = (changes.modified | (changes.added & listed)) - hidden
        added = changes.added - listed - hidden
        deleted = changes.deleted - hidden
        self.loader.invalidate_files(modified | deleted)
        self._log_file_events(added, modified, deleted)
        if added or deleted:
            self._refresh_tree()
        if VARS_FILE in changes.all:
            self._load_var_sets(announce=True)
        current = browser.current_path
        touched = modified | deleted | added
        new_path = renamed_to(current, changes) if current is not None else None
        if current is not None and new_path is not None and new_path not in hidden:
            self._follow_rename(current, new_path)
        elif current is not None and current in touched | self.loader.graph.dependents(touched):
            browser.open(current, reload=True)
        self.refresh_now()

    def _follow_rename(self, old: str, new: str) -> None:
        """Reopen the renamed file under its new name, once the tree lists it."""
        browser = self.query_one(ComponentBrowser)
        if new not in browser.listed_paths:
            self._set_component_paths(self.loader.component_paths())
        browser.follow_rename(old, new)
        self.notify(f"Followed the rename: {old} → {new}")

    def _log_file_events(
        self, added: AbstractSet[str], modified: AbstractSet[str], deleted: AbstractSet[str]
    ) -> None:
        now = self.cache.clock()
        changed = [("created", added), ("modified", modified), ("deleted", deleted)]
        if sum(len(paths) for _, paths in changed) > 20:  # a burst: one line, not hundreds
            summary = ", ".join(f"{len(p)} {kind}" for kind, p in changed if p)
            self.cache.record_event(CacheEvent("file_changed", f"({summary})", "", "burst", 0, now))
            return
        for kind, paths in changed:
            for path in sorted(paths):
                self.cache.record_event(CacheEvent("file_changed", path, "", kind, 0, now))

    @work(thread=True, group="tree", exclusive=True, exit_on_error=False)
    def _refresh_tree(self) -> None:
        paths = self.loader.component_paths()
        self.call_from_thread(self._set_component_paths, paths)

    def _set_component_paths(self, paths: list[str]) -> None:
        """List ``paths`` in the tree; the table and the log show them inside their folder."""
        self.query_one(ComponentBrowser).set_paths(paths)
        folder = common_folder(paths)
        self.query_one(LRUTable).set_folder(folder)
        self.query_one(MonitorPanel).set_folder(folder)

    # ------------------------------------------------------------------ variable sets

    def _load_var_sets(self, *, announce: bool) -> None:
        bar = self.query_one(VarSetBar)
        try:
            self.var_sets = self._read_var_sets()
        except VariableSetsError as exc:
            bar.set_sets(tuple(self.var_sets), f"⚠ {exc}")
            self.notify(str(exc), title="Variable sets not loaded", severity="error", timeout=10)
            return
        label = self._vars_label
        if self.var_sets:
            note = f"from {VARS_FILE}" if self._shipped_vars is not None else f"from {label}"
        else:
            note = f"none yet: ctrl+s saves to {label}"
        bar.set_sets(tuple(self.var_sets), note)
        chosen = bar.chosen
        if chosen is not None:
            self.query_one(ComponentBrowser).use_defaults(self.var_sets.get(chosen, {}))
        if announce:
            self.notify(f"Variable sets reloaded: {', '.join(self.var_sets) or 'none'}")

    @on(VarSetBar.SetChosen)
    def _set_chosen(self, event: VarSetBar.SetChosen) -> None:
        values = self.var_sets.get(event.name, {}) if event.name else {}
        self.query_one(ComponentBrowser).use_defaults(values)

    def action_save_varset(self) -> None:
        browser = self.query_one(ComponentBrowser)
        path = browser.current_path
        if path is None:
            self.notify(
                "Open a component first: its variables are what gets saved", severity="warning"
            )
            return
        values = {k: v for k, v in self._current_context().items() if v}
        if not values:
            self.notify("No values to save: fill some variables first", severity="warning")
            return

        def save(name: str | None) -> None:
            if name is None:
                return
            merged = {**self.var_sets.get(name, {}), **values}
            try:
                save_variable_set(self.vars_file, name, merged)
            except (VariableSetsError, OSError) as exc:
                self.notify(f"Not saved: {exc}", severity="error", timeout=10)
                return
            self.notify(f"Saved {len(values)} value(s) to set {name!r} in {self.vars_file}")
            self.var_sets = self._read_var_sets()
            bar = self.query_one(VarSetBar)
            bar.set_sets(tuple(self.var_sets), "saved", keep=name)

        suggested = self.query_one(VarSetBar).chosen or "default"
        target = VARS_FILE if self._shipped_vars is None else _home_relative(self.vars_file)
        self.push_screen(SaveSetScreen(suggested, len(values), target), save)

    def _read_var_sets(self) -> dict[str, dict[str, str]]:
        """The sets in effect: those shipped with a bundled library, overlaid by the user's."""
        sets = read_variable_sets(self._shipped_vars) if self._shipped_vars is not None else {}
        for name, values in read_variable_sets(self.vars_file).items():
            sets[name] = {**sets.get(name, {}), **values}
        return sets

    def _current_context(self) -> dict[str, str]:
        form = self.query_one(VariableForm)
        return {name: form.query_one(f"#var-{name}", Input).value for name in form.names}

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A space typed into a variable is a space, not "pause".
        return not (action == "pause" and isinstance(self.focused, Input))

    def action_toggle_demo(self) -> None:
        if self.traffic.running:
            self.traffic.stop()
            self.notify("Demo traffic stopped")
        else:
            self.traffic.start()
            self.notify("Demo traffic started: space pauses, t changes workload")
        self.refresh_now()

    def action_pause(self) -> None:
        if not self.traffic.running:
            self.notify("No demo traffic running: press d to start it", severity="warning")
            return
        paused = self.traffic.toggle_pause()
        self.notify("Demo paused" if paused else "Demo resumed")
        self.refresh_now()

    def action_next_workload(self) -> None:
        from promptcache.workloads import WORKLOADS

        current = self.traffic.settings.workload
        new = self.traffic.update(
            workload=WORKLOADS[(WORKLOADS.index(current) + 1) % len(WORKLOADS)]
        )
        self.notify(f"Workload: {new.workload}")
        self.refresh_now()

    def action_rate(self, factor: float) -> None:
        new = self.traffic.update(rate=self.traffic.settings.rate * factor)
        self.notify(f"Demo rate: {new.rate:,} requests/s")
        self.refresh_now()

    def action_skew(self, delta: float) -> None:
        new = self.traffic.update(skew=round(self.traffic.settings.skew + delta, 2))
        self.notify(f"Zipf skew: {new.skew:.2f}")
        self.refresh_now()

    def action_preload(self) -> None:
        self._warm(self.loader.hot_paths(), "preload")

    def action_warm_up(self) -> None:
        self._warm(self.loader.component_paths(), "warmup")

    @work(thread=True, group="warm", exclusive=True, exit_on_error=False)
    def _warm(self, paths: list[str], origin: str) -> None:
        bar = self.query_one("#warmup-progress", ProgressBar)
        self.call_from_thread(self._progress_start, len(paths))

        def progress(done: int, total: int, path: str) -> None:
            self.call_from_thread(bar.update, progress=done)

        report = self.loader.warm(paths, origin=origin, progress=progress)
        self.call_from_thread(self._warm_done, report, origin)

    def _progress_start(self, total: int) -> None:
        bar = self.query_one("#warmup-progress", ProgressBar)
        bar.update(total=total, progress=0)
        bar.display = True

    def _warm_done(self, report: WarmupReport, origin: str) -> None:
        self.query_one("#warmup-progress").display = False
        verb = "Preloaded" if origin == "preload" else "Warmed up"
        loaded = len(report.loaded)
        message = f"{verb} {loaded:,} components, {len(report.skipped):,} already cached"
        gone = sum(1 for path in report.loaded if self.cache.peek(path) is None)
        if gone:
            # Loaded, then pushed out by the rest of the same warm-up: say so, or
            # "warmed up 10,000" reads as if all of them were cached now.
            message += (
                f"; {gone:,} of them were evicted at once "
                f"(the cache holds {self.cache.max_size:,} entries)"
            )
        if report.failed:
            first = next(iter(report.failed.values()))
            message += f", {len(report.failed)} failed (first: {first})"
        self.notify(message, severity="warning" if report.failed else "information", timeout=6)
        self.refresh_now()

    def action_export(self) -> None:
        try:
            json_path, csv_path = export_stats(
                self.export_dir,
                self.cache,
                self.monitor,
                {"loader": self.loader.get_performance_stats()},
            )
        except OSError as exc:
            self.notify(f"Export failed: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Exported {json_path}\nand {csv_path.name}", timeout=8)

    # ------------------------------------------------------------------ eviction policy

    def action_choose_policy(self) -> None:
        """List the eviction policies, the one in use marked, to switch the cache to one."""
        self.search_commands(
            [
                (title, callback, help_text)
                for title, help_text, callback in self._policy_commands()
            ],
            placeholder="Eviction policy…",
        )

    def _policy_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        current = self.source.policy_name
        for name in POLICIES:
            keeps = POLICY_NOTES.get(name, "")
            if name == current:
                yield f"Eviction policy: {name}", f"● in use: {keeps} (P)", _noop
            else:
                yield (
                    f"Eviction policy: {name}",
                    f"{keeps} · switch to it (P)",
                    self._switch_to(name),
                )

    def _switch_to(self, name: str) -> Callable[[], None]:
        return lambda: self.switch_policy(name)

    def switch_policy(self, name: str) -> None:
        """Switch the cache's eviction policy to ``name`` (its entries stay), and say so."""
        if name == self.source.policy_name:
            self.notify(f"eviction policy: {name} (already in use)")
            return

        def switched(old: str) -> None:
            self.notify(f"eviction policy: {name} (was {old})")
            self.refresh_now()

        set_policy = self.source.set_policy
        self.control(lambda: set_policy(name), switched)

    # ------------------------------------------------------------------ palette

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        yield from super().palette_commands()
        yield "Preload hot components", "Load the most used components (p)", self.action_preload
        yield "Warm up folder", "Load every component in the folder (w)", self.action_warm_up
        yield "Export stats", "Write stats and snapshots to JSON and CSV (e)", self.action_export
        yield "Toggle demo traffic", "Start or stop synthetic requests (d)", self.action_toggle_demo
        yield "Pause demo traffic", "Pause or resume (space)", self.action_pause
        yield "Next workload", "zipf → scan → loop → shifting (t)", self.action_next_workload
        yield "Faster demo traffic", "Demo rate ×2 (+)", lambda: self.action_rate(2)
        yield "Slower demo traffic", "Demo rate ÷2 (-)", lambda: self.action_rate(0.5)
        yield (
            "More skew",
            "Zipf skew +0.1: fewer components get most requests (])",
            (lambda: self.action_skew(0.1)),
        )
        yield "Less skew", "Zipf skew −0.1 ([)", lambda: self.action_skew(-0.1)
        yield (
            "Save variable set",
            "Save the form's values into a set (ctrl+s)",
            (self.action_save_varset),
        )
        yield (
            "Tab: Components",
            "Browse and render components (1)",
            (lambda: self.action_tab("tab-components")),
        )
        yield "Tab: Race", "Eviction policies side by side (4)", lambda: self.action_tab("tab-race")
        yield from self._policy_commands()

    def help_keys(self) -> tuple[tuple[str, str], ...]:
        return HelpScreen.LOCAL_KEYS + HelpScreen.COMMON_KEYS


POLICY_NOTES = {
    "lru": "keeps the most recently used",
    "adaptive": "follows the best recent of LIRS, S3-FIFO and W-TinyLFU",
    "fifo": "evicts the oldest insert",
    "lfu": "keeps the most used since insertion",
    "arc": "ARC: balances recency and frequency by itself",
    "lirs": "LIRS: keeps short reuse distances (loops, scans)",
    "s3fifo": "S3-FIFO: drops one-hit keys quickly",
    "sieve": "SIEVE: FIFO that spares visited keys",
    "wtinylfu": "W-TinyLFU (Caffeine): admits by recent frequency",
}
"""What each policy keeps, in the policy list (``P``)."""


def _noop() -> None:
    """A palette entry that only informs (the policy already in use)."""


def _home_relative(path: Path) -> str:
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def build_app(
    folder: Path,
    *,
    max_size: int = 100,
    max_memory_mb: float = 50,
    hot_usage_file: Path | None = None,
    clock: Callable[[], float] = time.time,
    timer: Callable[[], float] = time.perf_counter,
    watch: str = "auto",
    **app_options: Any,
) -> PromptCacheApp:
    """Make the cache, loader and monitor for ``folder`` and the app over them."""
    cache = ComponentCache(max_size=max_size, max_memory_mb=max_memory_mb, clock=clock)
    loader = CachedComponentLoader(
        folder, cache, hot_usage_file=hot_usage_file, timer=timer, watch=watch
    )
    monitor = CachePerformanceMonitor(cache, clock=clock)
    return PromptCacheApp(loader, monitor, **app_options)
