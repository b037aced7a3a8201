"""numpy and pandas values for ``Extended``, found through ``sys.modules`` (never imported).

Arrays, Series and DataFrames become generators that the walker streams: a block of
rows at a time is read and converted (``tolist()`` on the block), so memory stays
bounded by the block, never the whole array or frame.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from itertools import repeat
from typing import Any

from ._extended import Extended, duration, fixed_point, micros_since_epoch, with_z

Writer = Callable[[Any], Any]

# Elements converted at a time: a block's Python objects stay well under a few MB.
BLOCK = 1 << 14
_NUMBERS = frozenset("biuf")  # bool, int, unsigned, float: tolist() gives json's own types


def writer_for(t: type, ext: Extended) -> Writer | None:
    """The writer for a numpy or pandas type, or None when ``t`` is neither."""
    pd = sys.modules.get("pandas")
    if pd is not None:
        writer = _pandas_writer(t, pd, ext)
        if writer is not None:
            return writer
    np = sys.modules.get("numpy")
    if np is not None:
        return _numpy_writer(t, np)
    return None


def is_scalar(t: type) -> bool:
    """A numpy scalar type or pandas' NA: immutable values (pandas' other scalars are
    datetime and timedelta subclasses)."""
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    return (np is not None and issubclass(t, np.generic)) or (pd is not None and t is type(pd.NA))


def _numpy_writer(t: type, np: Any) -> Writer | None:
    if issubclass(t, np.ndarray):
        return _ndarray
    if issubclass(t, np.bool_):
        return bool
    if issubclass(t, np.integer):
        return int
    if issubclass(t, np.floating):  # float16 and float32 as the float they hold exactly
        return float
    if issubclass(t, np.datetime64):
        return _datetime64
    return None


def _datetime64(o: Any) -> str | None:
    np = sys.modules["numpy"]
    return None if np.isnat(o) else str(np.datetime_as_string(o))


def _ndarray(a: Any) -> Any:
    a = sys.modules["numpy"].asarray(a)  # a view: memmap and matrix read as plain arrays
    if a.ndim == 0:
        return a[()]  # the scalar, written by these same rules
    return _rows(a)


def _rows(a: Any) -> Iterator[Any]:
    """The items of an array of at least one dimension, a block of rows at a time."""
    kind = a.dtype.kind
    if kind in _NUMBERS:
        convert = _tolist
    elif kind == "M":
        convert = _datetime_texts
    elif kind in "OUS":
        convert = _tolist  # Python objects, str, bytes: written by these same rules
    elif a.ndim == 1:  # other scalars (complex, timedelta64, void) go to default one by one
        return iter(a)
    else:
        return map(_rows, a)
    row_size = math.prod(a.shape[1:])
    if row_size > BLOCK:
        return map(_rows, a)
    return _blocks(a, max(1, BLOCK // max(1, row_size)), convert)


def _blocks(a: Any, step: int, convert: Callable[[Any], list[Any]]) -> Iterator[Any]:
    for start in range(0, len(a), step):
        yield from convert(a[start : start + step])


def _tolist(block: Any) -> list[Any]:
    items: list[Any] = block.tolist()
    return items


def _datetime_texts(block: Any) -> list[Any]:
    np = sys.modules["numpy"]
    texts = np.datetime_as_string(block).astype(object)
    texts[np.isnat(block)] = None
    items: list[Any] = texts.tolist()
    return items


def _pandas_writer(t: type, pd: Any, ext: Extended) -> Writer | None:
    if issubclass(t, pd.DataFrame):
        return _frame_rows
    if issubclass(t, pd.Series):
        return _series_values
    if t is type(pd.NaT) or t is type(pd.NA):
        return _null
    if issubclass(t, pd.Timestamp):
        return _TIMESTAMP_WRITERS[ext.datetime_form()]
    if issubclass(t, pd.Timedelta):
        return _timedelta_ns
    return None


def _null(o: Any) -> None:
    return None


def _nanos_since_epoch(o: Any, form: str) -> int:
    nanos: int = o.nanosecond  # Timestamp's digits past the microsecond
    return micros_since_epoch(o, form) * 1000 + nanos


def _timestamp_epoch(o: Any) -> Any:
    return fixed_point(_nanos_since_epoch(o, "epoch"), 9)


def _timestamp_epoch_ms(o: Any) -> int:
    return _nanos_since_epoch(o, "epoch-ms") // 1_000_000


def _timestamp_iso(o: Any) -> str:
    text: str = o.isoformat()  # with nanoseconds, where datetime's has microseconds
    return text


def _timestamp_iso_z(o: Any) -> str:
    return with_z(o.isoformat())


_TIMESTAMP_WRITERS: dict[str, Writer] = {
    "iso": _timestamp_iso,
    "iso-z": _timestamp_iso_z,
    "epoch": _timestamp_epoch,
    "epoch-ms": _timestamp_epoch_ms,
}


def _timedelta_ns(o: Any) -> str:
    micros = (o.days * 86_400 + o.seconds) * 1_000_000 + o.microseconds
    return duration(micros * 1000 + o.nanoseconds, 9)


def _column(s: Any) -> list[Any]:
    """A Series' values as Python objects, every missing value (NaN, None, NaT, NA) None."""
    values: list[Any] = s.tolist()
    if s.hasnans:
        missing = s.isna().tolist()
        values = [None if m else v for v, m in zip(values, missing, strict=True)]
    return values


def _series_values(s: Any) -> Iterator[Any]:
    """A Series as an array of its values (its index is not written)."""
    for start in range(0, len(s), BLOCK):
        yield from _column(s.iloc[start : start + BLOCK])


def _frame_rows(df: Any) -> Iterator[dict[Any, Any]]:
    """A DataFrame as an array of row objects, ``DataFrame.to_json(orient="records")``'s
    shape (its index is not written), read a block of rows at a time."""
    if not df.columns.is_unique:
        raise ValueError("DataFrame columns must be unique for orient='records'.")
    return _frame_blocks(df, df.columns.tolist())


def _frame_blocks(df: Any, names: list[Any]) -> Iterator[dict[Any, Any]]:
    width = len(names)
    step = max(1, BLOCK // max(1, width))
    for start in range(0, len(df), step):
        block = df.iloc[start : start + step]
        columns = [_column(block.iloc[:, j]) for j in range(width)]
        if width:
            yield from map(dict, map(zip, repeat(names), zip(*columns, strict=True)))
        else:
            yield from ({} for _ in range(len(block)))
