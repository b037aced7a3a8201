"""Differential tests: streamjson writes what json writes and raises what json raises."""

from __future__ import annotations

import decimal
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamjson
from tests import strategies as sts
from tests.helpers import DRIVERS, EDGE_CASES, OPTION_SETS, Upper, outcome


def assert_same_as_json(value: Any, twin: Any = None, **kw: Any) -> None:
    """Every driver agrees with json.dumps(value) when given ``twin`` (default: value)."""
    expected = outcome(lambda: json.dumps(value, **kw))
    for name, driver in DRIVERS.items():
        doc = value if twin is None else twin()
        got = outcome(lambda driver=driver, doc=doc: driver(doc, **kw))  # type: ignore[misc]
        if name == "dump_binary" and expected[0] == "ok" and not encodable(expected[1]):
            # Lone surrogates with ensure_ascii=False have no UTF-8 form.
            assert got[0] == "error" and got[1][0] is UnicodeEncodeError
            continue
        assert got == expected, f"{name} with {kw}"


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=max(1500, settings.default.max_examples))  # more when exploring
@given(sts.values, sts.options)
def test_random_values_and_options_match_json(value: Any, options: dict[str, Any]) -> None:
    assert_same_as_json(value, **options)


@given(sts.values_and_unsupported, sts.options)
def test_unsupported_values_raise_like_json(value: Any, options: dict[str, Any]) -> None:
    assert_same_as_json(value, **options)


@given(sts.values, sts.options)
def test_iterators_encode_like_the_lists_they_replace(value: Any, options: dict[str, Any]) -> None:
    assert_same_as_json(value, lambda: sts.lazy(value), **options)


@given(sts.values, st.integers(1, 300))
def test_any_chunk_size_gives_the_same_text(value: Any, chunk_size: int) -> None:
    got = outcome(lambda: "".join(streamjson.iterencode(value, chunk_size=chunk_size)))
    assert got == outcome(lambda: json.dumps(value))


@pytest.mark.parametrize("options", OPTION_SETS, ids=repr)
@pytest.mark.parametrize("value", EDGE_CASES, ids=lambda v: repr(v)[:40])
def test_edge_cases_match_json(value: Any, options: dict[str, Any]) -> None:
    assert_same_as_json(value, **options)


@pytest.mark.parametrize("options", [{}, {"indent": 2}])
def test_errors_match_json_messages(options: dict[str, Any]) -> None:
    for bad in [
        {1, 2},
        [float("nan")],
        {(1, 2): 3},
        {"a": 1, 2: "b"},
        {decimal.Decimal("1.5"): 1},
        10**5000,
    ]:
        assert_same_as_json(bad, **options)
        assert_same_as_json(bad, allow_nan=False, sort_keys=True, **options)


def test_circular_references_raise_like_json() -> None:
    lst: list[Any] = [1]
    lst.append(lst)
    dct: dict[str, Any] = {}
    dct["self"] = [dct]
    for value in (lst, dct):
        assert_same_as_json(value)
        assert_same_as_json(value, indent=2)


def test_default_that_returns_its_argument_is_circular() -> None:
    assert_same_as_json(object(), default=lambda o: o)


class ToList(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        if isinstance(o, complex):
            return {"re": o.real, "im": o.imag}
        return super().default(o)


class Wrapped(json.JSONEncoder):
    def iterencode(self, o: Any, _one_shot: bool = False) -> Any:
        yield '{"wrapped": '
        yield from super().iterencode(o, _one_shot)
        yield "}"


@pytest.mark.parametrize("cls", [ToList, Upper, Wrapped])
@pytest.mark.parametrize("options", [{}, {"indent": 2, "sort_keys": True}])
def test_encoder_subclasses_are_honoured(
    cls: type[json.JSONEncoder], options: dict[str, Any]
) -> None:
    value = {"s": {3, 1, 2}, "c": [1 + 2j], "x": "é"}
    if cls is not ToList:
        value = {"x": "é", "n": [1, 2]}
    assert_same_as_json(value, cls=cls, **options)


def test_unknown_keyword_fails_like_json() -> None:
    assert_same_as_json([1], bogus=1)


def test_cls_receives_extra_keywords() -> None:
    class Tagged(json.JSONEncoder):
        def __init__(self, *, tag: str, **kw: Any) -> None:
            super().__init__(**kw)
            self.tag = tag

        def default(self, o: Any) -> Any:
            return self.tag

    assert_same_as_json([object()], cls=Tagged, tag="T")


def test_nan_keys_and_float_keys() -> None:
    assert_same_as_json({math.inf: 1, -0.0: 2, 1e100: 3})
    assert_same_as_json({math.nan: 1}, allow_nan=False)


def test_a_dict_mutated_while_streamed_is_jsons_text_or_an_error_not_a_wrong_document() -> None:
    def run(dumps: Callable[..., str]) -> tuple[str, Any]:
        big = {str(i): i for i in range(10_000)}  # too big to hand to the C encoder whole

        def grow(o: Any) -> Any:
            big["new" + str(len(big))] = 0
            return "x"

        big["z"] = object()
        return outcome(lambda: dumps({"data": big}, default=grow))

    # json's C encoder takes the items when it starts on the dict before 3.12, and
    # reads them as it goes from 3.12 on
    expected = run(json.dumps)
    for name, driver in DRIVERS.items():
        got = run(driver)
        assert got == expected or got[1][0] is RuntimeError, name


nested = st.recursive(sts.scalars, sts.containers, max_leaves=12)  # one to several deep
records = st.lists(nested, max_size=30)


@settings(max_examples=max(600, settings.default.max_examples))
@given(
    records,
    sts.indents.filter(lambda i: i is not None),
    sts.separators,
    st.booleans(),
    st.booleans(),
)
def test_indented_batches_of_records_match_json(
    items: list[Any], indent: Any, separators: Any, sort_keys: bool, lazy: bool
) -> None:
    """Batches of records, nested at any depth, take the C encoder with marker separators."""
    kw = {"indent": indent, "separators": separators, "sort_keys": sort_keys}
    assert_same_as_json(items, (lambda: iter(items)) if lazy else None, **kw)
