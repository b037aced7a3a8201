"""streamjson.extended against its alternatives: one workload per run, chosen by argument.

    python benchmarks/bench_extended.py WORKLOAD [--records N] [--out PATH]

Record workloads write N records (default 1,000,000) of 12 fields: two aware
datetimes, one Decimal, one UUID and one Enum among ints, floats, strings, a bool
and None. The values come from a small pool built before the records, so every
workload's generator costs the same and only the encoding differs:

  extended      dump(records, f, default=streamjson.extended)
  preformatted  dump of the same records with those five fields already strings
                (what Extended writes for them, the Decimal as a string)
  formatted     dump of records whose generator formats those five fields itself
                (isoformat(), str(), .value: what a caller does without a default)
  isinstance    dump with an obvious hand-written default (an isinstance chain)
  fast          dump(records, f, default=streamjson.extended, fast=True)
  orjson        orjson.dumps of each record, its own datetime/UUID/Enum, a
                default for Decimal (a Fragment of its digits), written as one array
  msgspec       msgspec's Encoder(decimal_format="number") on each record, as one array

DataFrame workloads write a frame of N rows (ints, floats with NaN, strings, aware
timestamps with NaT) as JSON Lines:

  frame-lines          dump_lines(streamjson.extended(df), f, default=streamjson.extended)
  frame-to-json-lines  df.to_json(f, orient="records", lines=True, date_format="iso")

Both frame workloads build the same frame the same way, so its cost is in both.
Time whole runs side by side (e.g. ``/usr/bin/time -v``, which also gives peak memory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import streamjson

POOL = 1009  # distinct values of each kind (prime: fields do not repeat together)
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


class Status(enum.Enum):
    NEW = "new"
    PAID = "paid"
    SHIPPED = "shipped"


_CREATED = [T0 + dt.timedelta(seconds=i * 7919, microseconds=i * 31) for i in range(POOL)]
_UPDATED = [d + dt.timedelta(days=1, seconds=17) for d in _CREATED]
_AMOUNT = [Decimal(i * 37) / 100 for i in range(POOL)]
_UID = [uuid.UUID(int=(i * 0x9E3779B97F4A7C15_F39CC0605CEDC835) % 2**128) for i in range(POOL)]
_STATUS = [list(Status)[i % 3] for i in range(POOL)]


def _texts(values: list[Any]) -> list[Any]:
    return [streamjson.extended(v) for v in values]


def records(n: int, preformatted: bool = False) -> Iterator[dict[str, Any]]:
    """N records; with ``preformatted`` the five typed fields are already strings."""
    created, updated, uid = _CREATED, _UPDATED, _UID
    amount: list[Any] = _AMOUNT
    status: list[Any] = _STATUS
    if preformatted:
        created, updated, uid = _texts(created), _texts(updated), _texts(uid)
        amount = [str(a) for a in amount]
        status = [s.value for s in status]
    for i in range(n):
        k = i % POOL
        yield {
            "id": i,
            "customer": f"customer {i % 5003}",
            "email": "c@example.com",
            "created": created[k],
            "updated": updated[k],
            "amount": amount[k],
            "uid": uid[k],
            "status": status[k],
            "qty": i % 7,
            "price": 1.25 + k,
            "gift": i % 2 == 0,
            "note": None,
        }


def formatted(n: int) -> Iterator[dict[str, Any]]:
    """The records, each typed field formatted to a string in the generator."""
    for r in records(n):
        r["created"] = r["created"].isoformat()
        r["updated"] = r["updated"].isoformat()
        r["amount"] = str(r["amount"])
        r["uid"] = str(r["uid"])
        r["status"] = r["status"].value
        yield r


def isinstance_default(o: Any) -> Any:
    """The default people write by hand."""
    if isinstance(o, dt.datetime):
        return o.isoformat()
    if isinstance(o, Decimal):
        return streamjson.RawJSON(str(o))
    if isinstance(o, uuid.UUID):
        return str(o)
    if isinstance(o, enum.Enum):
        return o.value
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _per_record(path: str, n: int, encode: Callable[[Any], bytes]) -> None:
    """One array written record by record with a third-party encoder."""
    with open(path, "wb") as f:
        f.write(b"[")
        for i, r in enumerate(records(n)):
            if i:
                f.write(b",")
            f.write(encode(r))
        f.write(b"]")


def _orjson(path: str, n: int) -> None:
    import orjson

    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return orjson.Fragment(str(o))
        raise TypeError

    _per_record(path, n, lambda r: orjson.dumps(r, default=default))


def _msgspec(path: str, n: int) -> None:
    import msgspec

    _per_record(path, n, msgspec.json.Encoder(decimal_format="number").encode)


def frame(n: int) -> Any:
    import numpy as np
    import pandas as pd

    x = np.arange(n) / 3
    x[::11] = np.nan
    when = pd.Series(pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC"))
    when[::13] = pd.NaT
    return pd.DataFrame(
        {"id": np.arange(n), "x": x, "name": [f"n{i % 97}" for i in range(n)], "when": when}
    )


WORKLOADS: dict[str, Callable[[str, int], None]] = {
    "extended": lambda p, n: streamjson.dump(records(n), p, default=streamjson.extended),
    "preformatted": lambda p, n: streamjson.dump(records(n, preformatted=True), p),
    "formatted": lambda p, n: streamjson.dump(formatted(n), p),
    "isinstance": lambda p, n: streamjson.dump(records(n), p, default=isinstance_default),
    "fast": lambda p, n: streamjson.dump(records(n), p, default=streamjson.extended, fast=True),
    "orjson": _orjson,
    "msgspec": _msgspec,
    "frame-lines": lambda p, n: streamjson.dump_lines(
        streamjson.extended(frame(n)), p, default=streamjson.extended
    ),
    "frame-to-json-lines": lambda p, n: frame(n).to_json(
        p, orient="records", lines=True, date_format="iso"
    ),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=list(WORKLOADS))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", help="where to write (default: a temporary file, removed)")
    args = parser.parse_args(argv)
    if args.out:
        WORKLOADS[args.workload](args.out, args.records)
        return
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        WORKLOADS[args.workload](path, args.records)
        print(f"{args.workload}: {os.path.getsize(path):,} bytes", file=sys.stderr)
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
