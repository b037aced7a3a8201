"""pytest-benchmark cases for streamjson's hot paths, each beside its stdlib json twin.

Not part of the normal suite (pytest collects tests/ only). Run from the repository
root with the ``bench`` extra installed::

    pytest benchmarks/test_bench_hot_paths.py                      # measure
    pytest benchmarks/test_bench_hot_paths.py --benchmark-disable  # just check they run
    pytest benchmarks/test_bench_hot_paths.py --benchmark-autosave # save, then --benchmark-compare

The cases are grouped so each streamjson case is shown next to json's. Sizes are
small (BENCH_RECORDS, 20,000 by default) so a run takes seconds; the peer comparison
(benchmarks/peers.py) is where the big-N figures come from.

Every case checks its output: json's very text, or for fast mode (orjson's text) text
that decodes to what json's does. A fast-but-wrong change cannot pass as a speed-up.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import pytest

pytest.importorskip("pytest_benchmark")

from records import META, record, records, records_list

import streamjson

N = int(os.environ.get("BENCH_RECORDS", "20000"))


class TextSink:
    """A text sink that keeps what is written to it, as a list of the pieces."""

    encoding = "utf-8"  # tells streamjson it is a text sink

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)


@functools.cache
def json_text(kind: str, indent: int | None = None) -> str:
    """json's text of the document ``kind`` names (computed once)."""
    if kind == "records":
        return json.dumps(records_list(N), indent=indent)
    if kind == "meta":
        return json.dumps({"meta": META, "data": records_list(N)}, indent=indent)
    if kind == "lines":
        return "".join(json.dumps(r) + "\n" for r in records(N))
    raise ValueError(kind)


@pytest.fixture(scope="module")
def in_memory() -> list[dict[str, Any]]:
    return records_list(N)


def _sj_dump(doc: Any, **kw: Any) -> str:
    sink = TextSink()
    streamjson.dump(doc, sink, **kw)
    return sink.text()


def _json_dumps(doc: Any, **kw: Any) -> str:
    sink = TextSink()
    sink.write(json.dumps(doc, **kw))
    return sink.text()


def _decodes_like_json(text: str, kind: str) -> bool:
    """Whether ``text`` decodes to what json's text of ``kind`` decodes to."""
    return bool(json.loads(text) == json.loads(json_text(kind)))


# -- a generator of records, streamed --------------------------------------------------


@pytest.mark.benchmark(group="generator")
def test_streamjson_dump_generator(benchmark: Any) -> None:
    assert benchmark(lambda: _sj_dump(records(N))) == json_text("records")


@pytest.mark.benchmark(group="generator")
def test_streamjson_dump_generator_fast(benchmark: Any) -> None:
    pytest.importorskip("orjson")
    assert _decodes_like_json(benchmark(lambda: _sj_dump(records(N), fast=True)), "records")


@pytest.mark.benchmark(group="generator")
def test_json_dumps_list_of_generator(benchmark: Any) -> None:
    assert benchmark(lambda: _json_dumps(list(records(N)))) == json_text("records")


@pytest.mark.benchmark(group="meta")
def test_streamjson_dump_meta_document(benchmark: Any) -> None:
    def run() -> str:
        return _sj_dump({"meta": META, "data": records(N)})

    assert benchmark(run) == json_text("meta")


@pytest.mark.benchmark(group="meta")
def test_json_dumps_meta_document(benchmark: Any) -> None:
    def run() -> str:
        return _json_dumps({"meta": META, "data": list(records(N))})

    assert benchmark(run) == json_text("meta")


# -- a list already in memory -----------------------------------------------------------


@pytest.mark.benchmark(group="list")
def test_streamjson_dump_list(benchmark: Any, in_memory: list[Any]) -> None:
    assert benchmark(lambda: _sj_dump(in_memory)) == json_text("records")


@pytest.mark.benchmark(group="list")
def test_json_dumps_list(benchmark: Any, in_memory: list[Any]) -> None:
    assert benchmark(lambda: _json_dumps(in_memory)) == json_text("records")


@pytest.mark.benchmark(group="list")
def test_streamjson_dumps_list(benchmark: Any, in_memory: list[Any]) -> None:
    assert benchmark(streamjson.dumps, in_memory) == json_text("records")


# -- indent=2 ---------------------------------------------------------------------------


@pytest.mark.benchmark(group="indent2")
def test_streamjson_dump_generator_indent2(benchmark: Any) -> None:
    assert benchmark(lambda: _sj_dump(records(N), indent=2)) == json_text("records", 2)


@pytest.mark.benchmark(group="indent2")
def test_json_dumps_indent2(benchmark: Any) -> None:
    assert benchmark(lambda: _json_dumps(list(records(N)), indent=2)) == json_text("records", 2)


# -- one small document -----------------------------------------------------------------


@pytest.mark.benchmark(group="small")
def test_streamjson_dumps_small_record(benchmark: Any) -> None:
    rec = record(7)
    assert benchmark(streamjson.dumps, rec) == json.dumps(rec)


@pytest.mark.benchmark(group="small")
def test_streamjson_dumps_small_record_fast(benchmark: Any) -> None:
    pytest.importorskip("orjson")
    rec = record(7)
    assert json.loads(benchmark(streamjson.dumps, rec, fast=True)) == json.loads(json.dumps(rec))


@pytest.mark.benchmark(group="small")
def test_json_dumps_small_record(benchmark: Any) -> None:
    rec = record(7)
    assert benchmark(json.dumps, rec) == json.dumps(rec)


# -- JSON Lines -------------------------------------------------------------------------


@pytest.mark.benchmark(group="lines")
def test_streamjson_dump_lines(benchmark: Any) -> None:
    def run() -> str:
        sink = TextSink()
        streamjson.dump_lines(records(N), sink)
        return sink.text()

    assert benchmark(run) == json_text("lines")


@pytest.mark.benchmark(group="lines")
def test_json_dumps_write_loop_lines(benchmark: Any) -> None:
    def run() -> str:
        sink = TextSink()
        write = sink.write
        dumps = json.dumps
        for rec in records(N):
            write(dumps(rec) + "\n")
        return sink.text()

    assert benchmark(run) == json_text("lines")
