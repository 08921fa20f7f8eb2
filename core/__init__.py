"""promptcache core: a thread-safe component cache, a loader and a monitor (no UI)."""

from .cache import DEFAULT_HOT_COMPONENTS, MIB, CacheEntry, ComponentCache
from .errors import (
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentNotTextError,
    ComponentOutsideBaseError,
    ComponentTooLargeError,
    EntryTooLargeError,
)
from .events import CacheEvent, EventLog
from .loader import CachedComponentLoader, LoadResult, WarmupReport, context_key
from .monitor import CachePerformanceMonitor
from .policy import EvictionPolicy, LRUPolicy
from .stats import CacheSnapshot, EntryView, describe_context
from .template import TemplateDiagnostics, diagnose, placeholders, render

__all__ = [
    "DEFAULT_HOT_COMPONENTS",
    "MIB",
    "CacheEntry",
    "CacheEvent",
    "CachePerformanceMonitor",
    "CacheSnapshot",
    "CachedComponentLoader",
    "ComponentCache",
    "ComponentError",
    "ComponentNotAFileError",
    "ComponentNotFoundError",
    "ComponentNotTextError",
    "ComponentOutsideBaseError",
    "ComponentTooLargeError",
    "EntryTooLargeError",
    "EntryView",
    "EventLog",
    "EvictionPolicy",
    "LRUPolicy",
    "LoadResult",
    "TemplateDiagnostics",
    "WarmupReport",
    "context_key",
    "describe_context",
    "diagnose",
    "placeholders",
    "render",
]
