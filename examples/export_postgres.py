"""Export a PostgreSQL table to gzipped JSON in bounded memory, types beyond JSON included.

Rows are read through a psycopg 3 server-side (named) cursor, a batch of ``--itersize``
rows at a time, as dicts, and written by ``streamjson.dump(rows, "orders.json.gz",
default=streamjson.extended)`` as they arrive: the table is never held in memory, on the
client or in libpq. The columns are what psycopg returns for a real table, and how
``streamjson.extended`` writes them:

    timestamptz -> datetime   -> "2026-01-01T00:00:37.001000+00:00"  (isoformat)
    date        -> date       -> "2026-01-02"
    numeric     -> Decimal    -> 791.90  (a JSON number with exactly its digits)
    uuid        -> UUID       -> "c4ca4238-a0b9-2382-0dcc-509a6f75849b"
    jsonb       -> dict/list  -> the same JSON
    text[]      -> list       -> ["tag1", "r\\u00e9gion-1"]
    bytea       -> bytes      -> "xMpCOKC5I4INzFCab3WEmw=="  (standard padded base64)
    NULL        -> None       -> null

The connection string is the first argument, else ``$PGDSN``, else libpq's own environment
(``PGHOST``, ``PGDATABASE``...). ``--load N`` first (re)creates the demo table with N rows,
generated server-side. It prints rows/s and the peak memory (RSS) of the process.

    python examples/export_postgres.py --load                  # 1,000,000 rows, then export
    python examples/export_postgres.py "dbname=shop" --out shop.json.gz
    PGDSN="host=/tmp dbname=test" python examples/export_postgres.py --load 20000

Needs ``pip install 'psycopg[binary]'``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

import streamjson

CURSOR_NAME = "streamjson_export"

CREATE = """
CREATE TABLE {table} (
    id          bigint PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    ship_date   date,
    total       numeric(12, 2) NOT NULL,
    customer    uuid NOT NULL,
    details     jsonb NOT NULL,
    tags        text[] NOT NULL,
    signature   bytea
)
"""

# Deterministic rows from the row number alone, built by the server: no data crosses the wire.
FILL = """
INSERT INTO {table}
SELECT g,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '37 seconds'
           + (g % 1000) * interval '1 millisecond',
       CASE WHEN g % 10 = 0 THEN NULL ELSE date '2026-01-01' + (g % 365) END,
       ((g::bigint * 7919) % 10000000) / 100.0,
       md5(g::text)::uuid,
       jsonb_build_object(
           'sku', 'SKU-' || lpad((g % 997)::text, 4, '0'),
           'qty', 1 + g % 5,
           'gift', g % 7 = 0,
           'note', CASE WHEN g % 3 = 0 THEN 'gift wrap, please ✨' END,
           'lines', jsonb_build_array(g % 13, g % 17)),
       ARRAY['tag' || g % 5, 'région-' || g % 7],
       CASE WHEN g % 4 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END
FROM generate_series(1, {rows}) AS g
"""


def load(conn: psycopg.Connection[Any], table: str, rows: int) -> None:
    """Drop and recreate ``table`` with ``rows`` demo orders, generated server-side."""
    name = sql.Identifier(table)
    with conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        conn.execute(sql.SQL(CREATE).format(table=name))
        conn.execute(sql.SQL(FILL).format(table=name, rows=sql.Literal(rows)))
    conn.execute(sql.SQL("ANALYZE {}").format(name))


def table_rows(
    conn: psycopg.Connection[Any], table: str, itersize: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every row of ``table``, by id, as a dict, read through a named (server-side) cursor.

    The server keeps the result; each ``FETCH`` brings ``itersize`` rows, so memory holds
    one batch, whatever the size of the table. Iterate it inside a transaction.
    """
    with conn.cursor(name=CURSOR_NAME, row_factory=dict_row) as cursor:
        cursor.itersize = itersize
        cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY id").format(sql.Identifier(table)))
        yield from cursor


def export(conn: psycopg.Connection[Any], table: str, out: str, itersize: int = 2000) -> int:
    """Write every row of ``table`` to ``out`` as one JSON array; return the row count."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in table_rows(conn, table, itersize):
            count += 1
            yield row

    with conn.transaction():  # a named cursor lives in a transaction
        streamjson.dump(counted(), out, default=streamjson.extended)
    return count


def peak_rss_mib() -> float:
    """The peak resident memory of this process so far, in MiB.

    Linux's VmHWM where there is one: ``ru_maxrss`` also counts the memory of the process
    this one was started from (a fork copies its high-water mark), so run from a big
    process it over-states. Elsewhere ``ru_maxrss`` (KiB, but bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dsn", nargs="?", default=os.environ.get("PGDSN", ""), help="libpq connection string"
    )
    parser.add_argument(
        "--load",
        type=int,
        nargs="?",
        const=1_000_000,
        metavar="N",
        help="first (re)create the table with N demo rows (default N: 1,000,000)",
    )
    parser.add_argument("--table", default="orders", help="the table to export (default: orders)")
    parser.add_argument("--out", default="orders.json.gz", help="output path (.gz compresses)")
    parser.add_argument("--itersize", type=int, default=2000, help="rows per FETCH")
    args = parser.parse_args(argv)

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        # timestamptz comes back in the session's time zone: make the file not depend on it.
        conn.execute("SET TIME ZONE 'UTC'")
        if args.load is not None:
            start = time.perf_counter()
            load(conn, args.table, args.load)
            print(f"loaded {args.load:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
        rss_before = peak_rss_mib()
        start = time.perf_counter()
        count = export(conn, args.table, args.out, args.itersize)
        seconds = time.perf_counter() - start

    print(f"exported {count:,} rows to {args.out} in {seconds:.2f} s")
    print(f"{count / seconds:,.0f} rows/s")
    print(f"peak RSS {peak_rss_mib():.1f} MiB ({rss_before:.1f} MiB before the export)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
