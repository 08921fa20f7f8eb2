"""``promptcache stats`` output stays short: refusals in one line, a default workload."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import Run, run_process

Cli = Callable[..., Run]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Eight components of about 2 KiB each, written an hour ago."""
    lib = tmp_path / "lib"
    lib.mkdir()
    old = time.time() - 3600
    for i in range(8):
        path = lib / f"c{i}.md"
        path.write_text(f"Component {i} for {{project_name}}.\n" * 60, encoding="utf-8")
        os.utime(path, (old, old))
    return lib


def test_refusals_are_one_line_with_a_count(folder: Path) -> None:
    """Every load refused as too large once printed its own stderr line."""
    done = run_process(
        "stats", folder, "--workload", "zipf", "--requests", "3000", "--max-memory-mb", "0.001"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines[:5]
    assert lines[0].startswith("promptcache stats: warning: 3,000 loads not cached, each too")
    assert "more than the whole cache budget" in lines[0] and "--max-memory-mb" in lines[0]
    assert "3,000 refused" in done.stdout


def test_no_refusal_no_line(cli: Cli, folder: Path) -> None:
    run = cli("stats", folder, "--workload", "zipf", "--requests", "500")
    assert run.code == 0 and run.err == ""


def test_without_workload_or_trace_the_zipf_workload_runs(cli: Cli, folder: Path) -> None:
    run = cli("stats", folder, "--requests", "400", "--json")
    assert run.code == 0 and run.err == ""
    data = json.loads(run.out)
    assert data["source"]["workload"] == "zipf" and data["requests"] == 400
    text = cli("stats", folder, "--requests", "400")
    assert text.out.startswith("400 requests from the zipf workload")
