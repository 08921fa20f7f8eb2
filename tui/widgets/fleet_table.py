"""One row per live worker of a fleet, updated as a keyed diff."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from promptcache.fleet import FleetSnapshot, WorkerRow
from promptcache.fleet.fleet_snapshot import size_text

COLUMNS = ("host", "pid", "version", "hit ratio", "hits", "misses", "entries", "memory", "seen")


def row_cells(worker: WorkerRow, published: int) -> tuple[Text | str, ...]:
    """The cells of one worker's row; an old version or a stale worker stands out."""
    if worker.stale:
        version = Text(f"v{worker.version} stale", style="bold red")
    elif worker.version != published:
        version = Text(f"v{worker.version} old", style="bold yellow")
    else:
        version = Text(f"v{worker.version}", style="green")
    return (
        worker.host,
        str(worker.pid),
        version,
        f"{worker.hit_ratio:.1%}",
        f"{worker.hits:,}",
        f"{worker.misses:,}",
        f"{worker.entries:,}",
        size_text(worker.memory_bytes),
        f"{worker.age_s:.1f}s ago",
    )


class FleetTable(DataTable[Text | str]):
    """Workers from a ``FleetSnapshot``; ``show`` removes gone rows, adds new ones and
    updates only the cells that changed."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show(self, snapshot: FleetSnapshot) -> None:
        """Bring the rows in line with ``snapshot``."""
        live = {w.worker: w for w in snapshot.workers}
        for key in [k for k in self.rows if k.value not in live]:
            self.remove_row(key)
        present = {k.value for k in self.rows}
        for worker in snapshot.workers:
            cells = row_cells(worker, snapshot.published_version)
            if worker.worker not in present:
                self.add_row(*cells, key=worker.worker)
                continue
            for column, value in zip(COLUMNS, cells, strict=True):
                if self.get_cell(worker.worker, column) != value:
                    self.update_cell(worker.worker, column, value)

    def selected_worker(self) -> str | None:
        """The worker id of the row under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value
