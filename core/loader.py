"""Load components from a folder through a ComponentCache, filling their variables."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .cache import MIB, ComponentCache
from .dialects import (
    Compiled,
    IncludeGraph,
    SourceFile,
    Templates,
    make_source,
    read_folder_default,
)
from .dialects.report import ComponentReport, build_report
from .errors import (
    ComponentError,
    ComponentNotFoundError,
    ComponentNotTextError,
    ComponentTooLargeError,
    EntryTooLargeError,
)
from .hot_usage import read_usage, top_paths, write_usage
from .paths import (
    check_component_path,
    list_components,
    open_component_at,
    open_folder,
    read_limited,
)
from .template import render
from .watcher import InotifyTracker, StatTracker

log = logging.getLogger(__name__)

MAX_USAGE_PATHS = 10_000
"""Most distinct paths whose use is counted between two saves of the hot-usage file."""

MAX_GENERATIONS = 100_000
"""Paths whose change count is remembered; past it, all are forgotten (a new epoch)."""

MAX_STAT_PATHS = 10_000
"""Paths checked with os.stat because inotify cannot watch them; past it, all are."""

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, path)`` while warming up."""


def context_key(context_vars: Mapping[str, Any] | None) -> Hashable:
    """The exact cache key of a context: the set of (name, rendered value) pairs.

    Two contexts share a key exactly when they render every template the same way.
    """
    if not context_vars:
        return ""
    items = context_vars.items()
    for name, value in items:  # the common all-str case needs no conversion
        if type(value) is not str or type(name) is not str:
            return frozenset((str(k), str(v)) for k, v in items)
    return frozenset(items)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A load as a debugger sees it: the content, whether it was a hit, and how long it took."""

    content: str
    hit: bool
    seconds: float


@dataclass(frozen=True)
class WarmupReport:
    """What a preload or warmup did: loaded, already cached, and failed with why."""

    loaded: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


_Generation = tuple[int, int]
"""(the loader's epoch, the path's generation): changes when the file may have changed."""


class _Flight:
    __slots__ = (
        "done",
        "error",
        "generation",
        "open_failed",
        "opened",
        "reading",
        "result",
        "signature",
    )

    def __init__(self, generation: _Generation) -> None:
        self.done = threading.Event()
        self.result: str | None = None
        self.error: BaseException | None = None
        self.generation = generation
        self.reading = False
        """True from just before the leader opens the file."""
        self.open_failed = False
        self.opened = threading.Event()
        """Set once ``signature`` is known (or the open failed)."""
        self.signature: tuple[int, int, int, int] | None = None
        """The trusted stat signature of what the leader opened (stat mode)."""


class CachedComponentLoader:
    """Reads components under ``base_path`` through ``cache``, never outside it.

    Args:
        base_path: The component folder, or a ``redis://``/``rediss://`` URL of a shared
            store that ``promptcache publish`` filled (see ``promptcache.fleet``).
        cache: The cache to fill.
        namespace: With a URL: which published set to read (default ``"default"``).
        fallback: With a URL: a folder to read from while the server is unreachable.
        hot_usage_file: Where usage counts persist; ``preload_components`` uses it.
        max_component_bytes: Larger files are refused.
        hot_top_n: How many of the most used paths ``preload_components`` loads.
        watch: ``"auto"`` (inotify where available, else stat), ``"inotify"`` or ``"stat"``.
        timer: Measures load durations (``time.perf_counter``); injectable for tests.
    """

    folder_default: str | None = None
    """``template_format`` of the folder's ``.promptcache.toml`` (None: ``{name}``)."""
    _scanned = False

    # Created in __init__; lazily for subclasses that build their own state (the fleet's
    # store-backed loader), so that inspections work there too.
    @cached_property
    def graph(self) -> IncludeGraph:
        """Which component includes which, as far as loads and inspections have seen."""
        return IncludeGraph()

    @cached_property
    def _dialects(self) -> Templates:
        return Templates(self)

    @cached_property
    def _compiled(self) -> dict[str, Compiled]:
        return {}

    @cached_property
    def _sources(self) -> dict[str, tuple[_Generation, SourceFile]]:
        return {}

    @cached_property
    def _sources_lock(self) -> threading.Lock:
        return threading.Lock()

    def __new__(cls, base_path: str | os.PathLike[str], *_args: Any, **_kwargs: Any) -> Any:
        # The seam for the shared store: a redis:// or rediss:// URL in place of the folder
        # builds the store-backed subclass (promptcache.fleet), which needs the redis extra.
        if cls is CachedComponentLoader and isinstance(base_path, str) and "://" in base_path:
            from .fleet import remote_loader_class

            return super().__new__(remote_loader_class(base_path))
        return super().__new__(cls)

    watch_overflows: int = 0
    """How many times a flood of file events made the loader drop everything cached."""

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
    ) -> None:
        if namespace is not None or fallback is not None:
            raise ValueError("namespace and fallback apply to a redis:// URL, not to a folder")
        base = Path(base_path)
        if not base.is_dir():
            raise ComponentNotFoundError(f"{base}: component folder does not exist", str(base))
        self.base_path = base.resolve()
        self._base_str = str(self.base_path)
        self.cache = cache
        self.max_component_bytes = max_component_bytes
        self.hot_top_n = hot_top_n
        self.hot_usage_file = Path(hot_usage_file) if hot_usage_file is not None else None
        self._timer = timer
        self.load_times: dict[str, float] = {}
        self.file_reads = 0
        self.usage: dict[str, int] = {}
        """Requests per component path since the last ``save_hot_usage``."""
        self._generation: dict[str, int] = {}
        self._epoch = 0
        self._stat_paths: set[str] = set()
        """Paths inotify could not watch (inotify mode): checked with os.stat instead."""
        self.watch_overflows = 0
        self._fresh_lock = threading.Lock()
        self._flight_lock = threading.Lock()
        self._inflight: dict[tuple[str, Hashable], _Flight] = {}
        self._inotify: InotifyTracker | None = None
        self._poll: Callable[[int], list[tuple[int, int]]] | None = None
        self._stat = StatTracker()
        self.folder_default = read_folder_default(self.base_path)
        """``template_format`` of the folder's ``.promptcache.toml`` (None: ``{name}``)."""
        self.graph = IncludeGraph()
        self._dialects = Templates(self)
        self._compiled = {}
        self._sources = {}
        self._sources_lock = threading.Lock()
        self._base_fd = open_folder(self.base_path)
        self._close_base = weakref.finalize(self, os.close, self._base_fd)
        if watch not in ("auto", "inotify", "stat"):
            raise ValueError(f"watch must be 'auto', 'inotify' or 'stat', not {watch!r}")
        if watch != "stat":
            try:
                self._inotify = InotifyTracker()
                self._poll = self._inotify.poll
            except OSError as exc:
                if watch == "inotify":
                    raise
                log.info("inotify unavailable (%s); checking files with os.stat", exc)

    @property
    def watch_mode(self) -> str:
        """``inotify`` or ``stat``: how changed files are noticed."""
        return "inotify" if self._inotify is not None else "stat"

    # ----------------------------------------------------------------- loading

    def load_component(
        self, component_path: str, context_vars: Mapping[str, Any] | None = None
    ) -> str:
        """Return the component rendered with ``context_vars``, from the cache when fresh.

        Raises a ``ComponentError`` subclass naming the path for a path outside the folder,
        a missing file, a directory, a file that is not UTF-8 text, or one too large.
        """
        poll = self._poll
        if poll is not None:
            pending: list[tuple[int, int]] | bool
            try:
                pending = poll(0)
            except RuntimeError:  # a select.poll object refuses concurrent use: assume events
                pending = True
            # A locked fresh lock may mean another thread has read events (poll is empty
            # now) but not yet invalidated their entries: wait for it rather than hit.
            if pending or self._fresh_lock.locked():
                self._sync_changes()
        elif self._stat.changed(component_path):
            self._invalidate({component_path})
        if (
            self._stat_paths
            and component_path in self._stat_paths
            and self._stat.changed(component_path)
        ):
            self._invalidate({component_path})
        if self.graph:
            deps = self.graph.closure(component_path)
            if deps:
                self._check_stat(deps)
        ctx = context_key(context_vars)
        entry = self.cache.get(component_path, ctx)
        usage = self.usage
        if entry is not None:
            usage[component_path] = usage.get(component_path, 0) + 1
            return entry.content
        content = self._load_single_flight(component_path, context_vars, ctx, "request")
        # Only loads that worked count, and the table of paths stays bounded.
        if component_path in usage or len(usage) < MAX_USAGE_PATHS:
            usage[component_path] = usage.get(component_path, 0) + 1
        return content

    def load(
        self, component_path: str, context_vars: Mapping[str, Any] | None = None
    ) -> LoadResult:
        """Like ``load_component``, but also say whether the cache served it."""
        started = self._timer()
        ctx = context_key(context_vars)
        before = self.cache.peek(component_path, ctx)
        content = self.load_component(component_path, context_vars)
        after = self.cache.peek(component_path, ctx)
        hit = before is not None and after is before
        return LoadResult(content, hit, self._timer() - started)

    def _generation_of(self, component_path: str) -> _Generation:
        return (self._epoch, self._generation.get(component_path, 0))

    def _flight_for(self, key: tuple[str, Hashable]) -> tuple[_Flight, bool]:
        """The flight to join, or a new one to lead: ``(flight, leader)``.

        A flight is joined only when it cannot have read older content than a write that
        finished before this call (the caller has applied every change it could see):
        its generation is unchanged and it has not opened the file yet; or, in inotify
        mode, the generation alone; or, in stat mode, the file still has the (trusted)
        signature the flight opened.
        """
        component_path = key[0]
        mine: tuple[int, int, int, int] | bool | None = False  # False: not taken yet
        missing = False
        waited: _Flight | None = None
        while True:
            with self._flight_lock:
                if waited is None:
                    flight = self._inflight.get(key)
                else:  # judge the flight waited on, even if it has landed since
                    flight, waited = waited, None
                generation = self._generation_of(component_path)
                if flight is not None and flight.generation == generation:
                    if not flight.reading or (
                        self._inotify is not None and component_path not in self._stat_paths
                    ):
                        return flight, False
                    if flight.opened.is_set() and mine is not False:
                        if mine is not None and flight.signature == mine:
                            return flight, False
                        if flight.open_failed and missing:
                            return flight, False  # both found nothing there: share the error
                        flight = None
                if flight is None or flight.generation != generation:
                    flight = self._inflight[key] = _Flight(generation)
                    return flight, True
            if mine is False:
                try:
                    named = os.path.join(self._base_str, component_path)
                    mine = self._stat.signature_of(os.stat(named))
                except OSError:
                    mine = None
                    missing = True
            flight.opened.wait()
            waited = flight

    def _load_single_flight(
        self,
        component_path: str,
        context_vars: Mapping[str, Any] | None,
        ctx: Hashable,
        origin: str,
    ) -> str:
        key = (component_path, ctx)
        flight, leader = self._flight_for(key)
        assert flight is not None
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            assert flight.result is not None
            return flight.result
        try:
            # A flight for this key may have landed between our miss and now.
            landed = self.cache.peek(component_path, ctx)
            if landed is not None:
                flight.result = landed.content
                return flight.result
            flight.result = self._load_flight(component_path, context_vars, ctx, origin, flight)
            return flight.result
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._flight_lock:
                if self._inflight.get(key) is flight:
                    del self._inflight[key]
            flight.opened.set()
            flight.done.set()

    def _load_cold(
        self,
        component_path: str,
        context_vars: Mapping[str, Any] | None,
        ctx: Hashable,
        origin: str,
    ) -> str:
        """One read and render outside any single flight (subclasses override it)."""
        flight = _Flight(self._generation_of(component_path))
        return self._load_flight(component_path, context_vars, ctx, origin, flight)

    def _load_flight(
        self,
        component_path: str,
        context_vars: Mapping[str, Any] | None,
        ctx: Hashable,
        origin: str,
        flight: _Flight,
    ) -> str:
        started = self._timer()
        generation = flight.generation
        named = ""
        try:
            check_component_path(self.base_path, component_path)
            named = os.path.join(self._base_str, component_path)
            inotify = self._inotify
            if inotify is not None:
                # Watch the folders on the way before opening, so that a rename after the
                # open is reported.
                link = os.path.normpath(named)
                try:
                    inotify.track(component_path, (link,), self._base_str)
                except OSError as exc:
                    self._watch_failed(component_path, exc)
            flight.reading = True
            try:
                fd, st = open_component_at(self._base_fd, component_path, base_name=self._base_str)
            except BaseException:
                flight.open_failed = True
                flight.opened.set()  # waiters then see no signature: they read themselves
                raise
            try:
                sig = self._stat.signature_of(st)
                if sig is not None:
                    try:
                        # Trust the signature only while the name still leads to this file.
                        if self._stat.signature_of(os.stat(named)) != sig:
                            sig = None
                    except OSError:
                        sig = None
                flight.signature = sig
                flight.opened.set()
                if inotify is not None and component_path not in self._stat_paths:
                    self._watch_opened(inotify, component_path, fd, st)
                template = self._decode(component_path, self._read_fd(component_path, fd, st))
            finally:
                os.close(fd)
            content, dep_generations = self._render_text(component_path, template, context_vars)
        except ComponentError as exc:
            if self._inotify is not None:
                self._inotify.untrack(component_path)  # failures are not cached
            self.cache.record_load(component_path, self._timer() - started, str(exc))
            raise
        elapsed = self._timer() - started
        metadata = {
            "component_path": component_path,
            "load_time": elapsed,
            "file_size": len(content),
            "context_applied": bool(context_vars),
        }
        if origin == "preload":
            metadata["preloaded"] = True
        elif origin == "warmup":
            metadata["warmed_up"] = True
        with self._fresh_lock:
            if self._events_waiting():
                self._drain_locked()
            fresh = self._generation_of(component_path) == generation and all(
                self._generation_of(dep) == gen for dep, gen in dep_generations.items()
            )
            if fresh:
                try:
                    self.cache.put(component_path, content, metadata, ctx, origin=origin)
                except EntryTooLargeError as exc:
                    log.warning("not cached: %s", exc)
                if self._inotify is None or component_path in self._stat_paths:
                    self._stat.track(component_path, named, sig)
        self.cache.record_load(component_path, elapsed)
        self.load_times[component_path] = elapsed
        return content

    def _render_text(
        self, component_path: str, text: str, context_vars: Mapping[str, Any] | None
    ) -> tuple[str, dict[str, Hashable]]:
        """Render a file's text in its dialect; also the generations of the includes used.

        Today's ``{name}`` files (no frontmatter) take the old path exactly. Others are
        compiled once per version of their text and rendered strictly.
        """
        compiled = self._compiled.get(component_path)
        if compiled is None or compiled.source.text != text:
            source = make_source(component_path, text, self.folder_default)
            if source.plain:
                return render(text, context_vars), {}
            compiled = self._dialects.compile(source)
            self._compiled[component_path] = compiled
        dep_generations: dict[str, Hashable] = {}
        if compiled.analysis.includes:
            walk = self._dialects.walk(compiled.source, compiled.analysis)
            for includer, targets in walk.edges.items():
                self.graph.set_includes(includer, targets)
            for dep, (dep_source, _analysis) in walk.analyses.items():
                if dep != component_path:
                    dep_generations[dep] = dep_source.version
            error = walk.first_error()
            if error is not None:
                raise error
        elif self.graph.includes(component_path):
            self.graph.set_includes(component_path, ())
        return self._dialects.render(compiled, context_vars), dep_generations

    # ------------------------------------------------- includes (the IncludeResolver)

    def source(self, path: str) -> SourceFile:
        """``path`` split into frontmatter and body, with its dialect; read once per version.

        Includes and inspections read here, through ``read_template``'s confined read; the
        file is watched before it is read, so a later change invalidates its dependents.
        """
        watched = hasattr(self, "_base_str")  # a folder (not the fleet's store)
        if self._poll is not None:
            if self._events_waiting() or self._fresh_lock.locked():
                self._sync_changes()
        elif watched:
            self._check_stat((path,))
        gen = self._generation_of(path)
        with self._sources_lock:
            stored = self._sources.get(path)
        if stored is not None and stored[0] == gen:
            return stored[1]
        if watched:
            self._watch(path)
        text = self.read_template(path)
        source = replace(make_source(path, text, self.folder_default), version=gen)
        with self._sources_lock:
            self._sources[path] = (gen, source)
        return source

    def _check_stat(self, paths: Iterable[str]) -> None:
        # Under the lock, so that no load sees a change noticed (and forgotten) by another
        # thread before that thread has invalidated what depends on it.
        with self._fresh_lock:
            changed = {path for path in paths if self._stat.changed(path)}
            if changed:
                self._invalidate(changed)

    def exists(self, path: str) -> bool:
        """True when ``path`` is a readable component file inside the folder."""
        try:
            self.source(path)
        except ComponentError:
            return False
        return True

    def current(self, source: SourceFile) -> Callable[[], bool]:
        """A test that ``source`` (from ``source()``) is still the file's version."""
        path, gen = source.path, source.version
        return lambda: self._generation_of(path) == gen

    def _watch(self, path: str) -> None:
        """Watch a file read for an include or an inspection, as loads watch theirs."""
        named = os.path.join(self._base_str, path)
        inotify = self._inotify
        if inotify is not None:
            try:
                inotify.track(path, (os.path.normpath(named),), self._base_str)
            except OSError as exc:
                self._watch_failed(path, exc)
        if self._inotify is None or path in self._stat_paths:
            self._stat.track(path, named, self._stat.signature_now(named))

    def inspect(
        self,
        component_path: str,
        context: Mapping[str, Any] | None = None,
        *,
        variable_sets: Mapping[str, Mapping[str, Any]] | None = None,
        given: Iterable[str] = (),
    ) -> ComponentReport:
        """Dialect, frontmatter, includes, variables and problems of a component.

        With ``context``: missing variables and unused ``given`` names; with
        ``variable_sets``: a strict render per set. Raises ``ComponentError`` when the
        file itself cannot be read.
        """
        source = self.source(component_path)
        report = build_report(
            self._dialects,
            source,
            context=context,
            variable_sets=variable_sets,
            given=tuple(given),
        )
        for includer, targets in report.walk.edges.items():
            self.graph.set_includes(includer, targets)
        return report

    def preview(self, component_path: str, context: Mapping[str, Any] | None = None) -> str:
        """A lenient render for display only (never cached): undefined values stay
        visible in Jinja2 (``{{ name }}``) and render empty in Mustache."""
        return self._dialects.preview(self._dialects.compile(self.source(component_path)), context)

    def included_by(self, component_path: str) -> tuple[str, ...]:
        """Components of the folder that include ``component_path`` (directly), sorted.

        The first call reads the whole folder once (the browser asks from a worker
        thread); later calls use the include graph, which every load and inspection keeps
        up to date for the files it reads.
        """
        if self._scanned:
            return self.graph.included_by(component_path)
        self._scanned = True
        for path in self.component_paths():
            try:
                source = self.source(path)
            except ComponentError:
                continue
            if source.plain:
                continue
            analysis = self._dialects.analyze(source)
            targets = [
                self._dialects.resolve(name, path, source.dialect) or name
                for name, _line, _col in analysis.includes
            ]
            self.graph.set_includes(path, targets)
        return self.graph.included_by(component_path)

    def _watch_opened(
        self, inotify: InotifyTracker, component_path: str, fd: int, st: os.stat_result
    ) -> None:
        """Watch the opened file itself and the folders where it really lives."""
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
            inotify.track(component_path, (real,), self._base_str)
            inotify.track_open_file(component_path, fd)
            # Renamed away between the open and the watches above: no event will come,
            # so this load must not cache what it reads.
            try:
                now = os.stat(real, follow_symlinks=False)
                moved = (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev)
            except FileNotFoundError:  # "... (deleted)": unlinked since the open
                moved = True
            if moved:
                with self._fresh_lock:
                    self._invalidate({component_path})
        except OSError as exc:
            self._watch_failed(component_path, exc)

    def _watch_failed(self, component_path: str, exc: OSError) -> None:
        """One path inotify cannot watch is checked with os.stat; the others keep inotify."""
        if len(self._stat_paths) >= MAX_STAT_PATHS:
            log.warning("%s; falling back to os.stat checks for every file", exc)
            self._stop_inotify()
            self._invalidate(None)
        elif component_path not in self._stat_paths:
            log.warning("%s; checking %s with os.stat", exc, component_path)
            with self._fresh_lock:
                self._stat_paths.add(component_path)
                self._invalidate({component_path})

    def _read_fd(self, component_path: str, fd: int, st: os.stat_result) -> bytes:
        if st.st_size > self.max_component_bytes:
            raise ComponentTooLargeError(
                f"{component_path}: {st.st_size:,} bytes is over the "
                f"{self.max_component_bytes:,}-byte limit for one component",
                component_path,
            )
        data = read_limited(fd, self.max_component_bytes, component_path)
        self.file_reads += 1
        return data

    def _decode(self, component_path: str, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ComponentNotTextError(
                f"{component_path}: not UTF-8 text "
                f"(byte 0x{data[exc.start]:02x} at offset {exc.start})",
                component_path,
            ) from None

    def read_template(self, component_path: str) -> str:
        """The raw template text, read through the same checks (not cached, not counted)."""
        fd, st = open_component_at(self._base_fd, component_path, base_name=self._base_str)
        try:
            data = self._read_fd(component_path, fd, st)
        finally:
            os.close(fd)
        return self._decode(component_path, data)

    # ----------------------------------------------------------------- freshness

    def _events_waiting(self) -> bool:
        inotify = self._inotify
        if inotify is None:
            return False
        try:
            return bool(inotify.poll(0))
        except RuntimeError:  # another thread is polling the same object: drain to be sure
            return True

    def _sync_changes(self) -> None:
        with self._fresh_lock:
            self._drain_locked()

    def _drain_locked(self) -> None:
        inotify = self._inotify
        if inotify is not None:  # None once closed
            changed = inotify.drain()
            if changed is None:
                self.watch_overflows += 1
            self._invalidate(changed)

    def _invalidate(self, paths: set[str] | None) -> None:
        """Drop every cached variant of ``paths`` (None: of every file) and bump generations."""
        if paths is None:
            # Loads in flight compare the epoch too: none of them may cache what it read.
            self._epoch += 1
            self._generation.clear()
            for path in self.cache.paths():
                self.cache.invalidate(path, reason="file changed")
            return
        if len(self._generation) > MAX_GENERATIONS:
            self._epoch += 1  # forget them all at once: in-flight loads then do not cache
            self._generation.clear()
        targets = set(paths)
        if self.graph:
            targets |= self.graph.dependents(targets)
        for path in targets:
            self._generation[path] = self._generation.get(path, 0) + 1
            self.cache.invalidate(path, reason="file changed")

    def invalidate_files(self, paths: Iterable[str]) -> None:
        """Forget ``paths`` (relative to the folder): every cached variant, and any load of
        them in flight. For callers that learn of changes first (a folder watcher)."""
        with self._fresh_lock:
            self._invalidate(set(paths))

    def check_for_changes(self) -> None:
        """Apply pending file changes now (loads do this themselves)."""
        if self._inotify is not None and self._events_waiting():
            self._sync_changes()
        if self._inotify is None or self._stat_paths:
            for path in list(self.cache.paths() | self.graph.known()):
                if (self._inotify is None or path in self._stat_paths) and self._stat.changed(path):
                    with self._fresh_lock:
                        self._invalidate({path})

    # ----------------------------------------------------------------- warming

    def component_paths(self) -> list[str]:
        """Every component file in the folder, as sorted POSIX paths relative to it."""
        return list_components(self.base_path)

    def warm(
        self, paths: Iterable[str], *, origin: str = "warmup", progress: Progress | None = None
    ) -> WarmupReport:
        """Load ``paths`` (no context) into the cache without counting them as requests.

        Keeps going past failures; the report says what loaded and why others failed.
        """
        todo = list(paths)
        loaded: list[str] = []
        skipped: list[str] = []
        failed: dict[str, str] = {}
        for done, path in enumerate(todo, start=1):
            if self.cache.peek(path, "") is not None:
                skipped.append(path)
            else:
                try:
                    self._load_single_flight(path, None, "", origin)
                    loaded.append(path)
                except ComponentError as exc:
                    failed[path] = str(exc)
                    log.warning("%s failed: %s", origin, exc)
            if progress is not None:
                progress(done, len(todo), path)
        return WarmupReport(tuple(loaded), tuple(skipped), failed)

    def hot_paths(self) -> list[str]:
        """The paths ``preload_components`` loads: learned ones if saved, else the hot list."""
        if self.hot_usage_file is not None:
            try:
                counts = read_usage(self.hot_usage_file)
            except ComponentError as exc:
                log.warning("%s; using the default hot list", exc)
                counts = {}
            if counts:
                return top_paths(counts, min(self.hot_top_n, self.cache.max_size))
        hot = self.cache.hot_components
        return sorted(hot, key=lambda p: -hot[p])

    def preload_components(self) -> WarmupReport:
        """Preload the most used components (learned, or the default hot list)."""
        return self.warm(self.hot_paths(), origin="preload")

    def save_hot_usage(self) -> Path | None:
        """Merge this run's usage into the hot-usage file, atomically; return its path."""
        if self.hot_usage_file is None:
            return None
        try:
            counts = read_usage(self.hot_usage_file)
        except ComponentError as exc:
            log.warning("%s; overwriting it", exc)
            counts = {}
        usage, self.usage = self.usage, {}
        for path, n in usage.items():
            counts[path] = counts.get(path, 0) + n
        write_usage(self.hot_usage_file, counts)
        return self.hot_usage_file

    # ----------------------------------------------------------------- stats

    def get_performance_stats(self) -> dict[str, Any]:
        """Loader statistics (the original keys) with the cache's statistics inside."""
        stats = self.cache.get_stats()
        times = list(self.load_times.values())
        return {
            "average_load_time_ms": round(sum(times) / len(times) * 1000, 2) if times else 0,
            "total_components_loaded": len(times),
            "cache_stats": stats,
            "file_reads": self.file_reads,
            "load_failures": stats["load_failures"],
            "load_time_p50_ms": stats["load_time_p50_ms"],
            "load_time_p95_ms": stats["load_time_p95_ms"],
            "load_time_p99_ms": stats["load_time_p99_ms"],
            "watch_mode": self.watch_mode,
            "watch_overflows": self.watch_overflows,
            "tracked_paths": self._inotify.tracked if self._inotify is not None else 0,
        }

    def close(self) -> None:
        """Save usage counts (if a file is set; a failure is logged) and stop watching files."""
        try:
            self.save_hot_usage()
        except (ComponentError, OSError) as exc:
            log.warning("hot usage not saved: %s", exc)
        finally:
            self._stop_inotify()
            self._close_base()

    def _stop_inotify(self) -> None:
        if self._inotify is not None:
            self._poll = None
            self._inotify.close()
            self._inotify = None

    def __enter__(self) -> CachedComponentLoader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
