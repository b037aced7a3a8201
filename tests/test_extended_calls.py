"""How often the walker calls ``Extended``: a pure one may be called again for a value
when a part is walked again; one with a ``fallback`` (user code) is called once per
value, as json calls ``default``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import streamjson

WHEN = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.timezone.utc)


class Tag:
    def __init__(self, n: int) -> None:
        self.n = n


def _rows() -> Iterator[dict[str, Any]]:
    # a generator at the end of each record makes the C attempt fall back after the
    # datetime and the Tag were already converted
    for i in range(50):
        yield {"at": WHEN, "tag": Tag(i), "more": (x for x in [i])}


def _expected() -> str:
    return json.dumps([{"at": WHEN.isoformat(), "tag": i, "more": [i]} for i in range(50)])


def test_a_fallback_is_called_once_per_value_even_when_a_part_is_walked_again() -> None:
    seen: list[int] = []

    def fallback(o: Any) -> Any:
        seen.append(o.n)
        return o.n

    text = streamjson.dumps(_rows(), default=streamjson.Extended(fallback=fallback))
    assert text == _expected()
    assert seen == list(range(50))


def test_extended_without_a_fallback_is_pure_and_with_one_is_not() -> None:
    assert streamjson.extended.pure is True
    assert streamjson.Extended(datetime="epoch").pure is True
    assert streamjson.Extended(fallback=repr).pure is False


def test_a_value_outside_the_table_is_jsons_type_error_at_its_path() -> None:
    rows = ({"at": WHEN, "tag": Tag(i), "more": (x for x in [i])} for i in range(3))
    try:
        streamjson.dumps(rows, default=streamjson.extended)
    except TypeError as exc:
        assert str(exc) == "Object of type Tag is not JSON serializable"
        assert exc.__notes__[-1].endswith("$[0].tag")
    else:  # pragma: no cover - the assertion below says what went wrong
        raise AssertionError("Tag was written without a fallback")
