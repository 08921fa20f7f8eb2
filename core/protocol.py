"""The stats protocol (v1) in one place: version, limits, error codes, the context codec,
and the JSON views of entries, snapshots and events with their decoders.

The server (``promptcache.server``) encodes with these functions and the client
(``promptcache.client``) decodes with them; see docs/protocol.md. No sockets here.

Context keys travel twice in an entry: ``context`` is the original v1 form (null, sorted
``[name, value]`` pairs, else the key's ``repr``), kept for old clients, and
``context_key`` is the lossless form written by ``encode_context``: every key that
``ComponentCache.put`` accepts comes back equal and of the same types, and a key that JSON
cannot express comes as a reference (``{"ref": ...}``) the server resolves when the client
sends it back.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import itertools
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final

import orjson

from .errors import PromptCacheError
from .events import CacheEvent
from .stats import CacheSnapshot, EntryView, describe_context

PROTOCOL_VERSION: Final = 1
MAX_LINE_BYTES: Final = 64 * 1024
"""The longest request line a server reads."""
MAX_REPLY_BYTES: Final = 8 * 1024 * 1024
"""The longest answer line a client reads."""
DEFAULT_ENTRY_LIMIT: Final = 50
MAX_ENTRY_LIMIT: Final = 1000
MAX_OFFSET: Final = 2**53 - 1
"""The largest offset or event number a request may carry (the largest integer every
JSON implementation reads exactly); larger ones are ``bad_request``."""
DEFAULT_EVENTS_LIMIT: Final = 100
MIN_TOKEN_CHARS: Final = 16
"""The shortest TCP token a server accepts."""

ERROR_CODES: Final = frozenset(
    {
        "bad_request",
        "bad_version",
        "hello_first",
        "bad_token",
        "unknown_op",
        "forbidden",
        "too_long",
        "busy",
        "internal",
    }
)
CLOSING_ERRORS: Final = frozenset({"bad_token", "bad_version", "hello_first", "too_long", "busy"})
"""Error codes after which the server closes the connection (so does any error before
a successful hello)."""

MAX_CONTEXT_DEPTH: Final = 32
"""Nesting deeper than this is sent as a reference (and refused when received)."""
MAX_CONTEXT_ITEMS: Final = 1000
"""A key with more parts than this is sent as a reference."""
_SAFE_INT: Final = 2**53 - 1

JSONDict = dict[str, Any]


class ProtocolError(PromptCacheError, ValueError):
    """A message does not follow the protocol (for a server: a ``bad_request``)."""


# ----------------------------------------------------------------- context codec


@dataclasses.dataclass(frozen=True, slots=True)
class ContextRef:
    """A context key the server could not send as JSON: a reference it resolves when the
    client sends it back (to ``evict``), and the key's ``repr`` for people."""

    ref: str
    label: str = dataclasses.field(default="", compare=False)

    def __str__(self) -> str:
        return self.label or f"<ref {self.ref}>"


class _Unencodable(Exception):
    pass


def encode_context(context: Hashable, ref: Callable[[Hashable], str] | None = None) -> Any:
    """``context`` as JSON, losslessly; see docs/protocol.md ("Context keys").

    ``ref`` names an object JSON cannot express (a server passes its ``ContextRefs``);
    without it a ``ContextRef`` is sent back as itself and anything else raises
    ``ProtocolError``.
    """
    try:
        return _encode(context, 0, [MAX_CONTEXT_ITEMS])
    except _Unencodable:
        if ref is not None:
            return {"ref": ref(context), "repr": _label(context, 200)}
        if type(context) is ContextRef:
            return {"ref": context.ref}
        raise ProtocolError(
            f"a context of type {type(context).__name__} has no JSON form"
        ) from None


def _encode(value: object, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_CONTEXT_DEPTH:
        raise _Unencodable
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: not text every JSON reader takes
            raw = value.encode("utf-8", "surrogatepass")
            return {"str_b64": base64.b64encode(raw).decode("ascii")}
        return value
    if value is None or kind is bool:
        return value
    if kind is int:
        assert isinstance(value, int)
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        try:
            return {"int": str(value)}
        except ValueError:  # more digits than int() reads back by default
            raise _Unencodable from None
    if kind is float:
        if value != value:  # NaN: hashed by identity, so no copy finds the key again
            raise _Unencodable
        return {"float": repr(value)}
    if kind is tuple:
        assert isinstance(value, tuple)
        return [_encode(item, depth + 1, budget) for item in value]
    if kind is frozenset:
        assert isinstance(value, frozenset)
        return {"frozenset": [_encode(item, depth + 1, budget) for item in value]}
    if kind is bytes:
        assert isinstance(value, bytes)
        return {"bytes": base64.b64encode(value).decode("ascii")}
    raise _Unencodable


def decode_context(wire: Any, resolve: Callable[[str], Hashable] | None = None) -> Hashable:
    """The key ``encode_context`` wrote. ``resolve`` turns a reference into the object
    (a server's ``ContextRefs.resolve``); without it references become ``ContextRef``.
    Raises ``ProtocolError`` on anything ``encode_context`` does not write."""
    return _decode(wire, 0, resolve)


def _decode(wire: Any, depth: int, resolve: Callable[[str], Hashable] | None) -> Hashable:
    if depth > MAX_CONTEXT_DEPTH:
        raise ProtocolError(f"context nested deeper than {MAX_CONTEXT_DEPTH}")
    if wire is None or isinstance(wire, (str, bool, int)):
        return wire
    if isinstance(wire, list):
        return tuple(_decode(item, depth + 1, resolve) for item in wire)
    if not isinstance(wire, dict) or not wire:
        raise ProtocolError(f"not a context: {_short(wire)}")
    tag = next(iter(wire))
    value = wire[tag]
    if tag == "ref" and isinstance(value, str) and set(wire) <= {"ref", "repr"}:
        if resolve is not None:
            return resolve(value)
        label = wire.get("repr")
        return ContextRef(value, label if isinstance(label, str) else "")
    if len(wire) != 1:
        raise ProtocolError(f"not a context: {_short(wire)}")
    try:
        if tag == "frozenset" and isinstance(value, list):
            return frozenset(_decode(item, depth + 1, resolve) for item in value)
        if tag == "int" and isinstance(value, str) and len(value) <= 4300:
            return int(value)
        if tag == "float" and isinstance(value, str) and len(value) <= 64:
            return float(value)
        if tag == "bytes" and isinstance(value, str):
            return base64.b64decode(value, validate=True)
        if tag == "str_b64" and isinstance(value, str):
            return base64.b64decode(value, validate=True).decode("utf-8", "surrogatepass")
    except (ValueError, binascii.Error):
        pass
    raise ProtocolError(f"not a context: {_short(wire)}")


def _label(context: Hashable, width: int | None = None) -> str:
    """``describe_context``, or the type's name when the key's own str() fails."""
    try:
        return describe_context(context, width)
    except Exception:
        return f"<{type(context).__name__}>"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


class ContextRefs:
    """A server's references to context keys JSON cannot express: the newest ``size``
    keys it sent, each under a name that is unique to this server."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._prefix = secrets.token_hex(4)
        self._numbers = itertools.count(1)
        self._by_id: dict[int, tuple[str, Hashable]] = {}  # id(key): the key stays alive
        self._by_name: OrderedDict[str, Hashable] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, context: Hashable) -> str:
        """The reference for ``context`` (by identity: no ``__eq__`` of unknown types)."""
        with self._lock:
            known = self._by_id.get(id(context))
            if known is not None and known[1] is context:
                self._by_name.move_to_end(known[0])
                return known[0]
            name = f"{self._prefix}.{next(self._numbers)}"
            self._by_id[id(context)] = (name, context)
            self._by_name[name] = context
            while len(self._by_name) > self._size:
                _, old = self._by_name.popitem(last=False)
                self._by_id.pop(id(old), None)
            return name

    def resolve(self, name: str) -> Hashable:
        """The key sent as ``name``; ``ProtocolError`` if unknown or forgotten."""
        with self._lock:
            try:
                return self._by_name[name]
            except KeyError:
                raise ProtocolError(
                    f"unknown context reference {name[:40]!r}: fetch the entry again"
                ) from None


# ----------------------------------------------------------------- v1 context form


LegacyContext = list[list[Any]] | str | None


def context_json(context: Hashable) -> LegacyContext:
    """The original v1 ``context``: ``""`` -> null, a set of scalar pairs -> sorted pairs,
    else its repr. Lossy; kept for clients that predate ``context_key``."""
    if isinstance(context, str) and context == "":
        return None
    if isinstance(context, frozenset) and all(
        isinstance(p, tuple) and len(p) == 2 and all(_is_scalar(x) for x in p) for p in context
    ):
        try:
            return [list(p) for p in sorted(context)]
        except TypeError:
            pass
    try:
        return repr(context)
    except Exception:  # an application's key whose repr() fails
        return f"<{type(context).__name__}>"


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float))


def legacy_context_key(wanted: object) -> Hashable:
    """The cache key for a v1 ``context`` sent as null or ``[[name, value], ...]``."""
    if wanted is None:
        return ""
    bad = ProtocolError("context must be null, [[name, value], ...] or a string")
    if not isinstance(wanted, list):
        raise bad
    pairs: list[tuple[Any, Any]] = []
    for pair in wanted:
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_scalar, pair))):
            raise bad
        pairs.append((pair[0], pair[1]))
    return frozenset(pairs)


def evict_params(path: str, context: Hashable) -> JSONDict:
    """The parameters of an ``evict`` request for an entry a client decoded: the lossless
    ``context_key``, and the v1 ``context`` that servers before it read."""
    legacy: LegacyContext = None if type(context) is ContextRef else context_json(context)
    return {"path": path, "context_key": encode_context(context), "context": legacy}


# ----------------------------------------------------------------- JSON views

ContextForms = tuple[LegacyContext, Any, str]
"""A context's v1 form, its ``context_key`` and its label."""


class ContextMemo:
    """The wire forms of the context keys sent lately, by identity: an application's
    entries keep their key objects, so a poll mostly finds them here."""

    def __init__(self, ref: Callable[[Hashable], str] | None = None, size: int = 4096) -> None:
        self._ref = ref
        self._forms: dict[int, tuple[Hashable, ContextForms]] = {}
        self._size = size

    def __call__(self, context: Hashable) -> ContextForms:
        known = self._forms.get(id(context))
        if known is not None and known[0] is context:
            return known[1]
        forms = context_forms(context, self._ref)
        if len(self._forms) >= self._size:
            self._forms.clear()
        self._forms[id(context)] = (context, forms)  # the key stays alive: its id stays its own
        return forms


def context_forms(context: Hashable, ref: Callable[[Hashable], str] | None = None) -> ContextForms:
    """``(context_json, encode_context, describe_context)`` of ``context``."""
    return context_json(context), encode_context(context, ref), _label(context)


def entry_json(
    view: EntryView, forms: Callable[[Hashable], ContextForms] = context_forms
) -> JSONDict:
    """One entry as the protocol sends it."""
    legacy, key, label = forms(view.context)
    return {
        "rank": view.rank,
        "path": view.path,
        "context": legacy,
        "context_key": key,
        "context_label": label,
        "size_bytes": view.size_bytes,
        "hits": view.hits,
        "created_at": view.created_at,
        "last_accessed": view.last_accessed,
    }


def snapshot_json(snap: CacheSnapshot) -> JSONDict:
    """Every snapshot field but the entries, with the derived ratios and totals."""
    out: JSONDict = {
        f.name: getattr(snap, f.name) for f in dataclasses.fields(snap) if f.name != "entries"
    }
    out["evictions"] = dict(snap.evictions)
    out["hit_ratio"] = snap.hit_ratio
    out["total_requests"] = snap.total_requests
    out["memory_utilization"] = snap.memory_utilization
    out["total_evictions"] = snap.total_evictions
    return out


EventFields = CacheEvent | tuple[str, str, Hashable, str, int, float]
"""A CacheEvent, or a plain tuple of its fields in order (an eviction journal's record)."""


def event_json(
    seq: int, event: EventFields, forms: Callable[[Hashable], ContextForms] = context_forms
) -> JSONDict:
    """One numbered event as the protocol sends it."""
    kind, path, context, reason, size_bytes, timestamp = event
    return {
        "seq": seq,
        "kind": kind,
        "path": path,
        "context_label": forms(context)[2],
        "reason": reason,
        "size_bytes": size_bytes,
        "timestamp": timestamp,
    }


def encode_message(message: JSONDict) -> bytes:
    """One protocol line: ``message`` as JSON and a newline."""
    # orjson takes a twentieth of the stdlib's time for a state answer; the stdlib takes
    # what orjson refuses (integers beyond 64 bits, file names with lone surrogates).
    try:
        return orjson.dumps(message, default=repr, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return json.dumps(message, separators=(",", ":"), default=repr).encode("ascii") + b"\n"


def error_message(request_id: int | None, code: str, message: str) -> JSONDict:
    """An error response (its message on one line)."""
    error = {"code": code, "message": " ".join(message.split())}
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": False, "error": error}


# ----------------------------------------------------------------- decoders


def _legacy_context(value: Any) -> Hashable:
    if value is None:
        return ""
    if isinstance(value, list):
        return frozenset((pair[0], pair[1]) for pair in value)
    return str(value)


def entry_view(data: JSONDict) -> EntryView:
    """An entry as the server sends it, as the panels want it (``context_key`` when the
    server sends it, else the v1 ``context``)."""
    if "context_key" in data:
        context = decode_context(data["context_key"])
    else:
        context = _legacy_context(data.get("context"))
    return EntryView(
        int(data["rank"]),
        str(data["path"]),
        context,
        int(data["size_bytes"]),
        int(data["hits"]),
        float(data["created_at"]),
        float(data["last_accessed"]),
    )


def snapshot_from(data: JSONDict, entries: tuple[EntryView, ...]) -> CacheSnapshot:
    """The server's snapshot dict back into a ``CacheSnapshot``."""
    fields = CacheSnapshot.__dataclass_fields__
    values = {name: data[name] for name in fields if name in data and name != "entries"}
    values["evictions"] = dict(values.get("evictions", {}))
    return CacheSnapshot(**values, entries=entries)


def event_from(data: JSONDict) -> CacheEvent:
    """An event as the server sends it (the context comes as a label)."""
    return CacheEvent(
        data["kind"],
        str(data.get("path", "")),
        str(data.get("context_label") or ""),
        str(data.get("reason", "")),
        int(data.get("size_bytes", 0)),
        float(data.get("timestamp", 0.0)),
    )
