"""Choose each file's dialect and split off its frontmatter.

Precedence: the frontmatter's ``template_format``; then the extension (``.j2``, ``.jinja``,
``.jinja2`` and ``.prompty`` are Jinja2, ``.mustache`` and ``.hbs`` Mustache/Handlebars);
then ``template_format`` in the folder's ``.promptcache.toml``; then ``brace`` (``{name}``).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from ..errors import ComponentError
from .base import BRACE, FORMATS, JINJA2, MUSTACHE, Diagnostic, SourceFile
from .frontmatter import KNOWN_KEYS, Frontmatter, FrontmatterError, parse, split

EXTENSIONS = {
    ".j2": JINJA2,
    ".jinja": JINJA2,
    ".jinja2": JINJA2,
    ".prompty": JINJA2,
    ".mustache": MUSTACHE,
    ".hbs": MUSTACHE,
}
PROJECT_FILE = ".promptcache.toml"
"""The folder's project file (hidden, so never a component): ``template_format = "jinja2"``."""

BAD_FRONTMATTER = "bad_frontmatter"
UNKNOWN_FORMAT = "unknown_template_format"


class ProjectConfigError(ComponentError):
    """The folder's ``.promptcache.toml`` cannot be used."""


def normal_format(name: str) -> str | None:
    """The dialect a ``template_format`` value names, or None when there is none."""
    value = name.strip().lower()
    if value in ("fstring", "f-string", BRACE):
        return BRACE
    if value in (JINJA2, "jinja", "nunjucks"):
        return JINJA2
    if value in (MUSTACHE, "handlebars"):
        return MUSTACHE
    return None


def read_folder_default(base: str | os.PathLike[str]) -> str | None:
    """``template_format`` from the folder's ``.promptcache.toml``; None when there is none."""
    path = Path(base) / PROJECT_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProjectConfigError(f"{path}: cannot read ({exc.strerror})", str(path)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectConfigError(f"{path}: {exc}", str(path)) from None
    value = data.get("template_format")
    if value is None:
        return None
    dialect = normal_format(str(value))
    if dialect is None:
        raise ProjectConfigError(
            f"{path}: template_format {value!r} is not one of {', '.join(FORMATS)}", str(path)
        )
    return dialect


def _key_line(yaml_text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*:", yaml_text, re.MULTILINE)
    return (yaml_text.count("\n", 0, match.start()) + 2) if match else 2


def make_source(path: str, text: str, folder_default: str | None = None) -> SourceFile:
    """Split ``text`` (the file at ``path``) and choose its dialect."""
    ext_dialect = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    expected = ext_dialect is not None or folder_default is not None
    block = split(text) if text.startswith("---") else None
    frontmatter: Frontmatter | None = None
    problems: list[Diagnostic] = []
    body, body_line = text, 1
    if block is not None:
        yaml_text, rest, rest_line = block
        try:
            parsed = parse(yaml_text)
        except FrontmatterError as exc:
            if expected or "template_format" in yaml_text:
                problems.append(
                    Diagnostic("error", BAD_FRONTMATTER, str(exc), exc.line, exc.column, path)
                )
                body, body_line = rest, rest_line
        else:
            if expected or KNOWN_KEYS.intersection(parsed.data):
                frontmatter, body, body_line = parsed, rest, rest_line
    dialect = ext_dialect or folder_default or BRACE
    if frontmatter is not None and frontmatter.template_format is not None:
        chosen = normal_format(frontmatter.template_format)
        if chosen is None:
            key = "template_format" if "template_format" in frontmatter.data else "template"
            problems.append(
                Diagnostic(
                    "error",
                    UNKNOWN_FORMAT,
                    f"template_format {frontmatter.template_format!r} is not one of "
                    f"{', '.join(FORMATS)}",
                    _key_line(block[0] if block else "", key),
                    1,
                    path,
                )
            )
        else:
            dialect = chosen
    return SourceFile(path, text, body, body_line, dialect, frontmatter, tuple(problems))
