"""Watch the component folder with watchfiles and report each burst of changes once.

watchfiles (Rust ``notify`` underneath) groups changes: a burst ends after ``quiet_ms``
without news, or ``max_wait_ms`` after it started. An editor's atomic save and a
``git checkout`` of hundreds of files each arrive as one batch. No UI here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FolderChanges:
    """One burst of changes, as POSIX paths relative to the folder."""

    added: frozenset[str]
    modified: frozenset[str]
    deleted: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        """Every path touched."""
        return self.added | self.modified | self.deleted


def classify(base: Path, raw: set[tuple[int, str]]) -> FolderChanges:
    """Turn watchfiles' (Change, absolute path) pairs into relative sets.

    A path both added and deleted in one burst counts as modified if it still exists (a
    replaced file) and not at all otherwise (an editor's temporary file). A rename onto
    an existing name (an atomic save) arrives as "added": callers that know the listing
    should treat an added path they already list as modified.
    """
    from watchfiles import Change

    added: set[str] = set()
    modified: set[str] = set()
    deleted: set[str] = set()
    for change, path in raw:
        try:
            relative = Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            continue
        {Change.added: added, Change.modified: modified, Change.deleted: deleted}[
            Change(change)
        ].add(relative)
    both = added & deleted
    for path in both:
        if (base / path).exists():
            modified.add(path)
            added.discard(path)
            deleted.discard(path)
    return FolderChanges(
        frozenset(added), frozenset(modified - added - deleted), frozenset(deleted)
    )


class FolderWatcher:
    """Calls ``on_changes`` from a background thread once per burst of changes."""

    def __init__(
        self,
        folder: Path,
        on_changes: Callable[[FolderChanges], None],
        *,
        quiet_ms: int = 150,
        max_wait_ms: int = 300,
    ) -> None:
        self.folder = folder.resolve()
        self._on_changes = on_changes
        self._quiet_ms = quiet_ms
        self._max_wait_ms = max_wait_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin watching on a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="promptcache-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (returns within about ``max_wait_ms``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        from watchfiles import DefaultFilter, watch

        try:
            for raw in watch(
                self.folder,
                watch_filter=DefaultFilter(),
                debounce=self._max_wait_ms,
                step=self._quiet_ms,
                stop_event=self._stop,
                rust_timeout=500,
                yield_on_timeout=False,
                raise_interrupt=False,
            ):
                changes = classify(self.folder, {(int(c), p) for c, p in raw})
                if changes.all:
                    self._on_changes(changes)
        except Exception:  # the app keeps running without live reload; say why in the log
            log.exception("watching %s stopped", self.folder)


def renamed_to(path: str, changes: FolderChanges) -> str | None:
    """Where ``path`` went, when this burst looks like its rename: it was deleted and
    exactly one path was created, or exactly one created path has its file name."""
    if path not in changes.deleted or path in changes.added:
        return None
    if len(changes.added) == 1:
        return next(iter(changes.added))
    name = path.rsplit("/", 1)[-1]
    same_name = [p for p in changes.added if p.rsplit("/", 1)[-1] == name]
    return same_name[0] if len(same_name) == 1 else None
