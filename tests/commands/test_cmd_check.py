"""``promptcache check`` and ``core.checker``: every problem kind, exit statuses, JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process

from promptcache import checker
from promptcache.checker import Problem, check_folder, check_text
from promptcache.cli.main import SAMPLE_LIBRARY
from promptcache.paths import list_components

Cli = Callable[..., Run]


# ---------------------------------------------------------------------- core.checker


def kinds(check: checker.ComponentCheck) -> list[tuple[str, str, int | None]]:
    return [(p.severity, p.kind, p.line) for p in check.problems]


def test_a_clean_component_lists_its_placeholders_in_order() -> None:
    check = check_text("a.md", b"{b} and {a} and {b} and {json: 1} and {{c}}", {"a", "b", "c"})
    assert check.placeholders == ("b", "a", "c") and check.problems == ()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [("warning", "empty", None)]),
        (b"  \n\t\n", [("warning", "empty", None)]),
        (b"line one\ncaf\xe9 {x}", [("error", "not_utf8", 2)]),
        (b"x" * 11, [("error", "too_large", None)]),
        (b"ok\nDear {name,\n{ id } and {fine}", [
            ("error", "malformed_placeholder", 2), ("error", "malformed_placeholder", 3)]),
        (b"{a}\n\n{undefined}", [("warning", "undefined_variable", 3)]),
    ],
)  # fmt: skip
def test_each_problem_kind(data: bytes, expected: list[tuple[str, str, int | None]]) -> None:
    limit = 10 if data == b"x" * 11 else 100
    check = check_text("c.md", data, {"a", "fine", "name", "id"}, max_bytes=limit)
    assert kinds(check) == expected
    for problem in check.problems:
        assert problem.message and "\n" not in problem.message


def test_exactly_the_limit_is_not_too_large() -> None:
    assert check_text("c.md", b"x" * 10, max_bytes=10).problems == ()


def test_undefined_variables_are_only_checked_against_known_sets() -> None:
    assert check_text("c.md", b"{anything}", None).problems == ()
    assert kinds(check_text("c.md", b"{anything}", set())) == [("warning", "undefined_variable", 1)]


def test_problem_json_has_a_line_only_when_known() -> None:
    assert Problem("error", "too_large", "big").to_dict() == {
        "severity": "error",
        "kind": "too_large",
        "message": "big",
    }
    assert Problem("warning", "undefined_variable", "x", 3).to_dict()["line"] == 3


def make_tree(root: Path) -> None:
    (root / "a/b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / ".hidden/x.md").write_text("{x}")
    (root / "a/.secret.md").write_text("{x}")
    (root / "a/one.md").write_text("{project_name}")
    (root / "a/b/two.txt").write_text("two")
    (root / "z.md").write_text("z")
    (root / "a/link.md").symlink_to(root / "z.md")
    (root / "dirlink").symlink_to(root / "a", target_is_directory=True)
    (root / "dangling.md").symlink_to(root / "nowhere.md")


def test_the_same_files_as_the_loader_lists(tmp_path: Path) -> None:
    make_tree(tmp_path)
    report = check_folder(tmp_path)
    # The same files, and the dangling symlink the loader cannot list is reported.
    listed = list_components(tmp_path.resolve())
    assert [c.path for c in report.components] == sorted([*listed, "dangling.md"])
    assert {c.path: kinds(c) for c in report.components if c.problems} == {
        "dangling.md": [("error", "broken_symlink", None)]
    }
    assert report.warnings == 0 and report.vars_file is None


def test_the_folder_variable_file_enables_undefined_checks(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("{known} {unknown}")
    assert check_folder(tmp_path).warnings == 0
    (tmp_path / ".promptcache-vars.toml").write_text("[a]\nknown = 1\n[b]\nother = 2\n")
    report = check_folder(tmp_path)
    assert [kinds(c) for c in report.components] == [[("warning", "undefined_variable", 1)]]
    assert "{unknown}" in report.components[0].problems[0].message
    explicit = check_folder(tmp_path, variable_sets={"s": {"unknown": "v", "known": "k"}})
    assert explicit.warnings == 0


def test_a_broken_variable_file_is_an_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("{unknown}")
    (tmp_path / ".promptcache-vars.toml").write_text("[a]\nok = 1\nbad = [1]\n")
    report = check_folder(tmp_path)
    assert [c.path for c in report.components] == [".promptcache-vars.toml", "x.md"]
    assert kinds(report.components[0]) == [("error", "bad_vars_file", 3)]
    assert report.components[0].problems[0].message.startswith("a.bad must be")
    assert report.warnings == 0  # undefined variables cannot be checked


def test_a_symlink_leading_out_is_an_error(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("secret")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/link.md").symlink_to(outside)
    report = check_folder(tmp_path / "lib")
    assert kinds(report.components[0]) == [("error", "outside_folder", None)]


def test_unreadable_files_and_folders_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked/x.md").write_text("x")
    (tmp_path / "secret.md").write_text("x")
    (tmp_path / "fine.md").write_text("x")
    real_read, real_scandir = checker._read_bytes, os.scandir

    def read_bytes(base: tuple[int, str], rel: str, limit: int) -> bytes:
        if rel.endswith("secret.md"):
            raise PermissionError(13, "Permission denied", rel)
        return real_read(base, rel, limit)

    def scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(checker, "_read_bytes", read_bytes)
    monkeypatch.setattr(checker.os, "scandir", scandir)
    report = check_folder(tmp_path)
    assert {c.path: kinds(c) for c in report.components} == {
        "fine.md": [],
        "locked": [("error", "unreadable", None)],
        "secret.md": [("error", "unreadable", None)],
    }
    assert "Permission denied" in report.components[2].problems[0].message


def test_fifos_devices_and_broken_symlinks_are_reported(tmp_path: Path) -> None:
    """Issue 10 item 11: they were skipped silently."""
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "null.md").symlink_to("/dev/null")
    (tmp_path / "ok.md").write_text("fine")
    report = check_folder(tmp_path)
    found = {
        c.path: (kinds(c), c.problems[0].message if c.problems else "") for c in report.components
    }
    assert found == {
        "dangling.md": ([("error", "broken_symlink", None)], "is a dangling symlink"),
        "loop.md": ([("error", "broken_symlink", None)], "is a looping symlink"),
        "null.md": ([("error", "not_a_file", None)], "is a symlink to a device"),
        "ok.md": ([], ""),
        "pipe.md": ([("error", "not_a_file", None)], "is a FIFO"),
    }


def test_check_folder_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(checker.ComponentNotFoundError, match="does not exist"):
        check_folder(tmp_path / "nope")
    (tmp_path / "f").write_text("")
    with pytest.raises(checker.ComponentNotFoundError, match="not a folder"):
        check_folder(tmp_path / "f")


# ---------------------------------------------------------------------- the command


def test_a_clean_folder_passes(cli: Cli, library: Path) -> None:
    (library / "components/report.md").write_text("{project_name} for {audience}")
    run = cli("check", "--format", "grouped", library)
    assert run.code == 0 and run.err == ""
    lines = run.out.splitlines()
    assert lines[0] == "ok     components/plain.txt"
    assert lines[1] == "ok     components/report.md  {project_name} {audience}"
    assert lines[-1].startswith("PASS  2 files checked in ")
    assert lines[-1].endswith("0 errors, 0 warnings in 0 files")


def test_warnings_pass_unless_strict(cli: Cli, library: Path) -> None:
    run = cli("check", library)  # max_words is defined only in the "release" set: fine
    assert run.code == 0
    (library / "components/empty.md").write_text("")
    (library / "components/report.md").write_text("{nowhere}")
    run = cli("check", "--format", "grouped", library)
    assert run.code == 0
    assert "warn   components/empty.md" in run.out
    assert "       warning: empty component [empty]" in run.out
    assert "       warning: line 1: {nowhere} is defined in no variable set" in run.out
    assert "0 errors, 2 warnings in 2 files" in run.out
    strict = cli("check", "--format", "grouped", "--strict", library)
    assert strict.code == 1 and strict.out.splitlines()[-1].startswith("FAIL")


def test_errors_fail(cli: Cli, library: Path) -> None:
    (library / "components/bad.md").write_bytes(b"caf\xe9")
    run = cli("check", "--format", "grouped", library)
    assert run.code == 1 and run.err == ""
    assert "ERROR  components/bad.md" in run.out
    assert "error: line 1: not UTF-8 text (byte 0xe9 at offset 3) [not_utf8]" in run.out
    assert run.out.splitlines()[-1].startswith("FAIL")


def test_quiet_lists_only_components_with_problems(cli: Cli, library: Path) -> None:
    (library / "components/bad.md").write_text("{oops")
    lines = cli("check", "--format", "grouped", "-q", library).out.splitlines()
    assert lines[0] == "ERROR  components/bad.md"
    assert "malformed placeholder '{oops': no closing brace" in lines[1]
    assert len(lines) == 3 and lines[2].startswith("FAIL")


def test_json_shape(cli: Cli, library: Path) -> None:
    (library / "components/bad.md").write_text("Dear {name,\n{ x }\n{project_name} {nowhere}")
    run = cli("check", "--json", library)
    assert run.code == 1 and run.err == ""
    data = json.loads(run.out)
    assert set(data) == {"folder", "components", "errors", "warnings"}
    assert data["folder"] == str(library.resolve())
    assert (data["errors"], data["warnings"]) == (2, 1)
    assert [c["path"] for c in data["components"]] == [
        "components/bad.md",
        "components/plain.txt",
        "components/report.md",
    ]
    for component in data["components"]:
        assert set(component) == {"path", "placeholders", "problems"}
        for problem in component["problems"]:
            assert (
                {"severity", "kind", "message"}
                <= set(problem)
                <= {
                    "severity",
                    "kind",
                    "message",
                    "line",
                    "column",
                }
            )
    bad = data["components"][0]
    assert bad["placeholders"] == ["project_name", "nowhere"]
    assert [(p["severity"], p["kind"], p["line"]) for p in bad["problems"]] == [
        ("error", "malformed_placeholder", 1),
        ("error", "malformed_placeholder", 2),
        ("warning", "undefined_variable", 3),
    ]
    assert data["components"][2]["placeholders"] == ["project_name", "audience", "max_words"]


def test_json_of_a_clean_folder_exits_0(cli: Cli, library: Path) -> None:
    run = cli("check", library, "--json")
    assert run.code == 0 and json.loads(run.out)["errors"] == 0


def test_the_default_folder_is_the_current_one(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(library)
    data = json.loads(cli("check", "--json").out)
    assert data["folder"] == str(library.resolve()) and len(data["components"]) == 2


def test_bad_folder(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("check", tmp_path / "nope"), "check", "does not exist")
    (tmp_path / "f.md").write_text("")
    assert_one_line_error(cli("check", tmp_path / "f.md"), "check", "is not a folder")
    run = cli("check", "--nope")
    assert run.code == 2 and "unrecognized arguments: --nope" in run.err


def test_the_bundled_samples_have_their_two_broken_files(cli: Cli) -> None:
    data = json.loads(cli("check", "--json", SAMPLE_LIBRARY).out)
    broken = {
        c["path"]: {p["kind"] for p in c["problems"]} for c in data["components"] if c["problems"]
    }
    assert broken == {
        "components/broken/legacy-latin1.txt": {"not_utf8"},
        "components/broken/malformed-placeholders.md": {"malformed_placeholder"},
    }


def test_piped_check_is_plain_text(library: Path) -> None:
    (library / "components/bad.md").write_text("{oops")
    done = run_process("check", "--format", "grouped", library)
    assert done.returncode == 1 and done.stderr == ""
    assert "\x1b[" not in done.stdout
    assert "ERROR  components/bad.md" in done.stdout
    missing = run_process("check", library / "nope")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "\x1b[" not in missing.stderr
