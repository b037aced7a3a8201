"""streamjson.extended with numpy and pandas values: the table's rows through every
driver and fast mode, DataFrame as to_json(orient="records") reads it, and memory that
stays bounded for a memory-mapped array and a large DataFrame."""

from __future__ import annotations

import datetime as dt
import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from streamjson import Extended, extended

from .test_extended import DRIVERS, _doc, _expected

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

UTC = dt.timezone.utc


class _Grid(np.ndarray):  # type: ignore[misc,name-defined]
    """An ndarray subclass: written as the plain array it views."""


def _cases() -> list[tuple[str, dict[str, Any], Any, str]]:
    stamp = pd.Timestamp("2024-05-01T00:00:00.000000001", tz="UTC")
    return [
        ("int64", {}, np.int64(-3), "-3"),
        ("uint64", {}, np.uint64(2**64 - 1), str(2**64 - 1)),
        ("bool", {}, np.bool_(False), "false"),
        ("float64-as-json-writes-it", {}, np.float64(0.1), "0.1"),
        ("float32", {}, np.float32(0.1), "0.10000000149011612"),
        ("float16", {}, np.float16(0.1), "0.0999755859375"),
        ("float32-nan", {}, np.float32("nan"), "NaN"),
        (
            "datetime64-ns",
            {},
            np.datetime64("2024-05-01T12:00", "ns"),
            '"2024-05-01T12:00:00.000000000"',
        ),
        ("datetime64-day", {}, np.datetime64("2024-05-01"), '"2024-05-01"'),
        ("datetime64-nat", {}, np.datetime64("NaT", "ns"), "null"),
        ("ndarray-0d", {}, np.array(2.5), "2.5"),
        ("ndarray-1d", {}, np.arange(3, dtype=np.int8), "[0, 1, 2]"),
        ("ndarray-2d", {}, np.array([[1.5, 2], [3, 4]]), "[[1.5, 2.0], [3.0, 4.0]]"),
        ("ndarray-3d", {}, np.zeros((2, 1, 2), dtype=bool), "[[[false, false]], [[false, false]]]"),
        ("ndarray-empty-rows", {}, np.zeros((2, 0)), "[[], []]"),
        ("ndarray-empty", {}, np.zeros((0, 3)), "[]"),
        (
            "ndarray-datetime64",
            {},
            np.array(["2024-05-01", "NaT"], dtype="datetime64[D]"),
            '["2024-05-01", null]',
        ),
        ("ndarray-object", {}, np.array([dt.date(2024, 5, 1), None]), '["2024-05-01", null]'),
        ("ndarray-str", {}, np.array(["a", "b"]), '["a", "b"]'),
        ("ndarray-bytes", {}, np.array([b"a"]), '["YQ=="]'),
        ("ndarray-subclass", {}, np.array([[1, 2]]).view(_Grid), "[[1, 2]]"),
        ("timestamp", {}, stamp, '"2024-05-01T00:00:00.000000001+00:00"'),
        ("timestamp-naive", {}, pd.Timestamp("2024-05-01"), '"2024-05-01T00:00:00"'),
        ("timestamp-iso-z", {"datetime": "iso-z"}, stamp, '"2024-05-01T00:00:00.000000001Z"'),
        ("timestamp-epoch", {"datetime": "epoch"}, stamp, "1714521600.000000001"),
        ("timestamp-epoch-ms", {"datetime": "epoch-ms"}, stamp, "1714521600000"),
        (
            "timestamp-other-zone",
            {},
            pd.Timestamp("2024-05-01T02:00", tz="Europe/Paris"),
            '"2024-05-01T02:00:00+02:00"',
        ),
        ("nat", {}, pd.NaT, "null"),
        ("na", {}, pd.NA, "null"),
        ("pandas-timedelta", {}, pd.Timedelta(days=-1, nanoseconds=1), '"-PT86399.999999999S"'),
        (
            "series",
            {},
            pd.Series([1.5, np.nan, None], index=["x", "y", "z"]),
            "[1.5, null, null]",
        ),
        ("series-int", {}, pd.Series(pd.array([1, None], dtype="Int64")), "[1, null]"),
        (
            "dataframe",
            {},
            pd.DataFrame(
                {
                    "f": [1.5, np.nan],
                    "o": [np.nan, "x"],
                    "t": [pd.Timestamp("2024-05-01", tz="UTC"), pd.NaT],
                    7: [True, False],
                },
                index=[10, 20],
            ),
            '[{"f": 1.5, "o": null, "t": "2024-05-01T00:00:00+00:00", "7": true}, '
            '{"f": null, "o": "x", "t": null, "7": false}]',
        ),
        ("dataframe-empty", {}, pd.DataFrame({"a": []}), "[]"),
        ("dataframe-no-columns", {}, pd.DataFrame(index=[1, 2]), "[{}, {}]"),
    ]


CASES = _cases()


@pytest.mark.parametrize("driver", list(DRIVERS))
@pytest.mark.parametrize(("name", "opts", "value", "text"), CASES, ids=[c[0] for c in CASES])
def test_every_row_through_every_driver(
    driver: str, name: str, opts: dict[str, Any], value: Any, text: str, tmp_path: Path
) -> None:
    default = Extended(**opts) if opts else extended
    assert DRIVERS[driver](_doc(value), tmp_path, default=default) == _expected(text)


@pytest.mark.parametrize(("name", "opts", "value", "text"), CASES, ids=[c[0] for c in CASES])
def test_every_row_in_fast_mode_is_the_same_text(
    name: str, opts: dict[str, Any], value: Any, text: str, tmp_path: Path
) -> None:
    pytest.importorskip("orjson")
    default = Extended(**opts) if opts else extended
    expected = _expected(text.replace("NaN", "null"), compact=True)
    for driver in ("dumps", "dumps-streamed", "dump-path", "dump_lines", "iterencode_async"):
        assert DRIVERS[driver](_doc(value), tmp_path, default=default, fast=True) == expected


def test_a_dataframe_reads_as_to_json_records_reads() -> None:
    df = pd.DataFrame(
        {
            "i": range(5),
            "f": [0.5, np.nan, 2.0, np.inf, -1.25],
            "s": ["a", None, "c", np.nan, "e"],
            "n": pd.array([1, None, 3, 4, None], dtype="Int64"),
            "b": [True, False, True, True, False],
            "c": pd.Categorical(["x", "y", None, "x", "y"]),
        }
    )
    df.loc[3, "f"] = -0.0
    ours = json.loads(streamjson.dumps(df, default=extended))
    assert ours == json.loads(df.to_json(orient="records"))


@given(st.lists(st.floats(allow_infinity=False) | st.none(), max_size=50))
def test_a_series_of_floats_writes_nan_and_none_as_null(values: list[float | None]) -> None:
    s = pd.Series(values, dtype=float)
    expected = [None if v is None or math.isnan(v) else v for v in values]
    assert json.loads(streamjson.dumps(s, default=extended)) == expected


def test_a_dataframe_across_blocks_and_as_json_lines(tmp_path: Path) -> None:
    from streamjson._extended_numpy import BLOCK

    n = 3 * BLOCK // 2 + 7  # three columns: several blocks of rows, a short last one
    df = pd.DataFrame({"i": range(n), "f": np.arange(n) / 4, "t": ["x"] * n})
    df.loc[n - 1, "f"] = np.nan
    rows = [{"i": i, "f": None if i == n - 1 else i / 4, "t": "x"} for i in range(n)]
    assert streamjson.dumps(df, default=extended) == json.dumps(rows)
    path = tmp_path / "rows.jsonl"
    streamjson.dump_lines(extended(df), path, default=extended)  # extended(df): its rows
    assert path.read_text() == "".join(json.dumps(r) + "\n" for r in rows)


def test_a_big_row_is_streamed_a_row_at_a_time() -> None:
    from streamjson._extended_numpy import BLOCK

    a = np.arange(2 * (BLOCK + 1)).reshape(2, BLOCK + 1)
    assert streamjson.dumps(a, default=extended) == json.dumps(a.tolist())


def test_unknown_numpy_and_pandas_values_are_json_s_type_error() -> None:
    with pytest.raises(TypeError) as e:
        streamjson.dumps({"z": np.array([[1 + 2j]])}, default=extended)
    assert str(e.value) == "Object of type complex128 is not JSON serializable"
    assert e.value.__notes__ == ["streamjson: when encoding the value at $.z[0][0]"]
    out = streamjson.dumps(np.array([1j]), default=Extended(fallback=lambda o: str(o)))
    assert out == '["1j"]'
    with pytest.raises(TypeError, match="Object of type Period is not JSON serializable"):
        streamjson.dumps([pd.Period("2024-05")], default=extended)


def test_duplicate_column_names_are_to_json_s_error() -> None:
    with pytest.raises(ValueError, match="columns must be unique"):
        streamjson.dumps(pd.DataFrame([[1, 2]], columns=["a", "a"]), default=extended)


def test_column_names_follow_json_s_key_rules() -> None:
    df = pd.DataFrame([[1, 2, 3]], columns=[1.5, None, True])
    assert streamjson.dumps(df, default=extended) == '[{"1.5": 1, "null": 2, "true": 3}]'
    stamped = pd.DataFrame([[1]], columns=[pd.Timestamp("2024-05-01")])
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None"):
        streamjson.dumps(stamped, default=extended)


def test_a_naive_timestamp_in_an_epoch_form_says_why() -> None:
    with pytest.raises(ValueError, match="naive"):
        streamjson.dumps(pd.Timestamp("2024-05-01"), default=Extended(datetime="epoch"))


class _Counter:
    """A sink that keeps only the number of characters written."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def _peak(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_memory_mapped_array_is_written_in_bounded_memory(tmp_path: Path) -> None:
    """2,000,000 x 8 float64 (128 MB on disk): tolist() of it would be gigabytes."""
    rows, cols = 2_000_000, 8
    a = np.memmap(tmp_path / "a.f8", dtype=np.float64, mode="w+", shape=(rows, cols))
    step = 250_000
    for start in range(0, rows, step):
        a[start : start + step] = (
            np.arange(start * cols, (start + step) * cols).reshape(-1, cols) / 8
        )
    a.flush()
    del a
    a = np.memmap(tmp_path / "a.f8", dtype=np.float64, mode="r", shape=(rows, cols))
    out = _Counter()
    peak = _peak(lambda: streamjson.dump(a, out, default=extended))
    assert peak < 16 * 2**20, peak
    tail = streamjson.dumps(a[-2:], default=extended)
    assert json.loads(tail)[-1][-1] == (rows * cols - 1) / 8
    assert out.size > rows * cols * 4


@pytest.mark.slow
def test_a_dataframe_is_written_in_chunks_in_bounded_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 1_000_000
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "x": np.arange(n) / 3,
            "when": pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC"),
            "name": pd.Series(["n"] * n, dtype=object),
        }
    )
    df.loc[::7, "x"] = np.nan

    def whole(*args: Any, **kw: Any) -> Any:
        raise AssertionError("the frame was materialised whole")

    monkeypatch.setattr(pd.DataFrame, "to_dict", whole)
    monkeypatch.setattr(pd.DataFrame, "itertuples", whole)
    out = _Counter()
    peak = _peak(lambda: streamjson.dump_lines(extended(df), out, default=extended))
    assert peak < 16 * 2**20, peak
    assert out.size > n * 60
