"""Issue 10, items 3, 11 and 12 for the files beside components: hot usage, variable sets
and exports (one atomic write; typed errors for hostile content)."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from core_testlib import LoaderFactory, WriteFn

from promptcache import ComponentError
from promptcache import files as files_module
from promptcache.files import atomic_write
from promptcache.hot_usage import read_usage
from promptcache.varsets import VariableSetsError, read_variable_sets


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"counts": {"a.md": -3}}', "count >= 0"),
        ('{"counts": {"a.md": ' + "9" * 5000 + "}}", "digits"),
        ("[" * 100_000, "recursion"),
    ],
    ids=["negative", "digits", "nested"],
)
def test_hostile_hot_usage_files_are_typed_errors(tmp_path: Path, text: str, fragment: str) -> None:
    hot = tmp_path / "hot.json"
    hot.write_text(text, encoding="utf-8")
    with pytest.raises(ComponentError, match=fragment):
        read_usage(hot)


def test_a_hot_usage_fifo_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "hot.json")
    with pytest.raises(ComponentError, match="a FIFO"):
        read_usage(tmp_path / "hot.json")


def test_deeply_nested_toml_is_a_typed_error(tmp_path: Path) -> None:
    vars_file = tmp_path / ".promptcache-vars.toml"
    vars_file.write_text("[s]\nx = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(VariableSetsError, match="nested too deeply"):
        read_variable_sets(vars_file)


def test_a_hot_usage_path_that_is_a_folder_does_not_make_close_raise(
    tmp_path: Path,
    write: WriteFn,
    make_loader: LoaderFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write("a.md", "a")
    folder = tmp_path / "hot-is-a-folder"
    folder.mkdir()
    loader = make_loader(hot_usage_file=folder)
    loader.load_component("a.md")
    with caplog.at_level(logging.WARNING, logger="promptcache.loader"):
        loader.close()
    assert "hot usage not saved" in caplog.text
    assert folder.is_dir() and os.listdir(folder) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "hot.json"
    dead = tmp_path / ".hot.json.999999999.abcd1234.tmp"  # no such process
    old = tmp_path / ".hot.json.zz9plural.tmp"  # the old naming, without a pid
    alive = tmp_path / f".hot.json.{os.getppid()}.efgh5678.tmp"  # a writer still running
    for path in (dead, old, alive):
        path.write_text("partial")
    hour_ago = time.time() - 2 * 3600
    os.utime(old, (hour_ago, hour_ago))
    atomic_write(target, "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["hot.json", alive.name])


def test_a_killed_writer_leaves_a_temp_file_that_the_next_save_removes(
    tmp_path: Path,
) -> None:
    """kill -9 in the middle of a save, for real: a child stops after writing its temp."""
    target = tmp_path / "hot.json"
    script = (
        "import os, sys, signal\n"
        "from pathlib import Path\n"
        "from promptcache import files\n"
        "def stop(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "files.os.replace = stop\n"
        "files.atomic_write(Path(sys.argv[1]), 'x' * 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(target)], check=False)
    assert done.returncode == -9
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")
    atomic_write(target, "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["hot.json"]


def test_atomic_write_fsyncs_the_folder_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(files_module.os, "fsync", fsync)
    atomic_write(tmp_path / "sets.toml", "x = 1\n")
    assert synced == ["file", "folder"]


_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from promptcache import CachePerformanceMonitor, ComponentCache
from promptcache.export import export_stats
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
cache = ComponentCache()
for i in range(200):
    cache.put(f"c{i}.md", "x" * 50)
monitor = CachePerformanceMonitor(cache)
monitor.log_performance_snapshot()
resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))  # a disk with 512 bytes left
try:
    export_stats(Path(sys.argv[1]), cache, monitor, stamp="s")
except OSError as exc:
    print("OSError", exc.errno)
"""


def test_an_export_on_a_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    """The file-size limit makes the kernel refuse writes past 512 bytes, like a full disk."""
    out = tmp_path / "exports"
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OSError"), done.stdout
    assert sorted(p.name for p in out.iterdir()) == []


def test_an_export_writes_complete_files(tmp_path: Path) -> None:
    from promptcache import CachePerformanceMonitor, ComponentCache
    from promptcache.export import export_stats

    cache = ComponentCache()
    cache.put("a.md", "x")
    monitor = CachePerformanceMonitor(cache)
    monitor.log_performance_snapshot()
    json_path, csv_path = export_stats(tmp_path, cache, monitor, stamp="s")
    assert json.loads(json_path.read_text())["stats"]["cache_size"] == 1
    assert csv_path.read_text().count("\n") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([json_path.name, csv_path.name])
