"""Dispatch from ``promptcache`` to the commands, help texts, and errors never a traceback."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process

from promptcache.cli import check as check_command

Cli = Callable[..., Run]


def test_top_level_help_lists_the_commands() -> None:
    done = run_process("--help")
    assert done.returncode == 0
    for line in ("promptcache render PATH", "promptcache check [DIR]", "promptcache stats [DIR]"):
        assert line in done.stdout
    assert "promptcache demo [PATH]" in done.stdout


@pytest.mark.parametrize(
    ("command", "fragments"),
    [
        ("render", ("--strict", "--set NAME", "--vars FILE", ".promptcache-vars.toml", "--dir")),
        ("check", ("--json", "--strict", "Exit status", "malformed")),
        ("stats", ("--workload", "--trace FILE", "<TAB>", "--phase", "--max-memory-mb")),
    ],
)
def test_command_help(cli: Cli, command: str, fragments: tuple[str, ...]) -> None:
    run = cli(command, "--help")
    assert run.code == 0 and run.err == ""
    for fragment in fragments:
        assert fragment in run.out


def test_the_app_entry_points_are_unchanged(cli: Cli, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(tmp_path / "no-such-folder")
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        cli("demo", "--workload", "random")


def test_keyboard_interrupt_is_one_line(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(check_command, "check_folder", interrupted)
    run = cli("check", library)
    assert run.code == 130 and run.err == "promptcache check: error: interrupted\n"


def test_an_unexpected_os_error_is_one_line(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_: object, **__: object) -> None:
        raise OSError(errno.EIO, "Input/output error", "/some/file")

    monkeypatch.setattr(check_command, "check_folder", failing)
    assert_one_line_error(cli("check", library), "check", "/some/file: Input/output error")


def test_a_closed_pipe_ends_quietly(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(*_: object, **__: object) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")  # like `| head -1`

    monkeypatch.setattr(check_command, "emit", closed)
    run = cli("check", library)
    assert run == Run(141, "", "")


@pytest.mark.parametrize("command", [(), ("attach",)])
def test_an_unknown_theme_is_one_line_naming_the_choices(command: tuple[str, ...]) -> None:
    done = run_process(*command, "--theme", "no-such-theme")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "no theme 'no-such-theme'" in last and "textual-light" in last


def test_a_known_theme_is_taken() -> None:
    from promptcache.cli.main import build_parser

    assert build_parser().parse_args(["--theme", "textual-light"]).theme == "textual-light"
