"""Addresses, socket and folder permissions, localhost-only TCP, tokens, lifecycle."""

from __future__ import annotations

import logging
import os
import socket
import stat
from pathlib import Path

import pytest
from server_testlib import TOKEN, Client, ServerFactory

from promptcache import ComponentCache, ComponentError, StatsServer, parse_address, serve_stats
from promptcache.addresses import Address, default_socket_path

# ----------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("unix:/run/x.sock", Address("unix", path="/run/x.sock")),
        ("tcp:127.0.0.1:8765", Address("tcp", host="127.0.0.1", port=8765)),
        ("tcp:localhost:0", Address("tcp", host="localhost", port=0)),
        ("tcp:[::1]:9", Address("tcp", host="::1", port=9)),
        ("tcp:0.0.0.0:65535", Address("tcp", host="0.0.0.0", port=65535)),
    ],
)
def test_parse_address(text: str, expected: Address) -> None:
    assert parse_address(text) == expected
    assert str(parse_address(text)) == text


def test_parse_default_and_relative_unix() -> None:
    assert parse_address("unix:DEFAULT").path == str(default_socket_path())
    assert parse_address("unix:rel.sock").path == os.path.abspath("rel.sock")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "unix:",
        "tcp:",
        "tcp:127.0.0.1",
        "tcp:127.0.0.1:",
        "tcp::8765",
        "tcp:127.0.0.1:65536",
        "tcp:127.0.0.1:-1",
        "tcp:127.0.0.1:http",
        "tcp:::1:8765",
        "tcp:[nothost]:1",
        "http://localhost:8765",
        "udp:127.0.0.1:1",
        "unix:/a\0b",
        "/tmp/x.sock",
    ],
)
def test_bad_addresses_are_one_line_errors(text: str) -> None:
    with pytest.raises(ComponentError) as caught:
        parse_address(text)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("bad address")


# ----------------------------------------------------------------- unix sockets


def test_socket_is_0600_in_a_created_0700_folder(
    make_server: ServerFactory, sock_dir: Path
) -> None:
    path = sock_dir / "new" / "app.sock"
    server = make_server(f"unix:{path}")
    assert server.address == f"unix:{path}"
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    server.close()
    assert not path.exists()
    server.close()  # idempotent


def test_default_socket_under_xdg_runtime_dir(
    sock_dir: Path, monkeypatch: pytest.MonkeyPatch, cache: ComponentCache
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(sock_dir))
    with serve_stats(cache) as server:
        path = sock_dir / "promptcache" / f"{os.getpid()}.sock"
        assert server.address == f"unix:{path}"
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert Client(server.address).hello()["pid"] == os.getpid()
    assert not path.exists()


def test_default_socket_without_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    expected = Path("/tmp") / f"promptcache-{os.getuid()}" / f"{os.getpid()}.sock"
    assert default_socket_path() == expected


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o720])
def test_group_or_other_writable_folder_is_refused(
    sock_dir: Path, cache: ComponentCache, mode: int
) -> None:
    shared = sock_dir / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(ComponentError, match="writable by group or others"):
        serve_stats(cache, f"unix:{shared}/s.sock")
    assert not (shared / "s.sock").exists()


def test_default_folder_with_bad_mode_is_refused(
    sock_dir: Path, monkeypatch: pytest.MonkeyPatch, cache: ComponentCache
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(sock_dir))
    (sock_dir / "promptcache").mkdir(mode=0o700)
    (sock_dir / "promptcache").chmod(0o775)
    with pytest.raises(ComponentError, match="promptcache"):
        serve_stats(cache)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a folder away")
def test_folder_owned_by_someone_else_is_refused(sock_dir: Path, cache: ComponentCache) -> None:
    theirs = sock_dir / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, -1)
    with pytest.raises(ComponentError, match="owned by uid 65534"):
        serve_stats(cache, f"unix:{theirs}/s.sock")


def test_symlinked_folder_is_refused(sock_dir: Path, cache: ComponentCache) -> None:
    real = sock_dir / "real"
    real.mkdir(mode=0o700)
    (sock_dir / "link").symlink_to(real)
    with pytest.raises(ComponentError, match="symbolic"):
        serve_stats(cache, f"unix:{sock_dir}/link/s.sock")


@pytest.mark.parametrize("depth", [1, 3])
def test_a_parent_folder_others_can_write_is_refused(
    sock_dir: Path, cache: ComponentCache, depth: int
) -> None:
    # issue 10 item 12: whoever can write a parent can rename the socket folder away
    open_parent = sock_dir / "open"
    private = open_parent.joinpath(*["p"] * depth)
    private.mkdir(parents=True, mode=0o700)
    open_parent.chmod(0o777)
    with pytest.raises(ComponentError, match="writable by group or others and not sticky") as e:
        serve_stats(cache, f"unix:{private}/s.sock")
    assert str(open_parent) in str(e.value)
    assert not (private / "s.sock").exists()


def test_a_sticky_parent_folder_is_accepted(make_server: ServerFactory, sock_dir: Path) -> None:
    sticky = sock_dir / "sticky"  # as /tmp is: others can write, but not rename ours
    (sticky / "mine").mkdir(parents=True, mode=0o700)
    sticky.chmod(0o1777)
    server = make_server(f"unix:{sticky}/mine/s.sock")
    assert Client(server.address).hello()["protocol"] == 1


def test_missing_parent_folder_is_an_error(sock_dir: Path, cache: ComponentCache) -> None:
    with pytest.raises(ComponentError, match="cannot create"):
        serve_stats(cache, f"unix:{sock_dir}/a/b/s.sock")


def test_stale_socket_is_replaced(make_server: ServerFactory, sock_dir: Path) -> None:
    path = sock_dir / "s.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens
    server = make_server(f"unix:{path}")
    assert Client(server.address).hello()["protocol"] == 1


def test_live_socket_is_not_replaced(make_server: ServerFactory, sock_dir: Path) -> None:
    first = make_server(f"unix:{sock_dir}/s.sock")
    with pytest.raises(ComponentError, match="another server"):
        make_server(f"unix:{sock_dir}/s.sock")
    assert Client(first.address).hello()["protocol"] == 1


def test_other_file_is_not_replaced(sock_dir: Path, cache: ComponentCache) -> None:
    (sock_dir / "s.sock").write_text("precious")
    with pytest.raises(ComponentError, match="not a socket"):
        serve_stats(cache, f"unix:{sock_dir}/s.sock")
    assert (sock_dir / "s.sock").read_text() == "precious"


def test_too_long_socket_path(sock_dir: Path, cache: ComponentCache) -> None:
    with pytest.raises(ComponentError, match="too long"):
        serve_stats(cache, f"unix:{sock_dir}/{'x' * 120}.sock")


def test_close_keeps_a_socket_that_replaced_ours(
    make_server: ServerFactory, sock_dir: Path
) -> None:
    path = sock_dir / "s.sock"
    server = make_server(f"unix:{path}")
    path.unlink()
    other = socket.socket(socket.AF_UNIX)
    other.bind(str(path))
    try:
        server.close()
        assert path.exists()
    finally:
        other.close()


def test_close_drops_clients(make_server: ServerFactory) -> None:
    server = make_server()
    c = Client(server.address)
    c.hello()
    server.close()
    c.wait_closed()
    assert not server.serving and server.clients == 0


def test_stats_server_directly_as_context_manager(sock_dir: Path, cache: ComponentCache) -> None:
    server = StatsServer(cache, f"unix:{sock_dir}/d.sock")
    assert not server.serving
    with server as running:
        assert running is server and server.serving
        assert Client(server.address).hello()["protocol"] == 1
    assert not (sock_dir / "d.sock").exists()
    with pytest.raises(ComponentError, match="closed"):
        server.start()


# ----------------------------------------------------------------- tcp


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]", "192.168.1.10", "example.com"])
def test_tcp_refuses_non_local_hosts(cache: ComponentCache, host: str) -> None:
    with pytest.raises(ComponentError) as caught:
        serve_stats(cache, f"tcp:{host}:0")
    message = str(caught.value)
    assert "exposes the cache to the network" in message and "allow_remote=True" in message
    assert "\n" not in message


def test_tcp_0000_with_allow_remote(make_server: ServerFactory) -> None:
    server = make_server("tcp:0.0.0.0:0", allow_remote=True, token=TOKEN)
    port = int(server.address.rpartition(":")[2])
    assert port > 0 and server.address == f"tcp:0.0.0.0:{port}"
    assert Client(f"tcp:127.0.0.1:{port}").hello(token=TOKEN)["protocol"] == 1


def test_tcp_port_zero_reports_the_real_port(make_server: ServerFactory) -> None:
    server = make_server("tcp:127.0.0.1:0", token=TOKEN)
    assert server.address.startswith("tcp:127.0.0.1:")
    assert int(server.address.rpartition(":")[2]) > 0


def test_tcp_ipv6_loopback(make_server: ServerFactory) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = make_server("tcp:[::1]:0", token=TOKEN)
    except ComponentError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    assert server.address.startswith("tcp:[::1]:")
    assert Client(server.address).hello(token=TOKEN)["protocol"] == 1


def test_generated_token_is_logged_once(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="promptcache.server"):
        server = make_server("tcp:127.0.0.1:0")
    token = server.token
    assert token is not None and len(token) >= 32
    assert sum(token in r.getMessage() for r in caplog.records) == 1
    assert Client(server.address).hello(token=token)["protocol"] == 1


def test_token_from_file(make_server: ServerFactory, tmp_path: Path) -> None:
    token_file = tmp_path / "token.txt"
    token_file.write_text("  from-the-file-0123  \nsecond line ignored\n")
    token_file.chmod(0o600)
    server = make_server("tcp:127.0.0.1:0", token_file=token_file)
    assert server.token == "from-the-file-0123"
    assert Client(server.address).hello(token="from-the-file-0123")["protocol"] == 1


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o644])
def test_a_token_file_others_can_read_or_write_is_refused(
    cache: ComponentCache, tmp_path: Path, mode: int
) -> None:
    # issue 10 item 12
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(mode)
    with pytest.raises(ComponentError, match="chmod 600") as caught:
        serve_stats(cache, "tcp:127.0.0.1:0", token_file=token_file)
    assert str(token_file) in str(caught.value) and f"{mode:o}" in str(caught.value)


def test_a_token_file_that_is_not_a_regular_file_is_refused(
    cache: ComponentCache, tmp_path: Path
) -> None:
    fifo = tmp_path / "token.fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(ComponentError, match="not a regular file"):  # and no hang
        serve_stats(cache, "tcp:127.0.0.1:0", token_file=fifo)


@pytest.mark.parametrize("token", ["x", "short-token", "fifteen-chars-x"])
def test_a_short_token_is_refused(cache: ComponentCache, tmp_path: Path, token: str) -> None:
    # issue 10 item 12: a one-character token is guessed at once
    with pytest.raises(ComponentError, match="at least 16"):
        serve_stats(cache, "tcp:127.0.0.1:0", token=token)
    token_file = tmp_path / "token.txt"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    with pytest.raises(ComponentError, match="at least 16") as caught:
        serve_stats(cache, "tcp:127.0.0.1:0", token_file=token_file)
    assert str(token_file) in str(caught.value)


@pytest.mark.parametrize("content", [None, "", "\n\n", "   \n"])
def test_missing_or_empty_token_file(
    cache: ComponentCache, tmp_path: Path, content: str | None
) -> None:
    token_file = tmp_path / "token.txt"
    if content is not None:
        token_file.write_text(content)
        token_file.chmod(0o600)
    with pytest.raises(ComponentError) as caught:
        serve_stats(cache, "tcp:127.0.0.1:0", token_file=token_file)
    assert str(token_file) in str(caught.value) and "\n" not in str(caught.value)


def test_token_and_token_file_together(cache: ComponentCache, tmp_path: Path) -> None:
    with pytest.raises(ComponentError, match="not both"):
        serve_stats(cache, "tcp:127.0.0.1:0", token="a", token_file=tmp_path / "t")


def test_port_in_use(make_server: ServerFactory, cache: ComponentCache) -> None:
    first = make_server("tcp:127.0.0.1:0", token=TOKEN)
    with pytest.raises(ComponentError, match="cannot listen"):
        serve_stats(cache, first.address, token=TOKEN)


def test_unix_server_has_no_token(make_server: ServerFactory) -> None:
    assert make_server(token="ignored").token is None
