"""Concurrency: encoding state is per call, and a shared LinesWriter never cuts a line."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import streamjson
from streamjson import Object

pytestmark = pytest.mark.reliability

THREADS = 8


@pytest.fixture(autouse=True)
def switch_often() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # hand the GIL over often (the sources also yield it)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def run_threads(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(t)`` in THREADS threads released together; their results, or raise."""
    start = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS
    errors: list[BaseException] = []

    def main(t: int) -> None:
        try:
            start.wait()
            results[t] = work(t)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=main, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return results


class Odd:
    def __init__(self, t: int, i: int) -> None:
        self.t, self.i = t, i


def yielding(items: list[Any]) -> Iterator[Any]:
    for item in items:
        os.sched_yield()  # let the other threads run in the middle of this document
        yield item


# Each thread gets its own document and options, so any state shared by mistake between
# calls (markers, replayed default() results, cached encoders...) shows as a wrong text.
OPTIONS: list[dict[str, Any]] = [
    {},
    {"indent": 2},
    {"sort_keys": True},
    {"ensure_ascii": False},
    {"separators": (",", ":"), "sort_keys": True},
    {"indent": "\t", "ensure_ascii": False},
    {"default": lambda o: f"odd{o.t}.{o.i}"},
    {"default": lambda o: [o.t, o.i], "indent": 1},
]


def document(t: int, lazy: bool) -> Any:
    rows = [
        {
            "t": t,
            "i": i,
            "name": f"é{t}😀{i}",
            "x": i / 7,
            "tags": [t, i, None],
            "odd": Odd(t, i) if "default" in OPTIONS[t] else i,
        }
        for i in range(150)
    ]
    deep: Any = [t]
    for _ in range(50):
        deep = {"d": [deep]}
    if not lazy:
        return {
            "thread": t,
            "rows": rows,
            "pairs": {str(i): i for i in range(t * 10)},
            "deep": deep,
        }
    return {
        "thread": t,
        "rows": yielding(rows),
        "pairs": Object(yielding([(str(i), i) for i in range(t * 10)])),
        "deep": deep,
    }


def json_twin(t: int) -> str:
    return json.dumps(document(t, lazy=False), **OPTIONS[t])


def encode_via(how: str, t: int, tmp_path: Path) -> str:
    doc, kw = document(t, lazy=True), OPTIONS[t]
    if how == "dumps":
        return streamjson.dumps(doc, **kw)
    if how == "iterencode":
        return "".join(streamjson.iterencode(doc, chunk_size=97, **kw))
    if how == "dump-binary":
        out = io.BytesIO()
        streamjson.dump(doc, out, chunk_size=128, **kw)
        return out.getvalue().decode("utf-8")
    if how == "dump-text":
        text = io.StringIO()
        streamjson.dump(doc, text, chunk_size=256, **kw)
        return text.getvalue()
    path = tmp_path / f"t{t}.json"
    streamjson.dump(doc, path, chunk_size=512, **kw)
    return path.read_text("utf-8")


@pytest.mark.parametrize("how", ["dumps", "iterencode", "dump-binary", "dump-text", "path"])
def test_eight_threads_dumping_at_once_each_get_their_own_document(
    how: str, tmp_path: Path
) -> None:
    expected = [json_twin(t) for t in range(THREADS)]
    alone = [encode_via(how, t, tmp_path) for t in range(THREADS)]
    assert alone == expected
    assert run_threads(lambda t: encode_via(how, t, tmp_path)) == expected


def test_eight_threads_mixing_every_entry_point_and_failures() -> None:
    """Half the calls fail half way (a source fails deep down); the others are unaffected."""
    expected = [json_twin(t) for t in range(THREADS)]

    class SourceDown(Exception):
        pass

    def failing() -> Iterator[int]:
        yield from yielding([1, 2])
        raise SourceDown

    def work(t: int) -> list[str]:
        got = []
        for round_ in range(4):
            if (t + round_) % 2:
                bad = document(t, lazy=True)
                bad["deep"] = {"d": [failing()]}  # after some text was written
                with pytest.raises(SourceDown):
                    streamjson.dump(bad, io.StringIO(), chunk_size=64, **OPTIONS[t])
            else:
                got.append(encode_via(["dumps", "iterencode", "dump-binary"][t % 3], t, Path(".")))
        return got

    for t, texts in enumerate(run_threads(work)):
        assert texts == [expected[t]] * 2


# -- a LinesWriter shared by eight threads -------------------------------------------------------


class Trickle(io.RawIOBase):
    """A raw file that takes a few bytes a call and lets other threads run in between:
    if a line were not written under one lock, another thread's bytes would land inside it."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.calls += 1
        n = 1 + self.calls * 7919 % 1999
        self.data += bytes(b[:n])
        os.sched_yield()
        return min(n, len(b))


def line_docs(t: int, n: int) -> list[dict[str, Any]]:
    return [
        {"t": t, "i": i, "pad": "é" * (i % 50), "big": list(range(i % 3 * 150))} for i in range(n)
    ]


@pytest.mark.parametrize("sink", ["trickle", "path", "socket"])
def test_a_lines_writer_shared_by_eight_threads_never_interleaves_and_counts_exactly(
    sink: str, tmp_path: Path
) -> None:
    per_thread = 150
    target: Any
    reader: threading.Thread | None = None
    received = bytearray()
    if sink == "trickle":
        target = Trickle()
    elif sink == "path":
        target = tmp_path / "out.jsonl"
    else:
        target, peer = socket.socketpair()

        def read() -> None:
            while chunk := peer.recv(65536):
                received.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()

    with streamjson.LinesWriter(target, chunk_size=512) as w:

        def work(t: int) -> None:
            docs = line_docs(t, per_thread)
            if t % 2:
                for doc in docs:
                    w.write(doc)
            else:  # write_all writes blocks of whole lines, between other threads' lines
                w.write_all(iter(docs))

        run_threads(work)

    if sink == "trickle":
        data = bytes(target.data)
    elif sink == "path":
        data = target.read_bytes()
    else:
        target.shutdown(socket.SHUT_WR)
        assert reader is not None
        reader.join()
        target.close()
        peer.close()
        data = bytes(received)
    lines = data.decode("utf-8").split("\n")
    assert lines.pop() == ""  # the last line ends with a newline too
    assert len(lines) == THREADS * per_thread
    expected = {json.dumps(d) for t in range(THREADS) for d in line_docs(t, per_thread)}
    assert set(lines) == expected  # every line whole and byte-exact: none cut, none merged
    for t in range(THREADS):  # and each thread's lines in the order it wrote them
        assert [json.loads(x)["i"] for x in lines if json.loads(x)["t"] == t] == list(
            range(per_thread)
        )


def test_an_array_writer_shared_by_eight_threads_writes_whole_elements() -> None:
    sink = Trickle()
    with streamjson.ArrayWriter(sink, chunk_size=256, indent=1) as w:

        def work(t: int) -> None:
            for doc in line_docs(t, 100):
                w.write(doc)

        run_threads(work)
    got = json.loads(sink.data)
    assert len(got) == THREADS * 100
    assert sorted(json.dumps(d) for d in got) == sorted(
        json.dumps(d) for t in range(THREADS) for d in line_docs(t, 100)
    )
    # the text is what dumps writes for the list in the order the elements landed
    assert bytes(sink.data).decode() == json.dumps(got, indent=1)


LINE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"sort_keys": True},
    {"ensure_ascii": False},
    {"separators": (",", ":")},
]


def test_dump_lines_from_eight_threads_to_eight_sinks() -> None:
    def work(t: int) -> bytes:
        out = io.BytesIO()
        streamjson.dump_lines(
            yielding(line_docs(t, 100)), out, chunk_size=300, **LINE_OPTIONS[t % 4]
        )
        return out.getvalue()

    for t, data in enumerate(run_threads(work)):
        kw = LINE_OPTIONS[t % 4]
        assert data == "".join(json.dumps(d, **kw) + "\n" for d in line_docs(t, 100)).encode()
