"""Compressed paths are compressed on a second thread (streamjson._compress_thread).

The bytes are the ones a compressor writes on the encoding thread; every failure
(the compressor, the disk, the source, Ctrl-C) comes out as the same exception
object, keeps the previous file, closes the generators and joins the thread.
"""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import streamjson
from streamjson import _compress_thread, _sinks
from streamjson._sinks import compressor

from .faults import Fault, Tracker, failing_disk, listing, peak_while
from .helpers import OPENERS, record, records

SUFFIXES = [".gz", ".bz2", ".xz", ".zst"]
OLD = b'{"old": true}'


@pytest.fixture(autouse=True)
def fixed_gzip_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """gzip stamps the time in its header: fixed, so that two outputs can be compared."""
    monkeypatch.setattr(gzip.time, "time", lambda: 1_700_000_000.0)


def single_thread(path: Path, text: str) -> bytes:
    """What the compressor for ``path`` writes when all of ``text`` is written on this thread."""
    make = compressor(str(path))
    assert make is not None
    buf = io.BytesIO()
    stream = make(buf, path.name)
    stream.write(text.encode())
    stream.close()
    return buf.getvalue()


def old_file(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"out.json{suffix}"
    with OPENERS[suffix](path, "wb") as f:
        f.write(OLD)
    return path


class Hooked:
    """A compressor whose writes go through ``hook(write, data)``."""

    def __init__(self, stream: Any, hook: Callable[[Callable[[Any], Any], Any], Any]) -> None:
        self.stream, self.hook = stream, hook

    def write(self, data: Any) -> Any:
        return self.hook(self.stream.write, data)

    def flush(self) -> Any:
        return self.stream.flush()

    def close(self) -> None:
        self.stream.close()


def hook_writes(
    monkeypatch: pytest.MonkeyPatch, hook: Callable[[Callable[[Any], Any], Any], Any]
) -> None:
    """Every compressor a path gets from now on writes through ``hook`` (whatever its
    class: zstandard's cannot be patched)."""
    real = _sinks.compressor

    def hooked(path: str) -> Any:
        make = real(path)
        assert make is not None
        return lambda raw, name: Hooked(make(raw, name), hook)

    monkeypatch.setattr(_sinks, "compressor", hooked)


def assert_untouched(path: Path, threads: int) -> None:
    """The old file is still there, whole, with no temporary file beside it; no thread left."""
    with OPENERS[path.suffix](path, "rb") as f:
        assert f.read() == OLD
    assert listing(path.parent) == [path.name]
    assert threading.active_count() == threads


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_dump_writes_the_bytes_of_the_single_thread_path(tmp_path: Path, suffix: str) -> None:
    data = list(records(3000))
    path = tmp_path / f"out.json{suffix}"
    streamjson.dump(data, path)
    assert path.read_bytes() == single_thread(path, json.dumps(data))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_lines_and_writers_write_the_bytes_of_the_single_thread_path(
    tmp_path: Path, suffix: str
) -> None:
    lines = tmp_path / f"lines.jsonl{suffix}"
    streamjson.dump_lines(records(2000), lines)
    expected = "".join(json.dumps(r) + "\n" for r in records(2000))
    assert lines.read_bytes() == single_thread(lines, expected)
    array = tmp_path / f"array.json{suffix}"
    with streamjson.ArrayWriter(array) as writer:
        for r in records(2000):
            writer.write(r)
    assert array.read_bytes() == single_thread(array, json.dumps(list(records(2000))))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_failing_compressor_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    path = old_file(tmp_path, suffix)
    threads = threading.active_count()
    boom = RuntimeError("compressor failed")
    calls: list[str] = []

    def write(real: Callable[[Any], Any], data: Any) -> Any:
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            raise boom
        return real(data)

    hook_writes(monkeypatch, write)
    tracker = Tracker()
    with pytest.raises(RuntimeError) as caught:
        streamjson.dump({"rows": tracker.gen("rows", records(20000))}, path)
    assert caught.value is boom
    assert calls == ["streamjson-compress"] * 3  # compressed on the second thread
    assert tracker.all_closed()
    assert_untouched(path, threads)


def test_a_compressor_that_dies_while_the_queue_is_full_does_not_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = old_file(tmp_path, ".gz")
    threads = threading.active_count()
    boom = OSError("compressor died late")

    def write(real: Callable[[Any], Any], data: Any) -> Any:
        time.sleep(0.3)  # the encoder fills the queue meanwhile and waits
        raise boom

    hook_writes(monkeypatch, write)
    with pytest.raises(OSError) as caught:
        streamjson.dump(list(records(20000)), path)
    assert caught.value is boom
    assert_untouched(path, threads)


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_failing_disk_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    path = old_file(tmp_path, suffix)
    threads = threading.active_count()
    fault = Fault(100_000, "ENOSPC", partial=False)
    tracker = Tracker()
    with failing_disk(monkeypatch, fault), pytest.raises(OSError) as caught:
        streamjson.dump(tracker.gen("rows", records(50000)), path)
    assert [caught.value] == fault.raised  # the one error, the very object
    assert tracker.all_closed()
    assert_untouched(path, threads)


class SourceError(Exception):
    pass


def failing_source(n: int, error: BaseException) -> Iterator[dict[str, Any]]:
    yield from records(n)
    raise error


@pytest.mark.parametrize("error", [SourceError("source failed"), KeyboardInterrupt()])
@pytest.mark.parametrize("suffix", [".gz", ".xz", ".zst"])
def test_a_failing_source_gives_its_own_exception(
    tmp_path: Path, suffix: str, error: BaseException
) -> None:
    path = old_file(tmp_path, suffix)
    threads = threading.active_count()
    tracker = Tracker()
    with pytest.raises(type(error)) as caught:
        streamjson.dump({"rows": tracker.gen("rows", failing_source(5000, error))}, path)
    assert caught.value is error
    assert tracker.all_closed()
    assert_untouched(path, threads)


def test_a_failing_source_through_a_writer(tmp_path: Path) -> None:
    path = old_file(tmp_path, ".bz2")
    threads = threading.active_count()
    error = SourceError("source failed")
    with pytest.raises(SourceError) as caught, streamjson.LinesWriter(path) as writer:
        writer.write_all(failing_source(5000, error))
    assert caught.value is error
    assert_untouched(path, threads)


def test_memory_does_not_grow_with_the_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compressor that stalls while the encoder runs ahead: only the queue's blocks wait."""
    path = tmp_path / "out.json.gz"
    read_all, stalled_once = threading.Event(), threading.Event()

    def stalled(real: Callable[[Any], Any], data: Any) -> Any:
        if not stalled_once.is_set():  # with an unbounded queue the document piles up
            read_all.wait(1.0)
            stalled_once.set()
        return real(data)

    def source(n: int) -> Iterator[dict[str, Any]]:
        yield from records(n)
        read_all.set()

    hook_writes(monkeypatch, stalled)
    monkeypatch.setattr(_compress_thread, "BLOCK", 64 * 1024)  # a small document fills the queue

    def peak(n: int) -> int:
        read_all.clear()
        stalled_once.clear()
        return peak_while(lambda: streamjson.dump(source(n), path))

    small, large = peak(5000), peak(40000)  # about 1.3 MB and 10 MB of JSON
    assert large < 2 * small
    assert large < 2 * 1024 * 1024
    with gzip.open(path, "rt") as f:
        assert json.load(f) == json.loads(json.dumps(list(records(40000))))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_appending_adds_a_stream(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"log.jsonl{suffix}"
    threads = threading.active_count()
    for tag in range(3):
        with streamjson.LinesWriter(path, append=True) as writer:
            writer.write_all(records(1000, tag))
            writer.write(record(-1, tag))
    with OPENERS[suffix](path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    expected = [r for tag in range(3) for r in [*records(1000, tag), record(-1, tag)]]
    assert rows == json.loads(json.dumps(expected))
    assert threading.active_count() == threads


def test_appending_keeps_what_came_before_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl.gz"
    threads = threading.active_count()
    error = SourceError("source failed")
    with pytest.raises(SourceError) as caught, streamjson.LinesWriter(path, append=True) as w:
        w.write_all(records(10))
        w.write_all(failing_source(5, error))
    assert caught.value is error
    with gzip.open(path, "rt") as f:
        assert len(f.read().splitlines()) >= 10
    assert threading.active_count() == threads


class Recorder:
    """A compressor that keeps what it is given, and every buffer it was given it in."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.buffers: dict[int, Any] = {}  # kept: an id is not reused while they live

    def write(self, data: Any) -> int:
        self.data += data
        self.buffers[id(memoryview(data).obj)] = memoryview(data).obj
        return memoryview(data).nbytes

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_blocks_are_filled_again_once_written() -> None:
    """Writes of any size, across block boundaries, reach the compressor whole and in
    order, in at most DEPTH + 2 blocks of BLOCK bytes however much is written: a
    written block is filled again, not a new one allocated for every megabyte."""
    recorder = Recorder()
    worker = _compress_thread.CompressThread(recorder)
    sizes = [100_003, 1, 0, 3 * _compress_thread.BLOCK + 7, 65_536] * 8
    pieces = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    for piece in pieces:
        assert worker.write(piece) == len(piece)
    worker.close()
    assert recorder.data == b"".join(pieces)
    assert len(recorder.data) > 25 * _compress_thread.BLOCK
    assert len(recorder.buffers) <= _compress_thread.DEPTH + 2
    assert {len(b) for b in recorder.buffers.values()} == {_compress_thread.BLOCK}
