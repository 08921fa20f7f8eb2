"""Live reload: edit -> re-render latency, and a 10,000-file folder under a burst of changes.

1. Edit the open component on disk (an atomic save, as editors do); time until the app
   shows the re-render. Target: median <= 500 ms.
2. A folder of 10,000 components: start-up, then a burst like a ``git checkout`` (1,000
   files rewritten, 100 added) while keys are posted. Targets: the open component
   re-renders exactly once for the burst, the tree lists the new files, and key
   latency p95 <= 100 ms during the burst.

Run from the repository root:  python -m benchmarks.live_reload [--quick] [--check]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import header, parse_args
from promptcache.tui.app import PromptCacheApp
from promptcache.tui.folder_watcher import FolderWatcher
from promptcache.tui.scenes import scene_app, settle

OPEN = "components/open.md"


def make_folder(root: Path, files: int) -> None:
    for i in range(files):
        area = root / "components" / f"area{i % 40:02}"
        area.mkdir(parents=True, exist_ok=True)
        (area / f"c{i:05}.md").write_text(f"Component {i} for {{project}}.\n" * 5)
    (root / OPEN).write_text("Open component for {project}.\nVersion 0.\n")


def atomic_write(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text)
    os.replace(temp, path)


def watched(folder: Path) -> PromptCacheApp:
    app = scene_app(max_size=20_000, max_memory_mb=512, folder=folder)
    app._watcher = FolderWatcher(folder, app._folder_changed_in_thread)
    return app


def status(app: PromptCacheApp) -> str:
    return str(app.query_one("#browser-status").render())


async def edit_latencies(edits: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_folder(folder, 20)
        app = watched(folder)
        latencies = []
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#browser").open(OPEN)  # type: ignore[attr-defined]
            await settle(pilot)
            await asyncio.sleep(0.5)
            for i in range(1, edits + 1):
                start = time.perf_counter()
                atomic_write(folder / OPEN, f"Open component for {{project}}.\nVersion {i}.\n")
                while f"Version {i}." not in str(app.query_one("#rendered-body").render()):
                    await asyncio.sleep(0.005)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.2)
    return latencies


async def burst(files: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_folder(folder, files)
        started = time.perf_counter()
        app = watched(folder)
        reloads = 0
        show = app._show_render

        async def counting(result: object, reload: bool) -> None:
            nonlocal reloads
            reloads += reload
            await show(result, reload)  # type: ignore[arg-type]

        app._show_render = counting  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            startup = time.perf_counter() - started
            app.query_one("#browser").open(OPEN)  # type: ignore[attr-defined]
            await settle(pilot)
            await asyncio.sleep(0.5)
            tabs = app.query_one("#tabs")
            latencies: list[float] = []
            burst_start = time.perf_counter()
            for i in range(1000):
                area = folder / "components" / f"area{i % 40:02}"
                (area / f"c{i:05}.md").write_text(f"Rewritten {i} for {{project}}.\n")
            for i in range(100):
                (folder / "components" / f"new{i:03}.md").write_text("New {x}\n")
            atomic_write(folder / OPEN, "Open component for {project}.\nAfter the burst.\n")
            browser = app.query_one("#browser")
            deadline = time.perf_counter() + 15
            for n in range(40):  # keys during and after the burst, at a person's pace
                key, want = ("2", "tab-lru") if n % 2 == 0 else ("1", "tab-components")
                start = time.perf_counter()
                app.simulate_key(key)
                while tabs.active != want:  # type: ignore[attr-defined]
                    await asyncio.sleep(0.001)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.05)
            while time.perf_counter() < deadline and (
                "components/new099.md" not in browser.listed_paths  # type: ignore[attr-defined]
                or not reloads
            ):
                await asyncio.sleep(0.05)
            tree_done = time.perf_counter() - burst_start
            await asyncio.sleep(0.8)
            await settle(pilot)
            ordered = sorted(latencies)
            listed = "components/new099.md" in browser.listed_paths  # type: ignore[attr-defined]
        return {
            "startup": startup,
            "tree": tree_done,
            "reloads": reloads,
            "listed": float(listed),
            "p95": ordered[round(0.95 * (len(ordered) - 1))],
            "max": ordered[-1],
        }


def main() -> int:
    args = parse_args(__doc__ or "", timed=False)
    header("live_reload: edit -> re-render; a 10,000-file folder under a burst")
    edits, files = (5, 2_000) if args.quick else (15, 10_000)
    latencies = asyncio.run(edit_latencies(edits))
    median_ms = statistics.median(latencies) * 1000
    print(f"edit -> re-render: median {median_ms:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"over {len(latencies)} atomic saves")  # fmt: skip
    result = asyncio.run(burst(files))
    print(f"{files:,} files: start-up {result['startup']:.2f} s; burst of 1,100 changes: tree "
          f"and open component up to date within {result['tree']:.2f} s (checked after the 40 "
          f"key presses, so an upper bound); re-renders of the open component: "
          f"{result['reloads']:.0f}")  # fmt: skip
    print(f"key latency during the burst: p95 {result['p95'] * 1000:.0f} ms, "
          f"max {result['max'] * 1000:.0f} ms")  # fmt: skip
    ok_edit = median_ms <= 500
    ok_burst = result["reloads"] == 1 and result["listed"] == 1.0 and result["p95"] <= 0.1
    print(("PASS" if ok_edit else "FAIL") + f": edit -> re-render median {median_ms:.0f} ms "
          "(target <= 500 ms)")  # fmt: skip
    print(("PASS" if ok_burst else "FAIL") + ": burst re-renders once, tree follows, "
          f"keys p95 {result['p95'] * 1000:.0f} ms (target <= 100 ms)")  # fmt: skip
    return 1 if args.check and not (ok_edit and ok_burst) else 0


if __name__ == "__main__":
    sys.exit(main())
