"""JSON Lines writers on N records: streamjson.dump_lines against a json.dumps loop and jsonlines.

    python benchmarks/bench_lines.py                 # 1,000,000 records, median of 3
    python benchmarks/bench_lines.py --small         # short log events instead
    python benchmarks/bench_lines.py --records 100000 --repeat 5 --non-ascii

Contenders, each writing N records to a text file opened with
``open(path, "w", encoding="utf-8")``:

* ``loop``: ``for r in records: f.write(json.dumps(r) + "\\n")`` (the baseline, 1.00x)
* ``streamjson``: ``streamjson.dump_lines(records, f)``
* ``jsonlines``: ``jsonlines.Writer(f, dumps=...).write_all(records)``
* ``records only``: the generator alone, nothing encoded (a cost every figure includes)

The records are the shared ones of benchmarks/records.py (10 fields, ~330 bytes of
JSON, nested and non-ASCII), or with ``--small`` short flat log events (~100
bytes), where the cost of each line's call and write weighs more than encoding.

All contenders write the same bytes (checked after the runs): with json's default
``ensure_ascii=True`` jsonlines is given that encoder; with ``--non-ascii`` all use
``ensure_ascii=False``, jsonlines' own default. Every run is a fresh subprocess, and
the contenders take turns run after run, so that a noisy neighbour hurts all of
them alike. Time is measured around the writing (file closed included) as
wall-clock time and as the process's CPU time (user + system: on a shared machine
the steadier of the two); memory is the growth of the peak RSS over what the
process held once its imports were done. Figures are the median of the runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from records import records  # benchmarks/records.py, beside this file

CONTENDERS = ["loop", "streamjson", "jsonlines", "records only"]
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def small_records(n: int) -> Iterator[dict[str, Any]]:
    """``n`` short log events, built as they are read."""
    for i in range(n):
        yield {
            "ts": 1_700_000_000 + i / 1000,
            "level": LEVELS[i % 4],
            "logger": "app.http",
            "msg": "request handled",
            "status": 200 if i % 7 else 500,
            "ms": i % 250,
        }


def write(name: str, items: Iterator[dict[str, Any]], path: str, ensure_ascii: bool) -> None:
    """Write ``items`` to ``path`` as JSON Lines the way contender ``name`` does."""
    with open(path, "w", encoding="utf-8") as f:
        if name == "loop":
            for r in items:
                f.write(json.dumps(r, ensure_ascii=ensure_ascii) + "\n")
        elif name == "streamjson":
            import streamjson

            streamjson.dump_lines(items, f, ensure_ascii=ensure_ascii)
        elif name == "jsonlines":
            import jsonlines

            dumps: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=ensure_ascii).encode
            with jsonlines.Writer(f, dumps=dumps) as writer:
                writer.write_all(items)
        elif name == "records only":
            for _ in items:
                pass
        else:
            raise ValueError(f"unknown contender {name!r}")


def worker(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One measured run, in this process: seconds (wall, CPU) and peak RSS growth."""
    if name == "streamjson":
        import streamjson  # noqa: F401  (imports are not measured)
    if name == "jsonlines":
        import jsonlines  # noqa: F401
    items = (small_records if args.small else records)(args.records)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    write(name, items, args.path, not args.non_ascii)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "rss_growth_mib": (after.ru_maxrss - before.ru_maxrss) / 1024,
    }


def available(name: str) -> bool:
    if name != "jsonlines":
        return True
    try:
        import jsonlines  # noqa: F401
    except ImportError:
        return False
    return True


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every contender ``args.repeat`` times, each run in a subprocess; the medians."""
    contenders = [c for c in CONTENDERS if available(c)]
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
    digests: dict[str, str] = {}
    flags = ["--records", str(args.records)]
    flags += ["--non-ascii"] * args.non_ascii + ["--small"] * args.small
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.repeat):
            for name in contenders:
                path = os.path.join(folder, name.replace(" ", "_") + ".jsonl")
                argv = [sys.executable, __file__, "--worker", name, "--path", path, *flags]
                result = json.loads(subprocess.run(argv, check=True, capture_output=True).stdout)
                runs[name].append(result)
                print(
                    f"run {r + 1}/{args.repeat} {name:13s} {result['seconds']:6.2f} s wall, "
                    f"{result['cpu_seconds']:6.2f} s CPU",
                    file=sys.stderr,
                )
                if name != "records only":
                    with open(path, "rb") as f:
                        digests[name] = hashlib.sha256(f.read()).hexdigest()
                os.unlink(path)
    if len(set(digests.values())) != 1:
        raise SystemExit(f"the contenders wrote different bytes: {digests}")
    return {
        "records": args.records,
        "shape": "small log events" if args.small else "benchmarks/records.py",
        "repeat": args.repeat,
        "ensure_ascii": not args.non_ascii,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": os.getloadavg(),
        "results": {
            name: {
                "seconds": statistics.median(x["seconds"] for x in results),
                "cpu_seconds": statistics.median(x["cpu_seconds"] for x in results),
                "rss_growth_mib": statistics.median(x["rss_growth_mib"] for x in results),
                "runs": results,
            }
            for name, results in runs.items()
        },
    }


def report(result: dict[str, Any]) -> str:
    """The results as a Markdown table, then streamjson's time against the others'."""
    n = result["records"]
    res = result["results"]
    lines = [
        f"{n:,} records ({result['shape']}), median of {result['repeat']} runs, "
        f"ensure_ascii={result['ensure_ascii']}, Python {result['python']}, "
        f"{result['machine']}, load average {result['load_average'][0]:.2f}",
        "",
        "| contender | wall (s) | CPU (s) | records/s (wall) | vs json.dumps loop (wall, CPU) "
        "| peak RSS growth (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in res.items():
        lines.append(
            f"| {name} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {n / r['seconds']:,.0f} | "
            f"{r['seconds'] / res['loop']['seconds']:.2f}x, "
            f"{r['cpu_seconds'] / res['loop']['cpu_seconds']:.2f}x | {r['rss_growth_mib']:.1f} |"
        )
    lines.append("")
    for key, what in (("seconds", "wall"), ("cpu_seconds", "CPU")):
        ours = res["streamjson"][key]
        figures = f"{what}: streamjson takes {ours / res['loop'][key]:.2f}x the loop's time"
        if "jsonlines" in res:
            figures += f"; jsonlines takes {res['jsonlines'][key] / ours:.2f}x streamjson's"
        else:
            figures += "; jsonlines is not installed: skipped"
        lines.append(figures)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--non-ascii", action="store_true", help="ensure_ascii=False for all")
    parser.add_argument("--small", action="store_true", help="short flat log events")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return
    result = run(args)
    print(report(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
