"""``promptcache render``: the rendering on stdout, diagnostics on stderr, exit statuses."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process

Cli = Callable[..., Run]


def test_renders_with_the_default_set_and_v_values(cli: Cli, library: Path) -> None:
    run = cli("render", library / "components/report.md", "-v", "max_words=200")
    assert run == Run(0, "# Report on Atlas for engineers\nKeep it under 200 words.\n", "")


def test_set_picks_a_variable_set_and_v_overrides_it(cli: Cli, library: Path) -> None:
    run = cli(
        "render", library / "components/report.md", "--set", "release",
        "-v", "project_name=Cygnus", "--var", "audience=auditors",
    )  # fmt: skip
    assert run == Run(0, "# Report on Cygnus for auditors\nKeep it under 300 words.\n", "")


def test_missing_variable_is_a_warning_and_the_placeholder_stays(cli: Cli, library: Path) -> None:
    run = cli("render", library / "components/report.md")
    assert run.code == 0
    assert run.out == "# Report on Atlas for engineers\nKeep it under {max_words} words.\n"
    assert run.err.splitlines() == [
        f"promptcache render: warning: {library / 'components/report.md'}: "
        "missing variable: max_words"
    ]


def test_strict_fails_on_a_missing_variable_and_prints_nothing(cli: Cli, library: Path) -> None:
    run = cli("render", "--strict", library / "components/report.md", "--set", "release")
    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith("promptcache render: error: ")
    assert "missing variable: audience" in run.err
    assert "Traceback" not in run.err


def test_strict_passes_when_everything_is_filled(cli: Cli, library: Path) -> None:
    run = cli("render", "--strict", library / "components/report.md", "-v", "max_words=9")
    assert run.code == 0 and run.err == "" and "under 9 words" in run.out


def test_malformed_placeholders_are_reported_with_their_line(cli: Cli, library: Path) -> None:
    path = library / "components/broken.md"
    path.write_text("Hello {project_name}.\nDear {customer_name,\nOrder { order_id }.\n")
    run = cli("render", path)
    assert run.code == 0
    assert run.out.startswith("Hello Atlas.\n")
    assert run.err.splitlines() == [
        f"promptcache render: warning: {path}:2: malformed placeholder '{{customer_name': "
        "no closing brace",
        f"promptcache render: warning: {path}:3: malformed placeholder '{{ order_id }}': "
        "spaces inside braces",
    ]
    strict = cli("render", "--strict", path)
    assert strict.code == 1 and strict.out == "" and strict.err.count("error:") == 2


def test_a_v_value_no_placeholder_uses_is_a_warning(cli: Cli, library: Path) -> None:
    run = cli("render", library / "components/plain.txt", "-v", "colour=blue")
    assert run.code == 0 and run.out == "No placeholders here.\n"
    assert "-v colour is not a placeholder" in run.err


def test_output_is_written_exactly(cli: Cli, library: Path) -> None:
    path = library / "components/raw.md"
    text = '[bold]not markup[/bold] :smile: {project_name} — ünïcode 🚀\n  {"json": 1}'
    path.write_text(text, encoding="utf-8")
    run = cli("render", path)
    assert run == Run(0, text.replace("{project_name}", "Atlas"), "")


def test_values_are_not_expanded_again(cli: Cli, library: Path) -> None:
    run = cli(
        "render", library / "components/report.md", "-v", "project_name={audience}",
        "-v", "max_words=a=b",
    )  # fmt: skip
    assert run.out == "# Report on {audience} for engineers\nKeep it under a=b words.\n"


# ---------------------------------------------------------------------- the folder


def test_the_folder_is_the_nearest_one_with_a_variable_file(cli: Cli, library: Path) -> None:
    deep = library / "components/a/b"
    deep.mkdir(parents=True)
    (deep / "x.md").write_text("{project_name}/{audience}")
    assert cli("render", deep / "x.md").out == "Atlas/engineers"


def test_without_a_variable_file_the_folder_is_the_files_own(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("{project_name}")
    run = cli("render", tmp_path / "x.md", "-v", "project_name=P")
    assert run == Run(0, "P", "")


def test_a_relative_path_is_taken_from_the_current_folder(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(library / "components")
    assert cli("render", "report.md", "-v", "max_words=1").code == 0


def test_with_dir_a_path_may_be_relative_to_the_folder(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    run = cli("render", "--dir", library, "components/report.md", "-v", "max_words=1")
    assert run.code == 0 and run.out.startswith("# Report on Atlas")


def test_an_explicit_vars_file_and_set(cli: Cli, library: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[ci]\nproject_name = "CI"\naudience = "bots"\nmax_words = 5\n')
    run = cli("render", library / "components/report.md", "--vars", other, "--set", "ci")
    assert run == Run(0, "# Report on CI for bots\nKeep it under 5 words.\n", "")


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("novalue", "expected NAME=VALUE"),
        ("1x=2", "is not a variable name"),
        ("=3", "is not a variable name"),
        ("a b=3", "is not a variable name"),
    ],
)
def test_bad_v_syntax_is_an_argparse_error(
    cli: Cli, library: Path, value: str, message: str
) -> None:
    run = cli("render", library / "components/report.md", "-v", value)
    assert run.code == 2 and run.out == ""
    assert "promptcache render: error: argument -v/--var: " in run.err and message in run.err
    assert "Traceback" not in run.err


def test_unknown_set_lists_the_available_ones(cli: Cli, library: Path) -> None:
    run = cli("render", library / "components/report.md", "--set", "nope")
    assert_one_line_error(run, "render", "--set nope", "available: default, release")


def test_a_set_without_a_variable_file(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("{a}")
    run = cli("render", tmp_path / "x.md", "--set", "default")
    assert_one_line_error(run, "render", "--set default", "no variable file")


def test_missing_component(cli: Cli, library: Path) -> None:
    assert_one_line_error(
        cli("render", library / "components/nope.md"), "render", "no such component file"
    )
    assert_one_line_error(
        cli("render", "--dir", library, "components/nope.md"), "render", "no such component"
    )


def test_missing_folder(cli: Cli, tmp_path: Path) -> None:
    run = cli("render", "--dir", tmp_path / "nope", "x.md")
    assert_one_line_error(run, "render", "component folder does not exist")
    (tmp_path / "file").write_text("")
    assert_one_line_error(
        cli("render", "--dir", tmp_path / "file", "x.md"), "render", "not a folder"
    )


def test_paths_outside_the_folder_are_refused(cli: Cli, library: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret {project_name}")
    for args in (
        ("--dir", library, secret),
        ("--dir", library, "../secret.txt"),
        ("--dir", library / "components", "../.promptcache-vars.toml"),
    ):
        run = cli("render", *args)
        assert_one_line_error(run, "render", "outside the component folder")
    link = library / "components/link.md"
    link.symlink_to(secret)
    assert_one_line_error(cli("render", link), "render", "outside the component folder")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"caf\xe9 {x}", "not UTF-8 text"),
        (b"x" * (1024 * 1024 + 1), "byte limit"),
    ],
)
def test_components_the_loader_refuses(
    cli: Cli, library: Path, content: bytes, message: str
) -> None:
    path = library / "components/bad.md"
    path.write_bytes(content)
    assert_one_line_error(cli("render", path), "render", str(path), message)


def test_a_folder_is_not_a_component(cli: Cli, library: Path) -> None:
    assert_one_line_error(cli("render", library / "components"), "render", "is a directory")


def test_vars_file_problems(cli: Cli, library: Path, tmp_path: Path) -> None:
    report = library / "components/report.md"
    assert_one_line_error(
        cli("render", report, "--vars", tmp_path / "nope.toml"), "render", "no such variable file"
    )
    assert_one_line_error(cli("render", report, "--vars", tmp_path), "render", "is a folder")
    broken = tmp_path / "broken.toml"
    broken.write_text('[default]\nname = "ok"\nbad = [1, 2]\n')
    assert_one_line_error(
        cli("render", report, "--vars", broken), "render", f"{broken}:3:", "default.bad"
    )
    broken.write_text("[default\n")
    assert_one_line_error(cli("render", report, "--vars", broken), "render", f"{broken}:1:")
    broken.write_bytes(b"[default]\nname = '\xff'\n")
    assert_one_line_error(cli("render", report, "--vars", broken), "render", "not UTF-8")
    (library / ".promptcache-vars.toml").write_text("x = 1\n")
    assert_one_line_error(cli("render", report), "render", "must be a [table]")


def test_an_unreadable_vars_file(cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def os_open(path: str, *args: Any, **kwargs: Any) -> int:
        if os.path.basename(path) == ".promptcache-vars.toml":
            raise PermissionError(13, "Permission denied", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    run = cli("render", library / "components/report.md")
    assert_one_line_error(run, "render", "cannot read (Permission denied)")


# ---------------------------------------------------------------------- a real process


def test_piped_render_is_plain_and_split(library: Path) -> None:
    path = library / "components/report.md"
    done = run_process("render", path, "--set", "release")
    assert done.returncode == 0
    assert done.stdout == "# Report on Borealis for {audience}\nKeep it under 300 words.\n"
    assert done.stderr == f"promptcache render: warning: {path}: missing variable: audience\n"
    strict = run_process("render", path, "--strict")
    assert strict.returncode == 1 and strict.stdout == ""
    assert "\x1b[" not in strict.stderr and "Traceback" not in strict.stderr
