"""The open component's include tree, and the components that include it."""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from promptcache.dialects.report import ComponentReport
from promptcache.dialects.templates import INCLUDE_CYCLE, MISSING_INCLUDE

MAX_DEPTH = 12


def _label(path: str, note: str = "", style: Style | str = "", *, bad: Style, muted: Style) -> Text:
    text = Text(path, style=style)
    if note:
        text.append(f"  {note}", bad if note.startswith("✖") else muted)
    return text


class IncludeTree(Tree[str]):
    """``includes`` (recursively, with missing files and cycles marked) and ``included by``.

    Filled from an immutable ``ComponentReport``; never reads files itself.
    """

    COMPONENT_CLASSES = {"include-tree--problem", "include-tree--muted"}

    DEFAULT_CSS = """
    IncludeTree > .include-tree--problem {
        color: $text-error;
        text-style: bold;
    }
    IncludeTree > .include-tree--muted {
        color: $text-muted;
    }
    IncludeTree {
        width: 1fr;
        height: auto;
        max-height: 9;
        padding: 0 1;
        background: $surface;
        overflow-x: hidden;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("includes", id=id)
        self.show_root = False
        self.guide_depth = 2

    def _label(self, path: str, note: str = "", style: str = "") -> Text:
        bad = self.get_component_rich_style("include-tree--problem", partial=True)
        muted = self.get_component_rich_style("include-tree--muted", partial=True)
        return _label(path, note, style, bad=bad, muted=muted)

    def _muted(self, text: str) -> Text:
        return Text(text, self.get_component_rich_style("include-tree--muted", partial=True))

    def show(self, path: str, report: ComponentReport | None, included_by: tuple[str, ...]) -> None:
        """Rebuild from a render's report and the folder's reverse includes."""
        self.clear()
        root = self.root
        if report is None:
            head = root.add(self._label(path, "brace", "bold"), expand=True)
            head.add_leaf(self._muted("includes nothing"))
            self._users(included_by)
            return
        problems = {
            (p.path, p.kind): p.message
            for p in report.problems
            if p.kind in (MISSING_INCLUDE, INCLUDE_CYCLE)
        }
        head = root.add(self._label(path, report.dialect, "bold"), expand=True)
        self._add(head, path, report.walk.edges, problems, [path])
        if not report.walk.edges.get(path):
            head.add_leaf(self._muted("includes nothing"))
        self._users(included_by)

    def _users(self, included_by: tuple[str, ...]) -> None:
        users = self.root.add(Text(f"included by ({len(included_by)})", "bold"), expand=True)
        for user in included_by:
            users.add_leaf(self._label(user))
        if not included_by:
            users.add_leaf(self._muted("no component includes it"))

    def _add(
        self,
        node: TreeNode[str],
        path: str,
        edges: Mapping[str, tuple[str, ...]],
        problems: Mapping[tuple[str, str], str],
        chain: list[str],
    ) -> None:
        for target in edges.get(path, ()):
            if target in chain:
                node.add_leaf(self._label(target, "✖ cycle"), target)
            elif target not in edges and (path, MISSING_INCLUDE) in problems:
                node.add_leaf(self._label(target, "✖ missing"), target)
            elif len(chain) >= MAX_DEPTH:
                node.add_leaf(self._label(target, "…"), target)
            elif edges.get(target):
                child = node.add(self._label(target), target, expand=True)
                self._add(child, target, edges, problems, [*chain, target])
            else:
                node.add_leaf(self._label(target), target)
