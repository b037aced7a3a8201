"""How one run is measured, and what it was measured on.

Every (workload, contender, repeat) runs in a fresh ``python`` subprocess
(``python benchmarks/measure.py SPEC``), so no run inherits another's heap, caches or
imported modules. The worker imports its libraries, warms up on a small document,
then measures one run:

* **time**: wall-clock time of the whole write, ``perf_counter`` around opening
  the sink, encoding, writing and closing it. The records are generated lazily
  by :mod:`records` inside that time for every contender (for ``list`` the list
  is built before the clock starts, as it is "already in memory").
* **peak RSS growth**: the peak resident set size during the run minus the RSS
  just before it (Linux: the peak is reset through ``/proc/self/clear_refs``
  and read as ``VmHWM``; elsewhere ``ru_maxrss`` minus the baseline, which can
  only over-state).
* **output**: the written file is read back after the clock stops (gunzipped
  for the gzip workload) and hashed with sha256.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from contenders import CONTENDERS, WORKLOADS, Work

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
RESULT_MARK = "@@RESULT@@ "

# -- one run, in this process ---------------------------------------------------------------


def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _rss() -> int:
    kib = _status_kib("VmRSS")
    if kib is None:
        return _maxrss()
    return kib * 1024


def _maxrss() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def _peak() -> int:
    kib = _status_kib("VmHWM")
    return _maxrss() if kib is None else kib * 1024


def _hash_file(path: str, gz: bool) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with gzip.open(path, "rb") if gz else open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def _run_small(w: Work, dumps: Callable[[Any], Any]) -> tuple[float, str, int]:
    pool = w.prepared
    assert pool is not None
    rounds, rest = divmod(w.n, len(pool))
    tail = pool[:rest]
    t0 = time.perf_counter()
    for _ in range(rounds):
        for rec in pool:
            dumps(rec)
    for rec in tail:
        dumps(rec)
    elapsed = time.perf_counter() - t0
    h = hashlib.sha256()
    pool_bytes = 0
    for rec in pool:
        out = dumps(rec)
        data = out.encode() if isinstance(out, str) else bytes(out)
        h.update(data + b"\n")
        pool_bytes += len(data)
    size = pool_bytes * rounds + sum(len(json.dumps(r).encode()) for r in tail)
    return elapsed, h.hexdigest(), size


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measured run of ``spec`` in this (fresh) process."""
    c = CONTENDERS[spec["contender"]]
    wl = WORKLOADS[spec["workload"]]
    fn = c.runs[wl.key]
    n = spec["n"]
    out_dir = spec["dir"]
    suffix = ".json.gz" if wl.gz else ".jsonl" if wl.shape == "lines" else ".json"
    path = os.path.join(out_dir, f"out{suffix}")
    for module in c.requires:
        importlib.import_module(module)

    # Warm up: a small run of the same code (lazy imports, caches, first allocations).
    warm = Work(wl, min(n, spec.get("warmup", 2000)), os.path.join(out_dir, f"warm{suffix}"))
    if wl.shape == "small":
        _run_small(warm, fn(warm))
    else:
        fn(warm)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(warm.path)
    del warm

    w = Work(wl, n, path)
    small_fn = fn(w) if wl.shape == "small" else None
    gc.collect()
    exact_peak = _reset_peak()
    base = _rss()
    base_peak = _peak()
    if small_fn is not None:
        elapsed, digest, size = _run_small(w, small_fn)
        peak = _peak()
    else:
        t0 = time.perf_counter()
        fn(w)
        elapsed = time.perf_counter() - t0
        peak = _peak()
        if os.path.exists(path):
            digest, size = _hash_file(path, wl.gz)
            os.unlink(path)
        else:  # "records only" writes nothing
            digest, size = "", 0
    growth = peak - (base if exact_peak else max(base, base_peak))
    return {
        "time": elapsed,
        "peak_growth": max(growth, 0),
        "base_rss": base,
        "digest": digest,
        "bytes": size,
        "exact_peak": exact_peak,
    }


def worker_main(spec_text: str) -> int:
    """Run the run ``spec_text`` (JSON) describes; print its result after RESULT_MARK."""
    spec = json.loads(spec_text)
    try:
        result = worker(spec)
    except Exception as exc:  # reported, not raised: the table shows it
        import traceback

        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    return 0


# -- one run, in a fresh process ---------------------------------------------------------


def run_in_subprocess(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One measured run of ``spec`` in a fresh ``python`` process: its result, or an error."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [sys.executable, os.path.abspath(__file__), json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            if "error" in result and proc.stderr:
                result["stderr"] = proc.stderr[-2000:]
            return result
    return {"error": f"worker exited {proc.returncode}: {proc.stderr.strip()[-500:]}"}


# -- what was measured ------------------------------------------------------------------


def streamjson_source_digest() -> str:
    """A short digest of streamjson's source files, to tell which code was measured."""
    spec = importlib.util.find_spec("streamjson")
    if spec is None or not spec.submodule_search_locations:
        return ""
    folder = next(iter(spec.submodule_search_locations))
    h = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()[:12]


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: date, Python, CPU, memory, versions, git revision."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) * 1024
    versions = {}
    for dist in (
        "streamjson",
        "simplejson",
        "python-rapidjson",
        "json-stream",
        "json-stream-rs-tokenizer",
        "jsonstreams",
        "jsonlines",
        "orjson",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    rev = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = os.path.dirname(HERE)
        rev = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "streamjson"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if rev and dirty:
            rev += " (streamjson/ modified)"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": sys.version.replace("\n", " "),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "versions": versions,
        "git": rev,
    }


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1]))
