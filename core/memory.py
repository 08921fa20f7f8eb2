"""Estimates of the memory that the cache really retains, as CPython allocates it."""

from __future__ import annotations

import sys
from typing import Any

_getsizeof = sys.getsizeof

# Bookkeeping each entry costs beyond its own objects: a slot in the entry dict and a
# node in the LRU order (OrderedDict), measured with tracemalloc on CPython 3.11-3.13
# with tests/test_memory_accounting.py. The tables grow by doubling, so this is an average.
PER_ENTRY_OVERHEAD = 150


def deep_sizeof(obj: Any, _depth: int = 0) -> int:
    """Size in bytes of ``obj`` and the containers and scalars it holds (JSON-like data)."""
    size = _getsizeof(obj)
    if _depth > 8:
        return size
    if isinstance(obj, dict):
        for k, v in obj.items():
            size += deep_sizeof(k, _depth + 1) + deep_sizeof(v, _depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            size += deep_sizeof(item, _depth + 1)
    return size
