"""Replay a stream of requests through a real loader and cache, and measure what happened.

Requests are ``(path, context)`` pairs: from a synthetic workload (``promptcache.workloads``) or
from a trace file (``read_trace``). Every request goes through
``CachedComponentLoader.load``, so file reads, confinement, rendering and eviction are the
real ones. No UI here; the ``promptcache stats`` command prints the result.

Trace format (UTF-8 text), one request per line::

    # comments and blank lines are ignored
    components/reporting/weekly-status.md
    components/reporting/weekly-status.md<TAB>{"project_name": "Atlas", "max_words": 300}

A path relative to the component folder, optionally followed by a tab and a JSON object
of context variables (strings, numbers or booleans).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ComponentError, ComponentOutsideBaseError
from .files import read_small_file
from .loader import CachedComponentLoader
from .paths import resolve_inside
from .stats import percentile, ratio_percent

TraceRequest = tuple[str, dict[str, str]]
ReplayProgress = Callable[[int], None]
"""Called as ``progress(done)`` every ``progress_every`` requests and at the end."""

MAX_FAILED_PATHS = 20
"""Most distinct failing paths whose first error a result keeps."""


MAX_TRACE_BYTES = 256 << 20
"""The largest trace file read (256 MiB)."""


class TraceError(ComponentError):
    """A trace file cannot be used; the message says ``file:line: what``."""


# ---------------------------------------------------------------------- traces


def _context_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def parse_trace_line(text: str) -> TraceRequest | None:
    """One trace line as ``(path, context)``; None for a blank line or a comment.

    Raises ``ValueError`` with the reason when the line is malformed.
    """
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    path, tab, rest = text.partition("\t")
    path = path.strip()
    if not path:
        raise ValueError("the line has a context but no component path")
    if "\x00" in path:
        raise ValueError("the path contains a NUL byte")
    context: dict[str, str] = {}
    if tab and rest.strip():
        try:
            data = json.loads(rest)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the context is not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise ValueError("the context is nested too deeply") from None
        except ValueError as exc:  # a number over Python's digit limit
            raise ValueError(f"the context is not usable ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError(f"the context must be a JSON object, not {type(data).__name__}")
        for key, value in data.items():
            converted = _context_value(value)
            if converted is None:
                raise ValueError(
                    f"context variable {key!r} must be a string, number or boolean, "
                    f"not {type(value).__name__}"
                )
            context[key] = converted
    return path, context


def read_trace(
    trace_file: str | os.PathLike[str], base: str | os.PathLike[str] | None = None
) -> list[TraceRequest]:
    """Every request of a trace file, in order.

    With ``base`` (the component folder), every distinct path is also checked to stay
    inside it. Raises ``TraceError`` naming ``file:line`` for a bad line, a path outside
    the folder, or text that is not UTF-8; ``file`` alone when it cannot be read.
    """
    path = Path(trace_file)
    try:
        data = read_small_file(path, MAX_TRACE_BYTES, "a trace file")
    except FileNotFoundError:
        raise TraceError(f"{path}: no such trace file", str(path)) from None
    except ComponentError as exc:
        raise TraceError(str(exc), str(path)) from None
    root = Path(base).resolve() if base is not None else None
    checked: set[str] = set()
    requests: list[TraceRequest] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError as exc:
            raise TraceError(
                f"{path}:{number}: not UTF-8 text (byte 0x{raw[exc.start]:02x})", str(path)
            ) from None
        try:
            request = parse_trace_line(line)
        except ValueError as exc:
            raise TraceError(f"{path}:{number}: {exc}", str(path)) from None
        if request is None:
            continue
        if root is not None and request[0] not in checked:
            try:
                resolve_inside(root, request[0])
            except ComponentError as exc:
                raise TraceError(f"{path}:{number}: {exc}", str(path)) from None
            checked.add(request[0])
        requests.append(request)
    return requests


# ---------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Durations in milliseconds: median, 95th and 99th percentiles, mean and maximum."""

    count: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0

    @classmethod
    def of(cls, seconds: list[float]) -> Percentiles:
        """The percentiles of ``seconds`` (sorted in place)."""
        if not seconds:
            return cls()
        seconds.sort()
        return cls(
            len(seconds),
            percentile(seconds, 0.50) * 1000,
            percentile(seconds, 0.95) * 1000,
            percentile(seconds, 0.99) * 1000,
            sum(seconds) / len(seconds) * 1000,
            seconds[-1] * 1000,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, rounded to the microsecond."""
        return {
            "count": self.count,
            "p50_ms": round(self.p50_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
            "max_ms": round(self.max_ms, 3),
        }


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One phase of a replay: ``requests`` consecutive requests starting at ``start``."""

    index: int
    start: int
    requests: int
    hits: int
    failures: int

    @property
    def misses(self) -> int:
        """Requests the cache did not serve (failed loads included)."""
        return self.requests - self.hits

    @property
    def hit_ratio(self) -> float:
        """Hits per request, in percent."""
        return ratio_percent(self.hits, self.requests)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "index": self.index,
            "start": self.start,
            "requests": self.requests,
            "hits": self.hits,
            "misses": self.misses,
            "failures": self.failures,
            "hit_ratio": round(self.hit_ratio, 2),
        }


@dataclass(frozen=True)
class ReplayResult:
    """What a replay measured. Hit ratios count every request; a failed load is a miss."""

    requests: int
    hits: int
    failures: int
    phases: tuple[PhaseResult, ...]
    evictions: Mapping[str, int]
    rejected: int
    memory_bytes: int
    peak_memory_bytes: int
    max_memory_bytes: int
    entries: int
    max_size: int
    latency: Mapping[str, Percentiles]
    """Time per request by outcome: ``all``, ``hit`` and ``miss`` (cold loads that worked)."""
    seconds: float
    failed_paths: Mapping[str, str] = field(default_factory=dict)
    """The first error of up to ``MAX_FAILED_PATHS`` distinct failing paths."""

    @property
    def misses(self) -> int:
        """Requests the cache did not serve (failed loads included)."""
        return self.requests - self.hits

    @property
    def hit_ratio(self) -> float:
        """Lifetime hits per request, in percent."""
        return ratio_percent(self.hits, self.requests)

    @property
    def total_evictions(self) -> int:
        """Evictions of every reason."""
        return sum(self.evictions.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "requests": self.requests,
            "hits": self.hits,
            "misses": self.misses,
            "failures": self.failures,
            "hit_ratio": round(self.hit_ratio, 2),
            "phases": [p.to_dict() for p in self.phases],
            "evictions": dict(self.evictions),
            "rejected": self.rejected,
            "memory": {
                "bytes": self.memory_bytes,
                "peak_bytes": self.peak_memory_bytes,
                "max_bytes": self.max_memory_bytes,
                "entries": self.entries,
                "max_entries": self.max_size,
            },
            "latency": {name: p.to_dict() for name, p in self.latency.items()},
            "seconds": round(self.seconds, 3),
            "failed_paths": dict(self.failed_paths),
        }


# ---------------------------------------------------------------------- replaying


def replay(
    loader: CachedComponentLoader,
    requests: Iterable[tuple[str, Mapping[str, Any] | None]],
    *,
    phase_size: int | None = None,
    progress: ReplayProgress | None = None,
    progress_every: int = 1000,
) -> ReplayResult:
    """Send every request through ``loader`` and measure hits, evictions, memory and times.

    ``phase_size``: requests per phase for the per-phase hit ratios (one phase if None).
    Failed loads (``ComponentError``) are counted and the replay goes on, except for a
    path outside the folder, which is raised: it is bad input, not a measurement.
    """
    if phase_size is not None and phase_size < 1:
        raise ValueError(f"phase_size must be at least 1, not {phase_size}")
    if progress_every < 1:
        raise ValueError(f"progress_every must be at least 1, not {progress_every}")
    cache = loader.cache
    before = cache.snapshot(entry_limit=0)
    load = loader.load
    clock = time.perf_counter
    hit_times: list[float] = []
    miss_times: list[float] = []
    all_times: list[float] = []
    failed_paths: dict[str, str] = {}
    phases: list[PhaseResult] = []
    count = hits = failures = 0
    phase_start = phase_hits = phase_failures = 0
    peak = cache.memory_bytes
    started = clock()
    for path, context in requests:
        t0 = clock()
        try:
            result = load(path, context)
        except ComponentOutsideBaseError:
            raise
        except ComponentError as exc:
            elapsed = clock() - t0
            failures += 1
            phase_failures += 1
            if path not in failed_paths and len(failed_paths) < MAX_FAILED_PATHS:
                failed_paths[path] = str(exc)
        else:
            elapsed = clock() - t0
            if result.hit:
                hits += 1
                phase_hits += 1
                hit_times.append(elapsed)
            else:
                miss_times.append(elapsed)
                memory = cache.memory_bytes
                if memory > peak:
                    peak = memory
        all_times.append(elapsed)
        count += 1
        if phase_size is not None and count - phase_start == phase_size:
            phases.append(
                PhaseResult(len(phases) + 1, phase_start, phase_size, phase_hits, phase_failures)
            )
            phase_start, phase_hits, phase_failures = count, 0, 0
        if progress is not None and count % progress_every == 0:
            progress(count)
    seconds = clock() - started
    if count > phase_start or not phases:
        phases.append(
            PhaseResult(
                len(phases) + 1, phase_start, count - phase_start, phase_hits, phase_failures
            )
        )
    if progress is not None and count % progress_every:
        progress(count)
    after = cache.snapshot(entry_limit=0)
    evictions = {
        reason: after.evictions.get(reason, 0) - before.evictions.get(reason, 0)
        for reason in after.evictions
    }
    return ReplayResult(
        requests=count,
        hits=hits,
        failures=failures,
        phases=tuple(phases),
        evictions=evictions,
        rejected=after.rejected - before.rejected,
        memory_bytes=after.memory_bytes,
        peak_memory_bytes=max(peak, after.memory_bytes),
        max_memory_bytes=after.max_memory_bytes,
        entries=after.size,
        max_size=after.max_size,
        latency={
            "all": Percentiles.of(all_times),
            "hit": Percentiles.of(hit_times),
            "miss": Percentiles.of(miss_times),
        },
        seconds=seconds,
        failed_paths=failed_paths,
    )
