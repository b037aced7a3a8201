"""Faults injected into the async drivers (``dump_async``, ``dump_lines_async``,
``iterencode_async``): the error comes out unchanged, nothing is written twice, every
sync and async generator is closed before the call returns, and a cancelled task
closes its sources and ends cancelled.

Coroutines run with plain ``asyncio.run`` (bounded by ``tests.helpers.TIMEOUT``),
as in ``test_async.py``. Whether every generator was closed is checked inside the
event loop, as the driver returns or raises: asyncio.run's own clean-up of abandoned
async generators must not be what closes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

import pytest

import streamjson
from streamjson import Object
from tests.faults import (
    Fault,
    FaultyAsync,
    FaultyAsyncText,
    FaultyBuffered,
    FaultyRaw,
    FaultyStreamWriter,
    FaultyText,
    Stingy,
    Tracker,
)
from tests.helpers import TIMEOUT

pytestmark = pytest.mark.reliability

ROWS = 600
CHUNK = 4096  # about ten chunks: faults land in the first, a middle and the last write

Gate = Callable[[Iterable[Any]], Any]  # wraps the rows: a test may stall them


def no_gate(rows: Iterable[Any]) -> Iterable[Any]:
    return rows


def run(coro: Awaitable[Any], tr: Tracker) -> None:
    """Run ``coro``; whatever it raises, check that every generator it started was
    closed by then, inside the loop (not later by asyncio.run's clean-up)."""
    closed: list[bool] = []

    async def main() -> None:
        try:
            await asyncio.wait_for(coro, TIMEOUT)
        finally:
            closed.append(tr.all_closed())

    try:
        asyncio.run(main())
    finally:
        assert closed == [True], (tr.started, tr.finished)


# -- the document: async generators in sync ones and back, an async Object ----------------


def row(i: int, tr: Tracker | None) -> dict[str, Any]:
    sub: Any = list(range(i % 7))
    if tr is not None and i % 200 == 0:
        sub = tr.agen(f"asub{i}", sub)
    elif tr is not None and i % 200 == 100:
        sub = tr.gen(f"sub{i}", sub)
    return {"i": i, "name": f"client é😀 {i}", "score": i / 7, "sub": sub}


def document(tr: Tracker | None, gate: Gate = no_gate) -> Any:
    """The document with lazy parts (tr given) or its materialised twin (tr None)."""
    rows = (row(i, tr) for i in range(ROWS))
    summary = [("count", ROWS), ("ok", True)]
    if tr is None:
        return {"meta": {"v": [1, 2]}, "parts": [list(rows), [1, 2, 3]], "summary": dict(summary)}
    parts = [tr.agen("rows", gate(rows)), tr.gen("tail", [1, 2, 3])]
    return {
        "meta": {"v": [1, 2]},
        "parts": tr.gen("parts", parts),  # a sync generator open around the async rows
        "summary": Object(tr.agen("summary", summary)),
    }


def lines(tr: Tracker | None, gate: Gate = no_gate) -> Any:
    rows = (row(i, tr) for i in range(ROWS))
    return list(rows) if tr is None else tr.agen("lines", gate(rows))


async def consume(chunks: AsyncGenerator[str, None], sink: Any) -> None:
    """What a streaming HTTP response does with ``iterencode_async``: each chunk to the
    client as it comes, and ``aclose()`` whatever happens."""
    text = hasattr(sink, "encoding")
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            await sink.write(chunk if text else chunk.encode())


Entry = Callable[..., Awaitable[None]]  # (tracker, sink, gate, **kw)

ENTRIES: dict[str, Entry] = {
    "dump_async": lambda tr, sink, gate=no_gate, **kw: streamjson.dump_async(
        document(tr, gate), sink, **kw
    ),
    "dump_lines_async": lambda tr, sink, gate=no_gate, **kw: streamjson.dump_lines_async(
        lines(tr, gate), sink, **kw
    ),
    "iterencode_async": lambda tr, sink, gate=no_gate, **kw: consume(
        streamjson.iterencode_async(document(tr, gate), **kw), sink
    ),
}


@functools.cache
def expected_text(entry: str) -> str:
    if entry == "dump_lines_async":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines(None))
    return json.dumps(document(None), ensure_ascii=False)


# -- sinks, each failing as its kind does --------------------------------------------------

SINKS: dict[str, Callable[[Fault], Any]] = {
    "async": FaultyAsync,  # await write(bytes), like aiohttp
    "async-text": FaultyAsyncText,  # await write(str), like aiofiles
    "stream-writer": FaultyStreamWriter,  # write() then await drain()
    "raw": FaultyRaw,  # sync sinks are taken too
    "buffered": FaultyBuffered,
    "text": FaultyText,
}
PARTIAL = {"raw", "stream-writer"}  # these take what they can before failing
TEXT = {"async-text", "text"}  # the limit counts characters
CASES = [(e, k) for e in ("dump_async", "dump_lines_async") for k in SINKS] + [
    ("iterencode_async", "async"),
    ("iterencode_async", "async-text"),
]


@functools.cache
def offsets(entry: str, kind: str) -> dict[str, int]:
    """Byte (or, for text, character) offsets of each place, from a run that does not fail."""
    clean = Fault(float("inf"), "EIO", partial=True)
    tr = Tracker()
    run(ENTRIES[entry](tr, SINKS[kind](clean), ensure_ascii=False, chunk_size=CHUNK), tr)
    total = clean.size
    assert total == len(expected_text(entry) if kind in TEXT else expected_text(entry).encode())
    assert len(clean.sizes) >= 3, clean.sizes  # a first, a middle and a last write
    return {
        "first-write": 0,
        "middle": total // 2,
        "last-write": total - clean.sizes[-1],
        "closing-bracket": total - 1,
    }


@pytest.mark.parametrize("where", ["first-write", "middle", "last-write", "closing-bracket"])
@pytest.mark.parametrize("error", ["ENOSPC", "EPIPE", "EIO"])
@pytest.mark.parametrize(("entry", "kind"), CASES)
def test_a_failing_async_sink_raises_its_error_and_closes_every_generator(
    entry: str, kind: str, error: str, where: str
) -> None:
    limit = offsets(entry, kind)[where]
    fault = Fault(limit, error, partial=kind in PARTIAL)
    tr = Tracker()

    with pytest.raises(OSError) as info:
        run(ENTRIES[entry](tr, SINKS[kind](fault), ensure_ascii=False, chunk_size=CHUNK), tr)

    assert info.value is fault.raised[0]  # the sink's own error, not one from the clean-up
    assert len(fault.raised) == 1  # nothing was written to the failed sink again
    assert {"rows", "lines"} & set(tr.started)  # an async generator was open (closed: run)
    text = expected_text(entry)
    if kind in TEXT:
        got = "".join(fault.text)
        assert text.startswith(got) and len(got) <= limit
        return
    data = text.encode()
    assert data.startswith(bytes(fault.taken))  # nothing written twice, nothing skipped
    if fault.partial:
        assert len(fault.taken) == limit  # everything up to the fault reached the sink
    else:
        assert len(fault.taken) <= limit


# -- cancellation: a task cancelled while a source or the writer waits ----------------------


async def stall(items: Iterable[Any], after: int, reached: asyncio.Event) -> AsyncIterator[Any]:
    """Yield ``after`` of ``items``, then say so and wait until cancelled."""
    for i, item in enumerate(items):
        if i == after:
            reached.set()
            await asyncio.Event().wait()
        yield item


class StallingWriter:
    """An async writer whose peer stops reading at write number ``at`` (if given)."""

    def __init__(self, at: int | None, reached: asyncio.Event) -> None:
        self.at = at
        self.reached = reached
        self.data = bytearray()
        self.writes = 0

    async def write(self, data: bytes) -> None:
        self.writes += 1
        if self.writes == self.at:
            self.reached.set()
            await asyncio.Event().wait()
        self.data += data


@pytest.mark.parametrize("waiting", ["source", "writer"])
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_a_task_cancelled_mid_stream_closes_every_generator_and_is_cancelled(
    entry: str, waiting: str
) -> None:
    tr = Tracker()

    async def main() -> None:
        reached = asyncio.Event()
        writer = StallingWriter(3 if waiting == "writer" else None, reached)
        gate: Gate = no_gate
        if waiting == "source":
            gate = functools.partial(stall, after=ROWS // 2, reached=reached)
        task = asyncio.create_task(
            ENTRIES[entry](tr, writer, gate, ensure_ascii=False, chunk_size=CHUNK)
        )
        await reached.wait()
        assert not task.done() and writer.data  # half way through
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert expected_text(entry).encode().startswith(bytes(writer.data))

    run(main(), tr)
    assert {"rows", "lines"} & set(tr.finished)  # the async source was closed


# -- a source that fails after N items ------------------------------------------------------


class SourceDown(Exception):
    pass


class AsyncInterrupting:
    """An async iterator (not a generator) that raises ``exc`` after ``n`` items."""

    def __init__(self, n: int, exc: BaseException) -> None:
        self.i = 0
        self.n = n
        self.exc = exc

    def __aiter__(self) -> AsyncInterrupting:
        return self

    async def __anext__(self) -> int:
        await asyncio.sleep(0)
        if self.i >= self.n:
            raise self.exc
        self.i += 1
        return self.i


def failing_sources(exc: BaseException, n: int, tr: Tracker) -> dict[str, Any]:
    """Documents whose source raises ``exc`` after ``n`` items, nested in generators."""

    async def afailing() -> AsyncIterator[int]:
        for i in range(n):
            await asyncio.sleep(0)
            yield i
        raise exc

    def failing() -> Iterator[int]:
        yield from range(n)
        raise exc

    return {
        "async-generator": {"a": tr.gen("outer", [1, {"rows": tr.agen("rows", afailing())}])},
        "async-iterator": {"a": tr.gen("outer", [1, {"rows": AsyncInterrupting(n, exc)}])},
        "async-object-pairs": {
            "a": tr.gen(
                "outer", [1, {"rows": Object(tr.agen("pairs", ((str(i), i) for i in failing())))}]
            )
        },
        "sync-in-async": {"a": tr.agen("outer", [1, {"rows": tr.gen("rows", failing())}])},
    }


async def drive(how: str, doc: Any, tr: Tracker, out: io.BytesIO) -> None:
    """Encode ``doc`` through one async driver into ``out``."""
    if how == "dump_async":
        await streamjson.dump_async(doc, out, chunk_size=256)
    elif how == "dump_lines_async":
        lines = tr.agen("lines", [{"before": 1}, doc])
        await streamjson.dump_lines_async(lines, out, chunk_size=256)
    else:
        async with contextlib.aclosing(streamjson.iterencode_async(doc, chunk_size=256)) as chunks:
            async for chunk in chunks:
                out.write(chunk.encode())


@pytest.mark.parametrize("n", [0, 1, 2, 16, 17, 256, 4097])
@pytest.mark.parametrize(
    "source", ["async-generator", "async-iterator", "async-object-pairs", "sync-in-async"]
)
@pytest.mark.parametrize("how", ["dump_async", "dump_lines_async", "iterencode_async"])
def test_an_async_source_failing_after_n_items_raises_the_same_exception(
    how: str, source: str, n: int
) -> None:
    exc = SourceDown(n)
    tr = Tracker()
    doc = failing_sources(exc, n, tr)[source]

    out = io.BytesIO()

    with pytest.raises(SourceDown) as info:
        run(drive(how, doc, tr, out), tr)

    assert info.value is exc
    where = "$[1].a[1].rows" if how == "dump_lines_async" else "$.a[1].rows"
    assert info.value.__notes__ == [f"streamjson: while reading the items of {where}"]
    assert tr.started
    if how == "dump_lines_async":
        assert out.getvalue().count(b"\n") <= 1  # the failed line is never ended
    else:
        with pytest.raises(json.JSONDecodeError):  # never closed up into valid JSON
            json.loads(out.getvalue())


# -- a raw file that takes part of each write ------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("pattern", ["short", "none", "blocking"])
@pytest.mark.parametrize("entry", ["dump_async", "dump_lines_async"])
def test_a_raw_file_that_takes_part_of_each_write_gets_the_whole_document_once(
    entry: str, pattern: str, encoding: str
) -> None:
    sink = Stingy(pattern)
    tr = Tracker()
    run(ENTRIES[entry](tr, sink, ensure_ascii=False, chunk_size=CHUNK, encoding=encoding), tr)
    assert bytes(sink.data) == expected_text(entry).encode(encoding)  # one BOM, no repeats
