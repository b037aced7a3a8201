"""Regression guard: the C fast paths are taken (counted, not timed)."""

from __future__ import annotations

from typing import Any

import pytest

import streamjson
from streamjson._batches import NATIVE_INDENT, Batches
from streamjson._walker import Walker
from tests.test_memory import CountingSink, records


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the walker's C calls and the values it encodes in Python."""
    counts = {"c": 0, "indented": 0, "python": 0}
    for owner, name, key in (
        (Batches, "try_c", "c"),
        (Batches, "indented", "indented"),
        (Walker, "encode", "python"),
    ):
        original = getattr(owner, name)

        def counted(
            self: Any, *args: Any, _original: Any = original, _key: str = key, **kw: Any
        ) -> Any:
            counts[_key] += 1
            return _original(self, *args, **kw)

        monkeypatch.setattr(owner, name, counted)
    return counts


def test_a_million_records_go_to_the_c_encoder_in_batches(calls: dict[str, int]) -> None:
    sink = CountingSink()
    streamjson.dump({"meta": {"n": 1}, "data": records(1_000_000)}, sink)
    assert 100 <= calls["c"] <= 20_000  # batches of dozens of records, not one call a record
    assert calls["python"] <= 10  # only the wrapper's values
    assert 200 <= sink.writes <= 10_000  # chunks, not tokens


def test_indented_records_go_to_the_c_encoder_in_batches(calls: dict[str, int]) -> None:
    streamjson.dump(records(200_000), CountingSink(), indent=2)
    # json's C encoder indents by itself from 3.13; before, the walker lays out marked text.
    batches = calls["c"] if NATIVE_INDENT else calls["indented"]
    assert 50 <= batches <= 5_000
    assert calls["indented"] == 0 or not NATIVE_INDENT
    assert calls["python"] <= 10


def test_small_documents_take_a_single_c_call(calls: dict[str, int]) -> None:
    for _ in range(100):
        streamjson.dumps(next(records(1)))
    assert calls == {"c": 0, "indented": 0, "python": 0}  # dumps' shortcut, no walker at all
    "".join(streamjson.iterencode(next(records(1))))
    assert calls["c"] == 1 and calls["python"] == 1
