"""Write one gzipped JSON array from many Dask workers, each encoding its own partition.

Dask's own writers give one file per partition (``Bag.to_textfiles``,
``DataFrame.to_json``); a single file means one partition, and one core.
``streamjson.dask.dump`` keeps every worker busy: each partition is encoded and gzipped
on its worker into a shard beside the output, and the client joins the shards by
copying bytes (gzip members concatenate into one valid file). The file appears only
when every partition succeeded, and its text is exactly
``streamjson.dumps(list_of_all_records)``.

    python examples/export_dask.py                     # 1,000,000 records to records.json.gz
    python examples/export_dask.py --records 4000000 --partitions 16 --workers 2

It starts a LocalCluster of worker processes on this machine, builds the records on the
workers (the client never holds them), writes them, and prints the first records, the
time taken and the size. Needs ``pip install 'streamjson[dask]'``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
from typing import Any

import dask.bag as db
from distributed import Client, LocalCluster

import streamjson.dask

CITIES = ("Zürich", "København", "東京", "São Paulo", "Kraków")


def record(i: int) -> dict[str, Any]:
    """Record number ``i``: the same dict for the same ``i``, built where it is written."""
    return {
        "id": i,
        "name": f"customer {i}",
        "city": CITIES[i % len(CITIES)],
        "score": (i % 10007) / 7.0,
        "active": i % 3 != 0,
        "tags": ["new", "vip"][: i % 3],
        "balance": None if i % 11 == 0 else i * 25 - 1_000_000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records to write")
    parser.add_argument("--partitions", type=int, default=16, help="partitions of the Bag")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--out", default="records.json.gz", help="output (.gz compresses)")
    args = parser.parse_args(argv)

    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        records = db.range(args.records, npartitions=args.partitions).map(record)
        start = time.perf_counter()
        streamjson.dask.dump(records, args.out)
        elapsed = time.perf_counter() - start

    size = os.path.getsize(args.out)
    print(
        f"wrote {args.records:,} records from {args.partitions} partitions to {args.out} "
        f"({size / 1e6:.1f} MB) in {elapsed:.2f} s with {args.workers} workers"
    )
    opener: Any = gzip.open if args.out.endswith(".gz") else open
    with opener(args.out, "rt", encoding="utf-8") as f:
        print(f"it begins: {f.read(200)}...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
