"""Fast mode: orjson's format, the same data, opt-in only."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from streamjson import _fast
from tests import strategies as sts

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
    import datetime

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
