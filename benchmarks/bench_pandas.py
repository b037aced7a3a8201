"""A DataFrame of N rows to JSON Lines: streamjson against DataFrame.to_json, time and memory.

    python benchmarks/bench_pandas.py streamjson --rows 1000000
    python benchmarks/bench_pandas.py pandas --rows 1000000
    python benchmarks/bench_pandas.py pandas-chunks --rows 1000000

One contender a run, so that each process's peak memory is its own: run them in turn, side
by side (benchmarks/README.md gives the commands and the figures). The frame is built
first and not timed: examples/export_pandas.py's frame without its two object columns
(Decimal, UUID), so 9 columns: int64, float64 with NaN, datetime64[ns] with NaT, the same
in UTC, timedelta64, Int64 with NA, bool, category and string with NA. Then the write is
timed (wall and CPU seconds), and the peak RSS is measured against what the process held
once the frame was built (on Linux VmHWM is reset just before the write, so the growth is
exact to the page).

Contenders:

* ``streamjson``: ``streamjson.dump_lines(streamjson.extended(df), path,
  default=streamjson.extended)``, the rows read a block at a time
* ``pandas``: ``df.to_json(path, orient="records", lines=True, date_format="iso")``
* ``pandas-chunks``: the same per block of 10,000 rows, appended to one file: the usual
  workaround for the memory of ``to_json``

The texts differ in details, not in size or work: pandas writes floats with 10
significant digits (``double_precision=10``), datetimes to the millisecond with ``Z``
for UTC, durations as ``P0DT0H0M1S``, and no space after ``:`` and ``,``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import _peak, _reset_peak, _rss

import streamjson

EXAMPLE = Path(__file__).parent.parent / "examples" / "export_pandas.py"
CHUNK = 10_000


def frame(rows: int) -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("export_pandas", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    df: pd.DataFrame = example.make_frame(rows).drop(columns=["amount", "ref"])
    return df


def write_streamjson(df: pd.DataFrame, path: str) -> None:
    streamjson.dump_lines(streamjson.extended(df), path, default=streamjson.extended)


def write_pandas(df: pd.DataFrame, path: str) -> None:
    df.to_json(path, orient="records", lines=True, date_format="iso")


def write_pandas_chunks(df: pd.DataFrame, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for start in range(0, len(df), CHUNK):
            df.iloc[start : start + CHUNK].to_json(
                f, orient="records", lines=True, date_format="iso"
            )
            f.write("\n")  # to_json leaves the last line open


CONTENDERS = {
    "streamjson": write_streamjson,
    "pandas": write_pandas,
    "pandas-chunks": write_pandas_chunks,
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=list(CONTENDERS))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=None, help="output path (default: a temporary file)")
    args = parser.parse_args(argv)

    df = frame(args.rows)
    path = args.out or tempfile.mkstemp(suffix=".jsonl")[1]
    write = CONTENDERS[args.contender]
    write(df.head(1000), path)  # warm up: lazy imports, first allocations
    gc.collect()
    before = _rss()
    exact = _reset_peak()
    cpu, wall = cpu_seconds(), time.perf_counter()
    write(df, path)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    growth = (_peak() - before) / 2**20
    size = os.path.getsize(path)
    if args.out is None:
        os.remove(path)
    print(
        f"{args.contender}: {len(df):,} rows, {size / 1e6:.0f} MB of JSON Lines in {wall:.2f} s"
        f" ({cpu:.2f} s CPU, {len(df) / wall:,.0f} rows/s); peak RSS +{growth:.1f} MiB"
        f" over the {before / 2**20:.0f} MiB held with the frame"
        + ("" if exact else " (ru_maxrss: an upper bound)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
