#!/usr/bin/env python
"""Draw the peer comparison: throughput and peak memory per contender.

Reads the JSON written by ``peers.py --json`` and writes a PNG (matplotlib, from
the ``bench`` extra)::

    python benchmarks/chart.py docs/benchmark.json                # -> docs/benchmark.png
    python benchmarks/chart.py docs/benchmark.json --workload records,gzip,indent2

One row per workload: on the left the throughput (MB/s of JSON text, higher is
better; the dashed line is the rate at which the records alone are generated,
the ceiling for everyone), on the right the peak RSS growth (MiB, log scale,
lower is better). streamjson's bars are coloured; a hatched bar is a contender
whose output is not byte-identical to json's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

MIB = 1024 * 1024
MEM_FLOOR = 0.05  # MiB: where the log axis starts; smaller growths are drawn at it


def _colour(row: dict[str, Any]) -> str:
    name = row["contender"]
    if name.startswith("streamjson"):
        return "#d62728"
    if name.startswith("json.") or name == "json.dumps+write":
        return "#7f7f7f"
    return "#1f77b4"


def _pick_rows(data: dict[str, Any], workload: str) -> tuple[int, list[dict[str, Any]]]:
    rows = [r for r in data["rows"] if r["workload"] == workload and r["times"]]
    if not rows:
        return 0, []
    n = max(r["n"] for r in rows)
    return n, [r for r in rows if r["n"] == n]


def draw(data: dict[str, Any], workloads: list[str], out: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(wl, *_pick_rows(data, wl)) for wl in workloads]
    panels = [p for p in panels if p[2]]
    if not panels:
        raise SystemExit(f"no results for workload(s) {', '.join(workloads)} in the JSON")
    heights = [max(2.2, 0.38 * len(rows) + 1.2) for _, _, rows in panels]
    fig, axes = plt.subplots(
        len(panels),
        2,
        figsize=(13, sum(heights) + 0.6),
        layout="constrained",
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    info = data["info"]
    for (wl, n, rows), (ax_t, ax_m) in zip(panels, axes, strict=True):
        ceiling = None
        base = next((r for r in rows if r["contender"] == r["baseline"]), None)
        gen = next((r for r in rows if r["contender"] == "records only"), None)
        if gen is not None and base is not None and base["bytes"]:
            ceiling = base["bytes"] / 1e6 / gen["median_time"]
        rows = [r for r in rows if r["bytes"]]
        rows.sort(key=lambda r: r["mb_per_s"])
        names = [r["contender"] for r in rows]
        y = list(range(len(rows)))
        colours = [_colour(r) for r in rows]
        hatches = ["" if r["equal"] else "//" for r in rows]
        unit = "calls" if wl == "small" else "records"

        bars = ax_t.barh(
            y, [r["mb_per_s"] for r in rows], color=colours, edgecolor="black", linewidth=0.4
        )
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        for yi, r in zip(y, rows, strict=True):
            ax_t.text(
                r["mb_per_s"],
                yi,
                f" {r['mb_per_s']:.0f}  (x{r['ratio']:.2f})",
                va="center",
                fontsize=8,
            )
        if ceiling:
            ax_t.axvline(ceiling, color="black", linestyle="--", linewidth=0.8)
            ax_t.text(ceiling, len(rows) - 0.4, " generating alone", fontsize=7, va="bottom")
        ax_t.set_yticks(y, names, fontsize=9)
        ax_t.set_xlabel("throughput, MB/s of JSON text (higher is better; x = time / baseline)")
        ax_t.set_title(f"{wl}: N = {n:,} {unit}", fontsize=10, loc="left")
        right = max([r["mb_per_s"] for r in rows] + [ceiling or 0])
        ax_t.set_xlim(0, right * 1.25)

        mem = [max(r["median_peak_growth"] / MIB, MEM_FLOOR) for r in rows]
        bars = ax_m.barh(y, mem, color=colours, edgecolor="black", linewidth=0.4)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        for yi, r in zip(y, rows, strict=True):
            v = r["median_peak_growth"] / MIB
            ax_m.text(
                max(v, MEM_FLOOR),
                yi,
                f" {v:,.1f}" if v >= 0.1 else " <0.1",
                va="center",
                fontsize=8,
            )
        ax_m.set_xscale("log")
        ax_m.set_xlim(MEM_FLOOR, max(max(mem) * 8, 10))
        ax_m.set_yticks(y, [""] * len(y))
        ax_m.set_xlabel("peak RSS growth, MiB (log scale; lower is better)")
        if wl == "small":
            ax_m.set_title("(no memory story for one small record)", fontsize=8, loc="left")
        for ax in (ax_t, ax_m):
            ax.grid(axis="x", alpha=0.3)
            ax.set_axisbelow(True)
    from matplotlib.patches import Patch

    axes[0][0].legend(
        handles=[
            Patch(facecolor="#d62728", label="streamjson"),
            Patch(facecolor="#7f7f7f", label="stdlib json"),
            Patch(facecolor="#1f77b4", label="other libraries"),
            Patch(
                facecolor="white", edgecolor="black", hatch="//", label="output differs from json"
            ),
        ],
        loc="lower right",
        fontsize=7,
        framealpha=0.9,
    )
    load = info.get("load_before"), info.get("load_after")
    fig.suptitle(
        f"streamjson {info['versions'].get('streamjson', '?')} vs peers, median of "
        f"{data['args']['repeat']} fresh-process runs. {info['date']}\n"
        f"{info['cpu']}, {info['cores']} cores; Python {info['python'].split()[0]}; "
        f"load avg before {load[0]}, after {load[1]}. Hatched: output differs from json's.",
        fontsize=9,
    )
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="the JSON written by peers.py --json")
    p.add_argument(
        "--out",
        default=os.path.join(here, os.pardir, "docs", "benchmark.png"),
        help="the PNG to write (default docs/benchmark.png)",
    )
    p.add_argument(
        "--workload",
        default="records",
        help="comma-separated workloads, one row each (default records)",
    )
    args = p.parse_args(argv)
    with open(args.results, encoding="utf-8") as f:
        data = json.load(f)
    workloads = [w.strip() for w in args.workload.split(",") if w.strip()]
    if workloads == ["all"]:
        workloads = list(dict.fromkeys(r["workload"] for r in data["rows"]))
    path = draw(data, workloads, os.path.normpath(args.out))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
