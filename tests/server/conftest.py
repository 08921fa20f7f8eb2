"""Fixtures for the stats-server tests: a cache, a private socket folder, servers."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_testlib import ServerFactory

from promptcache import ComponentCache, StatsServer, serve_stats


@pytest.fixture
def cache() -> ComponentCache:
    return ComponentCache(max_size=100, max_memory_mb=50)


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A short private folder for sockets (AF_UNIX paths are limited to 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="pcs-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def make_server(cache: ComponentCache, sock_dir: Path) -> Iterator[ServerFactory]:
    """``make_server(address=unix:<sock_dir>/s.sock, cache=cache, start=True, **kw)``;
    closed at teardown."""
    made: list[StatsServer] = []

    def _make(address: str | None = None, *, start: bool = True, **kwargs: Any) -> StatsServer:
        target = kwargs.pop("cache", cache)
        where = address or f"unix:{sock_dir}/s.sock"
        server = serve_stats(target, where, **kwargs) if start else StatsServer(
            target, where, **kwargs
        )  # fmt: skip
        made.append(server)
        return server

    yield _make
    for server in made:
        server.close()


@pytest.fixture
def server(make_server: ServerFactory) -> StatsServer:
    """A running server on a Unix socket, control disabled."""
    return make_server()
