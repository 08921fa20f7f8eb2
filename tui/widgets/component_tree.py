"""The component folder as a tree of folders and files."""

from __future__ import annotations

from collections.abc import Iterable

from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode


class ComponentTree(Tree[str]):
    """Folders and component files; selecting a file posts ``ComponentChosen``."""

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

    @property
    def paths(self) -> tuple[str, ...]:
        """The listed component paths, sorted."""
        return self._paths

    def set_paths(self, paths: Iterable[str]) -> None:
        """Show ``paths`` (POSIX, relative); keeps the tree as is when nothing changed."""
        new = tuple(sorted(paths))
        if new == self._paths:
            return
        self._paths = new
        self.clear()
        folders: dict[str, TreeNode[str]] = {"": self.root}
        for path in new:
            parts = path.split("/")
            for depth in range(1, len(parts)):
                key = "/".join(parts[:depth])
                if key not in folders:
                    parent = folders["/".join(parts[: depth - 1])]
                    folders[key] = parent.add(parts[depth - 1] + "/", expand=True)
            folders["/".join(parts[:-1])].add_leaf(parts[-1], data=path)
        self.root.expand()

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.ComponentChosen(event.node.data))
