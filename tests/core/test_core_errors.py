"""Defect 8: typed errors naming the path, logging instead of print."""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

import pytest
from core_testlib import LoaderFactory, WriteFn

from promptcache import (
    CachedComponentLoader,
    CacheEvent,
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentNotTextError,
    ComponentOutsideBaseError,
    ComponentTooLargeError,
)


def _load_with_guard(loader: CachedComponentLoader, path: str) -> BaseException | None:
    """Load in a thread, so that a regression that blocks (opening a FIFO) fails, not hangs."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            loader.load_component(path)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), f"loading {path} blocked"
    return outcome[0]


class TestTypedErrors:
    def test_hierarchy(self) -> None:
        for cls in (
            ComponentNotFoundError,
            ComponentOutsideBaseError,
            ComponentNotTextError,
            ComponentTooLargeError,
            ComponentNotAFileError,
        ):
            assert issubclass(cls, ComponentError)

    @pytest.mark.parametrize(
        ("path", "error"),
        [
            ("components/missing.md", ComponentNotFoundError),
            ("no/such/dir/missing.md", ComponentNotFoundError),
            ("components", ComponentNotAFileError),
            ("components/latin1.md", ComponentNotTextError),
            ("components/big.md", ComponentTooLargeError),
            ("components/pipe", ComponentNotAFileError),
            ("components/loop.md", ComponentError),
            ("components/dangling.md", ComponentNotFoundError),
            ("components/ok.md/child", ComponentError),
        ],
    )
    def test_bad_file(
        self,
        base: Path,
        write: WriteFn,
        make_loader: LoaderFactory,
        watch: str,
        capsys: pytest.CaptureFixture[str],
        path: str,
        error: type[ComponentError],
    ) -> None:
        write("components/ok.md", "fine")
        write("components/latin1.md", "café crème".encode("latin-1"))
        write("components/big.md", "x" * 101)
        os.mkfifo(base / "components" / "pipe")
        os.symlink("loop.md", base / "components" / "loop.md")
        os.symlink("nowhere.md", base / "components" / "dangling.md")
        loader = make_loader(watch, max_component_bytes=100)
        events: list[CacheEvent] = []
        loader.cache.add_listener(events.append)

        exc = _load_with_guard(loader, path)

        assert isinstance(exc, error), exc
        assert path in str(exc)
        assert exc.path == path
        assert len(loader.cache) == 0
        stats = loader.get_performance_stats()
        assert stats["load_failures"] == 1
        assert stats["cache_stats"]["misses"] == 1
        assert [(e.kind, e.path) for e in events] == [("load_error", path)]
        # The loader keeps working after the error.
        assert loader.load_component("components/ok.md") == "fine"
        assert loader.watch_mode == watch
        out = capsys.readouterr()
        assert out.out == ""
        assert out.err == ""

    def test_not_text_message_says_where(self, write: WriteFn, make_loader: LoaderFactory) -> None:
        write("l.md", b"ok so far \xe9 then latin-1")
        loader = make_loader()
        with pytest.raises(ComponentNotTextError, match=r"l\.md.*UTF-8.*offset 10"):
            loader.load_component("l.md")

    def test_file_exactly_at_limit_is_fine(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("edge.md", "x" * 100)
        loader = make_loader(max_component_bytes=100)
        assert loader.load_component("edge.md") == "x" * 100

    def test_file_growing_past_limit_after_stat_is_refused(
        self, write: WriteFn, make_loader: LoaderFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = write("grow.md", "x" * 50)
        loader = make_loader("inotify", max_component_bytes=100)
        real_fstat = os.fstat
        before: list[os.stat_result] = []

        def fstat_then_grow(fd: int) -> os.stat_result:
            # Every fstat reports the old size; the file grows before it is read.
            result = real_fstat(fd)
            if not stat.S_ISREG(result.st_mode):
                return result
            if not before:
                before.append(result)
                path.write_text("y" * 500, encoding="utf-8")
            return before[0]

        monkeypatch.setattr(os, "fstat", fstat_then_grow)
        with pytest.raises(ComponentTooLargeError, match=r"^grow\.md: over the 100-byte limit"):
            loader.load_component("grow.md")

    def test_warmup_failures_are_logged_not_printed(
        self,
        write: WriteFn,
        make_loader: LoaderFactory,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        write("ok.md", "fine")
        loader = make_loader()
        with caplog.at_level(logging.DEBUG, logger="promptcache"):
            report = loader.warm(["missing.md", "ok.md", "../escape.md"])
            loader.load_component("ok.md")
            loader.get_performance_stats()
        assert report.loaded == ("ok.md",)
        assert set(report.failed) == {"missing.md", "../escape.md"}
        messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("missing.md" in m for m in messages)
        assert any("../escape.md" in m for m in messages)
        assert all(r.name.startswith("promptcache") for r in caplog.records)
        out = capsys.readouterr()
        assert (out.out, out.err) == ("", "")

    def test_non_string_path(self, make_loader: LoaderFactory) -> None:
        loader = make_loader()
        with pytest.raises(ComponentError):
            loader.load_component(42)  # type: ignore[arg-type]
        with pytest.raises(ComponentError):
            loader.load_component(Path("a.md"))  # type: ignore[arg-type]

    def test_failed_load_is_not_cached_and_retried(
        self, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        loader = make_loader(watch)
        with pytest.raises(ComponentNotFoundError):
            loader.load_component("late.md")
        write("late.md", "arrived", old=False)
        assert loader.load_component("late.md") == "arrived"
