"""Know, at the start of every load, whether a tracked file changed since it was read.

On Linux this uses inotify, whose events are queued by the kernel inside the write
itself: one ``poll(0)`` (about 0.3 µs) tells whether anything changed, so the hit path
stays cheap and a load that starts after a write finished always sees it. Elsewhere, or
when inotify is unavailable, ``StatTracker`` compares ``os.stat`` signatures instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import select
import struct
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ISDIR = 0x40000000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)
_FILE_MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF
_ENTRY_CHANGES = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
_HEADER = struct.Struct("iIII")
_MAX_READS = 16
"""Reads of 64 KiB per drain: a writer flooding the queue cannot keep a load reading."""

Changed = Callable[[set[str] | None], None]
"""Called with the component paths whose files changed, or None for 'all of them'."""


class InotifyTracker:
    """Tracks files through inotify watches on their directories (Linux only)."""

    def __init__(self, max_events: int = 4096) -> None:
        if not sys.platform.startswith("linux"):
            raise OSError("inotify is only available on Linux")
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self._add_watch = libc.inotify_add_watch
        self._add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self._add_watch.restype = ctypes.c_int
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self._fd = fd
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        self.poll = poller.poll
        """``poll(0)`` is truthy when events are waiting: the hit path's only cost."""
        # One directory inode can be watched under several names (symlinked directories):
        # inotify gives them one watch descriptor, so each maps to every name.
        self._dirs: dict[int, list[str]] = {}
        self._watched: set[str] = set()
        self._files: dict[str, set[str]] = {}
        self._names_of: dict[str, set[str]] = {}
        # Watches on the files themselves (their inodes): edits through a hard link in
        # another folder are reported only there.
        self._inodes: dict[int, set[str]] = {}
        self.overflows = 0
        """How many drains found more events than ``max_events`` and reported everything."""
        self.max_events = max_events

    def track(self, component_path: str, files: tuple[str, ...], base: str) -> None:
        """Watch the directories of ``files`` (and up to ``base``) for ``component_path``."""
        for f in files:
            self._files.setdefault(f, set()).add(component_path)
            self._names_of.setdefault(component_path, set()).add(f)
            d = os.path.dirname(f)
            while True:
                self._watch(d)
                if d == base or len(d) <= len(base) or not d.startswith(base):
                    break
                d = os.path.dirname(d)

    def track_open_file(self, component_path: str, fd: int) -> None:
        """Watch the inode behind ``fd`` itself, whatever names it has."""
        wd = self._add_watch(self._fd, f"/proc/self/fd/{fd}".encode(), _FILE_MASK)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"cannot watch {component_path}: {os.strerror(err)}")
        self._inodes.setdefault(wd, set()).add(component_path)

    def untrack(self, component_path: str) -> None:
        """Forget the names tracked for ``component_path`` (a load of it failed)."""
        for f in self._names_of.pop(component_path, ()):
            paths = self._files.get(f)
            if paths is not None:
                paths.discard(component_path)
                if not paths:
                    del self._files[f]

    def forget_all(self) -> None:
        """Drop every tracked name (after an overflow the caller invalidates everything)."""
        self._files.clear()
        self._names_of.clear()
        for paths in self._inodes.values():
            paths.clear()

    @property
    def tracked(self) -> int:
        """How many component paths are tracked by name."""
        return len(self._names_of)

    def _watch(self, directory: str) -> None:
        if directory in self._watched:
            return
        wd = self._add_watch(self._fd, os.fsencode(directory), _MASK)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (errno.ENOENT, errno.ENOTDIR):
                # Not there (yet): the watch on an existing parent, added by the caller's
                # walk up to base, reports its creation; the next load watches it.
                return
            raise OSError(err, f"cannot watch {directory}: {os.strerror(err)}")
        self._dirs.setdefault(wd, []).append(directory)
        self._watched.add(directory)

    def drain(self) -> set[str] | None:
        """Read the waiting events; the component paths affected, or None for all.

        The work is bounded: past ``max_events`` events (a rename flood), the rest of
        the queue is discarded, tracking is dropped, and None says "everything changed".
        """
        changed: set[str] = set()
        # (directory watch, name, is an entry change) seen in this drain: a flood of
        # renames repeats the same few names, each handled once.
        seen: set[tuple[int, bytes, bool]] = set()
        events = 0
        everything = False
        for _ in range(_MAX_READS):
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            if not data:
                break
            if everything:
                continue  # discarding the rest of an overflowing queue
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                offset += _HEADER.size
                raw = data[offset : offset + length]
                offset += length
                events += 1
                if mask & IN_Q_OVERFLOW or events > self.max_events:
                    everything = True
                    break
                inode_paths = self._inodes.get(wd)
                if inode_paths is not None:
                    changed |= inode_paths
                    if mask & IN_IGNORED:
                        del self._inodes[wd]
                    continue
                entry_change = bool(mask & (IN_ISDIR | _ENTRY_CHANGES))
                key = (wd, raw, entry_change)
                if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED):
                    key = (wd, b"\0self", True)
                if key in seen:
                    continue
                seen.add(key)
                directories = self._dirs.get(wd)
                if not directories:
                    continue
                if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED):
                    self._forget_dir(wd)
                    for directory in directories:
                        changed |= self._under(directory)
                    continue
                name = os.fsdecode(raw.rstrip(b"\0"))
                for directory in directories:
                    full = os.path.join(directory, name) if name else directory
                    changed |= self._files.get(full, set())
                    if entry_change:
                        # A directory, or a name that may be a symlink to one, came or went.
                        changed |= self._under(full)
        else:  # still more waiting after the last read allowed: treat as an overflow
            everything = True
        if everything:
            self.overflows += 1
            self.forget_all()
            return None
        return changed

    def _forget_dir(self, wd: int) -> None:
        for directory in self._dirs.pop(wd, ()):
            self._watched.discard(directory)

    def _under(self, directory: str) -> set[str]:
        prefix = directory.rstrip(os.sep) + os.sep
        found: set[str] = set()
        for f, paths in self._files.items():
            if f.startswith(prefix):
                found |= paths
        return found

    def close(self) -> None:
        """Release the inotify descriptor (and with it every watch)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


class StatTracker:
    """Fallback: compare each tracked file's ``os.stat`` signature on every load.

    File times are coarse (a kernel tick), so a file modified within ``racy_window_s``
    of being read is not trusted: it is re-read on each load until it is older.
    """

    def __init__(self, racy_window_s: float = 2.0) -> None:
        self._signatures: dict[str, tuple[str, tuple[int, int, int, int] | None]] = {}
        self._racy_window_ns = int(racy_window_s * 1e9)

    def signature_now(self, full_path: str) -> tuple[int, int, int, int] | None:
        """The signature to record for a file about to be read (None if untrustworthy)."""
        try:
            st = os.stat(full_path)
        except OSError:
            return None
        if time.time_ns() - st.st_mtime_ns < self._racy_window_ns:
            return None
        return _signature(st)

    def signature_of(self, st: os.stat_result) -> tuple[int, int, int, int] | None:
        """The signature to record for a file read through a descriptor (``fstat``)."""
        if time.time_ns() - st.st_mtime_ns < self._racy_window_ns:
            return None
        return _signature(st)

    def track(
        self, component_path: str, full_path: str, sig: tuple[int, int, int, int] | None
    ) -> None:
        """Record the signature that the cached content of ``component_path`` came from."""
        self._signatures[component_path] = (full_path, sig)

    def changed(self, component_path: str) -> bool:
        """True when the file differs from what was cached (and forget it then)."""
        record = self._signatures.get(component_path)
        if record is None:
            return False
        full_path, sig = record
        try:
            now = _signature(os.stat(full_path))
        except OSError:
            now = None
        if sig is not None and now == sig:
            return False
        self._signatures.pop(component_path, None)
        return True
