"""``promptcache serve`` refuses bad input in one line, before it serves anything."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process


def test_a_port_in_use_is_one_line_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_process("serve", "--port", str(port))
    run = Run(done.returncode, done.stdout, done.stderr)
    assert_one_line_error(run, "serve", f"port {port}", "already in use", "--port")


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_refused(cli: Callable[..., Run], port: str) -> None:
    assert_one_line_error(cli("serve", "--port", port), "serve", "--port")


def test_a_missing_folder_is_refused(cli: Callable[..., Run], tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    assert_one_line_error(cli("serve", str(missing)), "serve", "does not exist", str(missing))


def test_a_file_instead_of_a_folder_is_refused(cli: Callable[..., Run], tmp_path: Path) -> None:
    file = tmp_path / "notes.md"
    file.write_text("x", encoding="utf-8")
    assert_one_line_error(cli("serve", "--", str(file)), "serve", "is not a folder")


def test_a_bad_app_option_is_refused(cli: Callable[..., Run]) -> None:
    assert_one_line_error(cli("serve", "--", "--max-size", "0"), "serve", "--max-size")


def test_other_hosts_are_refused(cli: Callable[..., Run]) -> None:
    assert_one_line_error(cli("serve", "--host", "0.0.0.0"), "serve", "localhost")
