"""``promptcache publish`` and ``promptcache attach redis://... --once`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fleet_testlib import Server, free_port, server_binaries, wait_until, write_components

from promptcache import CachedComponentLoader, ComponentCache
from promptcache.fleet import FleetReader, FleetSnapshot, WorkerRow


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promptcache.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_publish_reports_changes_dry_run_and_errors(server: Server, tmp_path: Path) -> None:
    folder = write_components(tmp_path / "lib", {"a.md": "A", "b.md": "B"})
    dry = cli("publish", str(folder), server.url, "--namespace", "app", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "  added    a.md",
        "  added    b.md",
        f"dry run: would publish version 1 to redis://127.0.0.1:{server.port}/0 namespace "
        "'app'; nothing written (2 added, 0 changed, 0 removed, 0 unchanged)",
    ]
    assert server.client().keys("promptcache:app:*") == []
    first = cli("publish", str(folder), server.url, "--namespace", "app")
    assert "published version 1" in first.stdout and first.returncode == 0
    write_components(folder, {"b.md": "B2"})
    second = cli("publish", str(folder), server.url, "--namespace", "app")
    assert second.stdout.splitlines()[0] == "  changed  b.md"
    assert "published version 2" in second.stdout and "1 changed, 0 removed, 1 unchanged" in (
        second.stdout
    )
    missing = cli("publish", str(tmp_path / "nope"), server.url)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.splitlines() == [
        f"promptcache publish: error: {tmp_path / 'nope'}: component folder does not exist"
    ]
    down = cli("publish", str(folder), f"redis://127.0.0.1:{free_port()}/0")
    assert down.returncode == 2 and "server unavailable" in down.stderr
    assert len(down.stderr.splitlines()) == 1 and "Traceback" not in down.stderr


def test_password_from_the_environment_is_never_printed(tmp_path: Path) -> None:
    server = Server("valkey", server_binaries()["valkey"], free_port(), password="env-pw-77")
    server.start()
    try:
        folder = write_components(tmp_path, {"a.md": "A"})
        bare = f"redis://127.0.0.1:{server.port}/0"
        ok = cli("publish", str(folder), bare, env={"PROMPTCACHE_REDIS_PASSWORD": "env-pw-77"})
        assert ok.returncode == 0 and "redis://:***@" in ok.stdout
        bad = cli("publish", str(folder), bare, env={"PROMPTCACHE_REDIS_PASSWORD": "wrong-pw"})
        assert bad.returncode == 2 and "refused the credentials" in bad.stderr
        for run in (ok, bad):
            assert "env-pw-77" not in run.stdout + run.stderr
            assert "wrong-pw" not in run.stdout + run.stderr
    finally:
        server.stop()


def test_attach_once_lists_live_workers_and_the_store(server: Server, tmp_path: Path) -> None:
    folder = write_components(tmp_path, {"a.md": "A {x}", "b.md": "B"})
    cli("publish", str(folder), server.url, "--namespace", "web")
    loaders = [
        CachedComponentLoader(server.url, ComponentCache(), namespace="web", heartbeat_s=0.1)
        for _ in range(2)
    ]
    try:
        loaders[0].load_component("a.md", {"x": "1"})
        loaders[0].load_component("a.md", {"x": "1"})
        reader = FleetReader(server.url, "web")
        wait_until(
            lambda: sum(w.hits for w in reader.read().workers) == 1,
            what="heartbeats with the hit",
        )
        snap = reader.read()
        assert len(snap.workers) == 2 and snap.versions_in_use == {1: 2}
        assert snap.published_version == 1 and snap.components == 2
        assert snap.store_bytes > 0 and snap.server_used_memory > snap.store_bytes
        assert snap.hit_ratio == 0.5 and snap.behind == ()
        run = cli("attach", server.url, "--namespace", "web", "--once")
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[0].startswith(f"redis://127.0.0.1:{server.port}/0 namespace 'web': version 1")
        assert lines[1].startswith("2 live workers, hit ratio 50.0%, versions in use v1×2")
        assert len(lines) == 4 and all(" v1 " in line for line in lines[2:])
    finally:
        for loader in loaders:
            loader.close()
    # Closed workers withdraw their heartbeats.
    assert reader.read().workers == ()
    reader.close()


def test_fleet_snapshot_marks_workers_behind_and_guards_empty_ratios() -> None:
    def row(worker: str, version: int, stale: bool = False) -> WorkerRow:
        return WorkerRow(worker, "h", 1, version, 0, 0, 0, 0, stale, 0.1, None)

    snap = FleetSnapshot("redis://x:1/0", "ns", 3, 5, (row("a", 3), row("b", 2),
                         row("c", 3, stale=True)), 0, 0, "7.0", 0)  # fmt: skip
    assert [w.worker for w in snap.behind] == ["b", "c"]
    assert snap.versions_in_use == {3: 2, 2: 1}
    assert snap.hit_ratio == 0.0 and row("a", 1).hit_ratio == 0.0
    text = "\n".join(snap.describe())
    assert "v2" in text and "OLD VERSION" in text and "STALE" in text


def test_readme_walkthrough_two_example_workers_pick_up_a_publish(
    server: Server, tmp_path: Path
) -> None:
    prompts = write_components(tmp_path / "prompts", {"greeting.md": "Hello {user}, v one."})
    assert cli("publish", str(prompts), server.url, "--namespace", "demo").returncode == 0
    example = Path(__file__).resolve().parents[2] / "examples" / "fleet_worker.py"
    logs = [tmp_path / f"w{i}.log" for i in (1, 2)]
    workers = [
        subprocess.Popen(
            [sys.executable, str(example), server.url, "--namespace", "demo"],
            stdout=log.open("w"),
            env={**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)},
        )
        for log in logs
    ]
    try:
        wait_until(lambda: all("version 1:" in log.read_text() for log in logs), timeout_s=15,
                   what="both workers to serve version 1")  # fmt: skip
        write_components(prompts, {"greeting.md": "Hello {user}, v two."})
        assert cli("publish", str(prompts), server.url, "--namespace", "demo").returncode == 0
        wait_until(lambda: all("v two." in log.read_text() for log in logs), timeout_s=5,
                   what="both workers to print version 2")  # fmt: skip
        for log in logs:
            assert log.read_text().splitlines()[-1] == (
                "version 2: 1 components; greeting.md: Hello {user}, v two."
            )
        wait_until(lambda: "versions in use v2×2" in cli("attach", server.url, "--namespace",
                   "demo", "--once").stdout, timeout_s=5, what="the fleet at v2")  # fmt: skip
        text = cli("attach", server.url, "--namespace", "demo", "--once").stdout
        assert text.count(" stats unix:") == 2
    finally:
        for worker in workers:
            worker.terminate()
            assert worker.wait(10) == 0
