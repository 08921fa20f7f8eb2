"""promptcache core: a thread-safe component cache, a loader and a monitor (no UI)."""

from .cache import DEFAULT_HOT_COMPONENTS, MIB, CacheEntry, ComponentCache, EvictionJournal
from .errors import (
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentNotTextError,
    ComponentOutsideBaseError,
    ComponentTooLargeError,
    EntryTooLargeError,
)
from .events import CacheEvent, EventKind, EventLog
from .loader import CachedComponentLoader, LoadResult, WarmupReport, context_key
from .monitor import CachePerformanceMonitor
from .policy import EvictionPolicy, LRUPolicy
from .server import StatsServer, local_servers, parse_address, serve_stats
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
    "EventKind",
    "EventLog",
    "EvictionJournal",
    "EvictionPolicy",
    "LRUPolicy",
    "LoadResult",
    "StatsServer",
    "TemplateDiagnostics",
    "WarmupReport",
    "context_key",
    "describe_context",
    "diagnose",
    "local_servers",
    "parse_address",
    "placeholders",
    "render",
    "serve_stats",
]
