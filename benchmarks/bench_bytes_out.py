"""Write records to a ``.json`` path: the workload of UTF-8 bytes out of the C encoder.

    python benchmarks/bench_bytes_out.py ascii 1000000 out.json     # records, ensure_ascii
    python benchmarks/bench_bytes_out.py cjk 1000000 out.json       # non-ASCII, ensure_ascii=False

``ascii`` is ``records.py``'s records as json writes them by default (all ASCII out);
``mixed`` the same records with ``ensure_ascii=False`` (Latin, CJK, an emoji: 1-, 2-
and 4-byte strings); ``cjk`` and ``emoji`` add a CJK (2-byte str) or emoji (4-byte
str) note and name to every record. Run it side by side against another checkout
through ``PYTHONPATH`` to compare; it prints the time and the peak memory (RSS).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from records import records

import streamjson


def cjk(n: int) -> Iterator[dict[str, Any]]:
    for r in records(n):
        r["note"] = "東京の天気は晴れです。" * 3
        r["name"] = "李雷 " + r["name"]
        yield r


def emoji(n: int) -> Iterator[dict[str, Any]]:
    for r in records(n):
        r["note"] = "ok 🚀✨🎉 " * 3
        yield r


CASES: dict[str, tuple[Callable[[int], Iterator[dict[str, Any]]], bool]] = {
    "ascii": (records, True),
    "mixed": (records, False),
    "cjk": (cjk, False),
    "emoji": (emoji, False),
}


def main() -> None:
    case, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    source, ensure_ascii = CASES[case]
    start = time.perf_counter()
    streamjson.dump(source(n), path, ensure_ascii=ensure_ascii)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{case} {n:,}: {took:.2f} s, {os.path.getsize(path) / 1e6:.0f} MB, peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
