"""``promptcache race``: the table, JSON, trace formats and one-line errors."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import ROOT, Run, assert_one_line_error, run_process

Cli = Callable[..., Run]


@pytest.fixture
def loop_trace(tmp_path: Path) -> Path:
    """A plain trace: a loop of 60 keys, 20 times (LRU at 30 entries never hits)."""
    path = tmp_path / "loop.txt"
    path.write_text("".join(f"k{i % 60}\n" for i in range(1200)), encoding="utf-8")
    return path


def table_rows(out: str) -> dict[str, tuple[float, float]]:
    rows = {}
    for line in out.splitlines()[2:]:
        name, ratio, to_opt = line.split()
        rows[name] = (float(ratio), float(to_opt))
    return rows


def test_race_table_plain_trace(cli: Cli, loop_trace: Path) -> None:
    run = cli("race", loop_trace, "--size", "30", "--policies", "lru,adaptive,lirs")
    assert run.code == 0 and run.err == ""
    lines = run.out.splitlines()
    assert lines[0] == "loop.txt: 1,200 requests, 60 distinct keys, capacity 30"
    assert lines[1].split() == ["policy", "hit", "%", "to", "OPT"]
    rows = table_rows(run.out)
    assert list(rows)[-2:] == ["lru", "opt"]  # best first, OPT last
    assert rows["lru"] == (0.0, -rows["opt"][0])
    assert rows["opt"][1] == 0.0 and rows["opt"][0] > rows["adaptive"][0] > 40.0


def test_race_json_and_gzip(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "t.trace.gz"
    trace.write_bytes(gzip.compress(b"".join(b"%d\n*\n" % (i % 9) for i in range(500))))
    out = tmp_path / "race.json"
    run = cli("race", trace, "--size", "4", "--json", out, "--policies", "fifo,sieve")
    assert run.code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["requests"] == 500 and data["capacity"] == 4
    names = [p["name"] for p in data["policies"]]
    assert names == ["fifo", "sieve"]
    for policy in data["policies"]:
        assert policy["below_opt"] == pytest.approx(data["opt_hit_ratio"] - policy["hit_ratio"])
    assert table_rows(run.out)["fifo"][0] == pytest.approx(
        data["policies"][0]["hit_ratio"], abs=0.01
    )


def test_race_default_policies_on_the_shared_gli_trace(cli: Cli) -> None:
    trace = ROOT.parent / "shared" / "traces" / "gli.trace.gz"
    rows = table_rows(cli("race", trace, "--size", "1000").out)
    assert {"lru", "adaptive", "lirs", "wtinylfu", "s3fifo", "arc", "opt"} == set(rows)
    assert rows["lru"][0] == pytest.approx(11.21, abs=0.01)  # the published LRU figure
    assert rows["opt"][0] == pytest.approx(53.15, abs=0.01)
    assert rows["adaptive"][0] > 49.0


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("missing.txt", "--size", "3"), ("missing.txt: no such trace file",)),
        (("{trace}", "--size", "0"), ("--size", "at least 1")),
        (("{trace}",), ("required", "--size")),
        (("{trace}", "--size", "3", "--policies", "lru,mru"), ("unknown policy mru",)),
        (("{empty}", "--size", "3"), ("holds no requests",)),
        (("{trace}", "--size", "3", "--json", "{trace}/x.json"), ("cannot write",)),
    ],
)
def test_race_bad_input_is_one_line(
    cli: Cli, loop_trace: Path, tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("*\n", encoding="utf-8")
    filled = [a.format(trace=loop_trace, empty=empty) for a in args]
    assert_one_line_error(cli("race", *filled), "race", *fragments)


def test_race_as_a_process_and_in_the_help(loop_trace: Path) -> None:
    done = run_process("race", loop_trace, "--size", "10", "--policies", "lru")
    assert done.returncode == 0 and "lru" in done.stdout
    assert "promptcache race TRACE" in run_process("--help").stdout


def test_race_shows_progress_on_a_terminal(
    loop_trace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    from promptcache.cli import output, race

    monkeypatch.setattr(output, "PROGRESS_AFTER_S", 0.0)
    err_file = io.StringIO()
    err = Console(file=err_file, force_terminal=True, width=100)
    out = Console(file=io.StringIO())
    args = race.build_parser().parse_args(
        [str(loop_trace), "--size", "30", "--policies", "lru,fifo"]
    )
    assert race.run(args, out, err) == 0
    assert "racing 2 policies" in err_file.getvalue()
