"""``promptcache attach``: the live panels for a cache inside another, running process."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import TabbedContent, TabPane

from promptcache.client import RemoteClient
from promptcache.tui.inspector import InspectorApp
from promptcache.tui.sources import RemoteSource
from promptcache.tui.widgets.lru_panel import LRUPanel
from promptcache.tui.widgets.monitor_panel import MonitorPanel


class AttachApp(InspectorApp):
    """Panels fed by a stats server; components are browsed in the application itself."""

    FOCUS_ON_TAB: ClassVar[dict[str, str]] = {"tab-lru": "#lru-table"}

    def __init__(self, client: RemoteClient, *, refresh_s: float = 0.5, live: bool = True) -> None:
        self.source: RemoteSource = RemoteSource(client)
        super().__init__(self.source, refresh_s=refresh_s, live=live)
        self.client = client

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
