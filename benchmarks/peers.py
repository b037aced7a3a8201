#!/usr/bin/env python
"""Peer comparison: streamjson against the stdlib and the other JSON writers.

The command line. What runs is in :mod:`contenders` (workloads and contenders), how
one run is measured in :mod:`measure` (each in a fresh subprocess), and the tables
in :mod:`report`. Repeats are interleaved (every contender's run 1, then every run
2, ...) with the order rotated each round, so a burst of load from elsewhere on the
machine hits all contenders alike.

Usage (from the repository root)::

    python benchmarks/peers.py --records 100000 --repeat 3
    python benchmarks/peers.py --workload records,small --only 'streamjson*'
    python benchmarks/peers.py --records 1000000 --repeat 3 --markdown \\
        --json docs/benchmark.json --chart docs/benchmark.png
    python benchmarks/peers.py --report docs/benchmark.json --markdown
    python benchmarks/peers.py --list
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from contenders import (  # noqa: E402
    CONTENDERS,
    DEFAULT_SCALING_SIZES,
    DEFAULT_WORKLOADS,
    SCALING_CONTENDERS,
    WORKLOADS,
)
from measure import MIB, machine_info, run_in_subprocess, streamjson_source_digest  # noqa: E402
from report import report, summarise  # noqa: E402


def _select(names: list[str], patterns: list[str]) -> list[str]:
    if not patterns:
        return names
    return [n for n in names if any(fnmatch.fnmatchcase(n.lower(), p.lower()) for p in patterns)]


def _split_list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def build_plan(args: argparse.Namespace) -> tuple[list[tuple[str, int, str]], dict[str, str]]:
    """The (workload, n, contender) cells to run, and the contenders skipped (and why)."""
    workloads = _split_list(args.workload) or list(DEFAULT_WORKLOADS)
    if workloads == ["all"]:
        workloads = list(WORKLOADS)
    for unknown in set(workloads) - set(WORKLOADS):
        raise SystemExit(f"unknown workload {unknown!r}; known: {', '.join(WORKLOADS)}")
    only = _split_list(args.only)
    skipped: dict[str, str] = {}
    plan: list[tuple[str, int, str]] = []
    for wl_name in workloads:
        wl = WORKLOADS[wl_name]
        names = [name for name, c in CONTENDERS.items() if wl.key in c.runs]
        if wl.name == "scaling" and not only:
            names = [n for n in names if n in SCALING_CONTENDERS]
        chosen = _select(names, only)
        if wl.baseline not in chosen:
            chosen.insert(0, wl.baseline)  # the ratios and the reference output need it
        usable = []
        for name in chosen:
            why = CONTENDERS[name].unavailable()
            if why:
                skipped[name] = why
            else:
                usable.append(name)
        sizes = (
            args.scaling_sizes
            if wl.name == "scaling"
            else [args.small_calls if wl.shape == "small" else args.records]
        )
        for n in sizes:
            plan += [(wl_name, n, name) for name in usable]
    return plan, skipped


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--records", type=int, default=1_000_000, help="N records (default 1,000,000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per contender (default 3)")
    p.add_argument(
        "--workload",
        action="append",
        help=f"comma-separated; default {','.join(DEFAULT_WORKLOADS)}; "
        f"'all' adds scaling; known: {', '.join(WORKLOADS)}",
    )
    p.add_argument(
        "--only",
        action="append",
        help="contender names or globs, comma-separated (the baseline always runs)",
    )
    p.add_argument(
        "--scaling-sizes",
        default=",".join(map(str, DEFAULT_SCALING_SIZES)),
        help="N values of the scaling workload (default 100000,1000000,3000000)",
    )
    p.add_argument(
        "--small-calls",
        type=int,
        default=200_000,
        help="dumps() calls of the small workload (default 200,000)",
    )
    p.add_argument("--markdown", action="store_true", help="print GitHub markdown tables")
    p.add_argument("--json", metavar="PATH", help="write every run and the summary as JSON")
    p.add_argument("--chart", metavar="PNG", help="also draw the chart (needs --json)")
    p.add_argument(
        "--chart-workloads",
        default="records",
        help="workloads drawn by --chart, one row each (default records)",
    )
    p.add_argument("--tmpdir", help="where the output files are written (default: system temp)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per run (default 3600)")
    p.add_argument("--list", action="store_true", help="list workloads and contenders, then exit")
    p.add_argument(
        "--report",
        metavar="JSON",
        help="print the tables of a saved --json run (with --markdown, --chart) and exit",
    )
    args = p.parse_args(argv)
    args.scaling_sizes = [int(x) for x in str(args.scaling_sizes).split(",") if x.strip()]

    if args.report:
        with open(args.report, encoding="utf-8") as f:
            saved = json.load(f)
        print(
            report(
                saved["info"],
                saved["args"]["repeat"],
                saved["rows"],
                saved["skipped"],
                args.markdown,
            )
        )
        if args.chart:
            import chart

            chart.main([args.report, "--out", args.chart, "--workload", args.chart_workloads])
        return 0
    if args.list:
        for wl in WORKLOADS.values():
            names = [n for n, c in CONTENDERS.items() if wl.key in c.runs]
            print(
                f"{wl.name:9} {wl.title}\n{'':10}baseline {wl.baseline}; "
                f"contenders: {', '.join(names)}"
            )
        print()
        for name, c in CONTENDERS.items():
            why = c.unavailable()
            print(f"{name:22} {'SKIP: ' + why if why else 'ok'}  ({c.note})")
        return 0
    if args.chart and not args.json:
        p.error("--chart needs --json")

    plan, skipped = build_plan(args)
    info = machine_info()
    info["load_before"] = [round(x, 2) for x in os.getloadavg()]
    info["source_before"] = streamjson_source_digest()
    for name, why in skipped.items():
        print(f"skipping {name}: {why}", file=sys.stderr)
    runs: dict[tuple[str, int, str], list[dict[str, Any]]] = {cell: [] for cell in plan}
    tmp = tempfile.mkdtemp(prefix="streamjson-bench-", dir=args.tmpdir)
    total = len(plan) * args.repeat
    done = 0
    started = time.perf_counter()
    try:
        for rep in range(args.repeat):
            # Rotate the order within each workload so no contender always runs first.
            order: list[tuple[str, int, str]] = []
            cells: dict[tuple[str, int], list[tuple[str, int, str]]] = {}
            for cell in plan:
                cells.setdefault(cell[:2], []).append(cell)
            for group in cells.values():
                k = rep % len(group)
                order += group[k:] + group[:k]
            for wl_name, n, name in order:
                spec = {"contender": name, "workload": wl_name, "n": n, "dir": tmp}
                result = run_in_subprocess(spec, args.timeout)
                runs[(wl_name, n, name)].append(result)
                done += 1
                if "error" in result:
                    msg = "ERROR " + result["error"]
                else:
                    msg = f"{result['time']:.3f} s, peak +{result['peak_growth'] / MIB:.1f} MiB"
                print(
                    f"[{done}/{total} {time.perf_counter() - started:.0f}s] {wl_name} N={n} "
                    f"{name} run {rep + 1}: {msg}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    info["load_after"] = [round(x, 2) for x in os.getloadavg()]
    info["source_after"] = streamjson_source_digest()
    if info["source_after"] != info["source_before"]:
        print(
            "WARNING: streamjson's source changed during the run; its rows mix versions",
            file=sys.stderr,
        )
    rows = summarise(runs)
    print(report(info, args.repeat, rows, skipped, args.markdown))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "info": info,
                    "args": vars(args),
                    "skipped": skipped,
                    "rows": rows,
                },
                f,
                indent=1,
            )
            f.write("\n")
    if args.chart:
        import chart

        chart.main([args.json, "--out", args.chart, "--workload", args.chart_workloads])
    return 0


if __name__ == "__main__":
    sys.exit(main())
