"""Compile the eviction policies with mypyc; everything else is in pyproject.toml.

The adaptive policy's per-request cost target (at most 1.5x LRU's) cannot be met by the
interpreter: a LIRS insert and eviction alone is ~1.6 us of bytecode. mypyc compiles the
same typed modules (they pass ``mypy --strict``) into C extensions, with direct calls
between the policy classes. The ``.py`` files ship too: without a C compiler, or with
``PROMPTCACHE_PURE_PYTHON=1``, the install falls back to them, behaving the same, slower.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
COMPILED_POLICIES = (
    "_links", "_base", "lirs", "s3fifo", "wtinylfu", "adaptive", "arc", "lfu", "sieve"
)  # fmt: skip
"""Modules of core/policies compiled together (ResidentPolicy's subclasses must be)."""
GROUP = "promptcache.policies.compiled"
"""The shared library's import name: inside the package, never a top-level module."""


def staged_package() -> Path:
    """A ``promptcache`` link to ``core/`` under build/: mypyc names modules by their
    folders, and the repo's folder is ``core``."""
    stage = ROOT / "build" / "mypyc-src"
    stage.mkdir(parents=True, exist_ok=True)
    link = stage / "promptcache"
    if not link.is_symlink():
        link.symlink_to(ROOT / "core", target_is_directory=True)
    return stage


def compiled_policies() -> list[object]:
    if os.environ.get("PROMPTCACHE_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("promptcache: mypyc not found; installing pure-Python policies", file=sys.stderr)
        return []
    stage = staged_package()
    here = Path.cwd()
    os.chdir(stage)  # relative paths, so that the module names start at promptcache
    try:
        return list(
            mypycify(
                [
                    # Only the policies are compiled; what they import is read for its
                    # types, and may lack third-party packages not installed yet.
                    "--follow-imports=silent",
                    "--ignore-missing-imports",
                    *(f"promptcache/policies/{name}.py" for name in COMPILED_POLICIES),
                ],
                opt_level="3",
                group_name=GROUP,
                target_dir=str(ROOT / "build" / "mypyc-c"),
            )
        )
    except (Exception, SystemExit) as error:  # a mypy/mypyc release that refuses the code
        print(
            f"promptcache: mypyc failed ({error}); installing the pure-Python policies",
            file=sys.stderr,
        )
        return []
    finally:
        os.chdir(here)


class OptionalBuildExt(build_ext):
    """Build the compiled policies if a C compiler can; otherwise keep the Python ones."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # any compiler or linker failure
            self._fall_back(error)

    def build_extensions(self) -> None:
        try:
            super().build_extensions()
        except Exception as error:
            self._fall_back(error)

    def _fall_back(self, error: Exception) -> None:
        for extension in self.extensions:
            built = Path(self.get_ext_fullpath(extension.name))
            built.unlink(missing_ok=True)  # a shim without its library would not import
        print(
            f"promptcache: compiling the policies failed ({error}); "
            "installing the pure-Python policies (same behaviour, slower)",
            file=sys.stderr,
        )


setup(ext_modules=compiled_policies(), cmdclass={"build_ext": OptionalBuildExt})
