"""Server restart, a network cut (kill -STOP), FLUSHALL, wrong passwords, ACL users."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from fleet_testlib import (
    Server,
    free_port,
    make_certificates,
    server_binaries,
    tls_capable_servers,
    wait_until,
    write_components,
)

from promptcache import CachedComponentLoader, ComponentCache, ComponentNotFoundError
from promptcache.fleet import StoreAuthError, StoreUnavailableError, publish

TIMEOUT_S = 0.3
"""The loaders' connect/read timeout here: keeps the cut-off tests short."""


def remote(server: Server, **kwargs: object) -> CachedComponentLoader:
    return CachedComponentLoader(
        server.url, ComponentCache(), namespace="ns", timeout_s=TIMEOUT_S, **kwargs
    )


def test_restart_mid_traffic_serves_without_exceptions_then_drops_everything(
    server: Server, tmp_path: Path
) -> None:
    folder = write_components(tmp_path, {"a.md": "v1", "b.md": "b"})
    publish(folder, server.url, namespace="ns")
    errors: list[tuple[float, BaseException]] = []
    served: list[str] = []
    stop = threading.Event()
    with remote(server) as loader:
        assert loader.load_component("a.md") == "v1"

        def traffic() -> None:
            while not stop.is_set():
                try:
                    served.append(loader.load_component("a.md"))
                except BaseException as exc:
                    errors.append((time.monotonic(), exc))
                time.sleep(0.001)

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            server.stop()
            wait_until(lambda: loader.stale, what="the loader to notice the server is gone")
            assert loader.get_performance_stats()["store"]["stale"] is True
            count = len(served)
            wait_until(lambda: len(served) > count + 20, what="hits while the server is down")
            server.start()  # an empty server: persistence is off
            publish(write_components(folder, {"a.md": "v2"}), server.url, namespace="ns")
            published_at = time.monotonic()
            wait_until(lambda: not loader.stale, what="the loader to reconnect")
            wait_until(lambda: served[-1] == "v2", what="the new content after reconnect")
        finally:
            stop.set()
            thread.join(5)
        # No exception while the server was down. Once the emptied server is back, the
        # worker drops everything; until the publish, loads say nothing is published.
        for when, exc in errors:
            assert isinstance(exc, ComponentNotFoundError), exc
            assert "nothing is published" in str(exc) and when < published_at + 0.05
        assert set(served) == {"v1", "v2"}
        assert loader.reconnects == 1
        # Everything held before the restart was dropped, including b.md (never reloaded).
        assert loader.cache.paths() == {"a.md"}


def test_network_cut_keeps_hits_marks_stale_and_cold_misses_fail_typed(
    server: Server, tmp_path: Path
) -> None:
    folder = write_components(tmp_path, {"a.md": "v1", "b.md": "b1"})
    publish(folder, server.url, namespace="ns")
    with remote(server) as loader:
        assert loader.load_component("a.md") == "v1"
        server.pause()
        try:
            wait_until(lambda: loader.stale, timeout_s=5, what="the cut to be noticed")
            started = time.monotonic()
            assert loader.load_component("a.md") == "v1"  # a hit: no network
            with pytest.raises(StoreUnavailableError, match="server unavailable"):
                loader.load_component("b.md")
            assert time.monotonic() - started < 1.0
        finally:
            server.resume()
        wait_until(lambda: not loader.stale, timeout_s=5, what="the loader to reconnect")
        assert loader.cache.paths() == frozenset()  # it may have missed invalidations
        assert loader.load_component("b.md") == "b1"


def test_cold_miss_while_down_falls_back_to_a_local_folder(server: Server, tmp_path: Path) -> None:
    published = write_components(tmp_path / "pub", {"a.md": "from the store"})
    local = write_components(tmp_path / "local", {"a.md": "from the folder {x}"})
    publish(published, server.url, namespace="ns")
    server.stop()
    with remote(server, fallback=local) as loader:
        assert loader.stale
        assert loader.load_component("a.md", {"x": "1"}) == "from the folder 1"
        with pytest.raises(ComponentNotFoundError):
            loader.load_component("nope.md")
        server.start()
        publish(published, server.url, namespace="ns")
        wait_until(lambda: not loader.stale, what="the loader to reconnect")
        assert loader.load_component("a.md", {"x": "1"}) == "from the store"


def test_flushall_drops_every_entry_and_loads_fail_typed_until_republished(
    any_server: Server, tmp_path: Path
) -> None:
    folder = write_components(tmp_path, {"a.md": "v1"})
    publish(folder, any_server.url, namespace="flush")
    with CachedComponentLoader(any_server.url, ComponentCache(), namespace="flush") as loader:
        assert loader.load_component("a.md") == "v1"
        any_server.client().flushall()
        wait_until(lambda: not loader.cache.paths(), what="FLUSHALL to empty the local cache")
        with pytest.raises(ComponentNotFoundError, match="nothing is published"):
            loader.load_component("a.md")
        publish(write_components(folder, {"a.md": "v1 again"}), any_server.url, namespace="flush")
        wait_until(lambda: loader.version == 1, what="the republished manifest")
        assert loader.load_component("a.md") == "v1 again"


def test_wrong_password_is_a_typed_error_that_never_shows_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server("redis", server_binaries()["redis"], free_port(), password="s3cret-pw")
    server.start()
    try:
        wrong = server.url.replace("s3cret-pw", "guess-pw")
        caplog.set_level(logging.DEBUG)
        with pytest.raises(StoreAuthError) as raised:
            CachedComponentLoader(wrong, ComponentCache(), namespace="ns")
        with pytest.raises(StoreAuthError) as raised_publish:
            publish(tmp_path, wrong, namespace="ns")
        no_password = server.url.replace(":s3cret-pw@", "")
        with pytest.raises(StoreAuthError, match=r"needs a password|refused"):
            CachedComponentLoader(no_password, ComponentCache(), namespace="ns")
        for text in (str(raised.value), str(raised_publish.value), caplog.text):
            assert "guess-pw" not in text and "s3cret-pw" not in text
        assert "redis://:***@127.0.0.1" in str(raised.value)
        # The right password works, and the loader's stats and repr never show it.
        publish(write_components(tmp_path, {"a.md": "ok"}), server.url, namespace="ns")
        with CachedComponentLoader(server.url, ComponentCache(), namespace="ns") as loader:
            assert loader.load_component("a.md") == "ok"
            shown = f"{loader.get_performance_stats()} {loader.address!r} {loader.base_path}"
            assert "s3cret-pw" not in shown and "***" in shown
    finally:
        server.stop()


def test_acl_user_limited_to_its_namespace(server: Server, tmp_path: Path) -> None:
    admin = server.client()
    admin.execute_command(
        "ACL", "SETUSER", "worker", "on", ">wpass", "~promptcache:team:*", "resetchannels",
        "&__redis__:invalidate", "+@read", "+@write", "+@connection", "+@transaction",
        "+client", "+subscribe",
    )  # fmt: skip
    url = f"redis://worker:wpass@127.0.0.1:{server.port}/0"
    publish(write_components(tmp_path, {"a.md": "team"}), url, namespace="team")
    with CachedComponentLoader(url, ComponentCache(), namespace="team") as loader:
        assert loader.load_component("a.md") == "team"
        assert "wpass" not in str(loader.address) and "worker" in str(loader.address)
    with pytest.raises(StoreAuthError, match="refused"):
        publish(tmp_path, url, namespace="other")


TLS_SERVERS = tls_capable_servers()
# Debian's redis-server is built with TLS (the wheels' servers are not); the test set-up
# installs it when missing, so this test always runs.


@pytest.mark.parametrize("name", sorted(TLS_SERVERS) or ["no TLS-capable server found"])
def test_rediss_tls_with_a_password(name: str, tmp_path: Path) -> None:
    assert name in TLS_SERVERS, name
    certs = make_certificates(tmp_path)
    server = Server(name, TLS_SERVERS[name], free_port(), password="tls-pw", tls_dir=certs)
    server.start()
    try:
        assert server.url.startswith("rediss://:tls-pw@127.0.0.1")
        folder = write_components(tmp_path / "lib", {"a.md": "over TLS {x}"})
        publish(folder, server.url, namespace="tls")
        with CachedComponentLoader(server.url, ComponentCache(), namespace="tls") as loader:
            assert loader.load_component("a.md", {"x": "1"}) == "over TLS 1"
            assert str(loader.address).startswith("rediss://:***@127.0.0.1")
            publish(write_components(folder, {"a.md": "v2"}), server.url, namespace="tls")
            wait_until(lambda: loader.version == 2, what="invalidation over TLS")
            assert loader.load_component("a.md") == "v2"
        plain = server.url.replace("rediss://", "redis://").split("?")[0]
        with pytest.raises(StoreUnavailableError):
            publish(folder, plain, namespace="tls")
    finally:
        server.stop()
