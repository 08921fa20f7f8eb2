"""Which component includes which: a thread-safe graph with transitive dependents."""

from __future__ import annotations

import threading
from collections.abc import Iterable


class IncludeGraph:
    """Edges ``includer → included`` by path; every method is safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._includes: dict[str, tuple[str, ...]] = {}
        self._included_by: dict[str, set[str]] = {}

    def set_includes(self, path: str, included: Iterable[str]) -> None:
        """Replace what ``path`` includes."""
        new = tuple(dict.fromkeys(included))
        with self._lock:
            old = self._includes.get(path, ())
            if old == new:
                return
            for target in old:
                users = self._included_by.get(target)
                if users is not None:
                    users.discard(path)
                    if not users:
                        del self._included_by[target]
            if new:
                self._includes[path] = new
            else:
                self._includes.pop(path, None)
            for target in new:
                self._included_by.setdefault(target, set()).add(path)

    def includes(self, path: str) -> tuple[str, ...]:
        """What ``path`` includes directly."""
        with self._lock:
            return self._includes.get(path, ())

    def included_by(self, path: str) -> tuple[str, ...]:
        """Who includes ``path`` directly, sorted."""
        with self._lock:
            return tuple(sorted(self._included_by.get(path, ())))

    def dependents(self, paths: Iterable[str]) -> set[str]:
        """Every path that includes one of ``paths``, directly or through others."""
        with self._lock:
            if not self._included_by:
                return set()
            found: set[str] = set()
            todo = [p for p in paths if p in self._included_by]
            while todo:
                for user in self._included_by.get(todo.pop(), ()):
                    if user not in found:
                        found.add(user)
                        todo.append(user)
            return found

    def closure(self, path: str) -> list[str]:
        """Everything ``path`` includes, directly or not (each once, ``path`` excluded)."""
        with self._lock:
            seen: dict[str, None] = {}
            todo = list(self._includes.get(path, ()))
            while todo:
                current = todo.pop()
                if current in seen or current == path:
                    continue
                seen[current] = None
                todo.extend(self._includes.get(current, ()))
            return list(seen)

    def known(self) -> set[str]:
        """Every path that includes or is included."""
        with self._lock:
            return set(self._includes) | set(self._included_by)

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._includes)
