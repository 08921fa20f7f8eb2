"""The fleet view (``promptcache attach redis://...``) on a real server with real workers."""

from __future__ import annotations

from pathlib import Path

from fleet_testlib import Server, wait_until, write_components

from promptcache import CachedComponentLoader, ComponentCache
from promptcache.fleet import FleetReader, publish
from promptcache.tui.fleet_app import FleetApp
from promptcache.tui.widgets.fleet_table import FleetTable


async def test_fleet_view_lists_workers_marks_old_versions_and_drills_in(
    server: Server, tmp_path: Path
) -> None:
    folder = write_components(tmp_path, {"a.md": "A"})
    publish(folder, server.url, namespace="view")
    loaders = [
        CachedComponentLoader(
            server.url,
            ComponentCache(),
            namespace="view",
            heartbeat_s=0.1 if i == 0 else 0.5,  # worker 1's last heartbeat lives 1.5 s
            stats_address=f"unix:/tmp/worker{i}.sock",
        )
        for i in range(2)
    ]
    reader = FleetReader(server.url, "view")
    try:
        loaders[0].load_component("a.md")
        app = FleetApp(reader, refresh_s=0.05)
        async with app.run_test(size=(120, 20)) as pilot:
            table = app.query_one(FleetTable)
            for _ in range(100):
                await pilot.pause(0.05)
                if table.row_count == 2:
                    break
            assert table.row_count == 2
            summary = str(app.query_one("#fleet-summary").render())
            assert "2 live workers" in summary and "published v1" in summary
            assert "versions in use v1×2" in summary
            # One worker stops hearing the server (its listener ends): it stays on v1.
            loaders[1]._listener.stop()
            publish(write_components(folder, {"a.md": "A2"}), server.url, namespace="view")
            wait_until(lambda: loaders[0].version == 2, what="worker 0 on v2")
            # Worker 1's last heartbeat still says v1 until it expires; the view marks it.
            for _ in range(100):
                await pilot.pause(0.02)
                text = str(app.query_one("#fleet-summary").render())
                if "v1×1, v2×1" in text:
                    break
            assert "1 behind or stale" in text
            cells = [str(table.get_row_at(r)[2]) for r in range(table.row_count)]
            assert sorted(cells) == ["v1 old", "v2"]
            row = next(r for r in range(table.row_count) if str(table.get_row_at(r)[2]) == "v2")
            table.move_cursor(row=row)
            await pilot.press("enter")
        assert app.return_value == "unix:/tmp/worker0.sock"
    finally:
        for loader in loaders:
            loader.close()
        reader.close()
