"""Core's module structure: no import cycles, and the cache needs no loader to preload."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

import promptcache
from promptcache import ComponentCache

CORE = Path(promptcache.__file__).resolve().parent


def imports_of(source: str, modules: set[str]) -> set[str]:
    """The sibling modules a module imports, anywhere in it: at module level, under
    ``if TYPE_CHECKING:`` and inside functions alike (``__init__`` for the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "promptcache":
                        found.add(parts[1] if len(parts) > 1 else "__init__")
            continue
        if node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import x: a module, or a name from the package's __init__
                found.update(a.name if a.name in modules else "__init__" for a in node.names)
        elif node.level == 0 and node.module and node.module.split(".")[0] == "promptcache":
            parts = node.module.split(".")
            found.add(parts[1] if len(parts) > 1 else "__init__")
    return found & modules


def import_graph(folder: Path) -> dict[str, set[str]]:
    files = sorted(folder.glob("*.py"))
    modules = {f.stem for f in files}
    return {f.stem: imports_of(f.read_text(encoding="utf-8"), modules) for f in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def write_modules(folder: Path, sources: Iterable[tuple[str, str]]) -> None:
    for name, text in sources:
        (folder / f"{name}.py").write_text(text, encoding="utf-8")


def test_core_modules_import_each_other_without_a_cycle() -> None:
    graph = import_graph(CORE)
    assert {"cache", "loader", "monitor", "server", "stats", "events"} <= graph.keys()
    assert "cache" in graph["loader"]  # the graph really holds the imports
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cache_does_not_import_the_loader() -> None:
    assert "loader" not in import_graph(CORE)["cache"]


@pytest.mark.parametrize(
    ("a_source", "cycle"),
    [
        ("from .b import B\n", ["a", "b", "a"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n",
         ["a", "b", "a"]),
        ("def f():\n    from . import b\n", ["a", "b", "a"]),
        ("from promptcache.b import B\n", ["a", "b", "a"]),
        ("from . import helper\n", ["__init__", "a", "__init__"]),
        ("import os\n", None),
    ],
)  # fmt: skip
def test_the_check_sees_each_kind_of_import(
    tmp_path: Path, a_source: str, cycle: list[str] | None
) -> None:
    write_modules(
        tmp_path, [("__init__", "from .a import A\n"), ("a", a_source), ("b", "from .a import A\n")]
    )
    assert find_cycle(import_graph(tmp_path)) == cycle


class RecordingWarmer:
    """Anything with ``warm(paths, *, origin)`` can preload a cache: no loader needed."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []

    def warm(self, paths: Iterable[str], *, origin: str) -> int:
        self.calls.append((list(paths), origin))
        return len(self.calls)


def test_preload_and_warmup_take_any_warmer() -> None:
    cache = ComponentCache(hot_components={"a.md": 1, "b.md": 9, "c.md": 5})
    warmer = RecordingWarmer()
    assert cache.preload_hot_components(warmer) == 1
    assert cache.warmup_cache(warmer, iter(["x.md", "y.md"])) == 2
    assert warmer.calls == [(["b.md", "c.md", "a.md"], "preload"), (["x.md", "y.md"], "warmup")]
