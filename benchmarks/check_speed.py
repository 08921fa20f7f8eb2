"""``promptcache check`` on 10,000 components: the library call and the whole command.

A temporary folder gets 10,000 Markdown and text components (0.3-4 KB each, 2-6
placeholders, some JSON braces, 100 sub-folders) and a ``.promptcache-vars.toml``, plus a
few broken ones so that every check runs: not UTF-8, malformed placeholders, empty, and
placeholders no variable set defines. Two cases are timed, interleaved round by round:

- ``check_folder(DIR)`` in this process;
- ``python -m tui check DIR`` (and ``--json``) in a subprocess with stdout piped: start-up,
  imports, the check and printing 10,000 components, as pre-commit or CI runs it.

Target: the median of every case is under 3 s. The files were just written, so they are in
the page cache (as in a pre-commit run on a working tree).

Run from the repository root:  python -m benchmarks.check_speed [--quick] [--check]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from promptcache.checker import check_folder
from promptcache.varsets import VARS_FILE

from ._common import header, interleaved, median, parse_args, table, verdict

COMPONENTS = 10_000
TARGET_S = 3.0
ROOT = Path(__file__).resolve().parents[1]

AREAS = ("reporting", "planning", "review", "extraction", "style", "agents", "validation")
NAMES = (
    "project_name",
    "audience",
    "tone",
    "max_words",
    "deadline",
    "language",
    "source_text",
    "reporting_period",
)
_SENTENCE = (
    "summarise the findings for each section and keep the answer short clear direct "
    "evidence impact next step owner risk decision context table list heading"
)
WORDS = tuple(_SENTENCE.split())


def component_text(rng: random.Random, number: int) -> str:
    """A Markdown component of a few hundred bytes to a few KB with 2-6 placeholders."""
    names = rng.sample(NAMES, rng.randint(2, 6))
    lines = [f"# Component {number} for {{{names[0]}}}", ""]
    for i in range(rng.randint(5, 60)):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        if i % 4 == 0:
            words += f" {{{names[i // 4 % len(names)]}}}"
        lines.append(("- " if i % 3 else "") + words)
    if rng.random() < 0.3:
        lines += ["", "Answer as JSON:", '{"summary": "...", "items": []}']
    return "\n".join(lines) + "\n"


def make_folder(root: Path, count: int) -> dict[str, int]:
    """Write ``count`` components (a few of them broken) and the variable-set file."""
    rng = random.Random(42)
    expected = {"errors": 0, "warnings": 0}
    for number in range(count):
        folder = root / "components" / AREAS[number % len(AREAS)] / f"group{number % 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".txt" if number % 5 == 0 else ".md"
        path = folder / f"component-{number:05d}{suffix}"
        if number % 1000 == 1:
            path.write_bytes("Résumé for {project_name}\n".encode("latin-1"))
            expected["errors"] += 1
        elif number % 1000 == 2:
            path.write_text("Dear {customer_name,\nyour order { order_id } is late.\n")
            expected["errors"] += 2
        elif number % 1000 == 3:
            path.write_text("")
            expected["warnings"] += 1
        elif number % 1000 == 4:
            path.write_text("Write to {recipient} about {project_name}.\n")
            expected["warnings"] += 1  # recipient is in no variable set
        else:
            path.write_text(component_text(rng, number), encoding="utf-8")
    sets = "\n".join(f'{name} = "value"' for name in NAMES)
    (root / VARS_FILE).write_text(f"[default]\n{sets}\n\n[other]\nproject_name = 'x'\n")
    return expected


def command(folder: Path, *extra: str) -> Callable[[], object]:
    def run() -> object:
        done = subprocess.run(
            [sys.executable, "-m", "promptcache.cli", "check", str(folder), *extra],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if done.returncode != 1:  # the folder has errors on purpose
            raise SystemExit(f"promptcache check exited {done.returncode}: {done.stderr!r}")
        return done

    return run


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], default_rounds=5, quick_rounds=2)
    with tempfile.TemporaryDirectory(prefix="promptcache-check-") as tmp:
        root = Path(tmp)
        expected = make_folder(root, COMPONENTS)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        header(
            f"check: {COMPONENTS:,} components, {size / 1e6:.1f} MB, "
            f"{args.rounds} interleaved rounds"
        )
        report = check_folder(root)
        counts = {"errors": report.errors, "warnings": report.warnings}
        json_out = command(root, "--json")()
        assert isinstance(json_out, subprocess.CompletedProcess)
        data = json.loads(json_out.stdout)
        cases: dict[str, Callable[[], object]] = {
            "check_folder() in process": lambda: check_folder(root),
            "promptcache check (piped)": command(root),
            "promptcache check --json (piped)": command(root, "--json"),
        }
        times = interleaved(cases, args.rounds)
    found = {"errors": data["errors"], "warnings": data["warnings"]}
    print(
        f"   components: {len(report.components):,}; found {found}, planted {expected}: "
        f"{'ok' if found == expected == counts else 'MISMATCH'}"
    )
    print()
    rows = [
        (name, f"{median(t):.3f}", f"{min(t):.3f}-{max(t):.3f}", f"{COMPONENTS / median(t):,.0f}")
        for name, t in times.items()
    ]
    table(("case", "median s", "range s", "components/s"), rows)
    print()
    slowest = max(median(t) for t in times.values())
    ok = slowest < TARGET_S and found == expected == counts and len(report.components) == COMPONENTS
    return verdict(
        ok,
        f"slowest case {slowest:.3f} s for {COMPONENTS:,} components (target < {TARGET_S:.0f} s)"
        f", problems found as planted: {'yes' if found == expected else 'NO'}",
        args.check,
    )


if __name__ == "__main__":
    raise SystemExit(main())
