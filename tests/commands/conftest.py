"""Fixtures for the command tests: a component folder and in-process runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import FORCING_VARIABLES, REPORT, VARS_TEXT, Run

from promptcache.cli.main import main


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A component folder with a variable-set file and two clean components."""
    lib = tmp_path / "lib"
    (lib / "components").mkdir(parents=True)
    (lib / ".promptcache-vars.toml").write_text(VARS_TEXT, encoding="utf-8")
    (lib / "components" / "report.md").write_text(REPORT, encoding="utf-8")
    (lib / "components" / "plain.txt").write_text("No placeholders here.\n", encoding="utf-8")
    return lib


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run ``promptcache ARGS...`` in this process, through the real entry point."""
    for name in FORCING_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def run(*args: str | os.PathLike[str]) -> Run:
        capsys.readouterr()
        code = main([os.fspath(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
