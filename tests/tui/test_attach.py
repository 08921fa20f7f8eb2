"""promptcache attach against the example application, run as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tui_testlib import Messages

from promptcache import ComponentCache, serve_stats
from promptcache.addresses import parse_address
from promptcache.cli.attach import find_default_server
from promptcache.client import RemoteClient
from promptcache.tui.attach_app import AttachApp
from promptcache.tui.widgets.hit_ratio import HitRatioPanel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prompt_server.py"


class ExampleApp:
    """The example prompt server in a subprocess; ``start`` waits for its first line."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self) -> ExampleApp:
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert first.startswith("serving stats on "), first + self.process.stderr.read()  # type: ignore[union-attr]
        self.lines.append(first.strip())
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


@pytest.fixture
def run_example() -> Iterator[Callable[..., ExampleApp]]:
    started: list[ExampleApp] = []

    def start(*args: str) -> ExampleApp:
        app = ExampleApp(*args).start()
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def socket_path(tmp_path: Path) -> str:
    private = tmp_path / "run"
    private.mkdir(mode=0o700)
    return f"unix:{private / 'app.sock'}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll until ``condition`` holds (a bound for slow machines, not a timing test)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def requests_shown(app: AttachApp) -> int:
    snapshot = app.query_one(HitRatioPanel).shown
    return 0 if snapshot is None else int(snapshot.total_requests)


class TestAttach:
    async def test_panels_show_the_application_traffic(
        self, run_example: Callable[..., ExampleApp], socket_path: str
    ) -> None:
        run_example("--address", socket_path, "--rate", "400")
        app = AttachApp(RemoteClient(parse_address(socket_path)), refresh_s=0.2)
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: requests_shown(app) > 0)
            first = requests_shown(app)
            await wait_for(lambda: requests_shown(app) > first)
            assert app.connection == "connected"
            status = str(app.query_one("#status-bar").render())
            assert "attached" in status and "read-only" in status
            assert app.query_one("#lru-table").window_data.total > 0  # type: ignore[attr-defined]

    async def test_space_freezes_the_display_and_e_exports_the_remote_state(
        self, run_example: Callable[..., ExampleApp], socket_path: str, tmp_path: Path
    ) -> None:
        run_example("--address", socket_path, "--rate", "400")
        app = AttachApp(
            RemoteClient(parse_address(socket_path)), refresh_s=0.1, export_dir=tmp_path
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: requests_shown(app) > 0)
            await pilot.press("space")
            held = requests_shown(app)
            await asyncio.sleep(0.6)  # several polls: the application keeps serving
            assert requests_shown(app) == held
            await pilot.press("space")
            await wait_for(lambda: requests_shown(app) > held)
            await pilot.press("e")
            await wait_for(lambda: any(tmp_path.glob("promptcache-attach-*.json")))
            exported = json.loads(next(tmp_path.glob("promptcache-attach-*.json")).read_text())
            assert exported["stats"]["total_requests"] > 0
            assert exported["source"] == socket_path
            assert exported["taken_at_iso"].endswith("Z") or "T" in exported["taken_at_iso"]

    async def test_control_clears_the_remote_cache_only_when_allowed(
        self, run_example: Callable[..., ExampleApp], socket_path: str
    ) -> None:
        run_example("--address", socket_path, "--rate", "50", "--allow-control")
        app = AttachApp(RemoteClient(parse_address(socket_path)), refresh_s=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: requests_shown(app) > 20)
            before = requests_shown(app)
            await pilot.press("c")
            await wait_for(lambda: 0 <= requests_shown(app) < before)

    async def test_read_only_application_refuses_control_with_a_message(
        self, run_example: Callable[..., ExampleApp], socket_path: str
    ) -> None:
        run_example("--address", socket_path, "--rate", "50")
        app = AttachApp(RemoteClient(parse_address(socket_path)), refresh_s=0.2)
        messages = Messages()
        async with app.run_test(size=(100, 30), message_hook=messages) as pilot:
            await wait_for(lambda: requests_shown(app) > 5)
            await pilot.press("c")
            await pilot.pause()
            assert any("allow_control" in text for text in messages.notifications())
            assert requests_shown(app) > 0

    async def test_reconnects_after_the_application_restarts(
        self, run_example: Callable[..., ExampleApp], socket_path: str
    ) -> None:
        example = run_example("--address", socket_path, "--rate", "200")
        app = AttachApp(RemoteClient(parse_address(socket_path)), refresh_s=0.2)
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: app.connection == "connected")
            example.stop()
            # The panels show a state after it arrives as a message: wait for the picture.
            await wait_for(lambda: "disconnected" in str(app.query_one("#status-bar").render()))
            assert app.connection == "disconnected"
            run_example("--address", socket_path, "--rate", "200")
            await wait_for(lambda: app.connection == "connected", seconds=15)

    async def test_wrong_token_is_refused_with_a_clear_message(
        self, run_example: Callable[..., ExampleApp], tmp_path: Path
    ) -> None:
        token_file = tmp_path / "token.txt"
        token_file.write_text("the-right-token-0123\n")
        token_file.chmod(0o600)  # the server refuses a token file others can read
        address = f"tcp:127.0.0.1:{free_port()}"
        run_example("--address", address, "--token-file", str(token_file), "--rate", "50")
        app = AttachApp(RemoteClient(parse_address(address), "a-wrong-token"), refresh_s=0.2)
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: app.connection == "refused")
            assert "token" in app.connection_detail.lower()


DEFAULT_SERVER = """\
import sys
from promptcache import ComponentCache, serve_stats
print(serve_stats(ComponentCache(), "unix:DEFAULT").address, flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def start_default_server(env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """A process serving an empty cache on unix:DEFAULT, and its address; ends when its
    stdin is closed (``communicate("")``)."""
    app = subprocess.Popen(
        [sys.executable, "-c", DEFAULT_SERVER],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert app.stdout is not None
    return app, app.stdout.readline().strip()


class TestAttachCommandLine:
    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "promptcache.cli", *args],
            capture_output=True, text=True, timeout=60, env={**os.environ, **env},
        )  # fmt: skip

    def test_without_an_address_it_says_no_application_is_serving(self, tmp_path: Path) -> None:
        result = self.run("attach", XDG_RUNTIME_DIR=str(tmp_path))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"no application is serving its cache in {tmp_path}/promptcache" in result.stderr

    def test_without_an_address_it_finds_the_one_application(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        with serve_stats(ComponentCache(), "unix:DEFAULT") as server:
            assert str(find_default_server()) == server.address

    def test_found_on_unix_default_it_follows_a_restarted_application(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        first, first_address = start_default_server()
        client = RemoteClient(find_default_server(), rediscover=find_default_server)
        try:
            assert client.connect()["pid"] == first.pid
            first.communicate("", timeout=10)
            with pytest.raises(OSError):  # gone, and nothing else to find
                client.connect()
            second, second_address = start_default_server()
            try:
                assert second_address != first_address
                assert client.connect()["pid"] == second.pid
                assert str(client.address) == second_address
            finally:
                client.close()
                second.communicate("", timeout=10)
        finally:
            if first.poll() is None:
                first.kill()

    def test_without_an_address_it_lists_several_applications(self, tmp_path: Path) -> None:
        env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
        started = [start_default_server(env) for _ in range(2)]
        apps, addresses = [app for app, _ in started], [address for _, address in started]
        try:
            result = self.run("attach", XDG_RUNTIME_DIR=str(tmp_path))
        finally:
            for app in apps:
                app.communicate("", timeout=10)
        assert result.returncode == 2
        assert "2 applications are serving" in result.stderr
        assert all(address in result.stderr for address in addresses)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("attach", "nowhere"), "bad address 'nowhere'"),
            (("attach", "tcp:127.0.0.1:9"), "needs the server's token"),
            (("attach", "tcp:127.0.0.1:9", "--token-file", "/no/such/file"), "No such file"),
            (("serve", "--host", "0.0.0.0"), "localhost"),
        ],
    )
    def test_bad_input_is_one_line_and_exit_2(self, args: tuple[str, ...], message: str) -> None:
        result = self.run(*args)
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr


class TestServe:
    def test_serves_the_app_page_with_local_assets(self) -> None:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "promptcache.cli", "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1"},
        )
        try:
            page = ""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://localhost:{port}/", timeout=2) as reply:
                        page = reply.read().decode()
                    break
                except OSError:
                    time.sleep(0.2)
            assert "textual.js" in page
            script = page.split('src="', 1)[1].split('"', 1)[0]
            url = script if script.startswith("http") else f"http://localhost:{port}{script}"
            assert url.startswith(f"http://localhost:{port}/")  # served by us, not a CDN
            with urllib.request.urlopen(url, timeout=5) as reply:
                assert reply.status == 200 and len(reply.read()) > 1000
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
