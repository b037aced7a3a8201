"""What the peer comparison runs: the workloads, and the contenders that write them.

A workload is a document and a sink (a generator of records to a text file, the same
gzipped, indented, as JSON Lines...); its baseline contender's time is 1.00x and its
output the reference. A contender is a way to write a workload: a function taking a
:class:`Work` and writing ``work.doc()`` (or ``work.items()``, ``work.materialised()``)
to ``work.open_text()`` / ``work.open_binary()`` / ``work.path``, registered with
``@contender("name", "workload", ..., requires=("module",))``. For the ``small``
workload the function returns a one-argument dumps, which the harness times.

The records come from :mod:`records`; a peer that is not installed is skipped.
"""

from __future__ import annotations

import collections
import functools
import gzip
import importlib.util
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from records import META, records, records_list

BATCH = 1000  # records per call for the "per batch" contenders
GZIP_LEVEL = 6  # the same for every contender of the gzip workload (zlib's default)

# -- workloads ----------------------------------------------------------------------------


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


# -- contenders ---------------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    requires: tuple[str, ...] = ()
    runs: dict[str, Callable[[Work], Any]] = field(default_factory=dict)
    note: str = ""

    def unavailable(self) -> str | None:
        """Why the contender cannot run here (a module it needs is missing), or None."""
        for module in self.requires:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed"
        return None


CONTENDERS: dict[str, Contender] = {}


def contender(
    name: str,
    *workloads: str,
    requires: tuple[str, ...] = (),
    note: str = "",
) -> Callable[[Callable[[Work], Any]], Callable[[Work], Any]]:
    """Register ``fn(work)`` as the way contender ``name`` runs ``workloads``.

    For the file workloads ``fn`` writes the document to ``work.path`` (use
    ``work.open_text()`` / ``work.open_binary()`` so that gzip works). For ``small``
    it returns a one-argument dumps function, which the harness times.
    """

    def register(fn: Callable[[Work], Any]) -> Callable[[Work], Any]:
        c = CONTENDERS.setdefault(name, Contender(name, requires, note=note))
        c.requires = tuple(dict.fromkeys(c.requires + requires))
        c.note = c.note or note
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
    note="streamjson.dump(gen, f, fast=True); compact, so not json's bytes",
)
def _streamjson_fast(w: Work) -> None:
    import streamjson

    with w.open_binary() if w.workload.gz else w.open_text() as f:
        streamjson.dump(w.doc(), f, fast=True, **w.kw)


@contender("streamjson fast", "small", requires=("streamjson", "orjson"))
def _streamjson_fast_small(w: Work) -> Callable[[Any], Any]:
    import streamjson

    return functools.partial(streamjson.dumps, fast=True)


@contender(
    "streamjson.dump_lines",
    "lines",
    requires=("streamjson",),
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
