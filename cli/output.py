"""Output shared by the commands: plain text when piped, Rich styles on a terminal, and the
one-line ``promptcache <command>: error: ...`` reports."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

PROGRESS_AFTER_S = 0.5
"""A long run shows a progress bar (on a terminal) once it has run this long."""


class UsageError(Exception):
    """A mistake in what the user asked for: reported as one line, exit status 2."""


def one_line(text: str) -> str:
    """``text`` with its line breaks folded into spaces."""
    return " ".join(text.split("\n")).strip()


def write(console: Console, text: str) -> None:
    """Write ``text`` as it is (no markup, no wrapping) to the console's file."""
    stream = console.file
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            raise
        buffer.write(text.encode("utf-8", "replace"))
    stream.flush()


def emit(console: Console, lines: Iterable[Text]) -> None:
    """Styled lines on a terminal; their plain text, fast, when piped."""
    if console.is_terminal:
        for line in lines:
            console.print(line)
    else:
        write(console, "".join(line.plain + "\n" for line in lines))


def print_json(console: Console, data: Mapping[str, Any]) -> None:
    """``data`` as indented JSON on ``console``."""
    write(console, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def diagnostic(err: Console, command: str, severity: str, message: str) -> None:
    """One line ``promptcache COMMAND: SEVERITY: MESSAGE`` on ``err``."""
    style = "bold red" if severity == "error" else "yellow"
    line = Text(f"promptcache {command}: ")
    line.append(f"{severity}:", style=style)
    line.append(f" {one_line(message)}")
    emit(err, [line])


def existing_folder(path: Path) -> Path:
    """``path`` when it is a folder; UsageError otherwise."""
    if not path.exists():
        raise UsageError(f"{path}: component folder does not exist")
    if not path.is_dir():
        raise UsageError(f"{path}: is not a folder")
    return path


def plural(n: int, word: str) -> str:
    """``1 file``, ``2 files``, with thousands separators."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class LazyProgress:
    """A Rich progress bar on stderr, shown only on a terminal once the run is long."""

    def __init__(self, err: Console, total: int, label: str) -> None:
        self._err = err
        self._total = total
        self._label = label
        self._started = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int) -> None:
        if self._bar is None:
            if not self._err.is_terminal or time.perf_counter() - self._started < PROGRESS_AFTER_S:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._err,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self._total)
        self._bar.update(self._task, completed=done)

    def stop(self) -> None:
        """Take the bar off the screen (if it was shown)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
