"""Faults injected into sinks and sources: the error comes out, nothing is lost or
written twice, every generator is closed, and a path target keeps its previous file."""

from __future__ import annotations

import array
import contextlib
import fcntl
import io
import json
import os
import socket
import stat
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import streamjson
from streamjson import Object
from tests.faults import (
    Fault,
    FaultyBuffered,
    FaultyRaw,
    FaultyText,
    Stingy,
    Tracker,
    failing_disk,
    faulty_socket,
    listing,
    open_fds,
)

pytestmark = pytest.mark.reliability

OLD = '{"previous": "complete document"}'
ROWS = 1500
CHUNK = 4096  # several chunks, so that faults land in the first, a middle and the last


# -- the document: generators inside generators, an Object, non-ASCII text ---------------


def row(i: int, tr: Tracker | None) -> dict[str, Any]:
    sub: Any = list(range(i % 7))
    if tr is not None and i % 300 == 0:
        sub = tr.gen(f"sub{i}", sub)
    return {"i": i, "name": f"client é😀 {i}", "score": i / 7, "sub": sub}


def document(tr: Tracker | None) -> Any:
    """The document with lazy parts (tr given) or its materialised twin (tr None)."""
    rows = (row(i, tr) for i in range(ROWS))
    summary = [("count", ROWS), ("ok", True)]
    if tr is None:
        return {"meta": {"v": [1, 2]}, "rows": list(rows), "summary": dict(summary)}
    return {
        "meta": {"v": [1, 2]},
        "rows": tr.gen("rows", rows),
        "summary": Object(tr.gen("summary", summary)),
    }


def lines(tr: Tracker | None) -> Any:
    rows = (row(i, tr) for i in range(ROWS))
    return list(rows) if tr is None else tr.gen("lines", rows)


ENTRIES: dict[
    str, tuple[Callable[[Tracker | None], Any], Callable[..., None], Callable[[Any], str]]
] = {
    "dump": (document, streamjson.dump, lambda twin: json.dumps(twin, ensure_ascii=False)),
    "dump_lines": (
        lines,
        streamjson.dump_lines,
        lambda twin: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in twin),
    ),
}


def expected_text(entry: str) -> str:
    make, _, dumps = ENTRIES[entry]
    return dumps(make(None))


# -- sinks, each failing as its kind does --------------------------------------------------

SINKS = ["raw", "buffered", "text", "socket", "path", "path.gz"]


def make_sink(kind: str, fault: Fault, tmp_path: Path) -> Any:
    if kind == "raw":
        return FaultyRaw(fault)
    if kind == "buffered":
        return FaultyBuffered(fault)
    if kind == "text":
        return FaultyText(fault)
    if kind == "socket":
        return faulty_socket(fault)
    return tmp_path / ("out.json.gz" if kind == "path.gz" else "out.json")


def run(entry: str, kind: str, fault: Fault, tmp_path: Path, monkeypatch: Any, tr: Tracker) -> None:
    make, write, _ = ENTRIES[entry]
    sink = make_sink(kind, fault, tmp_path)
    try:
        if kind.startswith("path"):
            with failing_disk(monkeypatch, fault):
                write(make(tr), sink, ensure_ascii=False, chunk_size=CHUNK)
        else:
            write(make(tr), sink, ensure_ascii=False, chunk_size=CHUNK)
    finally:
        if isinstance(sink, socket.socket):
            sink.close()


def offsets(entry: str, kind: str, tmp_path: Path, monkeypatch: Any) -> dict[str, int]:
    """Byte (or, for text, character) offsets of each class, from a run that does not fail."""
    clean = Fault(float("inf"), "EIO", partial=True)
    run(entry, kind, clean, tmp_path, monkeypatch, Tracker())
    for name in os.listdir(tmp_path):
        os.unlink(tmp_path / name)
    total = clean.size
    assert len(clean.sizes) >= 3, clean.sizes  # a first, a middle and a last write
    return {
        "first-write": 0,
        "middle": total // 2,
        "last-write": total - clean.sizes[-1],
        "closing-bracket": total - 1,
    }


@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("where", ["first-write", "middle", "last-write", "closing-bracket"])
@pytest.mark.parametrize("error", ["ENOSPC", "EPIPE", "EIO"])
@pytest.mark.parametrize("kind", SINKS)
def test_a_failing_sink_raises_its_error_closes_every_generator_and_keeps_the_old_file(
    kind: str, error: str, where: str, entry: str, tmp_path: Path, monkeypatch: Any
) -> None:
    limit = offsets(entry, kind, tmp_path, monkeypatch)[where]
    target = tmp_path / ("out.json.gz" if kind == "path.gz" else "out.json")
    if kind.startswith("path"):
        target.write_text(OLD)
    fault = Fault(limit, error, partial=kind in ("raw", "socket", "path", "path.gz"))
    tr = Tracker()

    with pytest.raises(OSError) as info:
        run(entry, kind, fault, tmp_path, monkeypatch, tr)

    assert info.value is fault.raised[0]  # the original error, not one raised while cleaning up
    assert len(fault.raised) == 1  # nothing was written to the failed sink again
    assert tr.started and tr.all_closed(), (tr.started, tr.finished)
    if kind.startswith("path"):
        assert target.read_text() == OLD
        assert listing(tmp_path) == [target.name]  # no temporary file left behind
        return
    text = expected_text(entry)
    if kind == "text":
        got = "".join(fault.text)
        assert text.startswith(got) and len(got) <= limit
    else:
        data = text.encode("utf-8")
        assert data.startswith(bytes(fault.taken))  # nothing written twice, nothing skipped
        if fault.partial:
            assert len(fault.taken) == limit  # everything up to the fault reached the sink
        else:
            assert len(fault.taken) <= limit


# -- the real thing: a full device, a peer that hangs up -----------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "open_",
    [
        lambda: open("/dev/full", "wb", buffering=0),
        lambda: open("/dev/full", "wb"),
        lambda: open("/dev/full", "w", encoding="utf-8"),
    ],
    ids=["raw", "buffered", "text"],
)
def test_a_full_device_is_enospc_and_every_generator_is_closed(open_: Callable[[], Any]) -> None:
    tr = Tracker()
    f = open_()
    try:
        with pytest.raises(OSError) as info:
            # far more than any buffer: the device is written to during dump
            streamjson.dump({"rows": tr.gen("rows", ({"i": i} for i in range(200_000)))}, f)
    finally:
        with contextlib.suppress(OSError):
            f.close()  # what is still buffered cannot be flushed either
    assert info.value.errno == 28  # ENOSPC
    assert tr.started and tr.all_closed()


def test_a_socket_peer_that_hangs_up_is_epipe_and_the_source_is_closed() -> None:
    a, b = socket.socketpair()
    tr = Tracker()

    def peer() -> None:
        b.recv(1000)
        b.close()

    t = threading.Thread(target=peer)
    t.start()
    try:
        with pytest.raises(OSError) as info:
            streamjson.dump({"rows": tr.gen("rows", ({"i": i} for i in range(10**7)))}, a)
    finally:
        t.join()
        a.close()
    assert isinstance(info.value, (BrokenPipeError, ConnectionResetError))
    assert tr.started and tr.all_closed()


# -- the last steps of a path target: fsync, rename, compression trailer ------------------


@pytest.mark.parametrize("step", ["fsync", "replace"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_a_path_whose_fsync_or_rename_fails_keeps_the_old_file(
    step: str, suffix: str, tmp_path: Path, monkeypatch: Any
) -> None:
    target = tmp_path / f"out.json{suffix}"
    target.write_bytes(b"OLD")
    boom = OSError(5, "Input/output error")

    def fail(*args: Any, **kw: Any) -> None:
        raise boom

    tr = Tracker()
    with monkeypatch.context() as m:
        m.setattr(os, step, fail)
        with pytest.raises(OSError) as info:
            streamjson.dump({"rows": tr.gen("rows", range(100_000))}, target)
    assert info.value is boom
    assert tr.all_closed()
    assert target.read_bytes() == b"OLD"
    assert listing(tmp_path) == [target.name]


def test_a_path_with_no_previous_file_is_not_created_by_a_failed_dump(
    tmp_path: Path, monkeypatch: Any
) -> None:
    fault = Fault(100_000, "ENOSPC", partial=True)
    with failing_disk(monkeypatch, fault), pytest.raises(OSError):
        streamjson.dump({"rows": ({"i": i} for i in range(100_000))}, tmp_path / "new.json")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("writer", ["LinesWriter", "ArrayWriter"])
def test_writers_on_a_failing_disk_keep_the_old_file(
    writer: str, tmp_path: Path, monkeypatch: Any
) -> None:
    cls = getattr(streamjson, writer)
    target = tmp_path / "out.json"
    target.write_text(OLD)
    fault = Fault(50_000, "ENOSPC", partial=True)
    with (
        failing_disk(monkeypatch, fault),
        pytest.raises(OSError) as info,
        cls(target, chunk_size=CHUNK) as w,
    ):
        for i in range(20_000):
            w.write({"i": i, "name": "é" * 10})
    assert info.value is fault.raised[0] and len(fault.raised) == 1
    assert target.read_text() == OLD
    assert listing(tmp_path) == [target.name]


@pytest.mark.parametrize(
    "how", ["dump", "dump.gz", "dump.bz2", "dump.xz", "dump.zst", "LinesWriter", "ArrayWriter"]
)
def test_a_path_target_raises_the_disk_error_itself(
    how: str, tmp_path: Path, monkeypatch: Any
) -> None:
    suffix = how.partition(".")[2]
    target = tmp_path / ("out.json." + suffix if suffix else "out.json")
    fault = Fault(0, "EIO", partial=True)  # the disk fails from the first byte
    docs = ({"i": i, "name": "é" * 10} for i in range(20_000))
    with failing_disk(monkeypatch, fault), pytest.raises(OSError) as info:
        if how.startswith("dump"):
            streamjson.dump(docs, target, chunk_size=CHUNK)
        else:
            cls = getattr(streamjson, how)
            with cls(target, chunk_size=CHUNK) as w:
                for doc in docs:
                    w.write(doc)
    assert info.value is fault.raised[0]
    assert len(fault.raised) == 1  # and the failing disk was not written to again
    assert listing(tmp_path) == []


FD_FAILURES = ["disk-first", "disk-last", "source", "fsync", "replace", "fdopen"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
@pytest.mark.parametrize("failure", FD_FAILURES)
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz", ".zst"])
def test_a_failed_path_write_leaves_no_file_descriptor_open(
    suffix: str, failure: str, tmp_path: Path, monkeypatch: Any
) -> None:
    class SourceDown(Exception):
        pass

    down = SourceDown()

    def rows() -> Iterator[dict[str, int]]:
        yield from ({"i": i} for i in range(5000))
        if failure == "source":
            raise down

    target = tmp_path / f"out.json{suffix}"
    clean = Fault(float("inf"), "ENOSPC", partial=True)
    with failing_disk(monkeypatch, clean):  # how much reaches the disk when all goes well
        streamjson.dump(({"i": i} for i in range(5000)), target, chunk_size=CHUNK)
    target.write_bytes(b"OLD")
    fault = Fault(0 if failure == "disk-first" else clean.size - 1, "ENOSPC", partial=True)
    boom = OSError(5, "Input/output error")

    def fail(*args: Any, **kw: Any) -> None:
        raise boom

    before = open_fds()
    with contextlib.ExitStack() as stack:
        if failure.startswith("disk"):
            stack.enter_context(failing_disk(monkeypatch, fault))
        elif failure != "source":
            stack.enter_context(monkeypatch.context()).setattr(os, failure, fail)
        with pytest.raises((OSError, SourceDown)) as info:
            streamjson.dump(rows(), target, chunk_size=CHUNK)
    # the failure's own exception comes out, not one raised while cleaning up
    if failure.startswith("disk"):
        assert fault.raised == [info.value]
    else:
        assert info.value is (down if failure == "source" else boom)
    assert open_fds() == before
    assert target.read_bytes() == b"OLD"
    assert listing(tmp_path) == [target.name]


def test_a_path_write_fsyncs_the_file_renames_it_then_fsyncs_the_folder(
    tmp_path: Path, monkeypatch: Any
) -> None:
    target = tmp_path / "out.json"
    target.write_text(OLD)
    target.chmod(0o640)
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    streamjson.dump({"rows": ({"i": i} for i in range(1000))}, target)
    assert events == ["fsync file", "replace", "fsync folder"]
    assert json.loads(target.read_text()) == {"rows": [{"i": i} for i in range(1000)]}
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert listing(tmp_path) == [target.name]


# -- short writes: the output is complete and written once ---------------------------------


class StingyBuffered(io.BufferedIOBase):
    """A buffered file that takes part of a write and says so with BlockingIOError."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.calls += 1
        if self.calls % 2 and len(b) > 3:
            k = len(b) // 3
            self.data += bytes(b[:k])
            raise BlockingIOError(11, "would block", k)
        self.data += bytes(b)
        return len(b)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-8-sig"])
@pytest.mark.parametrize("sink", ["short", "none", "blocking", "buffered-partial"])
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_short_writes_give_the_whole_document_once(entry: str, sink: str, encoding: str) -> None:
    make, write, _ = ENTRIES[entry]
    target: Any = StingyBuffered() if sink == "buffered-partial" else Stingy(sink)
    tr = Tracker()
    write(make(tr), target, ensure_ascii=False, chunk_size=CHUNK, encoding=encoding)
    assert bytes(target.data) == expected_text(entry).encode(encoding)  # one BOM, no repeats
    assert tr.all_closed()


def nonblocking_pipe() -> tuple[int, int]:
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    return r, w


def queued(fd: int) -> int:
    """Bytes waiting to be read in a pipe or socket."""
    buf = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return buf[0]


class SlowReader(threading.Thread):
    """Reads a pipe or socket slowly, so that the writer finds it full again and again.

    It starts only once ``full`` bytes are waiting (the writer had to stop: the pipe or
    socket is full), then reads a little at a time, far slower than the writer writes.
    """

    def __init__(self, fd: int, read: Callable[[int], bytes], full: int) -> None:
        super().__init__()
        self.fd = fd
        self.read = read
        self.full = full
        self.data = bytearray()

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while queued(self.fd) < self.full and time.monotonic() < deadline:
            time.sleep(0.001)
        while True:
            time.sleep(0.001)
            chunk = self.read(4096)
            if not chunk:
                return
            self.data += chunk


PIPE_FULL = 65536  # Linux's pipe capacity: writes of 64 KiB chunks fill it exactly
SOCKET_FULL = 4000  # with SO_SNDBUF 4096 on a Unix socket pair, measured


BIG = {"rows": [{"i": i, "pad": "é" * 40} for i in range(20_000)]}  # ~1.8 MB, many pipefuls
BIG_BYTES = json.dumps(BIG, ensure_ascii=False).encode()


def test_a_raw_file_on_a_non_blocking_pipe_gets_everything() -> None:
    r, w = nonblocking_pipe()
    reader = SlowReader(r, lambda n: os.read(r, n), PIPE_FULL)
    reader.start()
    with open(w, "wb", buffering=0) as f:
        streamjson.dump(BIG, f, ensure_ascii=False)
    reader.join()
    os.close(r)
    assert bytes(reader.data) == BIG_BYTES


def test_a_buffered_file_on_a_non_blocking_pipe_gets_everything_once() -> None:
    r, w = nonblocking_pipe()
    reader = SlowReader(r, lambda n: os.read(r, n), PIPE_FULL)
    reader.start()
    with open(w, "wb") as f:
        streamjson.dump(BIG, f, ensure_ascii=False)
        while True:  # what is left in the caller's buffer is the caller's to flush
            try:
                f.flush()
                break
            except BlockingIOError:
                time.sleep(0.001)
    reader.join()
    os.close(r)
    assert bytes(reader.data) == BIG_BYTES


def test_a_text_file_on_a_non_blocking_pipe_gets_everything_once_or_an_error() -> None:
    r, w = nonblocking_pipe()
    reader = SlowReader(r, lambda n: os.read(r, n), PIPE_FULL)
    reader.start()
    f = open(w, "w", encoding="utf-8")
    try:
        streamjson.dump(BIG, f, ensure_ascii=False)
        while True:
            try:
                f.flush()
                break
            except BlockingIOError:
                time.sleep(0.001)
        ok = True
    except OSError:
        ok = False  # failing loudly is acceptable; a wrong document reported as written is not
    finally:
        with contextlib.suppress(OSError):
            f.close()
        reader.join()
        os.close(r)
    if ok:
        assert bytes(reader.data) == BIG_BYTES
    else:
        assert BIG_BYTES.startswith(bytes(reader.data))


@pytest.mark.parametrize("mode", ["blocking", "timeout"])
def test_a_socket_that_takes_a_little_at_a_time_gets_everything(mode: str) -> None:
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    if mode == "timeout":
        a.settimeout(30)
    reader = SlowReader(b.fileno(), b.recv, SOCKET_FULL)
    reader.start()
    with a, b:
        streamjson.dump(BIG, a, ensure_ascii=False)
        a.shutdown(socket.SHUT_WR)
        reader.join()
    assert bytes(reader.data) == BIG_BYTES


def test_a_non_blocking_socket_gets_everything() -> None:
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    a.setblocking(False)
    reader = SlowReader(b.fileno(), b.recv, SOCKET_FULL)
    reader.start()
    try:
        streamjson.dump(BIG, a, ensure_ascii=False)
    finally:
        a.shutdown(socket.SHUT_WR)
        reader.join()
        a.close()
        b.close()
    assert bytes(reader.data) == BIG_BYTES


# -- the source fails: KeyboardInterrupt, GeneratorExit, an exception after N items --------


class Interrupting:
    """An iterator (not a generator) that raises ``exc`` after ``n`` items."""

    def __init__(self, n: int, exc: BaseException) -> None:
        self.i = 0
        self.n = n
        self.exc = exc

    def __iter__(self) -> Interrupting:
        return self

    def __next__(self) -> int:
        if self.i >= self.n:
            raise self.exc
        self.i += 1
        return self.i


class FailingMapping(Mapping[str, int]):
    """A Mapping whose items() raises ``exc`` after ``n`` pairs."""

    def __init__(self, n: int, exc: BaseException) -> None:
        self.n = n
        self.exc = exc

    def __getitem__(self, key: str) -> int:
        return 0

    def __len__(self) -> int:
        return self.n + 1

    def __iter__(self) -> Iterator[str]:
        for i in range(self.n):
            yield str(i)
        raise self.exc


def raising_sources(exc: BaseException, n: int, tr: Tracker) -> dict[str, Any]:
    def gen() -> Iterator[int]:
        yield from range(n)
        raise exc

    def default(o: Any) -> Any:
        raise exc

    return {
        "generator": {"a": tr.gen("outer", [1, {"rows": tr.gen("rows", gen())}])},
        "iterator": {"a": tr.gen("outer", [Interrupting(n, exc)])},
        "object-pairs": {
            "a": tr.gen("outer", [Object(tr.gen("pairs", ((str(i), i) for i in gen())))])
        },
        "mapping": {"a": tr.gen("outer", [FailingMapping(n, exc)])},
        "default": {"a": tr.gen("outer", [[*range(n), {1}]])},
        "_default": default,
    }


SOURCE_KINDS = ["generator", "iterator", "object-pairs", "mapping", "default"]


def drive(how: str, doc: Any, tmp_path: Path, **kw: Any) -> Any:
    if how == "dumps":
        return streamjson.dumps(doc, **kw)
    if how == "iterencode":
        return "".join(streamjson.iterencode(doc, chunk_size=64, **kw))
    if how == "stream":
        out = io.BytesIO()
        streamjson.dump(doc, out, chunk_size=64, **kw)
        return out
    return streamjson.dump(doc, tmp_path / "out.json", chunk_size=64, **kw)


@pytest.mark.parametrize("how", ["dumps", "iterencode", "stream", "path"])
@pytest.mark.parametrize("source", SOURCE_KINDS)
@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, GeneratorExit])
def test_keyboard_interrupt_and_generator_exit_from_the_source_propagate_and_clean_up(
    exc_type: type[BaseException], source: str, how: str, tmp_path: Path
) -> None:
    (tmp_path / "out.json").write_text(OLD)
    exc = exc_type()
    tr = Tracker()
    sources = raising_sources(exc, 20, tr)
    with pytest.raises(exc_type) as info:
        drive(how, sources[source], tmp_path, default=sources["_default"])
    assert info.value is exc
    assert tr.started and tr.all_closed(), (tr.started, tr.finished)
    assert (tmp_path / "out.json").read_text() == OLD
    assert listing(tmp_path) == ["out.json"]


@pytest.mark.parametrize("n", [0, 1, 2, 15, 16, 17, 255, 256, 4095, 4096, 4097, 20_000])
@pytest.mark.parametrize("source", ["generator", "iterator", "object-pairs", "mapping"])
def test_a_source_failing_after_n_items_leaves_no_partial_file(
    source: str, n: int, tmp_path: Path
) -> None:
    class SourceDown(Exception):
        pass

    for previous in (True, False):
        target = tmp_path / "out.json"
        if previous:
            target.write_text(OLD)
        exc = SourceDown(n)
        tr = Tracker()
        with pytest.raises(SourceDown) as info:
            streamjson.dump(raising_sources(exc, n, tr)[source], target, chunk_size=256)
        assert info.value is exc
        assert tr.all_closed()
        assert listing(tmp_path) == (["out.json"] if previous else [])
        if previous:
            assert target.read_text() == OLD
            target.unlink()


@pytest.mark.parametrize("n", [0, 1, 16, 17, 4096, 20_000])
@pytest.mark.parametrize("how", ["dumps", "iterencode", "stream"])
def test_a_source_failing_after_n_items_raises_the_same_exception_everywhere(
    n: int, how: str
) -> None:
    class SourceDown(Exception):
        pass

    exc = SourceDown(n)
    tr = Tracker()
    doc = raising_sources(exc, n, tr)["generator"]
    with pytest.raises(SourceDown) as info:
        drive(how, doc, Path("."))
    assert info.value is exc
    assert info.value.__notes__ == ["streamjson: while reading the items of $.a[1].rows"]
    assert tr.all_closed()


def test_a_stream_holds_a_prefix_of_the_document_when_the_source_fails() -> None:
    class SourceDown(Exception):
        pass

    def rows() -> Iterator[dict[str, int]]:
        for i in range(5000):
            yield {"i": i}
        raise SourceDown

    out = io.BytesIO()
    with pytest.raises(SourceDown):
        streamjson.dump({"rows": rows()}, out, chunk_size=512)
    full = json.dumps({"rows": [{"i": i} for i in range(5000)]}).encode()
    assert len(out.getvalue()) > 10_000 and full.startswith(out.getvalue())


def test_an_abandoned_iterencode_closes_the_generators_it_started() -> None:
    tr = Tracker()
    doc = {"a": tr.gen("a", [tr.gen("b", range(10**6))])}
    chunks = streamjson.iterencode(doc, chunk_size=1024)
    next(chunks)
    assert tr.started == ["a", "b"] and "b" not in tr.finished  # half way through "b"
    chunks.close()  # type: ignore[attr-defined]
    assert tr.all_closed()


# -- lone surrogates to a UTF-8 sink ----------------------------------------------------------

SURROGATE_DOC_ROWS = 4000


def surrogate_doc() -> list[dict[str, Any]]:
    doc = [{"i": i, "name": "client é"} for i in range(SURROGATE_DOC_ROWS)]
    doc[3000]["name"] = "bad \ud800 name"
    return doc


def test_lone_surrogates_are_escaped_with_ensure_ascii_as_json_does() -> None:
    out = io.BytesIO()
    streamjson.dump(surrogate_doc(), out)
    assert out.getvalue().decode("ascii") == json.dumps(surrogate_doc())


@pytest.mark.parametrize("sink", ["bytes", "path", "text-file"])
def test_a_lone_surrogate_to_utf8_is_a_unicode_encode_error_and_leaves_the_sink_as_documented(
    sink: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.json"
    target.write_text(OLD)
    full = json.dumps(surrogate_doc(), ensure_ascii=False).encode("utf-8", "surrogatepass")
    out: Any = io.BytesIO() if sink == "bytes" else target
    f = open(tmp_path / "t.json", "w", encoding="utf-8") if sink == "text-file" else None
    with pytest.raises(UnicodeEncodeError) as info:
        streamjson.dump(surrogate_doc(), f or out, ensure_ascii=False, chunk_size=1024)
    assert info.value.object[info.value.start] == "\ud800"
    assert "surrogates not allowed" in str(info.value)
    if sink == "bytes":
        written = out.getvalue()
        assert full.startswith(written)  # whole chunks before the bad one, nothing after
        assert len(written) < full.index(b"\xed\xa0\x80")
    if sink == "path":
        assert target.read_text() == OLD
        assert listing(tmp_path) == ["out.json"]
    if f is not None:
        f.close()


@pytest.mark.parametrize("sink", ["bytes", "text-file"])
def test_a_lone_surrogate_error_names_its_place_in_the_document(sink: str) -> None:
    doc = surrogate_doc()
    text = json.dumps(doc, ensure_ascii=False)
    offset = text.index("\ud800")
    out: Any = io.BytesIO()
    if sink == "text-file":
        out = io.TextIOWrapper(out, encoding="utf-8")
    with pytest.raises(UnicodeEncodeError) as info:
        streamjson.dump(doc, out, ensure_ascii=False, chunk_size=1024)
    notes = getattr(info.value, "__notes__", [])
    if sink == "bytes" and streamjson.native:  # UTF-8 from the C encoder: counted in bytes
        where = f"at byte {len(text[:offset].encode())} of the document"
    else:
        where = f"at character {offset} of the document"
    assert notes == [f"streamjson: {where}"], notes
