"""promptcache: a thread-safe cache for prompt components, a loader and a monitor (no UI).

The Textual app lives in ``promptcache.tui`` and the command line in ``promptcache.cli``;
neither is imported from here.
"""

from .addresses import Address, local_servers, parse_address
from .cache import DEFAULT_HOT_COMPONENTS, MIB, CacheEntry, ComponentCache, EvictionJournal, Warmer
from .errors import (
    ComponentError,
    ComponentNotAFileError,
    ComponentNotFoundError,
    ComponentNotTextError,
    ComponentOutsideBaseError,
    ComponentTooLargeError,
    EntryTooLargeError,
    PromptCacheError,
)
from .events import CacheEvent, EventKind, EventLog
from .loader import CachedComponentLoader, LoadResult, WarmupReport, context_key
from .monitor import CachePerformanceMonitor, MonitorSnapshot, PerformanceTrends, TrendAnalysis
from .policies import POLICIES, AdaptivePolicy, make_policy
from .policy import EvictionPolicy, LRUPolicy
from .server import StatsServer, serve_stats
from .stats import HIT_RATIO_TARGET, CacheSnapshot, EntryView, TopComponent, describe_context
from .template import TemplateDiagnostics, diagnose, placeholders, render

__all__ = [
    "DEFAULT_HOT_COMPONENTS",
    "HIT_RATIO_TARGET",
    "MIB",
    "POLICIES",
    "AdaptivePolicy",
    "Address",
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
    "MonitorSnapshot",
    "PerformanceTrends",
    "PromptCacheError",
    "StatsServer",
    "TemplateDiagnostics",
    "TopComponent",
    "TrendAnalysis",
    "Warmer",
    "WarmupReport",
    "context_key",
    "describe_context",
    "diagnose",
    "local_servers",
    "make_policy",
    "parse_address",
    "placeholders",
    "render",
    "serve_stats",
]
