"""Issue 10, items 2, 3, 11 and 12 on the command line: variable files from anywhere,
parser limits, FIFOs and devices given as files, and one read of the template."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process

Cli = Callable[..., Run]
NOBODY = 65534
PLANTED = '[default]\nproject_name = "PLANTED"\n'


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """``outer/.promptcache-vars.toml`` and ``outer/inner/comp.md``."""
    outer = tmp_path / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    (outer / ".promptcache-vars.toml").write_text(PLANTED, encoding="utf-8")
    comp = inner / "comp.md"
    comp.write_text("for {project_name}", encoding="utf-8")
    return outer, comp


def test_the_climb_stops_below_a_folder_another_user_owns(cli: Cli, tmp_path: Path) -> None:
    outer, comp = _tree(tmp_path)
    assert cli("render", comp).out == "for PLANTED"  # our own folder: used
    os.chown(outer, NOBODY, NOBODY)  # like /tmp: someone else's folder
    run = cli("render", comp)
    assert run.code == 0
    assert run.out == "for {project_name}"
    assert "missing variable: project_name" in run.err


def test_the_climb_stops_at_a_repository_root(cli: Cli, tmp_path: Path) -> None:
    _, comp = _tree(tmp_path)
    (comp.parent / ".git").mkdir()
    assert cli("render", comp).out == "for {project_name}"


@pytest.mark.parametrize(
    ("spoil", "fragment"),
    [
        (lambda p: os.chown(p, NOBODY, NOBODY), "owned by another user"),
        (lambda p: os.chmod(p, 0o666), "writable by others (mode 666)"),
        (lambda p: os.chmod(p, 0o620), "writable by others (mode 620)"),
    ],
    ids=["other-owner", "world-writable", "group-writable"],
)
def test_an_untrusted_variable_file_is_refused(
    cli: Cli, tmp_path: Path, spoil: Callable[[Path], None], fragment: str
) -> None:
    outer, comp = _tree(tmp_path)
    spoil(outer / ".promptcache-vars.toml")
    assert_one_line_error(cli("render", comp), "render", fragment, "refusing to use it")
    assert_one_line_error(
        cli("render", comp, "--vars", outer / ".promptcache-vars.toml"), "render", fragment
    )


def test_a_variable_file_symlinked_out_of_its_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    outer, comp = _tree(tmp_path)
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text(PLANTED, encoding="utf-8")
    (outer / ".promptcache-vars.toml").unlink()
    (comp.parent / ".promptcache-vars.toml").symlink_to(elsewhere)
    assert_one_line_error(cli("render", comp), "render", "outside")


@pytest.mark.parametrize(
    ("option", "fragment"),
    [((), "resolves outside"), (("--vars",), "is not a regular file (a device)")],
    ids=["folder-file", "--vars"],
)
def test_a_variable_file_that_is_a_device_is_refused(
    cli: Cli, tmp_path: Path, option: tuple[str, ...], fragment: str
) -> None:
    outer, comp = _tree(tmp_path)
    vars_file = outer / ".promptcache-vars.toml"
    vars_file.unlink()
    vars_file.symlink_to("/dev/zero")
    args = (*option, "/dev/zero") if option else ()
    assert_one_line_error(cli("render", comp, *args), "render", fragment)


def test_a_variable_file_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    outer, comp = _tree(tmp_path)
    (outer / ".promptcache-vars.toml").unlink()
    os.mkfifo(outer / ".promptcache-vars.toml")
    done = run_process("render", comp)  # bounded: run_process times out
    assert done.returncode == 2, done
    assert done.stderr.splitlines() == [
        f"promptcache render: error: {outer / '.promptcache-vars.toml'}: is not a regular "
        "file (a FIFO)"
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[s]\nx = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("[s]\nx = " + "7" * 5000 + "\n", "digits"),
    ],
    ids=["nested", "digits"],
)
def test_variable_file_parser_limits(cli: Cli, tmp_path: Path, text: str, fragment: str) -> None:
    outer, comp = _tree(tmp_path)
    (outer / ".promptcache-vars.toml").write_text(text, encoding="utf-8")
    assert_one_line_error(cli("render", comp), "render", fragment)


@pytest.mark.parametrize(
    ("context", "fragment"),
    [("[" * 100_000, "nested too deeply"), ('{"n": ' + "9" * 5000 + "}", "digits")],
    ids=["nested", "digits"],
)
def test_trace_parser_limits(cli: Cli, library: Path, context: str, fragment: str) -> None:
    trace = library.parent / "trace.tsv"
    trace.write_text(f"components/report.md\t{context}\n", encoding="utf-8")
    assert_one_line_error(cli("stats", library, "--trace", trace), "stats", ":1:", fragment)


def test_a_trace_on_a_device_is_refused(cli: Cli, library: Path) -> None:
    assert_one_line_error(cli("stats", library, "--trace", "/dev/zero"), "stats", "a device")


def test_a_trace_on_a_fifo_is_refused_at_once(library: Path) -> None:
    fifo = library.parent / "trace.fifo"
    os.mkfifo(fifo)
    done = run_process("stats", library, "--trace", fifo)
    assert done.returncode == 2, done
    assert done.stderr.splitlines() == [
        f"promptcache stats: error: {fifo}: is a FIFO, not a trace file"
    ]


def test_a_huge_variant_count_is_refused(cli: Cli, library: Path) -> None:
    run = cli("stats", library, "--workload", "zipf", "--variants", "100000000")
    assert run.code == 2
    assert "--variants: must be at most 1,000, got 100,000,000" in run.err
    assert "Traceback" not in run.err


def test_render_reads_the_template_once(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 12: diagnostics and output come from one read of the file."""
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.path.basename(str(file)))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.path.basename(str(path)))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    run = cli("render", library / "components/report.md")
    monkeypatch.undo()
    assert run.code == 0
    assert opened.count("report.md") == 1
