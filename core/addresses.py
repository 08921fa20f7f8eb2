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
    """Create ``directory`` with mode 0700, or check an existing one is ours and private."""
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


def read_token_file(token_file: str | os.PathLike[str]) -> str:
    """The token on the first line of ``token_file``; ``ComponentError`` if unreadable or empty."""
    name = os.fspath(token_file)
    try:
        with open(name, encoding="utf-8") as f:
            token = f.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ComponentError(f"{name}: cannot read the token file: {reason}", name) from None
    if not token:
        raise ComponentError(f"{name}: the token file is empty (the token is its first line)", name)
    return token
