"""streamjson._native's strict mode, and the walker's use of it for indent before 3.13.

Before 3.13 ``json.dumps`` indents with its Python encoder, which reads some values
through their own methods (a float subclass's ``!=``, a list subclass's ``__iter__``,
``default``) where a C encoder reads their storage. With ``strict=(class, depth,
length)`` streamjson's encoder writes only what both read alike and raises ``class``
for anything else before any Python code runs; the walker then writes that part as
json does. The oracle is ``json.dumps`` with the same options, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamjson
from streamjson import _batches, _shapes
from streamjson._options import PYTHON_READS_INDENTED
from streamjson._shapes import SMALL_NESTED
from tests import strategies as sts
from tests.faults import Discard, peak_while
from tests.helpers import records
from tests.test_native import encoder_args, outcome
from tests.test_native_extended import PyExtended, Status

pytestmark = pytest.mark.skipif(not _batches.NATIVE, reason="streamjson._native not in use")
# Where json.dumps indents with its Python encoder, the walker hands indented parts to
# the C encoder in strict mode (Batches.strict).
STRICT_INDENT = _batches.NATIVE and PYTHON_READS_INDENTED
MiB = 1024 * 1024


class Refused(Exception):
    """What the encoder raises for a value it does not write in strict mode."""


def strict_encoder(depth: int = SMALL_NESTED, length: int = sys.maxsize, **kw: Any) -> Any:
    make = _batches.c_make_encoder
    assert make is not None
    return make(*encoder_args(**kw), None, (Refused, depth, length))


def python_calls(enc: Any, value: Any) -> tuple[tuple[str, ...], list[str]]:
    """``enc(value, 0)``'s text, error type or refusal, and the Python functions it ran."""
    ran: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            ran.append(frame.f_code.co_name)

    # the collector may run Python code of its own (gc.callbacks, finalizers) anywhere
    enabled = gc.isenabled()
    gc.disable()
    sys.setprofile(profile)
    try:
        result = enc(value, 0)
    except Refused:
        return ("refused",), ran
    except Exception as exc:
        return ("error", type(exc).__name__), ran
    finally:
        sys.setprofile(None)
        if enabled:
            gc.enable()
    return ("text", "".join(result)), ran


def json_outcome(value: Any, **options: Any) -> tuple[str, ...]:
    """``outcome`` of ``json.dumps(value, **options)``."""
    return outcome(lambda: [json.dumps(value, **options)])


class Lying(float):
    """A float json's Python encoder writes as NaN (it asks ``o != o``)."""

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


class Shout(str):
    def __str__(self) -> str:
        raise AssertionError("json reads a str subclass by its characters")


class Big(int):
    def __repr__(self) -> str:
        raise AssertionError("json reads an int subclass by its value")


class Backwards(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        return iter(list(super().__iter__())[::-1])


class Flipped(dict[Any, Any]):
    def items(self) -> Any:
        return [(v, k) for k, v in super().items()]


class Pair(tuple[Any, ...]):
    def __iter__(self) -> Iterator[Any]:
        return iter(("pair",))


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


def nested(depth: int) -> Any:
    """``depth`` lists, one in the other, the innermost holding 0."""
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


# -- the encoder -----------------------------------------------------------------------------


WRITTEN = {
    "scalars": [None, True, False, 1, -(10**30), 1.5, float("nan"), "é\ud800"],
    "str-subclass": [Shout("shout"), {"k": Shout("v")}],
    "int-subclass": [Big(7), Big(-(10**40))],
    "exact-containers": [[], {}, (), [1, (2, {"a": None})], {"a": {"b": [1.5]}}],
    "scalar-keys": {"s": 1, 2: 2, 2.5: 3, True: 4, None: 5},
    "deep": [nested(SMALL_NESTED)],  # the item and 63 lists below it
}

REFUSED = {
    "float-subclass": [1, Lying(2.0)],
    "list-subclass": [Backwards([1, 2])],
    "tuple-subclass": [Pair((1, 2))],
    "dict-subclass": [{"a": Flipped({"k": "v"})}],
    "str-subclass-key": [{Shout("k"): 1}],
    "int-subclass-key": [{Big(1): 1}],
    "tuple-key": [{(1,): 2}],
    "for-default": [{"p": Point(1, 2)}],
    "set": [{1}],
    "deep": [nested(SMALL_NESTED + 1)],  # one list too many below the item
}


@pytest.mark.parametrize("name", WRITTEN)
@pytest.mark.parametrize("options", [{"indent": 2}, {"indent": "\t", "sort_keys": True}])
def test_strict_writes_what_json_writes_alike(name: str, options: dict[str, Any]) -> None:
    value = WRITTEN[name]
    result, ran = python_calls(strict_encoder(**options), value)
    assert result == json_outcome(value, **options)[:2]
    assert ran == []


@pytest.mark.parametrize("name", REFUSED)
@pytest.mark.parametrize("options", [{"indent": 2}, {"indent": 2, "skipkeys": True}])
def test_strict_refuses_before_any_python_code_runs(name: str, options: dict[str, Any]) -> None:
    def default(o: Any) -> Any:
        raise AssertionError("strict mode never calls default")

    enc = strict_encoder(default=default, sort_keys=True, **options)
    assert python_calls(enc, REFUSED[name]) == (("refused",), [])


def test_strict_depth_counts_from_the_value_given() -> None:
    """A batch's items may nest SMALL_NESTED lists; a part given alone one more."""
    enc = strict_encoder(indent=1)
    assert "".join(enc([nested(SMALL_NESTED)], 5)) == json.dumps(
        [nested(SMALL_NESTED)], indent=1
    ).replace("\n", "\n" + " " * 5)
    with pytest.raises(Refused):
        enc([nested(SMALL_NESTED + 1)], 5)
    assert "".join(enc(nested(SMALL_NESTED + 1), 0)) == json.dumps(
        nested(SMALL_NESTED + 1), indent=1
    )
    with pytest.raises(Refused):
        enc(nested(SMALL_NESTED + 2), 0)
    # empty containers are scalars: at any depth
    assert "".join(strict_encoder(depth=0)([[], {}], 0)) == "[[], {}]"


def test_extended_types_written_in_strict_mode_are_json_dumps_text() -> None:
    """A pure Extended's datetimes, dates, times, Decimals, UUIDs and resolved Enum
    members are written here, running no Python code, as json.dumps writes them with
    Extended called from its Python encoder."""
    ext = streamjson.Extended(decimal="string", datetime="iso-z")
    ext(Status.NEW)  # the Enum resolved, as after its first member
    utc = dt.timezone.utc
    doc = [
        {
            "t": dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=utc),
            "day": dt.date(2024, 1, 2),
            "at": dt.time(1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
            "d": Decimal("-1.50"),
            "u": uuid.UUID(int=12345),
            "s": [Status.NEW, Status.LATER],
        }
    ]
    make = _batches.c_make_encoder
    assert make is not None
    for indent in (2, "\t"):
        enc = make(*encoder_args(indent=indent), ext.native_settings(), (Refused, 64, sys.maxsize))
        expected = json.dumps(
            doc, indent=indent, default=PyExtended(decimal="string", datetime="iso-z")
        )
        assert python_calls(enc, doc) == (("text", expected), [])
        assert streamjson.dumps(iter(doc * 20), indent=indent, default=ext) == json.dumps(
            doc * 20, indent=indent, default=PyExtended(decimal="string", datetime="iso-z")
        )


def test_strict_length_stops_the_text_early() -> None:
    enc = strict_encoder(length=100, indent=2)
    with pytest.raises(Refused):
        enc([{"k": list(range(1000))}], 0)
    assert "".join(enc(list(range(10)), 0)) == json.dumps(list(range(10)), indent=2)


def test_strict_argument_is_checked() -> None:
    make = _batches.c_make_encoder
    assert make is not None
    args = encoder_args(indent=2)
    for bad in [(Refused, -1, 0), (Refused, 0, -1), (int, 0, 0), ("x", 0, 0), (Refused, 0)]:
        with pytest.raises(TypeError):
            make(*args, None, bad)
    assert "".join(make(*args, None, None)([Lying(1.0)], 0)) == "[\n  1.0\n]"


@settings(max_examples=300, deadline=None)
@given(sts.values_and_unsupported, sts.options.filter(lambda o: o.get("indent") is not None))
def test_strict_is_json_dumps_or_refused(value: Any, options: dict[str, Any]) -> None:
    """Whatever strict mode writes is json.dumps's text (its Python encoder's before
    3.13), errors included, and no Python code runs while it writes or refuses."""
    result, ran = python_calls(strict_encoder(**options), value)
    assert ran == []
    if result[0] != "refused":
        assert result == json_outcome(value, **options)[: len(result)]


# -- the walker --------------------------------------------------------------------------------


def places(value: Any) -> dict[str, Any]:
    """``value`` among records: in a batch of a generator, of a list, and in a small
    container the C encoder is given whole."""
    return {
        "generator": lambda: iter([{"id": 1}, {"id": 2, "v": value}, {"id": 3}]),
        "list": lambda: [{"id": 1}, {"id": 2, "v": value}, {"id": 3}],
        "whole": lambda: {"outer": {"v": value, "n": [1, 2]}},
    }


PLAIN_TWIN = {"generator": "list"}  # what json.dumps is given for a lazy place


def walked(make: Callable[[], Any], **options: Any) -> tuple[Any, ...]:
    """streamjson's text through dumps and iterencode, or its error, type, message, notes."""
    results: list[tuple[Any, ...]] = []
    encoders: list[Callable[[], str]] = [
        lambda: streamjson.dumps(make(), **options),
        lambda: "".join(streamjson.iterencode(make(), **options)),
    ]
    for encode in encoders:
        try:
            results.append(("text", encode()))
        except Exception as exc:
            results.append(("error", type(exc).__name__, str(exc), getattr(exc, "__notes__", [])))
    assert results[0] == results[1]
    return results[0]


@pytest.mark.parametrize("name", [*REFUSED, "deep-whole", "deeper"])
@pytest.mark.parametrize("indent", [2, "\t"])
def test_refused_parts_are_written_as_json_dumps_writes_them(name: str, indent: Any) -> None:
    value = {
        "deep-whole": nested(SMALL_NESTED + 2),
        "deeper": [nested(SMALL_NESTED + d) for d in range(-2, 5)],
    }.get(name, REFUSED.get(name))
    default = (lambda o: [o.x, o.y]) if name == "for-default" else list
    made = places(value)
    for place, make in made.items():
        plain = made[PLAIN_TWIN.get(place, place)]()
        for options in ({"indent": indent}, {"indent": indent, "sort_keys": True}):
            expected = json_outcome(plain, default=default, **options)
            got = walked(make, default=default, **options)
            assert got[:2] == expected[:2], (place, options)
            if got[0] == "text":
                assert got == expected, (place, options)


@pytest.mark.parametrize(
    ("value", "path", "error"),
    [
        ([1, {2}], "$.records[1].v[1]", TypeError),
        ({"x": [Point(1, 2)]}, "$.records[1].v.x[0]", TypeError),
        ([Lying("nan")], "$.records[1].v[0]", ValueError),
        ({"a": {(1,): 2}}, "$.records[1].v.a", TypeError),
    ],
)
def test_errors_in_refused_parts_are_jsons_with_the_walkers_place(
    value: Any, path: str, error: type[Exception]
) -> None:
    def make() -> Any:
        return {"records": iter([{"id": 1}, {"id": 2, "v": value}])}

    expected = json_outcome({"records": list(make()["records"])}, indent=2, allow_nan=False)
    got = walked(make, indent=2, allow_nan=False)
    assert got[:3] == ("error", error.__name__, expected[2])
    assert got[3] == [f"streamjson: when encoding the value at {path}"]


@pytest.mark.parametrize("indent", [2, None])
def test_default_is_called_once_per_value_as_json_calls_it(indent: Any) -> None:
    calls: list[Any] = []

    def default(o: Any) -> Any:
        calls.append(o)
        return [o.x, o.y]

    def make() -> list[Any]:
        return [{"id": i, "p": Point(i, -i), "q": [Point(0, i)]} for i in range(50)]

    expected = json.dumps(make(), indent=indent, default=default)
    json_calls = len(calls)
    calls.clear()
    assert streamjson.dumps(iter(make()), indent=indent, default=default) == expected
    assert len(calls) == json_calls == 100


def test_no_pre_pass_for_indented_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where json.dumps indents with its Python encoder, the C encoder's strict mode
    decides what it writes: no Python pass over the values first (``shapes``)."""
    counts = {"shapes": 0, "c": 0}

    def counted(original: Callable[..., Any], key: str) -> Callable[..., Any]:
        def count(*args: Any, **kw: Any) -> Any:
            counts[key] += 1
            return original(*args, **kw)

        return count

    monkeypatch.setattr(_batches, "shapes", counted(_shapes.shapes, "shapes"))
    monkeypatch.setattr(_batches.Batches, "try_c", counted(_batches.Batches.try_c, "c"))
    data = list(records(2000))
    sink = Discard()
    streamjson.dump(iter(data), sink, indent=2)
    assert sink.hash.hexdigest() == hashlib.sha256(json.dumps(data, indent=2).encode()).hexdigest()
    assert counts["shapes"] == 0
    assert 10 <= counts["c"] <= 200  # batches, not one call a record


@pytest.mark.skipif(not STRICT_INDENT, reason="json.dumps indents with its C encoder here")
def test_a_long_item_in_a_batch_is_refused_early() -> None:
    """Strict mode stops a batch's text at Batches.c_limit (4 MiB here), as it is
    written: an item holding a long list is not written whole to be thrown away."""
    data = iter([{"id": 1}, {"id": 2, "xs": list(range(3_000_000))}])
    peak = peak_while(lambda: streamjson.dump(data, Discard(), indent=2))
    # the whole item's text would be about 40 MiB
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(sts.values_and_unsupported, max_size=6),
    sts.options.filter(lambda o: o.get("indent") is not None),
)
def test_indented_records_are_json_dumps(items: list[Any], options: dict[str, Any]) -> None:
    options.setdefault("default", repr)
    expected = json_outcome(items, **options)
    for make in (lambda: items, lambda: iter(items)):
        got = walked(make, **options)
        assert got[:2] == expected[:2]
        if got[0] == "text":
            assert got == expected
