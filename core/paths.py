"""Confine component paths to the component folder, and open them there without races.

Everything is opened relative to a descriptor held on the base folder, one path component
at a time, never following a symlink blindly: a symlink is read (``readlink``) and its
target walked the same way, so a name swapped for a symlink, a folder or a FIFO between
a check and an open cannot lead outside the folder or block. ``open_component`` is the
one entry point every reader (the loader, ``check``, template includes) uses.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import (
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentOutsideBaseError,
    ComponentTooLargeError,
)

DEFAULT_MAX_BYTES = 1 << 20
"""The default size limit of ``open_component`` (1 MiB, the loader's default)."""

MAX_SYMLINKS = 40
"""Symlinks followed while resolving one path (the kernel's own limit)."""

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
_FILE_FLAGS = (
    os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | _CLOEXEC
)


def check_component_path(base: Path | str, component_path: str) -> None:
    """Refuse what no walk needs to see: not a string, empty, NUL, absolute, not encodable."""
    if not isinstance(component_path, str):
        raise ComponentError(
            f"component path must be a string, not {type(component_path).__name__}",
            repr(component_path),
        )
    if not component_path.strip():
        raise ComponentError("component path is empty", component_path)
    if "\x00" in component_path:
        raise ComponentOutsideBaseError(
            f"{component_path!r}: path contains a NUL byte", component_path
        )
    try:
        os.fsencode(component_path)
    except UnicodeEncodeError:
        raise ComponentError(
            f"{component_path!r}: path is not valid text (lone surrogate)", component_path
        ) from None
    if component_path.startswith("/") or os.path.isabs(component_path):
        raise ComponentOutsideBaseError(
            f"{component_path}: absolute paths are not allowed; give a path inside {base}",
            component_path,
        )


def resolve_inside(base: Path, component_path: str) -> Path:
    """Resolve ``component_path`` under the already resolved ``base``, or raise.

    Refuses NUL bytes, absolute paths, and anything (``..``, symlinks) that resolves
    outside ``base``. Nothing is opened: use it to name a path, never to read one
    (a name can be swapped after this check; ``open_component`` cannot be fooled).
    """
    check_component_path(base, component_path)
    try:
        resolved = (base / component_path).resolve()
    except (RuntimeError, OSError) as exc:  # symlink loops: RuntimeError up to 3.12
        raise ComponentError(
            f"{component_path}: cannot resolve path ({exc})", component_path
        ) from None
    if not resolved.is_relative_to(base):
        raise ComponentOutsideBaseError(
            f"{component_path}: resolves outside the component folder {base}", component_path
        )
    return resolved


def _os_error(component_path: str, exc: OSError, base: str = "") -> ComponentError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        where = f" in {base}" if base.startswith("/") and "\x00" not in base else ""
        return ComponentNotFoundError(f"{component_path}: no such component{where}", component_path)
    if exc.errno == errno.ELOOP:
        return ComponentError(
            f"{component_path}: cannot resolve path (too many levels of symbolic links)",
            component_path,
        )
    why = exc.strerror or exc.__class__.__name__
    return ComponentError(f"{component_path}: cannot read ({why})", component_path)


def _outside(component_path: str, base: str) -> ComponentOutsideBaseError:
    return ComponentOutsideBaseError(
        f"{component_path}: resolves outside the component folder {base}", component_path
    )


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def open_component_at(
    base: int | str | os.PathLike[str], component_path: str, *, base_name: str | None = None
) -> tuple[int, os.stat_result]:
    """``open_component_fd``, with the ``fstat`` of what was opened.

    ``base_name``: the resolved path of the folder behind a descriptor ``base``, when the
    caller knows it (saves a ``readlink`` of ``/proc/self/fd``).
    """
    if isinstance(base, int):
        base_fd = base
        if base_name is None:
            try:
                base_name = os.readlink(f"/proc/self/fd/{base}")
            except OSError:  # no /proc: no way back in through "..", no absolute symlinks
                base_name = "/\x00"
        owns_base = False
    else:
        base_name = os.path.realpath(base)
        try:
            base_fd = os.open(base_name, _DIR_FLAGS)
        except OSError as exc:
            raise ComponentNotFoundError(
                f"{base}: component folder cannot be opened ({exc.strerror})", str(base)
            ) from None
        owns_base = True
    check_component_path(base_name, component_path)
    if component_path.endswith("/"):
        raise ComponentNotAFileError(
            f"{component_path}: names a folder, not a component file", component_path
        )
    try:
        return _walk_open(base_fd, base_name, component_path)
    finally:
        if owns_base:
            os.close(base_fd)


def open_component_fd(base: int | str | os.PathLike[str], component_path: str) -> int:
    """Open ``component_path`` inside ``base`` and return a descriptor on a regular file.

    ``base`` is a folder path (resolved here) or a descriptor on the folder (kept open; the
    caller owns it). The walk opens each folder with ``O_DIRECTORY | O_NOFOLLOW`` relative
    to the one before, reads symlinks with ``readlink`` and walks their targets the same
    way (absolute targets only when they point inside the folder), and opens the file
    itself with ``O_NOFOLLOW | O_NONBLOCK``, so no swap leads outside and a FIFO never
    blocks. What was opened is checked with ``fstat``: a regular file, or an error.

    Raises ``ComponentOutsideBaseError``, ``ComponentNotFoundError``,
    ``ComponentNotAFileError`` or ``ComponentError``; the caller closes the descriptor.
    """
    return open_component_at(base, component_path)[0]


def _walk_open(base_fd: int, base_name: str, component_path: str) -> tuple[int, os.stat_result]:
    base_parts = _parts(base_name)
    # Folders opened so far below base (base itself is not in the list). ``above`` counts
    # ".." steps taken out of base: names then have to lead straight back into it.
    stack: list[int] = []
    above = 0
    pending = list(reversed(_parts(component_path)))
    if not pending:
        raise ComponentNotAFileError(f"{component_path}: is a directory", component_path)
    links = 0
    try:
        while pending:
            name = pending.pop()
            last = not pending
            if name == "..":
                if stack:
                    os.close(stack.pop())
                elif above < len(base_parts):
                    above += 1
                else:
                    raise _outside(component_path, base_name)
                if last:
                    raise ComponentNotAFileError(
                        f"{component_path}: is a directory", component_path
                    )
                continue
            if above:
                # Out of base through "..": only the way back in stays inside.
                if name != base_parts[len(base_parts) - above]:
                    raise _outside(component_path, base_name)
                above -= 1
                if last:
                    raise ComponentNotAFileError(
                        f"{component_path}: is a directory", component_path
                    )
                continue
            here = stack[-1] if stack else base_fd
            if not last:
                try:  # the common case, a real folder: one call
                    stack.append(os.open(name, _DIR_FLAGS, dir_fd=here))
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                        raise _os_error(component_path, exc, base_name) from None
            try:
                st = os.stat(name, dir_fd=here, follow_symlinks=False)
            except OSError as exc:
                raise _os_error(component_path, exc, base_name) from None
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_SYMLINKS:
                    raise _os_error(component_path, OSError(errno.ELOOP, "loop"))
                try:
                    target = os.readlink(name, dir_fd=here)
                except OSError as exc:
                    raise _os_error(component_path, exc, base_name) from None
                if target.startswith("/"):
                    # Absolute: acceptable only when it names a place inside base.
                    target_parts = _parts(os.path.normpath(target))
                    if target_parts[: len(base_parts)] != base_parts:
                        raise _outside(component_path, base_name)
                    while stack:
                        os.close(stack.pop())
                    target_parts = target_parts[len(base_parts) :]
                else:
                    target_parts = _parts(target)
                if last and target.endswith("/"):
                    target_parts.append(".")  # ends in a folder: refused below
                pending.extend(reversed(target_parts))
                if not pending:
                    raise ComponentNotAFileError(
                        f"{component_path}: is a directory", component_path
                    )
                continue
            if not last:
                if not stat.S_ISDIR(st.st_mode):
                    raise _os_error(component_path, OSError(errno.ENOTDIR, "no"), base_name)
                try:
                    stack.append(os.open(name, _DIR_FLAGS, dir_fd=here))
                except OSError as exc:
                    raise _os_error(component_path, exc, base_name) from None
                continue
            _require_regular(component_path, st)
            try:
                fd = os.open(name, _FILE_FLAGS, dir_fd=here)
            except OSError as exc:  # ELOOP: swapped for a symlink since the stat
                raise _os_error(component_path, exc, base_name) from None
            try:
                opened = os.fstat(fd)
                _require_regular(component_path, opened)
            except BaseException:
                os.close(fd)
                raise
            return fd, opened
        raise ComponentNotAFileError(f"{component_path}: is a directory", component_path)
    finally:
        for fd in stack:
            os.close(fd)


def _require_regular(component_path: str, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a directory" if stat.S_ISDIR(st.st_mode) else f"not a regular file ({file_kind(st)})"
        )
        raise ComponentNotAFileError(f"{component_path}: is {kind}", component_path)


def file_kind(st: os.stat_result) -> str:
    """A short name for the kind of file ``st`` describes (``FIFO``, ``device``...)."""
    mode = st.st_mode
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def read_limited(fd: int, max_bytes: int, name: str) -> bytes:
    """The whole file behind ``fd``; ``ComponentTooLargeError`` over ``max_bytes``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = os.read(fd, max_bytes + 1 - size)
        except BlockingIOError:
            raise ComponentError(f"{name}: cannot read (would block)", name) from None
        except OSError as exc:
            raise ComponentError(f"{name}: cannot read ({exc.strerror})", name) from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise ComponentTooLargeError(
                f"{name}: over the {max_bytes:,}-byte limit for one component", name
            )
    return b"".join(chunks)


def open_component(
    base: int | str | os.PathLike[str],
    component_path: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    base_name: str | None = None,
) -> tuple[bytes, os.stat_result]:
    """Read ``component_path`` inside ``base``: its bytes and the ``fstat`` of what was read.

    The race-free open of ``open_component_fd`` (no symlink leads outside, no FIFO or
    device, no blocking), then one read from that descriptor, refused over ``max_bytes``.
    Use it for every file a template reads (components, includes, partials).
    """
    fd, st = open_component_at(base, component_path, base_name=base_name)
    try:
        if st.st_size > max_bytes:
            raise ComponentTooLargeError(
                f"{component_path}: {st.st_size:,} bytes is over the "
                f"{max_bytes:,}-byte limit for one component",
                component_path,
            )
        return read_limited(fd, max_bytes, component_path), st
    finally:
        os.close(fd)


def open_folder(path: str | os.PathLike[str]) -> int:
    """A descriptor on the folder ``path`` (for ``open_component``); the caller closes it."""
    return os.open(os.fspath(path), _DIR_FLAGS & ~_NOFOLLOW)


def walk_components(base: Path | str) -> Iterator[tuple[str, str]]:
    """Every non-hidden entry under ``base`` that is not a folder, sorted by path.

    Yields ``(relative POSIX path, problem)``: ``problem`` is "" for a regular file or a
    symlink that leads to one; otherwise it says what the entry is ("a FIFO", "a device",
    "a dangling symlink", "a looping symlink", "a symlink to a FIFO"...) or, for a folder
    that cannot be listed, starts with "cannot list". Symlinked folders are not entered.
    """
    root = os.fspath(base)
    found: list[tuple[str, str]] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        folder = os.path.join(root, prefix.rstrip("/")) if prefix else root
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            if not prefix:
                raise ComponentError(
                    f"{root}: cannot list the folder ({exc.strerror})", root
                ) from None
            why = exc.strerror or exc.__class__.__name__
            found.append((prefix.rstrip("/"), f"cannot list the folder ({why})"))
            continue
        for entry in listed:
            name = entry.name
            if name.startswith("."):
                continue
            rel = prefix + name
            try:  # the entry's type comes with the listing: no stat for plain files
                if entry.is_dir(follow_symlinks=False):
                    stack.append(rel + "/")
                    continue
                if entry.is_file(follow_symlinks=False):
                    found.append((rel, ""))
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:  # vanished while listing
                continue
            problem = ""
            if stat.S_ISLNK(st.st_mode):
                try:
                    target = os.stat(entry.path)
                except OSError as exc:
                    problem = (
                        "a looping symlink" if exc.errno == errno.ELOOP else "a dangling symlink"
                    )
                else:
                    if stat.S_ISDIR(target.st_mode):
                        continue  # symlinked folders are not entered
                    if not stat.S_ISREG(target.st_mode):
                        problem = f"a symlink to {file_kind(target)}"
            elif not stat.S_ISREG(st.st_mode):
                problem = file_kind(st)
            found.append((rel, problem))
    found.sort()
    return iter(found)


def list_components(base: Path) -> list[str]:
    """Every regular file under ``base`` (hidden ones skipped), as sorted POSIX paths."""
    return [rel for rel, problem in walk_components(base) if not problem]
