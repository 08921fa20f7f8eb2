"""The README's command examples run as written, from a clone of the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cmd_testlib import FORCING_VARIABLES, ROOT

README = ROOT / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def shell_commands(markdown: str) -> list[str]:
    """The commands of the ```sh blocks, continuation lines joined, comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


SCRIPT_COMMANDS = shell_commands(section("Commands for scripts and CI"))


def test_the_examples_use_folders_that_are_in_the_repository() -> None:
    assert len(SCRIPT_COMMANDS) >= 8
    for command in SCRIPT_COMMANDS:
        assert "prompts" not in command.split(), command
        for path in re.findall(r"(?:tui|examples)/[\w./-]+", command):
            assert (ROOT / path).exists(), f"{path} in {command!r}"


def test_the_script_examples_run_in_order(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in FORCING_VARIABLES}
    env["TMPDIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    prelude = f'promptcache() {{ "{sys.executable}" -m promptcache.cli "$@"; }}\n'
    before = set(ROOT.iterdir())
    for command in SCRIPT_COMMANDS:
        done = subprocess.run(
            ["bash", "-c", prelude + command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # The sample library has two broken files on purpose: check finds them (exit 1).
        expected = 1 if command.startswith("promptcache check") else 0
        assert done.returncode == expected, f"{command}: {done.stderr}"
        assert "Traceback" not in done.stderr
    assert set(ROOT.iterdir()) == before, "an example left a file in the repository"
