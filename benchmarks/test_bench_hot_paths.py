"""pytest-benchmark cases for streamjson's hot paths, each beside its stdlib json twin.

Not part of the normal suite (pytest collects tests/ only). Run from the repository
root with the ``bench`` extra installed::

    pytest benchmarks/test_bench_hot_paths.py                      # measure
    pytest benchmarks/test_bench_hot_paths.py --benchmark-disable  # just check they run
    pytest benchmarks/test_bench_hot_paths.py --benchmark-autosave # save, then --benchmark-compare

The cases are grouped so each streamjson case is shown next to json's. Sizes are
small (BENCH_RECORDS, 20,000 by default) so a run takes seconds; the peer comparison
(benchmarks/peers.py) is where the big-N figures come from.

Every case also checks the output against json's (its length here; tests/ checks
the bytes), so a fast-but-wrong change cannot pass as a speed-up.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from typing import Any

import pytest

pytest.importorskip("pytest_benchmark")

from records import META, record, records, records_list

import streamjson

N = int(os.environ.get("BENCH_RECORDS", "20000"))


class CountingSink:
    """A text sink that keeps nothing: it counts the characters written to it."""

    encoding = "utf-8"  # tells streamjson it is a text sink

    def __init__(self) -> None:
        self.chars = 0
        self.writes = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.writes += 1
        return len(text)


@functools.cache
def json_length(kind: str, indent: int | None = None) -> int:
    """len() of json.dumps of the document ``kind`` names (computed once)."""
    if kind == "records":
        return len(json.dumps(records_list(N), indent=indent))
    if kind == "meta":
        return len(json.dumps({"meta": META, "data": records_list(N)}, indent=indent))
    if kind == "lines":
        return sum(len(json.dumps(r)) + 1 for r in records(N))
    raise ValueError(kind)


@pytest.fixture(scope="module")
def in_memory() -> list[dict[str, Any]]:
    return records_list(N)


def _sj_dump(doc: Any, **kw: Any) -> int:
    sink = CountingSink()
    streamjson.dump(doc, sink, **kw)
    return sink.chars


def _json_dumps(doc: Any, **kw: Any) -> int:
    sink = CountingSink()
    sink.write(json.dumps(doc, **kw))
    return sink.chars


# -- a generator of records, streamed --------------------------------------------------


@pytest.mark.benchmark(group="generator")
def test_streamjson_dump_generator(benchmark: Any) -> None:
    assert benchmark(lambda: _sj_dump(records(N))) == json_length("records")


@pytest.mark.benchmark(group="generator")
def test_json_dumps_list_of_generator(benchmark: Any) -> None:
    assert benchmark(lambda: _json_dumps(list(records(N)))) == json_length("records")


@pytest.mark.benchmark(group="meta")
def test_streamjson_dump_meta_document(benchmark: Any) -> None:
    def run() -> int:
        return _sj_dump({"meta": META, "data": records(N)})

    assert benchmark(run) == json_length("meta")


@pytest.mark.benchmark(group="meta")
def test_json_dumps_meta_document(benchmark: Any) -> None:
    def run() -> int:
        return _json_dumps({"meta": META, "data": list(records(N))})

    assert benchmark(run) == json_length("meta")


# -- a list already in memory -----------------------------------------------------------


@pytest.mark.benchmark(group="list")
def test_streamjson_dump_list(benchmark: Any, in_memory: list[Any]) -> None:
    assert benchmark(lambda: _sj_dump(in_memory)) == json_length("records")


@pytest.mark.benchmark(group="list")
def test_json_dumps_list(benchmark: Any, in_memory: list[Any]) -> None:
    assert benchmark(lambda: _json_dumps(in_memory)) == json_length("records")


@pytest.mark.benchmark(group="list")
def test_streamjson_dumps_list(benchmark: Any, in_memory: list[Any]) -> None:
    assert len(benchmark(streamjson.dumps, in_memory)) == json_length("records")


# -- indent=2 ---------------------------------------------------------------------------


@pytest.mark.benchmark(group="indent2")
def test_streamjson_dump_generator_indent2(benchmark: Any) -> None:
    assert benchmark(lambda: _sj_dump(records(N), indent=2)) == json_length("records", 2)


@pytest.mark.benchmark(group="indent2")
def test_json_dumps_indent2(benchmark: Any) -> None:
    assert benchmark(lambda: _json_dumps(list(records(N)), indent=2)) == json_length("records", 2)


# -- one small document -----------------------------------------------------------------


@pytest.mark.benchmark(group="small")
def test_streamjson_dumps_small_record(benchmark: Any) -> None:
    rec = record(7)
    assert benchmark(streamjson.dumps, rec) == json.dumps(rec)


@pytest.mark.benchmark(group="small")
def test_streamjson_dumps_small_record_fast(benchmark: Any) -> None:
    kw = _fast_kw_or_skip()
    rec = record(7)
    assert json.loads(benchmark(streamjson.dumps, rec, **kw)) == json.loads(json.dumps(rec))


@pytest.mark.benchmark(group="small")
def test_json_dumps_small_record(benchmark: Any) -> None:
    rec = record(7)
    assert benchmark(json.dumps, rec) == json.dumps(rec)


# -- JSON Lines (once streamjson has dump_lines) ----------------------------------------


@pytest.mark.benchmark(group="lines")
def test_streamjson_dump_lines(benchmark: Any) -> None:
    dump_lines = getattr(streamjson, "dump_lines", None)
    if dump_lines is None:
        pytest.skip("streamjson.dump_lines does not exist yet")

    def run() -> int:
        sink = CountingSink()
        dump_lines(records(N), sink)
        return sink.chars

    assert benchmark(run) == json_length("lines")


@pytest.mark.benchmark(group="lines")
def test_json_dumps_write_loop_lines(benchmark: Any) -> None:
    def run() -> int:
        sink = CountingSink()
        write = sink.write
        dumps = json.dumps
        for rec in records(N):
            write(dumps(rec) + "\n")
        return sink.chars

    assert benchmark(run) == json_length("lines")


# -- fast mode (once streamjson has one) ------------------------------------------------


def _fast_kw() -> dict[str, Any] | None:
    env = os.environ.get("STREAMJSON_FAST_KW")
    if env:
        return dict(json.loads(env))
    params = inspect.signature(streamjson.dump).parameters
    if "fast" in params:
        return {"fast": True}
    if "engine" in params:
        return {"engine": "orjson"}
    return None


def _fast_kw_or_skip() -> dict[str, Any]:
    """The keywords that turn fast mode on; skips the case if it or orjson is missing."""
    kw = _fast_kw()
    if kw is None:
        pytest.skip("streamjson has no fast mode yet (set STREAMJSON_FAST_KW to name it)")
    pytest.importorskip("orjson")
    return kw


@pytest.mark.benchmark(group="generator")
def test_streamjson_dump_generator_fast(benchmark: Any) -> None:
    kw = _fast_kw_or_skip()
    assert benchmark(lambda: _sj_dump(records(N), **kw)) > 0
