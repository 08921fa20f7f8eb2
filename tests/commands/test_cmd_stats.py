"""``promptcache stats`` and ``core.replay``: workloads, traces, results, bad input."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cmd_testlib import Run, assert_one_line_error, run_process
from rich.console import Console

from promptcache import CachedComponentLoader, ComponentCache, ComponentOutsideBaseError
from promptcache.cli import output
from promptcache.replay import Percentiles, TraceError, parse_trace_line, read_trace, replay
from promptcache.workloads import WORKLOADS

Cli = Callable[..., Run]


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """A folder of 40 small components, last written an hour ago.

    (The stat watcher re-reads files modified in the last seconds; old ones are hits.)
    """
    lib = tmp_path / "many"
    an_hour_ago = time.time() - 3600
    for i in range(40):
        path = lib / f"area{i % 4}" / f"c{i:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Component {i} for {{project_name}} and {{audience}}.\n" * (i + 1))
        os.utime(path, (an_hour_ago, an_hour_ago))
    return lib


def stats_json(cli: Cli, *args: str | Path) -> dict[str, object]:
    run = cli("stats", *args, "--json")
    assert run.code == 0, run
    data = json.loads(run.out)
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------------- core.replay


def make_loader(folder: Path, **limits: int) -> CachedComponentLoader:
    return CachedComponentLoader(folder, ComponentCache(hot_components={}, **limits), watch="stat")


def test_replay_counts_match_the_cache(many: Path) -> None:
    loader = make_loader(many, max_size=10)
    requests = [(f"area{i % 4}/c{i:02d}.md", {"tone": str(i % 2)}) for i in range(20)] * 3
    done: list[int] = []
    result = replay(loader, requests, phase_size=25, progress=done.append, progress_every=10)
    snapshot = loader.cache.snapshot(entry_limit=0)
    assert result.requests == 60 and result.hits == snapshot.hits
    assert result.misses == snapshot.misses == 60  # 20 keys cycling through 10 entries: LRU
    assert [p.requests for p in result.phases] == [25, 25, 10]
    assert [p.start for p in result.phases] == [0, 25, 50]
    assert result.evictions == {"size": 50, "memory": 0, "invalidated": 0}
    assert result.entries == 10 and result.memory_bytes == snapshot.memory_bytes
    assert result.peak_memory_bytes >= result.memory_bytes
    assert result.latency["miss"].count == 60 and result.latency["hit"].count == 0
    assert done == [10, 20, 30, 40, 50, 60]
    loader.close()


def test_replay_hits_and_failures(many: Path) -> None:
    loader = make_loader(many)
    requests = [("area0/c00.md", None)] * 4 + [("area0/missing.md", {"a": 1})] * 2
    result = replay(loader, requests)
    assert (result.requests, result.hits, result.misses, result.failures) == (6, 3, 3, 2)
    assert result.hit_ratio == 50.0 and len(result.phases) == 1
    assert list(result.failed_paths) == ["area0/missing.md"]
    assert "no such component" in result.failed_paths["area0/missing.md"]
    data = result.to_dict()
    assert data["hit_ratio"] == 50.0 and data["misses"] == 3
    loader.close()


def test_replay_refuses_a_path_outside_and_bad_arguments(many: Path) -> None:
    loader = make_loader(many)
    with pytest.raises(ComponentOutsideBaseError):
        replay(loader, [("../x.md", None)])
    with pytest.raises(ValueError, match="phase_size"):
        replay(loader, [], phase_size=0)
    empty = replay(loader, [])
    assert empty.requests == 0 and empty.hit_ratio == 0.0 and len(empty.phases) == 1
    loader.close()


def test_percentiles() -> None:
    p = Percentiles.of([0.004, 0.001, 0.002, 0.003])
    assert (p.count, p.p50_ms, p.max_ms) == (4, 3.0, 4.0)
    assert Percentiles.of([]) == Percentiles()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", None),
        ("   ", None),
        ("# a comment", None),
        ("  # indented comment", None),
        ("a/b.md", ("a/b.md", {})),
        ("  a/b c.md  \r", ("a/b c.md", {})),
        ("a.md\t", ("a.md", {})),
        ('a.md\t{"x": "1", "n": 2, "f": 1.5, "b": true}', (
            "a.md", {"x": "1", "n": "2", "f": "1.5", "b": "true"})),
    ],
)  # fmt: skip
def test_trace_lines(line: str, expected: object) -> None:
    assert parse_trace_line(line) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('a.md\t{"x": ', "not valid JSON"),
        ("a.md\t[1]", "must be a JSON object"),
        ('a.md\t{"x": null}', "string, number or boolean"),
        ('a.md\t{"x": {"y": 1}}', "string, number or boolean"),
        ('\t{"x": 1}', "no component path"),
        ("a\x00.md", "NUL"),
    ],
)
def test_bad_trace_lines(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_trace_line(line)


def test_read_trace_names_file_and_line(tmp_path: Path) -> None:
    trace = tmp_path / "t.trace"
    trace.write_bytes(b'# header\r\na.md\r\n\r\nb.md\t{"x": 1}\r\n')
    assert read_trace(trace) == [("a.md", {}), ("b.md", {"x": "1"})]
    trace.write_text("a.md\n\na.md\t{oops}\n")
    with pytest.raises(TraceError, match=rf"^{trace}:3: the context is not valid JSON"):
        read_trace(trace)
    trace.write_bytes(b"a.md\n\xff.md\n")
    with pytest.raises(TraceError, match=rf"^{trace}:2: not UTF-8"):
        read_trace(trace)
    trace.write_text("a.md\n/etc/passwd\n")
    assert len(read_trace(trace)) == 2  # without a folder, paths are not checked
    with pytest.raises(TraceError, match=rf"^{trace}:2: .*absolute paths are not allowed"):
        read_trace(trace, tmp_path)
    with pytest.raises(TraceError, match="no such trace file"):
        read_trace(tmp_path / "nope")
    with pytest.raises(TraceError, match="is a folder"):
        read_trace(tmp_path)


# ---------------------------------------------------------------------- the command


def test_json_shape_of_a_workload(cli: Cli, many: Path) -> None:
    data = stats_json(cli, many, "--workload", "zipf", "--requests", "3000", "--phase", "1000")
    assert set(data) >= {
        "folder", "source", "components", "left_out", "cache", "phase_size", "requests", "hits",
        "misses", "failures", "hit_ratio", "phases", "evictions", "rejected", "memory",
        "latency", "seconds", "failed_paths",
    }  # fmt: skip
    assert data["source"] == {"workload": "zipf", "skew": 1.1, "variants": 6, "seed": 7}
    assert data["components"] == 40 and data["left_out"] == {}
    assert data["requests"] == 3000 and data["failures"] == 0
    assert data["hits"] + data["misses"] == 3000  # type: ignore[operator]
    assert 0 < data["hit_ratio"] <= 100  # type: ignore[operator]
    phases = data["phases"]
    assert isinstance(phases, list) and len(phases) == 3
    assert [p["requests"] for p in phases] == [1000] * 3
    assert set(phases[0]) == {"index", "start", "requests", "hits", "misses", "failures",
                              "hit_ratio"}  # fmt: skip
    memory = data["memory"]
    assert isinstance(memory, dict)
    # Every miss puts one entry; what is not resident at the end was evicted for size.
    evicted = data["misses"] - memory["entries"]  # type: ignore[operator]
    assert evicted > 0
    assert data["evictions"] == {"size": evicted, "memory": 0, "invalidated": 0}
    assert set(memory) == {"bytes", "peak_bytes", "max_bytes", "entries", "max_entries"}
    assert memory["entries"] <= memory["max_entries"] == 100
    assert memory["bytes"] <= memory["peak_bytes"] <= memory["max_bytes"] == 50 * 1024 * 1024
    latency = data["latency"]
    assert isinstance(latency, dict) and set(latency) == {"all", "hit", "miss"}
    assert set(latency["all"]) == {"count", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms"}
    assert latency["all"]["count"] == 3000
    assert latency["miss"]["p50_ms"] > 0


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_workload_runs(cli: Cli, many: Path, workload: str) -> None:
    data = stats_json(cli, many, "--workload", workload, "--requests", "600", "--phase", "250",
                      "--max-size", "30", "--variants", "2")  # fmt: skip
    assert data["requests"] == 600
    assert [p["requests"] for p in data["phases"]] == [250, 250, 100]  # type: ignore[union-attr]


def test_a_seed_reproduces_a_run(cli: Cli, many: Path) -> None:
    args = (many, "--workload", "zipf", "--requests", "800", "--max-size", "20")
    first = stats_json(cli, *args, "--seed", "3")
    again = stats_json(cli, *args, "--seed", "3")
    assert (first["hits"], first["evictions"]) == (again["hits"], again["evictions"])


def test_the_scan_workload_defeats_a_small_lru(cli: Cli, many: Path) -> None:
    data = stats_json(cli, many, "--workload", "scan", "--requests", "500", "--max-size", "10")
    assert data["hits"] == 0 and data["evictions"]["size"] == 490  # type: ignore[index]


def test_a_small_memory_budget_evicts_by_memory(cli: Cli, many: Path) -> None:
    data = stats_json(cli, many, "--workload", "zipf", "--requests", "500",
                      "--max-memory-mb", "0.01")  # fmt: skip
    assert data["evictions"]["memory"] > 0  # type: ignore[index]


def test_text_output(cli: Cli, many: Path) -> None:
    run = cli("stats", many, "--workload", "loop", "--requests", "1200", "--phase", "500")
    assert run.code == 0 and run.err == ""
    lines = run.out.splitlines()
    assert lines[0].startswith("1,200 requests from the loop workload (skew 1.1, 6 variants, ")
    assert lines[1].startswith("hit ratio ") and "of 1,200 requests (0 failed)" in lines[1]
    assert "phase 1: requests 1-500" in lines[2] and "phase 3: requests 1,001-1,200" in lines[4]
    assert lines[5].startswith("evictions ") and lines[6].startswith("memory ")
    assert lines[7].startswith("time ") and "p95" in lines[7] and "p99" in lines[7]


def test_components_that_cannot_load_are_left_out(cli: Cli, many: Path) -> None:
    (many / "broken.md").write_bytes(b"\xff\xfe")
    run = cli("stats", many, "--workload", "zipf", "--requests", "100", "--json")
    assert run.code == 0
    assert json.loads(run.out)["left_out"].keys() == {"broken.md"}
    assert run.err.startswith("promptcache stats: warning: left out, cannot be loaded: broken.md")


def test_replaying_a_trace(cli: Cli, many: Path, tmp_path: Path) -> None:
    trace = tmp_path / "t.trace"
    trace.write_text(
        "# recorded\narea0/c00.md\narea0/c00.md\n\n"
        'area1/c01.md\t{"project_name": "Atlas"}\narea1/c01.md\t{"project_name": "Atlas"}\n'
        "area1/gone.md\n"
    )
    run = cli("stats", many, "--trace", trace, "--json")
    assert run.code == 0
    data = json.loads(run.out)
    assert data["source"] == {"trace": str(trace)} and data["components"] == 3
    assert (data["requests"], data["hits"], data["failures"]) == (5, 2, 1)
    assert list(data["failed_paths"]) == ["area1/gone.md"]
    assert run.err.splitlines() == [
        f"promptcache stats: warning: 1 request failed; first: area1/gone.md: "
        f"no such component in {many.resolve()}"
    ]


def test_the_default_folder_is_the_current_one(
    cli: Cli, many: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(many)
    data = stats_json(cli, "--workload", "scan", "--requests", "10")
    assert data["folder"] == str(many.resolve())


def test_bad_trace_files(cli: Cli, many: Path, tmp_path: Path) -> None:
    trace = tmp_path / "t.trace"
    for text, message in [
        ("area0/c00.md\n\narea0/c00.md\t{bad json}\n", f"{trace}:3: the context is not valid"),
        ("area0/c00.md\n../../etc/passwd\n", f"{trace}:2: ../../etc/passwd: resolves outside"),
        ("/etc/passwd\n", f"{trace}:1: /etc/passwd: absolute paths are not allowed"),
        ("# nothing\n\n", "the trace holds no requests"),
    ]:
        trace.write_text(text)
        assert_one_line_error(cli("stats", many, "--trace", trace), "stats", message)
    trace.write_bytes(b"\xff\n")
    assert_one_line_error(cli("stats", many, "--trace", trace), "stats", f"{trace}:1: not UTF-8")
    assert_one_line_error(
        cli("stats", many, "--trace", tmp_path / "nope"), "stats", "no such trace file"
    )
    assert_one_line_error(cli("stats", many, "--trace", tmp_path), "stats", "is a folder")
    trace.write_text("area0/c00.md\n")
    assert_one_line_error(
        cli("stats", many, "--trace", trace, "--requests", "5", "--seed", "1"),
        "stats",
        "--requests, --seed: only with --workload",
    )


def test_bad_folders(cli: Cli, tmp_path: Path) -> None:
    run = cli("stats", tmp_path / "nope", "--workload", "zipf")
    assert_one_line_error(run, "stats", "component folder does not exist")
    (tmp_path / "empty").mkdir()
    run = cli("stats", tmp_path / "empty", "--workload", "zipf")
    assert_one_line_error(run, "stats", "no loadable components")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workload", "zipf", "--trace", "t"), "not allowed with argument"),
        (("--workload", "random"), "invalid choice"),
        (("--workload", "zipf", "--requests", "0"), "must be at least 1"),
        (("--workload", "zipf", "--skew", "-1"), "must be 0 or more"),
        (("--workload", "zipf", "--max-memory-mb", "nan"), "must be above 0"),
        (("--workload", "zipf", "--phase", "x"), "expected a whole number"),
    ],
)
def test_bad_options_are_argparse_errors(
    cli: Cli, many: Path, args: tuple[str, ...], message: str
) -> None:
    run = cli("stats", many, *args)
    assert run.code == 2 and run.out == ""
    assert message in run.err and "promptcache stats: error:" in run.err
    assert "Traceback" not in run.err


def test_progress_shows_only_on_a_terminal_once_the_run_is_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    piped = io.StringIO()
    progress = output.LazyProgress(Console(file=piped), 10, "replaying")
    progress(5)
    progress.stop()
    assert piped.getvalue() == ""
    monkeypatch.setattr(output, "PROGRESS_AFTER_S", 0.0)
    terminal = io.StringIO()
    progress = output.LazyProgress(Console(file=terminal, force_terminal=True), 10, "replaying")
    progress(5)
    progress.stop()
    assert "replaying" in terminal.getvalue()


def test_piped_stats_is_plain_text(many: Path) -> None:
    done = run_process("stats", many, "--workload", "shifting", "--requests", "2000")
    assert done.returncode == 0 and done.stderr == ""
    assert "\x1b[" not in done.stdout and "hit ratio" in done.stdout
