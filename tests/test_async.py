"""The async driver: iterencode_async, dump_async, dump_lines_async, iterencode_lines_async.

Tests run their coroutines with plain ``asyncio.run``: no plugin needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from streamjson._aio import dump_async, dump_lines_async, iterencode_async, iterencode_lines_async
from streamjson._lines import dumps_lines
from tests import strategies as sts
from tests.helpers import TIMEOUT, AsyncBytes, Upper, aiterate, outcome, text_of


def run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, TIMEOUT)

    return asyncio.run(bounded())


def alazy(value: Any) -> Any:
    """The same document with every list an async generator and str-keyed dicts async Objects."""
    if type(value) is list:
        return aiterate([alazy(v) for v in value])
    if type(value) is dict:
        pairs = [(k, alazy(v)) for k, v in value.items()]
        if all(type(k) is str for k in value):
            return streamjson.Object(aiterate(pairs, pause=False))
        return dict(pairs)
    if type(value) is tuple:
        return tuple(alazy(v) for v in value)
    return value


class Probe:
    """Async and sync generators that record whether they were closed before finishing."""

    def __init__(self) -> None:
        self.open: set[str] = set()
        self.closed: list[str] = []

    async def agen(
        self, name: str, items: list[Any], wait: asyncio.Event | None = None
    ) -> AsyncIterator[Any]:
        self.open.add(name)
        try:
            for i, item in enumerate(items):
                if wait is not None and i == len(items) // 2:
                    await wait.wait()
                await asyncio.sleep(0)
                yield item
        finally:
            self.open.discard(name)
            self.closed.append(name)

    def gen(self, name: str, items: list[Any]) -> Iterator[Any]:
        self.open.add(name)
        try:
            yield from items
        finally:
            self.open.discard(name)
            self.closed.append(name)


# -- the text ------------------------------------------------------------------------


@given(sts.values, sts.options, st.sampled_from([1, 13, 65536]))
def test_async_sources_encode_like_the_lists_they_replace(
    value: Any, options: dict[str, Any], chunk_size: int
) -> None:
    expected = outcome(lambda: json.dumps(value, **options))
    got = outcome(
        lambda: run(text_of(iterencode_async(alazy(value), chunk_size=chunk_size, **options)))
    )
    assert got == expected


@given(sts.values_and_unsupported, sts.options)
def test_plain_values_encode_like_json(value: Any, options: dict[str, Any]) -> None:
    expected = outcome(lambda: json.dumps(value, **options))
    assert outcome(lambda: run(text_of(iterencode_async(value, **options)))) == expected


def test_objects_over_async_pairs_and_sort_keys() -> None:
    doc = streamjson.Object(
        aiterate([("b", 1), ("a", aiterate([2, 3])), ("c", {"d": aiterate([])})])
    )
    assert (
        run(text_of(iterencode_async(doc, sort_keys=True)))
        == '{"a": [2, 3], "b": 1, "c": {"d": []}}'
    )
    assert run(text_of(iterencode_async(streamjson.Object(aiterate([]))))) == "{}"


def test_async_iterables_that_are_not_generators() -> None:
    class Countdown:
        def __init__(self, n: int) -> None:
            self.n = n

        def __aiter__(self) -> Countdown:
            return self

        async def __anext__(self) -> int:
            if self.n == 0:
                raise StopAsyncIteration
            self.n -= 1
            return self.n

    class Table:
        def __aiter__(self) -> AsyncIterator[int]:
            return aiterate([1, 2])

    assert (
        run(text_of(iterencode_async({"a": Countdown(3), "b": Table()})))
        == '{"a": [2, 1, 0], "b": [1, 2]}'
    )


def test_iterencode_lines_async_over_sync_and_async_items() -> None:
    items = [{"id": i, "rows": list(range(i % 4))} for i in range(500)]
    expected = dumps_lines(items)
    assert run(text_of(iterencode_lines_async(items))) == expected
    assert run(text_of(iterencode_lines_async(aiterate(items), chunk_size=100))) == expected
    nested = aiterate([{"id": i, "rows": aiterate(list(range(i % 4)))} for i in range(500)])
    assert run(text_of(iterencode_lines_async(nested))) == expected
    assert run(text_of(iterencode_lines_async(aiterate([])))) == ""


def test_a_cls_that_overrides_encode_is_honoured() -> None:
    assert run(text_of(iterencode_async({"a": "b"}, cls=Upper))) == '{"A": "B"}'
    assert run(text_of(iterencode_lines_async(aiterate(["x", ["y"]]), cls=Upper))) == '"X"\n["Y"]\n'


def test_options_are_checked_when_called() -> None:
    probe = Probe()
    with pytest.raises(ValueError, match="chunk_size"):
        iterencode_async(probe.agen("a", [1]), chunk_size=0)
    with pytest.raises(TypeError, match="bogus"):
        iterencode_async([1], bogus=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="indent=2 cannot be used with JSON Lines"):
        iterencode_lines_async(probe.agen("b", [1]), indent=2)
    with pytest.raises(TypeError, match="expected an iterable of values"):
        iterencode_lines_async({"a": 1})
    with pytest.raises(ValueError, match="indent"):
        run(dump_lines_async([1], io.StringIO(), indent=1))
    assert probe.open == set() and probe.closed == []  # nothing was started


def test_chunks_are_about_chunk_size_and_come_before_the_source_ends() -> None:
    produced = []

    async def rows() -> AsyncIterator[dict[str, int]]:
        for i in range(20_000):
            produced.append(i)
            yield {"i": i, "square": i * i}

    async def main() -> tuple[list[str], int]:
        chunks: list[str] = []
        seen_at_first = -1
        async for chunk in iterencode_async({"rows": rows()}, chunk_size=1000):
            if not chunks:
                seen_at_first = len(produced)
            chunks.append(chunk)
        return chunks, seen_at_first

    chunks, seen_at_first = run(main())
    assert seen_at_first < 20_000  # the first text left before the last row was made
    assert all(1000 <= len(c) < 10_000 for c in chunks[:-1])
    assert json.loads("".join(chunks)) == {
        "rows": [{"i": i, "square": i * i} for i in range(20_000)]
    }


@pytest.mark.parametrize("shape", ["array", "object", "lines"])
def test_with_chunk_size_1_each_item_is_sent_before_the_next_is_pulled(shape: str) -> None:
    pulled = 0

    async def source() -> AsyncIterator[int]:
        nonlocal pulled
        for i in range(50):
            pulled += 1
            yield i

    async def main() -> list[int]:
        if shape == "lines":
            chunks = iterencode_lines_async(source(), chunk_size=1)
        elif shape == "array":
            chunks = iterencode_async(source(), chunk_size=1)
        else:
            pairs = ((f"k{i}", i) async for i in source())
            chunks = iterencode_async(streamjson.Object(pairs), chunk_size=1)
        return [pulled async for _ in chunks]

    assert run(main())[:5] == [1, 2, 3, 4, 5]  # items pulled when each chunk came


# -- failures, early stops and cancellation --------------------------------------------


def test_an_error_from_a_source_has_its_path_and_closes_the_others() -> None:
    probe = Probe()

    async def failing() -> AsyncIterator[int]:
        yield 1
        raise KeyError("source broke")

    doc = {"a": probe.agen("outer", [{"b": failing(), "c": probe.gen("sync", [1])}, 2])}
    with pytest.raises(KeyError, match="source broke") as info:
        run(text_of(iterencode_async(doc)))
    assert getattr(info.value, "__notes__", []) == [
        "streamjson: while reading the items of $.a[0].b"
    ]
    assert probe.open == set()
    assert probe.closed == ["outer"]  # "sync" was never started: the walker had not reached it


def test_an_encoding_error_closes_the_sources_it_was_reading() -> None:
    probe = Probe()
    # Long sources: the walker reads async items in batches, and a source it has read
    # to the end has finished by itself.
    inner = probe.agen("inner", [2, {3}, *range(10_000)])
    doc = [probe.agen("outer", [1, inner, *range(10_000)]), probe.gen("sync", [6])]
    with pytest.raises(TypeError, match="set is not JSON serializable") as info:
        run(text_of(iterencode_async(doc)))
    assert getattr(info.value, "__notes__", []) == [
        "streamjson: when encoding the value at $[0][1][1]"
    ]
    assert probe.open == set()
    assert probe.closed == ["inner", "outer"]  # innermost first; "sync" was never started


def test_a_consumer_that_stops_early_closes_the_sources() -> None:
    probe = Probe()

    async def main() -> str:
        rows = [{"i": i, "tags": probe.gen(f"tags{i}", ["x"])} for i in range(10_000)]
        doc = {"rows": probe.agen("rows", rows), "more": probe.agen("more", [1])}
        chunks = iterencode_async(doc, chunk_size=100)
        first: str = await chunks.__anext__()
        assert probe.open >= {"rows"}
        await chunks.aclose()
        return first

    assert run(main()).startswith('{"rows": [{"i": 0, "tags": ["x"]}')
    assert probe.open == set() or probe.open == {"more"}  # "more" was never started
    assert "rows" in probe.closed


def test_cancelling_while_a_source_waits_closes_the_sources() -> None:
    probe = Probe()

    async def main() -> None:
        never = asyncio.Event()
        out = io.BytesIO()
        doc = {
            "rows": probe.agen(
                "rows", [{"n": probe.agen(f"n{i}", [i, i])} for i in range(100)], never
            )
        }
        task = asyncio.create_task(dump_async(doc, out, chunk_size=10))
        while out.tell() == 0:
            await asyncio.sleep(0.001)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert out.getvalue().startswith(b'{"rows": [{"n": [0, 0]}')

    run(main())
    assert probe.open == set()
    assert "rows" in probe.closed


def test_cancelling_while_the_writer_drains_closes_the_sources() -> None:
    probe = Probe()

    class Stuck:
        """A StreamWriter whose peer stopped reading: drain() never returns."""

        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, data: bytes) -> None:
            self.data += data

        async def drain(self) -> None:
            await asyncio.Event().wait()

    async def main() -> None:
        writer = Stuck()
        task = asyncio.create_task(
            dump_lines_async(probe.agen("rows", list(range(100_000))), writer)
        )
        while not writer.data:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(writer.data) < 200_000

    run(main())
    assert probe.open == set() and probe.closed == ["rows"]


def test_a_failing_writer_is_not_swallowed_and_closes_the_sources() -> None:
    probe = Probe()

    class Gone:
        async def write(self, data: bytes) -> None:
            raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError, match="peer went away"):
        run(dump_async(probe.agen("rows", list(range(10))), Gone(), chunk_size=1))
    assert probe.open == set() and probe.closed == ["rows"]


# -- writers ----------------------------------------------------------------------------


class Drained:
    """Records what an asyncio.StreamWriter would be asked to do."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def write(self, data: bytes) -> None:
        self.calls.append(bytes(data))

    async def drain(self) -> None:
        self.calls.append("drain")


class AsyncText:
    """An async text file (like aiofiles in text mode): it says so with ``encoding``."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self.text = ""

    async def write(self, text: str) -> int:
        assert isinstance(text, str)
        self.text += text
        return len(text)


class Queued:
    """A plain ``write()`` that returns an awaitable: it is awaited."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self.got: list[str] = []

    def write(self, text: str) -> Awaitable[None]:
        if not isinstance(text, str):
            raise TypeError("text only")
        return self.queue.put(text)


def test_a_stream_writer_is_drained_after_each_write() -> None:
    writer = Drained()
    run(dump_async([iter(range(1000))], writer, chunk_size=100))
    writes = writer.calls[0::2]
    assert all(isinstance(w, bytes) for w in writes) and writer.calls[1::2] == ["drain"] * len(
        writes
    )
    assert b"".join(writes) == json.dumps([list(range(1000))]).encode()


@pytest.mark.parametrize("writer", [AsyncBytes, AsyncText, io.BytesIO, io.StringIO])
def test_async_and_sync_writers(writer: Callable[[], Any]) -> None:
    doc = {"é": aiterate(["😀", 1.5]), "n": None}
    sink = writer()
    run(dump_async(doc, sink, ensure_ascii=False))
    got = (
        sink.getvalue()
        if isinstance(sink, (io.BytesIO, io.StringIO))
        else getattr(sink, "data", None)
    )
    text = got.decode() if isinstance(got, bytes) else (got if got is not None else sink.text)
    assert text == '{"é": ["😀", 1.5], "n": null}'


def test_binary_writers_get_the_encoding_with_one_bom_at_most() -> None:
    sink = AsyncBytes()
    run(dump_async(aiterate(["é"] * 100), sink, chunk_size=4, encoding="utf-16"))
    assert sink.data.decode("utf-16") == json.dumps(["é"] * 100)
    out = io.BytesIO()
    run(dump_lines_async(aiterate(["é"]), out, ensure_ascii=False, encoding="latin-1"))
    assert out.getvalue() == b'"\xe9"\n'


def test_a_write_that_returns_an_awaitable_is_awaited() -> None:
    async def main() -> str:
        sink = Queued()

        async def drain_queue() -> None:
            while True:
                sink.got.append(await sink.queue.get())

        reader = asyncio.create_task(drain_queue())
        await dump_lines_async(aiterate(list(range(50))), sink, chunk_size=5)
        await asyncio.sleep(0)
        reader.cancel()
        return "".join(sink.got)

    assert run(main()) == "".join(f"{i}\n" for i in range(50))


def test_unsuitable_writers_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    probe = Probe()
    closed = io.BytesIO()
    closed.close()
    left, right = socket.socketpair()
    with left, right:
        for bad, error in [
            (str(tmp_path / "x.json"), TypeError),
            (tmp_path / "x.json", TypeError),
            (left, TypeError),
            (object(), TypeError),
            (closed, ValueError),
        ]:
            with pytest.raises(error):
                run(dump_async(probe.agen("a", [1]), bad))
    with pytest.raises(LookupError):
        run(dump_async([1], io.BytesIO(), encoding="no-such-codec"))
    assert probe.closed == [] and os.listdir(tmp_path) == []


class ReadOnlyAsync:
    """An async file (aiofiles' shape) whose ``writable()`` is a coroutine saying no."""

    async def writable(self) -> bool:
        return False

    async def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("write")


@pytest.mark.parametrize("entry", ["dump_async", "dump_lines_async"])
@pytest.mark.parametrize("opened", ["rb", "r", "async"])
def test_a_read_only_writer_fails_before_the_source_is_read(
    tmp_path: Path, entry: str, opened: str
) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"")
    read: list[int] = []

    def source() -> Iterator[int]:
        read.append(1)
        yield 1

    drive = getattr(streamjson, entry)
    with contextlib.ExitStack() as stack:
        writer = ReadOnlyAsync() if opened == "async" else stack.enter_context(open(path, opened))
        with pytest.raises(io.UnsupportedOperation, match="not writable"):
            run(drive(source(), writer))
    assert read == [] and path.read_bytes() == b""


def test_blocking_io_error_without_a_count_took_nothing_and_the_rest_follows() -> None:
    left, right = socket.socketpair()
    left.setblocking(False)
    doc = [{"i": i, "s": "é" * 50} for i in range(20000)]

    class SendWriter(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            return left.send(data)  # a full socket: BlockingIOError with no count

        def fileno(self) -> int:
            return left.fileno()

    got = bytearray()

    def read() -> None:  # in a thread: a sync writer does not yield to the event loop
        while chunk := right.recv(65536):
            got.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    with right:
        try:
            run(dump_async(doc, SendWriter()))
        finally:
            left.close()
            reader.join()
    assert got.decode() == json.dumps(doc)


def test_sync_functions_refuse_async_sources_naming_the_async_one(tmp_path: Path) -> None:
    doc = {"a": aiterate([1])}
    with pytest.raises(TypeError, match=r"use streamjson.iterencode_async\(\) instead"):
        streamjson.dumps(doc)
    with pytest.raises(TypeError, match=r"use streamjson.iterencode_async\(\) instead"):
        "".join(streamjson.iterencode([streamjson.Object(aiterate([]))]))
    with pytest.raises(TypeError, match=r"use streamjson.dump_async\(\) instead"):
        streamjson.dump(aiterate([1]), tmp_path / "x.json")
    assert os.listdir(tmp_path) == []


# -- over a real TCP connection ------------------------------------------------------------


async def serve(
    handler: Callable[[asyncio.StreamWriter], Awaitable[None]],
) -> tuple[asyncio.Server, int]:
    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(writer)
        finally:
            writer.close()

    server = await asyncio.start_server(connected, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_dump_async_over_tcp_client_parses_records_as_they_arrive() -> None:
    count = 50_000

    async def main() -> list[Any]:
        first_parsed = asyncio.Event()

        async def records() -> AsyncIterator[dict[str, Any]]:
            for i in range(count):
                if i == 1000:  # go on only once the client has parsed a record
                    await first_parsed.wait()
                yield {"id": i, "name": f"user{i}", "score": i / 4}

        async def handler(writer: asyncio.StreamWriter) -> None:
            await dump_async({"count": count, "records": records()}, writer, chunk_size=4096)

        server, port = await serve(handler)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            got = []
            async for record in ijson.items_async(reader, "records.item", use_float=True):
                got.append(record)
                first_parsed.set()
            writer.close()
            await writer.wait_closed()
        return got

    assert run(main()) == [{"id": i, "name": f"user{i}", "score": i / 4} for i in range(count)]


def test_dump_lines_async_over_tcp_client_reads_line_by_line() -> None:
    async def main() -> list[Any]:
        async def handler(writer: asyncio.StreamWriter) -> None:
            events = aiterate(
                [{"event": i, "tags": aiterate(["a"] * (i % 3))} for i in range(5000)]
            )
            await dump_lines_async(events, writer, chunk_size=512)

        server, port = await serve(handler)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            got = []
            while line := await reader.readline():
                got.append(json.loads(line))
            writer.close()
            await writer.wait_closed()
        return got

    assert run(main()) == [{"event": i, "tags": ["a"] * (i % 3)} for i in range(5000)]


def test_a_client_that_hangs_up_stops_the_producer() -> None:
    probe = Probe()

    async def main() -> BaseException | None:
        done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

        async def handler(writer: asyncio.StreamWriter) -> None:
            try:
                await dump_lines_async(probe.agen("rows", [{"i": i} for i in range(10**6)]), writer)
            except BaseException as exc:  # what the server sees when the peer is gone
                done.set_result(exc)
            else:
                done.set_result(None)

        server, port = await serve(handler)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert json.loads(await reader.readline()) == {"i": 0}
            writer.transport.abort()  # hang up at once, unread data and all
            return await done

    assert isinstance(run(main()), ConnectionError)
    assert probe.open == set() and probe.closed == ["rows"]


@pytest.mark.parametrize(
    ("entry", "twin"), [(dump_async, "dump"), (dump_lines_async, "dump_lines")]
)
def test_an_async_writer_refusing_a_path_names_itself_and_its_sync_twin(
    tmp_path: Path, entry: Callable[..., Awaitable[None]], twin: str
) -> None:
    name = entry.__name__
    with pytest.raises(
        TypeError, match=rf"^streamjson\.{name}\(\) needs .* streamjson\.{twin}\(\) in a"
    ):
        run(entry([1], tmp_path / "x.json"))
    assert os.listdir(tmp_path) == []
