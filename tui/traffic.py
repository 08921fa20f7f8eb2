"""Background demo traffic through the real loader, at an adjustable rate (no UI here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from promptcache import CachedComponentLoader, ComponentError
from promptcache.workloads import WORKLOADS, Request, WorkloadName, generate, request_universe

MAX_RATE = 50_000


@dataclass(frozen=True, slots=True)
class TrafficSettings:
    """What the traffic generator does; replaced whole when the user changes it."""

    workload: WorkloadName = "zipf"
    rate: int = 2_000
    skew: float = 1.1
    variants: int = 6
    seed: int = 7


@dataclass(frozen=True, slots=True)
class TrafficStatus:
    """What the traffic generator is doing, for the status line."""

    settings: TrafficSettings
    running: bool
    paused: bool
    requests: int
    errors: int
    actual_rate: float
    components: int


class TrafficRunner:
    """Sends requests from a seeded workload through ``loader`` on a daemon thread.

    Components that fail to load are reported once (through the cache's events) and
    then left out, so a broken file does not flood the event log.
    """

    def __init__(
        self,
        loader: CachedComponentLoader,
        settings: TrafficSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.loader = loader
        self._settings = settings or TrafficSettings()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._requests = 0
        self._errors = 0
        self._bad: set[str] = set()
        self._rate_window: list[tuple[float, int]] = []
        self._generation = 0
        self._stream: Iterator[Request] | None = None
        self._components = 0

    # ------------------------------------------------------------------ control

    @property
    def settings(self) -> TrafficSettings:
        """The current settings."""
        return self._settings

    @property
    def running(self) -> bool:
        """True while the thread runs (paused or not)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def paused(self) -> bool:
        """True while paused."""
        return not self._resume.is_set()

    def update(self, **changes: object) -> TrafficSettings:
        """Change settings (``workload``, ``rate``, ``skew``…); the stream restarts."""
        new = replace(self._settings, **changes)  # type: ignore[arg-type]
        if new.workload not in WORKLOADS:
            raise ValueError(f"unknown workload {new.workload!r}")
        new = replace(new, rate=max(1, min(MAX_RATE, int(new.rate))), skew=max(0.0, new.skew))
        with self._lock:
            self._settings = new
            self._generation += 1
        return new

    def start(self) -> None:
        """Start (or resume) the traffic."""
        self._resume.set()
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="promptcache-demo", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        self._resume.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._thread = None

    def toggle_pause(self) -> bool:
        """Pause or resume; returns True when now paused."""
        if self._resume.is_set():
            self._resume.clear()
        else:
            self._resume.set()
        return self.paused

    def status(self) -> TrafficStatus:
        """A snapshot of what the generator is doing."""
        with self._lock:
            window = list(self._rate_window)
            requests, errors = self._requests, self._errors
        rate = 0.0
        if len(window) >= 2 and window[-1][0] > window[0][0] and not self.paused:
            rate = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])
        return TrafficStatus(
            self._settings, self.running, self.paused, requests, errors, rate, self._components
        )

    # ------------------------------------------------------------------ work

    def _new_stream(self, settings: TrafficSettings) -> Iterator[Request]:
        paths = [p for p in self.loader.component_paths() if p not in self._bad]
        self._components = len(paths)
        universe = request_universe(paths, settings.variants)
        return generate(universe, settings.workload, skew=settings.skew, seed=settings.seed)

    def run_requests(self, count: int) -> int:
        """Send ``count`` requests now, on the calling thread; return how many failed."""
        with self._lock:
            settings, generation = self._settings, self._generation
        if self._stream is None or generation != getattr(self, "_stream_generation", -1):
            self._stream = self._new_stream(settings)
            self._stream_generation = generation
        load = self.loader.load_component
        failed = 0
        for _ in range(count):
            request = next(self._stream)
            try:
                load(request.path, request.context)
            except ComponentError:
                failed += 1
                self._bad.add(request.path)
                self._stream = self._new_stream(settings)  # the same, less the broken file
        with self._lock:
            self._requests += count
            self._errors += failed
        return failed

    def _run(self) -> None:
        tick = 0.02
        next_time = self._clock()
        while not self._stop.is_set():
            if not self._resume.is_set():
                self._resume.wait()
                next_time = self._clock()
                with self._lock:
                    self._rate_window.clear()
                continue
            batch = max(1, round(self._settings.rate * tick))
            self.run_requests(batch)
            now = self._clock()
            with self._lock:
                self._rate_window.append((now, self._requests))
                while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 2.0:
                    self._rate_window.pop(0)
            next_time += tick
            delay = next_time - now
            if delay > 0:
                self._sleep(delay)
            elif delay < -0.5:  # fell behind (rate beyond what the machine does): re-anchor
                next_time = now
