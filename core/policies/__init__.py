"""Eviction policies selectable by name: ``ComponentCache(policy="adaptive")``."""

from __future__ import annotations

from collections.abc import Callable
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any

from ..policy import EvictionPolicy, LRUPolicy
from . import adaptive
from .adaptive import AdaptivePolicy
from .arc import ARCPolicy
from .fifo import FIFOPolicy
from .lfu import LFUPolicy
from .lirs import LIRSPolicy
from .s3fifo import S3FIFOPolicy
from .sieve import SIEVEPolicy
from .wtinylfu import WTinyLFUPolicy

POLICIES: dict[str, Callable[[], EvictionPolicy[Any]]] = {
    "lru": LRUPolicy,
    "adaptive": AdaptivePolicy,
    "fifo": FIFOPolicy,
    "lfu": LFUPolicy,
    "arc": ARCPolicy,
    "lirs": LIRSPolicy,
    "s3fifo": S3FIFOPolicy,
    "sieve": SIEVEPolicy,
    "wtinylfu": WTinyLFUPolicy,
}
"""Policy name -> a factory making a fresh, empty policy."""

COMPILED: bool = adaptive.__file__ is not None and adaptive.__file__.endswith(
    tuple(EXTENSION_SUFFIXES)
)
"""Whether the policies run compiled (mypyc, see setup.py) rather than interpreted."""


def make_policy(policy: str | EvictionPolicy[Any] | None) -> EvictionPolicy[Any]:
    """A policy from a name in ``POLICIES`` (or None, LRU); a policy object as it is."""
    if policy is None:
        return LRUPolicy()
    if isinstance(policy, str):
        factory = POLICIES.get(policy)
        if factory is None:
            raise ValueError(
                f"unknown eviction policy {policy!r}; choose from {', '.join(POLICIES)}"
            )
        return factory()
    return policy


__all__ = [
    "COMPILED",
    "POLICIES",
    "ARCPolicy",
    "AdaptivePolicy",
    "FIFOPolicy",
    "LFUPolicy",
    "LIRSPolicy",
    "S3FIFOPolicy",
    "SIEVEPolicy",
    "WTinyLFUPolicy",
    "make_policy",
]
