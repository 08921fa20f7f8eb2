"""``promptcache attach redis://...``: the fleet of workers sharing one store."""

from __future__ import annotations

import socket
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from promptcache.errors import PromptCacheError
from promptcache.fleet import FleetReader, FleetSnapshot
from promptcache.fleet.fleet_snapshot import size_text
from promptcache.tui.widgets.fleet_table import FleetTable


def summary(snapshot: FleetSnapshot) -> Text:
    """The lines above the table: the published version, the store, the fleet's totals."""
    s = snapshot
    versions = ", ".join(f"v{v}×{n}" for v, n in sorted(s.versions_in_use.items())) or "none"
    behind = len(s.behind)
    return Text.assemble(
        (f"{s.namespace}", "bold"),
        f" on {s.address} · published ",
        (f"v{s.published_version}", "bold green"),
        f" · {s.components} components · store {size_text(s.store_bytes)}"
        f" · server {s.server_version} using {size_text(s.server_used_memory)}\n",
        (f"{len(s.workers)} live workers", "bold"),
        f" · hit ratio {s.hit_ratio:.1%} · versions in use {versions}",
        (f" · {behind} behind or stale" if behind else "", "bold yellow"),
    )


class FleetApp(App[str | None]):
    """Workers from their heartbeats; ``enter`` drills into one through its stats server
    (the app exits with that address, and the command line attaches to it)."""

    CSS = """
    #fleet-summary { height: auto; padding: 0 1; }
    #fleet-error { color: $error; height: auto; padding: 0 1; }
    FleetTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Worker's panels"),
        Binding("r", "refresh_now", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, reader: FleetReader, *, refresh_s: float = 1.0) -> None:
        super().__init__()
        self.reader = reader
        self.refresh_s = refresh_s
        self.snapshot: FleetSnapshot | None = None
        """The last snapshot read, or None before the first."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("reading the fleet…", id="fleet-summary")
        yield Static("", id="fleet-error")
        yield FleetTable(id="fleet-table")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "promptcache fleet"
        self.sub_title = str(self.reader.address)
        self.query_one(FleetTable).focus()
        self.poll()

    @work(thread=True, exclusive=True, group="fleet-poll")
    def poll(self) -> None:
        """Read one snapshot off the UI thread; the next poll is set when this one ends."""
        try:
            snapshot: FleetSnapshot | None = self.reader.read()
            error = ""
        except PromptCacheError as exc:
            snapshot, error = None, str(exc)
        self.call_from_thread(self.apply, snapshot, error)

    def apply(self, snapshot: FleetSnapshot | None, error: str) -> None:
        """Show a snapshot (or keep the last one and show why the read failed)."""
        self.query_one("#fleet-error", Static).update(error)
        if snapshot is not None:
            self.snapshot = snapshot
            self.query_one("#fleet-summary", Static).update(summary(snapshot))
            self.query_one(FleetTable).show(snapshot)
        self.set_timer(self.refresh_s, self.poll)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_drill()

    def action_refresh_now(self) -> None:
        self.poll()

    def action_drill(self) -> None:
        """Exit with the selected worker's stats address, if it is reachable from here."""
        worker_id = self.query_one(FleetTable).selected_worker()
        if self.snapshot is None or worker_id is None:
            return
        worker = next((w for w in self.snapshot.workers if w.worker == worker_id), None)
        if worker is None or not worker.stats_address:
            self.notify("this worker serves no stats", severity="warning")
            return
        if worker.stats_address.startswith("unix:") and worker.host != socket.gethostname():
            self.notify(
                f"its stats socket is on {worker.host}: forward it with ssh -L first",
                severity="warning",
            )
            return
        self.exit(worker.stats_address)
