"""Write a pandas DataFrame with NaN, NaT and NA to JSON Lines, one row object a line.

``streamjson.extended`` knows pandas and numpy without importing them. Called on a
DataFrame it gives the frame's rows as dicts (column name to value), read a block of rows
at a time, never through a whole ``to_dict()``; ``dump_lines`` writes one a line, and the
same ``default=streamjson.extended`` writes the values:

    float64 NaN, NaT, pd.NA, None  -> null  (as DataFrame.to_json writes a missing value)
    datetime64, Timestamp          -> "2026-03-01T09:30:00" ISO text, nanoseconds and
                                      the UTC offset kept: "...00.000000001+00:00"
    timedelta64                    -> "P1DT30S", an ISO 8601 duration
    Int64, boolean, string         -> numbers, true/false, strings (their NA is null)
    category                       -> its values
    Decimal (an object column)     -> 0.10, a JSON number with exactly its digits
    UUID (an object column)        -> "00000000-0000-0000-0000-00000000000a"

Note that ``dump_lines(df)`` itself would write the column names, one a line: iterating a
DataFrame gives its columns. Pass ``streamjson.extended(df)``, the rows.

    python examples/export_pandas.py                          # 100,000 rows to events.jsonl
    python examples/export_pandas.py --rows 1000000 --out big.jsonl.gz

It prints the first lines, the time taken and the peak memory (RSS) of the process.
Needs ``pip install pandas``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import resource
import sys
import time
import uuid
from decimal import Decimal

import numpy as np
import pandas as pd

import streamjson


def make_frame(rows: int) -> pd.DataFrame:
    """A deterministic frame of ``rows`` events with a missing value in most columns."""
    i = np.arange(rows)
    start = np.datetime64("2026-03-01T09:30:00", "ns")
    every = np.timedelta64(1_000_000_001, "ns")  # 1 s and 1 ns: the nanoseconds show
    seen = (start + i * every).astype("datetime64[ns]")
    seen[i % 7 == 3] = np.datetime64("NaT", "ns")
    return pd.DataFrame(
        {
            "id": i,
            "score": np.where(i % 5 == 2, np.nan, i / 8),  # float64 with NaN
            "seen": seen,  # datetime64[ns] with NaT
            "seen_utc": pd.Series(seen).dt.tz_localize("UTC"),  # datetime64[ns, UTC]
            "wait": pd.to_timedelta(i % 90_000, unit="s"),  # timedelta64
            "visits": pd.array(np.where(i % 4 == 1, None, i % 10), dtype="Int64"),  # NA
            "vip": i % 3 == 0,
            "city": pd.Categorical(np.array(["Oslo", "Kraków", "東京"])[i % 3]),
            "note": pd.array(np.where(i % 6 == 0, None, "ok"), dtype="string"),  # NA
            "amount": [Decimal(k % 10_000).scaleb(-2) for k in range(rows)],  # object: Decimal
            "ref": [uuid.UUID(int=k) for k in range(rows)],  # object: UUID
        }
    )


def peak_rss_mib() -> float:
    """The peak resident memory of this process so far (ru_maxrss: KiB, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the frame")
    parser.add_argument("--out", default="events.jsonl", help="output path (.gz compresses)")
    args = parser.parse_args(argv)

    df = make_frame(args.rows)
    start = time.perf_counter()
    streamjson.dump_lines(streamjson.extended(df), args.out, default=streamjson.extended)
    seconds = time.perf_counter() - start

    print(f"wrote {len(df):,} rows to {args.out} in {seconds:.2f} s; the first lines:")
    with (gzip.open if args.out.endswith(".gz") else open)(args.out, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, 3):
            print("  " + line.rstrip("\n"))
    print(f"peak RSS {peak_rss_mib():.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
