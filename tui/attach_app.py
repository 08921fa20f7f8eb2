"""``promptcache attach``: the live panels for a cache inside another, running process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent, TabPane

from promptcache.client import RemoteClient
from promptcache.tui.inspector import InspectorApp
from promptcache.tui.sources import RemoteSource
from promptcache.tui.state_export import export_state
from promptcache.tui.widgets.lru_panel import LRUPanel
from promptcache.tui.widgets.monitor_panel import MonitorPanel


class AttachApp(InspectorApp):
    """Panels fed by a stats server; components are browsed in the application itself."""

    FOCUS_ON_TAB: ClassVar[dict[str, str]] = {"tab-lru": "#lru-table"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "freeze", "Freeze", priority=True),
        Binding("e", "export", "Export", show=False),
    ]

    def __init__(
        self,
        client: RemoteClient,
        *,
        refresh_s: float = 0.5,
        live: bool = True,
        export_dir: Path | None = None,
    ) -> None:
        self.source: RemoteSource = RemoteSource(client)
        super().__init__(self.source, refresh_s=refresh_s, live=live)
        self.client = client
        self.export_dir = export_dir or Path.cwd()

    def action_freeze(self) -> None:
        self.frozen = not self.frozen
        if self.frozen:
            self.notify("Display frozen: space resumes (the application keeps running)")
        else:
            self.notify("Display live again")
            self.refresh_now()

    def action_export(self) -> None:
        state = self.state
        if state is None or self.source.connection != "connected":
            self.notify("Nothing to export yet: not connected", severity="warning")
            return
        try:
            path = export_state(self.export_dir, state, str(self.client.address))
        except OSError as exc:
            self.notify(f"Export failed: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Exported what the attached cache showed to {path}", timeout=8)

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        yield from super().palette_commands()
        yield "Freeze display", "Hold the panels still, or resume (space)", self.action_freeze
        yield (
            "Export stats",
            "Write the attached cache's stats and events to JSON (e)",
            (self.action_export),
        )

    def help_keys(self) -> tuple[tuple[str, str], ...]:
        return (
            ("space", "freeze / unfreeze the display"),
            ("e", "export the attached cache's stats and events (JSON)"),
            *super().help_keys(),
        )

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with TabbedContent(id="tabs", initial="tab-lru"):
            with TabPane("2 LRU order", id="tab-lru"):
                yield LRUPanel(id="lru-panel")
            with TabPane("3 Monitor", id="tab-monitor"):
                yield MonitorPanel(id="monitor-panel")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.sub_title = f"attached to {self.client.address}"
        self.query_one("#lru-table").focus()
        self._apply_layout_classes()
        if self.live:
            self.refresh_now()

    @property
    def connection(self) -> str:
        """``connecting``, ``connected``, ``disconnected`` or ``refused``."""
        return self.source.connection

    @property
    def connection_detail(self) -> str:
        """The address, and what happened when the app last tried it."""
        return self.source.detail
