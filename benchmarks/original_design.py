"""The ORIGINAL design's cache and loader, re-implemented only as a timing anchor.

Written from the design's description (DEVELOPERS.md / issue 2), not copied: an
OrderedDict behind a threading.RLock, 16-hex-digit truncated MD5 keys, a stats dict, and
a loader that hashes a JSON dump of the context and fills ``{key}`` placeholders with
``str.replace``. Its defects (stale content, path traversal, key collisions, a memory
gauge that undercounts) are kept on purpose: this is what the new core is measured against.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class CacheEntry:
    content: str
    metadata: dict[str, Any]
    access_count: int
    last_accessed: float
    created_at: float
    token_count: int
    hash_key: str


def estimate_memory(content: str, metadata: dict[str, Any]) -> int:
    """The original gauge: UTF-8 bytes of the content + JSON of the metadata + 200."""
    return len(content.encode("utf-8")) + len(json.dumps(metadata).encode("utf-8")) + 200


class ComponentCache:
    """LRU cache of rendered components, bounded by entry count and estimated memory."""

    def __init__(self, max_size: int = 100, max_memory_mb: float = 50) -> None:
        self.max_size = max_size
        self.max_memory_bytes = int(max_memory_mb * 1024 * 1024)
        self.cache: OrderedDict[str, CacheEntry] = OrderedDict()
        self.sizes: dict[str, int] = {}
        self.lock = threading.RLock()
        self.stats = {
            "hits": 0,
            "misses": 0,
            "evictions": 0,
            "total_requests": 0,
            "memory_usage": 0,
        }

    @staticmethod
    def _key(component_path: str, context_hash: str) -> str:
        return hashlib.md5(f"{component_path}::{context_hash}".encode()).hexdigest()[:16]

    def get(self, component_path: str, context_hash: str = "") -> CacheEntry | None:
        with self.lock:
            key = self._key(component_path, context_hash)
            self.stats["total_requests"] += 1
            if key in self.cache:
                entry = self.cache.pop(key)  # re-insert: now the most recently used
                self.cache[key] = entry
                entry.access_count += 1
                entry.last_accessed = time.time()
                self.stats["hits"] += 1
                return entry
            self.stats["misses"] += 1
            return None

    def put(
        self,
        component_path: str,
        content: str,
        metadata: dict[str, Any],
        context_hash: str = "",
    ) -> None:
        with self.lock:
            key = self._key(component_path, context_hash)
            now = time.time()
            entry = CacheEntry(
                content=content,
                metadata=metadata,
                access_count=1,
                last_accessed=now,
                created_at=now,
                token_count=len(content.split()),
                hash_key=key,
            )
            size = estimate_memory(content, metadata)
            if key in self.cache:
                del self.cache[key]
                self.stats["memory_usage"] -= self.sizes.pop(key)
            self.cache[key] = entry
            self.sizes[key] = size
            self.stats["memory_usage"] += size
            while self.cache and (
                len(self.cache) > self.max_size
                or self.stats["memory_usage"] > self.max_memory_bytes
            ):
                old_key, _ = self.cache.popitem(last=False)
                self.stats["memory_usage"] -= self.sizes.pop(old_key)
                self.stats["evictions"] += 1


class CachedComponentLoader:
    """Reads ``base_path / path`` (unchecked) through the cache, never noticing edits."""

    def __init__(self, base_path: str | Path, cache: ComponentCache) -> None:
        self.base_path = Path(base_path)
        self.cache = cache
        self.load_times: dict[str, float] = {}

    def load_component(
        self, component_path: str, context_vars: dict[str, Any] | None = None
    ) -> str:
        context_hash = ""
        if context_vars:
            dumped = json.dumps(context_vars, sort_keys=True)
            context_hash = hashlib.md5(dumped.encode()).hexdigest()[:8]
        entry = self.cache.get(component_path, context_hash)
        if entry:
            return entry.content
        try:
            started = time.time()
            with open(self.base_path / component_path, encoding="utf-8") as handle:
                content = handle.read()
            if context_vars:
                for key, value in context_vars.items():
                    content = content.replace("{" + key + "}", str(value))
            load_time = time.time() - started
            metadata = {
                "component_path": component_path,
                "load_time": load_time,
                "file_size": len(content),
                "context_applied": bool(context_vars),
            }
            self.cache.put(component_path, content, metadata, context_hash)
            self.load_times[component_path] = load_time
            return content
        except Exception as exc:
            print(f"Error loading component {component_path}: {exc}")
            raise
