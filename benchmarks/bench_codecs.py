"""The main job (examples/export_sqlite.py) with one compressor, for side-by-side timing.

Runs that differ only in the compressor: gzip through zlib or ISA-L (the
``STREAMJSON_GZIP`` switch), zstd, or no compression. Time two of them in turn, as
whole processes, e.g. with ``/usr/bin/time -v`` or hyperfine::

    python benchmarks/bench_codecs.py --prepare          # orders.db, once (1,000,000 rows)
    python benchmarks/bench_codecs.py isal               # then time these two, in turn
    python benchmarks/bench_codecs.py zlib

Each run writes ``bench-codecs.json.<suffix>`` beside the database (replacing the
previous one) and prints the export's own line and the output's size.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))

CHOICES = {  # name: (suffix, STREAMJSON_GZIP)
    "zlib": (".gz", "zlib"),
    "isal": (".gz", "isal"),
    "zstd": (".zst", None),
    "none": ("", None),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("codec", nargs="?", choices=sorted(CHOICES), default="isal")
    parser.add_argument("--db", default="orders.db", help="the SQLite database")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of a new database")
    parser.add_argument("--prepare", action="store_true", help="only create the database")
    args = parser.parse_args(argv)
    import export_sqlite  # examples/: the main job itself

    if args.prepare:
        if not os.path.exists(args.db):
            export_sqlite.create_demo_database(args.db, args.rows)
        return 0
    if not os.path.exists(args.db):
        parser.error(f"{args.db} is missing: run with --prepare first")
    suffix, gzip_choice = CHOICES[args.codec]
    if gzip_choice is not None:
        os.environ["STREAMJSON_GZIP"] = gzip_choice
    out = os.path.join(os.path.dirname(args.db), "bench-codecs.json" + suffix)
    status: int = export_sqlite.main(["--db", args.db, "--out", out])
    print(f"{args.codec}: {out} is {os.path.getsize(out):,} bytes")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
