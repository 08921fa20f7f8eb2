"""The ``promptcache`` command line: options, errors, and the bundled samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from promptcache.cli.main import SAMPLE_LIBRARY, build_parser


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promptcache.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_documents_every_option() -> None:
    result = run("--help")
    assert result.returncode == 0
    for option in ("--max-size", "--max-memory-mb", "--hot-usage", "--refresh", "demo"):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("/no/such/folder",), "does not exist"),
        (("--max-size", "zero"),
         "expected a whole number"),
        (("--max-size", "0"), "must be at least 1"),
        (("--max-memory-mb", "-3"), "must be above 0"),
        (("demo", "--workload", "random"), "invalid choice"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_instead_of_a_folder_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "x.md"
    file.write_text("hi")
    result = run(str(file))
    assert result.returncode == 2 and "is not a folder" in result.stderr


def test_defaults_point_at_the_bundled_samples() -> None:
    args = build_parser().parse_args([])
    assert args.path is None and args.max_size == 100 and args.max_memory_mb is None
    assert (SAMPLE_LIBRARY / "components/reporting/generate-structured-report.md").is_file()
    assert len(list(SAMPLE_LIBRARY.rglob("*.*"))) >= 20
