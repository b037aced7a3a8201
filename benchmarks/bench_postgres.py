"""examples/export_postgres.py on a real PostgreSQL server: rows/s, CPU and peak RSS.

    python benchmarks/bench_postgres.py                  # 1,000,000 rows, median of 3
    python benchmarks/bench_postgres.py --rows 200000 --repeat 5
    python benchmarks/bench_postgres.py --dsn "dbname=shop"   # a server of your own

Without ``--dsn`` it starts a throwaway server the way the tests do (tests/postgres_server.py:
initdb into a temporary folder, a unix socket there, removed at the end; needs Debian's
``postgresql`` package or another server's binaries). It fills the example's demo table
once (``--load``, generated server-side), then runs, in turn, each in a fresh process:

* ``export``: the example itself, ``python examples/export_postgres.py DSN``: the rows
  through a named cursor into ``dump(rows, "orders.json.gz", default=streamjson.extended)``
* ``read``: the same rows through the same named cursor (the example's ``table_rows``),
  written nowhere: what reading the table costs, the floor under the export

and prints the medians: rows/s (wall), CPU seconds (user + system, of that process) and
peak RSS (VmHWM, as the example prints it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "export_postgres.py"
TABLE = "orders"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_postgres", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def read_only(dsn: str) -> None:
    """The ``read`` worker: every row through the example's named cursor, nothing written."""
    example = load_example()
    with example.psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        start = time.perf_counter()
        with conn.transaction():
            count = sum(1 for _ in example.table_rows(conn, TABLE))
        seconds = time.perf_counter() - start
    print(f"{count / seconds:,.0f} rows/s")
    print(f"peak RSS {example.peak_rss_mib():.1f} MiB")


@contextlib.contextmanager
def server(dsn: str | None) -> Iterator[str]:
    if dsn is not None:
        yield dsn
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres_server import find_bindir, running_server

    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries found: install postgresql, or pass --dsn")
    with running_server(bindir) as running:
        yield running.dsn


def measure(argv: list[str]) -> tuple[float, float, float]:
    """Run one worker; its rows/s and peak RSS (as it prints them) and its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    rate = re.search(r"^([\d,]+) rows/s", done.stdout, re.MULTILINE)
    peak = re.search(r"^peak RSS ([\d.]+) MiB", done.stdout, re.MULTILINE)
    assert rate and peak, done.stdout
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(rate.group(1).replace(",", "")), cpu, float(peak.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", default=None, help="use this server (the table is replaced)")
    parser.add_argument("--worker-read", metavar="DSN", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_read:
        read_only(args.worker_read)
        return 0

    with server(args.dsn) as dsn, tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "orders.json.gz")
        load = [sys.executable, str(EXAMPLE), dsn, "--load", str(args.rows), "--out", out]
        print(f"loading {args.rows:,} rows ...", file=sys.stderr)
        subprocess.run(load, check=True, stdout=subprocess.DEVNULL)
        workers = {
            "export": [sys.executable, str(EXAMPLE), dsn, "--table", TABLE, "--out", out],
            "read": [sys.executable, __file__, "--worker-read", dsn],
        }
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in workers}
        for i in range(args.repeat):
            for name, worker in workers.items():
                runs[name].append(measure(worker))
                print(f"round {i + 1}: {name} {runs[name][-1]}", file=sys.stderr)
        json_mb = os.path.getsize(out) / 1e6

    print(f"{args.rows:,} rows, median of {args.repeat} (orders.json.gz: {json_mb:.0f} MB):")
    for name, results in runs.items():
        rate, cpu, peak = (statistics.median(column) for column in zip(*results, strict=True))
        print(f"  {name:6} {rate:>10,.0f} rows/s  {cpu:6.2f} s CPU  peak RSS {peak:6.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
