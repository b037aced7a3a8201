"""Reformat one big JSON file with streamjson, python -m json.tool and jq: time and memory.

    python benchmarks/bench_cli.py                 # ~500 MB file, all three tools
    python benchmarks/bench_cli.py --size-mb 50    # a quicker look

The file (an array of records: numbers, floats, strings with escapes and non-ASCII
text, nested objects and arrays) is generated once and kept beside the outputs in
--dir. Each tool reads it and writes the pretty-printed document (indent 4, as
json.tool does by default) to a file on the same disk. Wall time is measured around
the process; peak RSS is the kernel's figure for that process (``wait4``). jq runs
only where it is installed (Debian: ``apt-get install jq``). streamjson's output is
checked to be byte-identical to json.tool's (the exit status says whether it is);
then streamjson's time and peak RSS are given as a fraction of json.tool's.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORDS = ["alpha", "beta", "gamma", "δέλτα", "naïve", 'quote"d', "tab\there", "emoji 😀", "a\\b"]


def generate(path: Path, size_mb: int) -> None:
    """Write a JSON array of records of about ``size_mb`` MiB, the same for a given size."""
    rnd = random.Random(size_mb)
    target = size_mb * 1024 * 1024
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as f:
        f.write("[")
        size, i = 1, 0
        while size < target:
            record = {
                "id": i,
                "name": f"{rnd.choice(WORDS)} {rnd.randrange(10**6)}",
                "score": rnd.random() * 1000,
                "ratio": round(rnd.random(), 3),
                "active": rnd.random() < 0.5,
                "tags": [rnd.choice(WORDS) for _ in range(rnd.randrange(4))],
                "location": {
                    "lat": rnd.uniform(-90, 90),
                    "lon": rnd.uniform(-180, 180),
                    "alt": None,
                },
                "counts": [rnd.randrange(10**6) for _ in range(5)],
            }
            text = ("," if i else "") + "\n" + json.dumps(record, ensure_ascii=i % 2 == 0)
            f.write(text)
            size += len(text.encode("utf-8"))
            i += 1
        f.write("\n]\n")
    tmp.replace(path)


def measure(command: list[str], stdout: Path | None) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB, and exit status of ``command``."""
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    return wall, usage.ru_maxrss, proc.returncode


SCENARIOS = {  # name: (streamjson and json.tool options, jq options)
    "indent 4 (default)": ([], ["--indent", "4"]),
    "--compact": (["--compact"], ["-c"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=500, help="size of the input (MiB)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/streamjson-bench-cli"))
    parser.add_argument("--tools", default="streamjson,json.tool,jq", help="comma-separated")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    args = parser.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    source = args.dir / f"records-{args.size_mb}mb.json"
    if not source.exists():
        print(f"generating {source} ...", file=sys.stderr)
        generate(source, args.size_mb)
    size = source.stat().st_size
    tools = [t for t in args.tools.split(",") if t != "jq" or shutil.which("jq")]
    if "jq" in args.tools and "jq" not in tools:
        print("jq: not installed, skipped", file=sys.stderr)

    print(
        f"Input: {size / 2**20:.0f} MiB ({source.name}), Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    print("| output | tool | wall time | throughput | peak RSS |")
    print("| --- | --- | ---: | ---: | ---: |")
    same_output: dict[str, bool] = {}
    figures: list[str] = []
    for scenario in args.scenarios.split(","):
        options, jq_options = SCENARIOS[scenario]
        commands = {
            "streamjson": [sys.executable, "-m", "streamjson", *options, str(source)],
            "json.tool": [sys.executable, "-m", "json.tool", *options, str(source)],
            "jq": ["jq", *jq_options, ".", str(source)],
        }
        results = {}
        for tool in tools:
            out = args.dir / f"out-{tool}.json"
            command = commands[tool] + ([] if tool == "jq" else [str(out)])
            print(f"{scenario}: running {tool} ...", file=sys.stderr)
            wall, rss, status = measure(command, out if tool == "jq" else None)
            if status != 0:
                print(f"{tool} failed with status {status}", file=sys.stderr)
                return 1
            results[tool] = (wall, rss)
            print(
                f"| {scenario} | {tool} | {wall:.1f} s | {size / 2**20 / wall:.1f} MiB/s "
                f"| {rss / 1024:.0f} MiB |",
                flush=True,
            )
        if "streamjson" in results and "json.tool" in results:
            (ours_wall, ours_rss), (tool_wall, tool_rss) = (
                results["streamjson"],
                results["json.tool"],
            )
            same = filecmp.cmp(
                args.dir / "out-streamjson.json", args.dir / "out-json.tool.json", shallow=False
            )
            same_output[scenario] = same
            figures.append(
                f"{scenario}: streamjson takes {ours_wall / tool_wall:.2f}x json.tool's time "
                f"and {ours_rss / tool_rss:.2f}x its peak RSS ({ours_rss / 1024:.0f} MiB); "
                f"output {'byte-identical to' if same else 'DIFFERS from'} json.tool's"
            )
        for out in args.dir.glob("out-*.json"):
            out.unlink()
    print()
    for line in figures:
        print(f"- {line}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0 if all(same_output.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
