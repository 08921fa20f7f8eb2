"""What an install puts into an environment: one import package, ``promptcache``.

An application with its own ``core`` or ``tui`` module must be able to install promptcache
next to it, so neither name may escape into site-packages.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "promptcache", "tui": "promptcache/tui", "cli": "promptcache/cli"}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT), cwd=out
    )
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("promptcache-*.whl")
    return found


def source_files() -> set[str]:
    """Every file of the three package folders, as the wheel should name it."""
    expected = set()
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                relative = path.relative_to(ROOT / folder)
                nested = relative.parts[0] in {"tui", "cli"} and folder == "core"
                if not nested:
                    expected.add(f"{package}/{relative.as_posix()}")
    return expected


def test_the_wheel_holds_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"promptcache", next(t for t in tops if t.endswith(".dist-info"))}
    assert "promptcache/__init__.py" in names
    assert "promptcache/tui/app.py" in names
    assert "promptcache/cli/main.py" in names


def test_the_wheel_holds_every_source_file(wheel: Path) -> None:
    names = {n for n in zipfile.ZipFile(wheel).namelist() if not n.split("/")[0].endswith("info")}
    expected = source_files()
    assert expected - names == set(), "missing from the wheel"
    assert names - expected == set(), "in the wheel but not in the repo"
    assert any(n.startswith("promptcache/tui/sample_library/components/") for n in names)
    assert "promptcache/py.typed" in names


def test_an_installed_wheel_exposes_promptcache_but_not_core(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    installed = run(
        sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
        str(wheel), cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    packages = [p.name for p in target.iterdir() if not p.name.endswith(".dist-info")]
    assert sorted(packages) == ["bin", "promptcache"]  # bin: the console script
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import promptcache, promptcache.cli.main\n"
        "from promptcache import ComponentCache, CachedComponentLoader, "
        "CachePerformanceMonitor, serve_stats\n"
        "assert promptcache.__file__.startswith(sys.argv[1]), promptcache.__file__\n"
        "assert promptcache.cli.main.SAMPLE_LIBRARY.is_dir()\n"
        "for name in ('core', 'tui', 'cli'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ModuleNotFoundError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(f'{name} is importable')\n"
    )
    result = run(sys.executable, "-c", probe, str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_editable_install_maps_promptcache_to_the_repo(tmp_path: Path) -> None:
    probe = (
        "import promptcache, promptcache.tui, promptcache.cli\n"
        "print(promptcache.__file__, promptcache.tui.__file__, promptcache.cli.__file__)\n"
        "try:\n"
        "    import core\n"
        "except ModuleNotFoundError:\n"
        "    print('no core')\n"
    )
    result = run(sys.executable, "-c", probe, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files, _, last = result.stdout.strip().rpartition("\n")
    assert files.split() == [
        str(ROOT / "core" / "__init__.py"),
        str(ROOT / "tui" / "__init__.py"),
        str(ROOT / "cli" / "__init__.py"),
    ]
    assert last == "no core"
