"""Dialects: a cached Jinja2 load vs a cached ``{name}`` load, and ``check`` on 10,000
mixed-dialect files.

1. Cached ``load_component``: a Jinja2 component with one include and a 3-variable
   context vs today's ``{name}`` component of the same size and context (the anchor),
   interleaved rounds in one run. Target: median per-round ratio <= 1.5. Also printed: a
   miss (a new context each load: render only, the template is compiled once per file
   version) and how many times each template was compiled.
2. ``check`` on 10,000 files: a quarter each ``{name}``, Jinja2 (a third of them with an
   include), Mustache (a third with a partial) and Prompty-style frontmatter files, with a
   ``.promptcache-vars.toml`` so that Jinja2/Mustache files get a strict render per set.
   Timed: ``check_folder`` in process and ``python -m promptcache.cli check --json`` piped.
   Target: every median under 3 s.

Run from the repository root:  python -m benchmarks.dialects_speed [--quick] [--check]
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from promptcache import CachedComponentLoader, ComponentCache
from promptcache.checker import check_folder

from ._common import header, interleaved, median, parse_args, per_round_ratios, table, verdict

CONTEXT = {"project_name": "MyProject", "audience": "engineering leads", "deadline": "Friday"}
ANCHOR = "{name} component (hit)"
TARGET = "Jinja2 + 1 include (hit)"
RATIO_TARGET = 1.5
CHECK_TARGET_S = 3.0
FILES = 10_000
ROOT = Path(__file__).resolve().parents[1]


def _lines() -> list[str]:
    return [
        f"{i}. Summarise finding {i} with its evidence, its impact and a next step."
        for i in range(1, 24)
    ]


def make_load_folder(root: Path) -> tuple[str, str]:
    brace = "\n".join(
        ["# Report for {project_name}", "For {audience}, due {deadline}.", *_lines(), ""]
    )
    jinja = "\n".join(
        [
            "# Report for {{ project_name }}",
            "For {{ audience }}, due {{ deadline }}.",
            '{% include "partials/rules.j2" %}',
            *_lines()[:-1],
            "",
        ]
    )
    (root / "partials").mkdir()
    files = {
        "report.md": brace,
        "report.j2": jinja,
        "partials/rules.j2": "Keep it under 300 words; no tables.\n",
    }
    old = time.time() - 3600
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
        os.utime(root / rel, (old, old))
    return "report.md", "report.j2"


def hit_loop(loader: CachedComponentLoader, path: str, n: int) -> Callable[[], None]:
    load = loader.load_component

    def run() -> None:
        for _ in range(n):
            load(path, CONTEXT)

    return run


def miss_loop(loader: CachedComponentLoader, path: str, n: int) -> Callable[[], None]:
    contexts = [{**CONTEXT, "deadline": f"day {i}"} for i in range(n)]

    def run() -> None:
        loader.cache.clear_cache()
        for context in contexts:
            loader.load_component(path, context)

    return run


def load_part(args_quick: bool, rounds: int) -> tuple[float, bool]:
    n = 40_000 if args_quick else 200_000
    misses = 300 if args_quick else 1_000
    with tempfile.TemporaryDirectory(prefix="promptcache-bench-") as tmp:
        root = Path(tmp)
        brace, jinja = make_load_folder(root)
        sizes = {p: (root / p).stat().st_size for p in (brace, jinja)}
        header(
            f"cached loads: {sizes[brace]:,}-byte {{name}} vs {sizes[jinja]:,}-byte Jinja2 "
            f"+ include, 3-variable context, {n:,} loads per case, {rounds} rounds"
        )
        loader = CachedComponentLoader(root, ComponentCache(max_size=5_000, max_memory_mb=100))
        miss_loader = CachedComponentLoader(root, ComponentCache(max_size=5_000, max_memory_mb=100))
        try:
            for path in (brace, jinja):
                loader.load_component(path, CONTEXT)
            compiled = loader._compiled[jinja]
            cases = {
                TARGET: hit_loop(loader, jinja, n),
                ANCHOR: hit_loop(loader, brace, n),
            }
            for run in cases.values():
                run()
            times = interleaved(cases, rounds)
            miss_cases = {
                "Jinja2 + 1 include (miss)": miss_loop(miss_loader, jinja, misses),
                "{name} component (miss)": miss_loop(miss_loader, brace, misses),
            }
            miss_times = interleaved(miss_cases, rounds)
            once = loader._compiled[jinja] is compiled and len(miss_loader._compiled) == 1
            reads = loader.file_reads
        finally:
            loader.close()
            miss_loader.close()
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
    for name in miss_cases:
        ratios = per_round_ratios(miss_times, name, "{name} component (miss)")
        rows.append(
            (
                name,
                f"{median(miss_times[name]) / misses * 1e6:.1f}",
                f"{median(ratios):.2f}",
                f"{min(ratios):.2f}-{max(ratios):.2f}",
            )
        )
    print()
    table(("case", "us/call", "ratio", "round range"), rows)
    ratios = per_round_ratios(times, TARGET, ANCHOR)
    print("   hit ratio per round: " + ", ".join(f"{r:.3f}" for r in ratios))
    print(f"   compiled once per file version: {'yes' if once else 'NO'}; reads: {reads}")
    print()
    return median(ratios), once


# ---------------------------------------------------------------------- check


def _words(rng: random.Random, count: int) -> str:
    words = "summarise findings section answer short clear evidence impact next step owner"
    pool = words.split()
    return " ".join(rng.choice(pool) for _ in range(count))


def make_check_folder(root: Path, count: int) -> None:
    rng = random.Random(12)
    (root / "partials").mkdir()
    (root / "partials" / "rules.j2").write_text("Rules for {{ audience }}.\n", encoding="utf-8")
    (root / "partials" / "sig.mustache").write_text("-- {{team}}\n", encoding="utf-8")
    (root / ".promptcache-vars.toml").write_text(
        '[default]\nproject_name = "Atlas"\naudience = "leads"\nteam = "ops"\n'
        'deadline = "Friday"\n',
        encoding="utf-8",
    )
    for i in range(count):
        folder = root / f"area{i % 50:02d}"
        folder.mkdir(exist_ok=True)
        body = "\n".join(_words(rng, rng.randint(6, 14)) for _ in range(rng.randint(4, 30)))
        kind = i % 4
        if kind == 0:
            name, text = f"c{i}.md", f'# {{project_name}}\n{body}\nJSON: {{"a": 1}}\n'
        elif kind == 1:
            include = '{% include "partials/rules.j2" %}\n' if i % 3 == 0 else ""
            loop = "{% for x in items %}- {{ x }}\n{% endfor %}" if i % 5 == 1 else ""
            name = f"c{i}.j2"
            text = f"# {{{{ project_name }}}} for {{{{ audience }}}}\n{include}{body}\n{loop}"
        elif kind == 2:
            partial = "{{> partials/sig}}\n" if i % 3 == 0 else ""
            name, text = f"c{i}.mustache", f"# {{{{project_name}}}}\n{partial}{body}\n"
        else:
            name = f"c{i}.prompty"
            text = (
                "---\nname: c\nmodel:\n  api: chat\n  parameters: {temperature: 0.2}\n"
                "inputs:\n  project_name: {type: string}\n  deadline: {default: soon}\n---\n"
                f"Plan {{{{ project_name }}}} by {{{{ deadline }}}}.\n{body}\n"
            )
        (folder / name).write_text(text, encoding="utf-8")


def check_part(quick: bool, rounds: int) -> tuple[float, bool]:
    count = 2_000 if quick else FILES
    with tempfile.TemporaryDirectory(prefix="promptcache-bench-") as tmp:
        root = Path(tmp)
        make_check_folder(root, count)
        header(f"check: {count:,} mixed-dialect files (+2 partials), {rounds} rounds")
        report = check_folder(root)
        dialects: dict[str, int] = {}
        for c in report.components:
            dialects[c.dialect] = dialects.get(c.dialect, 0) + 1
        env = {**os.environ, "PYTHONPATH": str(ROOT)}

        child_cpu: list[float] = []

        def command() -> None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(
                [sys.executable, "-m", "promptcache.cli", "check", "--json", str(root)],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            child_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            json.loads(done.stdout)

        cpu: list[float] = []

        def in_process() -> None:
            started = time.process_time()
            check_folder(root)
            cpu.append(time.process_time() - started)

        cases = {
            "check_folder (in process)": in_process,
            "promptcache check --json (piped)": command,
        }
        times = interleaved(cases, rounds)
    print(f"   dialects: {dialects}; errors {report.errors}, warnings {report.warnings}")
    print(
        f"   check_folder CPU time (this process only, not the machine's load): "
        f"median {median(cpu):.2f} s; the whole command {median(child_cpu):.2f} s; "
        f"load average now {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print()
    table(("case", "median s", "min s", "max s"), [
        (name, f"{median(t):.2f}", f"{min(t):.2f}", f"{max(t):.2f}") for name, t in times.items()
    ])  # fmt: skip
    print()
    worst = max(median(t) for t in times.values())
    return worst, report.errors == 0


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], default_rounds=5, quick_rounds=3)
    ratio, once = load_part(args.quick, args.rounds)
    worst, clean = check_part(args.quick, args.rounds)
    ok = ratio <= RATIO_TARGET and once and worst < CHECK_TARGET_S and clean
    return verdict(
        ok,
        f"cached Jinja2 load = {ratio:.3f}x the {{name}} load (target <= {RATIO_TARGET}); "
        f"check on mixed files: {worst:.2f} s (target < {CHECK_TARGET_S:.0f} s)",
        args.check,
    )


if __name__ == "__main__":
    raise SystemExit(main())
