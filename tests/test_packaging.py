"""What an install puts into an environment: one import package, ``promptcache``.

An application with its own ``core`` or ``tui`` module must be able to install promptcache
next to it, so neither name may escape into site-packages.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from promptcache import POLICIES

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "promptcache", "tui": "promptcache/tui", "cli": "promptcache/cli"}


EXTENSION = sysconfig.get_config_var("EXT_SUFFIX")


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def build_wheel(
    out: Path, env: dict[str, str] | None = None, source: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source),
        cwd=out, env=env,
    )  # fmt: skip


def clean_copy(into: Path) -> Path:
    """The repo's sources without build products (pip builds in the tree it is given)."""
    ignored = shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "*.so", "__pycache__", ".*_cache", ".hypothesis"
    )
    shutil.copytree(ROOT, into, ignore=ignored, symlinks=True)
    return into


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = build_wheel(out)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("promptcache-*.whl")
    return found


def compiled_modules() -> set[str]:
    """The extension files setup.py compiles (its COMPILED_POLICIES, and the shared library)."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    names = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and getattr(node.targets[0] if isinstance(node, ast.Assign) else node.target, "id", "")
        == "COMPILED_POLICIES"
    )
    return {f"promptcache/policies/{name}{EXTENSION}" for name in (*names, "compiled__mypyc")}


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
    expected = source_files() | compiled_modules()
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


# A probe replaying one seeded workload through every policy: what each one hits and keeps.
POLICY_PROBE = """
import sys, zlib
from itertools import islice
sys.path.insert(0, sys.argv[1])
from promptcache import POLICIES, ComponentCache
from promptcache.policies import COMPILED
from promptcache.workloads import generate, request_universe
universe = request_universe([f"components/c{i}.md" for i in range(60)])
requests = list(islice(generate(universe, "shifting", seed=7, shift_every=1500), 6000))
print("compiled" if COMPILED else "interpreted")
for name in POLICIES:
    cache = ComponentCache(max_size=40, max_memory_mb=50, policy=name)
    for request in requests:
        context = tuple(sorted(request.context.items()))
        if cache.get(request.path, context) is None:
            cache.put(request.path, "x" * 40, None, context)
    order = [(e.path, e.context) for e in cache.entries()]
    print(name, cache.get_stats()["hits"], zlib.crc32(repr(order).encode()))
"""


def installed(wheel_file: Path, into: Path) -> Path:
    result = run(
        sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(into),
        str(wheel_file), cwd=into.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return into


def test_without_a_compiler_the_policies_install_as_python_and_decide_the_same(
    wheel: Path, tmp_path: Path
) -> None:
    """setup.py falls back to the .py policies when compiling fails (here: a C compiler that
    always fails); the compiled and interpreted policies must make the same decisions."""
    out = tmp_path / "pure"
    out.mkdir()
    source = clean_copy(tmp_path / "source")
    built = build_wheel(out, env={**os.environ, "CC": "false", "LDSHARED": "false"}, source=source)
    assert built.returncode == 0, built.stderr
    (pure_wheel,) = out.glob("promptcache-*.whl")
    assert not [n for n in zipfile.ZipFile(pure_wheel).namelist() if n.endswith(EXTENSION)]

    outputs = []
    for label, wheel_file in (("compiled", wheel), ("pure", pure_wheel)):
        target = installed(wheel_file, tmp_path / label)
        result = run(sys.executable, "-c", POLICY_PROBE, str(target), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.splitlines())
    compiled, pure = outputs
    assert compiled[0] == "compiled" and pure[0] == "interpreted"
    assert [line.split()[0] for line in compiled[1:]] == list(POLICIES)
    assert compiled[1:] == pure[1:]


def test_the_editable_install_runs_the_compiled_policies() -> None:
    """The dev install (the README's command) compiles them, unless told not to."""
    from promptcache.policies import COMPILED

    assert COMPILED is not bool(os.environ.get("PROMPTCACHE_PURE_PYTHON"))
