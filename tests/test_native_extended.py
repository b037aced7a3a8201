"""streamjson._native writing a pure ``streamjson.Extended``'s commonest types itself.

The oracle is the same Extended called from Python: a subclass of Extended (which the
encoder never writes natively, see ``Batches._make_c_encoder``) through
``streamjson.dumps``, and ``json.dumps`` where Extended's results are json's own
values (everything but ``decimal="number"`` and ``datetime="epoch"``, RawJSON).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamjson
from streamjson import _batches
from streamjson._options import PYTHON_READS_INDENTED

pytestmark = pytest.mark.skipif(not _batches.NATIVE, reason="streamjson._native not in use")

DATETIME_FORMS = ("iso", "iso-z", "epoch", "epoch-ms")
DECIMAL_FORMS = ("number", "string")


class PyExtended(streamjson.Extended):
    """Extended exactly, but not of its exact type: always called from Python."""

    __slots__ = ()


class Status(enum.Enum):
    NEW = "new"
    LATER = Decimal("1.50")
    WHEN = dt.date(2024, 1, 2)


class Perm(enum.Flag):
    R = 4
    W = 2


class Level(enum.IntEnum):
    LOW = 1


class MyDatetime(dt.datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "not this"


class MyDecimal(Decimal):
    def __str__(self) -> str:
        return "not this"


class MyUUID(uuid.UUID):
    def __str__(self) -> str:
        return "not this"


class Offset(dt.tzinfo):
    """A tzinfo that is not datetime.timezone: written by Python."""

    def utcoffset(self, d: Any) -> dt.timedelta:
        return dt.timedelta(hours=5, minutes=30)

    def dst(self, d: Any) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, d: Any) -> str:
        return "+05:30"


_DAY = dt.timedelta(hours=24)
offsets = st.timedeltas(min_value=-_DAY + dt.timedelta(microseconds=1), max_value=_DAY)
timezones = st.one_of(
    st.none(),
    st.just(dt.timezone.utc),
    st.builds(dt.timezone, offsets.filter(lambda d: abs(d) < _DAY)),
    st.builds(dt.timezone, st.integers(-1439, 1439).map(lambda m: dt.timedelta(minutes=m))),
    st.just(Offset()),
)
datetimes = st.builds(
    lambda d, tz, us: d.replace(tzinfo=tz, microsecond=us),
    st.datetimes(),
    timezones,
    st.sampled_from([0, 999999, 1]) | st.integers(0, 999999),
)
times = st.builds(lambda t, tz: t.replace(tzinfo=tz), st.times(), timezones)
decimals = st.one_of(
    st.decimals(),
    st.sampled_from(
        [Decimal(s) for s in ("-0", "1E+3", "0E-7", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity")]
    ),
)
scalars = st.one_of(
    datetimes,
    st.dates(),
    times,
    decimals,
    st.uuids(),
    st.sampled_from([*Status, *Perm, Level.LOW]),
    st.integers(),
    st.text(max_size=5),
    st.builds(MyDatetime, st.integers(1, 9999), st.just(1), st.just(1)),
    st.builds(MyDecimal, st.integers()),
    st.builds(lambda u: MyUUID(int=u.int), st.uuids()),
)
documents = st.lists(
    st.one_of(scalars, st.dictionaries(st.text(max_size=3), scalars, max_size=4)), max_size=8
)
options = st.fixed_dictionaries(
    {
        "indent": st.sampled_from([None, 2, "\t"]),
        "sort_keys": st.booleans(),
        "ensure_ascii": st.booleans(),
        "allow_nan": st.booleans(),
    }
)


def outcome(write: Callable[[], str]) -> tuple[str, ...]:
    """The text written, or the error raised (type and message)."""
    try:
        return ("text", write())
    except (TypeError, ValueError) as exc:
        return (type(exc).__name__, str(exc))


def dumped(doc: Any, default: streamjson.Extended, **kw: Any) -> tuple[str, ...]:
    """``outcome`` of ``streamjson.dumps(doc, default=default, **kw)``."""
    return outcome(lambda: streamjson.dumps(doc, default=default, **kw))


@settings(max_examples=150, deadline=None)
@given(
    doc=documents,
    form=st.sampled_from(DATETIME_FORMS),
    dec=st.sampled_from(DECIMAL_FORMS),
    kw=options,
)
def test_same_as_python(doc: list[Any], form: str, dec: str, kw: dict[str, Any]) -> None:
    native = outcome(
        lambda: streamjson.dumps(doc, default=streamjson.Extended(datetime=form, decimal=dec), **kw)
    )
    python = outcome(
        lambda: streamjson.dumps(doc, default=PyExtended(datetime=form, decimal=dec), **kw)
    )
    assert native == python
    if dec == "string" and form != "epoch":  # no RawJSON results: json can write them
        assert native == outcome(
            lambda: json.dumps(doc, default=PyExtended(datetime=form, decimal=dec), **kw)
        )


def written(ext: streamjson.Extended, value: Any, calls: list[Any]) -> str:
    """``value``'s text from streamjson._native's encoder given ``ext``'s settings and a
    default that records what reaches it before calling ``ext`` (RawJSON results put in
    place afterwards, as streamjson's walker does)."""
    raws: list[str] = []

    def default(o: Any) -> Any:
        calls.append(o)
        result = ext(o)
        if type(result) is streamjson.RawJSON:
            raws.append(result.text)
            return f"@raw{len(raws) - 1}@"
        return result

    make = _batches.c_make_encoder
    assert make is not None
    args: tuple[Any, ...] = (
        {},
        default,
        json.encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
    )
    text = "".join(make(*args, True, ext.native_settings())(value, 0))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@raw{i}@"', raw)
    return text


EDGES: list[tuple[Any, str, str]] = [
    (dt.datetime(1, 1, 1), "iso", '"0001-01-01T00:00:00"'),
    (dt.datetime(9999, 12, 31, 23, 59, 59, 999999), "iso", '"9999-12-31T23:59:59.999999"'),
    (
        dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc),
        "iso",
        '"2024-05-06T07:08:09+00:00"',
    ),
    (dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc), "iso-z", '"2024-05-06T07:08:09Z"'),
    (dt.datetime(2024, 5, 6, fold=1), "iso-z", '"2024-05-06T00:00:00"'),
    (
        dt.datetime(
            2024, 5, 6, tzinfo=dt.timezone(-dt.timedelta(hours=3, seconds=7, microseconds=5))
        ),
        "iso-z",
        '"2024-05-06T00:00:00-03:00:07.000005"',
    ),
    (
        dt.datetime(2024, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59, seconds=1))),
        "iso",
        '"2024-05-06T00:00:00+23:59:01"',
    ),
    (dt.date(1, 2, 3), "iso", '"0001-02-03"'),
    (dt.time(0, 0), "iso-z", '"00:00:00"'),
    (dt.time(1, 2, 3, 4, tzinfo=dt.timezone.utc), "iso-z", '"01:02:03.000004+00:00"'),
    (uuid.UUID(int=0), "iso", '"00000000-0000-0000-0000-000000000000"'),
    (uuid.UUID(int=2**128 - 1), "iso", '"ffffffff-ffff-ffff-ffff-ffffffffffff"'),
    (
        uuid.UUID("12345678-9abc-def0-1234-56789abcdef0"),
        "iso",
        '"12345678-9abc-def0-1234-56789abcdef0"',
    ),
    (Decimal("-0"), "iso", "-0"),
    (Decimal("1E+3"), "iso", "1E+3"),
    (Decimal("-1.50"), "iso", "-1.50"),
]


@pytest.mark.parametrize(("value", "form", "text"), EDGES)
def test_edges_written_natively(value: Any, form: str, text: str) -> None:
    calls: list[Any] = []
    ext = streamjson.Extended(datetime=form)
    assert written(ext, value, calls) == text
    assert calls == []
    assert streamjson.dumps(value, default=ext) == streamjson.dumps(
        value, default=PyExtended(datetime=form)
    )


@pytest.mark.parametrize(
    "value",
    [
        MyDatetime(2024, 1, 1),
        MyDecimal("1.5"),
        MyUUID(int=5),
        dt.datetime(2024, 1, 1, tzinfo=Offset()),
        dt.time(1, tzinfo=Offset()),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("-Infinity"),
        Perm.R,
        dt.timedelta(seconds=1),
    ],
)
def test_others_go_to_default(value: Any) -> None:
    calls: list[Any] = []
    ext = streamjson.Extended()
    assert written(ext, value, calls) == streamjson.dumps(value, default=PyExtended())
    assert calls == [value]


@pytest.mark.parametrize("form", ["epoch", "epoch-ms"])
def test_epoch_forms_go_to_default(form: str) -> None:
    calls: list[Any] = []
    value = dt.datetime(2024, 1, 1, 0, 0, 0, 500, tzinfo=dt.timezone.utc)
    ext = streamjson.Extended(datetime=form)
    doc = [value, dt.date(2024, 1, 1)]
    assert written(ext, doc, calls) == streamjson.dumps(doc, default=PyExtended(datetime=form))
    assert calls == [value]


def test_decimal_string_and_nan_rules() -> None:
    ext = streamjson.Extended(decimal="string")
    calls: list[Any] = []
    values = [Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("1E+3")]
    assert written(ext, values, calls) == '["NaN", "sNaN", "-Infinity", "1E+3"]'
    assert calls == []
    doc = [Decimal("1"), Decimal("sNaN")]
    assert streamjson.dumps(doc, default=streamjson.Extended()) == "[1, NaN]"
    for allow_nan in (False, True):
        native = dumped(doc, streamjson.Extended(), allow_nan=allow_nan)
        assert native == dumped(doc, PyExtended(), allow_nan=allow_nan)
        assert native[0] == ("text" if allow_nan else "ValueError")


def test_enum_once_resolved() -> None:
    """A member's type is resolved by Extended in Python the first time; then written here."""
    calls: list[Any] = []
    ext = streamjson.Extended()
    text = written(ext, [Status.NEW, Status.LATER, Status.WHEN, Status.NEW], calls)
    assert text == '["new", 1.50, "2024-01-02", "new"]'
    assert calls == [Status.NEW]


def test_with_a_fallback_nothing_is_native() -> None:
    ext = streamjson.Extended(fallback=str)
    assert ext.native_settings() is None
    value = [dt.datetime(2024, 1, 1), uuid.UUID(int=1), Decimal("2.5"), object()]
    assert streamjson.dumps(value, default=ext) == streamjson.dumps(
        value, default=PyExtended(fallback=str)
    )


def test_a_uuid_whose_int_is_not_128_bits() -> None:
    u = uuid.UUID(int=7)
    object.__setattr__(u, "int", -1)
    calls: list[Any] = []
    ext = streamjson.Extended()
    assert written(ext, u, calls) == json.dumps(str(u))
    assert calls == [u]


@pytest.mark.parametrize("indent", [None, 2])
def test_dumps_calls_default_only_for_what_is_left(
    monkeypatch: pytest.MonkeyPatch, indent: int | None
) -> None:
    """Through streamjson.dumps: a record's datetimes, Decimal and UUID never reach
    Extended's __call__, its Enum member only the first time its type is seen. With
    indent too: before 3.13 json indents with its Python encoder, and the C encoder's
    strict mode writes these types as that encoder would have them written; it never
    calls ``default``, so the record holding the first member of an Enum it has not
    resolved yet is walked in Python, each of its values through ``__call__``."""
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    rows = [
        {
            "t": t0 + dt.timedelta(seconds=i),
            "d": Decimal(i) / 4,
            "u": uuid.UUID(int=i),
            "s": Status.NEW,
        }
        for i in range(50)
    ]
    expected = streamjson.dumps(rows, default=PyExtended(), indent=indent)
    calls: list[Any] = []
    call = streamjson.Extended.__call__

    def counted(self: streamjson.Extended, o: Any) -> Any:
        calls.append(o)
        return call(self, o)

    monkeypatch.setattr(streamjson.Extended, "__call__", counted)
    assert streamjson.dumps(rows, default=streamjson.Extended(), indent=indent) == expected
    strict = indent is not None and PYTHON_READS_INDENTED
    assert calls == (list(rows[0].values()) if strict else [Status.NEW])
