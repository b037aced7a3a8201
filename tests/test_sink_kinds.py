"""Writers: text or bytes decided before the source is read (codecs writers take str),
and every writer gets all of the text, however little each write() takes.

Each case runs through ``dump``, ``dump_lines``, ``LinesWriter``, ``ArrayWriter``,
``dump_async`` and ``dump_lines_async``.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import streamjson
from tests.helpers import CountingSource

ROWS = [{"i": i, "s": "é😀" * (i % 5), "x": [i / 7, None, True]} for i in range(200)]
ENTRIES = ["dump", "dump_lines", "LinesWriter", "ArrayWriter", "dump_async", "dump_lines_async"]
ASYNC_ENTRIES = ["dump_async", "dump_lines_async"]


def cases(sync: list[Any], async_only: list[Any]) -> list[tuple[str, Any]]:
    """Every entry with each of ``sync``; the async entries also with ``async_only``
    (writers with an ``async def write()``)."""
    return [(e, k) for e in ENTRIES for k in sync] + [
        (e, k) for e in ASYNC_ENTRIES for k in async_only
    ]


OPTIONS: dict[str, Any] = {"ensure_ascii": False, "chunk_size": 256}


def write(entry: str, sink: Any, source: Any, **kw: Any) -> None:
    """Write the rows to ``sink`` through ``entry``."""
    kw = {**OPTIONS, **kw}
    if entry == "dump":
        streamjson.dump(iter(source), sink, **kw)
    elif entry == "dump_lines":
        streamjson.dump_lines(source, sink, **kw)
    elif entry == "ArrayWriter":
        with streamjson.ArrayWriter(sink, **kw) as array:
            for row in source:
                array.write(row)
    elif entry == "LinesWriter":
        with streamjson.LinesWriter(sink, **kw) as lines:
            lines.write_all(source)
    elif entry == "dump_async":
        asyncio.run(streamjson.dump_async(iter(source), sink, **kw))
    else:
        asyncio.run(streamjson.dump_lines_async(source, sink, **kw))


def expected(entry: str) -> str:
    if entry in ("dump", "ArrayWriter", "dump_async"):
        return json.dumps(ROWS, ensure_ascii=False)
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS)


# -- codecs writers take str --------------------------------------------------------------

CODECS: dict[str, Callable[[Path], Any]] = {
    "codecs.open": lambda p: codecs.open(str(p), "w", "utf-8"),
    "codecs.open-w+": lambda p: codecs.open(str(p), "w+", "utf-16"),
    "getwriter": lambda p: codecs.getwriter("utf-8")(open(p, "wb")),
    "getwriter-utf-16": lambda p: codecs.getwriter("utf-16")(open(p, "wb")),
}
CODEC_OF = {"codecs.open": "utf-8", "getwriter": "utf-8"}


@pytest.mark.parametrize("make", list(CODECS))
@pytest.mark.parametrize("entry", ENTRIES)
def test_codecs_writers_take_text(tmp_path: Path, entry: str, make: str) -> None:
    path = tmp_path / "out.json"
    sink = CODECS[make](path)
    with sink:
        write(entry, sink, CountingSource(ROWS))
    assert path.read_bytes().decode(CODEC_OF.get(make, "utf-16")) == expected(entry)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_stream_recoder_takes_bytes_in_the_dump_encoding(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "out.json"
    with codecs.EncodedFile(open(path, "wb"), "utf-8", "utf-16-le") as sink:
        write(entry, sink, CountingSource(ROWS))
    assert path.read_bytes().decode("utf-16-le") == expected(entry)


class Refusing:
    """A duck writer with a misleading ``mode``/``encoding``: it takes only ``takes``."""

    def __init__(self, takes: type, **attrs: str) -> None:
        self.takes = takes
        self.parts: list[Any] = []
        vars(self).update(attrs)

    def write(self, data: Any) -> None:
        if not isinstance(data, self.takes):
            raise TypeError(f"{self.takes.__name__} please")
        self.parts.append(data)

    def text(self) -> str:
        if self.parts and isinstance(self.parts[-1], str):
            return "".join(self.parts)
        return b"".join(self.parts).decode()


class AsyncRefusing(Refusing):
    async def write(self, data: Any) -> None:  # type: ignore[override]
        super().write(data)


@pytest.mark.parametrize(
    ("takes", "attrs"),
    [(str, {"mode": "wb"}), (bytes, {"mode": "w"}), (bytes, {"encoding": "utf-8"})],
    ids=["str-with-mode-wb", "bytes-with-mode-w", "bytes-with-encoding"],
)
@pytest.mark.parametrize(("entry", "kind"), cases([Refusing], [AsyncRefusing]))
def test_a_wrong_guess_is_corrected_before_the_source_is_read(
    entry: str, kind: type[Refusing], takes: type, attrs: dict[str, str]
) -> None:
    sink = kind(takes, **attrs)
    write(entry, sink, CountingSource(ROWS))
    assert sink.text() == expected(entry)
    assert all(sink.parts[1:])  # one empty write (the guess that was refused) at most


@pytest.mark.parametrize(("entry", "kind"), cases([Refusing], [AsyncRefusing]))
def test_a_writer_that_takes_neither_str_nor_bytes_fails_before_the_source_is_read(
    entry: str, kind: type[Refusing]
) -> None:
    sink = kind(int, mode="wb")
    source = CountingSource(ROWS)
    with pytest.raises(TypeError, match="int please"):
        write(entry, sink, source)
    assert source.read == 0 and sink.parts == []


# -- short writes -------------------------------------------------------------------------


class Stingy:
    """A duck writer taking at most ``size`` bytes or characters a call, and saying so.

    ``zero_every``: every that many calls it takes nothing and returns 0.
    """

    def __init__(self, size: int, mode: str | None, zero_every: int = 0) -> None:
        self.size = size
        self.zero_every = zero_every
        self.calls = 0
        self.parts: list[Any] = []
        if mode is not None:
            self.mode = mode

    def take(self, data: Any) -> int:
        self.calls += 1
        if self.zero_every and self.calls % self.zero_every == 0:
            return 0
        part = data[: self.size]
        self.parts.append(part if isinstance(part, str) else bytes(part))
        return len(part)

    def write(self, data: Any) -> int:
        return self.take(data)

    def text(self) -> str:
        if self.parts and isinstance(self.parts[0], str):
            return "".join(self.parts)
        return b"".join(self.parts).decode()


class AsyncStingy(Stingy):
    async def write(self, data: Any) -> int:  # type: ignore[override]
        await asyncio.sleep(0)
        return self.take(data)


class StingyBuffered(io.BufferedIOBase):
    """A buffered binary file that takes part of a write and returns the count."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        part = bytes(b[:5])
        self.data += part
        return len(part)

    def text(self) -> str:
        return self.data.decode()


class StingyText(io.TextIOBase):
    """A text file that takes part of a str and returns the count."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.parts.append(s[:4])
        return len(s[:4])

    def text(self) -> str:
        return "".join(self.parts)


SHORT: dict[str, Callable[[], Any]] = {
    "bytes-mode-wb-3": lambda: Stingy(3, "wb"),  # the issue's writer
    "bytes-probed-7": lambda: Stingy(7, "wb", zero_every=3),
    "text-mode-w-5": lambda: Stingy(5, "w"),
    "text-probed-2": lambda: Stingy(2, None, zero_every=4),
    "buffered": StingyBuffered,
    "text-file": StingyText,
    "async-bytes": lambda: AsyncStingy(3, "wb", zero_every=2),
    "async-text": lambda: AsyncStingy(5, "w"),
}


@pytest.mark.parametrize(
    ("entry", "sink"),
    cases(
        [k for k in SHORT if not k.startswith("async")], [k for k in SHORT if k.startswith("async")]
    ),
)
def test_a_writer_that_takes_part_of_each_write_gets_the_rest(entry: str, sink: str) -> None:
    out = SHORT[sink]()
    write(entry, out, CountingSource(ROWS))
    assert out.text() == expected(entry)  # all of it, nothing twice


def test_the_issue_writer_gets_the_whole_document() -> None:
    class W:
        mode = "wb"
        data = b""

        def write(self, b: Any) -> int:
            b = bytes(b[:3])
            self.data += b
            return len(b)

    w = W()
    streamjson.dump({"abc": [1, 2, 3]}, w)
    assert w.data == b'{"abc": [1, 2, 3]}'


class Returning:
    """A writer that takes everything and returns ``result`` (not a count of it)."""

    def __init__(self, result: Any, mode: str) -> None:
        self.result = result
        self.mode = mode
        self.parts: list[Any] = []

    def write(self, data: Any) -> Any:
        self.parts.append(data)
        return self.result

    def text(self) -> str:
        if self.parts and isinstance(self.parts[-1], str):
            return "".join(self.parts)
        return b"".join(self.parts).decode()


@pytest.mark.parametrize("result", [None, "ok", True, 3.0, 10**9], ids=repr)
@pytest.mark.parametrize("mode", ["w", "wb"])
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_write_that_returns_no_count_or_a_large_one_took_everything(
    entry: str, mode: str, result: Any
) -> None:
    out = Returning(result, mode)
    write(entry, out, CountingSource(ROWS))
    assert out.text() == expected(entry)


class Stuck:
    """A writer whose write() always takes nothing: returns 0, or ``result``."""

    def __init__(self, result: Any, mode: str) -> None:
        self.result = result
        self.mode = mode
        self.calls = 0

    def write(self, data: Any) -> Any:
        if data:
            self.calls += 1
        return self.result


class AsyncStuck(Stuck):
    async def write(self, data: Any) -> Any:
        return super().write(data)


@pytest.mark.parametrize(("result", "message"), [(0, "times in a row"), (-1, "returned -1")])
@pytest.mark.parametrize("mode", ["w", "wb"])
@pytest.mark.parametrize(("entry", "kind"), cases([Stuck], [AsyncStuck]))
def test_a_write_that_takes_nothing_for_ever_is_an_os_error_not_a_hang(
    entry: str, mode: str, kind: type[Stuck], result: int, message: str
) -> None:
    out = kind(result, mode)
    with pytest.raises(OSError, match=message):
        write(entry, out, CountingSource(ROWS))
    assert out.calls == (101 if result == 0 else 1)  # bounded: MAX_STALLS retries
