"""dump writes the same text to every kind of sink, and paths atomically."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ijson
import pytest

import streamjson
from tests.helpers import OPENERS

DOC = {"name": "é😀", "rows": [{"i": i, "x": [i / 7, None, True]} for i in range(3000)]}
TEXT = json.dumps(DOC)
TEXT_UTF8 = json.dumps(DOC, ensure_ascii=False)


def lazy_doc() -> dict[str, Any]:
    return {"name": "é😀", "rows": (dict(r) for r in DOC["rows"])}


def read_text(opener: Callable[..., Any], path: str) -> str:
    with opener(path, "rb") as f:
        data: bytes = f.read()
    return data.decode("utf-8")


@pytest.mark.parametrize(
    ("open_", "read"),
    [
        (lambda p: open(p, "w", encoding="utf-8"), lambda p: read_text(open, p)),
        (lambda p: open(p, "wb"), lambda p: read_text(open, p)),
        (lambda p: open(p, "wb", buffering=0), lambda p: read_text(open, p)),
        (lambda p: gzip.open(p, "wt", encoding="utf-8"), lambda p: read_text(gzip.open, p)),
        (lambda p: gzip.GzipFile(p, "wb"), lambda p: read_text(gzip.open, p)),
        (lambda p: bz2.open(p, "wb"), lambda p: read_text(bz2.open, p)),
        (lambda p: lzma.open(p, "wb"), lambda p: read_text(lzma.open, p)),
    ],
    ids=["text", "binary", "raw", "gzip-text", "gzip-binary", "bz2", "xz"],
)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_file_objects(
    tmp_path: Path, open_: Callable[[str], Any], read: Callable[[str], str], ensure_ascii: bool
) -> None:
    path = str(tmp_path / "out")
    with open_(path) as f:
        streamjson.dump(lazy_doc(), f, ensure_ascii=ensure_ascii)
    assert read(path) == (TEXT if ensure_ascii else TEXT_UTF8)


def test_in_memory_and_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    s = io.StringIO()
    streamjson.dump(lazy_doc(), s)
    assert s.getvalue() == TEXT
    b = io.BytesIO()
    streamjson.dump(lazy_doc(), b, ensure_ascii=False, encoding="utf-16")
    assert b.getvalue().decode("utf-16") == TEXT_UTF8
    import sys

    streamjson.dump([1, "é"], sys.stdout)
    assert capsys.readouterr().out == '[1, "\\u00e9"]'


def test_duck_typed_sinks_are_told_apart_without_garbage() -> None:
    class TextSink:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, s: str) -> None:
            assert isinstance(s, str)
            self.parts.append(s)

    class ByteSink:
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        def write(self, b: bytes) -> None:
            if not isinstance(b, (bytes, bytearray, memoryview)):
                raise TypeError("bytes please")
            self.parts.append(bytes(b))

    t, b = TextSink(), ByteSink()
    streamjson.dump(lazy_doc(), t)
    streamjson.dump(lazy_doc(), b)
    assert "".join(t.parts) == TEXT
    assert b"".join(b.parts).decode() == TEXT
    # the probes wrote nothing but empty writes: "" (refused), then b"" (taken)
    assert b.parts[0] == b"" and all(b.parts[1:])
    assert all(t.parts[1:])


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz", ".zst", ".GZ", ".ZST"])
def test_path_targets_are_compressed_by_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out.json{suffix}"
    streamjson.dump(lazy_doc(), path)
    opener = OPENERS.get(suffix.lower(), open)
    with opener(path, "rb") as f:
        assert f.read().decode() == TEXT
    streamjson.dump([1], str(path))  # str paths too
    with opener(path, "rb") as f:
        assert f.read() == b"[1]"
    assert os.listdir(tmp_path) == [path.name]


def test_gzip_header_names_the_target_not_the_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.json.gz"
    streamjson.dump([1], path)
    header = path.read_bytes()[:64]
    assert b"orders.json\x00" in header and b".tmp" not in header


def test_path_write_keeps_the_old_file_on_error(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"old": true}')

    def rows() -> Iterator[Any]:
        yield from range(100_000)
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        streamjson.dump({"rows": rows()}, path)
    assert path.read_text() == '{"old": true}'
    assert os.listdir(tmp_path) == ["data.json"]

    with pytest.raises(TypeError):
        streamjson.dump([1, {2}], path)
    with pytest.raises(KeyboardInterrupt):
        streamjson.dump(iter_then_interrupt(), path)
    assert path.read_text() == '{"old": true}'
    assert os.listdir(tmp_path) == ["data.json"]


def iter_then_interrupt() -> Iterator[int]:
    yield 1
    raise KeyboardInterrupt


def test_path_write_keeps_permissions_and_respects_umask(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text("{}")
    path.chmod(0o640)
    streamjson.dump([1], path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = tmp_path / "new.json"
    old = os.umask(0o022)
    try:
        streamjson.dump([1], fresh)
    finally:
        os.umask(old)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_path_in_a_missing_folder_fails_before_reading(tmp_path: Path) -> None:
    consumed = []

    def rows() -> Iterator[int]:
        consumed.append(1)
        yield 1

    with pytest.raises(FileNotFoundError):
        streamjson.dump(rows(), tmp_path / "no" / "such.json")
    assert consumed == []


@pytest.mark.parametrize(
    ("make_sink", "error"),
    [
        (lambda p: open(p), "not writable"),
        (lambda p: open(p, "rb"), "not writable"),
        (lambda p: closed_file(p), "closed file"),
        (lambda p: object(), "write\\(\\) method"),
    ],
    ids=["read-only-text", "read-only-binary", "closed", "no-write"],
)
def test_unwritable_sinks_fail_before_the_source_is_consumed(
    tmp_path: Path, make_sink: Callable[[Path], Any], error: str
) -> None:
    p = tmp_path / "f"
    p.write_text("")
    consumed = []

    def rows() -> Iterator[int]:
        consumed.append(1)
        yield 1

    sink = make_sink(p)
    try:
        with pytest.raises((OSError, ValueError, TypeError), match=error):
            streamjson.dump(rows(), sink)
    finally:
        if hasattr(sink, "close"):
            sink.close()
    assert consumed == []


def closed_file(p: Path) -> Any:
    f = open(p, "w")
    f.close()
    return f


class ShortWriter(io.RawIOBase):
    """A raw file that takes at most 7 bytes a call, and sometimes None (would block)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int | None:
        self.calls += 1
        if self.calls % 5 == 0:
            return None
        if self.calls % 7 == 0:
            raise BlockingIOError(0, "would block", 0)
        taken = bytes(b[:7])
        self.data += taken
        return len(taken)


def test_short_writes_lose_nothing() -> None:
    sink = ShortWriter()
    streamjson.dump(lazy_doc(), sink, ensure_ascii=False)
    assert sink.data.decode() == TEXT_UTF8


def test_blocking_io_error_with_partial_progress_writes_the_rest_once() -> None:
    class Partial(io.BufferedIOBase):
        def __init__(self) -> None:
            self.data = bytearray()
            self.failed = False

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            if not self.failed and len(b) > 10:
                self.failed = True
                self.data += bytes(b[:10])
                raise BlockingIOError(0, "would block", 10)
            self.data += bytes(b)
            return len(b)

    sink = Partial()
    streamjson.dump(lazy_doc(), sink)
    assert sink.data.decode() == TEXT


class SendWriter:
    """A plain writer over a non-blocking socket: a full socket raises BlockingIOError
    without ``characters_written``, as ``socket.send`` and ``os.write`` raise it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def write(self, data: Any) -> int:
        return self.sock.send(data)

    def fileno(self) -> int:
        return self.sock.fileno()


def test_blocking_io_error_without_a_count_took_nothing_and_the_rest_follows() -> None:
    left, right = socket.socketpair()
    left.setblocking(False)
    got = bytearray()

    def read() -> None:
        while chunk := right.recv(65536):
            got.extend(chunk)

    doc = [{"i": i, "s": "é" * 50} for i in range(20000)]  # more than the socket holds
    reader = threading.Thread(target=read)
    reader.start()
    with right:
        try:
            streamjson.dump(doc, SendWriter(left))
        finally:
            left.close()
            reader.join()
    assert got.decode() == json.dumps(doc)


def test_blocking_io_error_without_a_count_for_ever_is_an_os_error() -> None:
    class Full(io.BufferedIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            raise BlockingIOError(11, "would block")  # no characters_written

    with pytest.raises(OSError, match="took none of") as info:
        streamjson.dump([1], Full())
    assert type(info.value) is OSError


def test_socket_is_written_with_sendall_and_read_by_ijson() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received: list[Any] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as f:
            received.extend(ijson.items(f, "rows.item"))

    t = threading.Thread(target=serve)
    t.start()
    with socket.create_connection(("127.0.0.1", port)) as client:
        streamjson.dump(lazy_doc(), client)
        client.shutdown(socket.SHUT_WR)
        t.join(timeout=30)
    server.close()
    assert [r["i"] for r in received] == list(range(3000))


def test_socket_makefile_is_a_binary_sink() -> None:
    a, b = socket.socketpair()
    with a, b:
        with a.makefile("wb") as f:
            streamjson.dump([1, "é"], f)
        a.shutdown(socket.SHUT_WR)
        assert b.makefile("rb").read() == b'[1, "\\u00e9"]'
