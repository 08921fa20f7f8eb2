"""Beyond one machine: components published to Redis or Valkey, loaded by every worker.

Needs redis-py (``pip install 'promptcache[redis]'``). ``promptcache publish DIR URL``
uploads a folder; ``CachedComponentLoader("redis://...", cache, namespace=...)`` loads
from it through the process's own cache; server-assisted invalidation drops what a
publish changed in every connected worker.
"""

from __future__ import annotations

from ..errors import PromptCacheError

try:
    import redis as _redis  # noqa: F401
except ImportError:  # pragma: no cover - the extra is installed in every test run
    raise PromptCacheError("redis:// needs redis-py: pip install 'promptcache[redis]'") from None

from .errors import (
    StoreAuthError,
    StoreConflictError,
    StoreEntryError,
    StoreError,
    StoreUnavailableError,
)
from .fleet_snapshot import FleetReader, FleetSnapshot, WorkerRow, read_fleet
from .publish import PublishReport, publish
from .remote_loader import RemoteComponentLoader
from .store import Keys, Manifest, StoreAddress, is_store_url, redact


def remote_loader_class(url: str) -> type[RemoteComponentLoader]:
    """The loader class for a store URL (raises StoreError for another scheme)."""
    StoreAddress.parse(url)
    return RemoteComponentLoader


__all__ = [
    "FleetReader",
    "FleetSnapshot",
    "Keys",
    "Manifest",
    "PublishReport",
    "RemoteComponentLoader",
    "StoreAddress",
    "StoreAuthError",
    "StoreConflictError",
    "StoreEntryError",
    "StoreError",
    "StoreUnavailableError",
    "WorkerRow",
    "is_store_url",
    "publish",
    "read_fleet",
    "redact",
    "remote_loader_class",
]
