"""Belady's OPT: the hit ratio no policy can beat, computed offline from the whole trace."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterator, Sequence

NEVER = 1 << 62


def next_uses(trace: Sequence[Hashable]) -> list[int]:
    """For each position, the position of the same key's next request (``NEVER`` if none)."""
    following: list[int] = [NEVER] * len(trace)
    seen: dict[Hashable, int] = {}
    for i in range(len(trace) - 1, -1, -1):
        key = trace[i]
        following[i] = seen.get(key, NEVER)
        seen[key] = i
    return following


def opt_hits(
    trace: Sequence[Hashable],
    capacity: int,
    *,
    progress: Callable[[int], object] | None = None,
) -> Iterator[bool]:
    """Whether each request of ``trace`` hits a cache of ``capacity`` entries run by
    Belady's MIN: on a miss, the key needed furthest in the future (possibly the missing
    key itself) is the one left out."""
    if capacity < 1:
        raise ValueError(f"capacity must be at least 1, not {capacity!r}")
    following = next_uses(trace)
    resident: dict[Hashable, int] = {}  # key -> its next use
    heap: list[tuple[int, int]] = []  # (-next use, position of the key), stale rows skipped
    for i, key in enumerate(trace):
        if progress is not None and not i & 0x3FFF:
            progress(i)
        upcoming = following[i]
        if key in resident:
            resident[key] = upcoming
            heapq.heappush(heap, (-upcoming, i))
            yield True
            continue
        yield False
        if upcoming == NEVER:
            continue  # never needed again: keep it out
        if len(resident) >= capacity:
            while True:
                far, position = heap[0]
                victim = trace[position]
                if resident.get(victim) == -far:
                    break
                heapq.heappop(heap)
            if -far <= upcoming:
                continue  # every resident key is needed sooner than this one
            heapq.heappop(heap)
            del resident[victim]
        resident[key] = upcoming
        heapq.heappush(heap, (-upcoming, i))
