"""``promptcache check`` output for editors and CI: one line per problem, JSON with line and
column, GitHub workflow annotations; only component files; nothing to check is bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process

from promptcache.checker import COMPONENT_PATTERNS, check_folder, matches

Cli = Callable[..., Run]

# The form editors (vim's errorformat, VS Code problem matchers) and CI annotators parse.
PROBLEM_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<sev>error|warning): (?P<msg>.+) \[(?P<kind>[a-z0-9_]+)\]$"
)
BAD = "Dear {name,\n  { x }\n{project_name} {nowhere}\n"


@pytest.fixture
def broken(library: Path) -> Path:
    (library / "components/bad.md").write_text(BAD, encoding="utf-8")
    (library / "components/latin1.txt").write_bytes(b"ok\nab\xe9")
    (library / "components/empty.md").write_text("", encoding="utf-8")
    return library


def test_one_line_per_problem_then_a_summary(cli: Cli, broken: Path) -> None:
    run = cli("check", broken)
    assert run.code == 1 and run.err == ""
    *problems, summary = run.out.splitlines()
    parsed = [PROBLEM_LINE.match(line) for line in problems]
    assert all(parsed), problems
    where = str(broken)
    got = [(m["path"], int(m["line"]), int(m["col"]), m["sev"], m["kind"]) for m in parsed if m]
    assert got == [
        (f"{where}/components/bad.md", 1, 6, "error", "malformed_placeholder"),
        (f"{where}/components/bad.md", 2, 3, "error", "malformed_placeholder"),
        (f"{where}/components/bad.md", 3, 16, "warning", "undefined_variable"),
        (f"{where}/components/empty.md", 1, 1, "warning", "empty"),
        (f"{where}/components/latin1.txt", 2, 3, "error", "not_utf8"),
    ]
    assert "malformed placeholder '{name': no closing brace" in problems[0]
    assert summary.startswith("FAIL  5 files checked in ")
    assert summary.endswith("3 errors, 2 warnings in 3 files")


def test_paths_are_as_given_so_a_relative_run_prints_relative_paths(
    cli: Cli, broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken.parent)
    first = cli("check", broken.name).out.splitlines()[0]
    assert first.startswith(f"{broken.name}/components/bad.md:1:6: error: ")
    monkeypatch.chdir(broken)
    assert cli("check").out.startswith("components/bad.md:1:6: error: ")


def test_quiet_lines_leave_out_the_summary(cli: Cli, broken: Path) -> None:
    run = cli("check", "-q", broken)
    assert run.code == 1 and all(PROBLEM_LINE.match(line) for line in run.out.splitlines())


def test_a_clean_folder_prints_only_the_summary(cli: Cli, library: Path) -> None:
    run = cli("check", library)
    assert run.code == 0
    assert run.out.splitlines() == [run.out.strip()]
    assert run.out.startswith("PASS  2 files checked in ")


def test_json_problems_carry_line_and_column(cli: Cli, broken: Path) -> None:
    for args in (("--format", "json"), ("--json",)):
        run = cli("check", *args, broken)
        assert run.code == 1
        data = json.loads(run.out)
        bad = next(c for c in data["components"] if c["path"] == "components/bad.md")
        assert [(p["kind"], p["line"], p["column"]) for p in bad["problems"]] == [
            ("malformed_placeholder", 1, 6),
            ("malformed_placeholder", 2, 3),
            ("undefined_variable", 3, 16),
        ]
        empty = next(c for c in data["components"] if c["path"] == "components/empty.md")
        assert "line" not in empty["problems"][0] and "column" not in empty["problems"][0]


def test_json_and_another_format_together_are_refused(cli: Cli, library: Path) -> None:
    assert_one_line_error(
        cli("check", "--json", "--format", "github", library), "check", "two formats"
    )


def test_github_annotations(cli: Cli, broken: Path) -> None:
    (broken / "components/odd,name.md").write_text("100% {oops", encoding="utf-8")
    run = cli("check", "--format", "github", broken)
    assert run.code == 1
    *annotations, summary = run.out.splitlines()
    assert summary.startswith("FAIL")
    assert annotations[0] == (
        f"::error file={broken}/components/bad.md,line=1,col=6,"
        "title=promptcache check%3A malformed_placeholder"
        "::malformed placeholder '{name': no closing brace"
    )
    assert any(a.startswith("::warning file=") and "line=3,col=16" in a for a in annotations)
    odd = next(a for a in annotations if "odd" in a)
    assert f"file={broken}/components/odd%2Cname.md," in odd
    assert odd.endswith("::malformed placeholder '{oops': no closing brace")
    done = run_process("check", "--format", "github", broken)
    assert done.stdout.splitlines()[0] == annotations[0]  # piped: the same, no colour


def test_only_component_files_are_checked(cli: Cli, library: Path) -> None:
    (library / "tool.py").write_text("def f(x): return {x }\n", encoding="utf-8")
    (library / "data.json").write_text('{"a": { "b": 1 }}', encoding="utf-8")
    (library / "components/deep").mkdir()
    (library / "components/deep/t.j2").write_text("{ok}", encoding="utf-8")
    report = check_folder(library)
    assert [c.path for c in report.components] == [
        "components/deep/t.j2",
        "components/plain.txt",
        "components/report.md",
    ]
    assert report.files_checked == 3
    assert cli("check", library).code == 0


def test_include_patterns_replace_the_default(cli: Cli, library: Path) -> None:
    (library / "tool.py").write_text("{ x }\n", encoding="utf-8")
    run = cli("check", "--include", "*.py", library)
    assert run.code == 1
    assert run.out.splitlines()[0].startswith(f"{library}/tool.py:1:1: error: ")
    only = cli("check", "--json", "--include", "components/*.md", library)
    assert [c["path"] for c in json.loads(only.out)["components"]] == ["components/report.md"]


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("a/b/c.md", ("*.md",), True),
        ("a/b/c.MD", ("*.md",), False),
        ("a/b/c.py", COMPONENT_PATTERNS, False),
        ("a/b/c.md", ("a/*.md",), True),  # * crosses folders in a path pattern
        ("x/b/c.md", ("a/*.md",), False),
        ("c.prompty", COMPONENT_PATTERNS, True),
    ],
)
def test_pattern_matching(path: str, patterns: tuple[str, ...], expected: bool) -> None:
    assert matches(path, patterns) is expected


def test_no_component_files_is_bad_input_not_a_pass(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("check", tmp_path), "check", "no component files", "--include")
    (tmp_path / "main.py").write_text("print('{ x }')\n", encoding="utf-8")
    assert_one_line_error(cli("check", tmp_path), "check", "no component files", "*.md")
    assert_one_line_error(
        cli("check", "--include", "*.rst", tmp_path), "check", "none matches *.rst"
    )
