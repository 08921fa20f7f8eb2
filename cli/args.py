"""argparse value types shared by every command: each rejects bad input in one line."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*\Z")


def whole_number(text: str) -> int:
    """argparse type: any whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _finite_number(*, allow_zero: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            bound = "0 or more" if allow_zero else "above 0"
            raise argparse.ArgumentTypeError(f"must be {bound} (and finite), got {text}")
        return value

    return parse


positive_float = _finite_number(allow_zero=False)
"""argparse type: a finite number above 0."""

non_negative_float = _finite_number(allow_zero=True)
"""argparse type: a finite number of 0 or more."""


def assignment(text: str) -> tuple[str, str]:
    """argparse type: ``NAME=VALUE`` with NAME an identifier (or a path: ``user.name``)."""
    name, equals, value = text.partition("=")
    if not equals:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    if not _NAME.match(name):
        raise argparse.ArgumentTypeError(
            f"{name!r} is not a variable name (letters, digits and _, not starting with a digit)"
        )
    return name, value


def theme_name(text: str) -> str:
    """argparse type: the name of one of Textual's built-in themes."""
    from textual.theme import BUILTIN_THEMES

    if text not in BUILTIN_THEMES:
        choices = ", ".join(sorted(BUILTIN_THEMES))
        raise argparse.ArgumentTypeError(f"no theme {text!r}; choose one of: {choices}")
    return text
