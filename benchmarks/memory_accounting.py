"""ComponentCache.memory_bytes vs what tracemalloc measures the cache retaining.

Each workload fills a fresh cache with entries built inside the traced region and dropped
by the caller, so everything still traced at the end is held by the cache (entries, keys,
metadata, bookkeeping). Target: reported / measured within 0.90-1.10 for every workload.
The original design's estimate (UTF-8 bytes + JSON of the metadata + 200) is shown beside.

Run from the repository root:  python -m benchmarks.memory_accounting [--quick] [--check]
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Hashable
from dataclasses import dataclass

from promptcache import ComponentCache, context_key

from ._common import header, parse_args, table, verdict
from .original_design import estimate_memory

LOW, HIGH = 0.90, 1.10
TEXT = (
    "Summarise each finding with its evidence, impact and a concrete next step. "
    "Keep the tone factual; cite file names and line numbers where they help. "
)
EMOJI = "\N{SLIGHTLY SMILING FACE}"


@dataclass(frozen=True)
class Workload:
    name: str
    entries: int
    min_chars: int
    max_chars: int
    emoji_every: int  # 0: never; 3: a third of the entries hold one emoji
    contexts_per_path: int = 0  # 0: no context; k: each path cached under k 3-variable contexts


WORKLOADS = (
    Workload("mixed sizes, 1/3 with an emoji", 2000, 300, 8000, 3),
    Workload("ASCII only", 2000, 300, 8000, 0),
    Workload("every entry with an emoji", 2000, 300, 8000, 1),
    Workload("small ~200 B, 1/3 emoji", 1000, 150, 250, 3),
    Workload("small ~200 B, 1/3 emoji", 5000, 150, 250, 3),
    Workload("large ~50 KB, 1/3 emoji", 150, 45_000, 55_000, 3),
    Workload("3-var context keys, 10 per path", 2000, 300, 8000, 3, contexts_per_path=10),
)


def content_for(i: int, chars: int, emoji: bool) -> str:
    text = (TEXT * (chars // len(TEXT) + 1))[: chars - 1]
    return f"{text}{EMOJI if emoji else '.'}"


def fill(cache: ComponentCache, w: Workload, sizes: list[int]) -> tuple[int, int]:
    """Put the workload's entries; return (original design's estimate, content characters)."""
    original = 0
    chars = 0
    path = ""
    for i, size in enumerate(sizes):
        if w.contexts_per_path:
            if i % w.contexts_per_path == 0:
                path = f"components/group{i // w.contexts_per_path}/component.md"
            ctx: Hashable = context_key(
                {"project_name": f"Project {i}", "audience": f"team {i % 7}", "deadline": "Friday"}
            )
        else:
            path = f"components/workload/c{i}.md"
            ctx = ""
        content = content_for(i, size, w.emoji_every > 0 and i % w.emoji_every == 0)
        metadata = {
            "component_path": path,
            "load_time": 0.0005 + i * 1e-7,
            "file_size": len(content),
            "context_applied": bool(ctx),
        }
        original += estimate_memory(content, metadata)
        chars += len(content)
        cache.put(path, content, metadata, ctx)
    return original, chars


def measure(w: Workload, scale: float) -> tuple[int, int, int, int, int]:
    """(entries, reported bytes, tracemalloc bytes, original estimate, characters)."""
    rng = random.Random(7)
    n = max(10, int(w.entries * scale))
    sizes = [rng.randint(w.min_chars, w.max_chars) for _ in range(n)]
    fill(ComponentCache(max_size=10, max_memory_mb=64), w, sizes[:20])  # warm lazy imports
    gc.collect()
    tracemalloc.start()
    try:
        cache = ComponentCache(max_size=n + 1, max_memory_mb=4096)
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        original, chars = fill(cache, w, sizes)
        gc.collect()
        measured = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(cache) == n, (len(cache), n)
    return n, cache.memory_bytes, measured, original, chars


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], timed=False)
    scale = 0.25 if args.quick else 1.0
    header("memory accounting: ComponentCache.memory_bytes vs tracemalloc")
    rows = []
    worst = 1.0
    failed = []
    for w in WORKLOADS:
        n, reported, measured, original, chars = measure(w, scale)
        ratio = reported / measured
        if not LOW <= ratio <= HIGH:
            failed.append(w.name)
        worst = ratio if abs(ratio - 1) > abs(worst - 1) else worst
        rows.append(
            (
                w.name,
                f"{n:,}",
                f"{chars / n:,.0f}",
                f"{measured / 1e6:.2f}",
                f"{reported / 1e6:.2f}",
                f"{ratio:.3f}",
                f"{original / measured:.3f}",
            )
        )
    print()
    table(
        (
            "workload",
            "entries",
            "chars/entry",
            "measured MB",
            "reported MB",
            "reported/measured",
            "original/measured",
        ),
        rows,
    )
    print()
    message = (
        f"reported/measured within {LOW:.2f}-{HIGH:.2f} for every workload (worst {worst:.3f})"
    )
    if failed:
        message += "; out of range: " + ", ".join(failed)
    return verdict(not failed, message, args.check)


if __name__ == "__main__":
    raise SystemExit(main())
