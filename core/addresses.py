"""Where a stats server listens: addresses, the default socket folder, tokens.

Shared by the server (``promptcache.server``) and its client (``promptcache.client``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from .errors import ComponentError

log = logging.getLogger(__name__)

_LOCAL_NAMES: Final = frozenset({"localhost"})
MIN_TOKEN_CHARS: Final = 16
"""The shortest TCP token accepted (a generated one has 32 characters)."""
_TOKEN_FILE_BYTES: Final = 4096


@dataclass(frozen=True, slots=True)
class Address:
    """Where a stats server listens: a Unix socket path, or a TCP host and port."""

    kind: Literal["unix", "tcp"]
    path: str = ""
    host: str = ""
    port: int = 0

    def __str__(self) -> str:
        if self.kind == "unix":
            return f"unix:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp:{host}:{self.port}"


def default_socket_dir() -> Path:
    """``$XDG_RUNTIME_DIR/promptcache``, else ``/tmp/promptcache-<uid>``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime:
        return Path(runtime) / "promptcache"
    return Path("/tmp") / f"promptcache-{os.getuid()}"


def default_socket_path(pid: int | None = None) -> Path:
    """The socket ``unix:DEFAULT`` names for process ``pid`` (this one by default)."""
    return default_socket_dir() / f"{os.getpid() if pid is None else pid}.sock"


def local_servers(directory: str | os.PathLike[str] | None = None) -> list[Address]:
    """Live stats servers of this user that listen on ``unix:DEFAULT`` sockets.

    Looks in ``default_socket_dir()`` (or ``directory``) for ``PID.sock`` files of running
    processes that accept a connection. Raises ``ComponentError`` if the folder is not
    this user's alone, as ``serve_stats`` would.
    """
    folder = default_socket_dir() if directory is None else Path(directory)
    try:
        names = sorted(os.listdir(folder), key=lambda n: (len(n), n))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ComponentError(f"{folder}: cannot list the socket folder: {exc.strerror}") from None
    secure_socket_dir(str(folder))
    found = []
    for name in names:
        pid, _, suffix = name.partition(".")
        if suffix != "sock" or not (pid.isascii() and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            continue  # a stale socket; its server will replace it when it starts again
        except (PermissionError, OverflowError):
            pass
        path = str(folder / name)
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            continue
        finally:
            probe.close()
        found.append(Address("unix", path=path))
    return found


def parse_address(text: str) -> Address:
    """Parse ``unix:/path/to.sock``, ``unix:DEFAULT`` or ``tcp:HOST:PORT`` (``tcp:[::1]:PORT``).

    ``unix:DEFAULT`` becomes this process's default socket path; a relative path becomes
    absolute. Port 0 means any free port. Anything else raises ``ComponentError``.
    """
    usage = "use unix:/path/to.sock, unix:DEFAULT or tcp:HOST:PORT"
    if not isinstance(text, str):
        raise ComponentError(f"bad address {text!r}: {usage}")
    kind, _, rest = text.partition(":")
    if kind == "unix" and rest and "\0" not in rest:
        path = default_socket_path() if rest == "DEFAULT" else Path(os.path.abspath(rest))
        return Address("unix", path=str(path))
    if kind == "tcp" and rest:
        host, _, port = rest.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            try:
                ipaddress.IPv6Address(host)
            except ValueError:
                raise ComponentError(
                    f"bad address {text!r}: {host!r} is not an IPv6 address"
                ) from None
        elif ":" in host:
            raise ComponentError(f"bad address {text!r}: IPv6 hosts go in brackets, tcp:[::1]:N")
        if not host or any(c.isspace() or c in "/[]" for c in host):
            raise ComponentError(f"bad address {text!r}: {usage}")
        if not (port.isascii() and port.isdigit()) or int(port) > 65535:
            raise ComponentError(f"bad address {text!r}: the port must be a number from 0 to 65535")
        return Address("tcp", host=host, port=int(port))
    raise ComponentError(f"bad address {text!r}: {usage}")


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_socket_dir(directory: str) -> None:
    """Create ``directory`` with mode 0700, or check an existing one is ours and private;
    and check that no one else can replace it (see ``_check_parents``)."""
    try:
        os.mkdir(directory, 0o700)
        os.chmod(directory, 0o700)  # whatever the umask
    except FileExistsError:
        pass
    except OSError as exc:
        raise ComponentError(
            f"{directory}: cannot create the socket folder: {exc.strerror}"
        ) from None
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode):
        raise ComponentError(f"{directory}: not a folder (symbolic links are refused)")
    if st.st_uid != os.getuid():
        raise ComponentError(
            f"{directory}: owned by uid {st.st_uid}, not this user ({os.getuid()}); "
            "refusing to put the socket there"
        )
    if st.st_mode & 0o022:
        raise ComponentError(
            f"{directory}: writable by group or others (mode {stat.S_IMODE(st.st_mode):o}); "
            "refusing to put the socket there: chmod 700 it or choose another folder"
        )
    _check_parents(directory)


def _check_parents(directory: str) -> None:
    """Every folder above ``directory`` (as written and as resolved) must belong to this
    user or root, and be writable by no one else unless sticky (as /tmp is): otherwise
    someone else could rename the socket folder away and put their own in its place."""
    me = os.getuid()
    chains = {Path(os.path.abspath(directory)).parent, Path(os.path.realpath(directory)).parent}
    for start in chains:
        for folder in (start, *start.parents):
            try:
                st = os.stat(folder)
            except OSError as exc:
                raise ComponentError(f"{folder}: cannot check the folder: {exc.strerror}") from None
            if st.st_uid not in (0, me):
                raise ComponentError(
                    f"{folder}: owned by uid {st.st_uid}, not this user ({me}) or root; "
                    "refusing to put the socket below it"
                )
            if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
                raise ComponentError(
                    f"{folder}: writable by group or others and not sticky (mode "
                    f"{stat.S_IMODE(st.st_mode):o}); refusing to put the socket below it"
                )


def remove_stale_socket(path: str) -> None:
    """Remove a socket file nobody listens on; refuse other files and live sockets."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise ComponentError(f"{path}: exists and is not a socket; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        log.info("replacing stale socket %s", path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    except OSError as exc:
        raise ComponentError(f"unix:{path}: socket in use or unusable ({exc})") from None
    finally:
        probe.close()
    raise ComponentError(f"unix:{path}: another server is listening there")


def check_token(token: object) -> str:
    """``token`` if it can serve as a TCP token, else ``ComponentError`` saying why."""
    if not isinstance(token, str) or not token.strip():
        raise ComponentError("token must be a non-empty string")
    if len(token) < MIN_TOKEN_CHARS:
        raise ComponentError(
            f"the token has {len(token)} characters; use at least {MIN_TOKEN_CHARS} "
            "(or let the server generate one)"
        )
    return token


def read_token_file(token_file: str | os.PathLike[str]) -> str:
    """The token on the first line of ``token_file``.

    ``ComponentError`` naming the file if it cannot be read, is not a regular file, is
    not this user's, can be read or written by group or others, or holds no token of at
    least ``MIN_TOKEN_CHARS`` characters.
    """
    name = os.fspath(token_file)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise ComponentError(f"{name}: cannot read the token file: {exc.strerror}", name) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ComponentError(f"{name}: the token file is not a regular file", name)
        if st.st_uid != os.getuid():
            raise ComponentError(
                f"{name}: the token file belongs to uid {st.st_uid}, not this user", name
            )
        if st.st_mode & 0o066:
            raise ComponentError(
                f"{name}: group or others can read or write the token file (mode "
                f"{stat.S_IMODE(st.st_mode):o}); chmod 600 it",
                name,
            )
        data = os.read(fd, _TOKEN_FILE_BYTES)
    except OSError as exc:
        raise ComponentError(f"{name}: cannot read the token file: {exc.strerror}", name) from None
    finally:
        os.close(fd)
    try:
        token = data.split(b"\n", 1)[0].decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ComponentError(f"{name}: cannot read the token file: not UTF-8 text", name) from None
    if not token:
        raise ComponentError(f"{name}: the token file is empty (the token is its first line)", name)
    try:
        return check_token(token)
    except ComponentError as exc:
        raise ComponentError(f"{name}: {exc}", name) from None
