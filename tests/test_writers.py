"""Push-style writers: LinesWriter and ArrayWriter."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import itertools
import json
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from streamjson._lines import dumps_lines
from streamjson._writers import ArrayWriter, LinesWriter
from tests import strategies as sts
from tests.helpers import OPENERS, Upper, aiterate, outcome, records


def write_in_groups(writer: Any, items: list[Any], groups: list[int]) -> None:
    """Write ``items`` with write() (group size 0) or write_all() of the next n items."""
    rest = iter(items)
    for n in groups:
        if n == 0:
            for item in rest:
                writer.write(item)
                break
        else:
            writer.write_all(list(itertools.islice(rest, n)))
    writer.write_all(rest)


# -- ArrayWriter ---------------------------------------------------------------------


@given(
    st.lists(sts.values, max_size=10),
    sts.options,
    st.lists(st.integers(0, 3), max_size=8),
    st.sampled_from([1, 7, 64, 65536]),
    st.booleans(),
)
def test_array_writer_equals_dumps_of_the_list(
    items: list[Any], options: dict[str, Any], groups: list[int], chunk_size: int, lazy: bool
) -> None:
    expected = outcome(lambda: json.dumps(items, **options))

    def run() -> str:
        out = io.StringIO()
        with ArrayWriter(out, chunk_size=chunk_size, **options) as writer:
            write_in_groups(writer, [sts.lazy(v) for v in items] if lazy else items, groups)
        return out.getvalue()

    assert outcome(run) == expected


@given(st.lists(sts.values_and_unsupported, max_size=8), sts.options)
def test_a_failed_write_leaves_the_writer_usable(items: list[Any], options: dict[str, Any]) -> None:
    out = io.StringIO()
    written = []
    with ArrayWriter(out, **options) as writer:
        for item in items:
            expected = outcome(functools.partial(json.dumps, [item], **options))
            got = outcome(functools.partial(writer.write, item))
            if expected[0] == "ok":
                assert got == ("ok", None)
                written.append(item)
            else:
                assert got == expected
    assert out.getvalue() == json.dumps(written, **options)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"indent": 2},
        {"indent": "\t", "separators": (",", ": ")},
        {"separators": (",", ":")},
        {"indent": 0},
        {"sort_keys": True, "ensure_ascii": False},
    ],
    ids=repr,
)
def test_array_writer_of_records_and_streams(options: dict[str, Any]) -> None:
    out = io.StringIO()
    with ArrayWriter(out, chunk_size=100, **options) as writer:
        writer.write({"first": True})
        writer.write_all(records(300))
        writer.write_all([])
        writer.write(streamjson.Object(("k", iter(range(3))) for _ in range(1)))
        writer.write_all(iter([[1, [2, {}]], ()]))
        writer.write(records(2))
    expected = [
        {"first": True},
        *records(300),
        {"k": [0, 1, 2]},
        [1, [2, {}]],
        [],
        list(records(2)),
    ]
    assert out.getvalue() == json.dumps(expected, **options)


def test_an_array_writer_given_nothing_writes_an_empty_array(tmp_path: Path) -> None:
    out = io.StringIO()
    with ArrayWriter(out, indent=2) as writer:
        writer.write_all([])
    assert out.getvalue() == "[]"
    ArrayWriter(tmp_path / "a.json").close()
    assert (tmp_path / "a.json").read_text() == "[]"


def test_array_writer_to_a_path_and_binary_sinks(tmp_path: Path) -> None:
    path = tmp_path / "a.json.gz"
    with ArrayWriter(path, indent=1) as writer:
        writer.write_all(records(1000))
    with gzip.open(path, "rt", encoding="utf-8") as f:
        assert f.read() == json.dumps(list(records(1000)), indent=1)
    out = io.BytesIO()
    with ArrayWriter(out, ensure_ascii=False) as writer:
        writer.write("é")
    assert out.getvalue() == '["é"]'.encode()


def test_an_exception_in_the_block_leaves_a_path_untouched(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("previous")
    with pytest.raises(KeyError, match="user's"), ArrayWriter(path, chunk_size=10) as writer:
        writer.write_all(records(10_000))
        raise KeyError("user's")
    assert writer.closed
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["a.json"]


def test_an_exception_in_the_block_leaves_a_stream_unclosed() -> None:
    out = io.StringIO()
    with pytest.raises(KeyError, match="user's"), ArrayWriter(out, indent=2) as writer:
        writer.write({"a": 1})
        writer.write(2)
        raise KeyError("user's")
    text = out.getvalue()
    complete = json.dumps([{"a": 1}, 2], indent=2)
    assert text == complete[: -len("\n]")]  # the elements written, no closing bracket
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_a_large_element_failing_half_way_fails_the_writer(tmp_path: Path) -> None:
    def rows() -> Iterator[Any]:
        yield from range(10_000)  # several chunks are written before the failure
        yield {1}

    path = tmp_path / "a.json"
    path.write_text("previous")
    writer = ArrayWriter(path, chunk_size=100)
    writer.write("fine")
    with pytest.raises(TypeError, match="not JSON serializable"):
        writer.write(rows())
    with pytest.raises(ValueError, match="an earlier write failed"):
        writer.write(1)
    with pytest.raises(ValueError, match="ArrayWriter not completed"):
        writer.close()
    writer.close()  # closing again does nothing
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["a.json"]


def test_a_failure_in_write_all_fails_the_writer() -> None:
    writer = ArrayWriter(io.StringIO())
    with pytest.raises(TypeError, match="not JSON serializable"):
        writer.write_all([1, 2, object()])
    with pytest.raises(ValueError, match="an earlier write failed"):
        writer.write(3)
    with pytest.raises(ValueError, match="not completed"):
        writer.close()


def test_array_writer_misuse() -> None:
    writer = ArrayWriter(io.StringIO())
    writer.close()
    with pytest.raises(ValueError, match="write to a closed ArrayWriter"):
        writer.write(1)
    with pytest.raises(ValueError, match="write to a closed ArrayWriter"):
        writer.write_all([1])
    with pytest.raises(TypeError, match="ArrayWriter cannot honour cls=Upper"):
        ArrayWriter(io.StringIO(), cls=Upper)
    with pytest.raises(TypeError, match=r"write\(\) method"):
        ArrayWriter(42)
    with pytest.raises(TypeError, match="expected an iterable"):
        ArrayWriter(io.StringIO()).write_all("abc")


def test_array_writer_refuses_async_sources() -> None:
    out = io.StringIO()
    with ArrayWriter(out) as writer:
        with pytest.raises(TypeError, match=r"use streamjson.dump_async\(\) instead"):
            writer.write({"a": aiterate(range(1))})
        writer.write(1)
        with pytest.raises(TypeError, match=r"use streamjson.dump_async\(\) instead"):
            ArrayWriter(io.StringIO()).write_all(aiterate(range(1)))  # type: ignore[arg-type]
    assert out.getvalue() == "[1]"


def test_writing_from_inside_an_element_is_an_error() -> None:
    writer = ArrayWriter(io.StringIO())

    def sneaky() -> Iterator[int]:
        writer.write(0)
        yield 1

    with pytest.raises(RuntimeError, match="while it was writing an element"):
        writer.write(sneaky())


def test_array_writer_threads_write_whole_elements() -> None:
    out = io.StringIO()
    with ArrayWriter(out, chunk_size=50) as writer:

        def work(tag: int) -> None:
            for r in records(500, tag):
                writer.write(r)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    got = json.loads(out.getvalue())
    assert sorted(got, key=lambda r: (r["tag"], r["id"])) == [
        r for t in range(4) for r in records(500, t)
    ]


# -- LinesWriter ---------------------------------------------------------------------


@given(st.lists(sts.values, max_size=10), sts.line_options, st.lists(st.integers(0, 3), max_size=6))
def test_lines_writer_writes_what_dumps_lines_writes(
    items: list[Any], options: dict[str, Any], groups: list[int]
) -> None:
    expected = outcome(lambda: dumps_lines(items, **options))

    def run() -> str:
        out = io.StringIO()
        with LinesWriter(out, chunk_size=16, **options) as writer:
            write_in_groups(writer, items, groups)
        return out.getvalue()

    assert outcome(run) == expected


def test_lines_writer_items_may_stream_and_cls_is_honoured() -> None:
    out = io.StringIO()
    with LinesWriter(out, default=sorted) as writer:
        writer.write({"rows": iter(range(3)), "set": {2, 1}})
        writer.write(streamjson.Object([("a", [1])]))
    assert out.getvalue() == '{"rows": [0, 1, 2], "set": [1, 2]}\n{"a": [1]}\n'
    out = io.StringIO()
    with LinesWriter(out, cls=Upper) as writer:
        writer.write({"a": "b"})
        writer.write_all([["c"]])
    assert out.getvalue() == '{"A": "B"}\n["C"]\n'


@pytest.mark.parametrize("kw", [{"indent": 2}, {"indent": 0}, {"separators": (",\n", ":")}])
def test_lines_writer_refuses_options_that_break_lines(kw: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"indent|line break"):
        LinesWriter(tmp_path / "x.jsonl", **kw)
    assert os.listdir(tmp_path) == []


def test_lines_writer_misuse(tmp_path: Path) -> None:
    writer = LinesWriter(io.StringIO())
    writer.close()
    with pytest.raises(ValueError, match="write to a closed LinesWriter"):
        writer.write(1)
    with pytest.raises(ValueError, match="write to a closed LinesWriter"):
        writer.write_all([1])
    with pytest.raises(ValueError, match="append=True needs a path"):
        LinesWriter(io.StringIO(), append=True)
    with pytest.raises(ValueError, match="use append=True"):
        LinesWriter(tmp_path / "x.jsonl", flush=True)
    with pytest.raises(ValueError, match="compressed"):
        LinesWriter(tmp_path / "x.jsonl.gz", flush=True, append=True)
    with pytest.raises(TypeError, match="expected an iterable"):
        LinesWriter(io.StringIO()).write_all({"a": 1})
    assert os.listdir(tmp_path) == []


def test_lines_writer_refuses_async_sources() -> None:
    out = io.StringIO()
    with LinesWriter(out) as writer:
        with pytest.raises(TypeError, match=r"use streamjson.dump_lines_async\(\) instead"):
            writer.write([aiterate(range(1))])
        writer.write(1)  # nothing was written for the failed one: the writer goes on
    assert out.getvalue() == "1\n"
    with pytest.raises(TypeError, match=r"use streamjson.dump_lines_async\(\) instead"):
        LinesWriter(io.StringIO()).write_all(aiterate(range(1)))  # type: ignore[arg-type]


def test_a_failed_write_writes_nothing_and_a_failed_write_all_fails_the_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("previous\n")
    writer = LinesWriter(path)
    writer.write(1)
    with pytest.raises(TypeError, match="not JSON serializable"):
        writer.write({"a": object()})
    writer.write(2)
    with pytest.raises(TypeError, match="not JSON serializable"):
        writer.write_all([3, object()])
    with pytest.raises(ValueError, match="LinesWriter cannot be written to"):
        writer.write(4)
    with pytest.raises(ValueError, match="LinesWriter not completed"):
        writer.close()
    assert path.read_text() == "previous\n"
    assert os.listdir(tmp_path) == ["x.jsonl"]


class Broken(io.StringIO):
    def write(self, text: str) -> int:
        if "boom" in text:
            raise OSError("disk full")
        return super().write(text)


def test_a_failing_sink_fails_the_writer() -> None:
    out = Broken()
    writer = LinesWriter(out)
    writer.write("ok")
    with pytest.raises(OSError, match="disk full"):
        writer.write("boom")
    with pytest.raises(ValueError, match="cannot be written to"):
        writer.write("more")
    with pytest.raises(ValueError, match="not completed"):
        writer.close()
    assert out.getvalue() == '"ok"\n'


def test_a_path_appears_whole_on_close(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("previous\n")
    with LinesWriter(path) as writer:
        writer.write_all(records(50_000))
        assert path.read_text() == "previous\n"
    assert [json.loads(line) for line in path.read_text().splitlines()] == list(records(50_000))
    with pytest.raises(KeyError), LinesWriter(path) as writer:
        writer.write(1)
        raise KeyError("user's")
    assert len(path.read_text().splitlines()) == 50_000
    assert os.listdir(tmp_path) == ["x.jsonl"]


def test_append_creates_then_appends_and_keeps_lines_on_error(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with LinesWriter(path, append=True) as writer:
        writer.write({"n": 1})
    with pytest.raises(KeyError), LinesWriter(path, append=True) as writer:
        writer.write_all([{"n": 2}, {"n": 3}])
        raise KeyError("user's")
    assert path.read_text() == '{"n": 1}\n{"n": 2}\n{"n": 3}\n'


@pytest.mark.parametrize("suffix", list(OPENERS))
def test_append_to_a_compressed_file_adds_a_stream(tmp_path: Path, suffix: str) -> None:
    opener = OPENERS[suffix]
    path = tmp_path / f"log.jsonl{suffix}"
    for n in range(3):
        with LinesWriter(path, append=True) as writer:
            writer.write({"session": n})
    with opener(path, "rt") as f:
        assert [json.loads(line) for line in f] == [{"session": n} for n in range(3)]


def readable(fd: int) -> bytes:
    """What can be read from ``fd`` now, without waiting."""
    got = b""
    while select.select([fd], [], [], 0.2)[0]:
        data = os.read(fd, 65536)
        if not data:
            break
        got += data
    return got


@pytest.mark.skipif(sys.platform == "win32", reason="select() on a pipe")
def test_flush_shows_each_line_to_a_reader_before_close(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with LinesWriter(path, append=True, flush=True) as writer, open(path, "rb") as tail:
        for n in range(3):
            writer.write({"n": n})
            assert tail.read() == b'{"n": %d}\n' % n

    r, w = os.pipe()
    with open(r, "rb", buffering=0) as reader, open(w, "w", encoding="utf-8") as pipe:
        with LinesWriter(pipe, flush=True) as writer:
            writer.write("first")
            assert readable(reader.fileno()) == b'"first"\n'
            writer.write_all(["second", "third"])
            assert readable(reader.fileno()) == b'"second"\n"third"\n'
        with LinesWriter(pipe) as writer:  # without flush the line waits in the buffer
            writer.write("buffered")
            assert readable(reader.fileno()) == b""
        assert readable(reader.fileno()) == b'"buffered"\n'  # close() flushes the stream


def test_lines_reach_a_socket_peer_at_once() -> None:
    left, right = socket.socketpair()
    with left, right, LinesWriter(left, flush=True) as writer:
        writer.write({"event": 1})
        right.settimeout(5)
        assert right.recv(100) == b'{"event": 1}\n'


class Fragile(io.TextIOBase):
    """A sink whose write is not atomic: unguarded writers would cut each other's lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        half = len(text) // 2
        self.parts.append(text[:half])
        time.sleep(0)  # let another thread in between the halves
        self.parts.append(text[half:])
        return len(text)


@pytest.mark.parametrize("sink", ["path", "fragile"])
def test_eight_threads_never_cut_a_line(tmp_path: Path, sink: str) -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    fragile = Fragile()
    target: Any = tmp_path / "x.jsonl" if sink == "path" else fragile
    try:
        with LinesWriter(target, chunk_size=256) as writer:

            def work(tag: int) -> None:
                if tag % 2:
                    for record in records(10_000, tag):
                        writer.write(record)
                else:  # write_all writes blocks of whole lines, between other threads' lines
                    writer.write_all(records(10_000, tag))

            threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(old)
    text = (tmp_path / "x.jsonl").read_text() if sink == "path" else "".join(fragile.parts)
    got = [json.loads(line) for line in text.splitlines()]
    assert len(got) == 80_000
    for tag in range(8):
        assert [r for r in got if r["tag"] == tag] == list(records(10_000, tag))


# -- the logging example -----------------------------------------------------------


def test_the_logging_example_writes_one_event_a_line(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "log_events", Path(__file__).parent.parent / "examples" / "log_events.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    path = tmp_path / "events.jsonl"
    example.main([str(path), "--threads", "4", "--events", "500"])
    example.main([str(path), "--threads", "1", "--events", "1"])  # appends
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(events) == (3 + 4 * 500) + (3 + 1)
    assert events[0]["message"] == "shop opened" and events[0]["threads"] == 4
    orders = [e for e in events[:2003] if e["message"] == "order placed"]
    assert sorted((e["worker"], e["order"]) for e in orders) == [
        (w, i) for w in range(4) for i in range(500)
    ]
    failure = next(e for e in events if e["level"] == "ERROR")
    assert "ZeroDivisionError" in failure["exception"] and failure["till"] == 3
    assert isinstance(failure["opened"], str)  # default=str for what JSON cannot hold
