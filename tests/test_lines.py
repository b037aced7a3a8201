"""JSON Lines: dump_lines, iterencode_lines and dumps_lines."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from streamjson._lines import dump_lines, dumps_lines, iterencode_lines
from tests import strategies as sts
from tests.helpers import OPENERS, Upper, aiterate, outcome, records


def expected_lines(items: list[Any], **kw: Any) -> str:
    return "".join(json.dumps(item, **kw) + "\n" for item in items)


def read_lines(text: str) -> list[Any]:
    """Parse JSON Lines the way a consumer does: line by line."""
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def via_dump_lines_text(items: Any, **kw: Any) -> str:
    out = io.StringIO()
    dump_lines(items, out, **kw)
    return out.getvalue()


def via_dump_lines_binary(items: Any, **kw: Any) -> str:
    out = io.BytesIO()
    dump_lines(items, out, **kw)
    return out.getvalue().decode("utf-8")


def via_iterencode_lines(items: Any, **kw: Any) -> str:
    return "".join(iterencode_lines(items, chunk_size=kw.pop("chunk_size", 32), **kw))


LINE_DRIVERS: dict[str, Callable[..., str]] = {
    "dumps_lines": dumps_lines,
    "iterencode_lines": via_iterencode_lines,
    "dump_lines_text": via_dump_lines_text,
    "dump_lines_binary": via_dump_lines_binary,
}


@pytest.fixture(params=list(LINE_DRIVERS))
def encode_lines(request: pytest.FixtureRequest) -> Callable[..., str]:
    return LINE_DRIVERS[request.param]


@given(st.lists(sts.values, max_size=8), sts.line_options)
def test_each_line_is_dumps_of_the_item(items: list[Any], options: dict[str, Any]) -> None:
    expected = outcome(lambda: expected_lines(items, **options))
    assert outcome(lambda: dumps_lines(items, **options)) == expected
    assert outcome(lambda: via_iterencode_lines(iter(items), **options)) == expected
    assert outcome(lambda: dumps_lines([sts.lazy(v) for v in items], **options)) == expected


@given(st.lists(sts.values_and_unsupported, max_size=6), sts.line_options)
def test_unsupported_values_raise_like_json(items: list[Any], options: dict[str, Any]) -> None:
    expected = outcome(lambda: expected_lines(items, **options))
    assert outcome(lambda: dumps_lines(items, **options)) == expected


@given(st.lists(sts.values, max_size=30), st.integers(1, 200))
def test_any_chunk_size_gives_the_same_text(items: list[Any], chunk_size: int) -> None:
    got = outcome(lambda: via_iterencode_lines(items, chunk_size=chunk_size))
    assert got == outcome(lambda: expected_lines(items))


def test_records_read_back_line_by_line(encode_lines: Callable[..., str]) -> None:
    text = encode_lines(records(5000))
    assert read_lines(text) == list(records(5000))
    assert text == expected_lines(list(records(5000)))


def test_items_may_hold_generators_mappings_and_objects(encode_lines: Callable[..., str]) -> None:
    def items() -> Iterator[Any]:
        yield {"rows": (i * i for i in range(3))}
        yield streamjson.Object((f"k{i}", [i]) for i in range(3))
        yield streamjson.Object(iter([]))
        yield iter([])
        yield MappingProxy({"b": 1, "a": iter([None])})
        yield streamjson.RawJSON('{"raw": 1.10}')

    assert encode_lines(items(), sort_keys=True) == (
        '{"rows": [0, 1, 4]}\n{"k0": [0], "k1": [1], "k2": [2]}\n{}\n[]\n'
        '{"a": [null], "b": 1}\n{"raw": 1.10}\n'
    )


class MappingProxy(dict):  # type: ignore[type-arg]
    """A Mapping that json would encode too (a dict subclass)."""


def test_an_empty_iterable_writes_nothing(encode_lines: Callable[..., str]) -> None:
    assert encode_lines([]) == ""
    assert encode_lines(iter(())) == ""


def test_non_ascii_and_compact_options(encode_lines: Callable[..., str]) -> None:
    items = [{"é": "😀", "n": [1, 2]}, "\u2028"]
    for kw in ({"ensure_ascii": False}, {"separators": (",", ":")}, {"sort_keys": True}):
        assert encode_lines(items, **kw) == expected_lines(items, **kw)


@pytest.mark.parametrize("indent", [0, 2, "\t", ""])
def test_indent_is_refused(encode_lines: Callable[..., str], indent: Any) -> None:
    with pytest.raises(ValueError, match=r"indent=.* cannot be used with JSON Lines"):
        encode_lines([{"a": 1}], indent=indent)


def test_options_are_checked_before_anything_is_read() -> None:
    consumed = []

    def items() -> Iterator[int]:
        consumed.append(1)
        yield 1

    with pytest.raises(ValueError, match="indent"):
        iterencode_lines(items(), indent=2)
    with pytest.raises(ValueError, match="chunk_size"):
        iterencode_lines(items(), chunk_size=0)
    with pytest.raises(TypeError, match="bogus"):
        iterencode_lines(items(), bogus=1)  # type: ignore[call-arg]
    assert consumed == []


@pytest.mark.parametrize("separators", [(",\n", ":"), (",", ":\r\n")])
def test_separators_with_a_line_break_are_refused(separators: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="line break"):
        dumps_lines([[1, 2]], separators=separators)


class Indenting(json.JSONEncoder):
    def __init__(self, **kw: Any) -> None:
        kw["indent"] = 2
        super().__init__(**kw)


class Pretty(json.JSONEncoder):
    def encode(self, o: Any) -> str:
        return json.dumps(o, indent=1)


def test_a_cls_that_indents_is_refused_too() -> None:
    with pytest.raises(ValueError, match="indent=2"):
        dumps_lines([[1]], cls=Indenting)


def test_a_cls_that_overrides_encode_writes_each_line(encode_lines: Callable[..., str]) -> None:
    items = [{"a": "x"}, ["b"]]
    assert encode_lines(items, cls=Upper) == '{"A": "X"}\n["B"]\n'
    assert encode_lines(iter([[]]), cls=Pretty) == "[]\n"
    with pytest.raises(ValueError, match=r"Pretty\.encode\(\) wrote a line break"):
        encode_lines(items, cls=Pretty)


@pytest.mark.parametrize("bad", ["text", b"bytes", {"a": 1}, 3, None])
def test_one_document_instead_of_an_iterable_is_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match="expected an iterable of values"):
        dumps_lines(bad)
    with pytest.raises(TypeError, match="expected an iterable of values"):
        iterencode_lines(bad)


def test_errors_name_the_item_that_failed() -> None:
    items = [1, 2, {"a": [object()]}]
    with pytest.raises(TypeError, match="not JSON serializable") as info:
        dumps_lines(items)
    notes = getattr(info.value, "__notes__", [])
    assert notes == ["streamjson: when encoding the value at $[2].a[0]"]


def test_a_failing_source_is_not_swallowed_and_a_failing_item_closes_the_source() -> None:
    closed = []

    def items(bad: Any) -> Iterator[Any]:
        try:
            yield 1
            yield bad
            yield 3
        finally:
            closed.append(True)

    with pytest.raises(TypeError, match="set is not JSON serializable"):
        dumps_lines(items({1}))
    assert closed == [True]

    def failing() -> Iterator[int]:
        yield 1
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom") as info:
        "".join(iterencode_lines(failing()))
    assert getattr(info.value, "__notes__", []) == ["streamjson: while reading the items of $"]


@pytest.mark.parametrize(
    ("call", "use"),
    [
        (lambda items: dumps_lines(items), "iterencode_lines_async"),
        (lambda items: "".join(iterencode_lines(items)), "iterencode_lines_async"),
        (lambda items: dump_lines(items, io.StringIO()), "dump_lines_async"),
    ],
)
def test_async_sources_name_the_async_function(call: Callable[[Any], Any], use: str) -> None:
    for items in (
        aiterate(range(3)),
        [1, {"a": aiterate(range(2))}],
        [streamjson.Object(aiterate([]))],
    ):
        with pytest.raises(TypeError, match=rf"use streamjson\.{use}\(\) instead"):
            call(items)


@pytest.mark.parametrize(
    ("suffix", "opener"),
    [("", open), *OPENERS.items()],
)
def test_a_path_is_written_atomically_and_compressed_by_suffix(
    tmp_path: Path, suffix: str, opener: Callable[..., Any]
) -> None:
    path = tmp_path / f"out.jsonl{suffix}"
    dump_lines(records(2000), path)
    with opener(path, "rt", encoding="utf-8") as f:
        assert [json.loads(line) for line in f] == list(records(2000))
    assert os.listdir(tmp_path) == [path.name]


def test_a_failure_leaves_the_previous_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old\n")

    def items() -> Iterator[Any]:
        yield from records(100_000)  # more than one chunk reaches the temporary file
        yield {1, 2}

    with pytest.raises(TypeError, match="set is not JSON serializable"):
        dump_lines(items(), path)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]
    with pytest.raises(TypeError, match="dump_lines_async"):
        dump_lines(aiterate(range(1)), path)  # type: ignore[arg-type]
    assert path.read_text() == "old\n"


def test_dump_lines_to_a_socket() -> None:
    left, right = socket.socketpair()
    got = bytearray()

    def read() -> None:
        while data := right.recv(65536):
            got.extend(data)

    reader = threading.Thread(target=read)
    reader.start()
    with left:
        dump_lines(records(20_000), left)
        left.shutdown(socket.SHUT_WR)
    reader.join()
    right.close()
    assert read_lines(got.decode()) == list(records(20_000))


def test_dump_lines_encoding_for_binary_sinks() -> None:
    out = io.BytesIO()
    dump_lines(["é"], out, ensure_ascii=False, encoding="latin-1")
    assert out.getvalue() == b'"\xe9"\n'


def test_iterencode_lines_is_lazy_and_chunked() -> None:
    produced = []

    def items() -> Iterator[dict[str, int]]:
        for i in range(10_000):
            produced.append(i)
            yield {"i": i}

    chunks = iterencode_lines(items(), chunk_size=1000)
    assert produced == []
    first = next(chunks)
    assert 1000 <= len(first) < 5000 and len(produced) < 10_000
    rest = "".join(chunks)
    assert read_lines(first + rest) == [{"i": i} for i in range(10_000)]
