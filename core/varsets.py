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
import re
import tomllib
from pathlib import Path

from .errors import ComponentError, ComponentNotFoundError
from .files import atomic_write, refuse_untrusted
from .paths import open_component

MAX_VARS_BYTES = 1 << 20
"""The largest variable-set file read (1 MiB)."""

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

    The file is read like a component of its own folder: no symlink leading out of it,
    no FIFO or device, at most ``MAX_VARS_BYTES``; and only when the user owns it and
    nobody else can write it. Raises ``VariableSetsError`` naming the file (and the line
    for bad syntax or wrong types).
    """
    try:
        raw, st = open_component(path.parent, path.name, max_bytes=MAX_VARS_BYTES)
    except ComponentNotFoundError:
        return {}
    except ComponentError as exc:
        reason = str(exc).removeprefix(f"{path.name}: ")
        raise VariableSetsError(f"{path}: {reason}", str(path)) from None
    try:
        refuse_untrusted(path, st, "the variable file")
    except ComponentError as exc:
        raise VariableSetsError(str(exc), str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise VariableSetsError(f"{path}: not UTF-8 text", str(path)) from None
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise VariableSetsError(f"{path}: tables or arrays nested too deeply", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        match = _LINE.search(str(exc))
        line = match.group(1) if match else "1"
        reason = _LINE.sub("", str(exc)).strip()
        raise VariableSetsError(f"{path}:{line}: {reason}", str(path)) from None
    except ValueError as exc:  # a number over Python's digit limit
        raise VariableSetsError(f"{path}: {exc}", str(path)) from None
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
    atomic_write(path, format_variable_sets(sets))
