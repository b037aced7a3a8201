"""Push-style writers: ``LinesWriter`` (JSON Lines) and ``ArrayWriter`` (one JSON array).

For producers that are callbacks rather than generators. Both take the sinks
:func:`dump` takes, hold the sink open between calls, and share these rules:

* ``close()`` (or leaving a ``with`` block normally) completes the output: an
  ArrayWriter writes its closing bracket, a path target is renamed into place (or,
  appended to, closed), a stream is flushed (it is not closed: it is the caller's).
* Leaving a ``with`` block with an exception does not complete it: a path written
  atomically is discarded, the previous file untouched; a stream is left as it is.
* A ``write()`` whose encoding fails before any of its text was written leaves the
  writer usable. Any other failure (the sink failed, a large element failed half
  way, anything in ``write_all``) fails the writer: later writes and ``close()``
  raise ValueError, and ``close()`` does not complete the output.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._batches import encode_plain
from ._encode import refuse_async
from ._fast import encode_whole
from ._layout import EMPTY_ARRAY
from ._lines import check_documents, encode_line
from ._options import DEFAULT_CHUNK_SIZE, Options, resolve
from ._sinks import (
    appended_sink,
    compressor,
    is_path,
    is_url,
    open_sink,
    path_name,
    refuse_storage_options,
    takes_utf8,
)
from ._types import Chunk, Target
from ._walker import Walker

if TYPE_CHECKING:
    from ._types import Self

Flush = Callable[[], None]


class _Writer:
    """A sink held open between calls; the completion and failure rules above."""

    def __init__(
        self,
        fp: Target,
        encoding: str,
        append: bool,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._failure: BaseException | None = None
        self._exit = contextlib.ExitStack()
        self._flush: Flush | None
        if append:
            if not is_path(fp):
                raise ValueError(f"append=True needs a path, not a {type(fp).__name__}")
            if is_url(fp):
                raise ValueError(
                    f"append=True needs a local path, not the URL {fp!r}: objects in "
                    "object storage cannot be appended to (write a new object instead)"
                )
            refuse_storage_options(fp, storage_options)
            self._write, self._flush = self._exit.enter_context(
                appended_sink(path_name(fp), encoding)
            )
        else:
            self._write = self._exit.enter_context(open_sink(fp, encoding, storage_options))
            self._flush = _flush_of(fp)

    def close(self) -> None:
        """Complete the output and release the sink; closing twice does nothing.

        Raises ValueError, leaving the output incomplete, if the writer failed earlier.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._failure is not None:
                self._abort(self._failure)
                raise ValueError(
                    f"{type(self).__name__} not completed: an earlier write failed"
                ) from self._failure
            try:
                self._finish()
                if self._flush is not None:
                    self._flush()
            except BaseException as exc:
                self._abort(exc)
                raise
            self._exit.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
            return
        with self._lock:
            if not self._closed:
                self._closed = True
                self._abort(exc)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called or the ``with`` block was left."""
        return self._closed

    def _finish(self) -> None:
        """Write what completes the output (nothing, unless a subclass says so)."""

    def _abort(self, exc: BaseException) -> None:
        """Release the sink without completing the output.

        ``exc`` goes through the sink's context manager as if it had been raised in
        it: a path written atomically is discarded, an appended file closed, a
        stream left alone. ``exc`` itself is not raised again here.
        """
        self._exit.__exit__(type(exc), exc, exc.__traceback__)

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"write to a closed {type(self).__name__}")
        if self._failure is not None:
            raise ValueError(
                f"{type(self).__name__} cannot be written to: an earlier write failed"
            ) from self._failure


class LinesWriter(_Writer):
    """Write JSON Lines one document at a time: ``dumps(obj, **kw)`` and ``"\\n"`` per write.

    ``fp`` is any sink :func:`dump` takes. A path, or an fsspec URL (with
    ``storage_options`` for fsspec), is written atomically and appears on
    ``close()`` (the export use); with ``append=True`` it is opened for appending
    instead, created if missing, and lines are added as they are written (the log
    use; a local path only: a URL is a ValueError). A compressed suffix then appends
    a new compressed stream (for .zst, a frame), which gzip, bz2, xz and zstd readers
    read on as one file.

    With ``flush=True`` each line is flushed to the sink as soon as it is written: a
    file's buffer goes to the operating system (a reader or ``tail -f`` sees the
    line; fsync is not called), a socket gets it at once (sockets are never
    buffered). It cannot be used with a path written atomically, which appears only
    on close, nor with a compressed file, which cannot show a line before it ends.

    Safe to share between threads: each line is encoded by the calling thread and
    written with one write to the sink under a lock, so lines never interleave
    inside a line. ``indent``, or separators holding a line break, are a ValueError.
    ``fast=True`` writes orjson's format, as :func:`dump_lines` does with it.
    """

    def __init__(
        self,
        fp: Target,
        *,
        flush: bool = False,
        append: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        encoding: str = "utf-8",
        fast: bool = False,
        storage_options: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        self._block_options = resolve(kw, chunk_size, fast=fast, lines=True)  # for write_all()
        self._line_options = self._block_options.resized(sys.maxsize)  # write() holds its line
        self._override = self._line_options.override
        self._whole = _whole_encoder(self._line_options)
        self._idle: list[Walker] = []  # walkers for write() that no thread is using
        self._flush_each = flush
        if flush and is_path(fp):
            if not append:
                raise ValueError(
                    "flush=True cannot show lines of a path written atomically (it appears "
                    "on close): use append=True to add lines to the file as they come"
                )
            if compressor(path_name(fp)) is not None:
                raise ValueError("flush=True cannot show lines of a compressed file before it ends")
        super().__init__(fp, encoding, append, storage_options)

    def write(self, obj: Any) -> None:
        """Encode ``obj`` like ``dumps(obj, **kw)`` and write it as one line."""
        self._check_open()
        line = self._line(obj)
        with self._lock:
            self._check_open()
            self._put(line)

    def write_all(self, iterable: Iterable[Any]) -> None:
        """Write each item of ``iterable`` as a line.

        With ``flush=True`` this is ``write()`` for each item. Without it the items
        are encoded in batches, as :func:`dump_lines` does, and written in blocks of
        whole lines (one write each), so other threads' lines still fall between.
        """
        self._check_open()
        items = _sync_items(iterable, "dump_lines_async")
        try:
            if self._flush_each:
                for item in items:
                    self.write(item)
            else:
                self._write_blocks(items)
        except BaseException as exc:
            with self._lock:
                if self._failure is None:
                    self._failure = exc
            raise

    def _write_blocks(self, items: Iterator[Any]) -> None:
        """Write the lines of ``items`` in blocks of whole lines."""
        if self._override is not None:
            chunks: Iterator[Chunk] = map(self._line, items)
        else:
            utf8 = takes_utf8(self._write)
            chunks = Walker(self._block_options).chunks(items, lines=True, utf8=utf8)
        rest: Any = ""
        try:
            for chunk in refuse_async(chunks, "dump_lines_async"):
                text = rest + chunk if rest else chunk
                # the only line breaks end lines: options are checked
                end = text.rfind(b"\n" if type(text) is bytes else "\n") + 1
                rest = text[end:]
                if end:
                    with self._lock:
                        self._check_open()
                        self._put(text[:end])
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _line(self, obj: Any) -> str:
        """The line for ``obj``, newline included."""
        if self._override is not None:
            return encode_line(self._override, obj)
        if self._whole is not None:
            whole = self._whole(obj)
            if whole is not None:
                return whole + "\n"
        try:
            walker = self._idle.pop()
        except IndexError:
            walker = Walker(self._line_options, bounded=False)
        try:
            return "".join(refuse_async(walker.chunks(obj), "dump_lines_async")) + "\n"
        finally:
            self._idle.append(walker)

    def _put(self, text: str) -> None:
        """Write ``text``, and flush it with ``flush=True``; a failure fails the writer."""
        try:
            self._write(text)
            if self._flush_each and self._flush is not None:
                self._flush()
        except BaseException as exc:
            self._failure = exc
            raise


def _whole_encoder(options: Options) -> Callable[[Any], str | None] | None:
    """The shortcut ``dumps`` takes for a whole plain document under these options, if any.

    It returns the document's text, or None when the walker must write it.
    """
    if options.fast:
        return functools.partial(encode_whole, sort_keys=options.sort_keys)
    if options.json_default:
        return encode_plain
    return None


class ArrayWriter(_Writer):
    """Write one JSON array an element at a time.

    The output equals ``dumps(list_of_the_elements, **kw)`` for every option set,
    ``indent`` and ``separators`` included. ``close()`` (or leaving the ``with``
    block) writes the closing bracket; ``[]`` if nothing was written. If the block
    exits with an exception the array is not closed: a path target keeps its
    previous content; a stream holds the opening bracket and the elements written
    so far (and, if an element longer than ``chunk_size`` failed half way, the part
    of it that was written), so a parser sees it truncated, never as complete.

    Elements are written as they are encoded, in bounded memory. Safe to share
    between threads: each element is written whole under a lock. ``fast=True``
    writes orjson's format: the output equals ``dumps(list_of_the_elements,
    fast=True, **kw)``.
    """

    def __init__(
        self,
        fp: Target,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        encoding: str = "utf-8",
        fast: bool = False,
        storage_options: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        options = resolve(kw, chunk_size, fast=fast)
        if options.override is not None:
            raise TypeError(
                f"ArrayWriter cannot honour cls={type(options.override).__name__}: it overrides "
                "encode() or iterencode(), which need the whole array at once"
            )
        self._walker = Walker(options)
        self._open, self._sep, self._end = self._walker.layout.brackets("[", "]", 0)
        self._started = False  # an element was written
        self._writing = False
        super().__init__(fp, encoding, append=False, storage_options=storage_options)

    def write(self, obj: Any) -> None:
        """Append ``obj`` to the array, encoded as ``dumps`` encodes a list element."""
        with self._lock:
            self._start()
            chunks = self._walker.chunks(obj, level=1, utf8=takes_utf8(self._write))
            try:
                self._elements(refuse_async(chunks, "dump_async"))
            finally:
                chunks.close()
                self._writing = False

    def write_all(self, iterable: Iterable[Any]) -> None:
        """Append each item of ``iterable`` to the array, encoded in batches."""
        items = _sync_items(iterable, "dump_async")
        with self._lock:
            self._start()
            chunks = self._walker.chunks(items, bare=True, utf8=takes_utf8(self._write))
            try:
                self._elements(refuse_async(chunks, "dump_async"))
            except BaseException as exc:
                if self._failure is None:
                    self._failure = exc
                raise
            finally:
                chunks.close()
                self._writing = False

    def _start(self) -> None:
        self._check_open()
        if self._writing:
            raise RuntimeError("ArrayWriter written to while it was writing an element")
        self._writing = True

    def _elements(self, text: Iterator[str | bytes]) -> None:
        """Write element text (str, or UTF-8 bytes) after the pending separator, chunk by
        chunk."""
        head = self._sep if self._started else self._open
        written = False
        try:
            for chunk in text:
                if not written:
                    chunk = head + chunk if isinstance(chunk, str) else head.encode() + chunk
                self._put(chunk)
                written = True
        except BaseException as exc:
            if written:
                self._failure = exc
            raise
        self._started = self._started or written

    def _finish(self) -> None:
        self._write(self._end if self._started else EMPTY_ARRAY)

    def _put(self, text: str | bytes) -> None:
        try:
            self._write(text)
        except BaseException as exc:
            self._failure = exc
            raise


def _sync_items(iterable: Iterable[Any], use: str) -> Iterator[Any]:
    """An iterator over the items to write; an async iterable names the function to use."""
    if isinstance(iterable, AsyncIterable):
        raise TypeError(
            f"cannot write an async iterable ({type(iterable).__name__}) without awaiting "
            f"it: use streamjson.{use}() instead"
        )
    check_documents(iterable)
    return iter(iterable)


def _flush_of(fp: Target) -> Flush | None:
    """How to flush a stream we do not own: its ``flush()``, unless it is closed."""
    flush = getattr(fp, "flush", None)
    if not callable(flush) or is_path(fp):
        return None

    def flush_open() -> None:
        if getattr(fp, "closed", False) is not True:
            flush()

    return flush_open
