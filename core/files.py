"""Small files the library keeps beside components: read them safely, replace them atomically.

``atomic_write`` is the one way promptcache replaces a file (hot usage, variable sets,
exports): a temporary file in the same folder, flushed and fsynced, renamed over the
target, then the folder fsynced so the rename survives a crash. Temporary files left by a
killed writer are removed by the next write. ``read_small_file`` reads a file a user named
(a trace, a hot-usage file) without blocking on a FIFO or reading a device forever.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from .errors import ComponentError
from .paths import file_kind, read_limited

STALE_TEMP_SECONDS = 3600.0
"""A temporary file of a writer that cannot be identified is removed after this long."""

_FILE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files of ``path`` whose writer died (kill -9) before renaming."""
    pattern = re.compile(re.escape(_temp_prefix(path)) + r"(?:(\d+)\.)?[^.]+\.tmp$")
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        pid = match.group(1)
        if pid is not None and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # its writer is alive: leave its file alone
            except ProcessLookupError:
                pass
            except (PermissionError, OverflowError):
                continue
        elif pid is not None:
            continue  # ours: another thread of this process is writing it
        else:
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime < STALE_TEMP_SECONDS:
                    continue
            except OSError:
                continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (str: UTF-8) atomically and durably.

    On any failure (a full disk, a folder in the way) the old file is untouched, no
    partial or empty file is left, and the ``OSError`` is raised.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(path.parent)


def read_small_file(path: Path, max_bytes: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes``.

    Never blocks (a FIFO is refused, not waited on) and never reads a device. Raises
    ``FileNotFoundError`` when there is no such file, and ``ComponentError`` naming
    ``path`` and ``what`` it should be otherwise.
    """
    try:
        fd = os.open(path, _FILE_FLAGS)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ComponentError(f"{path}: is a folder, not {what}", str(path)) from None
    except OSError as exc:
        raise ComponentError(f"{path}: cannot read ({exc.strerror})", str(path)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ComponentError(f"{path}: is a folder, not {what}", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise ComponentError(f"{path}: is {file_kind(st)}, not {what}", str(path))
        if st.st_size > max_bytes:
            raise ComponentError(
                f"{path}: {st.st_size:,} bytes is over the {max_bytes:,}-byte limit for {what}",
                str(path),
            )
        try:
            return read_limited(fd, max_bytes, str(path))
        except ComponentError as exc:
            message = f"{path}: over the {max_bytes:,}-byte limit for {what}"
            raise ComponentError(message, str(path)) from exc
    finally:
        os.close(fd)


def refuse_untrusted(path: Path, st: os.stat_result, what: str) -> None:
    """Refuse a file others could have written: group/world-writable or not the user's."""
    if st.st_uid != os.geteuid():
        raise ComponentError(
            f"{path}: {what} is owned by another user (uid {st.st_uid}); refusing to use it",
            str(path),
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ComponentError(
            f"{path}: {what} is writable by others (mode {stat.S_IMODE(st.st_mode):o}); "
            "refusing to use it (chmod go-w)",
            str(path),
        )
