"""``CachedComponentLoader("redis://...", cache, namespace=...)``: components from the store.

A hit costs what a folder hit costs (a dict lookup in the process's own ComponentCache, no
network). A miss resolves the path through the manifest this process holds and reads the
blob it names, one read per blob per process however many threads miss it, then renders it
in its dialect exactly as the folder loader does (compiled once per version, strict). A
load pins one manifest: its includes and partials come from that same published version.
The listener thread swaps in a new manifest when the server says it changed and drops
exactly the components whose content changed, and every component that includes one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import redis

from ..cache import MIB, ComponentCache
from ..dialects import EXTENSIONS, IncludeGraph, SourceFile, Templates, make_source
from ..dialects.base import BRACE
from ..errors import (
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentOutsideBaseError,
    EntryTooLargeError,
)
from ..loader import CachedComponentLoader, Progress, WarmupReport, context_key
from ..paths import check_component_path
from ..template import render
from .errors import StoreEntryError, StoreError, StoreUnavailableError
from .invalidation import InvalidationListener
from .store import (
    Keys,
    Manifest,
    StoreAddress,
    check_blob,
    command,
    now,
    published_path,
    translate,
)

log = logging.getLogger(__name__)

TEMPLATE_MEMO_BYTES = 4 * MIB
"""Raw templates kept per process, so a new context of a known component needs no read."""
HEARTBEAT_S = 1.0
MAX_BATCH_ATTEMPTS = 5
HEARTBEAT_TTL_INTERVALS = 3


class _Absent:
    """The namespace has no manifest (nothing published, or the server was flushed)."""


_ABSENT = _Absent()


class _BlobFlight:
    """One load or blob read in progress; followers wait on ``lock``, held by the leader."""

    __slots__ = ("error", "lock", "text")

    def __init__(self) -> None:
        self.lock = threading.Lock()  # far cheaper to make than an Event
        self.lock.acquire()
        self.text: str | None = None
        self.error: BaseException | None = None


def _dependents(graphs: Iterable[Mapping[str, tuple[str, ...]]], paths: set[str]) -> set[str]:
    """Every path that includes one of ``paths`` in one of ``graphs``, directly or not."""
    included_by: dict[str, set[str]] = {}
    for graph in graphs:
        for includer, targets in graph.items():
            for target in targets:
                included_by.setdefault(target, set()).add(includer)
    found: set[str] = set()
    todo = [p for p in paths if p in included_by]
    while todo:
        for user in included_by.get(todo.pop(), ()):
            if user not in found:
                found.add(user)
                todo.append(user)
    return found


class RemoteComponentLoader(CachedComponentLoader):
    """Loads components published to a Redis or Valkey server (``promptcache publish``).

    Build it as ``CachedComponentLoader(url, cache, namespace=...)``; the folder loader's
    API works the same (``load_component``, ``load``, ``warm``, stats, ``close``).

    Args:
        base_path: ``redis://[USER:PASSWORD@]HOST:PORT/DB`` or ``rediss://...`` (TLS).
        cache: The process's own cache.
        namespace: Which published set to read; keeps applications on one server apart.
        fallback: A local folder to read from while the server is unreachable.
        timeout_s: Connect/read timeout; a cut-off server fails a miss this fast.
        heartbeat_s: How often this worker publishes its heartbeat (0: never).
        stats_address: Where this worker's stats server listens, shown in the fleet view.
    """

    def __init__(
        self,
        base_path: str | os.PathLike[str],
        cache: ComponentCache,
        *,
        namespace: str | None = None,
        fallback: str | os.PathLike[str] | None = None,
        hot_usage_file: str | os.PathLike[str] | None = None,
        max_component_bytes: int = 1 * MIB,
        hot_top_n: int = 20,
        watch: str = "auto",
        timer: Callable[[], float] = time.perf_counter,
        timeout_s: float = 1.0,
        heartbeat_s: float = HEARTBEAT_S,
        stats_address: str | None = None,
    ) -> None:
        del watch  # changes arrive from the server, not from files
        self.address = StoreAddress.parse(os.fspath(base_path))
        self.keys = Keys(namespace if namespace is not None else "default")
        self.namespace = self.keys.namespace
        self.cache = cache
        self.max_component_bytes = max_component_bytes
        self.hot_top_n = hot_top_n
        self.hot_usage_file = Path(hot_usage_file) if hot_usage_file is not None else None
        self._timer = timer
        self.load_times: dict[str, float] = {}
        self.file_reads = 0
        """Blobs read from the server."""
        self.usage: dict[str, int] = {}
        self._generation: dict[str, int] = {}
        self._fresh_lock = threading.Lock()
        self._flight_lock = threading.Lock()
        self._load_flights: dict[tuple[str, Hashable], _BlobFlight] = {}
        self._inotify = None
        self._poll = None
        self._fallback: CachedComponentLoader | None = None
        if fallback is not None:
            self._fallback = CachedComponentLoader(
                fallback, ComponentCache(max_size=1), watch="stat",
                max_component_bytes=max_component_bytes,
            )  # fmt: skip
        self.base_path = self._fallback.base_path if self._fallback else Path(str(self.address))
        self._manifest: Manifest | _Absent | None = None
        self._templates: OrderedDict[str, str] = OrderedDict()
        self._template_bytes = 0
        self._blob_flights: dict[str, _BlobFlight] = {}
        self._blob_lock = threading.Lock()
        self._pin = threading.local()
        """``manifest``: the version a load on this thread renders from, includes too."""
        self._store_sources: dict[str, tuple[tuple[str, str | None], SourceFile]] = {}
        # The folder loader's dialect state, made before the listener thread can swap in
        # a manifest (it clears compiled templates when the folder default changes).
        self.graph = IncludeGraph()
        self._dialects = Templates(self)
        self._compiled = {}
        self._sources_lock = threading.Lock()
        self.connected = False
        self.stale = True
        """True while the server is unreachable: cached entries may be out of date."""
        self.disconnect_reason = "not connected yet"
        self.reconnects = 0
        self.invalidations = 0
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stats_address = stats_address
        self._started_at = now()
        self._heartbeat_s = heartbeat_s
        self._client = self.address.connect(timeout_s=timeout_s)
        try:
            command(self._client, "PING")
        except redis.AuthenticationError as exc:
            self._client.close()
            raise translate(exc, self.address, "connect") from None
        except redis.ResponseError as exc:  # NOAUTH, or a user without PING
            self._client.close()
            raise translate(exc, self.address, "connect") from None
        except (redis.RedisError, OSError) as exc:
            log.warning("%s", translate(exc, self.address, "connect"))
        self._listener = InvalidationListener(
            self.address,
            self.keys.manifest,
            on_connected=self._on_connected,
            on_invalidated=self._on_invalidated,
            on_disconnected=self._on_disconnected,
            on_tick=self._heartbeat if heartbeat_s > 0 else None,
            tick_s=heartbeat_s or 1.0,
            timeout_s=timeout_s,
        )
        self._listener.start()
        self._listener.attempted.wait(timeout_s * 3)

    @property
    def watch_mode(self) -> str:
        """``store``: changes arrive as server-side invalidations."""
        return "store"

    @property
    def folder_default(self) -> str | None:
        """The published folder default dialect (of the version this thread renders)."""
        pinned = getattr(self._pin, "manifest", None)
        manifest = pinned if pinned is not None else self._manifest
        return manifest.template_format if isinstance(manifest, Manifest) else None

    @folder_default.setter
    def folder_default(self, _value: str | None) -> None:
        """Set by publishing only."""

    @property
    def version(self) -> int:
        """The manifest version this process serves (0 before the first, or none published)."""
        m = self._manifest
        return m.version if isinstance(m, Manifest) else 0

    # ----------------------------------------------------------------- loading

    def load_component(
        self, component_path: str, context_vars: Mapping[str, Any] | None = None
    ) -> str:
        """Return the component rendered with ``context_vars``; a hit makes no round trip.

        Raises ComponentNotFoundError for a path the published set does not have, and a
        StoreError (StoreUnavailableError while the server is down and no fallback folder
        is set, StoreEntryError for a corrupt entry).
        """
        ctx = context_key(context_vars)
        entry = self.cache.get(component_path, ctx)
        usage = self.usage
        if entry is not None:
            usage[component_path] = usage.get(component_path, 0) + 1
            return entry.content
        content = self._load_single_flight(component_path, context_vars, ctx, "request")
        if component_path in usage or len(usage) < 10_000:
            usage[component_path] = usage.get(component_path, 0) + 1
        return content

    def _load_single_flight(
        self,
        component_path: str,
        context_vars: Mapping[str, Any] | None,
        ctx: Hashable,
        origin: str,
    ) -> str:
        # The folder loader's single flight, with a lock for a flight (an Event costs a
        # Condition and two locks to make, which shows next to one GET on loopback).
        key = (component_path, ctx)
        with self._flight_lock:
            flight = self._load_flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._load_flights[key] = _BlobFlight()
        if not leader:
            with flight.lock:
                pass
            if flight.error is not None:
                raise flight.error
            assert flight.text is not None
            return flight.text
        try:
            landed = self.cache.peek(component_path, ctx)
            text = landed.content if landed is not None else None
            if text is None:
                text = self._load_cold(component_path, context_vars, ctx, origin)
            flight.text = text
            return text
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._flight_lock:
                del self._load_flights[key]
            flight.lock.release()

    def _load_cold(
        self,
        component_path: str,
        context_vars: Mapping[str, Any] | None,
        ctx: Hashable,
        origin: str,
    ) -> str:
        started = self._timer()
        generation = self._generation.get(component_path, 0)
        manifest: Manifest | None = None
        try:
            try:
                manifest = self._current_manifest()
                content = self._render_pinned(manifest, component_path, context_vars)
            except StoreUnavailableError as exc:
                if self._fallback is None:
                    raise
                log.info("%s; loading %s from the fallback folder", exc, component_path)
                manifest = None
                content = self._fallback.load_component(component_path, context_vars)
        except ComponentError as exc:
            self.cache.record_load(component_path, self._timer() - started, str(exc))
            raise
        elapsed = self._timer() - started
        metadata: dict[str, Any] = {
            "component_path": component_path,
            "load_time": elapsed,
            "file_size": len(content),
            "context_applied": bool(context_vars),
            "store_version": self.version,
        }
        if origin == "preload":
            metadata["preloaded"] = True
        elif origin == "warmup":
            metadata["warmed_up"] = True
        with self._fresh_lock:
            # Rendered from the version still served (includes too), or from the fallback.
            same = manifest is None or self._manifest is manifest
            if same and self._generation.get(component_path, 0) == generation:
                try:
                    self.cache.put(component_path, content, metadata, ctx, origin=origin)
                except EntryTooLargeError as exc:
                    log.warning("not cached: %s", exc)
        self.cache.record_load(component_path, elapsed)
        self.load_times[component_path] = elapsed
        return content

    def _current_manifest(self) -> Manifest:
        manifest = self._manifest
        if manifest is None:
            if not self.connected:
                raise StoreUnavailableError(
                    f"{self.address}: server unavailable ({self.disconnect_reason})"
                )
            manifest = self._fetch_manifest()
            with self._fresh_lock:
                if self._manifest is None:
                    self._manifest = manifest
        if isinstance(manifest, _Absent):
            raise ComponentNotFoundError(
                f"nothing is published in namespace {self.namespace!r} on {self.address}"
            )
        return manifest

    def _render_pinned(
        self, manifest: Manifest, component_path: str, context_vars: Mapping[str, Any] | None
    ) -> str:
        """Render ``component_path`` of ``manifest`` in its dialect, as the folder loader
        does; includes resolve in ``manifest`` too, never in a newer version."""
        if component_path in manifest.components:
            stored = component_path
        else:
            stored = self._store_path(component_path)
        included = manifest.closure(stored) if manifest.includes else None
        if included:
            # Every blob the render needs, in one round trip (none when all are remembered),
            # so that a cut-off server fails the load here, before an include is read.
            self._prefetch(manifest, [stored, *included])
        previous = getattr(self._pin, "manifest", None)
        self._pin.manifest = manifest
        try:
            text = self._template_in(manifest, component_path)
            if (
                manifest.template_format in (None, BRACE)
                and not text.startswith("---")
                and os.path.splitext(stored)[1].lower() not in EXTENSIONS
            ):
                # What make_source calls a plain file: today's {name} render, as in a folder.
                return render(text, context_vars)
            content, _deps = self._render_text(component_path, text, context_vars)
        finally:
            self._pin.manifest = previous
        return content

    def _manifest_now(self) -> Manifest:
        """The manifest this thread's load pinned, else the one served now."""
        pinned: Manifest | None = getattr(self._pin, "manifest", None)
        return pinned if pinned is not None else self._current_manifest()

    def _store_path(self, name: str) -> str:
        """The published path ``name`` means, confined like a folder load: no NUL, no
        absolute path, ``.`` and ``..`` resolved without leaving the published set."""
        check_component_path(f"namespace {self.namespace!r}", name)
        if name.endswith("/"):
            raise ComponentNotAFileError(f"{name}: names a folder, not a component file", name)
        stored = published_path(name)
        if stored is None:
            raise ComponentOutsideBaseError(
                f"{name}: resolves outside the published components of namespace "
                f"{self.namespace!r}",
                name,
            )
        return stored

    def _entry(self, manifest: Manifest, component_path: str) -> tuple[str, str, int]:
        """``(published path, sha256, size)`` of ``component_path`` in ``manifest``."""
        stored = (
            component_path
            if component_path in manifest.components
            else self._store_path(component_path)
        )
        found = manifest.components.get(stored)
        if found is None:
            raise ComponentNotFoundError(
                f"{component_path}: no such component in namespace {self.namespace!r} "
                f"(version {manifest.version}) on {self.address}",
                component_path,
            )
        sha256, size = found
        if size > self.max_component_bytes:
            raise StoreEntryError(
                f"{component_path}: {size:,} bytes is over the "
                f"{self.max_component_bytes:,}-byte limit for one component",
                component_path,
            )
        return stored, sha256, size

    def _template_in(self, manifest: Manifest, component_path: str) -> str:
        stored, sha256, size = self._entry(manifest, component_path)
        return self._blob_text(stored, sha256, size)

    def _template(self, component_path: str) -> str:
        try:
            return self._template_in(self._manifest_now(), component_path)
        except StoreUnavailableError as exc:
            if self._fallback is None:
                raise
            log.info("%s; reading %s from the fallback folder", exc, component_path)
            return self._fallback.read_template(component_path)

    def _blob_text(self, component_path: str, sha256: str, size: int) -> str:
        while True:
            text = self._templates.get(sha256)
            if text is not None:
                return text
            with self._blob_lock:
                flight = self._blob_flights.get(sha256)
                leader = flight is None
                if flight is None:
                    flight = self._blob_flights[sha256] = _BlobFlight()
            if leader:
                break
            with flight.lock:
                pass
            if flight.error is not None:
                raise flight.error
            if flight.text is not None:
                return flight.text
            # A prefetch could not use it: read it here, with an error naming the path.
        try:
            flight.text = self._read_blob(component_path, sha256, size)
            self._remember(sha256, flight.text)
            return flight.text
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._blob_lock:
                del self._blob_flights[sha256]
            flight.lock.release()

    def _read_blob(self, component_path: str, sha256: str, size: int) -> str:
        if not self.connected:
            raise StoreUnavailableError(
                f"{component_path}: server unavailable ({self.disconnect_reason}); {self.address}",
                component_path,
            )
        try:
            data = command(self._client, "GET", self.keys.blob(sha256))
        except redis.RedisError as exc:
            raise translate(exc, self.address, component_path) from None
        self.file_reads += 1
        return check_blob(component_path, data, sha256, size, self.max_component_bytes)

    def _remember(self, sha256: str, text: str) -> None:
        size = len(text)
        if size > TEMPLATE_MEMO_BYTES // 4:
            return
        with self._blob_lock:
            if sha256 in self._templates:
                return
            self._templates[sha256] = text
            self._template_bytes += size
            while self._template_bytes > TEMPLATE_MEMO_BYTES:
                _, old = self._templates.popitem(last=False)
                self._template_bytes -= len(old)

    def read_template(self, component_path: str) -> str:
        """The raw published template (not cached, not counted)."""
        return self._template(component_path)

    # ------------------------------------------------- includes (the IncludeResolver)

    def source(self, path: str) -> SourceFile:
        """``path`` as published (in the version this thread's load pinned, else the one
        served now), split into frontmatter and body; parsed once per content hash.

        Without a pinned load and with the server down, a fallback folder answers."""
        pinned = getattr(self._pin, "manifest", None)
        try:
            manifest = self._manifest_now()
            stored, sha256, size = self._entry(manifest, path)
            version = (sha256, manifest.template_format)
            with self._sources_lock:
                known = self._store_sources.get(path)
            if known is not None and known[0] == version:
                return known[1]
            text = self._blob_text(stored, sha256, size)
        except StoreUnavailableError:
            if self._fallback is None or pinned is not None:
                raise
            return self._fallback.source(path)
        source = make_source(path, text, manifest.template_format)
        source = SourceFile(
            source.path,
            source.text,
            source.body,
            source.body_line,
            source.dialect,
            source.frontmatter,
            source.problems,
            sha256,
        )
        with self._sources_lock:
            self._store_sources[path] = (version, source)
        return source

    def exists(self, path: str) -> bool:
        """True when ``path`` is published (in the version this thread's load pinned)."""
        try:
            self._entry(self._manifest_now(), path)
        except StoreUnavailableError:
            return self._fallback is not None and self._fallback.exists(path)
        except ComponentError:
            return False
        return True

    def current(self, source: SourceFile) -> Callable[[], bool]:
        """A test that ``source`` is still what the (pinned, else served) version holds."""
        if not isinstance(source.version, str) and self._fallback is not None:
            return self._fallback.current(source)
        path, sha256 = source.path, source.version

        def up_to_date() -> bool:
            try:
                return self._entry(self._manifest_now(), path)[1] == sha256
            except ComponentError:
                return False

        return up_to_date

    def included_by(self, component_path: str) -> tuple[str, ...]:
        """Published components that include ``component_path`` directly, sorted (from
        the published includes graph, and what loads here have seen)."""
        try:
            manifest = self._current_manifest()
            published = {p for p, targets in manifest.includes.items() if component_path in targets}
        except StoreUnavailableError:
            published = set()
        return tuple(sorted(published | set(self.graph.included_by(component_path))))

    def component_paths(self) -> list[str]:
        """Every component of the published set, sorted."""
        return sorted(self._current_manifest().components)

    def load_components(
        self, paths: Iterable[str], context_vars: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        """Load several components, all from one published version.

        Blobs missing locally are read in one pipelined round trip. If a publish switches
        the set midway, the whole batch is loaded again from the new version.
        """
        wanted = list(dict.fromkeys(paths))
        ctx = context_key(context_vars)
        for _ in range(MAX_BATCH_ATTEMPTS):
            manifest = self._current_manifest()
            loaded: dict[str, str] = {}
            missing: list[str] = []
            for path in wanted:
                entry = self.cache.get(path, ctx)
                if entry is None:
                    missing.append(path)
                else:
                    loaded[path] = entry.content
            self._prefetch(manifest, missing)
            for path in missing:
                loaded[path] = self._load_single_flight(path, context_vars, ctx, "request")
            if self._manifest is manifest:
                return loaded
        raise StoreError(
            f"{self.address}: namespace {self.namespace!r} switched versions "
            f"{MAX_BATCH_ATTEMPTS} times during one batch load; try again"
        )

    def _prefetch(self, manifest: Manifest, paths: Iterable[str]) -> None:
        """Read the blobs of ``paths`` that are not remembered, in one pipelined trip."""
        found = (manifest.components.get(p) for p in paths)
        missing = {f for f in found if f is not None and f[0] not in self._templates}
        if not missing or not self.connected:
            return
        # Lead the blob flights of what nobody reads yet: other threads missing the same
        # blobs wait for this round trip instead of sending their own.
        flights: list[tuple[str, int, _BlobFlight]] = []
        with self._blob_lock:
            for sha, size in sorted(missing):
                if sha not in self._blob_flights:
                    flight = self._blob_flights[sha] = _BlobFlight()
                    flights.append((sha, size, flight))
        if not flights:
            return
        blobs: list[object] = [None] * len(flights)
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for sha, _, _ in flights:
                    command(pipe, "GET", self.keys.blob(sha))
                blobs = pipe.execute()
        except redis.RedisError as exc:  # the loads that follow report it, one by one
            log.info("prefetch failed: %s", exc)
        finally:
            for (sha, size, flight), data in zip(flights, blobs, strict=True):
                if data is not None:
                    try:
                        flight.text = check_blob(sha, data, sha, size, self.max_component_bytes)
                    except StoreEntryError:
                        pass  # its load reads it again and raises an error naming the path
                    else:
                        self.file_reads += 1
                        self._remember(sha, flight.text)
                with self._blob_lock:
                    del self._blob_flights[sha]
                flight.lock.release()

    def warm(
        self, paths: Iterable[str], *, origin: str = "warmup", progress: Progress | None = None
    ) -> WarmupReport:
        """Load ``paths`` (no context), reading every missing blob in one pipelined trip."""
        todo = list(paths)
        try:
            manifest = self._current_manifest()
            self._prefetch(manifest, (p for p in todo if self.cache.peek(p, "") is None))
        except ComponentError as exc:
            log.warning("warm: %s; loading one at a time", exc)
        return super().warm(todo, origin=origin, progress=progress)

    @property
    def store_client(self) -> redis.Redis:
        """The redis-py client this loader reads blobs and the manifest with."""
        return self._client

    def drop_local(self) -> None:
        """Forget everything held locally (cached entries and raw templates); the next
        loads read the server again."""
        self._swap_manifest(self._manifest, drop_all=True)
        with self._blob_lock:
            self._templates.clear()
            self._template_bytes = 0

    def check_for_changes(self) -> None:
        """Nothing to do: the listener applies published changes as they happen."""

    # ----------------------------------------------------------------- listener callbacks

    def _fetch_manifest(self) -> Manifest | _Absent:
        try:
            raw = command(self._client, "GET", self.keys.manifest)
        except redis.RedisError as exc:
            raise translate(exc, self.address, "manifest") from None
        if raw is None:
            return _ABSENT
        return Manifest.decode(raw)

    def _swap_manifest(self, new: Manifest | _Absent | None, drop_all: bool) -> None:
        with self._fresh_lock:
            old = self._manifest
            self._manifest = new
            if (
                drop_all
                or not isinstance(old, Manifest)
                or not isinstance(new, Manifest)
                or old.template_format != new.template_format
            ):
                targets: set[str] = set(self.cache.paths()) | set(self._generation)
                self._compiled.clear()
            else:
                targets = {p for p, v in old.components.items() if new.components.get(p) != v}
                targets |= {p for p in new.components if p not in old.components}
                targets |= {
                    p
                    for p in set(old.includes) | set(new.includes)
                    if old.includes.get(p) != new.includes.get(p)
                }
                # Every component that includes a changed one, in either version's graph
                # and in what renders here have followed (dynamic includes too).
                targets |= _dependents((old.includes, new.includes), targets)
                targets |= self.graph.dependents(targets)
            for path in targets:
                self._generation[path] = self._generation.get(path, 0) + 1
                self.cache.invalidate(path, reason="published")
        if isinstance(new, Manifest):
            keep = {sha for sha, _ in new.components.values()}
            with self._blob_lock:
                for sha in [s for s in self._templates if s not in keep]:
                    self._template_bytes -= len(self._templates.pop(sha))

    def _refresh(self, drop_all: bool) -> None:
        try:
            new: Manifest | _Absent | None = self._fetch_manifest()
        except StoreEntryError as exc:
            log.error("%s; dropping every cached component", exc)
            new = None
        self._swap_manifest(new, drop_all)
        self.invalidations += 1

    def _on_connected(self) -> None:
        self.connected = True
        # Invalidations sent while we were away are lost: drop everything we hold.
        self._refresh(drop_all=True)
        if self.stale and self.disconnect_reason != "not connected yet":
            self.reconnects += 1
        self.stale = False
        self.disconnect_reason = ""

    def _on_invalidated(self, keys: list[bytes] | None) -> None:
        self._refresh(drop_all=keys is None)

    def _on_disconnected(self, reason: str) -> None:
        self.connected = False
        self.stale = True
        self.disconnect_reason = reason

    def _heartbeat(self) -> None:
        try:
            command(
                self._client,
                "SET",
                self.keys.heartbeat(self.worker_id),
                orjson.dumps(self.heartbeat()),
                "PX",
                int(self._heartbeat_s * HEARTBEAT_TTL_INTERVALS * 1000),
            )
        except redis.RedisError as exc:
            log.debug("heartbeat not written: %s", exc)

    def heartbeat(self) -> dict[str, Any]:
        """What this worker publishes about itself every ``heartbeat_s``."""
        snap = self.cache.snapshot(entry_limit=0)
        return {
            "worker": self.worker_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "namespace": self.namespace,
            "version": self.version,
            "hits": snap.hits,
            "misses": snap.misses,
            "entries": snap.size,
            "memory_bytes": snap.memory_bytes,
            "stale": self.stale,
            "started_at": self._started_at,
            "sent_at": now(),
            "stats_address": self.stats_address,
        }

    # ----------------------------------------------------------------- stats and closing

    def store_status(self) -> dict[str, Any]:
        """The connection as the stats and the app show it (the password never appears)."""
        return {
            "address": str(self.address),
            "namespace": self.namespace,
            "version": self.version,
            "connected": self.connected,
            "stale": self.stale,
            "disconnect_reason": self.disconnect_reason,
            "reconnects": self.reconnects,
            "invalidations": self.invalidations,
            "blob_reads": self.file_reads,
        }

    def get_performance_stats(self) -> dict[str, Any]:
        """The folder loader's statistics plus ``store`` (see ``store_status``)."""
        stats = super().get_performance_stats()
        stats["store"] = self.store_status()
        return stats

    def close(self) -> None:
        """Stop listening, withdraw the heartbeat and save usage counts (if a file is set)."""
        try:
            self.save_hot_usage()
        finally:
            self._listener.stop()
            if self.connected:
                with contextlib.suppress(redis.RedisError):
                    command(self._client, "DEL", self.keys.heartbeat(self.worker_id))
            self._client.close()
            if self._fallback is not None:
                self._fallback.close()
