"""The context codec: every key the cache takes survives the wire, and evicts its entry."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Hashable, Iterator
from typing import Any, NamedTuple

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_testlib import ServerFactory

from promptcache import ComponentCache
from promptcache.addresses import parse_address
from promptcache.client import RemoteClient, entry_view
from promptcache.protocol import (
    MAX_CONTEXT_DEPTH,
    ContextRef,
    ContextRefs,
    ProtocolError,
    decode_context,
    encode_context,
    evict_params,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    n: int


class Colour(enum.Enum):
    RED = 1


class Pair(NamedTuple):
    a: int
    b: str


class Unprintable:
    """Hashable, but its repr and str fail and it equals only itself."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


def canon(value: object) -> object:
    """A form that is equal exactly when two keys are the same types and values
    (NaN equal to NaN, -0.0 apart from 0.0, 1 apart from 1.0 and True)."""
    kind = type(value)
    if kind is float:
        return ("float", repr(value))
    if kind is tuple:
        assert isinstance(value, tuple)
        return ("tuple", tuple(canon(v) for v in value))
    if kind is frozenset:
        assert isinstance(value, frozenset)
        return ("frozenset", tuple(sorted((canon(v) for v in value), key=repr)))
    if kind in (type(None), bool, int, str, bytes):
        return (kind.__name__, value)
    return ("object", id(value))  # anything else must come back as the very same object


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53 - 2, max_value=2**200)
    | st.integers(min_value=-(2**200), max_value=-(2**53) + 2)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, 2**60 + 0.0])
    | st.text(st.characters(blacklist_categories=()), max_size=20)  # lone surrogates too
    | st.binary(max_size=20)
    | st.sampled_from([Frozen("x", 1), Colour.RED, Pair(1, "b")])
    | st.builds(Unprintable)
)
contexts: st.SearchStrategy[Hashable] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4).map(tuple)
        | st.frozensets(children, max_size=4)
        | st.frozensets(st.tuples(st.text(max_size=5), children), max_size=3)
    ),
    max_leaves=20,
)


def over_the_wire(value: Any) -> Any:
    """What a peer reads: the server's encoder (orjson), then the client's json.loads."""
    return json.loads(orjson.dumps(value))


@settings(max_examples=400, deadline=None)
@given(contexts)
def test_every_key_round_trips_exactly(context: Hashable) -> None:
    refs = ContextRefs()
    wire = over_the_wire(encode_context(context, refs))
    back = decode_context(wire, refs.resolve)
    assert canon(back) == canon(context)
    if back is not context:
        assert back == context and hash(back) == hash(context)  # finds the same cache entry


@settings(max_examples=200, deadline=None)
@given(contexts)
def test_a_client_sends_back_what_it_decoded(context: Hashable) -> None:
    refs = ContextRefs()
    decoded = decode_context(over_the_wire(encode_context(context, refs)))  # client side
    resent = over_the_wire(encode_context(decoded))  # no references table on the client
    assert canon(decode_context(resent, refs.resolve)) == canon(context)


def test_keys_json_cannot_express_are_references() -> None:
    refs = ContextRefs()
    for context in (Frozen("x", 1), (1, Colour.RED), frozenset({math.nan}), Unprintable()):
        wire = encode_context(context, refs)
        assert set(wire) == {"ref", "repr"}
        assert decode_context(wire, refs.resolve) is context
        client_side = decode_context(over_the_wire(wire))
        assert isinstance(client_side, ContextRef) and client_side.ref == wire["ref"]
    assert encode_context(Frozen("x", 1), refs)["repr"] == "Frozen(name='x', n=1)"
    assert str(decode_context(encode_context(Frozen("y", 2), refs))) == "Frozen(name='y', n=2)"


def test_forgotten_references_are_a_protocol_error() -> None:
    refs = ContextRefs(size=2)
    first = encode_context(Frozen("a", 1), refs)
    encode_context(Frozen("b", 2), refs)
    encode_context(Frozen("c", 3), refs)
    with pytest.raises(ProtocolError, match="fetch the entry again"):
        decode_context(first, refs.resolve)
    with pytest.raises(ProtocolError):
        decode_context({"ref": "someone-else.1"}, ContextRefs().resolve)


def test_deep_and_large_keys_are_references() -> None:
    refs = ContextRefs()
    deep: Hashable = ()
    for _ in range(MAX_CONTEXT_DEPTH + 5):
        deep = (deep,)
    wide = tuple(range(5000))
    huge = 10**5000  # more digits than int() reads back by default
    for context in (deep, wide, huge):
        wire = encode_context(context, refs)
        assert "ref" in wire and decode_context(wire, refs.resolve) is context
    with pytest.raises(ProtocolError):
        encode_context(deep)  # a client has no table to refer to


@pytest.mark.parametrize(
    "wire",
    [
        1.5,
        {},
        {"int": "x"},
        {"float": 3},
        {"bytes": "not base64!"},
        {"frozenset": "ab"},
        {"frozenset": [], "extra": 1},
        {"what": 1},
        {"ref": 5},
        json.loads("[" * 40 + '"deep"' + "]" * 40),
    ],
)
def test_malformed_keys_are_a_protocol_error(wire: object) -> None:
    with pytest.raises(ProtocolError):
        decode_context(wire)


def test_v1_clients_still_get_their_context_form() -> None:
    params = evict_params("a.md", frozenset({("n", 1)}))
    assert params["context"] == [["n", 1]]
    assert params["context_key"] == {"frozenset": [["n", 1]]}
    assert evict_params("a.md", "")["context"] is None


# ----------------------------------------------------------------- end to end

KEYS: list[Hashable] = [
    "",
    "plain",
    "\ud800 lone surrogate",
    None,
    True,
    False,
    0,
    1.5,
    -0.0,
    math.inf,
    math.nan,
    2**64 + 1,
    -(2**80),
    b"\x00\xffbytes",
    (1, "a", (2.5, None)),
    frozenset({("n", 1)}),
    frozenset({("n", 1.0), ("m", "x")}),
    frozenset({("project_name", "Atlas"), ("audience", "engineers")}),
    frozenset({frozenset({1, 2}), (3,)}),
    Frozen("x", 1),
    Colour.RED,
    Pair(1, "b"),
    Unprintable(),
    (Frozen("nested", 2),),
]


@pytest.fixture
def remote(make_server: ServerFactory, cache: ComponentCache) -> Iterator[RemoteClient]:
    server = make_server(allow_control=True)
    client = RemoteClient(parse_address(server.address))
    client.connect()
    yield client
    client.close()


def test_evict_through_the_client_removes_every_kind_of_key(
    remote: RemoteClient, cache: ComponentCache
) -> None:
    for i, key in enumerate(KEYS):
        cache.put(f"c/{i:02d}.md", f"content {i}", context_hash=key)
    assert len(cache) == len(KEYS)
    views = [entry_view(e) for e in remote.call("entries", limit=1000)["entries"]]
    assert len(views) == len(KEYS)
    for view in views:
        assert remote.evict(view.path, view.context) == 1, (view.path, view.context_label)
        key = KEYS[int(view.path[2:4])]
        assert cache.peek(view.path, key) is None
    assert len(cache) == 0


def test_evicting_frozenset_n_1_from_attach_removes_it(
    remote: RemoteClient, cache: ComponentCache
) -> None:
    # the case the issue names: a v1 round trip turned 1 into "1" and removed nothing
    cache.put("a.md", "A", context_hash=frozenset({("n", 1)}))
    (view,) = [entry_view(e) for e in remote.call("state")["entries"]]
    assert view.context == frozenset({("n", 1)})
    assert remote.evict(view.path, view.context) == 1
    assert len(cache) == 0


def test_evict_with_a_malformed_key_is_bad_request(
    remote: RemoteClient, cache: ComponentCache
) -> None:
    cache.put("a.md", "A")
    for bad in ({"what": 1}, {"ref": "nobody.1"}, {"float": "x"}):
        with pytest.raises(Exception, match="context") as caught:
            remote.call("evict", path="a.md", context_key=bad)
        assert getattr(caught.value, "code", None) == "bad_request"
    assert len(cache) == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=contexts)
def test_any_key_put_accepts_is_evicted_through_the_client(
    remote: RemoteClient, cache: ComponentCache, key: Hashable
) -> None:
    cache.clear_cache()
    cache.put("k.md", "content", context_hash=key)
    (entry,) = remote.call("entries")["entries"]
    view = entry_view(entry)
    assert remote.evict(view.path, view.context) == 1
    assert len(cache) == 0
