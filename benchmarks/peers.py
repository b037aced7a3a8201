#!/usr/bin/env python
"""Peer comparison: streamjson against the stdlib and the other JSON writers.

Every (workload, contender, repeat) runs in a fresh ``python`` subprocess, so no
run inherits another's heap, caches or imported modules. The worker imports its
libraries, warms up on a small document, then measures one run:

* **time**: wall-clock time of the whole write, ``perf_counter`` around opening
  the sink, encoding, writing and closing it. The records are generated lazily
  by :mod:`records` inside that time for every contender (for ``list`` the list
  is built before the clock starts, as it is "already in memory").
* **peak RSS growth**: the peak resident set size during the run minus the RSS
  just before it (Linux: the peak is reset through ``/proc/self/clear_refs``
  and read as ``VmHWM``; elsewhere ``ru_maxrss`` minus the baseline, which can
  only over-state).
* **output**: the written file is read back after the clock stops (gunzipped
  for the gzip workload) and hashed with sha256; ``= json`` says whether the
  bytes equal those of the workload's json reference contender in the same run.
* **streamed**: ``yes`` when the peak RSS growth is below one tenth of the JSON
  text written (with a 4 MiB floor for small runs). A writer that holds the whole
  document, its list of records or the encoded text needs at least the size of
  the text; a streaming writer needs a constant few MiB. The ``scaling`` workload
  is the proof that the memory stays flat as N grows.

Repeats are interleaved (every contender's run 1, then every run 2, ...) with
the order rotated each round, so a burst of load from elsewhere on the machine
hits all contenders alike. Medians are reported; ratios are to the workload's
baseline measured in the same invocation.

Usage (from the repository root)::

    python benchmarks/peers.py --records 100000 --repeat 3
    python benchmarks/peers.py --workload records,small --only 'streamjson*'
    python benchmarks/peers.py --records 1000000 --repeat 3 --markdown \\
        --json docs/benchmark.json --chart docs/benchmark.png
    python benchmarks/peers.py --list

Adding a contender: write a function taking a :class:`Work` and decorate it with
``@contender("name", "workload", ...)``; see the existing ones below.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fnmatch
import gc
import gzip
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from records import META, records, records_list  # noqa: E402

BATCH = 1000  # records per call for the "per batch" contenders
GZIP_LEVEL = 6  # the same for every contender of the gzip workload (zlib's default)
MIB = 1024 * 1024
RESULT_MARK = "@@RESULT@@ "
STREAMED_FRACTION = 10  # streamed: peak growth < text size / STREAMED_FRACTION ...
STREAMED_FLOOR = 4 * MIB  # ... or below this, for small runs

# --------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    shape: str  # "array", "meta", "list", "small" or "lines"
    baseline: str  # the contender whose time is 1.0 and whose output is the reference
    gz: bool = False
    kw: dict[str, Any] = field(default_factory=dict)
    runs_as: str = ""  # the contenders' function key (default: name)

    @property
    def key(self) -> str:
        return self.runs_as or self.name


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload("records", "generator of N records -> text file", "array", "json.dumps"),
        Workload("meta", '{"meta": {...}, "data": generator} -> text file', "meta", "json.dumps"),
        Workload("list", "list of N records already in memory -> text file", "list", "json.dumps"),
        Workload(
            "gzip",
            f"generator -> binary gzip file (level {GZIP_LEVEL})",
            "array",
            "json.dumps",
            gz=True,
        ),
        Workload(
            "indent2", "generator -> text file, indent=2", "array", "json.dumps", kw={"indent": 2}
        ),
        Workload("small", "dumps() of one 10-field record, repeated", "small", "json.dumps"),
        Workload("lines", "generator -> JSON Lines text file", "lines", "json.dumps+write"),
        Workload(
            "scaling",
            "generator of N records -> text file, at several N",
            "array",
            "json.dumps",
            runs_as="records",
        ),
    ]
}
DEFAULT_WORKLOADS = ("records", "meta", "list", "gzip", "indent2", "small", "lines")
SCALING_CONTENDERS = ("json.dumps", "streamjson", "streamjson fast", "records only")
DEFAULT_SCALING_SIZES = (100_000, 1_000_000, 3_000_000)


class Work:
    """What a contender function gets: the document to write and where to write it."""

    def __init__(self, workload: Workload, n: int, path: str) -> None:
        self.workload = workload
        self.shape = workload.shape
        self.n = n
        self.path = path
        self.kw: dict[str, Any] = dict(workload.kw)
        self.prepared: list[Any] | None = None
        if self.shape in ("list", "small"):
            self.prepared = records_list(n if self.shape == "list" else min(n, BATCH))

    # -- the document ---------------------------------------------------------------------

    def items(self) -> Any:
        """The records: a fresh generator (or the prepared list for ``list``)."""
        return self.prepared if self.shape == "list" else records(self.n)

    def wrap(self, data: Any) -> Any:
        """Put the records where the workload's document has them."""
        return {"meta": META, "data": data} if self.shape == "meta" else data

    def doc(self) -> Any:
        """The document in the form a streaming encoder takes it (the records lazy)."""
        return self.wrap(self.items())

    def materialised(self) -> Any:
        """The document as json needs it: the records in a list."""
        items = self.items()
        return self.wrap(items if isinstance(items, list) else list(items))

    # -- the sink -------------------------------------------------------------------------

    def open_text(self) -> Any:
        if self.workload.gz:
            return io.TextIOWrapper(self.open_binary(), encoding="utf-8", newline="")
        return open(self.path, "w", encoding="utf-8", newline="")

    def open_binary(self) -> Any:
        if self.workload.gz:
            return gzip.GzipFile(self.path, "wb", compresslevel=GZIP_LEVEL, mtime=0)
        return open(self.path, "wb")


# --------------------------------------------------------------------------------------
# Contenders
# --------------------------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    requires: tuple[str, ...] = ()
    runs: dict[str, Callable[[Work], Any]] = field(default_factory=dict)
    note: str = ""
    check: Callable[[], str | None] | None = None  # None = usable, else why not

    def unavailable(self) -> str | None:
        for module in self.requires:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed"
        if self.check is not None:
            return self.check()
        return None


CONTENDERS: dict[str, Contender] = {}


def contender(
    name: str,
    *workloads: str,
    requires: tuple[str, ...] = (),
    note: str = "",
    check: Callable[[], str | None] | None = None,
) -> Callable[[Callable[[Work], Any]], Callable[[Work], Any]]:
    """Register ``fn(work)`` as the way contender ``name`` runs ``workloads``.

    For the file workloads ``fn`` writes the document to ``work.path`` (use
    ``work.open_text()`` / ``work.open_binary()`` so that gzip works). For ``small``
    it returns a one-argument dumps function, which the harness times.
    """

    def register(fn: Callable[[Work], Any]) -> Callable[[Work], Any]:
        c = CONTENDERS.setdefault(name, Contender(name, requires, note=note, check=check))
        c.requires = tuple(dict.fromkeys(c.requires + requires))
        c.note = c.note or note
        c.check = c.check or check
        for w in workloads:
            c.runs[w] = fn
        return fn

    return register


FILE_WORKLOADS = ("records", "meta", "list", "gzip", "indent2")


# -- stdlib json --------------------------------------------------------------------------


@contender("json.dumps", *FILE_WORKLOADS, note="f.write(json.dumps(list(gen)))")
def _json_dumps(w: Work) -> None:
    with w.open_text() as f:
        f.write(json.dumps(w.materialised(), **w.kw))


@contender("json.dumps", "small")
def _json_dumps_small(w: Work) -> Callable[[Any], Any]:
    return json.dumps


@contender("json.dump", *FILE_WORKLOADS, note="json.dump(list(gen), f)")
def _json_dump(w: Work) -> None:
    with w.open_text() as f:
        json.dump(w.materialised(), f, **w.kw)


def _by_batches(
    w: Work, write: Callable[[Any], Any], encode: Callable[[list[Any]], Any], parts: tuple[Any, ...]
) -> None:
    """Write the workload's document by hand, encoding the records BATCH at a time.

    ``encode(batch)`` returns the batch's array text; ``parts`` is (text before the
    array in the meta document, text after it, array open, separator, array close),
    in the encoder's own style.
    """
    meta_open, meta_close, open_, sep, close = parts
    if w.shape == "meta":
        write(meta_open)
    write(open_)
    it = iter(w.items())
    first = True
    while batch := list(islice(it, BATCH)):
        if not first:
            write(sep)
        write(encode(batch)[1:-1])
        first = False
    write(close)
    if w.shape == "meta":
        write(meta_close)


@contender(
    "json.dumps per batch",
    "records",
    "meta",
    "list",
    "gzip",
    note=f"json.dumps(batch) per {BATCH} records, joined by hand",
)
def _json_batches(w: Work) -> None:
    with w.open_text() as f:
        meta_open = '{"meta": ' + json.dumps(META) + ', "data": '
        _by_batches(w, f.write, json.dumps, (meta_open, "}", "[", ", ", "]"))


@contender("json.dumps+write", "lines", note="for rec in gen: f.write(json.dumps(rec) + '\\n')")
def _json_lines(w: Work) -> None:
    dumps = json.dumps
    with w.open_text() as f:
        write = f.write
        for rec in w.items():
            write(dumps(rec) + "\n")


@contender("records only", "records", note="generating the records, nothing written")
def _records_only(w: Work) -> None:
    collections.deque(w.items(), maxlen=0)


# -- streamjson ---------------------------------------------------------------------------


def _streamjson_fast_kw(func_name: str = "dump") -> dict[str, Any] | None:
    """The keyword arguments that select streamjson's fast (orjson) mode, if it has one.

    ``STREAMJSON_FAST_KW='{"engine": "orjson"}'`` in the environment overrides the
    detection; otherwise a named ``fast`` or ``engine`` parameter is looked for.
    """
    env = os.environ.get("STREAMJSON_FAST_KW")
    if env:
        return dict(json.loads(env))
    import streamjson

    func = getattr(streamjson, func_name, None)
    if func is None:
        return None
    params = inspect.signature(func).parameters
    if "fast" in params:
        return {"fast": True}
    if "engine" in params:
        return {"engine": "orjson"}
    return None


def _no_fast_mode() -> str | None:
    if _streamjson_fast_kw() is None:
        return "streamjson has no fast mode yet (no fast=/engine= keyword; see STREAMJSON_FAST_KW)"
    return None


def _no_dump_lines() -> str | None:
    import streamjson

    return None if hasattr(streamjson, "dump_lines") else "streamjson.dump_lines does not exist yet"


@contender(
    "streamjson",
    *FILE_WORKLOADS,
    requires=("streamjson",),
    note="streamjson.dump(gen, f); a binary GzipFile for gzip",
)
def _streamjson(w: Work) -> None:
    import streamjson

    if w.workload.gz:
        with w.open_binary() as f:
            streamjson.dump(w.doc(), f, **w.kw)
    else:
        with w.open_text() as f:
            streamjson.dump(w.doc(), f, **w.kw)


@contender("streamjson", "small", requires=("streamjson",))
def _streamjson_small(w: Work) -> Callable[[Any], Any]:
    import streamjson

    return streamjson.dumps


@contender(
    "streamjson binary",
    "records",
    requires=("streamjson",),
    note="streamjson.dump(gen, open(path, 'wb'))",
)
def _streamjson_binary(w: Work) -> None:
    import streamjson

    with w.open_binary() as f:
        streamjson.dump(w.doc(), f, **w.kw)


@contender(
    "streamjson path",
    "records",
    "gzip",
    requires=("streamjson",),
    note="streamjson.dump(gen, path): atomic rename + fsync, .gz by suffix",
)
def _streamjson_path(w: Work) -> None:
    import streamjson

    streamjson.dump(w.doc(), w.path, **w.kw)


@contender(
    "streamjson fast",
    "records",
    "meta",
    "list",
    "gzip",  # not indent2: fast mode writes compact JSON and refuses indent
    requires=("streamjson", "orjson"),
    check=_no_fast_mode,
    note="streamjson.dump(gen, f, <fast mode>); compact, so not json's bytes",
)
def _streamjson_fast(w: Work) -> None:
    import streamjson

    kw = {**w.kw, **(_streamjson_fast_kw() or {})}
    with w.open_binary() if w.workload.gz else w.open_text() as f:
        streamjson.dump(w.doc(), f, **kw)


@contender("streamjson fast", "small", requires=("streamjson", "orjson"), check=_no_fast_mode)
def _streamjson_fast_small(w: Work) -> Callable[[Any], Any]:
    import functools

    import streamjson

    kw = _streamjson_fast_kw("dumps")
    if kw is None:
        raise RuntimeError("streamjson.dumps has no fast mode")
    return functools.partial(streamjson.dumps, **kw)


@contender(
    "streamjson.dump_lines",
    "lines",
    requires=("streamjson",),
    check=_no_dump_lines,
    note="streamjson.dump_lines(gen, f)",
)
def _streamjson_lines(w: Work) -> None:
    import streamjson

    with w.open_text() as f:
        streamjson.dump_lines(w.items(), f)


# -- simplejson ---------------------------------------------------------------------------


@contender(
    "simplejson",
    *FILE_WORKLOADS,
    requires=("simplejson",),
    note="simplejson.dump(gen, f, iterable_as_array=True)",
)
def _simplejson(w: Work) -> None:
    import simplejson

    with w.open_text() as f:
        simplejson.dump(w.doc(), f, iterable_as_array=True, **w.kw)


@contender("simplejson", "small", requires=("simplejson",))
def _simplejson_small(w: Work) -> Callable[[Any], Any]:
    import simplejson

    dumps: Callable[[Any], Any] = simplejson.dumps
    return dumps


# -- python-rapidjson ---------------------------------------------------------------------


@contender(
    "rapidjson",
    *FILE_WORKLOADS,
    requires=("rapidjson",),
    note="rapidjson.dump(gen, f); compact, so not json's bytes",
)
def _rapidjson(w: Work) -> None:
    import rapidjson

    kw: dict[str, Any] = {}
    if w.kw.get("indent"):
        kw = {"write_mode": rapidjson.WM_PRETTY, "indent": w.kw["indent"]}
    with w.open_text() as f:
        rapidjson.dump(w.doc(), f, **kw)


@contender("rapidjson", "small", requires=("rapidjson",))
def _rapidjson_small(w: Work) -> Callable[[Any], Any]:
    import rapidjson

    return rapidjson.dumps


# -- json-stream --------------------------------------------------------------------------


@contender(
    "json-stream",
    "records",
    "meta",
    "gzip",
    "indent2",
    requires=("json_stream",),
    note="json.dump(streamable_list(gen), f)",
)
def _json_stream(w: Work) -> None:
    from json_stream import streamable_list

    with w.open_text() as f:
        json.dump(w.wrap(streamable_list(w.items())), f, **w.kw)


# -- jsonstreams --------------------------------------------------------------------------


@contender(
    "jsonstreams",
    "records",
    "meta",
    "list",
    "gzip",
    "indent2",
    requires=("jsonstreams",),
    note="jsonstreams.Stream(...).iterwrite(gen)",
)
def _jsonstreams(w: Work) -> None:
    import jsonstreams

    indent = w.kw.get("indent")
    opts: dict[str, Any] = {"indent": indent, "pretty": bool(indent)}
    with w.open_text() as f:
        if w.shape == "meta":
            with jsonstreams.Stream(jsonstreams.Type.OBJECT, fd=f, close_fd=False, **opts) as s:
                s.write("meta", META)
                with s.subarray("data") as a:
                    a.iterwrite(w.items())
        else:
            with jsonstreams.Stream(jsonstreams.Type.ARRAY, fd=f, close_fd=False, **opts) as s:
                s.iterwrite(w.items())


# -- jsonlines ----------------------------------------------------------------------------


@contender(
    "jsonlines",
    "lines",
    requires=("jsonlines",),
    note="jsonlines.open(path, 'w').write_all(gen); ensure_ascii=False by default",
)
def _jsonlines(w: Work) -> None:
    import jsonlines

    with jsonlines.open(w.path, mode="w") as writer:
        writer.write_all(w.items())


@contender(
    "jsonlines json.dumps",
    "lines",
    requires=("jsonlines",),
    note="jsonlines.open(path, 'w', dumps=json.dumps).write_all(gen)",
)
def _jsonlines_json(w: Work) -> None:
    import jsonlines

    with jsonlines.open(w.path, mode="w", dumps=json.dumps) as writer:
        writer.write_all(w.items())


# -- orjson -------------------------------------------------------------------------------


@contender(
    "orjson per batch",
    "records",
    "meta",
    "list",
    "gzip",
    requires=("orjson",),
    note=f"orjson.dumps(batch) per {BATCH} records; compact UTF-8, so not json's bytes",
)
def _orjson_batches(w: Work) -> None:
    import orjson

    with w.open_binary() as f:
        meta_open = b'{"meta":' + orjson.dumps(META) + b',"data":'
        _by_batches(w, f.write, orjson.dumps, (meta_open, b"}", b"[", b",", b"]"))


@contender("orjson", "small", requires=("orjson",))
def _orjson_small(w: Work) -> Callable[[Any], Any]:
    import orjson

    return orjson.dumps


@contender(
    "orjson lines",
    "lines",
    requires=("orjson",),
    note="f.write(orjson.dumps(rec, option=OPT_APPEND_NEWLINE))",
)
def _orjson_lines(w: Work) -> None:
    import orjson

    dumps = orjson.dumps
    opt = orjson.OPT_APPEND_NEWLINE
    with w.open_binary() as f:
        write = f.write
        for rec in w.items():
            write(dumps(rec, option=opt))


# --------------------------------------------------------------------------------------
# The worker: one measured run in this process
# --------------------------------------------------------------------------------------


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


def _worker_main(spec_text: str) -> int:
    spec = json.loads(spec_text)
    try:
        result = worker(spec)
    except Exception as exc:  # reported, not raised: the table shows it
        import traceback

        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    return 0


# --------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------


def _run_subprocess(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(spec)]
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


# --------------------------------------------------------------------------------------
# Issue 3's targets, read off the rows
# --------------------------------------------------------------------------------------

FLAT_SLACK = 4 * MIB  # "peak memory flat": the largest N's growth within this of the smallest N's


def check_targets(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(target, verdict, figures) for each issue-3 target the rows can answer.

    verdict is "meets", "MISSES", "error" (every run failed) or "n/a" (not run).
    """
    cell: dict[tuple[str, str], dict[str, Any]] = {}
    failed: dict[tuple[str, str], str] = {}
    for r in rows:
        if r["workload"] == "scaling":
            continue
        if r["times"]:
            cell[(r["workload"], r["contender"])] = r
        elif r["errors"]:
            failed[(r["workload"], r["contender"])] = r["errors"][0]
    out: list[tuple[str, str, str]] = []

    def ratio_target(label: str, wl: str, name: str, limit: float, mem_fraction: int = 0) -> None:
        r = cell.get((wl, name))
        if r is None:
            why = failed.get((wl, name))
            out.append((label, "error", why) if why else (label, "n/a", f"{name} not run on {wl}"))
            return
        ok = r["ratio"] <= limit
        text = f"{r['ratio']:.3f}x (limit {limit:.2f}x)"
        if mem_fraction:
            base = cell.get((wl, r["baseline"]))
            bp = base["median_peak_growth"] if base else float("nan")
            mem_ok = r["median_peak_growth"] * mem_fraction < bp
            ok = ok and mem_ok and r["equal"] is True
            text += (
                f"; peak {r['median_peak_growth'] / MIB:.1f} MiB vs {r['baseline']} "
                f"{bp / MIB:.1f} MiB (limit 1/{mem_fraction}: {bp / mem_fraction / MIB:.1f} MiB)"
            )
        if r["equal"] is not None:
            text += "; output " + ("= json" if r["equal"] else "DIFFERS from json")
        out.append((label, "meets" if ok else "MISSES", text))

    for wl in ("records", "meta", "list"):
        ratio_target(f"1. exact, {wl}", wl, "streamjson", 0.70, mem_fraction=50)
    ratio_target("1. exact, binary gzip sink", "gzip", "streamjson", 1.0)
    ratio_target("2. indent=2", "indent2", "streamjson", 0.60)
    ratio_target("3. small dumps()", "small", "streamjson", 1.10)
    ratio_target("4. dump_lines vs json.dumps+write", "lines", "streamjson.dump_lines", 0.90)
    mine, theirs = cell.get(("lines", "streamjson.dump_lines")), cell.get(("lines", "jsonlines"))
    if mine and theirs:
        speedup = theirs["median_time"] / mine["median_time"]
        out.append(
            (
                "4. dump_lines vs jsonlines",
                "meets" if speedup >= 1.3 else "MISSES",
                f"{speedup:.2f}x faster than jsonlines.write_all (limit 1.30x)",
            )
        )
    else:
        out.append(
            ("4. dump_lines vs jsonlines", "n/a", "streamjson.dump_lines or jsonlines not run")
        )

    scaling = sorted(
        (
            r
            for r in rows
            if r["workload"] == "scaling" and r["contender"] == "streamjson" and r["times"]
        ),
        key=lambda r: r["n"],
    )
    if len(scaling) >= 2:
        per = [r["median_time"] / r["n"] for r in scaling]
        worst = max(abs(p / per[0] - 1) for p in per)
        peaks = [r["median_peak_growth"] for r in scaling]
        flat = peaks[-1] <= peaks[0] + FLAT_SLACK
        sizes = "/".join(f"{r['n']:,}" for r in scaling)
        out.append(
            (
                "5. scaling, time per record",
                "meets" if worst <= 0.15 else "MISSES",
                f"{sizes}: "
                + ", ".join(f"{p * 1e6:.2f}" for p in per)
                + f" µs/record, worst {worst * 100:.1f}% off the smallest N (limit 15%)",
            )
        )
        out.append(
            (
                "5. scaling, peak memory flat",
                "meets" if flat else "MISSES",
                f"{sizes}: "
                + ", ".join(f"{p / MIB:.1f}" for p in peaks)
                + f" MiB (flat: largest N within {FLAT_SLACK // MIB} MiB of the smallest)",
            )
        )
    else:
        out.append(("5. scaling", "n/a", "run --workload scaling"))
    ratio_target("6. fast mode", "records", "streamjson fast", 0.30)
    return out


def render_targets(targets: list[tuple[str, str, str]], markdown: bool) -> str:
    if markdown:
        lines = ["**issue 3 targets**\n", "| target | verdict | figures |", "|---|---|---|"]
        lines += [f"| {t} | {v} | {d} |" for t, v, d in targets]
    else:
        width = max(len(t) for t, _, _ in targets)
        lines = ["issue 3 targets"] + [f"{t.ljust(width)}  {v:6}  {d}" for t, v, d in targets]
    return "\n".join(lines) + "\n"


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
    """The whole printed report: header, one table per workload, the targets, the skips."""
    parts = [render_header(info, repeat, markdown), render(rows, info, markdown)]
    parts.append(render_targets(check_targets(rows), markdown))
    if skipped:
        parts.append("skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
    return "\n".join(parts)


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
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return _worker_main(args.worker)
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
                result = _run_subprocess(spec, args.timeout)
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
    targets = check_targets(rows)
    print(report(info, args.repeat, rows, skipped, args.markdown))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "info": info,
                    "args": {k: v for k, v in vars(args).items() if k != "worker"},
                    "skipped": skipped,
                    "targets": targets,
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
