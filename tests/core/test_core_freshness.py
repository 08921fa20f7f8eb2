"""Defect 2: a load that starts after a write finished returns the new content."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from core_testlib import LoaderFactory, WriteFn, age

from promptcache import CachedComponentLoader, ComponentNotFoundError

CONTEXTS = [None, {"who": "Ada"}, {"who": "Bob"}, {"who": 3, "extra": None}]


def _rewrite(path: Path, text: str) -> None:
    """Overwrite in place (same inode), as an editor without atomic save does."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _atomic_save(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _retarget(link: Path, target: str) -> None:
    tmp = link.with_name(link.name + ".new")
    os.symlink(target, tmp)
    os.replace(tmp, link)


class TestFreshness:
    def test_same_size_rewrite_is_seen_at_once(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("c.md", "aaa")
        loader = make_loader(watch)
        assert loader.watch_mode == watch
        assert loader.load_component("c.md") == "aaa"
        assert loader.load_component("c.md") == "aaa"
        _rewrite(path, "bbb")  # same size, no sleep
        assert loader.load_component("c.md") == "bbb"
        _rewrite(path, "ccc")
        assert loader.load_component("c.md") == "ccc"
        assert loader.watch_mode == watch

    def test_same_size_rewrite_keeping_mtime(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        # A tool that restores the old mtime after writing: ctime still moves.
        path = write("c.md", "aaa")
        loader = make_loader(watch)
        assert loader.load_component("c.md") == "aaa"
        _rewrite(path, "bbb")
        age(path)
        assert loader.load_component("c.md") == "bbb"

    def test_every_context_variant_is_invalidated(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("c.md", "v1 {who}")
        loader = make_loader(watch)
        for ctx in CONTEXTS:
            loader.load_component("c.md", ctx)
        assert len(loader.cache) == len(CONTEXTS)
        _rewrite(path, "v2 {who}")
        rendered = [loader.load_component("c.md", ctx) for ctx in CONTEXTS]
        assert rendered == ["v2 {who}", "v2 Ada", "v2 Bob", "v2 3"]

    def test_other_files_stay_cached(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("c.md", "changing")
        write("d.md", "steady")
        loader = make_loader(watch)
        loader.load_component("c.md")
        loader.load_component("d.md")
        reads = loader.file_reads
        _rewrite(path, "changed!")
        assert loader.load_component("d.md") == "steady"
        assert loader.load_component("c.md") == "changed!"
        assert loader.file_reads == reads + 1

    def test_atomic_save(self, write: WriteFn, make_loader: LoaderFactory, watch: str) -> None:
        path = write("dir/c.md", "old {x}")
        loader = make_loader(watch)
        assert loader.load_component("dir/c.md", {"x": 1}) == "old 1"
        _atomic_save(path, "new {x}")
        assert loader.load_component("dir/c.md", {"x": 1}) == "new 1"
        _atomic_save(path, "neu {x}")
        assert loader.load_component("dir/c.md", {"x": 1}) == "neu 1"

    def test_delete_then_not_found_then_recreate(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("c.md", "here")
        loader = make_loader(watch)
        assert loader.load_component("c.md") == "here"
        path.unlink()
        with pytest.raises(ComponentNotFoundError):
            loader.load_component("c.md")
        assert loader.cache.paths() == frozenset()
        write("c.md", "back", old=False)
        assert loader.load_component("c.md") == "back"

    def test_symlink_retarget(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        write("a.md", "aaa")
        write("b.md", "bbb")
        link = base / "link.md"
        os.symlink("a.md", link)
        loader = make_loader(watch)
        assert loader.load_component("link.md") == "aaa"
        assert loader.load_component("link.md") == "aaa"
        _retarget(link, "b.md")
        assert loader.load_component("link.md") == "bbb"
        _retarget(link, "a.md")
        assert loader.load_component("link.md") == "aaa"

    def test_symlinked_directory_retarget(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        write("v1/p.md", "version one")
        write("v2/p.md", "version two")
        current = base / "current"
        os.symlink("v1", current)
        loader = make_loader(watch)
        assert loader.load_component("current/p.md") == "version one"
        assert loader.load_component("current/p.md") == "version one"
        _retarget(current, "v2")
        assert loader.load_component("current/p.md") == "version two"

    def test_file_through_symlink_edited(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        target = write("real/a.md", "aaa")
        os.symlink("real/a.md", base / "alias.md")
        loader = make_loader(watch)
        assert loader.load_component("alias.md") == "aaa"
        assert loader.load_component("real/a.md") == "aaa"
        _rewrite(target, "bbb")
        assert loader.load_component("alias.md") == "bbb"
        assert loader.load_component("real/a.md") == "bbb"

    def test_same_file_through_two_directory_names(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        # "alias" is a symlink to the "real" directory: both names watch one directory.
        target = write("real/a.md", "aaa")
        os.symlink("real", base / "alias")
        loader = make_loader(watch)
        assert loader.load_component("real/a.md") == "aaa"
        assert loader.load_component("alias/a.md") == "aaa"
        _rewrite(target, "bbb")
        assert loader.load_component("real/a.md") == "bbb"
        assert loader.load_component("alias/a.md") == "bbb"
        _rewrite(target, "ccc")
        assert loader.load_component("alias/a.md") == "ccc"
        assert loader.load_component("real/a.md") == "ccc"

    def test_unchanged_file_keeps_hitting(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        write("c.md", "stable {x}")
        loader = make_loader(watch)
        loader.load_component("c.md", {"x": 1})
        reads = loader.file_reads
        for n in range(1, 6):
            assert loader.load_component("c.md", {"x": 1}) == "stable 1"
            assert loader.cache.get_stats()["hits"] == n
        assert loader.file_reads == reads
        assert loader.cache.get_stats()["misses"] == 1

    def test_file_created_in_new_directory_after_a_miss(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        loader = make_loader(watch)
        with pytest.raises(ComponentNotFoundError):
            loader.load_component("later/sub/c.md")
        assert loader.watch_mode == watch  # a missing directory does not disable inotify
        path = write("later/sub/c.md", "aaa", old=False)
        assert loader.load_component("later/sub/c.md") == "aaa"
        _rewrite(path, "bbb")
        assert loader.load_component("later/sub/c.md") == "bbb"

    def test_parent_directory_renamed(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        write("grp/c.md", "first")
        loader = make_loader(watch)
        assert loader.load_component("grp/c.md") == "first"
        os.rename(base / "grp", base / "old-grp")
        write("grp/c.md", "second")
        assert loader.load_component("grp/c.md") == "second"

    def test_check_for_changes_invalidates_without_a_load(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        path = write("c.md", "aaa")
        loader = make_loader(watch)
        loader.load_component("c.md")
        _rewrite(path, "bbb")
        loader.check_for_changes()
        assert loader.cache.peek("c.md") is None
        assert loader.cache.snapshot().evictions["invalidated"] == 1

    def test_change_during_a_cold_load_is_not_cached_stale(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        """A write that lands while a load is reading must not leave old text cached."""
        path = write("c.md", "aaa")
        loader = make_loader(watch)
        real_read = loader._read_fd
        edited = False

        def read_then_edit(component_path: str, fd: int, st: os.stat_result) -> bytes:
            nonlocal edited
            text = real_read(component_path, fd, st)
            if not edited:
                edited = True
                _rewrite(path, "bbb")
            return text

        loader._read_fd = read_then_edit  # type: ignore[method-assign]
        assert loader.load_component("c.md") == "aaa"  # read before the write: fine
        assert loader.load_component("c.md") == "bbb"  # started after it: must be new


@pytest.mark.parametrize("watch", ["stat"])
def test_stat_mode_rereads_recently_modified_files(
    write: WriteFn, make_loader: LoaderFactory, watch: str
) -> None:
    """File times are coarse: a file modified just now is not trusted by the stat check."""
    write("c.md", "aaa", old=False)
    loader: CachedComponentLoader = make_loader(watch)
    loader.load_component("c.md")
    loader.load_component("c.md")
    assert loader.file_reads == 2


class TestInotifyConcurrency:
    """Freshness while other threads use the same inotify descriptor."""

    def test_load_during_another_threads_drain_sees_the_write(
        self, write: WriteFn, make_loader: LoaderFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = write("c.md", "aaa")
        write("other.md", "other")
        loader = make_loader("inotify")
        assert loader.load_component("c.md") == "aaa"
        inotify = loader._inotify
        assert inotify is not None
        real_drain = inotify.drain
        consumed = threading.Event()

        def slow_drain() -> set[str] | None:
            changed = real_drain()  # the events are read: poll(0) is now empty
            consumed.set()
            time.sleep(0.2)  # ...but the stale entry is not dropped yet
            return changed

        monkeypatch.setattr(inotify, "drain", slow_drain)
        _rewrite(path, "bbb")
        other = threading.Thread(target=loader.load_component, args=("other.md",))
        other.start()
        try:
            assert consumed.wait(30)
            # This load starts after the write finished: it must not get "aaa".
            assert loader.load_component("c.md") == "bbb"
        finally:
            other.join(30)

    def test_concurrent_poll_refusal_is_not_an_error(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        # select.poll objects raise RuntimeError when two threads poll one at once.
        path = write("c.md", "aaa")
        loader = make_loader("inotify")
        assert loader.load_component("c.md") == "aaa"

        def busy_poll(timeout: float | None = None) -> list[tuple[int, int]]:
            raise RuntimeError("concurrent poll() invocation")

        loader._poll = busy_poll
        assert loader._inotify is not None
        loader._inotify.poll = busy_poll
        assert loader.load_component("c.md") == "aaa"
        _rewrite(path, "bbb")
        assert loader.load_component("c.md") == "bbb"
        loader.check_for_changes()

    def test_many_threads_hitting_the_cache(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("c.md", "hot {n}")
        loader = make_loader("inotify")
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def hammer(n: int) -> None:
            try:
                barrier.wait()
                for _ in range(3000):
                    assert loader.load_component("c.md", {"n": n % 2}) == f"hot {n % 2}"
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        stats = loader.cache.get_stats()
        assert stats["hits"] + stats["misses"] == 8 * 3000
        assert loader.file_reads <= 2
