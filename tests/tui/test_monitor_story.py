"""Issue 11, item 2: the Monitor tells one story (no traffic is not a failure, the trend
and the advice agree, the window label holds still)."""

from __future__ import annotations

from textual.widgets import Static

from promptcache import CachePerformanceMonitor, ComponentCache
from promptcache.tui.scenes import StepClock, scene_app, send_traffic, settle
from promptcache.tui.widgets.hit_ratio import HitRatioPanel
from promptcache.tui.widgets.monitor_panel import UNHEALTHY_ADVICE, advice_text, health_text


def test_no_requests_is_no_traffic_not_a_failure() -> None:
    clock = StepClock(1000.0, 1.0)
    cache = ComponentCache(clock=clock)
    monitor = CachePerformanceMonitor(cache, clock=clock)
    monitor.log_performance_snapshot()
    monitor.log_performance_snapshot()
    snapshot = monitor.performance_log[-1]
    lines = [line.plain for line in health_text(snapshot, monitor.get_performance_trends(), None)]
    assert lines[0] == "● no traffic yet"
    text = "\n".join(lines)
    assert "✖" not in text and "needs attention" not in text and "below target" not in text
    assert "Recommendations" not in text  # advice over zero requests would be noise


def test_the_unhealthy_advice_does_not_claim_a_trend() -> None:
    worded = advice_text(UNHEALTHY_ADVICE, 9)
    assert "degraded" not in worded and "9 snapshots" in worded
    assert advice_text("Increase cache size", 9) == "Increase cache size"


class TestHitRatioLabel:
    async def test_the_window_label_is_the_configured_window(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            heads, spans = [], set()
            for _ in range(6):
                await send_traffic(pilot, rounds=2, per_round=300)
                heads.append(str(app.query_one(HitRatioPanel).render()).split("\n")[0])
                spans.add(round(app.cache.snapshot(0).recent_window_s))
            assert len(spans) > 1  # the span the samples cover wanders...
            assert all(head.rstrip().endswith("last 10 s") for head in heads), (
                heads
            )  # ...not the label

    async def test_monitor_tab_before_any_request(self) -> None:
        app = scene_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.monitor.log_performance_snapshot()
            app.refresh_now(sync=True)
            await pilot.press("3")
            await settle(pilot)
            health = str(app.query_one("#health", Static).render())
            assert "no traffic yet" in health and "needs attention" not in health
            head = str(app.query_one(HitRatioPanel).render()).split("\n")[0]
            assert "0.0%" not in head and "–" in head
