"""Named sets of context variables, kept in a human-editable TOML file in the folder.

The file is ``.promptcache-vars.toml`` at the top of a component folder::

    # promptcache variable sets: one [table] per set, variable = "value"
    [default]
    project_name = "Atlas"
    audience = "the board"

    [release-notes]
    project_name = "Borealis"
    max_words = 300

Values may be strings, numbers or booleans (rendered with ``str()``); anything else is an
error that names the file and the line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

from .errors import ComponentError

VARS_FILE = ".promptcache-vars.toml"
"""The variable-set file's name inside a component folder (hidden: never a component)."""

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


class VariableSetsError(ComponentError):
    """The variable-set file cannot be used; the message says ``file:line: what``."""


def _unquote(key: str) -> str:
    key = key.strip()
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'" else key


def _line_of(text: str, table: str, key: str | None = None) -> int:
    """The line of ``[table]``, or of ``key`` inside it (``key = ...`` or ``[table.key]``)."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.strip("[]").strip()
            parts = [_unquote(part) for part in header.split(".")]
            current = parts[0]
            if (parts == [table] and key is None) or parts == [table, key]:
                return number
        elif key is not None and current == table and "=" in stripped:
            if _unquote(stripped.split("=", 1)[0]) == key:
                return number
        elif key is None and "=" in stripped and _unquote(stripped.split("=", 1)[0]) == table:
            return number
    return 1


def read_variable_sets(path: Path) -> dict[str, dict[str, str]]:
    """The sets in ``path`` ({} when the file does not exist); values as strings.

    Raises ``VariableSetsError`` naming the file and line for bad syntax or wrong types.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise VariableSetsError(f"{path}: not UTF-8 text", str(path)) from None
    except OSError as exc:
        raise VariableSetsError(f"{path}: cannot read ({exc.strerror})", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE.search(str(exc))
        line = match.group(1) if match else "1"
        reason = _LINE.sub("", str(exc)).strip()
        raise VariableSetsError(f"{path}:{line}: {reason}", str(path)) from None
    sets: dict[str, dict[str, str]] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise VariableSetsError(
                f"{path}:{_line_of(text, name)}: {name!r} must be a [table] of variables, "
                f"not a {type(table).__name__}",
                str(path),
            )
        values: dict[str, str] = {}
        for key, value in table.items():
            if isinstance(value, bool):
                values[key] = "true" if value else "false"
            elif isinstance(value, (str, int, float)):
                values[key] = str(value)
            else:
                raise VariableSetsError(
                    f"{path}:{_line_of(text, name, key)}: {name}.{key} must be a string, "
                    f"number or boolean, not a {type(value).__name__}",
                    str(path),
                )
        sets[name] = values
    return sets


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def format_variable_sets(sets: dict[str, dict[str, str]]) -> str:
    """TOML text for ``sets`` (JSON string syntax is valid TOML for basic strings)."""
    lines = ['# promptcache variable sets: one [table] per set, variable = "value"', ""]
    for name in sets:
        lines.append(f"[{_key(name)}]")
        for key, value in sets[name].items():
            lines.append(f"{_key(key)} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)


def save_variable_set(path: Path, name: str, values: dict[str, str]) -> None:
    """Add or replace set ``name`` in ``path``, keeping the other sets; atomic write.

    Comments in the file are not kept. Raises ``VariableSetsError`` if the existing
    file is broken (it is then left untouched).
    """
    if not name.strip():
        raise VariableSetsError(f"{path}: a variable set needs a name", str(path))
    sets = read_variable_sets(path)
    sets[name] = dict(values)
    text = format_variable_sets(sets)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
