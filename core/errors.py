"""Typed exceptions. Every error a user can cause is a ``ComponentError``."""

from __future__ import annotations


class ComponentError(Exception):
    """Base class for every promptcache error; the message names the path involved."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class ComponentNotFoundError(ComponentError):
    """The component file does not exist."""


class ComponentOutsideBaseError(ComponentError):
    """The path would read outside the component folder (traversal, absolute, NUL, symlink)."""


class ComponentNotTextError(ComponentError):
    """The file is not UTF-8 text."""


class ComponentTooLargeError(ComponentError):
    """The file, or the entry made from it, is larger than allowed."""


class ComponentNotAFileError(ComponentError):
    """The path names a directory or another kind of non-regular file."""


class EntryTooLargeError(ComponentTooLargeError):
    """A cache entry is larger than the cache's whole memory budget."""
