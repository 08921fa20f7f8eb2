"""Typed exceptions. Every error promptcache raises on purpose is a ``PromptCacheError``."""

from __future__ import annotations


class PromptCacheError(Exception):
    """Root of every promptcache error: catch this one to handle them all.

    The message is one line, fit to show a user; ``path`` names the file or address
    involved when there is one.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class ComponentError(PromptCacheError):
    """A component (or a file the loader reads for it) cannot be loaded or used."""


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
