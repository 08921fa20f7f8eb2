"""Helpers for the command tests: results, the one-line error check, subprocess runs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORCING_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE")

VARS_TEXT = """\
[default]
project_name = "Atlas"
audience = "engineers"

[release]
project_name = "Borealis"
max_words = 300
"""

REPORT = "# Report on {project_name} for {audience}\nKeep it under {max_words} words.\n"


@dataclass(frozen=True)
class Run:
    """What a command did: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


def assert_one_line_error(run: Run, command: str, *fragments: str) -> None:
    """Exit status 2, nothing on stdout, one ``promptcache <command>: error:`` line."""
    assert run.code == 2, run
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(f"promptcache {command}: error: "), run.err
    for fragment in fragments:
        assert fragment in lines[0], run.err
    assert "Traceback" not in run.err


def run_process(
    *args: str | os.PathLike[str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tui ARGS...`` in a subprocess with stdout and stderr piped."""
    env = {k: v for k, v in os.environ.items() if k not in FORCING_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "promptcache.cli", *(os.fspath(a) for a in args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
