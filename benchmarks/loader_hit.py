"""A cached load_component with a 3-variable context vs the original design's loader.

Target: the new loader's hit (default watch mode, inotify on Linux) takes at most half the
time of the original design's hit, measured in the same run (median per-round ratio <= 0.5),
while still noticing edits (checked at the end). A bare os.stat and the new loader in
watch="stat" mode are printed for reference.

Run from the repository root:  python -m benchmarks.loader_hit [--quick] [--check]
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from promptcache import CachedComponentLoader, ComponentCache

from . import original_design
from ._common import header, interleaved, median, parse_args, per_round_ratios, table, verdict

COMPONENT = "components/reporting/generate-structured-report.md"
CONTEXT = {"project_name": "MyProject", "audience": "engineering leads", "deadline": "Friday"}
ANCHOR = "original design loader (hit)"
TARGET = "core loader, watch=auto (hit)"
STAT_MODE = "core loader, watch=stat (hit)"
BARE_STAT = "bare os.stat of the file"


def component_text() -> str:
    """About 2 KB of Markdown with three placeholders (and a JSON block left alone)."""
    lines = [
        "# Structured report for {project_name}",
        "",
        "You are writing for {audience}. The report is due {deadline}.",
        "",
        "## Sections",
    ]
    for i in range(1, 26):
        lines.append(f"{i}. Summarise finding {i} with its evidence, its impact and a next step.")
    lines += ["", "Answer as JSON:", '{"summary": "...", "findings": [], "risks": []}', ""]
    return "\n".join(lines)


def make_folder(root: Path) -> Path:
    path = root / COMPONENT
    path.parent.mkdir(parents=True)
    path.write_text(component_text(), encoding="utf-8")
    # An old mtime: the stat watcher distrusts files modified in the last ~2 s and re-reads
    # them on every load, which would turn every "hit" of the watch=stat row into a miss.
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    return path


def hit_loop(load: Callable[[str, dict[str, Any]], str], n: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(n):
            load(COMPONENT, CONTEXT)

    return run


def stat_loop(full: str, n: int) -> Callable[[], None]:
    stat = os.stat

    def run() -> None:
        for _ in range(n):
            stat(full)

    return run


def freshness_check(root: Path, full: Path, watch: str) -> bool:
    """After an edit finishes, the next load must return the new content."""
    loader = CachedComponentLoader(root, ComponentCache(max_size=10), watch=watch)
    try:
        before = loader.load_component(COMPONENT, CONTEXT)
        loader.load_component(COMPONENT, CONTEXT)
        original = full.read_text(encoding="utf-8")
        full.write_text(original + "\nEdited.\n", encoding="utf-8")
        after = loader.load_component(COMPONENT, CONTEXT)
        full.write_text(original, encoding="utf-8")
        restored = loader.load_component(COMPONENT, CONTEXT)
        return after.endswith("Edited.\n") and restored == before
    finally:
        loader.close()


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    n = 40_000 if args.quick else 200_000
    with tempfile.TemporaryDirectory(prefix="promptcache-bench-") as tmp:
        root = Path(tmp)
        full = make_folder(root)
        size = full.stat().st_size
        header(
            f"loader hit: {size:,}-byte component, 3-variable context, {n:,} loads per case, "
            f"{args.rounds} interleaved rounds"
        )
        old = original_design.CachedComponentLoader(root, original_design.ComponentCache(150, 100))
        new = CachedComponentLoader(root, ComponentCache(max_size=150, max_memory_mb=100))
        stat_mode = CachedComponentLoader(
            root, ComponentCache(max_size=150, max_memory_mb=100), watch="stat"
        )
        expected = old.load_component(COMPONENT, CONTEXT)
        for loader in (new, stat_mode):
            got = loader.load_component(COMPONENT, CONTEXT)
            assert got == expected, "the new loader renders differently from the original"
        cases = {
            TARGET: hit_loop(new.load_component, n),
            ANCHOR: hit_loop(old.load_component, n),
            STAT_MODE: hit_loop(stat_mode.load_component, n),
            BARE_STAT: stat_loop(str(full), n),
        }
        for run in cases.values():  # warm-up
            run()
        times = interleaved(cases, args.rounds)
        reads = {"watch=auto": new.file_reads, "watch=stat": stat_mode.file_reads}
        mode = new.watch_mode
        new.close()
        stat_mode.close()
        fresh = {watch: freshness_check(root, full, watch) for watch in ("auto", "stat")}

    print(f"   watch=auto resolved to {mode!r}; file reads during the run: {reads}")
    print()
    rows = []
    for name in cases:
        ratios = per_round_ratios(times, name, ANCHOR)
        rows.append(
            (
                name,
                f"{median(times[name]) / n * 1e6:.3f}",
                f"{median(ratios):.3f}",
                f"{min(ratios):.3f}-{max(ratios):.3f}",
            )
        )
    table(("case", "us/call", "ratio", "round range"), rows)
    ratios = per_round_ratios(times, TARGET, ANCHOR)
    print()
    print(f"{TARGET} / anchor per round: " + ", ".join(f"{r:.3f}" for r in ratios))
    print(
        "freshness (edit, then load returns the new text): "
        + ", ".join(f"watch={w}: {'ok' if ok else 'STALE'}" for w, ok in fresh.items())
    )
    print()
    result = median(ratios)
    if reads["watch=stat"] != 1:
        print("note: the watch=stat loader re-read the file, so its row is not all hits")
    ok = result <= 0.5 and fresh["auto"] and reads["watch=auto"] == 1
    return verdict(
        ok,
        f"core loader hit = {result:.3f}x the original design's (target <= 0.5), "
        f"edits noticed: {'yes' if fresh['auto'] else 'NO'}",
        args.check,
    )


if __name__ == "__main__":
    raise SystemExit(main())
