"""Finding this user's servers on unix:DEFAULT sockets (what ``promptcache attach`` uses)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from promptcache import ComponentCache, ComponentError, local_servers, serve_stats
from promptcache.addresses import Address, default_socket_dir


@pytest.fixture
def runtime_dir(sock_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_RUNTIME_DIR pointed at a private temporary folder; returns the socket folder."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(sock_dir))
    return sock_dir / "promptcache"


def test_no_folder_means_no_servers(runtime_dir: Path) -> None:
    assert local_servers() == []


def test_finds_a_server_started_on_unix_default(runtime_dir: Path) -> None:
    with serve_stats(ComponentCache(), "unix:DEFAULT") as server:
        assert default_socket_dir() == runtime_dir
        assert local_servers() == [Address("unix", path=f"{runtime_dir}/{os.getpid()}.sock")]
        assert str(local_servers()[0]) == server.address
    assert local_servers() == []  # closed: its socket is gone


def test_skips_stale_sockets_dead_processes_and_other_files(runtime_dir: Path) -> None:
    runtime_dir.mkdir(mode=0o700)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    for name in (f"{dead.stdout.strip()}.sock", f"{os.getpid()}.sock"):
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(str(runtime_dir / name))  # bound, never listening: refuses connections
        stale.close()
    (runtime_dir / "notes.txt").write_text("x")
    (runtime_dir / "abc.sock").write_text("x")
    assert local_servers() == []


def test_two_servers_are_both_listed(runtime_dir: Path, sock_dir: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from core import ComponentCache, serve_stats\n"
         "s = serve_stats(ComponentCache(), 'unix:DEFAULT'); print(s.address, flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    try:
        assert child.stdout is not None
        theirs = child.stdout.readline().strip()
        with serve_stats(ComponentCache(), "unix:DEFAULT") as ours:
            assert sorted(str(a) for a in local_servers()) == sorted([theirs, ours.address])
    finally:
        child.communicate("", timeout=10)


def test_a_folder_others_can_write_is_refused(runtime_dir: Path) -> None:
    runtime_dir.mkdir(mode=0o700)
    os.chmod(runtime_dir, 0o777)
    with pytest.raises(ComponentError, match="writable by group or others"):
        local_servers()
