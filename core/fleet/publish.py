"""Publish a component folder to the shared store: changed blobs first, then one manifest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import redis

from ..cache import MIB
from ..dialects import SourceFile, Templates, make_source, read_folder_default
from ..errors import ComponentError, ComponentNotFoundError, ComponentNotTextError
from ..paths import list_components, open_component, open_folder
from .errors import StoreConflictError, StoreEntryError, StoreError
from .store import (
    Keys,
    Manifest,
    StoreAddress,
    command,
    content_hash,
    now,
    published_path,
    translate,
)

ORPHAN_GRACE_S = 300
"""How long a blob no manifest names any more stays readable, for workers mid-switch."""
BLOBS_PER_ROUND_TRIP = 500


@dataclass(frozen=True)
class PublishReport:
    """What a publish changed (or, with ``dry_run``, would change)."""

    namespace: str
    address: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    bytes_sent: int
    version_before: int
    version: int
    """The version now published (``version_before`` when nothing changed or a dry run)."""
    dry_run: bool
    seconds: float
    template_format_changed: bool = False
    """True when the folder's default dialect (``.promptcache.toml``) changed: every
    component may render differently."""

    @property
    def touched(self) -> bool:
        """True when the publish switched (or would switch) to a new version."""
        return bool(self.added or self.changed or self.removed or self.template_format_changed)


def read_folder(folder: Path, max_component_bytes: int) -> dict[str, bytes]:
    """Every component file of ``folder`` as bytes, checked like the loader checks files."""
    contents: dict[str, bytes] = {}
    base = folder.resolve()
    base_fd = open_folder(base)
    try:
        for path in list_components(base):
            # The loader's race-free open: no symlink (even one swapped in after the
            # listing) leads outside the folder, no FIFO blocks, the size limit holds.
            data, _st = open_component(
                base_fd, path, max_bytes=max_component_bytes, base_name=str(base)
            )
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ComponentNotTextError(
                    f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    path,
                ) from None
            contents[path] = data
    finally:
        os.close(base_fd)
    return contents


class _PublishedFiles:
    """The include resolver of a publish: the bytes being published, nothing else."""

    def __init__(self, files: Mapping[str, bytes], folder_default: str | None) -> None:
        self.files = files
        self.folder_default = folder_default

    def source(self, path: str) -> SourceFile:
        data = self.files.get(published_path(path) or "")
        if data is None:
            raise ComponentNotFoundError(f"{path}: no such component", path)
        return make_source(path, data.decode("utf-8"), self.folder_default)

    def exists(self, path: str) -> bool:
        return published_path(path) in self.files

    def current(self, source: SourceFile) -> Callable[[], bool]:
        return lambda: True


def include_graph(
    files: Mapping[str, bytes], folder_default: str | None
) -> dict[str, tuple[str, ...]]:
    """Which published file includes which (Jinja2 includes, Mustache partials), found by
    the same analysis and name resolution the loaders use. Missing includes are left out:
    a load reports them."""
    resolver = _PublishedFiles(files, folder_default)
    dialects = Templates(resolver)
    graph: dict[str, tuple[str, ...]] = {}
    for path in files:
        try:
            source = resolver.source(path)
        except ComponentError:
            continue
        if source.plain:
            continue
        targets = [
            published_path(resolved)
            for name, _line, _col in dialects.analyze(source).includes
            if (resolved := dialects.resolve(name, path, source.dialect)) is not None
        ]
        found = tuple(dict.fromkeys(t for t in targets if t is not None and t != path))
        if found:
            graph[path] = found
    return graph


def publish(
    folder: str | Path,
    url: str,
    *,
    namespace: str = "default",
    dry_run: bool = False,
    max_component_bytes: int = 1 * MIB,
) -> PublishReport:
    """Upload the changed components of ``folder`` and switch the namespace to them at once.

    Workers see the old manifest or the new one, never a mix: blobs are written first
    under their content hash, then the manifest is replaced in one transaction that
    fails (StoreConflictError) if another publish switched it in the meantime.
    """
    started = time.perf_counter()
    base = Path(folder)
    if not base.is_dir():
        raise StoreError(f"{base}: component folder does not exist", str(base))
    address = StoreAddress.parse(url)
    keys = Keys(namespace)
    files = read_folder(base, max_component_bytes)
    hashes = {path: content_hash(data) for path, data in files.items()}
    folder_default = read_folder_default(base)
    includes = include_graph(files, folder_default)
    client = address.connect()
    try:
        with client.pipeline(transaction=True) as txn:
            command(txn, "WATCH", keys.manifest)
            raw = command(txn, "GET", keys.manifest)
            old = None if raw is None else Manifest.decode(raw)
            before = old.components if old is not None else {}
            added = tuple(p for p in hashes if p not in before)
            changed = tuple(p for p in hashes if p in before and before[p][0] != hashes[p])
            removed = tuple(p for p in before if p not in hashes)
            send = {hashes[p]: files[p] for p in (*added, *changed)}
            version_before = old.version if old is not None else 0
            version = version_before
            format_changed = old is not None and old.template_format != folder_default
            touched = bool(
                added
                or changed
                or removed
                or format_changed
                or (old is not None and dict(old.includes) != includes)
            )
            if touched and not dry_run:
                _send_blobs(client, keys, send)
                version = version_before + 1
                manifest = Manifest(
                    version,
                    now(),
                    {p: (hashes[p], len(files[p])) for p in sorted(files)},
                    includes,
                    folder_default,
                )
                orphans = {h for h, _ in before.values()} - set(hashes.values())
                txn.multi()
                command(txn, "SET", keys.manifest, manifest.encode())
                for sha in orphans:
                    command(txn, "EXPIRE", keys.blob(sha), ORPHAN_GRACE_S)
                txn.execute()
    except redis.WatchError:
        raise StoreConflictError(
            f"{address}: another publish to namespace {namespace!r} switched it first; "
            "publish again"
        ) from None
    except StoreEntryError as exc:
        raise StoreEntryError(
            f"{address}: the namespace {namespace!r} holds a bad manifest ({exc})"
        ) from None
    except redis.RedisError as exc:
        raise translate(exc, address, "publish") from None
    finally:
        client.close()
    return PublishReport(
        namespace=namespace,
        address=str(address),
        added=added,
        changed=changed,
        removed=removed,
        unchanged=len(hashes) - len(added) - len(changed),
        bytes_sent=0 if dry_run else sum(len(d) for d in send.values()),
        version_before=version_before,
        version=version,
        dry_run=dry_run,
        seconds=time.perf_counter() - started,
        template_format_changed=format_changed,
    )


def _send_blobs(client: redis.Redis, keys: Keys, blobs: dict[str, bytes]) -> None:
    """Write blobs in pipelined batches; SET also clears an orphan's expiry."""
    items = list(blobs.items())
    for start in range(0, len(items), BLOBS_PER_ROUND_TRIP):
        with client.pipeline(transaction=False) as pipe:
            for sha, data in items[start : start + BLOBS_PER_ROUND_TRIP]:
                command(pipe, "SET", keys.blob(sha), data)
            pipe.execute()
