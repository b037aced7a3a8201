"""The async driver: ``iterencode_async``, ``dump_async`` and their JSON Lines twins.

The walker does the encoding here too. When it meets an async source it yields a
``Pull``; :func:`drive` awaits the source's next item and sends it back. An error
from a source is thrown into the walker, which adds the JSON path and closes the
generators it started; :func:`drive` then closes the async generators it pulled
from. Consumers that stop early (``aclose()``, a cancelled task, a client that hung
up on a streaming response) get the same clean-up.
"""

from __future__ import annotations

import codecs
import contextlib
import inspect
import io
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from types import AsyncGeneratorType
from typing import Any

from ._encode import Start, start_walk, walk
from ._lines import line_chunks, start_lines
from ._options import DEFAULT_CHUNK_SIZE
from ._sinks import (
    Kind,
    classify,
    is_utf8,
    left_after,
    stalled,
    takes_utf8,
    trial_writes,
    written_before,
)
from ._types import EXHAUSTED, Chunk, Pull

AsyncWrite = Callable[[str], Awaitable[None]]


async def drive(chunks: Iterator[Chunk]) -> AsyncGenerator[Any, None]:
    """Run the walker's chunk generator, awaiting the async sources it asks for.

    Yields the text chunks (``chunks`` may also be a plain iterator of text). If
    anything fails, or the consumer stops early, the walker is closed and then every
    async generator it pulled from and did not finish is closed with ``aclose()``,
    innermost first.
    """
    walker = chunks if isinstance(chunks, Generator) else _generator(chunks)
    pulled: dict[int, AsyncIterator[Any]] = {}  # started and not yet exhausted
    sent: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                chunk = walker.send(sent) if error is None else walker.throw(error)
            except StopIteration:
                return
            sent = error = None
            if type(chunk) is str or type(chunk) is bytes:
                yield chunk
                continue
            assert isinstance(chunk, Pull)
            source = chunk.source
            pulled.setdefault(id(source), source)
            try:
                sent = await source.__anext__()
            except StopAsyncIteration:
                del pulled[id(source)]
                sent = EXHAUSTED
            except BaseException as exc:  # cancellation too: the walker closes its frames
                error = exc
    finally:
        walker.close()
        async with contextlib.AsyncExitStack() as stack:
            for source in pulled.values():  # the stack closes the last pushed first
                if isinstance(source, AsyncGeneratorType):
                    stack.push_async_callback(source.aclose)


def _generator(text: Iterator[Chunk]) -> Generator[Chunk, Any, None]:
    yield from text


def iterencode_async(
    obj: Any,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    fast: bool = False,
    **kw: Any,
) -> AsyncGenerator[str, None]:
    """Yield the JSON text of ``obj`` in chunks, awaiting the async sources it holds.

    Like :func:`iterencode`, and async iterables and async generators anywhere in
    the document are encoded as arrays, and an :class:`Object` over an async
    iterable of pairs as an object. Options are checked when it is called. The
    result is an async generator: use it as the body of a streaming HTTP response.

    ``chunk_size`` is also the latency knob: text is held until about that many
    characters are ready, so a slow source shows up late with a large one.
    Closing the generator early (or cancelling the task that runs it) closes the
    async generators it started. ``fast=True`` writes orjson's format (see
    :func:`streamjson.iterencode`).
    """
    return drive(walk(obj, chunk_size, dict(kw), fast=fast))


def iterencode_lines_async(
    iterable: Iterable[Any] | AsyncIterable[Any],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    fast: bool = False,
    **kw: Any,
) -> AsyncGenerator[str, None]:
    """Yield the JSON Lines text of a sync or async iterable of documents, in chunks.

    Each item is encoded like ``dumps(item, **kw)`` and followed by ``"\\n"``; items
    may hold async sources too. ``indent`` is a ValueError. See :func:`iterencode_async`
    (``fast`` too).
    """
    return drive(line_chunks(iterable, chunk_size, dict(kw), fast=fast))


async def dump_async(
    obj: Any,
    writer: Any,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    fast: bool = False,
    **kw: Any,
) -> None:
    """Write the JSON text of ``obj`` to ``writer``, awaiting async sources and the writer.

    ``writer`` is an ``asyncio.StreamWriter`` (each chunk is written, then
    ``await drain()`` applies back-pressure) or any object with a ``write()``
    method, sync or async; an awaitable that ``write()`` returns is awaited. The
    text is exactly ``dumps(obj, **kw)`` (with ``fast=True``, ``dumps(obj, fast=True,
    **kw)``). The writer is not closed.
    """
    start = start_walk(obj, chunk_size, dict(kw), fast=fast)
    await _write_all(start, writer, encoding, "dump_async")


async def dump_lines_async(
    iterable: Iterable[Any] | AsyncIterable[Any],
    writer: Any,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    fast: bool = False,
    **kw: Any,
) -> None:
    """Write a sync or async iterable of documents to ``writer`` as JSON Lines.

    Each item is encoded like ``dumps(item, **kw)`` and followed by ``"\\n"``;
    ``indent`` is a ValueError. ``writer`` is taken as in :func:`dump_async`;
    ``fast=True`` writes orjson's format, as :func:`dump_lines` does with it.
    """
    start = start_lines(iterable, chunk_size, dict(kw), fast=fast)
    await _write_all(start, writer, encoding, "dump_lines_async")


async def _write_all(start: Start, writer: Any, encoding: str, name: str) -> None:
    """Write every chunk of the walk ``start`` starts (UTF-8 bytes for a writer that
    takes them) to ``writer``; close it whatever happens.

    ``name`` is the function writing, for its errors (see :func:`async_sink`).
    """
    write = await async_sink(writer, encoding, name)
    async with contextlib.aclosing(drive(start(takes_utf8(write)))) as text:
        async for chunk in text:
            await write(chunk)


async def async_sink(writer: Any, encoding: str, name: str) -> AsyncWrite:
    """Check ``writer`` and return an async ``write(text)`` for it.

    A path or a socket is a TypeError naming ``name``, the function writing (say
    ``dump_async``), and its sync twin for a path.

    A writer with a plain ``write()`` and a ``drain()`` coroutine method is taken for
    an ``asyncio.StreamWriter``: ``await drain()`` follows each write. Whether it
    takes text or bytes is decided here, before the source is read, as
    :func:`open_sink` decides it (:func:`classify`, then empty writes, awaited, for
    a guess); with nothing to go on, a StreamWriter or an ``async def write()`` is
    taken to want bytes (network writers do). A closed writer, or one whose
    ``writable()`` (awaited if it returns an awaitable) is false, fails here too, as
    in :func:`open_sink`. What a write does not take is written again, as
    :func:`open_sink`'s writers do (:func:`left_after`).
    """
    encode = codecs.getincrementalencoder(encoding)().encode  # one BOM at most, not one a chunk
    kind, certain = classify(writer)
    if kind is Kind.PATH or kind is Kind.SOCKET:
        raise TypeError(
            f"streamjson.{name}() needs an object with a write() method, not a "
            f"{type(writer).__name__}: use asyncio.open_connection() for a socket, or "
            f"streamjson.{name.removesuffix('_async')}() in a thread for a path"
        )
    write = getattr(writer, "write", None)
    if not callable(write):
        raise TypeError(f"writer must have a write() method, not {type(writer).__name__}")
    if getattr(writer, "closed", False) is True:
        raise ValueError("I/O operation on closed file.")
    writable = getattr(writer, "writable", None)
    if callable(writable):
        answer = writable()
        if not (await answer if inspect.isawaitable(answer) else answer):
            raise io.UnsupportedOperation("not writable")  # before the source is read
    drain = getattr(writer, "drain", None)
    if inspect.iscoroutinefunction(write) or not inspect.iscoroutinefunction(drain):
        drain = None  # an awaited write() applies back-pressure itself
    if kind is None and (drain is not None or inspect.iscoroutinefunction(write)):
        kind, certain = Kind.BINARY, True
    binary = await _confirm_kind(kind, certain, write) is Kind.BINARY
    raw = isinstance(writer, io.RawIOBase)

    async def put(text: str | bytes) -> None:
        data: Any = encode(text) if binary and type(text) is str else text
        stalls = 0
        while data:
            try:
                result = write(data)
                if inspect.isawaitable(result):
                    result = await result
                left = left_after(data, result, raw)
            except BlockingIOError as exc:
                if not binary:
                    raise
                left = left_after(data, written_before(exc), raw)
            stalls = stalled(stalls, writer, len(data), len(left))
            data = left
        if drain is not None:
            await drain()

    put.utf8 = binary and is_utf8(encoding)  # type: ignore[attr-defined]
    return put


async def _confirm_kind(kind: Kind | None, certain: bool, write: Callable[[Any], Any]) -> Kind:
    """:func:`trial_writes` for a writer whose ``write()`` may return an awaitable."""
    steps = trial_writes(kind, certain, write)
    try:
        result = next(steps)
        while True:
            try:
                if inspect.isawaitable(result):
                    await result
            except TypeError as exc:
                result = steps.throw(exc)
            else:
                result = steps.send(None)
    except StopIteration as done:
        found: Kind = done.value
        return found
