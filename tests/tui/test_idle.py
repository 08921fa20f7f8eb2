"""Issue 11, item 12: a quiet app does next to no work, and wakes up at once on activity."""

from __future__ import annotations

import asyncio

from tui_testlib import Messages

from promptcache.tui.inspector import QUIET_AFTER_POLLS, QUIET_FULL_POLL_S, QUIET_REFRESH_S
from promptcache.tui.scenes import scene_app

SIZE = (80, 24)


class TestQuietPolling:
    async def test_a_quiet_app_skips_collecting_and_wakes_on_a_request(self) -> None:
        app = scene_app()
        app.live, app.refresh_s = True, 0.05
        collects = 0
        inner = app.source.collect

        def counting(query):  # type: ignore[no-untyped-def]
            nonlocal collects
            collects += 1
            return inner(query)

        app.source.collect = counting  # type: ignore[method-assign]
        messages = Messages()
        async with app.run_test(size=SIZE, message_hook=messages):
            # A few polls at the normal rate find nothing new; then the quiet rate.
            await asyncio.sleep(0.05 * (QUIET_AFTER_POLLS + 3))
            before = collects
            await asyncio.sleep(QUIET_REFRESH_S * 2.5)
            assert collects - before <= 1  # looked at the version, did not collect
            assert QUIET_FULL_POLL_S > QUIET_REFRESH_S * 2.5
            app.traffic.run_requests(10)  # as an application using the cache would
            for _ in range(int(QUIET_REFRESH_S * 3 / 0.05)):
                await asyncio.sleep(0.05)
                if app.state is not None and app.state.cache.total_requests == 10:
                    break
            assert app.state is not None and app.state.cache.total_requests == 10
