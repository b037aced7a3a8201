"""Errors name the problem and where it sits; failures close what we started."""

from __future__ import annotations

import errno
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

import streamjson
from streamjson import Object
from tests.helpers import aiterate


def note_of(exc: BaseException) -> str:
    notes = getattr(exc, "__notes__", [])
    assert len(notes) == 1, notes
    return notes[0]


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda: {1, 2}, "$"),
        (lambda: {"users": [{"name": "a"}, {"tags": {"x"}}]}, "$.users[1].tags"),
        (lambda: {"a b": [0, 1, {"é": object()}]}, '$["a b"][2].é'),
        (lambda: {"data": iter([1, 2, {"x": iter([b"bytes"])}])}, "$.data[2].x[0]"),
        (lambda: {"o": Object([("k", [1, {2}])])}, "$.o.k[1]"),
        (lambda: [{"id": i} for i in range(5000)] + [{"id": {1}}], "$[5000].id"),
        (lambda: iter([{"id": i} for i in range(5000)] + [{"id": {1}}]), "$[5000].id"),
        (lambda: {1: [{2}]}, '$["1"][0]'),
    ],
)
@pytest.mark.parametrize("indent", [None, 2])
def test_unsupported_value_error_is_jsons_plus_its_path(make: Any, path: str, indent: Any) -> None:
    with pytest.raises(TypeError) as info:
        "".join(streamjson.iterencode(make(), indent=indent))
    assert str(info.value).endswith("is not JSON serializable")
    assert note_of(info.value) == f"streamjson: when encoding the value at {path}"


def test_nan_error_has_a_path() -> None:
    with pytest.raises(ValueError, match="Out of range float values") as info:
        streamjson.dumps({"xs": [1.0, float("nan")]}, allow_nan=False)
    assert note_of(info.value).endswith("$.xs[1]")


def test_circular_error_points_at_the_repeated_container() -> None:
    a: dict[str, Any] = {"list": []}
    a["list"].append(a)
    with pytest.raises(ValueError, match="Circular reference detected") as info:
        streamjson.dumps(a)
    assert note_of(info.value).endswith("$.list[0]")


def test_default_is_called_once_per_value_even_when_the_c_encoder_gives_up() -> None:
    seen: list[Any] = []

    class Stamp:
        pass

    def default(o: Any) -> Any:
        seen.append(o)
        return "stamp"

    stamps = [Stamp() for _ in range(10)]
    # The generator at the end makes the C encoder give up on the batch half-way.
    doc = [{"s": s} for s in stamps] + [iter([1])]
    assert streamjson.dumps(doc, default=default) == json.dumps([{"s": "stamp"}] * 10 + [[1]])
    assert seen == stamps


def test_default_exception_is_the_users_own_and_raised_once() -> None:
    calls = 0

    class Boom(Exception):
        pass

    def default(o: Any) -> Any:
        nonlocal calls
        calls += 1
        raise Boom("mine")

    with pytest.raises(Boom, match="mine") as info:
        streamjson.dumps({"a": [1, object()]}, default=default)
    assert calls == 1
    assert note_of(info.value).endswith("$.a[1]")


def test_source_exception_propagates_unchanged_with_where_it_was_read() -> None:
    class SourceDown(Exception):
        pass

    def rows() -> Iterator[int]:
        yield 1
        raise SourceDown("db went away")

    with pytest.raises(SourceDown, match="db went away") as info:
        streamjson.dumps({"rows": rows()})
    assert note_of(info.value) == "streamjson: while reading the items of $.rows"


def test_every_started_generator_is_closed_on_failure() -> None:
    closed: list[str] = []

    def gen(name: str, items: list[Any]) -> Iterator[Any]:
        try:
            yield from items
        finally:
            closed.append(name)

    inner = gen("inner", [1, {3}])
    outer = gen("outer", [0, inner, *range(100)])  # more than one batch: not exhausted
    pairs = gen("pairs", [("a", outer)])
    with pytest.raises(TypeError):
        streamjson.dumps(Object(pairs))
    assert closed == ["inner", "outer", "pairs"]


def test_generators_are_closed_when_the_sink_fails() -> None:
    closed = []

    def records() -> Iterator[dict[str, int]]:
        try:
            for i in range(1_000_000):
                yield {"i": i}
        finally:
            closed.append(True)

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:
        streamjson.dump({"data": records()}, Full())
    assert info.value.errno == errno.ENOSPC
    assert closed == [True]


def test_keyboard_interrupt_from_the_source_propagates_untouched() -> None:
    def rows() -> Iterator[int]:
        yield 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        streamjson.dumps([rows()])
    assert not getattr(info.value, "__notes__", None)


def test_async_sources_are_refused_by_sync_functions_with_a_pointer() -> None:
    source = aiterate([1])
    with pytest.raises(
        TypeError, match=r"async_generator.*use streamjson.iterencode_async\(\)"
    ) as info:
        streamjson.dumps({"x": source})
    assert note_of(info.value).endswith("$.x")
    out = io.StringIO()
    with pytest.raises(TypeError, match=r"streamjson.dump_async\(\)"):
        streamjson.dump([source], out)
    with pytest.raises(TypeError, match="iterencode_async"):
        list(streamjson.iterencode(Object(aiterate([("a", 1)]))))


def test_bad_options_fail_at_call_time() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        streamjson.iterencode([1], bogus=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="chunk_size must be a positive int"):
        streamjson.iterencode([1], chunk_size=0)
    with pytest.raises(LookupError):
        streamjson.dump([1], io.BytesIO(), encoding="no-such-codec")
