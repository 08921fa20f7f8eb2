"""Shared fixtures for the ``core`` tests: component folders on disk and loaders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from core_testlib import WATCH_MODES, FakeClock, LoaderFactory, WriteFn, age

from promptcache import CachedComponentLoader, ComponentCache


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """An empty component folder."""
    folder = tmp_path / "library"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the component folder holding a secret file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text("TOP SECRET outside content", encoding="utf-8")
    return folder


@pytest.fixture
def write(base: Path) -> WriteFn:
    """``write(rel, text, old=True)``: create a component file under ``base``.

    ``old=True`` dates the file an hour back so the stat checks trust it.
    """

    def _write(rel: str, text: str | bytes, *, old: bool = True) -> Path:
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        if old:
            age(path)
        return path

    return _write


@pytest.fixture
def make_loader(base: Path) -> Iterator[LoaderFactory]:
    """``make_loader(watch="stat", cache=None, folder=base, **kw)``; closed at teardown."""
    made: list[CachedComponentLoader] = []

    def _make(
        watch: str = "stat",
        cache: ComponentCache | None = None,
        folder: Path | None = None,
        **kwargs: Any,
    ) -> CachedComponentLoader:
        loader = CachedComponentLoader(
            folder if folder is not None else base,
            cache if cache is not None else ComponentCache(max_size=100, max_memory_mb=50),
            watch=watch,
            **kwargs,
        )
        made.append(loader)
        return loader

    yield _make
    for loader in made:
        loader.close()


@pytest.fixture(params=WATCH_MODES)
def watch(request: pytest.FixtureRequest) -> str:
    """Each way of noticing changed files: inotify and os.stat."""
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    """A settable clock."""
    return FakeClock()
