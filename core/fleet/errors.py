"""Typed errors of the shared store (all ``ComponentError``s, so loaders' callers catch them)."""

from __future__ import annotations

from ..errors import ComponentError


class StoreError(ComponentError):
    """The shared store cannot serve a component, or refused an operation."""


class StoreUnavailableError(StoreError):
    """The server cannot be reached (down, cut off, or too slow to answer)."""


class StoreAuthError(StoreError):
    """The server refused the credentials (wrong password, unknown user, or no permission)."""


class StoreEntryError(StoreError):
    """An entry read from the server is missing, corrupt, malicious or too large."""


class StoreConflictError(StoreError):
    """Another publish switched the namespace while this one was preparing."""
