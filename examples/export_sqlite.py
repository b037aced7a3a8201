"""Export a million orders from a SQLite database to gzipped JSON, in constant memory.

The main job streamjson is built for: rows come out of a database cursor through a
generator, nested into a document, and land in ``orders.json.gz`` as they are read.
The file is written atomically: until the export finishes, the previous
``orders.json.gz`` (if any) stays as it was.

On first run the script creates ``orders.db`` with synthetic orders. Then it exports
and prints rows/s, MB/s and the peak memory of the process.

    python examples/export_sqlite.py                 # 1,000,000 orders
    python examples/export_sqlite.py --rows 10000 --out small.json.gz
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import importlib
import lzma
import os
import random
import resource
import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

import streamjson

CITIES = ["Zürich", "São Paulo", "Kraków", "Montréal", "Oslo", "東京", "Austin", "Lagos"]
STATUSES = ["new", "paid", "shipped", "delivered", "returned"]


def create_demo_database(path: str, rows: int) -> None:
    """Fill ``path`` with ``rows`` synthetic orders (deterministic)."""
    rng = random.Random(42)

    def orders() -> Iterator[tuple[Any, ...]]:
        for i in range(1, rows + 1):
            yield (
                i,
                f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                STATUSES[i % len(STATUSES)],
                rng.randrange(1, 50_000),
                f"Customer {i % 50_000}",
                f"c{i % 50_000}@example.com",
                CITIES[i % len(CITIES)],
                f"{10000 + i % 89999}",
                i % 7 == 0,
                f"SKU-{i % 997:04d}",
                1 + i % 5,
                round(rng.uniform(1, 500), 2),
                f"SKU-{(i * 7) % 997:04d}",
                1 + i % 3,
                round(rng.uniform(1, 500), 2),
                None if i % 3 else "gift wrap, please ✨",
            )

    tmp = path + ".partial"
    if os.path.exists(tmp):
        os.remove(tmp)
    with sqlite3.connect(tmp) as db:
        db.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, created_at TEXT, status TEXT,"
            " customer_id INTEGER, customer_name TEXT, customer_email TEXT, city TEXT,"
            " zip TEXT, express INTEGER, sku1 TEXT, qty1 INTEGER, price1 REAL,"
            " sku2 TEXT, qty2 INTEGER, price2 REAL, note TEXT)"
        )
        db.executemany("INSERT INTO orders VALUES (" + ",".join("?" * 16) + ")", orders())
    db.close()
    os.replace(tmp, path)


def order_documents(db: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """One nested JSON-ready dict per row, read from the cursor as the export goes."""
    cursor = db.execute("SELECT * FROM orders ORDER BY id")
    for (
        oid,
        created,
        status,
        cid,
        cname,
        cemail,
        city,
        zip_,
        express,
        sku1,
        qty1,
        price1,
        sku2,
        qty2,
        price2,
        note,
    ) in cursor:
        yield {
            "id": oid,
            "created_at": created,
            "status": status,
            "customer": {"id": cid, "name": cname, "email": cemail},
            "shipping": {"city": city, "zip": zip_, "express": bool(express)},
            "lines": [
                {"sku": sku1, "qty": qty1, "price": price1},
                {"sku": sku2, "qty": qty2, "price": price2},
            ],
            "total": round(qty1 * price1 + qty2 * price2, 2),
            "note": note,
        }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def open_decompressed(path: str) -> BinaryIO:
    """``path`` opened for reading what streamjson wrote, decompressed by its suffix."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".zst", ".zstd"):  # Python 3.14's module, else streamjson[zstd]'s
        try:
            zstd: Any = importlib.import_module("compression.zstd")
        except ImportError:
            zstd = importlib.import_module("zstandard")
        return zstd.open(path, "rb")  # type: ignore[no-any-return]
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(suffix, open)
    return opener(path, "rb")  # type: ignore[no-any-return, operator]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="orders in the demo database")
    parser.add_argument("--db", default="orders.db", help="SQLite database (created if missing)")
    parser.add_argument(
        "--out", default="orders.json.gz", help="output path (.gz/.bz2/.xz/.zst compress)"
    )
    args = parser.parse_args(argv)

    if not os.path.exists(args.db):
        print(f"creating {args.db} with {args.rows:,} orders ...", flush=True)
        create_demo_database(args.db, args.rows)

    rss_before = peak_rss_mib()
    start = time.perf_counter()
    with sqlite3.connect(args.db) as db:
        (count,) = db.execute("SELECT count(*) FROM orders").fetchone()
        streamjson.dump(
            {
                "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "count": count,
                "orders": order_documents(db),
            },
            args.out,
        )
    db.close()
    seconds = time.perf_counter() - start

    with open_decompressed(args.out) as f:
        text_bytes = sum(len(block) for block in iter(lambda: f.read(1 << 20), b""))
    print(f"exported {count:,} orders to {args.out} in {seconds:.2f} s")
    print(
        f"  {count / seconds:,.0f} rows/s, {text_bytes / seconds / 1e6:.1f} MB/s of JSON"
        f" ({text_bytes / 1e6:.0f} MB of JSON, {os.path.getsize(args.out) / 1e6:.0f} MB on disk)"
    )
    print(f"  peak memory (RSS) {peak_rss_mib():.0f} MiB, {rss_before:.0f} MiB before the export")
    return 0


if __name__ == "__main__":
    sys.exit(main())
