"""Fast mode's one rule: json's reading of the data, orjson's text, whatever the driver or size.

README, "Fast mode": subclasses of str, int and float are the values they hold,
subclasses of list, tuple and dict are read as json reads them, keys follow json's
key rules and sort order, and everything else json hands to ``default`` goes to it,
but for the three types orjson writes itself (an Enum member, a UUID, a Fragment).
The differential test below runs random documents through every driver at several
sizes, lazy and not, and checks that the text and the errors are the same
everywhere, and that the text holds what json's text holds.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import enum
import io
import json
import math
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamjson
from streamjson import _fast
from tests import strategies as sts
from tests.helpers import AsyncBytes, Outcome, aiterate, outcome, text_of

orjson = pytest.importorskip("orjson")
np = pytest.importorskip("numpy")


class Shade(enum.Enum):
    """A plain Enum: json hands it to default, orjson writes its value."""

    DARK = (1, "d")
    LIGHT = "light"


class Reversed(list):  # type: ignore[type-arg]
    """A list subclass json reads by iteration, orjson from its storage."""

    def __iter__(self) -> Iterator[Any]:
        return list.__reversed__(self)


class Doubled(dict):  # type: ignore[type-arg]
    """A dict subclass json reads through items()."""

    def items(self) -> Any:
        return [(k, [v, v]) for k, v in dict.items(self)]


Pair = collections.namedtuple("Pair", "a b")


def moved(pairs: dict[str, Any]) -> collections.OrderedDict[str, Any]:
    """An OrderedDict whose order is not its storage's (orjson reads the storage)."""
    od = collections.OrderedDict(pairs)
    if od:
        od.move_to_end(next(iter(od)))
    return od


# Lone surrogates have no UTF-8 form: binary sinks refuse them (README), so they
# are left out of a test that compares text and bytes sinks.
texts = sts.texts.filter(lambda s: not any("\ud800" <= c <= "\udfff" for c in s))
floats = sts.floats
scalars = (
    st.none()
    | st.booleans()
    | sts.ints
    | floats
    | texts
    | st.builds(sts.IntSub, st.integers())
    | st.builds(sts.FloatSub, floats)
    | st.builds(sts.StrSub, texts)
    | st.builds(np.float64, floats)
    | st.sampled_from([sts.Color.RED, sts.Ratio.HALF, Shade.DARK, Shade.LIGHT])
    # json hands these to default (a TypeError without one); so does fast mode but
    # for the UUID, which orjson writes as its string.
    | st.sampled_from([uuid.UUID(int=7), datetime.date(2026, 1, 2), frozenset([3])])
    | st.builds(np.float32, st.floats(width=32))
    | st.builds(np.int64, st.integers(-(2**63), 2**63 - 1))
)
keys = (
    texts
    | sts.ints
    | floats
    | st.booleans()
    | st.none()
    | st.builds(sts.StrSub, texts)
    | st.builds(sts.IntSub, st.integers())
    | st.builds(sts.FloatSub, floats)
    | st.builds(np.float64, floats)
    | st.sampled_from([sts.Color.BLUE, Shade.DARK, uuid.UUID(int=1), datetime.date(2026, 1, 2)])
    | st.tuples(st.integers())
)


def children(c: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    str_keyed = st.dictionaries(texts, c, max_size=4)
    return (
        st.lists(c, max_size=4)
        | st.lists(c, max_size=3).map(tuple)
        | st.dictionaries(keys, c, max_size=4)
        | str_keyed
        | st.lists(c, max_size=3).map(Reversed)
        | str_keyed.map(Doubled)
        | str_keyed.map(moved)
        | st.tuples(c, c).map(lambda ab: Pair(*ab))
    )


documents = st.recursive(scalars, children, max_leaves=12)
small_documents = st.recursive(scalars, children, max_leaves=4)
# Past the walker's SMALL and MAX_BATCH (4096): such a container is walked in batches.
BIG = 4100

fast_options = st.fixed_dictionaries(
    {},
    optional={
        "skipkeys": st.booleans(),
        "sort_keys": st.booleans(),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": ")]),
        "default": st.just(str),
        # these do not apply in fast mode, and must change nothing
        "ensure_ascii": st.booleans(),
        "allow_nan": st.booleans(),
        "check_circular": st.booleans(),
    },
)


def lazy(value: Any) -> Any:
    """The same document with every exact list a one-shot generator (subclasses kept)."""
    if type(value) is list:
        return (lazy(v) for v in value)
    if type(value) is dict:
        return {k: lazy(v) for k, v in value.items()}
    if type(value) is tuple:
        return tuple(lazy(v) for v in value)
    return value


# -- the drivers: each encodes a fresh document and returns fast mode's text -------------


def _dump_path(doc: Any, **kw: Any) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "out.json")
        streamjson.dump(doc, path, **kw)
        with open(path, encoding="utf-8") as f:
            return f.read()


def _dump(doc: Any, binary: bool = False, **kw: Any) -> str:
    out: Any = io.BytesIO() if binary else io.StringIO()
    streamjson.dump(doc, out, **kw)
    data = out.getvalue()
    return data.decode() if binary else data  # type: ignore[no-any-return]


def _dump_async(doc: Any, **kw: Any) -> str:
    writer = AsyncBytes()
    asyncio.run(streamjson.dump_async(doc, writer, **kw))
    return writer.data.decode()


def _iterencode_async(doc: Any, **kw: Any) -> str:
    return asyncio.run(text_of(streamjson.iterencode_async(doc, **kw)))


def _one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1
    return text[:-1]


def _lines_writer(doc: Any, **kw: Any) -> str:
    out = io.StringIO()
    with streamjson.LinesWriter(out, **kw) as writer:
        writer.write(doc)
    return _one_line(out.getvalue())


def _lines_writer_all(doc: Any, **kw: Any) -> str:
    out = io.BytesIO()
    with streamjson.LinesWriter(out, **kw) as writer:
        writer.write_all(iter([doc]))
    return _one_line(out.getvalue().decode())


def _array_writer(doc: Any, **kw: Any) -> str:
    out = io.StringIO()
    with streamjson.ArrayWriter(out, **kw) as writer:
        writer.write(doc)
    text = out.getvalue()
    assert text[0] == "[" and text[-1] == "]"
    return text[1:-1]


def _lines_async(doc: Any, **kw: Any) -> str:
    chunks = streamjson.iterencode_lines_async(aiterate([doc]), **kw)
    return _one_line(asyncio.run(text_of(chunks)))


DRIVERS: dict[str, Callable[..., str]] = {
    "dumps": streamjson.dumps,
    "iterencode(1)": lambda doc, **kw: "".join(streamjson.iterencode(doc, chunk_size=1, **kw)),
    "iterencode": lambda doc, **kw: "".join(streamjson.iterencode(doc, **kw)),
    "dump(text)": _dump,
    "dump(binary)": lambda doc, **kw: _dump(doc, binary=True, **kw),
    "dump(path)": _dump_path,
    "dumps_lines": lambda doc, **kw: _one_line(streamjson.dumps_lines([doc], **kw)),
    "dump_lines": lambda doc, **kw: _one_line(_dump_lines(doc, **kw)),
    "LinesWriter.write": _lines_writer,
    "LinesWriter.write_all": _lines_writer_all,
    "ArrayWriter": _array_writer,
    "iterencode_async": _iterencode_async,
    "dump_async": _dump_async,
    "iterencode_lines_async": _lines_async,
}


def _dump_lines(doc: Any, **kw: Any) -> str:
    out = io.StringIO()
    streamjson.dump_lines(iter([doc]), out, **kw)
    return out.getvalue()


# -- outcomes ------------------------------------------------------------------------------


def recording(given: Callable[[Any], Any], calls: list[type]) -> Callable[[Any], Any]:
    """``given``, recording the type of each value it is called for."""

    def default(o: Any) -> Any:
        calls.append(type(o))
        return given(o)

    return default


# Types default is never called for in fast mode: JSON values (subclasses included)
# and what orjson writes itself.
NEVER_DEFAULT = (str, int, float, list, tuple, dict, enum.Enum, uuid.UUID)


def run(driver: Callable[..., str], make: Callable[[], Any], options: dict[str, Any]) -> Outcome:
    """One driver's outcome for a fresh document; default (if any) records its calls."""
    kw = dict(options, fast=True)
    calls: list[type] = []
    if "default" in kw:
        kw["default"] = recording(kw["default"], calls)
    result = outcome(lambda: driver(make(), **kw))
    called_for = [t for t in calls if issubclass(t, NEVER_DEFAULT)]
    assert not called_for, f"default was called for {called_for}"
    return result


def sized(doc_text: str, shape: str, n: int) -> str:
    """Fast mode's text of ``shape`` holding ``n`` copies of a document whose text is
    ``doc_text`` (see ``build``)."""
    if shape == "list":
        return "[" + ",".join([doc_text] * n) + "]"
    if shape == "str keys":
        return "{" + ",".join(f'"k{i:05}":{doc_text}' for i in range(n)) + "}"
    if shape == "int keys":
        return "{" + ",".join(f'"{i}":{doc_text}' for i in range(n)) + "}"
    assert shape == "beside a generator"
    return '{"doc":' + doc_text + ',"more":[' + ",".join([doc_text] * n) + "]}"


def build(doc: Any, shape: str, n: int, make_lazy: bool) -> Callable[[], Any]:
    """A maker of fresh documents: ``shape`` holding ``n`` copies of ``doc``."""

    def one() -> Any:
        return lazy(doc) if make_lazy else doc

    def make() -> Any:
        if shape == "list":
            return [one() for _ in range(n)] if not make_lazy else (one() for _ in range(n))
        if shape == "str keys":
            return {f"k{i:05}": one() for i in range(n)}
        if shape == "int keys":
            return {i: one() for i in range(n)}
        return {"doc": one(), "more": (one() for _ in range(n))}

    return make


# -- the json oracle ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A parsed document with floats' spellings out of the way: NaN and the infinities
    as None (fast mode writes null), keys that spell a float as that float's repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain_key(k): _plain(v) for k, v in value.items()}
    return value


def _plain_key(key: str) -> str:
    if key in ("NaN", "Infinity", "-Infinity"):
        return "null"
    try:
        return repr(float(key))
    except ValueError:
        return key


def json_outcome(doc: Any, options: dict[str, Any]) -> Outcome:
    """json's outcome for the document under fast mode's reading: orjson's own types
    stand in for themselves (``written_by_orjson``) before default is called."""
    kw = {k: v for k, v in options.items() if k not in ("ensure_ascii", "allow_nan")}
    given = kw.get("default") or json.JSONEncoder().default
    kw["default"] = _fast.default_for(given)
    return outcome(lambda: json.dumps(doc, **kw))


def check(doc: Any, options: dict[str, Any], shape: str, n: int) -> None:
    """Every driver writes (or raises) the same for ``shape`` around ``doc``, lazy or
    not, and what it writes is what n copies of the document alone give."""
    alone = run(streamjson.dumps, lambda: doc, options)
    if alone[0] == "ok":
        expected: Outcome = ("ok", sized(alone[1], shape, n))
    elif n == 0 and shape != "beside a generator":
        expected = ("ok", sized("", shape, 0))  # the document is not there
    else:
        expected = alone
    for make_lazy in (False, True):
        make = build(doc, shape, n, make_lazy)
        for name, driver in DRIVERS.items():
            got = run(driver, make, options)
            assert got == expected, (name, make_lazy)


@given(
    documents,
    fast_options,
    st.sampled_from(["list", "str keys", "int keys", "beside a generator"]),
    st.sampled_from([0, 1, 2, 20]),
)
def test_fast_output_is_the_same_from_every_driver_and_size(
    doc: Any, options: dict[str, Any], shape: str, n: int
) -> None:
    check(doc, options, shape, n)


@settings(max_examples=max(10, settings().max_examples // 30))
@given(
    small_documents,
    fast_options,
    st.sampled_from(["list", "str keys", "int keys", "beside a generator"]),
)
def test_fast_output_is_the_same_past_the_batch_sizes(
    doc: Any, options: dict[str, Any], shape: str
) -> None:
    check(doc, options, shape, BIG)


@given(documents, fast_options)
def test_fast_output_holds_what_jsons_holds(doc: Any, options: dict[str, Any]) -> None:
    expected = json_outcome(doc, options)
    got = run(streamjson.dumps, lambda: doc, options)
    if expected[0] == "error":
        assert got == expected
    else:
        assert got[0] == "ok", got
        assert _plain(json.loads(got[1])) == _plain(json.loads(expected[1]))


# -- the cases of issue 16, through every driver -------------------------------------------


def everywhere(make: Callable[[], Any], **options: Any) -> Outcome:
    """The one outcome every driver gives for fresh documents from ``make``."""
    outcomes = {name: run(driver, make, options) for name, driver in DRIVERS.items()}
    assert len(set(outcomes.values())) == 1, outcomes
    return outcomes["dumps"]


def json_error(doc: Any, **options: Any) -> Outcome:
    """json's own error for ``doc``."""
    result = outcome(lambda: json.dumps(doc, **options))
    assert result[0] == "error"
    return result


@pytest.mark.parametrize("default", [None, str])
@pytest.mark.parametrize(
    "number", [np.float64(1.5), sts.FloatSub(1e16), np.float64(-0.0), np.float64(math.nan)]
)
def test_float_subclasses_are_the_floats_they_hold(number: float, default: Any) -> None:
    plain = float.__float__(number)
    kw = {"default": default} if default else {}
    for shape in (
        lambda x: x,
        lambda x: [x],
        lambda x: {"mean": x},
        lambda x: {x: "key"},
        lambda x: {"g": iter([x]), x: [x] * 5000},
    ):
        expected = everywhere(lambda: shape(plain), **kw)  # noqa: B023 - called at once
        assert everywhere(lambda: shape(number), **kw) == expected  # noqa: B023
    assert streamjson.dumps({"mean": np.float64(1.5)}, fast=True) == '{"mean":1.5}'
    assert streamjson.dumps([np.float64(1e16)], fast=True, default=str) == "[1e+16]"


class Letter(str, enum.Enum):
    A = "a"


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (sts.IntSub(2**63), 2**63),
        (sts.IntSub(2**70), 2**70),  # beyond orjson's 64 bits: the walker writes it
        (sts.Color.RED, 1),
        (sts.StrSub("é\n"), "é\n"),
        (Letter.A, "a"),
        (sts.Ratio.HALF, 0.5),
    ],
)
def test_int_and_str_subclasses_are_the_values_they_hold(value: Any, plain: Any) -> None:
    for shape in (lambda x: x, lambda x: [x, {"v": x}], lambda x: {x: iter([x])}):
        expected = everywhere(lambda: shape(plain), default=str)  # noqa: B023
        assert everywhere(lambda: shape(value), default=str) == expected  # noqa: B023


@pytest.mark.parametrize(
    "value",
    [moved({"a": 1, "b": 2}), Reversed([1, 2]), Doubled(a=1), Pair(1, [2])],
    ids=["OrderedDict", "list subclass", "dict subclass", "namedtuple"],
)
@pytest.mark.parametrize("default", [None, str])
def test_container_subclasses_are_read_as_json_reads_them(value: Any, default: Any) -> None:
    kw = {"default": default} if default else {}  # never called for them
    as_json_reads = json.loads(json.dumps(value))
    expected = orjson.dumps(as_json_reads).decode()
    for shape in (lambda x: x, lambda x: [x], lambda x: {"v": x, "g": iter([x])}):
        text = orjson.dumps(shape(as_json_reads), default=list).decode()
        assert everywhere(lambda: shape(value), **kw) == ("ok", text)  # noqa: B023
    many = "[" + ",".join([expected] * 5000) + "]"
    assert everywhere(lambda: [value] * 5000, **kw) == ("ok", many)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Shade.DARK, '[1,"d"]'),
        (uuid.UUID(int=7), '"00000000-0000-0000-0000-000000000007"'),
        (orjson.Fragment(b'{"raw": 1}'), '{"raw": 1}'),
    ],
)
def test_what_orjson_writes_itself_is_written_so_everywhere(value: Any, text: str) -> None:
    for default in (None, str):  # never called for them
        kw = {"default": default} if default else {}
        assert everywhere(lambda: value, **kw) == ("ok", text)
        doc = lambda: {"v": value, "g": iter([value]), "l": [value] * 5000}  # noqa: E731
        expected = '{{"v":{},"g":[{}],"l":[{}]}}'.format(text, text, ",".join([text] * 5000))
        assert everywhere(doc, **kw) == ("ok", expected)


def test_sort_keys_is_jsons_order_at_every_size() -> None:
    big = {i: i for i in range(5000)}
    text = everywhere(lambda: big, sort_keys=True)[1]
    assert text == orjson.dumps(big, option=orjson.OPT_NON_STR_KEYS).decode()  # 0, 1, 2...
    small = {10: "a", 9: "b"}
    assert everywhere(lambda: small, sort_keys=True) == ("ok", '{"9":"b","10":"a"}')
    lazy_too = lambda: {10: "a", 9: iter(["b"])}  # noqa: E731
    assert everywhere(lazy_too, sort_keys=True) == ("ok", '{"9":["b"],"10":"a"}')
    floats_first = {1.5: 0, -1: 1, True: 2}  # json sorts the keys themselves: -1 < 1.5, True
    assert everywhere(lambda: floats_first, sort_keys=True) == ("ok", '{"-1":1,"true":2,"1.5":0}')


@pytest.mark.parametrize("key", [datetime.date(2026, 1, 2), uuid.UUID(int=1), Shade.DARK, (1,)])
def test_keys_follow_jsons_rules_at_every_size(key: Any) -> None:
    error = json_error({key: 1})
    for make in (
        lambda: {key: 1},
        lambda: [{key: 1}],
        lambda: {key: iter([1])},
        lambda: {**{i: i for i in range(5000)}, key: 1},
        lambda: iter([{key: 1}] * 20),
    ):
        assert everywhere(make) == error
    assert everywhere(lambda: {"a": 1, key: 2, "b": iter([3])}, skipkeys=True) == (
        "ok",
        '{"a":1,"b":[3]}',
    )
    assert everywhere(lambda: {key: 1, "a": 2}, skipkeys=True) == ("ok", '{"a":2}')


def test_unorderable_keys_are_jsons_type_error_at_every_size() -> None:
    error = json_error({1: 1, "a": 2}, sort_keys=True)
    for make in (
        lambda: {1: 1, "a": 2},
        lambda: [{1: 1, "a": 2}],
        lambda: {1: iter([1]), "a": 2},
        lambda: {**{i: i for i in range(5000)}, "a": 1},
    ):
        assert everywhere(make, sort_keys=True) == error


def test_keys_that_are_not_str_cost_default_no_second_call() -> None:
    """orjson takes a part whose keys are all of json's key types in a second try; the
    first try's default() results are used again, and their keys checked too."""
    days = [datetime.date(2026, 1, d) for d in (1, 2)]
    for driver in DRIVERS.values():
        calls: list[Any] = []

        def default(o: Any, calls: list[Any] = calls) -> Any:
            calls.append(o)
            return o.isoformat()

        text = driver([{1: days[0]}, {2.5: days[1], None: 0}], fast=True, default=default)
        assert text == '[{"1":"2026-01-01"},{"2.5":"2026-01-02","null":0}]'
        assert calls == days
    to_date_key = lambda o: {datetime.date(2026, 1, 1): o}  # noqa: E731
    doc = lambda: [{1: frozenset()}]  # noqa: E731
    assert everywhere(doc, default=to_date_key) == json_error(doc(), default=to_date_key)


def test_cycles_and_shared_parts_with_keys_that_are_not_str() -> None:
    cyclic: list[Any] = [{1: 2}]
    cyclic += [cyclic, cyclic]
    assert everywhere(lambda: cyclic) == json_error(cyclic)
    shared = {1: "x"}
    assert everywhere(lambda: [shared, shared, (), ()]) == ("ok", '[{"1":"x"},{"1":"x"},[],[]]')


def counter() -> Callable[[Any], int]:
    """A ``default`` that answers 1, 2, 3... whatever it is given."""
    answers = iter(range(1, 100))
    return lambda o: next(answers)


def test_one_value_twice_next_to_keys_that_are_not_str_gets_each_answer() -> None:
    """orjson's second try (for keys that are not str) replays default()'s answers in
    the order of the calls: a value met twice gets its first answer, then its second."""
    x = object()
    for driver in DRIVERS.values():
        for doc in ([x, x, {1: 2}], [{"a": x, "b": [x]}, {1: x}]):
            expected = json.dumps(doc, default=counter(), separators=(",", ":"))
            assert driver(doc, fast=True, default=counter()) == expected
