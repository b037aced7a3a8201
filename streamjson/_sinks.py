"""Where chunks go: text and binary files, sockets, and paths written atomically.

``open_sink(target, encoding)`` checks the target before anything is encoded and
returns a context manager that yields ``write(text)``. Leaving it normally
completes the output (for a path: flush, fsync, rename over the target); leaving
it with an exception discards what a path target got and leaves a stream as it is.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import lzma
import os
import secrets
import select
import socket
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from ._encode import EncodeOptions, refuse_async, walk
from ._location import add_note
from ._options import DEFAULT_CHUNK_SIZE
from ._types import Chunk

if TYPE_CHECKING:
    import sys

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

Write = Callable[[str], None]

GZIP_LEVEL = 6  # zlib's own default: about 3x faster than gzip.open's 9, output a few % larger

# Each wraps a binary file (anything with write() and flush()); its caller closes it.
_COMPRESSORS: dict[str, Callable[[Any, str], io.BufferedIOBase]] = {
    ".gz": lambda raw, name: gzip.GzipFile(
        filename=name, mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL
    ),
    ".bz2": lambda raw, name: bz2.BZ2File(raw, "wb"),
    ".xz": lambda raw, name: lzma.LZMAFile(raw, "wb"),  # noqa: SIM115
}


def dump(
    obj: Any,
    fp: Any,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    fast: bool = False,
    **kw: Unpack[EncodeOptions],
) -> None:
    """Write the JSON text of ``obj`` to ``fp`` as it is produced, in bounded memory.

    ``fp`` is a text or binary file-like object, a connected socket, or a path (str
    or os.PathLike), written atomically and compressed by suffix. Binary sinks get
    the text encoded with ``encoding``. The text is exactly ``dumps(obj, **kw)``
    (with ``fast=True``, orjson's format: see :func:`streamjson.iterencode`).
    """
    write_chunks(walk(obj, chunk_size, dict(kw), fast=fast), fp, encoding, "dump_async")


def write_chunks(chunks: Iterator[Chunk], fp: Any, encoding: str, use: str) -> None:
    """Write ``chunks`` to the sink ``fp`` (see :func:`open_sink`), then close ``chunks``.

    An async source in the document is a TypeError naming ``streamjson.<use>()``.
    ``chunks`` is closed whatever happens, so the generators it started are closed.
    """
    written = 0
    try:
        with open_sink(fp, encoding) as write:
            for chunk in refuse_async(chunks, use):
                try:
                    write(chunk)
                except UnicodeEncodeError as exc:
                    add_note(exc, f"streamjson: at character {written + exc.start} of the document")
                    raise
                written += len(chunk)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def open_sink(target: Any, encoding: str = "utf-8") -> contextlib.AbstractContextManager[Write]:
    """Check ``target`` and return a context manager giving its ``write(text)``.

    The rule for telling text from binary targets, in order: a path or a socket is
    binary; an ``io.TextIOBase`` is text; an ``io.RawIOBase`` or ``io.BufferedIOBase``
    is binary; an object with a ``mode`` attribute is binary if ``"b"`` is in it; an
    object with an ``encoding`` attribute is text; anything else is text unless
    ``write("")`` raises TypeError, and then binary. Nothing but that empty write is
    written before the first chunk.
    """
    codecs.lookup(encoding)  # an unknown encoding fails here, before anything is read
    if isinstance(target, (str, os.PathLike)):
        return _atomic_path(os.fspath(target), encoding)
    if isinstance(target, socket.socket):
        encode = codecs.getincrementalencoder(encoding)().encode
        if target.gettimeout() == 0.0:  # non-blocking: sendall cannot say what it sent
            return contextlib.nullcontext(_socket_writer(target, encode))
        sendall = target.sendall
        return contextlib.nullcontext(lambda text: sendall(encode(text)))
    write = getattr(target, "write", None)
    if not callable(write):
        raise TypeError(
            "fp must be a path, a socket or an object with a write() method, "
            f"not {type(target).__name__}"
        )
    if getattr(target, "closed", False) is True:
        raise ValueError("I/O operation on closed file.")
    writable = getattr(target, "writable", None)
    if callable(writable) and not writable():
        raise io.UnsupportedOperation("not writable")
    if _is_binary(target, write):
        return contextlib.nullcontext(_binary_writer(target, write, encoding))
    # A text file cannot say how much of a str it took (BlockingIOError counts the
    # bytes of its buffer), so a non-blocking one raises rather than lose text.
    return contextlib.nullcontext(write)


def binary_hint(target: Any) -> bool | None:
    """Whether ``target`` takes bytes, from its type and attributes; None if they don't say."""
    if isinstance(target, io.TextIOBase):
        return False
    if isinstance(target, (io.RawIOBase, io.BufferedIOBase)):
        return True
    mode = getattr(target, "mode", None)
    if isinstance(mode, str):
        return "b" in mode
    if hasattr(target, "encoding"):
        return False
    return None


def _is_binary(target: Any, write: Callable[[Any], Any]) -> bool:
    hint = binary_hint(target)
    if hint is not None:
        return hint
    try:
        write("")
    except TypeError:
        return True
    return False


def _socket_writer(sock: socket.socket, encode: Callable[[str], bytes]) -> Write:
    """send() to a non-blocking socket until all is sent, waiting while it is full."""

    def send_all(text: str) -> None:
        data = memoryview(encode(text))
        while data:
            try:
                data = data[sock.send(data) :]
            except BlockingIOError:
                select.select([], [sock], [])

    return send_all


def _binary_writer(target: Any, write: Callable[[Any], Any], encoding: str) -> Write:
    raw = isinstance(target, io.RawIOBase)
    encode = codecs.getincrementalencoder(encoding)().encode  # one BOM at most, not one a chunk

    def write_bytes(text: str) -> None:
        data: Any = encode(text)
        while data:
            try:
                n = write(data)
            except BlockingIOError as exc:
                n = exc.characters_written
                _wait_writable(target)
            else:
                if not raw:
                    return  # buffered writers take everything or raise
                if n is None:  # a non-blocking raw file that would block
                    n = 0
                    _wait_writable(target)
            if n:
                data = memoryview(data)[n:]

    return write_bytes


def _wait_writable(target: Any) -> None:
    """Block until a non-blocking file can take more (or return at once if unknowable)."""
    fileno = getattr(target, "fileno", None)
    with contextlib.suppress(OSError, ValueError, TypeError, io.UnsupportedOperation):
        if fileno is not None:
            select.select([], [fileno()], [])


@contextlib.contextmanager
def _atomic_path(path: str, encoding: str) -> Iterator[Write]:
    """Write into a temporary file beside ``path``; rename it over ``path`` when done.

    On success the file is flushed, fsynced, given the old file's permissions and
    renamed over ``path``, and the folder fsynced. On any failure (the disk, the
    source, the encoder, Ctrl-C) nothing more is written to the disk: buffers and a
    compressor's trailer are dropped, the file descriptor is closed, the temporary
    file removed, and the first error propagates unchanged.
    """
    folder, name = os.path.split(os.path.abspath(path))
    tmp, fd = _create_temp(folder, name)
    try:
        raw = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    compress = _COMPRESSORS.get(os.path.splitext(name)[1].lower())
    cutoff: _Cutoff | None = None
    stream: IO[bytes] | io.BufferedIOBase = raw
    try:
        if compress is not None:
            cutoff = _Cutoff(raw)
            stream = compress(cutoff, name)
        yield _binary_writer(stream, stream.write, encoding)
        if stream is not raw:
            stream.close()  # the compressor's trailer; the file itself stays open
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        _copy_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        # Writing again would meet the failing disk again (and may raise a second
        # error over the first): the compressor is closed into nothing, and the file
        # closed without flushing what it buffers.
        if cutoff is not None:
            cutoff.cut()
            with contextlib.suppress(Exception):
                stream.close()
        _close_unflushed(raw)
        _unlink(tmp)
        raise
    _fsync_folder(folder)


class _Cutoff:
    """What a compressor writes to: the temporary file until :meth:`cut`, then nothing.

    After a failure the compressor is still closed, so that it ends in a clean state
    (nothing left for a finalizer to flush), but what it writes then is dropped.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file: IO[bytes] | None = file

    def write(self, data: Any) -> int:
        """Write ``data`` to the file, or drop it once cut; returns its size either way."""
        if self._file is None:
            return memoryview(data).nbytes
        return self._file.write(data)

    def flush(self) -> None:
        """Flush the file (nothing once cut)."""
        if self._file is not None:
            self._file.flush()

    def fileno(self) -> int:
        """The file's descriptor (a compressor's ``fileno()`` asks for it)."""
        if self._file is None:
            raise ValueError("I/O operation on closed file.")
        return self._file.fileno()

    def cut(self) -> None:
        """Drop every later write."""
        self._file = None


def _close_unflushed(file: IO[bytes]) -> None:
    """Close ``file``'s descriptor without writing what its buffer still holds.

    A buffered file is closed through the raw file under it, whose ``close()`` writes
    nothing; the buffer object then reports itself closed and is never flushed.
    """
    inner: Any = getattr(file, "raw", file)
    with contextlib.suppress(Exception):
        inner.close()  # FileIO lets go of the descriptor even when close(2) reports an error


def _unlink(tmp: str) -> None:
    """Remove the temporary file; one that is already gone is fine."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _create_temp(folder: str, name: str) -> tuple[str, int]:
    """Create ``.name.<8 hex digits>.tmp`` beside the target, with the umask's permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue


def _copy_mode(path: str, tmp: str) -> None:
    """Keep the permissions of the file being replaced."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    os.chmod(tmp, mode & 0o7777)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
