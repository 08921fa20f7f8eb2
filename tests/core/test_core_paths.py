"""Defect 1: every read is confined to the component folder, refused before opening."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from core_testlib import LoaderFactory, WriteFn

from promptcache import (
    CachedComponentLoader,
    ComponentCache,
    ComponentError,
    ComponentOutsideBaseError,
)

SECRET = "TOP SECRET"


def _links(base: Path, outside: Path) -> None:
    """Hostile links inside ``base``."""
    (base / "components").mkdir(exist_ok=True)
    os.symlink(outside / "secret.md", base / "components" / "escape.md")
    os.symlink(outside, base / "components" / "outdir")
    os.symlink(base / "loop-b", base / "loop-a")
    os.symlink(base / "loop-a", base / "loop-b")
    os.symlink("self", base / "self")
    # A relative link that climbs out through "..".
    os.symlink("../../outside/secret.md", base / "components" / "climb.md")


# (path, expected error class); ``{outside}`` is replaced by the outside folder.
HOSTILE: list[tuple[str, type[ComponentError]]] = [
    ("../x", ComponentOutsideBaseError),
    ("../../etc/passwd", ComponentOutsideBaseError),
    ("components/../../x", ComponentOutsideBaseError),
    ("../outside/secret.md", ComponentOutsideBaseError),
    ("components/../../outside/secret.md", ComponentOutsideBaseError),
    ("/etc/passwd", ComponentOutsideBaseError),
    ("{outside}/secret.md", ComponentOutsideBaseError),
    ("//etc/passwd", ComponentOutsideBaseError),
    ("components/ok.md\x00.txt", ComponentOutsideBaseError),
    ("\x00", ComponentOutsideBaseError),
    ("components/escape.md", ComponentOutsideBaseError),
    ("components/climb.md", ComponentOutsideBaseError),
    ("components/outdir/secret.md", ComponentOutsideBaseError),
    ("components/outdir/../outdir/secret.md", ComponentOutsideBaseError),
    ("loop-a", ComponentError),
    ("self/x.md", ComponentError),
    ("", ComponentError),
    ("   ", ComponentError),
    (".", ComponentError),
    ("components", ComponentError),
]


class _OpenSpy:
    """Records every file (not folder) handed to ``open`` and ``os.open`` while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[str] = []
        real_open: Callable[..., Any] = builtins.open
        real_os_open: Callable[..., Any] = os.open

        def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            self.opened.append(str(file))
            return real_open(file, *args, **kwargs)

        def spy_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> Any:
            # Folders on the way are opened (O_DIRECTORY) to walk beneath them; files not.
            if not flags & os.O_DIRECTORY:
                self.opened.append(str(path))
            return real_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(os, "open", spy_os_open)


@pytest.fixture
def hostile_loader(
    base: Path, outside: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
) -> CachedComponentLoader:
    write("components/ok.md", "fine")
    _links(base, outside)
    return make_loader(watch)


class TestPathConfinement:
    @pytest.mark.parametrize(("raw", "error"), HOSTILE, ids=[repr(p) for p, _ in HOSTILE])
    def test_hostile_path_refused_before_opening(
        self,
        hostile_loader: CachedComponentLoader,
        outside: Path,
        monkeypatch: pytest.MonkeyPatch,
        raw: str,
        error: type[ComponentError],
    ) -> None:
        loader = hostile_loader
        path = raw.replace("{outside}", str(outside))
        before = loader.file_reads
        spy = _OpenSpy(monkeypatch)
        for context in (None, {"x": "y"}):
            with pytest.raises(error) as info:
                loader.load_component(path, context)
            assert isinstance(info.value, ComponentError)
            assert SECRET not in str(info.value)
        monkeypatch.undo()
        assert spy.opened == []
        assert loader.file_reads == before
        assert len(loader.cache) == 0
        snap = loader.cache.snapshot()
        assert snap.load_failures == 2
        assert snap.loads == 0

    @pytest.mark.parametrize(("raw", "error"), HOSTILE, ids=[repr(p) for p, _ in HOSTILE])
    def test_hostile_path_refused_by_warmup_and_read_template(
        self,
        hostile_loader: CachedComponentLoader,
        outside: Path,
        raw: str,
        error: type[ComponentError],
    ) -> None:
        loader = hostile_loader
        path = raw.replace("{outside}", str(outside))
        report = loader.warm([path, "components/ok.md"])
        assert list(report.failed) == [path]
        assert report.loaded == ("components/ok.md",)
        with pytest.raises(error):
            loader.read_template(path)
        assert loader.file_reads == 1
        assert all(SECRET not in v.path for v in loader.cache.entries())

    def test_error_names_the_path(self, hostile_loader: CachedComponentLoader) -> None:
        with pytest.raises(ComponentOutsideBaseError) as info:
            hostile_loader.load_component("../../etc/passwd")
        assert "../../etc/passwd" in str(info.value)
        assert info.value.path == "../../etc/passwd"

    def test_symlink_to_file_inside_base_works(
        self, base: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        write("components/real.md", "real {x}")
        os.symlink("real.md", base / "components" / "alias.md")
        (base / "shared").mkdir()
        os.symlink("../components", base / "shared" / "comps")
        loader = make_loader(watch)
        assert loader.load_component("components/alias.md", {"x": 1}) == "real 1"
        assert loader.load_component("shared/comps/real.md", {"x": 2}) == "real 2"
        assert loader.load_component("components/./real.md") == "real {x}"
        assert loader.load_component("shared/../components/real.md") == "real {x}"

    def test_symlinked_base_folder_itself_is_fine(
        self, tmp_path: Path, base: Path, write: WriteFn
    ) -> None:
        write("a.md", "through a linked base")
        linked = tmp_path / "linked-base"
        os.symlink(base, linked)
        loader = CachedComponentLoader(linked, ComponentCache(), watch="stat")
        try:
            assert loader.load_component("a.md") == "through a linked base"
            # Up from the real folder, as the kernel resolves "..": still inside.
            assert loader.load_component("../library/a.md") == "through a linked base"
            with pytest.raises(ComponentOutsideBaseError):
                loader.load_component("../linked-base/../outside/secret.md")
        finally:
            loader.close()

    def test_sibling_folder_with_common_prefix_is_outside(
        self, tmp_path: Path, base: Path, make_loader: LoaderFactory
    ) -> None:
        # "<tmp>/library-evil" starts with the string "<tmp>/library" but is not inside it.
        evil = tmp_path / (base.name + "-evil")
        evil.mkdir()
        (evil / "x.md").write_text(SECRET, encoding="utf-8")
        loader = make_loader()
        with pytest.raises(ComponentOutsideBaseError):
            loader.load_component(f"../{evil.name}/x.md")
        os.symlink(evil / "x.md", base / "link.md")
        with pytest.raises(ComponentOutsideBaseError):
            loader.load_component("link.md")
        assert loader.file_reads == 0

    def test_link_retargeted_outside_after_caching_is_refused(
        self, base: Path, outside: Path, write: WriteFn, make_loader: LoaderFactory, watch: str
    ) -> None:
        write("components/real.md", "inside")
        link = base / "components" / "alias.md"
        os.symlink("real.md", link)
        loader = make_loader(watch)
        assert loader.load_component("components/alias.md") == "inside"
        tmp = base / "components" / "alias.tmp"
        os.symlink(outside / "secret.md", tmp)
        os.replace(tmp, link)
        with pytest.raises(ComponentOutsideBaseError):
            loader.load_component("components/alias.md")
