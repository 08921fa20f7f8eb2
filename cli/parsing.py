"""Types shared by the command modules' parsers."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from rich.console import Console

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``ArgumentParser.add_subparsers`` returns; each command module adds itself to it."""

Runner: TypeAlias = Callable[[argparse.Namespace, Console, Console], int]
"""A command's body: parsed options, stdout and stderr consoles in; exit status out."""
