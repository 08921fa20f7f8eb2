"""Issue 11, items 3 and 4: focus after a pick, a broken file says why, renames followed,
new files in sorted order."""

from __future__ import annotations

from textual.widgets import Input, Static, TabbedContent

from promptcache.tui.scenes import REPORT, scene_app, settle
from promptcache.tui.widgets.component_tree import ComponentTree


async def pick(pilot, path: str) -> None:  # type: ignore[no-untyped-def]
    """Choose ``path`` in the tree with the keyboard, as a user does."""
    tree = pilot.app.query_one(ComponentTree)
    tree.focus()
    node = tree._leaves[path]
    tree.move_cursor(node)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


class TestFocusAfterPick:
    async def test_typing_after_a_pick_goes_into_the_first_variable(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pick(pilot, REPORT)
            focused = app.focused
            assert isinstance(focused, Input) and focused.id == "var-project_name"
            await pilot.press(*"Ada")
            await settle(pilot)
            assert focused.value == "Ada"
            assert not app.traffic.running  # "d" was a letter, not the demo key
            assert "**Ada**" in str(app.query_one("#rendered-body", Static).render())

    async def test_a_broken_file_shows_diagnostics_and_why(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pick(pilot, "components/broken/legacy-latin1.txt")
            assert app.query_one("#preview-tabs", TabbedContent).active == "tab-diagnostics"
            diagnostics = str(app.query_one("#diagnostics-body", Static).render())
            assert "not UTF-8" in diagnostics
