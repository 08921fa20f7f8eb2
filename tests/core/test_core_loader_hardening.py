"""Issue 10, loader items 4-7 and 11: read-your-writes under coalescing, edits through hard
links, rename floods, misses, odd paths, and a path inotify cannot watch."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from core_testlib import LoaderFactory, WriteFn, age

from promptcache import ComponentError
from promptcache.errors import ComponentNotAFileError


class _PausingTimer:
    """The loader's timer: pauses the thread named "leader" after its file was read.

    ``_load_cold`` calls the timer once before opening the file and once after reading
    and rendering it, so the second call of the leader is the moment it holds the old text.
    """

    def __init__(self) -> None:
        self.read_done = threading.Event()
        self.release = threading.Event()
        self.calls: dict[str, int] = {}

    def __call__(self) -> float:
        name = threading.current_thread().name
        self.calls[name] = self.calls.get(name, 0) + 1
        if name == "leader" and self.calls[name] == 2:
            self.read_done.set()
            assert self.release.wait(30)
        return time.perf_counter()


@pytest.mark.parametrize("watch", ["inotify", "stat"])
def test_a_load_after_a_write_never_joins_a_flight_that_read_before_it(
    write: WriteFn, make_loader: LoaderFactory, watch: str
) -> None:
    """Item 4, deterministically: the leader has read OLD and is paused; the file is
    rewritten; a load that starts now must return NEW, not join the paused flight."""
    path = write("c.md", "OLD")
    timer = _PausingTimer()
    loader = make_loader(watch, timer=timer)
    results: dict[str, str] = {}

    def load(name: str) -> None:
        results[name] = loader.load_component("c.md")

    leader = threading.Thread(target=load, args=("leader",), name="leader", daemon=True)
    leader.start()
    assert timer.read_done.wait(30)
    path.write_text("NEW", encoding="utf-8")  # the same size: only the content differs
    follower = threading.Thread(target=load, args=("follower",), name="follower", daemon=True)
    follower.start()
    follower.join(10)
    finished_alone = not follower.is_alive()
    timer.release.set()
    leader.join(10)
    follower.join(10)
    assert finished_alone, "the load that started after the write waited for the old flight"
    assert results == {"leader": "OLD", "follower": "NEW"}
    assert loader.load_component("c.md") == "NEW"  # and OLD was not cached


def test_an_edit_through_a_hard_link_in_another_folder_is_seen(
    tmp_path: Path, write: WriteFn, make_loader: LoaderFactory
) -> None:
    """Item 5: the folder watch cannot see it; the watch on the file itself does."""
    path = write("c.md", "before")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.link(path, elsewhere / "alias.md")
    loader = make_loader("inotify")
    assert loader.load_component("c.md") == "before"
    with open(elsewhere / "alias.md", "r+", encoding="utf-8") as handle:
        handle.write("AFTER!")
    assert loader.load_component("c.md") == "AFTER!"


def test_a_rename_flood_costs_one_bounded_drain_and_is_counted(
    base: Path, write: WriteFn, make_loader: LoaderFactory
) -> None:
    """Item 6: 20,000 renames queued; the next load does bounded work, drops everything."""
    write("keep.md", "kept")
    write("a.md", "a")
    loader = make_loader("inotify")
    assert loader.load_component("keep.md") == "kept"
    assert loader.load_component("a.md") == "a"
    for _ in range(10_000):
        os.rename(base / "a.md", base / "b.md")
        os.rename(base / "b.md", base / "a.md")
    started = time.perf_counter()
    assert loader.load_component("keep.md") == "kept"
    seconds = time.perf_counter() - started
    stats = loader.get_performance_stats()
    assert stats["watch_overflows"] == 1
    assert loader.file_reads == 3  # everything was dropped: keep.md was read again
    assert seconds < 2.0, f"one load took {seconds:.2f} s under the flood"
    assert loader.load_component("keep.md") == "kept"
    assert loader.file_reads == 3  # and cached again, watched again
    (base / "keep.md").write_text("edited", encoding="utf-8")
    assert loader.load_component("keep.md") == "edited"


def test_misses_are_not_tracked(base: Path, write: WriteFn, make_loader: LoaderFactory) -> None:
    """Item 7: loads of distinct missing paths leave nothing tracked behind."""
    write("real.md", "real")
    loader = make_loader("inotify")
    loader.load_component("real.md")
    for i in range(3000):
        with pytest.raises(ComponentError):
            loader.load_component(f"missing-{i}.md")
    assert loader.get_performance_stats()["tracked_paths"] == 1
    (base / "missing-7.md").write_text("now here", encoding="utf-8")
    assert loader.load_component("missing-7.md") == "now here"


@pytest.mark.parametrize("watch", ["inotify", "stat"])
def test_odd_paths_are_typed_errors(write: WriteFn, make_loader: LoaderFactory, watch: str) -> None:
    """Item 11: a lone surrogate, and a trailing slash after a file name."""
    write("comp.md", "text")
    loader = make_loader(watch)
    with pytest.raises(ComponentError, match="not valid text"):
        loader.load_component("\ud800")
    with pytest.raises(ComponentNotAFileError, match=r"^comp\.md/: names a folder"):
        loader.load_component("comp.md/")
    with pytest.raises(ComponentNotAFileError):
        loader.read_template("comp.md/")
    assert loader.load_component("comp.md") == "text"


def _deep_folder(base: Path) -> str:
    """Folders nested past PATH_MAX (made relative to descriptors): inotify cannot watch
    them by name, while the loader's walk opens them fine. Returns the component path."""
    names = ["d" * 200] * 22
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("deep.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"deep one")
        os.utime(out, (time.time() - 3600, time.time() - 3600))
        os.close(out)
    finally:
        os.close(fd)
    return "/".join([*names, "deep.md"])


def _rewrite_deep(base: Path, component_path: str, data: bytes) -> None:
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    for name in component_path.split("/")[:-1]:
        inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    out = os.open("deep.md", os.O_WRONLY | os.O_TRUNC, dir_fd=fd)
    os.write(out, data)
    os.close(out)
    os.close(fd)


def test_one_path_inotify_cannot_watch_does_not_switch_the_loader_to_stat(
    base: Path, write: WriteFn, make_loader: LoaderFactory
) -> None:
    """Item 11: that path alone is checked with os.stat; the others keep inotify."""
    other = write("other.md", "one")
    deep = _deep_folder(base)
    loader = make_loader("inotify")
    assert loader.load_component(deep) == "deep one"
    assert loader.watch_mode == "inotify"
    assert loader.load_component("other.md") == "one"
    reads = loader.file_reads
    assert loader.load_component("other.md") == "one"
    assert loader.file_reads == reads  # still cached, still watched
    other.write_text("two", encoding="utf-8")
    age(other)  # inotify sees it whatever the file times say
    assert loader.load_component("other.md") == "two"
    _rewrite_deep(base, deep, b"deep two, longer")
    assert loader.load_component(deep) == "deep two, longer"
