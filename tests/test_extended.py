"""streamjson.extended / Extended: every row of the table (the stdlib types, dataclasses,
attrs, pydantic) through every driver, round trips, errors, and "json's own values are
unchanged". numpy and pandas are in test_extended_numpy_pandas.py."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import enum
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from streamjson import Extended, extended

from .strategies import options as json_options
from .strategies import values as json_values

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))


class Colour(enum.Enum):
    RED = "red"
    WHEN = dt.date(2024, 5, 1)  # a value json cannot write: written by the same rules


class Size(enum.IntEnum):
    BIG = 3  # an int subclass: json writes it itself


@dataclasses.dataclass
class Point:
    x: int
    when: dt.datetime
    price: Decimal
    tags: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True, slots=True)
class Empty:
    pass


# (id, Extended options, value, its text) -- the table of issue 12, row by row
CASES: list[tuple[str, dict[str, Any], Any, str]] = [
    ("datetime-naive", {}, dt.datetime(2024, 5, 1, 12, 30), '"2024-05-01T12:30:00"'),
    (
        "datetime-micro",
        {},
        dt.datetime(2024, 5, 1, 12, 30, 0, 1500, tzinfo=PLUS2),
        '"2024-05-01T12:30:00.001500+02:00"',
    ),
    ("datetime-utc", {}, dt.datetime(2024, 5, 1, tzinfo=UTC), '"2024-05-01T00:00:00+00:00"'),
    (
        "iso-z-utc",
        {"datetime": "iso-z"},
        dt.datetime(2024, 5, 1, tzinfo=UTC),
        '"2024-05-01T00:00:00Z"',
    ),
    (
        "iso-z-offset",
        {"datetime": "iso-z"},
        dt.datetime(2024, 5, 1, tzinfo=PLUS2),
        '"2024-05-01T00:00:00+02:00"',
    ),
    ("iso-z-naive", {"datetime": "iso-z"}, dt.datetime(2024, 5, 1), '"2024-05-01T00:00:00"'),
    ("epoch-whole", {"datetime": "epoch"}, dt.datetime(2024, 5, 1, tzinfo=UTC), "1714521600"),
    (
        "epoch-fraction",
        {"datetime": "epoch"},
        dt.datetime(2024, 5, 1, 2, 0, 0, 120, tzinfo=PLUS2),
        "1714521600.00012",
    ),
    (
        "epoch-before-1970",
        {"datetime": "epoch"},
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
        "-0.5",
    ),
    (
        "epoch-ms",
        {"datetime": "epoch-ms"},
        dt.datetime(2024, 5, 1, 0, 0, 0, 1999, tzinfo=UTC),
        "1714521600001",
    ),
    (
        "epoch-ms-before-1970",
        {"datetime": "epoch-ms"},
        dt.datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=UTC),
        "-1",
    ),
    ("date", {}, dt.date(2024, 5, 1), '"2024-05-01"'),
    ("time", {}, dt.time(12, 30, 5, 7), '"12:30:05.000007"'),
    ("time-aware", {}, dt.time(12, 30, tzinfo=PLUS2), '"12:30:00+02:00"'),
    ("timedelta", {}, dt.timedelta(days=1, seconds=30), '"P1DT30S"'),
    ("timedelta-negative", {}, dt.timedelta(seconds=-1), '"-PT1S"'),
    ("timedelta-zero", {}, dt.timedelta(0), '"P0D"'),
    ("timedelta-micro", {}, dt.timedelta(microseconds=120), '"PT0.00012S"'),
    ("decimal", {}, Decimal("1.10"), "1.10"),
    ("decimal-exponent", {}, Decimal("1E+2"), "1E+2"),
    ("decimal-negative-zero", {}, Decimal("-0.000"), "-0.000"),
    ("decimal-long", {}, Decimal("3.14159265358979323846264338327950288"), ""),
    ("decimal-nan", {}, Decimal("NaN"), "NaN"),
    ("decimal-snan", {}, Decimal("-sNaN"), "NaN"),
    ("decimal-infinity", {}, Decimal("Infinity"), "Infinity"),
    ("decimal-minus-infinity", {}, Decimal("-Infinity"), "-Infinity"),
    ("decimal-string", {"decimal": "string"}, Decimal("1.10"), '"1.10"'),
    ("decimal-string-nan", {"decimal": "string"}, Decimal("NaN"), '"NaN"'),
    ("uuid", {}, uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
    ("enum", {}, Colour.RED, '"red"'),
    ("enum-value-by-the-rules", {}, Colour.WHEN, '"2024-05-01"'),
    ("int-enum-as-json-writes-it", {}, Size.BIG, "3"),
    (
        "dataclass",
        {},
        Point(1, dt.datetime(2024, 5, 1), Decimal("2.50"), frozenset(["a"])),
        '{"x": 1, "when": "2024-05-01T00:00:00", "price": 2.50, "tags": ["a"]}',
    ),
    ("dataclass-empty", {}, Empty(), "{}"),
    ("set", {}, {3}, "[3]"),
    ("frozenset", {}, frozenset(), "[]"),
    ("bytes", {}, b"\x00\xffhi", '"AP9oaQ=="'),
    ("bytearray", {}, bytearray(b"ab"), '"YWI="'),
    ("memoryview", {}, memoryview(b"xyz"), '"eHl6"'),
    ("bytes-hex", {"bytes": "hex"}, b"\x00\xff", '"00ff"'),
    ("memoryview-hex", {"bytes": "hex"}, memoryview(b"\x10"), '"10"'),
]
CASES = [
    (name, opts, value, text or str(value)) for name, opts, value, text in CASES
]  # "decimal-long": its own digits


def _attrs_case() -> list[tuple[str, dict[str, Any], Any, str]]:
    attr = pytest.importorskip("attr", reason="attrs is not installed")

    @attr.s(auto_attribs=True, slots=True)
    class Row:
        b: int
        a: dt.date

    return [("attrs", {}, Row(1, dt.date(2024, 5, 1)), '{"b": 1, "a": "2024-05-01"}')]


def _pydantic_case() -> list[tuple[str, dict[str, Any], Any, str]]:
    pydantic = pytest.importorskip("pydantic", reason="pydantic is not installed")

    class Model(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        n: int
        when: dt.datetime

    m = Model(n=1, when=dt.datetime(2024, 5, 1, tzinfo=UTC))
    return [("pydantic", {}, m, json.dumps(m.model_dump(mode="json")))]


def _doc(value: Any) -> dict[str, Any]:
    """A document holding the value in a record and in a batch of records."""
    return {"one": value, "rows": [{"i": i, "v": value} for i in range(3)]}


def _expected(text: str, compact: bool = False) -> str:
    rows = ", ".join(f'{{"i": {i}, "v": {text}}}' for i in range(3))
    out = f'{{"one": {text}, "rows": [{rows}]}}'
    return out.replace(", ", ",").replace(": ", ":") if compact else out


def _dump_to_path(doc: Any, tmp_path: Path, **kw: Any) -> str:
    path = tmp_path / "out.json"
    streamjson.dump(doc, path, **kw)
    return path.read_text()


def _dump_lines(doc: Any, tmp_path: Path, **kw: Any) -> str:
    out = io.StringIO()
    streamjson.dump_lines(iter([doc, doc]), out, **kw)
    first, second, end = out.getvalue().split("\n")
    assert first == second and end == ""
    return first


def _array_writer(doc: Any, tmp_path: Path, **kw: Any) -> str:
    path = tmp_path / "array.json"
    with streamjson.ArrayWriter(path, **kw) as writer:
        writer.write(doc)
    text = path.read_text()
    assert text[0] == "[" and text[-1] == "]"
    return text[1:-1]


def _iterencode_async(doc: Any, tmp_path: Path, **kw: Any) -> str:
    async def run() -> str:
        return "".join([c async for c in streamjson.iterencode_async(doc, chunk_size=16, **kw)])

    return asyncio.run(run())


def _dumps(doc: Any, tmp_path: Path, **kw: Any) -> str:
    return streamjson.dumps(iter([doc]), **kw)[1:-1]  # through the walker's batches


DRIVERS: dict[str, Callable[..., str]] = {
    "dumps": lambda doc, tmp_path, **kw: streamjson.dumps(doc, **kw),
    "dumps-streamed": _dumps,
    "dump-path": _dump_to_path,
    "dump_lines": _dump_lines,
    "ArrayWriter": _array_writer,
    "iterencode_async": _iterencode_async,
}


def _all_cases() -> Iterator[Any]:
    for case in CASES:
        yield pytest.param(*case, id=case[0])
    yield pytest.param("attrs", None, None, None, id="attrs")
    yield pytest.param("pydantic", None, None, None, id="pydantic")


def _case(name: str, opts: Any, value: Any, text: Any) -> tuple[dict[str, Any], Any, str]:
    if name == "attrs":
        (_, opts, value, text), *_ = _attrs_case()
    elif name == "pydantic":
        (_, opts, value, text), *_ = _pydantic_case()
    return opts, value, text


@pytest.mark.parametrize("driver", list(DRIVERS))
@pytest.mark.parametrize(("name", "opts", "value", "text"), list(_all_cases()))
def test_every_row_through_every_driver(
    driver: str, name: str, opts: Any, value: Any, text: Any, tmp_path: Path
) -> None:
    opts, value, text = _case(name, opts, value, text)
    default = Extended(**opts) if opts else extended
    assert DRIVERS[driver](_doc(value), tmp_path, default=default) == _expected(text)


@pytest.mark.parametrize(("name", "opts", "value", "text"), list(_all_cases()))
def test_every_row_in_fast_mode_is_the_same_text(
    name: str, opts: Any, value: Any, text: Any, tmp_path: Path
) -> None:
    """fast=True: orjson's own datetime, UUID, dataclass... output changes nothing;
    NaN and infinities are null, as fast mode writes every float NaN."""
    pytest.importorskip("orjson")
    opts, value, text = _case(name, opts, value, text)
    if text in ("NaN", "Infinity", "-Infinity"):
        text = "null"
    default = Extended(**opts) if opts else extended
    expected = _expected(text, compact=True)
    for driver in ("dumps", "dumps-streamed", "dump-path", "dump_lines", "iterencode_async"):
        got = DRIVERS[driver](_doc(value), tmp_path, default=default, fast=True)
        assert got == expected, driver


@pytest.mark.parametrize(
    "kw", [{"indent": 2}, {"indent": "\t", "sort_keys": True}, {"ensure_ascii": False}]
)
def test_indent_and_sort_keys_lay_out_the_values_as_json_does(kw: dict[str, Any]) -> None:
    """json's layout of the document with each value replaced by its text from the table."""
    scalars = [(v, text) for _, o, v, text in CASES if not o and not text.startswith(("{", "["))]
    doc = [{"z": v, "a": [v, {"k": v}]} for v, _ in scalars]
    marked = [{"z": f"@{i}", "a": [f"@{i}", {"k": f"@{i}"}]} for i in range(len(scalars))]
    expected = json.dumps(marked, **kw)
    for i, (_, text) in reversed(list(enumerate(scalars))):
        expected = expected.replace(f'"@{i}"', text)
    assert streamjson.dumps(iter(doc), default=extended, **kw) == expected
    point = Point(1, dt.datetime(2024, 5, 1), Decimal("2.50"))
    as_dict = {"x": 1, "when": "2024-05-01T00:00:00", "price": "@", "tags": []}
    assert streamjson.dumps([point], default=extended, **kw) == json.dumps([as_dict], **kw).replace(
        '"@"', "2.50"
    )


# -- round trips --------------------------------------------------------------------

aware = st.datetimes(
    timezones=st.sampled_from([UTC, PLUS2, dt.timezone(dt.timedelta(hours=-9, minutes=-30))])
)


@given(aware)
def test_datetimes_round_trip(d: dt.datetime) -> None:
    assert dt.datetime.fromisoformat(json.loads(streamjson.dumps(d, default=extended))) == d
    z = json.loads(streamjson.dumps(d, default=Extended(datetime="iso-z")))
    assert z.endswith("Z") == (d.utcoffset() == dt.timedelta(0))
    assert dt.datetime.fromisoformat(z.replace("Z", "+00:00")) == d
    seconds = json.loads(
        streamjson.dumps(d, default=Extended(datetime="epoch")), parse_float=Decimal
    )
    micros = seconds * 10**6
    assert micros == int(micros)  # exactly its digits, no float rounding
    assert dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=int(micros)) == d
    ms = json.loads(streamjson.dumps(d, default=Extended(datetime="epoch-ms")))
    assert ms == (d - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(milliseconds=1)


@given(st.dates() | st.times() | st.times(timezones=st.just(PLUS2)))
def test_dates_and_times_round_trip(v: dt.date | dt.time) -> None:
    assert type(v).fromisoformat(json.loads(streamjson.dumps(v, default=extended))) == v


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimals_round_trip_with_their_digits(d: Decimal) -> None:
    text = streamjson.dumps([d], default=extended)
    assert text == f"[{d}]"
    (back,) = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    assert str(back) == str(d) or (back == d and back.is_zero())  # 0E+3 reads back as 0E+3
    (s,) = json.loads(streamjson.dumps([d], default=Extended(decimal="string")))
    assert s == str(d)


@given(st.binary())
def test_bytes_round_trip_both_ways(b: bytes) -> None:
    assert base64.b64decode(json.loads(streamjson.dumps(b, default=extended))) == b
    assert bytes.fromhex(json.loads(streamjson.dumps(b, default=Extended(bytes="hex")))) == b


@given(st.timedeltas())
def test_timedelta_text_is_msgspec_s(td: dt.timedelta) -> None:
    msgspec = pytest.importorskip("msgspec")
    assert streamjson.dumps(td, default=extended) == msgspec.json.encode(td).decode()
    assert msgspec.json.decode(streamjson.dumps(td, default=extended), type=dt.timedelta) == td


@given(json_values, json_options)
def test_values_json_encodes_are_unchanged(value: Any, options: dict[str, Any]) -> None:
    """For what json writes itself, default=extended changes nothing: the same bytes."""
    options.pop("default", None)
    try:
        expected: Any = json.dumps(value, **options)
    except (TypeError, ValueError) as exc:
        expected = type(exc)
    try:
        got: Any = streamjson.dumps(value, default=extended, **options)
    except (TypeError, ValueError) as exc:
        got = type(exc)
    assert got == expected


# -- errors -------------------------------------------------------------------------


def test_an_unknown_value_is_json_s_type_error_with_its_path() -> None:
    with pytest.raises(TypeError) as json_exc:
        json.dumps(object())
    for kw in ({}, {"fast": True}):
        with pytest.raises(TypeError) as exc:
            streamjson.dumps(iter([{"a": [1, object()]}]), default=extended, **kw)
        assert str(exc.value) == str(json_exc.value)
        assert exc.value.__notes__ == ["streamjson: when encoding the value at $[0].a[1]"]


def test_fallback_is_called_for_unknown_values_only() -> None:
    seen: list[Any] = []

    def fallback(o: Any) -> Any:
        seen.append(o)
        return repr(o)

    class Thing:
        def __repr__(self) -> str:
            return "thing"

    thing = Thing()
    out = streamjson.dumps([thing, dt.date(2024, 1, 2), thing], default=Extended(fallback=fallback))
    assert out == '["thing", "2024-01-02", "thing"]'
    assert seen == [thing, thing]


def test_decimal_nan_follows_allow_nan_as_floats_do() -> None:
    for value in (Decimal("NaN"), Decimal("-Infinity")):
        with pytest.raises(ValueError) as json_exc:  # 3.13 on names the value too
            json.dumps(float(value), allow_nan=False)
        with pytest.raises(ValueError) as exc:
            streamjson.dumps(iter([[value]]), default=extended, allow_nan=False)
        assert str(exc.value) == str(json_exc.value)
        assert exc.value.__notes__ == ["streamjson: when encoding the value at $[0][0]"]


@pytest.mark.parametrize("form", ["epoch", "epoch-ms"])
def test_a_naive_datetime_in_an_epoch_form_says_why(form: str) -> None:
    with pytest.raises(ValueError, match="naive, so its time since 1970 depends") as exc:
        streamjson.dumps({"at": dt.datetime(2024, 1, 1)}, default=Extended(datetime=form))
    assert exc.value.__notes__ == ["streamjson: when encoding the value at $.at"]


@pytest.mark.parametrize(
    "kw",
    [
        {"datetime": "ISO"},
        {"datetime": "epoch_ms"},
        {"decimal": "float"},
        {"bytes": "base32"},
        {"fallback": "repr"},
        {"datetimes": "iso"},
        {"default": repr},
    ],
)
def test_bad_options_are_a_value_error_when_built(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kw))):
        Extended(**kw)


def test_repr_names_the_options_that_differ() -> None:
    assert repr(extended) == "streamjson.Extended()"
    assert repr(Extended(bytes="hex")) == "streamjson.Extended(bytes='hex')"


def test_a_subclass_is_written_from_the_value_it_holds() -> None:
    class Stamp(dt.datetime):
        def isoformat(self, *args: Any, **kw: Any) -> str:
            return "not asked"

    class Id(uuid.UUID):
        def __str__(self) -> str:
            return "not asked"

    value = [Stamp(2024, 5, 1), Id(int=2), type("B", (bytes,), {})(b"a")]
    expected = '["2024-05-01T00:00:00", "00000000-0000-0000-0000-000000000002", "YQ=="]'
    assert streamjson.dumps(value, default=extended) == expected


def test_a_dataclass_holding_itself_is_json_s_circular_error() -> None:
    @dataclasses.dataclass
    class Node:
        child: Any = None

    node = Node()
    node.child = node
    with pytest.raises(ValueError, match="Circular reference detected"):
        streamjson.dumps([node], default=extended)


def test_the_type_cache_starts_again_past_its_limit() -> None:
    ext = Extended()
    enums = [enum.Enum(f"E{i}", {"A": i}) for i in range(1100)]
    out = streamjson.dumps([e.A for e in enums], default=ext)  # type: ignore[attr-defined]
    assert json.loads(out) == list(range(1100))
    assert len(ext._writers) < 1100


def test_import_streamjson_imports_no_numpy_pandas_attrs_pydantic() -> None:
    code = (
        "import sys, streamjson, datetime, decimal;"
        "streamjson.dumps([datetime.date.today(), decimal.Decimal(1), object], "
        "default=streamjson.Extended(fallback=repr));"
        "print(sorted({'numpy', 'pandas', 'attr', 'attrs', 'pydantic'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def test_rawjson_in_a_batch_keeps_its_text_and_a_placeholder_lookalike_is_a_string() -> None:
    from streamjson import _batches

    lookalike = _batches._RAW
    doc = [{"a": streamjson.RawJSON("1.50"), "b": lookalike}] * 3
    expected = json.dumps([{"a": "@", "b": lookalike}] * 3).replace('"@"', "1.50")
    assert streamjson.dumps(iter(doc)) == expected
    assert (
        streamjson.dumps(iter([{"a": streamjson.RawJSON("7.0")}] * 3))
        == '[{"a": 7.0}' + (', {"a": 7.0}' * 2) + "]"
    )


def test_records_holding_the_table_s_scalars_are_read_ahead_in_batches() -> None:
    """The source is read ahead past them (a batch a C call), but not past a lazy value."""
    read: list[int] = []

    def source(lazy_at: int) -> Iterator[dict[str, Any]]:
        for i in range(40):
            read.append(i)
            v: Any = iter([dt.date(2024, 1, 1)]) if i == lazy_at else dt.date(2024, 1, 1)
            yield {"i": i, "v": v, "e": Colour.RED, "d": Decimal("0.1"), "u": uuid.UUID(int=i)}

    seen: dict[int, int] = {}  # item number -> items read when its UUID was written

    class Spy(Extended):
        def __call__(self, o: Any) -> Any:
            if isinstance(o, uuid.UUID):
                seen[o.int] = len(read)
            return super().__call__(o)

    ext = Spy()
    text = streamjson.dumps(source(-1), default=ext)
    assert max(n - i for i, n in seen.items()) > 1  # written after later items were read
    assert json.loads(text)[39] == {
        "i": 39,
        "v": "2024-01-01",
        "e": "red",
        "d": 0.1,
        "u": str(uuid.UUID(int=39)),
    }
    read.clear()
    chunks = streamjson.iterencode(source(0), default=ext, chunk_size=1)
    assert next(chunks) == "["
    assert read == [0]  # an item holding a lazy value is written before the source moves on
    assert json.loads("[" + "".join(chunks))[0]["v"] == ["2024-01-01"]
