"""Regression guard: the C fast paths are taken (counted, not timed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import streamjson
from streamjson._batches import NATIVE_INDENT, Batches
from streamjson._walker import Walker
from tests.helpers import CountingSink, records

RECORDS = 50_000  # enough for hundreds of batches and chunks


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the walker's C calls and the values it encodes in Python: each value goes
    through the walker's scalar table or ``encode_any``, array items and object members
    alike."""
    counts = {"c": 0, "indented": 0, "python": 0}

    def counted(original: Callable[..., Any], key: str) -> Callable[..., Any]:
        def count(*args: Any, **kw: Any) -> Any:
            counts[key] += 1
            return original(*args, **kw)

        return count

    for owner, name, key in (
        (Batches, "try_c", "c"),
        (Batches, "indented", "indented"),
        (Walker, "encode_any", "python"),
    ):
        monkeypatch.setattr(owner, name, counted(getattr(owner, name), key))
    init = Walker.__init__

    def counting_scalars(self: Walker, *args: Any, **kw: Any) -> None:
        init(self, *args, **kw)
        self.scalars = {t: counted(f, "python") for t, f in self.scalars.items()}

    monkeypatch.setattr(Walker, "__init__", counting_scalars)
    return counts


def test_records_go_to_the_c_encoder_in_batches(calls: dict[str, int]) -> None:
    sink = CountingSink()
    streamjson.dump({"meta": {"n": 1}, "data": records(RECORDS)}, sink)
    # batches of dozens of records, not one call a record
    assert RECORDS // 200 <= calls["c"] <= RECORDS // 20
    assert calls["python"] == 3  # only the wrapper's values: itself, "meta"'s and "data"'s
    assert 10 <= sink.writes <= RECORDS // 100  # chunks, not tokens


def test_indented_records_go_to_the_c_encoder_in_batches(calls: dict[str, int]) -> None:
    streamjson.dump(records(RECORDS // 2), CountingSink(), indent=2)
    # json's C encoder indents by itself from 3.13; before, the walker lays out marked text.
    batches = calls["c"] if NATIVE_INDENT else calls["indented"]
    assert RECORDS // 400 <= batches <= RECORDS // 40
    assert calls["indented"] == 0 or not NATIVE_INDENT
    assert calls["python"] == 1  # the generator itself


def test_small_documents_take_a_single_c_call(calls: dict[str, int]) -> None:
    for _ in range(100):
        streamjson.dumps(next(records(1)))
    assert calls == {"c": 0, "indented": 0, "python": 0}  # dumps' shortcut, no walker at all
    "".join(streamjson.iterencode(next(records(1))))
    assert calls["c"] == 1 and calls["python"] == 1


def test_object_members_are_counted(calls: dict[str, int]) -> None:
    """The counter sees values the walker writes as object members, not only array items."""
    "".join(streamjson.iterencode(streamjson.Object(iter([("a", 1), ("b", "x"), ("c", [2])]))))
    assert calls["python"] == 4  # the Object, then 1, "x" and [2] as its members
