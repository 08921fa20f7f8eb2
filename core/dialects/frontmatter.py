"""YAML frontmatter (``---`` … ``---``): declared inputs, model settings, template format.

Parsed with PyYAML's safe loader (its C version when built), so a file can never build
Python objects. Understands the Prompty shape (``inputs: {name: {default, required}}``,
``model:``, ``template: jinja2``) and the Dotprompt shape (``input: {schema, default}``,
``model:``, ``config:``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

try:
    _SafeLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _SafeLoader = yaml.SafeLoader

KNOWN_KEYS = frozenset({"template_format", "template", "inputs", "input", "model", "config"})
"""Keys that mark a leading ``---`` block of a plain ``{name}`` file as frontmatter."""


@dataclass(frozen=True, slots=True)
class DeclaredInput:
    """An input the frontmatter declares."""

    name: str
    required: bool
    default: Any = None
    has_default: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Frontmatter:
    """The parsed frontmatter of one file."""

    data: Mapping[str, Any]
    template_format: str | None
    inputs: tuple[DeclaredInput, ...]
    model: Mapping[str, Any]
    """Model settings: ``model`` (a mapping, or ``{"name": ...}``) plus ``config``."""

    @property
    def defaults(self) -> dict[str, Any]:
        """Declared defaults by input name."""
        return {i.name: i.default for i in self.inputs if i.has_default}


class FrontmatterError(ValueError):
    """The frontmatter cannot be used; ``line``/``column`` are file positions."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


def split(text: str) -> tuple[str, str, int] | None:
    """``(yaml_text, body, body_line)`` when ``text`` opens with a ``---`` block, else None."""
    if not text.startswith("---"):
        return None
    first_end = text.find("\n")
    if first_end < 0 or text[3:first_end].strip():
        return None
    offset = first_end + 1
    line = 2
    while offset <= len(text):
        end = text.find("\n", offset)
        current = text[offset:] if end < 0 else text[offset:end]
        if current.rstrip("\r") in ("---", "..."):
            body_start = len(text) if end < 0 else end + 1
            return text[first_end + 1 : offset], text[body_start:], line + 1
        if end < 0:
            return None
        offset = end + 1
        line += 1
    return None


def load_yaml(yaml_text: str) -> Any:
    """Parse with the safe loader; errors carry the file line (the block starts on line 2)."""
    try:
        return yaml.load(yaml_text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if mark is not None:
            raise FrontmatterError(
                f"bad YAML in frontmatter: {problem}", mark.line + 2, mark.column + 1
            ) from None
        raise FrontmatterError(f"bad YAML in frontmatter: {problem}") from None


def _inputs(data: Mapping[str, Any]) -> tuple[DeclaredInput, ...]:
    found: list[DeclaredInput] = []
    inputs = data.get("inputs")
    if isinstance(inputs, list):
        found.extend(DeclaredInput(str(name), True) for name in inputs)
    elif isinstance(inputs, Mapping):
        for name, spec in inputs.items():
            if isinstance(spec, Mapping):
                has_default = "default" in spec
                required = bool(spec.get("required", not has_default))
                found.append(
                    DeclaredInput(
                        str(name),
                        required,
                        spec.get("default"),
                        has_default,
                        str(spec.get("description", "")),
                    )
                )
            else:  # ``name: type`` or ``name: value`` shorthand: the value is the sample
                found.append(DeclaredInput(str(name), False, spec, True))
    elif inputs is not None:
        raise FrontmatterError("'inputs' must be a list of names or a mapping")
    dotprompt = data.get("input")
    if isinstance(dotprompt, Mapping):
        schema = dotprompt.get("schema")
        defaults = dotprompt.get("default")
        defaults = defaults if isinstance(defaults, Mapping) else {}
        if isinstance(schema, Mapping):
            for key in schema:
                name = str(key).split("(", 1)[0].strip()
                optional = name.endswith("?")
                name = name.rstrip("?")
                found.append(
                    DeclaredInput(
                        name, not optional and name not in defaults,
                        defaults.get(name), name in defaults,
                    )
                )  # fmt: skip
    return tuple(found)


def parse(yaml_text: str) -> Frontmatter:
    """The frontmatter of a block; ``FrontmatterError`` when it is not a usable mapping."""
    data = load_yaml(yaml_text)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FrontmatterError(
            f"frontmatter must be a YAML mapping, not a {type(data).__name__}", 2, 1
        )
    fmt = data.get("template_format")
    template = data.get("template")
    if fmt is None and isinstance(template, str):
        fmt = template
    elif fmt is None and isinstance(template, Mapping):
        fmt = template.get("format")
    model: dict[str, Any] = {}
    raw_model = data.get("model")
    if isinstance(raw_model, Mapping):
        model.update(raw_model)
    elif raw_model is not None:
        model["name"] = raw_model
    if isinstance(data.get("config"), Mapping):
        model["config"] = data["config"]
    return Frontmatter(
        data=data,
        template_format=None if fmt is None else str(fmt),
        inputs=_inputs(data),
        model=model,
    )
