"""N records to one ``.json.gz``: streamjson.dask on a LocalCluster against one process.

    python benchmarks/bench_dask.py dask --records 4000000 --partitions 16 --workers 2
    python benchmarks/bench_dask.py single --records 4000000
    python benchmarks/bench_dask.py dask-lines --records 4000000 --partitions 16 --workers 2
    python benchmarks/bench_dask.py dask-textfiles --records 4000000 --partitions 16 --workers 2

One contender a run, so that each process's peak memory is its own. The records are
``benchmarks/records.py``'s (about 330 bytes of JSON each), built where they are
encoded, by the same generator: ``records(n)`` in the process for ``single``, and on
the workers for the Dask contenders ``records(len(part), part.start)`` over each
partition of ``dask.bag.range(n, npartitions)`` (``Bag.map_partitions``), so building
them is in every figure and costs both sides the same. ``--per-item-map`` builds them
with ``Bag.map(record)`` instead, which adds Dask's own cost per item (its map
iterator), a cost the single process does not pay.

Contenders:

* ``dask``: ``streamjson.dask.dump(bag, "out.json.gz")``: one JSON array, one file
* ``dask-lines``: ``streamjson.dask.dump_lines(bag, "out.jsonl.gz")``: JSON Lines, one file
* ``single``: ``streamjson.dump(records(n), "out.json.gz")`` in one process (which
  compresses on a second thread)
* ``dask-textfiles``: ``bag.map(json.dumps).to_textfiles("out/*.jsonl.gz")``, Dask's own
  way to write JSON: JSON Lines, one file per partition

Printed: the write's wall seconds (the cluster's start is not in it: it is printed on
its own), the CPU seconds of every process that worked (in all, the client's, each
worker's), the peak RSS of the client and of each worker, and the bytes written.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import records as records_module
from records import record, records

import streamjson
import streamjson.dask

CONTENDERS = ("dask", "dask-lines", "single", "dask-textfiles")


def usage() -> dict[str, float]:
    """This process's CPU seconds and peak RSS (MiB) so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": ru.ru_utime + ru.ru_stime, "peak_mib": ru.ru_maxrss / 1024}


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size


def run_single(n: int, folder: Path) -> dict[str, Any]:
    out = folder / "out.json.gz"
    before = usage()
    start = time.perf_counter()
    streamjson.dump(records(n), out)
    wall = time.perf_counter() - start
    after = usage()
    return {
        "wall": wall,
        "cpu": after["cpu"] - before["cpu"],
        "client_peak_mib": after["peak_mib"],
        "bytes": size_of(out),
        "check": out,
    }


def partition_records(part: range) -> Iterator[dict[str, Any]]:
    """One partition's records, by the generator the single process reads."""
    return records(len(part), part.start)


def run_dask(
    contender: str, n: int, partitions: int, workers: int, per_item_map: bool, folder: Path
) -> dict[str, Any]:
    import cloudpickle
    import dask.bag as db
    from distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(records_module)  # the workers need not import it
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter() - start
        numbers = db.range(n, npartitions=partitions)
        bag = numbers.map(record) if per_item_map else numbers.map_partitions(partition_records)
        workers_before = client.run(usage)
        before = usage()
        start = time.perf_counter()
        if contender == "dask":
            out = folder / "out.json.gz"
            streamjson.dask.dump(bag, out)
        elif contender == "dask-lines":
            out = folder / "out.jsonl.gz"
            streamjson.dask.dump_lines(bag, out)
        else:
            out = folder / "parts"
            bag.map(json.dumps).to_textfiles(str(out / "*.jsonl.gz"))
        wall = time.perf_counter() - start
        after = usage()
        workers_after = client.run(usage)
    worker_cpu = [workers_after[w]["cpu"] - workers_before[w]["cpu"] for w in workers_after]
    return {
        "wall": wall,
        "cluster_start": started,
        "cpu": after["cpu"] - before["cpu"] + sum(worker_cpu),
        "client_cpu": after["cpu"] - before["cpu"],
        "worker_cpu": sorted(round(c, 2) for c in worker_cpu),
        "client_peak_mib": after["peak_mib"],
        "worker_peak_mib": sorted(round(w["peak_mib"]) for w in workers_after.values()),
        "bytes": size_of(out),
        "check": out,
    }


def check(out: Path) -> None:
    """Spot-check the output: the first record; the whole file is read (gzip checks each
    member's CRC)."""
    if out.is_dir():
        first = min(out.iterdir())
        with gzip.open(first, "rt", encoding="utf-8") as f:
            assert json.loads(f.readline()) == record(0)
        return
    with gzip.open(out, "rt", encoding="utf-8") as f:
        head = f.read(4096)
        while f.read(1 << 20):
            pass
    if out.name.endswith(".jsonl.gz"):
        assert json.loads(head.split("\n", 1)[0]) == record(0)
    else:
        assert head.startswith("[" + json.dumps(record(0)) + ", ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=CONTENDERS)
    parser.add_argument("--records", type=int, default=4_000_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", help="where to write (default: a temporary folder)")
    parser.add_argument(
        "--per-item-map",
        action="store_true",
        help="Dask contenders: build the records with Bag.map(record), not by partition",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        if args.contender == "single":
            result = run_single(args.records, Path(tmp))
        else:
            result = run_dask(
                args.contender,
                args.records,
                args.partitions,
                args.workers,
                args.per_item_map,
                Path(tmp),
            )
        check(result.pop("check"))
    rate = args.records / result["wall"]
    print(
        json.dumps(
            {
                "contender": args.contender,
                "records": args.records,
                **(
                    {}
                    if args.contender == "single"
                    else {"partitions": args.partitions, "per_item_map": args.per_item_map}
                ),
                **{k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()},
                "records_per_s": round(rate),
                "load_avg": os.getloadavg(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
