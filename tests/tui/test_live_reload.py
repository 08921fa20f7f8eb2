"""Live reload, against real files in a temporary folder (no mocks of the file system)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_testlib import Messages

from promptcache.tui.app import PromptCacheApp
from promptcache.tui.folder_watcher import FolderChanges, FolderWatcher
from promptcache.tui.scenes import scene_app, settle
from promptcache.tui.widgets.component_browser import ComponentBrowser
from promptcache.tui.widgets.component_tree import ComponentTree
from promptcache.varsets import VARS_FILE

REPORT = "components/report.md"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "components").mkdir()
    (tmp_path / REPORT).write_text("Report on {project}.\nLine two.\n", encoding="utf-8")
    (tmp_path / "components/other.md").write_text("Other {x}\n", encoding="utf-8")
    return tmp_path


def live_app(folder: Path) -> PromptCacheApp:
    app = scene_app(folder=folder)
    app._watcher = FolderWatcher(folder, app._folder_changed_in_thread)
    return app


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll until ``condition`` holds; fail after ``seconds`` (a bound, not a timing test)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


class TestFolderWatcher:
    def watch(self, folder: Path) -> tuple[FolderWatcher, list[FolderChanges], threading.Event]:
        batches: list[FolderChanges] = []
        arrived = threading.Event()

        def record(changes: FolderChanges) -> None:
            batches.append(changes)
            arrived.set()

        watcher = FolderWatcher(folder, record)
        watcher.start()
        return watcher, batches, arrived

    def settle_watcher(self) -> None:
        threading.Event().wait(0.4)  # let the watcher's first scan finish

    def test_atomic_save_is_one_modification(self, folder: Path) -> None:
        watcher, batches, arrived = self.watch(folder)
        try:
            self.settle_watcher()
            temp = folder / "components/.report.md.swp"
            temp.write_text("Report on {project}, saved atomically.\n", encoding="utf-8")
            os.replace(temp, folder / REPORT)
            assert arrived.wait(5)
            threading.Event().wait(0.5)
        finally:
            watcher.stop()
        touched = set().union(*(b.all for b in batches))
        assert REPORT in touched
        assert not any(".swp" in p for b in batches for p in b.added | b.deleted)

    def test_delete_is_reported(self, folder: Path) -> None:
        watcher, batches, arrived = self.watch(folder)
        try:
            self.settle_watcher()
            (folder / "components/other.md").unlink()
            assert arrived.wait(5)
        finally:
            watcher.stop()
        assert "components/other.md" in set().union(*(b.deleted for b in batches))

    def test_a_burst_arrives_in_few_batches(self, folder: Path) -> None:
        watcher, batches, arrived = self.watch(folder)
        try:
            self.settle_watcher()
            for i in range(300):
                (folder / f"components/new-{i:03}.md").write_text(f"n {{v{i}}}\n")
            assert arrived.wait(5)
            threading.Event().wait(0.8)
        finally:
            watcher.stop()
        added = set().union(*(b.added for b in batches))
        assert len(added) == 300
        assert len(batches) <= 3


class TestAppFollowsTheFolder:
    async def test_edit_rerenders_the_open_component_with_a_diff(self, folder: Path) -> None:
        app = live_app(folder)
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#browser").open(REPORT)  # type: ignore[attr-defined]
            await settle(pilot)
            await asyncio.sleep(0.3)
            (folder / REPORT).write_text("Report on {project}.\nLine 2 changed.\n")
            await wait_until(lambda: "RELOADED" in str(app.query_one("#browser-status").render()))
            await settle(pilot)
            assert "Line 2 changed." in str(app.query_one("#rendered-body").render())
            changes = str(app.query_one("#changes-body").render())
            assert "-Line two." in changes and "+Line 2 changed." in changes
            app.refresh_now(sync=True)
            assert app.state is not None
            kinds = [(e.kind, e.path, e.reason) for e in app.state.events.notable]
            assert ("file_changed", REPORT, "modified") in kinds
            assert ("invalidate", REPORT, "file changed") in kinds

    async def test_new_and_deleted_files_update_the_tree(self, folder: Path) -> None:
        app = live_app(folder)
        async with app.run_test(size=(100, 30)) as pilot:
            await asyncio.sleep(0.3)
            (folder / "components/fresh.md").write_text("fresh {a}\n")
            (folder / "components/other.md").unlink()
            browser = app.query_one("#browser")
            await wait_until(lambda: "components/fresh.md" in browser.listed_paths)  # type: ignore[attr-defined]
            await settle(pilot)
            assert "components/other.md" not in browser.listed_paths  # type: ignore[attr-defined]

    async def test_a_burst_of_edits_rerenders_the_open_component_once(self, folder: Path) -> None:
        app = live_app(folder)
        messages = Messages()

        def reloads() -> int:
            shown = [m for m in messages if isinstance(m, PromptCacheApp.RenderShown)]
            return len({id(m) for m in shown if m.reload})

        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            app.query_one("#browser").open(REPORT)  # type: ignore[attr-defined]
            await settle(pilot)
            await asyncio.sleep(0.3)
            for i in range(100):
                (folder / REPORT).write_text(f"Report on {{project}}.\nEdit {i}.\n")
            await wait_until(lambda: reloads() >= 1)
            await asyncio.sleep(0.6)
            await settle(pilot)
            # watchfiles ends a batch after 300 ms at most, so a slow machine may see the
            # 100 writes as two batches: one render per batch, never one per write.
            app.refresh_now(sync=True)
            assert app.state is not None
            batches = [e for e in app.state.events.notable if e.kind == "file_changed"]
            assert 1 <= len(batches) <= 3 and reloads() == len(batches)
            assert "Edit 99." in str(app.query_one("#rendered-body").render())

    async def test_deleting_the_open_component_says_so(self, folder: Path) -> None:
        app = scene_app(folder=folder)
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#browser").open(REPORT)  # type: ignore[attr-defined]
            await settle(pilot)
            (folder / REPORT).unlink()
            app.apply_folder_changes(FolderChanges(frozenset(), frozenset(), frozenset({REPORT})))
            await settle(pilot)
            assert "no such component" in str(app.query_one("#rendered-body").render())


class TestVariableSetsInTheApp:
    async def test_choosing_a_set_fills_the_form(self, folder: Path) -> None:
        (folder / VARS_FILE).write_text('[default]\nproject = "Atlas"\n\n[beta]\nproject = "B"\n')
        app = scene_app(folder=folder)
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#browser").open(REPORT)  # type: ignore[attr-defined]
            await settle(pilot)
            app.query_one("#varset-select").value = "beta"  # type: ignore[attr-defined]
            await settle(pilot)
            assert "Report on B." in str(app.query_one("#rendered-body").render())
            assert app.query_one("#var-project").value == "B"  # type: ignore[attr-defined]

    async def test_saving_writes_the_file_and_keeps_other_sets(self, folder: Path) -> None:
        (folder / VARS_FILE).write_text('[other]\nx = "1"\n')
        app = scene_app(folder=folder)
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#browser").open(REPORT)  # type: ignore[attr-defined]
            await settle(pilot)
            app.query_one("#var-project").value = "Zeta"  # type: ignore[attr-defined]
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            app.screen.query_one("#set-name").value = "review"  # type: ignore[attr-defined]
            await pilot.press("enter")
            await settle(pilot)
        text = (folder / VARS_FILE).read_text()
        assert '[review]\nproject = "Zeta"' in text and '[other]\nx = "1"' in text

    async def test_a_broken_file_is_reported_and_the_app_keeps_running(self, folder: Path) -> None:
        (folder / VARS_FILE).write_text('[default]\nproject = ["a", "b"]\n')
        app = scene_app(folder=folder)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            note = str(app.query_one("#varset-note").render())
            assert f"{VARS_FILE}:2:" in note and "default.project" in note
            app.query_one("#browser").open(REPORT)  # type: ignore[attr-defined]
            await settle(pilot)
            assert "{project}" in str(app.query_one("#rendered-body").render())


class TestRenamesAndOrder:
    async def test_renaming_the_open_file_follows_it(self, folder: Path) -> None:
        app = live_app(folder)
        async with app.run_test(size=(100, 30)) as pilot:
            browser = app.query_one(ComponentBrowser)
            browser.open(REPORT)
            await settle(pilot)
            app.query_one("#var-project", Input).value = "Atlas"
            await settle(pilot)
            await asyncio.sleep(0.3)
            new = "components/renamed-report.md"
            (folder / REPORT).rename(folder / new)
            await wait_until(lambda: browser.current_path == new)
            await settle(pilot)
            assert "Report on Atlas." in str(app.query_one("#rendered-body").render())
            assert "no such" not in str(app.query_one("#browser-status").render()).lower()
            tree = app.query_one(ComponentTree)
            assert tree.cursor_node is not None and tree.cursor_node.data == new

    async def test_new_files_go_into_the_tree_in_sorted_order(self, folder: Path) -> None:
        app = live_app(folder)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await asyncio.sleep(0.3)
            (folder / "components/aaa-first.md").write_text("first {a}\n")
            (folder / "components/mmm").mkdir()
            (folder / "components/mmm/middle.md").write_text("middle {a}\n")
            browser = app.query_one(ComponentBrowser)
            await wait_until(lambda: "components/mmm/middle.md" in browser.listed_paths)
            await wait_until(lambda: "components/aaa-first.md" in browser.listed_paths)
            await settle(pilot)
            components = app.query_one(ComponentTree).root.children[0]
            labels = [str(child.label) for child in components.children]
            assert labels == sorted(labels) and labels[0] == "aaa-first.md", labels
            assert "mmm/" in labels
