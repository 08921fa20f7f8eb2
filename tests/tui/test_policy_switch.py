"""Issue 13, item 4: the main cache's eviction policy switched from the running app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.command import CommandPalette
from tui_testlib import Messages

from promptcache import POLICIES, ComponentCache, serve_stats
from promptcache.addresses import parse_address
from promptcache.client import RemoteClient
from promptcache.tui.attach_app import AttachApp
from promptcache.tui.scenes import scene_app, send_traffic, settle
from promptcache.tui.sources import ControlRefused
from promptcache.tui.state import AppState
from promptcache.tui.widgets.help_screen import HelpScreen
from promptcache.tui.widgets.hit_ratio import HitRatioPanel
from promptcache.tui.widgets.status_bar import status_line

TITLES = [f"Eviction policy: {name}" for name in POLICIES]


def policy_shown(app: object) -> str:
    """The policy the hit-ratio panel names (its bottom border)."""
    assert hasattr(app, "query_one")
    return str(app.query_one(HitRatioPanel).border_subtitle)


class TestSwitchFromTheApp:
    async def test_the_palette_offers_every_policy_with_the_current_one_marked(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)):
            commands = [
                c for c in app.get_system_commands(app.screen) if c.title.startswith("Eviction")
            ]
            assert [c.title for c in commands] == TITLES
            marked = [c.title for c in commands if c.help.startswith("● in use:")]
            assert marked == ["Eviction policy: lru"]

    async def test_switching_through_the_palette_changes_the_cache_and_the_display(
        self,
    ) -> None:
        app = scene_app()
        messages = Messages()
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await send_traffic(pilot, rounds=3)
            entries = app.cache.entries()
            stats = app.cache.get_stats()
            assert policy_shown(app) == "policy: lru"
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*"policy: adaptive")
            await pilot.pause(0.3)  # the palette searches in the background
            await pilot.press("enter")
            await settle(pilot)
            app.refresh_now(sync=True)
            await settle(pilot)
            assert app.cache.policy_name == "adaptive"
            assert policy_shown(app) == "policy: adaptive"
            assert "eviction policy: adaptive (was lru)" in messages.notifications()
            assert app.cache.entries() == entries  # every entry kept, in its order
            assert app.cache.get_stats()["hits"] == stats["hits"]
            marked = [
                c.title
                for c in app.get_system_commands(app.screen)
                if c.title.startswith("Eviction") and c.help.startswith("● in use:")
            ]
            assert marked == ["Eviction policy: adaptive"]

    async def test_the_p_key_lists_the_policies_and_enter_switches(self) -> None:
        app = scene_app()
        messages = Messages()
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await send_traffic(pilot, rounds=2)
            await pilot.press("P")
            await settle(pilot)
            assert CommandPalette.is_open(app)
            await pilot.press(*"lirs")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            app.refresh_now(sync=True)
            await settle(pilot)
            assert app.cache.policy_name == "lirs"
            assert policy_shown(app) == "policy: lirs"
            assert "eviction policy: lirs (was lru)" in messages.notifications()

    async def test_choosing_the_policy_in_use_changes_nothing(self) -> None:
        app = scene_app()
        messages = Messages()
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await send_traffic(pilot, rounds=2)
            version = app.cache.version
            app.switch_policy("lru")
            await settle(pilot)
            assert app.cache.version == version
            assert "eviction policy: lru (already in use)" in messages.notifications()

    async def test_demo_traffic_runs_on_through_a_switch(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await send_traffic(pilot, rounds=2)
            app.switch_policy("s3fifo")
            await settle(pilot)
            before = app.cache.get_stats()["total_requests"]
            await send_traffic(pilot, rounds=2)
            after = app.cache.get_stats()
            assert after["policy"] == "s3fifo" and after["total_requests"] == before + 500
            assert after["cache_size"] == app.cache.max_size

    async def test_the_help_screen_lists_the_key(self) -> None:
        app = scene_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            assert ("P", "switch the eviction policy (the entries stay)") in (app.screen.keys)

    async def test_a_compact_terminal_shows_the_policy_on_the_status_line(self) -> None:
        app = scene_app()
        async with app.run_test(size=(60, 20)) as pilot:
            await send_traffic(pilot, rounds=1)
            app.switch_policy("arc")
            await settle(pilot)
            app.refresh_now(sync=True)
            state = app.state
            assert isinstance(state, AppState)
            assert "40/40 · arc" in status_line(state, compact=True).plain


@pytest.fixture
def socket_path(tmp_path: Path) -> str:
    private = tmp_path / "run"
    private.mkdir(mode=0o700)
    return f"unix:{private / 'app.sock'}"


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


class TestAttached:
    async def test_attach_mode_shows_the_policy_but_does_not_offer_switching(
        self, socket_path: str
    ) -> None:
        cache = ComponentCache(max_size=10, policy="adaptive")
        for i in range(20):
            cache.put(f"p{i}", "text")
        with serve_stats(cache, socket_path, allow_control=True):
            app = AttachApp(RemoteClient(parse_address(socket_path)), refresh_s=0.1)
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_for(lambda: policy_shown(app) == "policy: adaptive")
                titles = [c.title for c in app.get_system_commands(app.screen)]
                assert not [t for t in titles if "policy" in t.lower()]
                assert all("policy" not in action for _, action in app.help_keys())
                await pilot.press("P")
                await pilot.pause()
                assert not CommandPalette.is_open(app)
                with pytest.raises(ControlRefused, match="only in the application itself"):
                    app.source.set_policy("lru")
                assert cache.policy_name == "adaptive" and len(cache) == 10
