"""The key bindings and what the panels mean (``?``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget

LOCAL_KEYS = (
    ("1 2 3 4", "Components · LRU order · Monitor · Race tab"),
    ("d", "start / stop demo traffic"),
    ("space", "pause / resume demo traffic"),
    ("t", "next workload: zipf → scan → loop → shifting"),
    ("+  -", "demo rate ×2 / ÷2"),
    ("[  ]", "Zipf skew −0.1 / +0.1"),
    ("p", "preload the hot components"),
    ("w", "warm up: load every component in the folder"),
    ("e", "export stats and snapshots (JSON and CSV)"),
    ("ctrl+s", "save the variable form into a variable set"),
    ("P", "switch the eviction policy (the entries stay)"),
    ("n  r", "next workload / restart the race (Race tab)"),
)
"""Keys of the app over a cache in this process."""

COMMON_KEYS = (
    ("c", "clear the cache (entries and counters)"),
    ("L", "change the cache limits"),
    ("/", "filter the LRU table (LRU tab)"),
    ("s", "sort the LRU table: recency → hits → size → idle"),
    ("x", "evict the selected entry (LRU tab)"),
    ("enter", "the selected entry in full (LRU tab)"),
    ("j  k", "down / up in lists (as the arrow keys)"),
    ("ctrl+p", "command palette (also: Theme, to switch light / dark)"),
    ("?  F1  esc", "open / close this help"),
    ("q", "quit"),
)
"""Keys of every live view, local or attached."""

PANELS = (
    ("Hit ratio", "lifetime and over the last seconds; bars turn red under the target (┈); "
     "the eviction policy in use on its lower border."),
    ("Memory", "what the entries really retain against the budget; entries against the limit."),
    ("LRU order", "the eviction order, most protected first (under LRU: most recently "
     "used first); ⏏ marks the entry evicted next."),
    ("Components", "pick a file, fill its {variables} (or pick a variable set): HIT or "
     "MISS says whether the cache served the render; missing variables are highlighted; "
     "Changes shows what an edit on disk changed."),
    ("Monitor", "health against the targets, trend, advice, and recent evictions, "
     "invalidations and load errors."),
    ("Race", "eviction policies, each with the cache's entry limit, on a demo workload; "
     "OPT is the best any policy could do. A bar is the hit ratio of 500 requests."),
)  # fmt: skip


def help_body(
    keys: Sequence[tuple[str, str]],
    key_style: Style | str = "bold",
    name_style: Style | str = "bold",
) -> Group:
    """Keys, then what each panel shows."""
    key_table = Table.grid(padding=(0, 2))
    key_table.add_column(no_wrap=True, justify="right")
    key_table.add_column()
    for key, action in keys:
        key_table.add_row(Text(key, key_style), action)
    panels = Table.grid(padding=(0, 2))
    panels.add_column(no_wrap=True, justify="right")
    panels.add_column()
    for name, meaning in PANELS:
        panels.add_row(Text(name, name_style), meaning)
    return Group(
        Text("promptcache", "bold"),
        Text(
            "A live view of a prompt-component cache. Browsing a component loads it through "
            "the same cache, so it shows up as traffic.\n"
        ),
        Text("Keys", "bold underline"),
        key_table,
        Text(""),
        Text("Panels", "bold underline"),
        panels,
    )


class HelpBody(Widget):
    """The help text, drawn in the theme's colours."""

    COMPONENT_CLASSES = {"help-body--key", "help-body--panel"}
    DEFAULT_CSS = """
    HelpBody {
        height: auto;
        & > .help-body--key {
            color: $text-warning;
            text-style: bold;
        }
        & > .help-body--panel {
            color: $text-accent;
            text-style: bold;
        }
    }
    """

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = tuple(keys)

    def render(self) -> Group:
        return help_body(
            self.keys,
            self.get_component_rich_style("help-body--key"),
            self.get_component_rich_style("help-body--panel"),
        )


class HelpScreen(ModalScreen[None]):
    """Modal help; escape, q or ? closes it."""

    LOCAL_KEYS = LOCAL_KEYS
    COMMON_KEYS = COMMON_KEYS
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help-body {
            width: 84;
            max-width: 95%;
            height: 90%;
            border: round $primary;
            background: $surface;
            padding: 0 1;
        }
    }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, keys: Sequence[tuple[str, str]] = LOCAL_KEYS + COMMON_KEYS) -> None:
        super().__init__()
        self.keys = tuple(keys)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield HelpBody(self.keys)
