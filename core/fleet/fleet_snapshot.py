"""The fleet as the app shows it: live workers from their heartbeats, plus the store's size.

No Textual here: ``read_fleet`` returns an immutable ``FleetSnapshot`` for a view to draw.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from ..cache import MIB
from .errors import StoreEntryError
from .store import Keys, Manifest, StoreAddress, command, now, translate

MAX_HEARTBEAT_BYTES = 4096
MAX_WORKERS_SHOWN = 10_000


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """One live worker, from its heartbeat."""

    worker: str
    host: str
    pid: int
    version: int
    hits: int
    misses: int
    entries: int
    memory_bytes: int
    stale: bool
    age_s: float
    """Seconds since the heartbeat was sent."""
    stats_address: str | None

    @property
    def hit_ratio(self) -> float:
        """Hits over requests; 0 for a worker that served nothing yet."""
        requests = self.hits + self.misses
        return self.hits / requests if requests else 0.0


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """Every live worker of a namespace and the shared store, at one moment."""

    address: str
    namespace: str
    published_version: int
    """The manifest's version (0 when nothing is published)."""
    components: int
    workers: tuple[WorkerRow, ...]
    store_bytes: int
    """MEMORY USAGE of the namespace's manifest and blobs."""
    server_used_memory: int
    """``used_memory`` from the server's INFO."""
    server_version: str
    bad_heartbeats: int
    """Heartbeats that could not be read (corrupt or foreign), not shown."""

    @property
    def versions_in_use(self) -> dict[int, int]:
        """Version -> number of workers serving it."""
        return dict(Counter(w.version for w in self.workers))

    @property
    def behind(self) -> tuple[WorkerRow, ...]:
        """Workers serving another version than the published one, or stale."""
        return tuple(w for w in self.workers if w.version != self.published_version or w.stale)

    def describe(self) -> list[str]:
        """Plain text lines, one per worker after two summary lines."""
        return describe(self)

    @property
    def hit_ratio(self) -> float:
        """All workers' hits over all their requests (0 with no requests)."""
        hits = sum(w.hits for w in self.workers)
        requests = hits + sum(w.misses for w in self.workers)
        return hits / requests if requests else 0.0


def parse_heartbeat(raw: object, clock: float) -> WorkerRow:
    """A heartbeat's JSON as a row; StoreEntryError if it is not a well-formed one."""
    if not isinstance(raw, bytes) or len(raw) > MAX_HEARTBEAT_BYTES:
        raise StoreEntryError("heartbeat is not a small string value")
    try:
        doc: Any = orjson.loads(raw)
        stats = doc.get("stats_address")
        row = WorkerRow(
            worker=str(doc["worker"])[:200],
            host=str(doc["host"])[:200],
            pid=int(doc["pid"]),
            version=int(doc["version"]),
            hits=int(doc["hits"]),
            misses=int(doc["misses"]),
            entries=int(doc["entries"]),
            memory_bytes=int(doc["memory_bytes"]),
            stale=bool(doc["stale"]),
            age_s=max(0.0, clock - float(doc["sent_at"])),
            stats_address=str(stats)[:200] if stats else None,
        )
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        raise StoreEntryError("heartbeat is not a promptcache worker's") from None
    return row


def read_fleet(client: redis.Redis, address: StoreAddress, namespace: str) -> FleetSnapshot:
    """Read heartbeats (SCAN), the manifest, MEMORY USAGE and INFO into one snapshot."""
    keys = Keys(namespace)
    try:
        hb_keys: list[bytes] = []
        cursor: Any = 0
        while True:
            cursor, found = command(
                client, "SCAN", cursor, "MATCH", keys.heartbeat_prefix + "*", "COUNT", 1000
            )
            hb_keys.extend(found)
            if int(cursor) == 0 or len(hb_keys) >= MAX_WORKERS_SHOWN:
                break
        with client.pipeline(transaction=False) as pipe:
            command(pipe, "GET", keys.manifest)
            command(pipe, "MEMORY", "USAGE", keys.manifest)
            for key in hb_keys:
                command(pipe, "GET", key)
            replies = pipe.execute()
        info = command(client, "INFO", "memory")
        server = command(client, "INFO", "server")
        raw_manifest, manifest_bytes, beats = replies[0], replies[1], replies[2:]
        manifest = None if raw_manifest is None else Manifest.decode(raw_manifest)
        blob_bytes = 0
        if manifest is not None:
            shas = sorted({sha for sha, _ in manifest.components.values()})
            with client.pipeline(transaction=False) as pipe:
                for sha in shas:
                    command(pipe, "MEMORY", "USAGE", keys.blob(sha))
                blob_bytes = sum(int(n or 0) for n in pipe.execute())
    except redis.RedisError as exc:
        raise translate(exc, address, "fleet") from None
    clock = now()
    rows: list[WorkerRow] = []
    bad = 0
    for raw in beats:
        if raw is None:  # expired between SCAN and GET
            continue
        try:
            rows.append(parse_heartbeat(raw, clock))
        except StoreEntryError:
            bad += 1
    rows.sort(key=lambda r: (r.host, r.pid, r.worker))
    return FleetSnapshot(
        address=str(address),
        namespace=namespace,
        published_version=manifest.version if manifest is not None else 0,
        components=len(manifest.components) if manifest is not None else 0,
        workers=tuple(rows),
        store_bytes=int(manifest_bytes or 0) + blob_bytes,
        server_used_memory=int(_info_field(info, "used_memory") or 0),
        server_version=_info_field(server, "valkey_version")
        or _info_field(server, "redis_version")
        or "?",
        bad_heartbeats=bad,
    )


def _info_field(info: object, name: str) -> str | None:
    """One field of an INFO reply (redis-py parses it to a dict; raw text also works)."""
    if isinstance(info, dict):
        value = info.get(name)
        return None if value is None else str(value)
    if isinstance(info, bytes):
        for line in info.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key == name:
                return value.strip()
    return None


class FleetReader:
    """Reads fleet snapshots of one namespace over a connection it keeps."""

    def __init__(self, url: str, namespace: str, *, timeout_s: float = 2.0) -> None:
        self.address = StoreAddress.parse(url)
        self.namespace = Keys(namespace).namespace
        self._client = self.address.connect(timeout_s=timeout_s)

    def read(self) -> FleetSnapshot:
        """One snapshot (a StoreError when the server cannot be read)."""
        return read_fleet(self._client, self.address, self.namespace)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


def size_text(n: int) -> str:
    """Bytes as B, KiB or MiB, whichever reads best."""
    if n < 1024:
        return f"{n} B"
    if n < MIB:
        return f"{n / 1024:.1f} KiB"
    return f"{n / MIB:.2f} MiB"


def describe(snapshot: FleetSnapshot) -> list[str]:
    """The snapshot as plain text lines (``promptcache attach redis://... --once``)."""
    s = snapshot
    lines = [
        f"{s.address} namespace {s.namespace!r}: version {s.published_version}, "
        f"{s.components} components, store {size_text(s.store_bytes)}, "
        f"server {s.server_version} using {size_text(s.server_used_memory)}",
        f"{len(s.workers)} live workers, hit ratio {s.hit_ratio:.1%}, versions in use "
        + (", ".join(f"v{v}×{n}" for v, n in sorted(s.versions_in_use.items())) or "none"),
    ]
    behind = {w.worker for w in s.behind}
    for w in s.workers:
        mark = "  STALE" if w.stale else ("  OLD VERSION" if w.worker in behind else "")
        lines.append(
            f"  {w.host} pid {w.pid}  v{w.version}  hits {w.hits} misses {w.misses} "
            f"({w.hit_ratio:.0%})  {w.entries} entries  {size_text(w.memory_bytes)}"
            f"  seen {w.age_s:.1f}s ago{mark}"
            + (f"  stats {w.stats_address}" if w.stats_address else "")
        )
    return lines
