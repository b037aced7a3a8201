"""Fuzzing: random nested documents, lazy and odd parts included, under random options.

Three properties, each checked on every example:

1. no crash: whatever happens is an ordinary exception (never SystemError, never a
   generator left open);
2. where ``json.dumps`` of the materialised twin succeeds, every driver writes exactly
   its text; where json fails, every driver fails too;
3. ``dump`` to a sink that fails after N bytes never reports success: it raises that
   very error, after writing exactly the first N bytes of the right text.

CI runs the fixed-seed "ci" profile with a small budget; explore by hand with
``HYPOTHESIS_PROFILE=explore`` (see the reliability report for the figures).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamjson
from streamjson import Object
from tests import strategies as sts
from tests.faults import Fault, FaultyRaw, Tracker
from tests.helpers import DRIVERS, Opaque, lie, outcome, raising

pytestmark = pytest.mark.reliability


class Boom(Exception):
    """What a failing source raises."""


class Bomb:
    """In the json twin, where a failing source raises: default() raises Boom for it."""


# Not here: __repr__ (Hypothesis prints examples with it).
OddStr = raising(str, "__str__", "__format__", "__iter__", "encode", "__getitem__", "isidentifier")
OddInt = raising(int, "__str__", "__repr__", "__format__", "__float__", "__index__")
OddFloat = raising(float, "__str__", "__repr__", "__format__", "__int__", "is_integer")


class PlainIterator:
    """An iterator that is not a generator (nothing to close)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = iter(items)

    def __iter__(self) -> PlainIterator:
        return self

    def __next__(self) -> Any:
        return next(self.items)

    # (__len__ raising is test_hostile.test_elements_whose_truth_raises_are_never_asked_it)
    __repr__ = __str__ = __length_hint__ = lie


class PairsMapping(Mapping[Any, Any]):
    """A Mapping (not a dict) over the given pairs, in their order."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = dict(pairs)

    def __getitem__(self, key: Any) -> Any:
        return self.pairs[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    __repr__ = __str__ = lie


def failing(items: list[Any], k: int) -> Iterator[Any]:
    yield from items[:k]
    raise Boom(k)


# -- documents as specs: each built twice, lazily and as json's materialised twin ----------

odd_scalars = (
    st.builds(OddStr, sts.texts)
    | st.builds(OddInt, st.integers())
    | st.builds(OddFloat, st.floats())
    | st.just(("opaque",))
)
scalar_specs = st.tuples(st.just("scalar"), sts.scalars | odd_scalars)
# Identifiers too: a note names such a key ``$.key``, and asks the key whether it is one.
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
odd_keys = (
    sts.keys
    | identifiers
    | st.builds(OddStr, sts.texts | identifiers)
    | st.builds(OddInt, st.integers())
)


def container_specs(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.tuples(
            st.just("list"),
            st.sampled_from(["list", "tuple", "generator", "iterator"]),
            st.lists(children, max_size=6),
        )
        | st.tuples(
            st.just("dict"),
            st.sampled_from(["dict", "object", "mapping"]),
            st.dictionaries(odd_keys | sts.odd_keys, children, max_size=5).map(
                lambda d: list(d.items())
            ),
        )
        | st.tuples(st.just("failing"), st.integers(0, 5), st.lists(children, max_size=5))
    )


specs = st.recursive(scalar_specs, container_specs, max_leaves=30)


def build(spec: Any, tr: Tracker | None) -> Any:
    """The lazy document (with ``tr``) or json's twin (``tr`` None)."""
    kind = spec[0]
    if kind == "scalar":
        return Opaque() if spec[1] == ("opaque",) else spec[1]
    if kind == "list":
        how, items = spec[1], [build(c, tr) for c in spec[2]]
        if how == "tuple":
            return tuple(items)
        if tr is None or how == "list":
            return items
        return tr.gen("generator", items) if how == "generator" else PlainIterator(items)
    if kind == "dict":
        how, pairs = spec[1], [(k, build(c, tr)) for k, c in spec[2]]
        if tr is None or how == "dict":
            return dict(pairs)
        return Object(tr.gen("pairs", pairs)) if how == "object" else PairsMapping(pairs)
    k, items = spec[1], [build(c, tr) for c in spec[2]]
    k = min(k, len(items))
    if tr is None:
        return [*items[:k], Bomb()]
    return tr.gen("failing", failing(items, k))


def with_default(options: dict[str, Any]) -> dict[str, Any]:
    """The options, with a default() that raises Boom for a Bomb, else does as asked."""
    user = options.get("default")

    def default(o: Any) -> Any:
        if isinstance(o, Bomb):
            raise Boom
        if user is None:
            return json.JSONEncoder().default(o)  # json's own TypeError
        return user(o)

    return {**options, "default": default}


# A short, fixed budget in CI; the profile's own (20,000) when exploring by hand.
EXPLORING = os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci"
budget = settings(max_examples=settings.default.max_examples if EXPLORING else 250)


def utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


@budget
@given(specs, sts.options, st.integers(1, 300))
def test_fuzz_every_driver_matches_json_or_fails_with_it(
    spec: Any, options: dict[str, Any], chunk_size: int
) -> None:
    options = with_default(options)
    expected = outcome(lambda: json.dumps(build(spec, None), **options))
    for name, driver in DRIVERS.items():
        tr = Tracker()
        kw = dict(options, chunk_size=chunk_size) if name != "dumps" else options
        got = outcome(lambda: driver(build(spec, tr), **kw))  # noqa: B023
        assert tr.all_closed(), (name, tr.started, tr.finished)
        if expected[0] == "error":
            assert got[0] == "error", (name, expected[1], got[1])
        elif name == "dump_binary" and utf8(expected[1]) is None:
            assert got[0] == "error" and issubclass(got[1][0], UnicodeEncodeError)
        else:
            assert got == expected, name


@budget
@given(specs, sts.options, st.integers(1, 300), st.integers(0, 2000))
def test_fuzz_dump_to_a_failing_sink_never_reports_success(
    spec: Any, options: dict[str, Any], chunk_size: int, limit: int
) -> None:
    options = with_default(options)
    expected = outcome(lambda: json.dumps(build(spec, None), **options))
    data = utf8(expected[1]) if expected[0] == "ok" else None
    fault = Fault(limit, "ENOSPC", partial=True)
    tr = Tracker()
    raised: Exception | None = None
    try:
        streamjson.dump(build(spec, tr), FaultyRaw(fault), chunk_size=chunk_size, **options)
    except Exception as exc:  # which one is checked below
        raised = exc
    assert not isinstance(raised, SystemError), raised
    assert tr.all_closed()
    if fault.raised:  # the sink failed: so did dump, with that very error
        assert raised is fault.raised[0]
        assert len(fault.taken) == limit
    if data is not None:
        assert bytes(fault.taken) == data[:limit]  # what reached the sink is the right text
        assert (raised is None) == (len(data) <= limit)
    else:
        assert raised is not None  # a document json refuses is never reported as written
