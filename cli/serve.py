"""``promptcache serve``: the app in a browser on this machine, through textual-serve.

Each browser tab gets its own app process. textual-serve (1.1) stops a process only by
sending it a ``quit`` message over its stdin, waiting for its output to end and then
forgetting it; it never signals or reaps it. A headless screenshot (or a browser killed
early) sends two resizes and closes the page while the app is still starting, so the app
reads resize, resize, quit in one go: it then never finishes exiting (its screen bounces
between the two sizes for ever, seen with TEXTUAL_LOG), ignores SIGTERM (Textual's web
driver turns it into the same exit request), and kept a core busy for as long as the
server ran. Here every session ends with its process: ``quit`` first, then SIGTERM, then
SIGKILL, each after a short grace period, and the process is always reaped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import re
import shlex
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .args import whole_number
from .output import one_line

EXIT_GRACE_S = 2.0
"""How long an app process gets to exit after ``quit``, and again after SIGTERM."""

log = logging.getLogger("textual-serve")

# textual-serve's page asks an external font host for Roboto Mono; the same font ships in
# its static folder, so the page points there instead and loads nothing from outside.
_EXTERNAL_FONT = re.compile(r"<link[^>]*https://fonts\.googleapis\.com/[^>]*>")
_LOCAL_FONT = (
    "<style>@font-face { font-family: 'Roboto Mono'; font-style: normal; "
    "src: url('{static}fonts/RobotoMono-VariableFont_wght.ttf') format('truetype'); }"
    "@font-face { font-family: 'Roboto Mono'; font-style: italic; "
    "src: url('{static}fonts/RobotoMono-Italic-VariableFont_wght.ttf') format('truetype'); }"
    "</style>"
)


class ServeUsageError(Exception):
    """A bad option or app argument: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors become one ServeUsageError line."""

    def error(self, message: str) -> NoReturn:
        raise ServeUsageError(message)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1-65535."""
    value = whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The options of ``promptcache serve``."""
    parser = _Parser(
        prog="promptcache serve",
        description="Serve the app over HTTP on localhost with textual-serve; open the "
        "printed address in a browser (its scripts and font come from the installed "
        "package, so it works without internet access). Options after -- go to the app. "
        "Ctrl+C stops the server and every app it started.",
    )
    parser.add_argument("--host", default="localhost", help="address to bind (localhost)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (8000)")
    parser.add_argument("app_args", nargs=argparse.REMAINDER, help="PATH and app options")
    return parser


def _check_app_args(app_args: list[str]) -> None:
    """Refuse app arguments the app itself would refuse, before any browser connects."""
    from .app_options import build_parser as app_parser

    demo = bool(app_args) and app_args[0] == "demo"
    rest = app_args[1:] if demo else app_args
    parser = app_parser()
    parser.error = _Parser.error.__get__(parser)  # type: ignore[method-assign]
    args = parser.parse_args(rest)
    if args.path is not None:
        if not args.path.exists():
            raise ServeUsageError(f"component folder {str(args.path)!r} does not exist")
        if not args.path.is_dir():
            raise ServeUsageError(f"{str(args.path)!r} is not a folder")


def _port_free(host: str, port: int) -> None:
    """Raise ServeUsageError when ``host:port`` cannot be bound (in use, or not allowed)."""
    for family, kind, proto, _name, address in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise ServeUsageError(_bind_error(host, port, exc)) from None


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use; choose another with --port"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; choose one above 1023 with --port"
    return f"cannot listen on {host}:{port} ({exc.strerror or exc})"


async def _discard(stream: asyncio.StreamReader) -> None:
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


async def end_process(process: asyncio.subprocess.Process, grace_s: float = EXIT_GRACE_S) -> None:
    """Wait ``grace_s`` for ``process`` to exit, then SIGTERM, then SIGKILL; always reap it."""
    # Nobody reads the app's output once its session is over: discard it, so that a write
    # blocked on a full pipe cannot keep the process from exiting.
    drains = [
        asyncio.ensure_future(_discard(stream))
        for stream in (process.stdout, process.stderr)
        if stream is not None
    ]
    try:
        for send in (None, signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                return
            if send is not None:
                log.warning("app process %d still running; sending %s", process.pid, send.name)
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(send)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), grace_s)
    finally:
        for drain in drains:
            drain.cancel()


def make_server(command: str, host: str, port: int) -> Any:
    """A textual-serve Server whose app processes end with their browser sessions."""
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class Session(AppService):
        """One browser tab's app process; ``stop`` ends the process, whatever its state."""

        async def stop(self) -> None:
            try:
                await asyncio.wait_for(super().stop(), EXIT_GRACE_S)
            except (TimeoutError, ConnectionError, RuntimeError):
                pass
            finally:
                if self._process is not None:
                    await end_process(self._process)

    class PromptcacheServer(Server):
        """textual-serve with sessions that clean up and a page that loads nothing external."""

        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title="promptcache")
            self.sessions: dict[Session, web.WebSocketResponse] = {}
            self.endings: dict[Session, asyncio.Task[None]] = {}

        async def on_startup(self, app: web.Application) -> None:
            self.console.print(
                f"promptcache: serving the app on {self.public_url} (each browser tab runs "
                "its own app; Ctrl+C stops them all)",
                highlight=False,
            )

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            response = await super().handle_index(request)
            if isinstance(response, web.Response) and response.text is not None:
                static = f"{self.public_url}/static/"
                local = _LOCAL_FONT.replace("{static}", static)
                response.text = _EXTERNAL_FONT.sub(lambda _match: local, response.text)
            return response

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            websocket = web.WebSocketResponse(heartbeat=15)
            await websocket.prepare(request)
            width = _query_int(request, "width", 80)
            height = _query_int(request, "height", 24)
            session = Session(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=lambda: _close(websocket),
                download_manager=self.download_manager,
                debug=self.debug,
            )
            self.sessions[session] = websocket
            try:
                await session.start(width, height)
                await self._process_messages(websocket, session)
            except (ConnectionError, RuntimeError, ValueError):
                pass  # the browser went away, or sent something unreadable
            finally:
                # Its own task, so that a cancelled handler cannot cut the cleanup short.
                self._end(session)
                with contextlib.suppress(Exception):
                    await websocket.close()
            return websocket

        def _end(self, session: Session) -> asyncio.Task[None]:
            """End ``session`` (once, however many times it is asked)."""
            ending = self.endings.get(session)
            if ending is None:
                ending = asyncio.ensure_future(self._end_session(session))
                self.endings[session] = ending
                ending.add_done_callback(lambda _task: self.endings.pop(session, None))
            return ending

        async def _end_session(self, session: Session) -> None:
            try:
                await session.stop()
            finally:
                # Also when the server shuts down with the tab still open: a websocket left
                # open would hold the shutdown for aiohttp's whole grace period.
                websocket = self.sessions.pop(session, None)
                if websocket is not None:
                    with contextlib.suppress(Exception):
                        await websocket.close()

        async def on_shutdown(self, app: web.Application) -> None:
            for session in list(self.sessions):
                self._end(session)
            if self.endings:
                await asyncio.gather(*self.endings.values(), return_exceptions=True)

    return PromptcacheServer()


async def _close(websocket: Any) -> None:
    await websocket.close()


def _query_int(request: Any, name: str, default: int) -> int:
    try:
        return max(1, int(request.query.get(name, default)))
    except ValueError:
        return default


def serve(argv: Sequence[str]) -> int:
    """``promptcache serve [PATH]``: the app in a browser on this machine."""
    try:
        args = build_parser().parse_args(list(argv))
        if args.host not in ("localhost", "127.0.0.1", "::1"):
            raise ServeUsageError(
                "serve binds to this machine only (localhost); use ssh -L to reach it"
            )
        app_args = [a for a in args.app_args if a != "--"]
        _check_app_args(app_args)
        _port_free(args.host, args.port)
    except ServeUsageError as exc:
        print(f"promptcache serve: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    # exec: the app replaces the shell textual-serve starts it with, so the process that
    # gets the signals is the app itself.
    command = "exec " + shlex.join([sys.executable, "-m", "promptcache.cli", *app_args])
    server = make_server(command, args.host, args.port)
    try:
        server.serve()
    except OSError as exc:  # lost a race for the port since the check
        message = _bind_error(args.host, args.port, exc)
        print(f"promptcache serve: error: {message}", file=sys.stderr)
        return 2
    return 0
