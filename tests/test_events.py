"""iterencode_events: ijson events in, the text json would write for the parsed value out."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import ijson  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamjson import _events
from streamjson._events import EventError, iterencode_events
from streamjson.cli._prefix import PrefixedValues
from tests import strategies as sts
from tests.helpers import EDGE_CASES, OPTION_SETS, Upper, outcome

# The pure-Python backend decodes every escape as json does (the C one turns a lone
# surrogate into "?"; the command line works around that, see test_cli).
PY = ijson.get_backend("python")
C = ijson.get_backend("yajl2_c")

Event = tuple[str, Any]


def events(text: str, backend: Any = PY, **kw: Any) -> list[Event]:
    return list(backend.basic_parse(io.BytesIO(text.encode("utf-8", "surrogatepass")), **kw))


def assert_like_json(text: str, backend: Any = PY, chunk_size: int = 61, **kw: Any) -> None:
    """Encoding the events of ``text`` gives json.dumps(json.loads(text), **kw), or its error."""
    expected = outcome(lambda: json.dumps(json.loads(text), **kw))
    got = outcome(
        lambda: "".join(iterencode_events(events(text, backend), chunk_size=chunk_size, **kw))
    )
    assert got == expected


@pytest.fixture(params=[1, 3, 4096], ids=lambda n: f"lookahead={n}")
def lookahead(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run with a tiny look-ahead too, so that every container goes the lazy way."""
    monkeypatch.setattr(_events, "LOOKAHEAD", request.param)
    return int(request.param)


def jsonable(value: Any) -> str | None:
    try:
        return json.dumps(value, allow_nan=False)  # NaN is not JSON: ijson refuses it
    except (TypeError, ValueError):  # and tuple keys are not JSON either
        return None


@given(sts.values, sts.options, st.sampled_from([1, 3, 4096]), st.integers(1, 200))
def test_random_documents_encode_like_json(
    value: Any, options: dict[str, Any], look: int, chunk_size: int
) -> None:
    text = jsonable(value)
    if text is None:
        return
    saved = _events.LOOKAHEAD
    _events.LOOKAHEAD = look
    try:
        assert_like_json(text, chunk_size=chunk_size, **options)
    finally:
        _events.LOOKAHEAD = saved


@pytest.mark.parametrize("options", OPTION_SETS, ids=repr)
def test_edge_cases_encode_like_json(options: dict[str, Any], lookahead: int) -> None:
    for value in EDGE_CASES:
        text = jsonable(value)
        if text is not None:
            assert_like_json(text, **options)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": {"b": [1, [2, [3, {"c": []}]]]}, "d": {}}',
        "[" + ",".join(['{"x": [' + ",".join(map(str, range(50))) + "]}"] * 40) + "]",
        '{"k": [' + ",".join(["[1, 2, {}]"] * 300) + "]}",
        "[[[[[[[[[[1]]]]]]]]], [[[[[[]]]]]]]",
    ],
)
@pytest.mark.parametrize("options", [{}, {"indent": 2}, {"sort_keys": True, "indent": 1}])
def test_nested_documents_read_lazily_encode_like_json(
    text: str, options: dict[str, Any], lookahead: int
) -> None:
    assert_like_json(text, backend=C, **options)
    assert_like_json(text, backend=C, chunk_size=1, **options)


def test_numbers_come_out_as_json_writes_the_parsed_value() -> None:
    text = (
        "[1E2, 1.0e5, -0, -0.0, 1e400, -1e400, 1e-400, 0.1, 1.7976931348623157e308, "
        "123456789012345678901234567890]"
    )
    assert_like_json(text, backend=C)
    assert "".join(iterencode_events(events(text, C))) == (
        "[100.0, 100000.0, 0, -0.0, Infinity, -Infinity, 0.0, 0.1, 1.7976931348623157e+308, "
        "123456789012345678901234567890]"
    )


def test_exact_numbers_keep_every_digit() -> None:
    text = (
        "[0.1000000000000000055511151231257827, 1.0e5, 1E+2, -0.0, 1e400, 0.0000001, "
        "12345678901234567890, 2.50]"
    )
    got = "".join(iterencode_events(events(text, C), exact_numbers=True))
    assert got == (
        "[0.1000000000000000055511151231257827, 1.0E+5, 1E+2, -0.0, 1E+400, 1E-7, "
        "12345678901234567890, 2.50]"
    )
    parsed = json.loads(text, parse_float=Decimal), json.loads(got, parse_float=Decimal)
    for raw, written in zip(*parsed, strict=True):
        assert raw == written  # same value, same digits: only the notation may change


def test_exact_numbers_with_sort_keys_and_indent() -> None:
    text = '{"b": [1.10, {"z": 2.000, "a": 1e-3}], "a": 3.0}'
    got = "".join(iterencode_events(events(text, C), exact_numbers=True, sort_keys=True, indent=1))
    assert got == '{\n "a": 3.0,\n "b": [\n  1.10,\n  {\n   "a": 0.001,\n   "z": 2.000\n  }\n ]\n}'


def test_float_events_from_use_float_pass_through() -> None:
    assert "".join(iterencode_events(events("[0.5, 2, 1e10]", C, use_float=True))) == (
        "[0.5, 2, 10000000000.0]"
    )


def test_a_repeated_key_in_a_small_object_keeps_the_last_value_at_the_first_place() -> None:
    text = '{"a": 1, "b": 2, "a": 3}'
    assert "".join(iterencode_events(events(text))) == '{"a": 3, "b": 2}'  # what json.tool writes
    assert_like_json(text)


def big_object_with_a_repeated_key() -> str:
    filler = ", ".join(f'"k{i}": {i}' for i in range(_events.LOOKAHEAD + 10))
    return '{"a": 1, ' + filler + ', "a": 2}'


def test_a_repeated_key_in_a_streamed_object_is_written_each_time() -> None:
    text = big_object_with_a_repeated_key()
    got = "".join(iterencode_events(events(text, C)))
    assert got.startswith('{"a": 1, "k0": 0') and got.endswith(', "a": 2}')
    assert json.loads(got) == json.loads(text)


def test_sort_keys_reads_objects_whole_so_repeated_keys_merge_like_json() -> None:
    text = big_object_with_a_repeated_key()
    assert_like_json(text, backend=C, sort_keys=True)


def test_every_value_of_a_stream_of_documents() -> None:
    reader = _events.EventReader(events('1 {"a": [2]} [] "x"', C, multiple_values=True))
    assert [json.dumps(v) if not isinstance(v, (list, dict)) else v for v in reader.values()] == [
        "1",
        {"a": [2]},
        [],
        '"x"',
    ]


def test_values_at_a_prefix() -> None:
    text = '{"meta": {"n": 3}, "data": [{"id": 1}, {"id": 2, "tags": ["x"]}, 3], "tail": [4]}'
    found = PrefixedValues(
        _events.EventReader(C.basic_parse(io.BytesIO(text.encode()))), "data.item"
    )
    assert list(found) == [{"id": 1}, {"id": 2, "tags": ["x"]}, 3]


def test_lazy_values_at_a_prefix_are_read_in_document_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_events, "LOOKAHEAD", 2)
    text = json.dumps({"data": [{"id": i, "v": list(range(i))} for i in range(30)], "z": 1})
    found = PrefixedValues(
        _events.EventReader(C.basic_parse(io.BytesIO(text.encode()))), "data.item"
    )
    from streamjson._lines import iterencode_lines

    got = "".join(iterencode_lines(found))
    assert got == "".join(json.dumps(r) + "\n" for r in json.loads(text)["data"])


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        ([], "no events"),
        ([("start_array", None)], "end inside"),
        ([("start_map", None), ("number", 1)], "expected a key"),
        ([("start_array", None), ("map_key", "a")], "unexpected event 'map_key'"),
        ([("start_array", None), ("end_map", None)], "unexpected event 'end_map'"),
        ([("start_array", None), ("bogus", 1)], "unexpected event 'bogus'"),
        ([("number", 1), ("number", 2)], "continue after the end"),
        ([("end_array", None)], "expected the start of a value"),
        ([("", "start_array", None)], "basic_parse"),
        ([("start_array", None), 5], "basic_parse"),
    ],
)
def test_malformed_event_streams_are_clear_errors(stream: list[Any], message: str) -> None:
    with pytest.raises(EventError, match=message):
        "".join(iterencode_events(stream))


@pytest.mark.parametrize(
    "stream",
    [
        [("start_map", None), ("map_key", "a")],
        [("start_map", None)] + [("map_key", "k"), ("number", 1)] * 10,
        [("start_array", None)] + [("number", 1)] * 10,
        [("start_array", None), ("start_array", None)] + [("number", 1)] * 10,
    ],
)
def test_events_that_stop_inside_a_lazy_container_are_an_error(
    stream: list[Any], lookahead: int
) -> None:
    with pytest.raises(EventError, match="end inside"):
        "".join(iterencode_events(stream))


def test_the_parsers_errors_pass_through_unchanged() -> None:
    with pytest.raises(ijson.IncompleteJSONError):
        "".join(iterencode_events(C.basic_parse(io.BytesIO(b'[1, 2, {"a": '))))


def test_options_are_checked_before_any_event_is_read() -> None:
    def never() -> Iterator[Event]:
        raise AssertionError("read")
        yield  # pragma: no cover

    with pytest.raises(TypeError):
        iterencode_events(never(), bogus=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="chunk_size"):
        iterencode_events(never(), chunk_size=0)


def test_an_encoder_class_that_replaces_encode_sees_the_whole_value() -> None:
    text = '{"a": [1, "x", {"b": null}]}'
    assert "".join(iterencode_events(events(text), cls=Upper)) == json.dumps(
        json.loads(text), cls=Upper
    )


def record_events(n: int, wrap: bool) -> Iterator[Event]:
    """The events of ``[{"id": i, "name": "...", "tags": [...], "v": 1.5}, ...]`` (or that
    array under a key), made up as they are consumed."""
    if wrap:
        yield from [("start_map", None), ("map_key", "data")]
    yield ("start_array", None)
    for i in range(n):
        yield from [
            ("start_map", None),
            ("map_key", "id"),
            ("number", i),
            ("map_key", "name"),
            ("string", f"record {i} é"),
            ("map_key", "tags"),
            ("start_array", None),
            ("string", "a"),
            ("boolean", True),
            ("end_array", None),
            ("map_key", "v"),
            ("number", Decimal("1.5")),
            ("end_map", None),
        ]
    yield ("end_array", None)
    if wrap:
        yield ("end_map", None)


def big_array_events(n: int) -> Iterator[Event]:
    """``[[0, 1, ..., 999], ...]``: items each bigger than the look-ahead the test sets."""
    yield ("start_array", None)
    for _ in range(n):
        yield ("start_array", None)
        for j in range(1000):
            yield ("number", j)
        yield ("end_array", None)
    yield ("end_array", None)


def peak_memory(make: Callable[[int], Iterator[Event]], n: int, **kw: Any) -> int:
    tracemalloc.start()
    try:
        for _ in iterencode_events(make(n), **kw):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("make", "options"),
    [
        (lambda n: record_events(n, False), {}),
        (lambda n: record_events(n, True), {"indent": 2}),
        (lambda n: record_events(n, False), {"sort_keys": True, "indent": 1}),
        (lambda n: big_array_events(n // 50), {}),
    ],
    ids=["array", "array-in-object", "sort-keys", "big-items"],
)
def test_memory_does_not_grow_with_the_document(
    make: Callable[[int], Iterator[Event]],
    options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Items bigger than the look-ahead stream; the walker gathers up to 16 array items
    # before writing them, so those are buffered: the bound is per item, not per file.
    monkeypatch.setattr(_events, "LOOKAHEAD", 100)
    small = peak_memory(make, 2_000, **options)
    large = peak_memory(make, 8_000, **options)
    assert large < small * 1.3 + 100_000, (small, large)


def test_sort_keys_holds_each_object_whole() -> None:
    """The documented cost of sorting: a top-level object is held entirely."""
    small = peak_memory(lambda n: record_events(n, True), 1_000, sort_keys=True)
    large = peak_memory(lambda n: record_events(n, True), 4_000, sort_keys=True)
    assert large > small * 2


def test_event_error_is_public_and_a_value_error() -> None:
    import streamjson

    assert streamjson.EventError is EventError
    assert issubclass(streamjson.EventError, ValueError)
    with pytest.raises(streamjson.EventError, match="end inside"):
        "".join(streamjson.iterencode_events([("start_array", None)]))


def test_a_sources_own_error_passes_through_whatever_it_says() -> None:
    def events() -> Iterator[Any]:
        yield "start_array", None
        yield "number", 1
        raise ValueError("not enough values to unpack (a message that only looks like ours)")

    with pytest.raises(ValueError, match="only looks like ours") as info:
        "".join(iterencode_events(events()))
    assert type(info.value) is ValueError
    with pytest.raises(EventError, match="yields, got 5"):
        "".join(iterencode_events([("start_map", None), ("map_key", "a"), 5]))
