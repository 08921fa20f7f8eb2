"""Helpers for the app's tests: a message recorder for ``run_test(message_hook=...)``."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import Notify

from promptcache.tui.inspector import StateChanged
from promptcache.tui.state import AppState


class Messages(list[Message]):
    """Every message the app under test processed; pass as ``run_test(message_hook=...)``,
    then assert on what the app said and showed, not on its private fields."""

    def __call__(self, message: Message) -> None:
        self.append(message)

    def notifications(self) -> list[str]:
        """The text of every notification shown (a message the hook saw at several nodes
        counts once)."""
        unique = {id(m): m for m in self if isinstance(m, Notify)}
        return [m.notification.message for m in unique.values()]

    def states(self) -> list[AppState]:
        """Every state delivered to the panels through ``StateChanged``."""
        return [m.state for m in self if isinstance(m, StateChanged)]
