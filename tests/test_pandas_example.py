"""examples/export_pandas.py, run as a user runs it: a DataFrame with NaN, NaT and NA to JSON Lines.

The lines are checked against pandas itself: a value is null exactly where
``DataFrame.to_json`` writes null, and every other value is the documented form of the
frame's own value. Needs pandas (the test extra); skipped without it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import load_example, run_example

pd = pytest.importorskip("pandas")

ROWS = 500


def documented(value: Any) -> Any:
    """The JSON form the docs give a (non-missing) DataFrame value, as json.loads reads it."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        seconds = int(value.total_seconds())
        assert value == pd.Timedelta(seconds=seconds) and seconds < 86_400
        return f"PT{seconds}S" if seconds else "P0D"
    if isinstance(value, Decimal):
        return ("number", str(value))
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float):
        return ("number", repr(value))
    return str(value) if type(value).__name__ == "UUID" else value


def test_the_example_writes_every_row_in_its_documented_form(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    printed = run_example(
        "export_pandas", "--rows", str(ROWS), "--out", str(out), cwd=tmp_path, timeout=300
    )
    assert f"wrote {ROWS:,} rows" in printed

    lines = out.read_text(encoding="utf-8").splitlines()
    got = [json.loads(line, parse_float=lambda text: ("number", text)) for line in lines]
    df = load_example("export_pandas").make_frame(ROWS)
    assert len(got) == len(df) == ROWS
    # null exactly where pandas writes null: NaN, NaT, NA and None alike.
    # (The UUIDs as text first: pandas 3.1's to_json fails on them next to non-ASCII text.)
    frame = df.astype({"ref": str})
    theirs = frame.to_json(orient="records", lines=True, date_format="iso").splitlines()
    assert [[v is None for v in row.values()] for row in got] == [
        [v is None for v in json.loads(line).values()] for line in theirs
    ]
    assert {k for row in got for k, v in row.items() if v is None} == {
        "score",
        "seen",
        "seen_utc",
        "visits",
        "note",
    }  # NaN, NaT (naive and UTC), NA (Int64 and string)
    for row, (_, source) in zip(got, df.iterrows(), strict=True):
        assert list(row) == list(df.columns)
        expected = {k: None if pd.isna(v) else documented(v) for k, v in source.items()}
        assert row == expected

    assert lines[1] == (
        '{"id": 1, "score": 0.125, "seen": "2026-03-01T09:30:01.000000001",'
        ' "seen_utc": "2026-03-01T09:30:01.000000001+00:00", "wait": "PT1S", "visits": null,'
        ' "vip": false, "city": "Krak\\u00f3w", "note": "ok", "amount": 0.01,'
        ' "ref": "00000000-0000-0000-0000-000000000001"}'
    )
