"""The shared store's layout: addresses, key names, the manifest and validated reads.

Keys of namespace ``NS`` (all under ``promptcache:NS:``):

- ``manifest``: JSON ``{"format", "version", "published_at", "components": {path: [sha256,
  size]}}``, and when they apply ``"includes": {path: [included paths]}`` (the includes
  graph of Jinja2 includes and Mustache partials) and ``"template_format"`` (the folder's
  default dialect from its ``.promptcache.toml``). Publishing replaces it in one ``SET``,
  which is what makes a switch atomic: a worker resolves every component through the one
  manifest it holds, includes too.
- ``blob:SHA256``: a component's UTF-8 bytes, named by their hash, so never rewritten in
  place. Blobs no manifest names any more expire after a grace period.
- ``hb:WORKER``: a worker's heartbeat (JSON), with an expiry.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..cache import MIB
from .errors import StoreAuthError, StoreEntryError, StoreError, StoreUnavailableError

MANIFEST_FORMAT = "promptcache-manifest/1"
KEY_ROOT = "promptcache"
MAX_MANIFEST_BYTES = 64 * MIB
"""Largest manifest a worker accepts (about 500,000 components)."""
MAX_PATH_CHARS = 1024
MAX_SIZE_LISTED = 1 << 40
"""Sizes a manifest may list; each loader refuses what is over its own limit at load time."""
DEFAULT_TIMEOUT_S = 1.0
"""Connect and read timeout of store connections: a cut-off server fails loads this fast."""

_NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
STORE_SCHEMES = ("redis", "rediss")
TEMPLATE_FORMATS = ("brace", "jinja2", "mustache")
"""Folder defaults a manifest may name (the dialects' own names)."""


def is_store_url(value: object) -> bool:
    """True for a ``redis://`` or ``rediss://`` URL (the shared store), not a folder path."""
    return (
        isinstance(value, str)
        and value.split("://", 1)[0].lower() in STORE_SCHEMES
        and ("://" in value)
    )


def check_namespace(namespace: str) -> str:
    """Return ``namespace`` or raise: 1-64 letters, digits, ``_ . -``, starting alphanumeric."""
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise StoreError(
            f"namespace {namespace!r}: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return namespace


@dataclass(frozen=True)
class StoreAddress:
    """A parsed ``redis://`` / ``rediss://`` URL. ``str()`` and ``repr()`` hide the password."""

    url: str = field(repr=False)
    scheme: str
    host: str
    port: int
    db: int
    username: str | None

    @classmethod
    def parse(cls, url: str) -> StoreAddress:
        """Parse and check ``url``; a StoreError names what is wrong (never the password)."""
        try:
            parts = urlsplit(url)
            port = parts.port or 6379
        except ValueError:
            raise StoreError(f"{redact(url)}: not a valid redis:// URL") from None
        scheme = parts.scheme.lower()
        if scheme not in STORE_SCHEMES:
            raise StoreError(f"{redact(url)}: the scheme must be redis:// or rediss://")
        if not parts.hostname:
            raise StoreError(f"{redact(url)}: no host")
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise StoreError(f"{redact(url)}: the database must be a number, not {path!r}")
        username = unquote(parts.username) if parts.username else None
        return cls(url, scheme, parts.hostname, port, int(path or 0), username)

    @property
    def tls(self) -> bool:
        """True for ``rediss://``."""
        return self.scheme == "rediss"

    def __str__(self) -> str:
        user = f"{quote(self.username)}:***@" if self.username else ""
        if not user and urlsplit(self.url).password:
            user = ":***@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}/{self.db}"

    def connect(self, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> redis.Redis:
        """A client with its own pool: bounded timeouts, no silent retries, RESP2."""
        return redis.Redis.from_url(
            self.url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            protocol=2,
            health_check_interval=0,
        )


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in userinfo else url


def command(client: redis.Redis | Any, *args: Any) -> Any:
    """Run one command (redis-py's typing of replies is not precise enough to be useful)."""
    run: Callable[..., Any] = client.execute_command
    return run(*args)


def translate(exc: BaseException, address: StoreAddress, what: str) -> StoreError:
    """A redis-py exception as a typed one-line StoreError (no password in it)."""
    if isinstance(exc, redis.AuthenticationError | redis.exceptions.NoPermissionError):
        return StoreAuthError(f"{address}: {what}: the server refused the credentials ({exc})")
    if isinstance(exc, redis.ResponseError) and "NOAUTH" in str(exc):
        return StoreAuthError(f"{address}: {what}: the server needs a password")
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | OSError):
        return StoreUnavailableError(f"{address}: {what}: server unavailable ({exc})")
    return StoreError(f"{address}: {what}: {exc}")


class Keys:
    """The key names of one namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = check_namespace(namespace)
        self.prefix = f"{KEY_ROOT}:{namespace}:"
        self.manifest = self.prefix + "manifest"
        self.heartbeat_prefix = self.prefix + "hb:"

    def blob(self, sha256: str) -> str:
        """The key of the blob with this content hash."""
        return f"{self.prefix}blob:{sha256}"

    def heartbeat(self, worker_id: str) -> str:
        """The key of one worker's heartbeat."""
        return self.heartbeat_prefix + worker_id


def content_hash(data: bytes) -> str:
    """The hex SHA-256 of a component's bytes (its blob's name)."""
    return hashlib.sha256(data).hexdigest()


def check_component_path(path: object) -> str:
    """Return ``path`` if it is a safe relative POSIX path, else raise StoreEntryError."""
    if (
        not isinstance(path, str)
        or not path
        or len(path) > MAX_PATH_CHARS
        or "\x00" in path
        or "\\" in path
        or path.startswith("/")
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise StoreEntryError(f"manifest names an unsafe component path {str(path)[:80]!r}")
    return path


def published_path(name: str) -> str | None:
    """The published path an include or load name means: ``.`` and ``..`` resolved the
    way a walk of the folder resolves them; None when ``..`` leaves the published set."""
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


@dataclass(frozen=True)
class Manifest:
    """One published version of a namespace: component path -> (sha256, size)."""

    version: int
    published_at: float
    components: Mapping[str, tuple[str, int]]
    includes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Component path -> the published paths it includes directly (only non-empty rows)."""
    template_format: str | None = None
    """The folder's default dialect (``.promptcache.toml``); None: ``{name}``."""

    def encode(self) -> bytes:
        """The JSON stored under the manifest key."""
        doc: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "version": self.version,
            "published_at": self.published_at,
            "components": {p: [h, n] for p, (h, n) in sorted(self.components.items())},
        }
        if self.includes:
            doc["includes"] = {p: list(t) for p, t in sorted(self.includes.items()) if t}
        if self.template_format is not None:
            doc["template_format"] = self.template_format
        return orjson.dumps(doc)

    def closure(self, path: str) -> list[str]:
        """Every published path ``path`` includes, directly or not (``path`` excluded)."""
        seen: dict[str, None] = {}
        todo = list(self.includes.get(path, ()))
        while todo:
            current = todo.pop()
            if current not in seen and current != path:
                seen[current] = None
                todo.extend(self.includes.get(current, ()))
        return list(seen)

    @classmethod
    def decode(cls, data: object) -> Manifest:
        """Parse and validate a stored manifest; StoreEntryError says what is wrong."""
        if not isinstance(data, bytes):
            raise StoreEntryError("the manifest is not a string value")
        if len(data) > MAX_MANIFEST_BYTES:
            raise StoreEntryError(f"the manifest is over {MAX_MANIFEST_BYTES:,} bytes")
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise StoreEntryError(f"the manifest is not valid JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
            raise StoreEntryError(f"the manifest is not in the {MANIFEST_FORMAT} format")
        version, published_at, listed = (
            doc.get("version"),
            doc.get("published_at"),
            doc.get("components"),
        )
        if type(version) is not int or version < 1:
            raise StoreEntryError("the manifest's version is not a positive integer")
        if not isinstance(published_at, int | float) or not isinstance(listed, dict):
            raise StoreEntryError("the manifest lacks published_at or components")
        components: dict[str, tuple[str, int]] = {}
        for path, value in listed.items():
            check_component_path(path)
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not isinstance(value[0], str)
                or not _SHA256.match(value[0])
                or type(value[1]) is not int
                or not 0 <= value[1] <= MAX_SIZE_LISTED
            ):
                raise StoreEntryError(f"{path}: bad manifest entry (it needs [sha256, size])")
            components[path] = (value[0], value[1])
        includes: dict[str, tuple[str, ...]] = {}
        listed_includes = doc.get("includes", {})
        if not isinstance(listed_includes, dict):
            raise StoreEntryError("the manifest's includes are not an object")
        for path, targets in listed_includes.items():
            if (
                path not in components
                or not isinstance(targets, list)
                or not all(isinstance(t, str) and t in components for t in targets)
            ):
                raise StoreEntryError(
                    f"{str(path)[:80]}: bad includes entry (it needs published paths)"
                )
            if targets:
                includes[path] = tuple(targets)
        template_format = doc.get("template_format")
        if template_format is not None and template_format not in TEMPLATE_FORMATS:
            raise StoreEntryError(
                f"the manifest's template_format {str(template_format)[:40]!r} is not one of "
                f"{', '.join(TEMPLATE_FORMATS)}"
            )
        return cls(version, float(published_at), components, includes, template_format)


def check_blob(path: str, data: object, sha256: str, size: int, max_bytes: int) -> str:
    """A blob's text if it is the one the manifest names; StoreEntryError otherwise."""
    if data is None:
        raise StoreEntryError(f"{path}: its content is missing from the store", path)
    if not isinstance(data, bytes):
        raise StoreEntryError(f"{path}: its content is not a string value", path)
    if len(data) > max_bytes:
        raise StoreEntryError(
            f"{path}: {len(data):,} bytes is over the {max_bytes:,}-byte limit", path
        )
    if len(data) != size or content_hash(data) != sha256:
        raise StoreEntryError(f"{path}: its content does not match the manifest's hash", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreEntryError(f"{path}: not UTF-8 text (offset {exc.start})", path) from None


def now() -> float:
    """Wall-clock seconds (manifests and heartbeats are compared across machines)."""
    return time.time()
