"""Fast mode: orjson's format, the same data, opt-in only."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import functools
import io
import json
import math
import re
import types
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import streamjson
from streamjson import _fast
from tests import strategies as sts
from tests.helpers import AsyncBytes, aiterate, outcome, text_of

orjson = pytest.importorskip("orjson")

# Values within orjson's rules: 64-bit ints, str keys or plain scalar keys, finite floats.
fast_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | sts.texts
)
fast_values = st.recursive(
    fast_scalars,
    lambda c: st.lists(c, max_size=5) | st.dictionaries(sts.texts, c, max_size=5),
    max_leaves=30,
)


def without_surrogates(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@given(fast_values, st.booleans())
def test_fast_output_is_orjsons_and_holds_the_same_data(value: Any, sort_keys: bool) -> None:
    if not without_surrogates(value):
        return  # orjson refuses lone surrogates; see test below
    text = streamjson.dumps(value, fast=True, sort_keys=sort_keys)
    option = orjson.OPT_SORT_KEYS if sort_keys else 0
    assert text == orjson.dumps(value, option=option).decode()
    assert json.loads(text) == json.loads(json.dumps(value))


@given(fast_values)
def test_streamed_parts_use_the_same_format(value: Any) -> None:
    if not without_surrogates(value):
        return
    doc = {"meta": value, "data": iter([value, iter([value])])}
    expected = orjson.dumps({"meta": value, "data": [value, [value]]}).decode()
    assert "".join(streamjson.iterencode(doc, fast=True, chunk_size=16)) == expected


def test_fast_mode_rules() -> None:
    doc = {"f": [1e16, math.nan, -math.inf], "k": {1: "é", None: 2.5}, "big": 2**70}
    text = streamjson.dumps(doc, fast=True)
    assert text == '{"f":[1e+16,null,null],"k":{"1":"é","null":2.5},"big":1180591620717411303424}'


def test_default_is_called_as_json_would() -> None:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    out = io.StringIO()
    streamjson.dump({"t": iter([when])}, out, fast=True, default=lambda o: o.isoformat())
    assert out.getvalue() == '{"t":["2026-01-02T03:04:05"]}'
    with pytest.raises(TypeError, match="Object of type datetime is not JSON serializable") as info:
        streamjson.dumps([{"t": when}], fast=True)
    assert info.value.__notes__ == ["streamjson: when encoding the value at $[0].t"]


@pytest.mark.parametrize(
    "options",
    [
        {"indent": 2},
        {"separators": (";", "=")},
        {"cls": type("E", (json.JSONEncoder,), {"encode": lambda s, o: ""})},
    ],
)
def test_fast_mode_refuses_what_it_cannot_write(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="fast=True"):
        streamjson.dumps([1], fast=True, **options)


def test_missing_orjson_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fast, "orjson", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'streamjson\[fast\]'"):
        streamjson.iterencode([1], fast=True)


def test_exact_mode_stays_the_default() -> None:
    assert streamjson.dumps({"é": 1e16}) == json.dumps({"é": 1e16})


def test_json_lines_in_fast_mode() -> None:
    rows = [{"i": i, "s": "é", "f": 1e16} for i in range(3)]
    expected = "".join(orjson.dumps(r).decode() + "\n" for r in rows)
    assert streamjson.dumps_lines(rows, fast=True) == expected
    assert "".join(streamjson.iterencode_lines(iter(rows), fast=True)) == expected
    out = io.BytesIO()
    streamjson.dump_lines(iter(rows), out, fast=True)
    assert out.getvalue().decode() == expected


# -- dumps(fast=True) hands a plain document to orjson whole ------------------------------


@dataclasses.dataclass
class Point:
    x: int


# What fast mode treats apart from orjson's defaults: values it hands to default,
# values orjson writes itself, and what must stream or falls back to the walker.
fast_oddities = st.sampled_from(
    [
        datetime.datetime(2026, 1, 2, 3, 4, 5),
        datetime.date(2026, 1, 2),
        Point(1),
        uuid.UUID(int=7),
        streamjson.RawJSON("[1.10]"),
        types.MappingProxyType({"m": 1}),
        2**64,
        -(2**63) - 1,
    ]
)
fast_leaves = fast_oddities | sts.scalars | sts.unsupported
fast_documents = (
    fast_leaves
    | sts.containers(st.recursive(fast_leaves, sts.containers, max_leaves=20))
    | sts.containers(fast_values)  # mostly plain: orjson takes it whole
)


def accepted_by_fast_mode(options: dict[str, Any]) -> dict[str, Any]:
    """json's options less those fast mode refuses (sts.options has those too)."""
    return {
        k: v
        for k, v in options.items()
        if k != "indent" and (k != "separators" or v is None or v in _fast.COMPACT)
    }


fast_options = sts.options.map(accepted_by_fast_mode)


def walker_dumps(value: Any, **kw: Any) -> str:
    """dumps(value, fast=True, **kw) as it was written before it had the orjson shortcut."""
    with mock.patch.object(streamjson._encode, "encode_whole", lambda *args: None):
        return streamjson.dumps(value, fast=True, **kw)


def assert_shortcut_matches_walker(value: Any, options: dict[str, Any], lazy: bool) -> None:
    """dumps(fast=True) writes and raises what the walker does, calling default no more."""
    calls: dict[str, list[Any]] = {"shortcut": [], "walker": []}

    def run(name: str, dumps: Callable[..., str]) -> tuple[str, Any]:
        kw = dict(options)
        if "default" in kw:

            def default(o: Any, given: Callable[[Any], Any] = kw["default"]) -> Any:
                calls[name].append(o)
                return given(o)

            kw["default"] = default
        doc = sts.lazy(value) if lazy else value
        return outcome(lambda: dumps(doc, **kw), notes=True)

    expected = run("walker", walker_dumps)
    assert run("shortcut", functools.partial(streamjson.dumps, fast=True)) == expected
    assert calls["shortcut"] == calls["walker"]


@settings(max_examples=max(1000, settings.default.max_examples))  # more when exploring
@given(fast_documents, fast_options | sts.options, st.booleans())
def test_dumps_shortcut_writes_and_raises_what_the_walker_does(
    value: Any, options: dict[str, Any], lazy: bool
) -> None:
    assert_shortcut_matches_walker(value, options, lazy)


@given(
    st.dictionaries(sts.keys, fast_values, min_size=2) | st.lists(fast_values, min_size=2),
    fast_options,
)
def test_dumps_shortcut_on_plain_documents(value: Any, options: dict[str, Any]) -> None:
    assert_shortcut_matches_walker(value, options, lazy=False)


class NoWalker:
    def __init__(self, *args: Any, **kw: Any) -> None:
        raise AssertionError("a Walker was built")


def test_dumps_of_a_plain_document_builds_no_walker(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = {"id": 7, "name": "Zoë", "tags": ["a", "b"], "geo": (1.5, -0.0), "k": {1: None}}
    monkeypatch.setattr(streamjson._encode, "Walker", NoWalker)
    option = orjson.OPT_NON_STR_KEYS
    assert streamjson.dumps(rec, fast=True) == orjson.dumps(rec, option=option).decode()
    del rec["k"]  # sort_keys sorts keys that are not str by json's order: the walker's
    option = orjson.OPT_SORT_KEYS
    kw: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"), "default": str}
    assert streamjson.dumps(rec, fast=True, **kw) == orjson.dumps(rec, option=option).decode()
    needs_walker: list[Any] = [
        {"rows": iter([1])},
        [2**64],
        "\ud800",
        [{datetime.date(2026, 1, 2): 1}],
    ]
    for doc in needs_walker:
        with pytest.raises(AssertionError, match="a Walker was built"):
            streamjson.dumps(doc, fast=True)
    with pytest.raises(AssertionError, match="a Walker was built"):
        streamjson.dumps({2: "b", 10: "a"}, fast=True, sort_keys=True)


def test_an_unknown_keyword_is_jsons_type_error_in_fast_mode_too() -> None:
    with pytest.raises(TypeError) as expected:
        json.dumps([1], bogus=1)
    with pytest.raises(TypeError, match=re.escape(str(expected.value))):
        streamjson.dumps([1], fast=True, bogus=1)


# -- fast=True in the writers and the async functions --------------------------------------

fast_items = st.lists(fast_values | fast_oddities.filter(lambda v: isinstance(v, int)), max_size=8)


def streams(items: list[Any], lazy: bool) -> list[Any]:
    return [sts.lazy(v) for v in items] if lazy else items


def _push(writer_type: Any, items: list[Any], **kw: Any) -> bytes:
    """What a push-style writer writes of ``items``: write() twice, then write_all()."""
    out = io.BytesIO()
    with writer_type(out, **kw) as writer:
        for item in items[:2]:
            writer.write(item)
        writer.write_all(items[2:])
    return out.getvalue()


def _pull(iterencode: Callable[..., AsyncIterator[str]], items: list[Any], **kw: Any) -> bytes:
    """The text of an async iterencode function, given ``items`` from an async source."""
    return asyncio.run(text_of(iterencode(aiterate(items), **kw))).encode()


def _written(dump: Callable[..., Coroutine[Any, Any, None]], items: list[Any], **kw: Any) -> bytes:
    """What an async dump function writes, given ``items`` from an async source."""
    writer = AsyncBytes()
    asyncio.run(dump(aiterate(items), writer, **kw))
    return writer.data


# Each new fast=True entry point, as the bytes it writes of a list of items, and the
# function whose text and errors it shares.
NEW_FAST: dict[str, tuple[Callable[..., bytes], Callable[..., str]]] = {
    "ArrayWriter": (functools.partial(_push, streamjson.ArrayWriter), streamjson.dumps),
    "iterencode_async": (functools.partial(_pull, streamjson.iterencode_async), streamjson.dumps),
    "dump_async": (functools.partial(_written, streamjson.dump_async), streamjson.dumps),
    "LinesWriter": (functools.partial(_push, streamjson.LinesWriter), streamjson.dumps_lines),
    "LinesWriter(flush=True)": (
        functools.partial(_push, streamjson.LinesWriter, flush=True),
        streamjson.dumps_lines,
    ),
    "iterencode_lines_async": (
        functools.partial(_pull, streamjson.iterencode_lines_async),
        streamjson.dumps_lines,
    ),
    "dump_lines_async": (
        functools.partial(_written, streamjson.dump_lines_async),
        streamjson.dumps_lines,
    ),
}


@pytest.mark.parametrize("name", NEW_FAST)
@given(fast_items, st.booleans(), st.sampled_from([1, 16, 65536]), st.booleans())
def test_new_fast_entry_points_write_what_dumps_writes(
    name: str, items: list[Any], sort_keys: bool, chunk_size: int, lazy: bool
) -> None:
    assume(without_surrogates(items))  # they have no UTF-8 form: these sinks take bytes
    new, reference = NEW_FAST[name]
    expected = reference(items, fast=True, sort_keys=sort_keys).encode()
    kw = {"fast": True, "sort_keys": sort_keys, "chunk_size": chunk_size}
    assert new(streams(items, lazy), **kw) == expected


@pytest.mark.parametrize("name", NEW_FAST)
@pytest.mark.parametrize(
    "options",
    [
        {"indent": 2},
        {"indent": 0},
        {"separators": (";", "=")},
        {"separators": (",\n", ":")},
        {"cls": type("E", (json.JSONEncoder,), {"encode": lambda s, o: ""})},
    ],
    ids=repr,
)
def test_new_fast_entry_points_refuse_what_fast_mode_refuses(
    name: str, options: dict[str, Any]
) -> None:
    new, reference = NEW_FAST[name]
    expected = outcome(lambda: reference([1], fast=True, **options))
    assert expected[0] == "error"
    assert outcome(lambda: new([1], fast=True, **options)) == expected


@pytest.mark.parametrize("name", NEW_FAST)
def test_new_fast_entry_points_need_orjson(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fast, "orjson", None)
    new, reference = NEW_FAST[name]
    for fn in (new, reference):
        with pytest.raises(ModuleNotFoundError, match=r"pip install 'streamjson\[fast\]'"):
            fn([1], fast=True)


def test_lines_writer_write_in_fast_mode_builds_no_walker(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = {"i": 1, "s": "é", "f": 1e16}
    out = io.StringIO()
    with streamjson.LinesWriter(out, fast=True) as writer:
        monkeypatch.setattr(streamjson._writers, "Walker", NoWalker)
        writer.write(rec)
    assert out.getvalue() == orjson.dumps(rec).decode() + "\n"


def test_an_orjson_too_old_for_fast_mode_is_told_apart_by_what_it_has() -> None:
    assert _fast.too_old(orjson) is None
    old = types.SimpleNamespace(__version__="3.8.3", dumps=orjson.dumps)  # no Fragment
    assert _fast.too_old(old) == "3.8.3"


@pytest.mark.parametrize("name", ["dumps", "iterencode", "dumps_lines", "ArrayWriter"])
def test_an_orjson_too_old_for_fast_mode_is_a_clear_import_error(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_fast, "orjson", None)  # as an old one leaves it at import
    monkeypatch.setattr(_fast, "OLD_ORJSON", "3.8.3")
    entry = getattr(streamjson, name)
    for value in ([1], [{2}]):
        with pytest.raises(ImportError, match=r"needs orjson>=3\.9, but orjson 3\.8\.3 ") as info:
            entry(io.StringIO() if name == "ArrayWriter" else value, default=list, fast=True)
        assert "pip install --upgrade 'streamjson[fast]'" in str(info.value)
    assert streamjson.dumps([{2}], default=list) == "[[2]]"  # exact mode needs no orjson
