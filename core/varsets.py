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

import importlib.util
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
import tomlkit
from tomlkit.items import Comment, Table, Whitespace

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
    text = _read_text(path)
    if text is None:
        return {}
    return _parse_sets(path, text)


def _read_text(path: Path) -> str | None:
    """The file's text (None when there is none), read as ``read_variable_sets`` says."""
    try:
        raw, st = open_component(path.parent, path.name, max_bytes=MAX_VARS_BYTES)
    except ComponentNotFoundError:
        return None
    except ComponentError as exc:
        reason = str(exc).removeprefix(f"{path.name}: ")
        raise VariableSetsError(f"{path}: {reason}", str(path)) from None
    try:
        if not _in_package(path):  # the installed package's own files are trusted
            refuse_untrusted(path, st, "the variable file")
    except ComponentError as exc:
        raise VariableSetsError(str(exc), str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise VariableSetsError(f"{path}: not UTF-8 text", str(path)) from None
    return text


def _parse_sets(path: Path, text: str) -> dict[str, dict[str, str]]:
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


def _package_folders() -> list[Path]:
    """The folders of the installed promptcache packages (found without importing them)."""
    folders = [Path(__file__).resolve().parent]
    for name in ("promptcache.tui", "promptcache.cli"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # pragma: no cover - a partial installation
            continue
        if spec is not None and spec.submodule_search_locations:
            folders.extend(Path(p).resolve() for p in spec.submodule_search_locations)
    return folders


def _in_package(path: Path) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(package) for package in _package_folders())


def user_variable_sets_file(folder: Path) -> Path | None:
    """For a folder inside the installed package (the bundled samples), the file in the
    user's data folder (platformdirs) that keeps its variable sets; None for any other
    folder, whose sets live in its own ``VARS_FILE``."""
    resolved = folder.resolve()
    for package in _package_folders():
        if resolved == package or resolved.is_relative_to(package):
            inside = resolved.relative_to(package).parts or ("package",)
            data = platformdirs.user_data_path("promptcache", appauthor=False)
            return data / "variable-sets" / f"{package.name}-{'-'.join(inside)}.toml"
    return None


def variable_sets_file(folder: Path) -> Path:
    """The file that saving a set for ``folder`` writes: its ``VARS_FILE``, or, for a folder
    inside the installed package, ``user_variable_sets_file`` (never the package itself)."""
    return user_variable_sets_file(folder) or folder / VARS_FILE


def _table_value(old: Any, new: str) -> Any:
    """``new`` as the file's value: the old item untouched when it says the same (a number
    stays a number, its comment stays), else a TOML string."""
    if old is not None:
        plain = old.unwrap() if hasattr(old, "unwrap") else old
        if isinstance(plain, bool):
            same = ("true" if plain else "false") == new
        else:
            same = str(plain) == new
        if same:
            return old
    return new


def _updated_table(old: Table, values: dict[str, str]) -> Table:
    """``old`` with exactly ``values``: kept keys stay where they were with their comments,
    new ones follow the last key, and comments after it (those that introduce the next
    table) stay last."""
    body = old.value.body
    last_key = max((i for i, (key, _item) in enumerate(body) if key is not None), default=-1)
    new = tomlkit.table()
    new.trivia.indent = old.trivia.indent
    new.trivia.comment_ws = old.trivia.comment_ws
    new.trivia.comment = old.trivia.comment
    for key, item in body[: last_key + 1]:
        if key is None:
            if isinstance(item, (Comment, Whitespace)):
                new.add(item)
        elif key.key in values:
            new.add(key, _table_value(item, values[key.key]))
    for key_name, value in values.items():
        if key_name not in new:
            new.add(key_name, value)
    for _key, item in body[last_key + 1 :]:
        if isinstance(item, (Comment, Whitespace)):
            new.add(item)
    # An empty whitespace item: tomlkit then sees the table end in whitespace and adds no
    # blank line of its own after a trailing comment.
    new.add(tomlkit.ws(""))
    return new


def save_variable_set(path: Path, name: str, values: dict[str, str]) -> Path:
    """Add or replace set ``name``, keeping the other sets and the file's comments, order
    and formatting (tomlkit); atomic write. Returns the file written.

    ``path`` is a folder's ``VARS_FILE``. For a folder inside the installed package the
    sets go to the user's data folder instead (``user_variable_sets_file``), starting from
    a copy of the bundled file. Raises ``VariableSetsError`` if the file to update is
    broken (it is then left untouched).
    """
    if not name.strip():
        raise VariableSetsError(f"{path}: a variable set needs a name", str(path))
    target = user_variable_sets_file(path.parent) or path
    source = target if target.exists() or target == path else path
    text = _read_text(source)
    if text is None:
        text = _NEW_FILE_HEADER
    else:
        _parse_sets(source, text)  # refuses a broken file with its line, before any change
    document = tomlkit.parse(text)
    existing = document.get(name)
    if isinstance(existing, Table):
        document[name] = _updated_table(existing, values)
    else:  # a new set (or an inline table, which becomes a [table])
        table = tomlkit.table()
        for key, value in values.items():
            table[key] = value
        if existing is None:
            document.add(name, table)
        else:
            document[name] = table
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, tomlkit.dumps(document))
    return target


_NEW_FILE_HEADER = '# promptcache variable sets: one [table] per set, variable = "value"\n'
