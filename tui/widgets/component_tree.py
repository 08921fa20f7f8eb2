"""The component folder as a tree of folders and files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

EXPAND_UP_TO = 400
"""Folders start open when the tree lists at most this many files."""


class ComponentTree(Tree[str]):
    """Folders and component files; selecting a file posts ``ComponentChosen``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    class ComponentChosen(Message):
        """A component file was selected."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, label: str = "components", *, id: str | None = None) -> None:
        super().__init__(label, id=id)
        self.show_root = False
        self.guide_depth = 2
        self._paths: tuple[str, ...] = ()
        self._folders: dict[str, TreeNode[str]] = {"": self.root}
        self._leaves: dict[str, TreeNode[str]] = {}
        self._expand = True

    @property
    def paths(self) -> tuple[str, ...]:
        """The listed component paths, sorted."""
        return self._paths

    def set_paths(self, paths: Iterable[str]) -> None:
        """Show ``paths`` (POSIX, relative). A few changes are applied node by node, so a
        folder of thousands of files is not rebuilt when one file comes or goes."""
        new = tuple(sorted(paths))
        if new == self._paths:
            return
        old = set(self._paths)
        wanted = set(new)
        added, removed = wanted - old, old - wanted
        self._paths = new
        if not old or len(added) + len(removed) > 200:
            self._rebuild(new)
            return
        for path in removed:
            node = self._leaves.pop(path, None)
            if node is not None:
                node.remove()
        for path in sorted(added):
            self._add_leaf(path)

    def _rebuild(self, paths: tuple[str, ...]) -> None:
        # Textual's Tree measures every visible line whenever it changes: open folders
        # only while that stays cheap.
        self._expand = len(paths) <= EXPAND_UP_TO
        self.clear()
        self._folders = {"": self.root}
        self._leaves = {}
        for path in paths:
            self._add_leaf(path)
        self.root.expand()

    def _add_leaf(self, path: str) -> None:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in self._folders:
                parent = self._folders["/".join(parts[: depth - 1])]
                label = parts[depth - 1] + "/"
                self._folders[key] = parent.add(
                    label, before=_insert_before(parent, label), expand=self._expand
                )
        parent = self._folders["/".join(parts[:-1])]
        self._leaves[path] = parent.add_leaf(
            parts[-1], data=path, before=_insert_before(parent, parts[-1])
        )

    def show_path(self, path: str) -> None:
        """Put the cursor on ``path``'s node, if it is listed."""
        node = self._leaves.get(path)
        if node is not None:
            # A node added just now has no line until the tree has laid out again.
            self.call_after_refresh(self.move_cursor, node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.ComponentChosen(event.node.data))


def _insert_before(parent: TreeNode[str], label: str) -> TreeNode[str] | None:
    """The child of ``parent`` that ``label`` sorts before (None: it goes last). Comparing
    labels (``agents/``, ``b.md``) orders siblings as the sorted full paths do."""
    for child in parent.children:
        if str(child.label) > label:
            return child
    return None
