"""The report of a run: one row per (workload, N, contender), tables, the header.

Medians are reported; ratios are to the workload's baseline measured in the same
invocation. ``= json`` says whether the output's sha256 equals the baseline's in the
same run; ``streamed`` whether the peak RSS growth stayed below one tenth of the JSON
text written (with a 4 MiB floor for small runs): a writer that holds the whole
document, its list of records or the encoded text needs at least the size of the
text, a streaming writer a constant few MiB. The ``scaling`` workload shows the memory
staying flat as N grows.
"""

from __future__ import annotations

import statistics
from typing import Any

from contenders import CONTENDERS, WORKLOADS
from measure import MIB

STREAMED_FRACTION = 10  # streamed: peak growth < text size / STREAMED_FRACTION ...
STREAMED_FLOOR = 4 * MIB  # ... or below this, for small runs


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def summarise(runs: dict[tuple[str, int, str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per (workload, n, contender): medians, ratios, streamed and equality."""
    rows = []
    for (wl_name, n, name), results in runs.items():
        wl = WORKLOADS[wl_name]
        ok = [r for r in results if "error" not in r]
        errors = [r["error"] for r in results if "error" in r]
        times = [r["time"] for r in ok]
        peaks = [r["peak_growth"] for r in ok]
        digests = {r["digest"] for r in ok}
        row: dict[str, Any] = {
            "workload": wl_name,
            "n": n,
            "contender": name,
            "note": CONTENDERS[name].note,
            "baseline": wl.baseline,
            "times": times,
            "peak_growths": peaks,
            "median_time": _median(times),
            "median_peak_growth": _median(peaks),
            "bytes": ok[0]["bytes"] if ok else 0,
            "digest": ok[0]["digest"] if ok else "",
            "deterministic": len(digests) <= 1,
            "errors": errors,
        }
        rows.append(row)
    by_cell = {(r["workload"], r["n"], r["contender"]): r for r in rows}
    for row in rows:
        base = by_cell.get((row["workload"], row["n"], row["baseline"]))
        row["ratio"] = (
            row["median_time"] / base["median_time"]
            if base and base["times"] and row["times"]
            else float("nan")
        )
        row["peak_ratio"] = (
            row["median_peak_growth"] / base["median_peak_growth"]
            if base and base["peak_growths"] and base["median_peak_growth"] and row["peak_growths"]
            else float("nan")
        )
        row["mb_per_s"] = (
            row["bytes"] / 1e6 / row["median_time"]
            if row["times"] and row["bytes"]
            else float("nan")
        )
        if not row["digest"]:
            row["equal"] = None
        elif base and base["digest"] and base["deterministic"]:
            row["equal"] = row["digest"] == base["digest"] and row["deterministic"]
        else:
            row["equal"] = None
        if WORKLOADS[row["workload"]].shape == "small" or not row["bytes"] or not row["times"]:
            row["streamed"] = None
        else:
            limit = max(row["bytes"] / STREAMED_FRACTION, STREAMED_FLOOR)
            row["streamed"] = max(row["peak_growths"]) < limit
    return rows


def _fmt_num(x: float, digits: int = 2) -> str:
    if x != x:  # nan
        return "-"
    return f"{x:,.{digits}f}"


def _yes(x: bool | None) -> str:
    return "-" if x is None else "yes" if x else "no"


COLUMNS = (
    "contender",
    "median s",
    "MB/s",
    "x baseline",
    "peak RSS growth MiB",
    "streamed",
    "= json",
    "spread",
)


def table_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        if r["errors"] and not r["times"]:
            out.append([r["contender"], "error", "-", "-", "-", "-", "-", "-"])
            continue
        t = r["times"]
        spread = (max(t) - min(t)) / r["median_time"] * 100 if len(t) > 1 else float("nan")
        out.append(
            [
                r["contender"],
                _fmt_num(r["median_time"], 3),
                _fmt_num(r["mb_per_s"], 1),
                _fmt_num(r["ratio"], 2),
                _fmt_num(r["median_peak_growth"] / MIB, 1),
                _yes(r["streamed"]),
                _yes(r["equal"]),
                ("±" + _fmt_num(spread / 2, 0) + "%") if spread == spread else "-",
            ]
        )
    return out


def render(rows: list[dict[str, Any]], info: dict[str, Any], markdown: bool) -> str:
    lines: list[str] = []
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["workload"], r["n"]), []).append(r)
    for (wl_name, n), group in groups.items():
        wl = WORKLOADS[wl_name]
        unit = "calls" if wl.shape == "small" else "records"
        title = f"{wl_name}: {wl.title} (N = {n:,} {unit}; baseline {wl.baseline})"
        body = table_rows(group)
        if markdown:
            lines.append(f"**{title}**\n")
            lines.append("| " + " | ".join(COLUMNS) + " |")
            lines.append("|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|")
            lines += ["| " + " | ".join(cells) + " |" for cells in body]
            lines.append("")
        else:
            widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(COLUMNS)]
            lines.append(title)
            lines.append(
                "  ".join(
                    c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                    for i, c in enumerate(COLUMNS)
                )
            )
            for cells in body:
                lines.append(
                    "  ".join(
                        c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                        for i, c in enumerate(cells)
                    )
                )
        for r in group:
            for err in dict.fromkeys(r["errors"]):
                lines.append(
                    f"{r['contender']}: {len(r['errors'])} of {len(r['errors']) + len(r['times'])} "
                    f"runs failed: {err}"
                )
        lines.append("")
    scaling = [r for r in rows if r["workload"] == "scaling" and r["times"]]
    if scaling:
        lines.append(render_scaling(scaling, markdown))
    return "\n".join(lines)


def render_scaling(rows: list[dict[str, Any]], markdown: bool) -> str:
    """Time per record and peak memory of each contender across N."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_name.setdefault(r["contender"], []).append(r)
    head = ("contender", "N", "µs/record", "vs smallest N", "peak RSS growth MiB")
    body = []
    for name, rs in by_name.items():
        rs.sort(key=lambda r: r["n"])
        first = rs[0]["median_time"] / rs[0]["n"]
        for r in rs:
            per = r["median_time"] / r["n"]
            body.append(
                [
                    name,
                    f"{r['n']:,}",
                    _fmt_num(per * 1e6, 2),
                    f"{(per / first - 1) * 100:+.1f}%",
                    _fmt_num(r["median_peak_growth"] / MIB, 1),
                ]
            )
    out = ["scaling summary"]
    if markdown:
        out = [
            "**scaling summary**\n",
            "| " + " | ".join(head) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
        ]
        out += ["| " + " | ".join(b) + " |" for b in body]
    else:
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
        out.append(
            "  ".join(
                h.ljust(widths[i]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(head)
            )
        )
        out += [
            "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(b))
            for b in body
        ]
    return "\n".join(out) + "\n"


def render_header(info: dict[str, Any], repeat: int, markdown: bool) -> str:
    load = info.get("load_before"), info.get("load_after")
    mem = info.get("memory_bytes")
    parts = [
        f"date: {info['date']}",
        f"python: {info['python']}",
        f"machine: {info['cpu']}, {info['cores']} cores"
        + (f", {mem / 2**30:.0f} GiB" if mem else "")
        + f", {info['platform']}",
        f"streamjson: {info['versions'].get('streamjson', '?')} (git {info['git'] or '?'}; "
        f"source digest {info.get('source_before', '?')}"
        + (
            f" -> {info['source_after']}: CHANGED DURING THE RUN"
            if info.get("source_after") != info.get("source_before")
            else ""
        )
        + ")",
        "peers: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items() if k != "streamjson"),
        f"runs: median of {repeat}, each in a fresh subprocess; load average (1/5/15 min) "
        f"before {load[0]}, after {load[1]}",
        f"streamed = peak RSS growth < 1/{STREAMED_FRACTION} of the JSON text written "
        f"(floor {STREAMED_FLOOR // MIB} MiB); = json: sha256 of the output equals the baseline's; "
        "spread: (max - min) / 2 / median",
    ]
    if markdown:
        return "\n".join("- " + p for p in parts) + "\n"
    return "\n".join(parts) + "\n"


def report(
    info: dict[str, Any],
    repeat: int,
    rows: list[dict[str, Any]],
    skipped: dict[str, str],
    markdown: bool,
) -> str:
    """The whole printed report: header, one table per workload, the skips."""
    parts = [render_header(info, repeat, markdown), render(rows, info, markdown)]
    if skipped:
        parts.append("skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
    return "\n".join(parts)
