"""The key bindings and what the panels mean (``?``)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("1 2 3 4", "Components · LRU order · Monitor · Race tab"),
    ("d", "start / stop demo traffic"),
    ("space", "pause / resume demo traffic"),
    ("t", "next workload: zipf → scan → loop → shifting"),
    ("+  -", "demo rate ×2 / ÷2"),
    ("[  ]", "Zipf skew −0.1 / +0.1"),
    ("c", "clear the cache (entries and counters)"),
    ("p", "preload the hot components"),
    ("w", "warm up: load every component in the folder"),
    ("L", "change the cache limits"),
    ("e", "export stats and snapshots (JSON and CSV)"),
    ("ctrl+s", "save the variable form into a variable set"),
    ("/", "filter the LRU table (LRU tab)"),
    ("s", "sort the LRU table: recency → hits → size → idle"),
    ("x", "evict the selected entry (LRU tab)"),
    ("n  r", "next workload / restart the race (Race tab)"),
    ("ctrl+p", "command palette"),
    ("?  esc", "open / close this help"),
    ("q", "quit"),
)

PANELS = (
    ("Hit ratio", "lifetime and over the last seconds; bars turn red under the target (┈)."),
    ("Memory", "what the entries really retain against the budget; entries against the limit."),
    ("LRU order", "most recently used first; ⏏ marks the entry evicted next."),
    ("Components", "pick a file, fill its {variables} (or pick a variable set): HIT or "
     "MISS says whether the cache served the render; missing variables are highlighted; "
     "Changes shows what an edit on disk changed."),
    ("Monitor", "health against the targets, trend, advice, and recent evictions, "
     "invalidations and load errors."),
    ("Race", "eviction policies, each with the cache's entry limit, on a demo workload; "
     "OPT is the best any policy could do. A bar is the hit ratio of 500 requests."),
)  # fmt: skip


def help_body() -> Group:
    """Keys, then what each panel shows."""
    keys = Table.grid(padding=(0, 2))
    keys.add_column(no_wrap=True, justify="right")
    keys.add_column()
    for key, action in KEYS:
        keys.add_row(Text(key, "bold yellow"), action)
    panels = Table.grid(padding=(0, 2))
    panels.add_column(no_wrap=True, justify="right")
    panels.add_column()
    for name, meaning in PANELS:
        panels.add_row(Text(name, "bold cyan"), meaning)
    return Group(
        Text("promptcache", "bold"),
        Text(
            "A live view of a prompt-component cache. Browsing a component loads it through "
            "the same cache, so it shows up as traffic.\n",
            "dim",
        ),
        Text("Keys", "bold underline"),
        keys,
        Text(""),
        Text("Panels", "bold underline"),
        panels,
    )


class HelpScreen(ModalScreen[None]):
    """Modal help; escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(help_body())
