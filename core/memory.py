"""Estimates of the memory that the cache really retains, as CPython allocates it."""

from __future__ import annotations

import sys
from collections.abc import Hashable
from typing import Any, Final

_getsizeof = sys.getsizeof

MIB: Final = 1024 * 1024
"""Bytes in a mebibyte: memory limits are given in MiB."""

ENTRY_OVERHEAD = 245
"""Bytes each entry costs besides its content, path, metadata and context: the entry
object, its timestamp and its node in the policy's ordered table.
Measured with tracemalloc on CPython 3.11 (tests and benchmarks/memory_accounting.py
check it); the tables grow by doubling, so it is an average."""


CONTEXT_INDEX_COST = 206
"""An entry with a context is keyed by a (path, context) tuple and listed in the cache's
per-path index of variants (a set per path, shared by its variants): the tuple and the
average share of the set, measured as above."""


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


def _metadata_size(metadata: dict[str, Any], path: str) -> int:
    # Keys are nearly always literal (interned, shared) strings: not counted. Values that
    # are singletons, small ints or the path itself are shared too.
    size = _getsizeof(metadata)
    for value in metadata.values():
        if value is path or value is None or value is True or value is False:
            continue
        kind = type(value)
        if kind is float:
            size += 24
        elif kind is int:
            if not -5 <= value <= 256:
                size += _getsizeof(value)
        elif kind is str:
            size += _getsizeof(value)
        else:
            size += deep_sizeof(value)
    return size


def extra_size(path: str, metadata: dict[str, Any], context: Hashable) -> int:
    """What metadata and a context add to ``ENTRY_OVERHEAD`` (which assumes neither)."""
    size = _metadata_size(metadata, path) if metadata else 0
    if context != "":
        size += _context_size(context) + CONTEXT_INDEX_COST
    return size


def _context_size(context: Hashable) -> int:
    # A loader context is a frozenset of (name, value) pairs. Names are literals in the
    # caller's code (shared, not retained by the cache), so only the values count.
    if type(context) is not frozenset:
        return deep_sizeof(context)
    size = _getsizeof(context)
    for pair in context:
        if type(pair) is tuple and len(pair) == 2:
            size += 56 + _getsizeof(pair[1])
        else:
            size += deep_sizeof(pair)
    return size
