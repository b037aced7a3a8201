"""Where chunks go: text and binary files, sockets, and paths.

``open_sink(target, encoding)`` checks the target before anything is encoded and
returns a context manager that yields ``write(text)``. Leaving it normally
completes the output (for a path: flush, fsync, rename over the target); leaving
it with an exception discards what a path target got and leaves a stream as it is.

Every sink is told apart by :func:`classify`, a guess confirmed by the empty writes
of :func:`trial_writes` (``_aio`` uses both, and drives the same steps with awaits).
Every path is opened here: :func:`_path_sink` to write it, :func:`appended_sink` to
append to it. Every file-like writer goes through :func:`file_writer` (``_aio``
through :func:`left_after`), which writes again what a write did not take.

A binary sink whose encoding is UTF-8 also takes ``bytes``, written as they are: the
walker's UTF-8 chunks (see :func:`takes_utf8`), so that no str is made for them.
"""

from __future__ import annotations

import codecs
import contextlib
import enum
import io
import os
import re
import secrets
import select
import socket
import stat
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import IO, Any, TypeGuard, TypeVar

from ._codecs import Compressed, codec
from ._compress_thread import CompressThread
from ._encode import Start, refuse_async, start_walk
from ._location import add_note
from ._options import DEFAULT_CHUNK_SIZE
from ._types import Chunk, Target

Write = Callable[[Any], None]  # takes str; and bytes where takes_utf8() says so
Data = TypeVar("Data", str, bytes, memoryview)


def dump(
    obj: Any,
    fp: Target,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    fast: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    **kw: Any,
) -> None:
    """Write the JSON text of ``obj`` to ``fp`` as it is produced, in bounded memory.

    ``fp`` is a text or binary file-like object, a connected socket, or a path (str,
    bytes or os.PathLike), compressed by the suffix of the name given and written as
    ``open(path, "w")`` writes it: a regular file atomically, a FIFO or device in
    place. A str ``scheme://...`` is an fsspec URL (``s3://bucket/key.json.gz``),
    written all or nothing, with ``storage_options`` passed to fsspec. Binary sinks
    get the text encoded with ``encoding``. The text is exactly ``dumps(obj, **kw)``
    (with ``fast=True``, orjson's format: see :func:`streamjson.iterencode`).
    """
    start = start_walk(obj, chunk_size, dict(kw), fast=fast)
    write_chunks(start, fp, encoding, "dump_async", storage_options)


def write_chunks(
    chunks: Iterator[Chunk] | Start,
    fp: Target,
    encoding: str,
    use: str,
    storage_options: Mapping[str, Any] | None = None,
) -> None:
    """Write ``chunks`` to the sink ``fp`` (see :func:`open_sink`), then close ``chunks``.

    ``chunks`` is the chunk generator, or what starts it (a :data:`Start`), started
    once the sink is open: with UTF-8 bytes for a sink that takes them.
    An async source in the document is a TypeError naming ``streamjson.<use>()``.
    ``chunks`` is closed whatever happens, so the generators it started are closed.
    """
    written = 0
    started = None if callable(chunks) else chunks
    try:
        with open_sink(fp, encoding, storage_options) as write:
            text = chunks(takes_utf8(write)) if callable(chunks) else chunks
            started = text
            for chunk in refuse_async(text, use):
                try:
                    write(chunk)
                except UnicodeEncodeError as exc:
                    add_note(exc, f"streamjson: at character {written + exc.start} of the document")
                    raise
                written += len(chunk)
    finally:
        close = getattr(started, "close", None)
        if close is not None:
            close()


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` is UTF-8, however it is spelt (``utf-8-sig`` is not: its BOM
    comes from the encoder)."""
    return codecs.lookup(encoding).name == "utf-8"


def takes_utf8(write: Callable[..., Any]) -> bool:
    """Whether a ``write`` from this module (or ``_aio``) takes UTF-8 bytes as they are:
    that of a binary sink whose encoding is UTF-8."""
    return getattr(write, "utf8", False) is True


def byte_writer(write: Callable[[Any], Any], encoding: str) -> Callable[[Any], Any]:
    """``write`` for str chunks (encoded with ``encoding`` by one incremental encoder:
    one BOM at most, not one a chunk) and UTF-8 bytes, which pass as they are; marked
    for :func:`takes_utf8` when ``encoding`` is UTF-8."""
    encode = codecs.getincrementalencoder(encoding)().encode

    def put(text: str | bytes) -> Any:
        return write(text if type(text) is bytes else encode(text))  # type: ignore[arg-type]

    put.utf8 = is_utf8(encoding)  # type: ignore[attr-defined]
    return put


def is_path(target: object) -> TypeGuard[str | bytes | os.PathLike[Any]]:
    """Whether ``target`` is a path, as ``open()`` takes one: str, bytes or os.PathLike."""
    return isinstance(target, (str, bytes, os.PathLike))


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


def is_url(target: object) -> TypeGuard[str]:
    """Whether ``target`` is an fsspec URL: a str starting with ``scheme://`` (two letters
    or more: ``C://`` is a Windows drive). Any other path is a local path."""
    return isinstance(target, str) and _URL.match(target) is not None


def refuse_storage_options(target: object, storage_options: Mapping[str, Any] | None) -> None:
    """A ValueError if ``storage_options`` are given for a target that is not a URL."""
    if storage_options is not None and not is_url(target):
        raise ValueError(
            f"storage_options is for URLs (scheme://...), not for {type(target).__name__} "
            f"{target!r}"
        )


def path_name(target: str | bytes | os.PathLike[Any]) -> str:
    """The path ``target`` names, as a str (bytes decoded as ``open()`` decodes them)."""
    return os.fsdecode(target)


def compressor(path: str) -> Callable[[Any, str], Compressed] | None:
    """What compresses a file written through ``path``, chosen by the suffix of the name
    given, not of the file a symlink leads to; None for no compression.

    It wraps a binary file (anything with write() and flush()), which its caller
    closes. A codec whose package is missing is a ModuleNotFoundError naming the
    extra to install (see :mod:`._codecs`).
    """
    found = codec(path)
    return None if found is None else found.compress


class Kind(enum.Enum):
    """What a sink is, which decides how text reaches it."""

    PATH = "path"
    SOCKET = "socket"
    TEXT = "text"
    BINARY = "binary"


def classify(target: Any) -> tuple[Kind | None, bool]:
    """What ``target`` is, from its type and attributes alone (nothing is called).

    Returns the kind (None when its type and attributes do not say) and whether the
    kind is certain (from its type) or a guess (from a ``mode`` or ``encoding``
    attribute, which wrappers pass through from the file they wrap). In order: a
    path, a socket; a ``codecs`` StreamWriter or StreamReaderWriter is text (it
    encodes, whatever its file's mode says) and a StreamRecoder binary; an
    ``io.TextIOBase`` is text; an ``io.RawIOBase`` or ``io.BufferedIOBase`` binary;
    then a str ``mode`` guesses binary if ``"b"`` is in it, text if not; an
    ``encoding`` attribute guesses text.
    """
    if is_path(target):
        return Kind.PATH, True
    if isinstance(target, socket.socket):
        return Kind.SOCKET, True
    if isinstance(target, (codecs.StreamWriter, codecs.StreamReaderWriter, io.TextIOBase)):
        return Kind.TEXT, True
    if isinstance(target, (codecs.StreamRecoder, io.RawIOBase, io.BufferedIOBase)):
        return Kind.BINARY, True
    mode = getattr(target, "mode", None)
    if isinstance(mode, str):
        return (Kind.BINARY if "b" in mode else Kind.TEXT), False
    if hasattr(target, "encoding"):
        return Kind.TEXT, False
    return None, False


EMPTY: dict[Kind, str | bytes] = {Kind.TEXT: "", Kind.BINARY: b""}


def candidates(kind: Kind | None, certain: bool) -> tuple[Kind, ...]:
    """The kinds to try, in order, with an empty write each (none to try if certain).

    A guess is tried first, then the other kind; with no guess, text then bytes.
    """
    if certain:
        return ()
    if kind is Kind.BINARY:
        return Kind.BINARY, Kind.TEXT
    return Kind.TEXT, Kind.BINARY


def trial_writes(
    kind: Kind | None, certain: bool, write: Callable[[Any], Any]
) -> Generator[Any, None, Kind]:
    """Find the kind of a writer: certain, or the first candidate an empty write accepts.

    The one logic for sync and async writers: it yields what each empty write returned
    (an async driver awaits it and throws a TypeError it raised back in; a sync one
    just goes on) and returns the kind. When every candidate's empty write raises
    TypeError, the first one's is raised: the writer takes neither str nor bytes,
    and the source has not been read.
    """
    refused: TypeError | None = None
    for candidate in candidates(kind, certain):
        try:
            yield write(EMPTY[candidate])
        except TypeError as exc:
            refused = refused or exc
            continue
        return candidate
    if refused is not None:
        raise refused
    assert kind is not None
    return kind


def confirm_kind(kind: Kind | None, certain: bool, write: Callable[[Any], Any]) -> Kind:
    """:func:`trial_writes` for a sync writer."""
    steps = trial_writes(kind, certain, write)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            found: Kind = done.value
            return found


def open_sink(
    target: Any, encoding: str = "utf-8", storage_options: Mapping[str, Any] | None = None
) -> contextlib.AbstractContextManager[Write]:
    """Check ``target`` and return a context manager giving its ``write(text)``.

    Whether it takes text or bytes is decided here, before anything is encoded:
    :func:`classify` says, or guesses and an empty write confirms (see
    :func:`candidates`). Nothing but such empty writes happens before the first
    chunk. A path is checked when the context is entered (:func:`_path_sink`); a
    URL's filesystem is found here, with ``storage_options`` (only for a URL), and
    the object checked on entry (:func:`streamjson._remote.url_sink`).
    """
    codecs.lookup(encoding)  # an unknown encoding fails here, before anything is read
    if is_url(target):
        from ._remote import url_sink  # here: it imports this module

        return url_sink(target, encoding, storage_options)
    refuse_storage_options(target, storage_options)
    kind, certain = classify(target)
    if kind is Kind.PATH:
        return _path_sink(path_name(target), encoding)
    if kind is Kind.SOCKET:
        if target.gettimeout() == 0.0:  # non-blocking: sendall cannot say what it sent
            return contextlib.nullcontext(byte_writer(_socket_writer(target), encoding))
        return contextlib.nullcontext(byte_writer(target.sendall, encoding))
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
    binary = confirm_kind(kind, certain, write) is Kind.BINARY
    return contextlib.nullcontext(file_writer(target, write, encoding if binary else None))


def _socket_writer(sock: socket.socket) -> Callable[[bytes], None]:
    """send() to a non-blocking socket until all is sent, waiting while it is full."""

    def send_all(text: bytes) -> None:
        data = memoryview(text)
        while data:
            try:
                data = data[sock.send(data) :]
            except BlockingIOError:
                select.select([], [sock], [])

    return send_all


MAX_STALLS = 100
"""Writes in a row that may take nothing before the writer is given up as an OSError."""


def left_after(data: Data, result: Any, raw: bool) -> Data:
    """What is left of ``data`` after a ``write(data)`` that returned ``result``.

    An int smaller than ``len(data)`` is how much was taken (0: nothing), and the
    rest is left; None from a raw file means it would block (nothing taken); any
    other result (None from a text or buffered file, an int that covers ``data``,
    anything that is not a count) means all was taken. A negative count is an
    OSError. Bytes left over are a memoryview, so the rest is not copied.
    """
    if result is None:
        return data if raw else data[:0]
    if not isinstance(result, int) or isinstance(result, bool) or result >= len(data):
        return data[:0]
    if result < 0:
        raise OSError(f"write() returned {result}, not a count of what it took")
    if result == 0:
        return data
    if isinstance(data, bytes):
        return memoryview(data)[result:]  # type: ignore[return-value]
    return data[result:]


def stalled(stalls: int, target: Any, size: int, left: int) -> int:
    """How many writes in a row took nothing, after one that left ``left`` of ``size``.

    After a write that took nothing, waits until ``target`` can take more; past
    :data:`MAX_STALLS` such writes in a row the writer is taken for broken: an
    OSError rather than a loop without end.
    """
    if left < size:
        return 0
    if stalls >= MAX_STALLS:
        raise OSError(
            f"{type(target).__name__}.write() took none of {size} bytes or characters "
            f"{stalls + 1} times in a row"
        )
    _wait_writable(target)
    return stalls + 1


def file_writer(target: Any, write: Callable[[Any], Any], encoding: str | None) -> Write:
    """``write(text)`` for a file-like ``target``: encoded if ``encoding`` is given
    (then UTF-8 bytes are taken too: see :func:`byte_writer`).

    Whatever a write does not take is written again, nothing twice (see
    :func:`left_after`): a raw file's short write or None, a writer that returns a
    smaller count, a binary file's BlockingIOError (``characters_written`` taken, or
    nothing if it has none, as ``os.write`` and ``socket.send`` raise it). A
    text file's BlockingIOError propagates: it counts the bytes of its buffer, not
    characters, so retrying could lose text or write it twice.
    """
    raw = isinstance(target, io.RawIOBase)
    binary = encoding is not None

    def put(data: Any) -> None:
        stalls = 0
        while data:
            try:
                result = write(data)
            except BlockingIOError as exc:
                if not binary:
                    raise
                result = written_before(exc)
            if (type(result) is int and result == len(data)) or (result is None and not raw):
                return  # all taken, the usual case
            left = left_after(data, result, raw)
            stalls = stalled(stalls, target, len(data), len(left))
            data = left

    return put if encoding is None else byte_writer(put, encoding)


def written_before(exc: BlockingIOError) -> int:
    """How much a write that raised ``exc`` took: its ``characters_written``, else 0."""
    try:
        return exc.characters_written
    except AttributeError:  # not set: nothing was written
        return 0


def _wait_writable(target: Any) -> None:
    """Block until a non-blocking file can take more (or return at once if unknowable)."""
    fileno = getattr(target, "fileno", None)
    with contextlib.suppress(OSError, ValueError, TypeError, io.UnsupportedOperation):
        if fileno is not None:
            select.select([], [fileno()], [])


@contextlib.contextmanager
def _path_sink(path: str, encoding: str) -> Iterator[Write]:
    """Write to the file ``path`` names, compressed by its suffix; checked on entry.

    The file is written as :func:`committed_file` writes it (atomically for a regular
    file), through :func:`encoded_writer`. On any failure (the disk, the source, the
    encoder, Ctrl-C) nothing more is written and the first error propagates unchanged.
    """
    compress = compressor(path)  # a missing codec fails before the file is touched
    with committed_file(path) as raw, encoded_writer(raw, compress, path, encoding) as write:
        yield write


@contextlib.contextmanager
def encoded_writer(
    raw: Any, compress: Callable[[Any, str], Compressed] | None, name: str, encoding: str
) -> Iterator[Write]:
    """``write(text)`` into the binary file ``raw``, through ``compress`` (the
    :func:`compressor` of ``name``: None for none).

    Compression runs on a :class:`CompressThread`. Leaving the block normally writes
    the compressor's trailer into ``raw``; leaving it with an exception stops the
    compressor and drops what it still holds (nothing more reaches ``raw``, which may
    be what failed). ``raw`` is neither flushed nor closed: it is the caller's.
    """
    if compress is None:
        yield file_writer(raw, raw.write, encoding)
        return
    cutoff = _Cutoff(raw)
    compressed = compress(cutoff, os.path.basename(name))
    worker = CompressThread(compressed)
    try:
        yield file_writer(worker, worker.write, encoding)
        worker.close()  # the compressor's trailer; the file itself stays open
    except BaseException:
        # Writing again would meet the failing sink again (and may raise a second
        # error over the first): the compressor is closed into nothing.
        worker.abort()
        cutoff.cut()
        with contextlib.suppress(Exception):
            compressed.close()
        raise


@contextlib.contextmanager
def committed_file(path: str) -> Iterator[IO[bytes]]:
    """The binary file ``path`` names, opened for writing; checked on entry.

    A regular file (after following symlinks: the file a link points to) or a new
    name is written atomically: into a temporary file in the target's folder; on a
    clean exit flushed, fsynced, given the old file's owner (when allowed) and
    permissions, renamed over it, the folder fsynced. A target this process could
    not open for writing fails as ``open(path, "w")`` fails, before anything is
    written. Anything else (a FIFO, a device, ``/dev/stdout``, ``/dev/fd/N``, or what
    is not a file name at all: a folder, ``""``, ``"dir/"``) is opened with
    ``open(path, "wb")`` and written in place, or fails as that open fails.

    On an exception the file is closed without flushing what its buffer holds, the
    temporary file removed, and the exception propagates unchanged.
    """
    target = _replaced_file(path)
    tmp: str | None = None
    if target is None:
        raw: IO[bytes] = open(path, "wb")  # noqa: SIM115
    else:
        tmp, raw = _create_temp(target, path)
    try:
        yield raw
        raw.flush()
        if tmp is not None:
            os.fsync(raw.fileno())
        raw.close()
        if tmp is not None and target is not None:
            _keep_owner_and_mode(target, tmp)
            os.replace(tmp, target)
    except BaseException:
        _close_unflushed(raw)
        if tmp is not None:
            _unlink(tmp)
        raise
    if target is not None:
        _fsync_folder(os.path.dirname(target))


@contextlib.contextmanager
def appended_sink(path: str, encoding: str) -> Iterator[tuple[Write, Callable[[], None]]]:
    """Append to ``path`` as ``open(path, "ab")`` does (created if missing, symlinks
    followed, special files written, errors as that open raises them); a compressed
    suffix adds a new stream. Gives ``write(text)`` and ``flush()``.

    The file is closed however the block ends: what was appended stays appended.
    """
    compress = compressor(path)
    with open(path, "ab") as raw:
        if compress is None:
            yield file_writer(raw, raw.write, encoding), raw.flush
            return
        worker = CompressThread(compress(raw, os.path.basename(path)))
        try:
            yield file_writer(worker, worker.write, encoding), worker.flush
        except BaseException:
            with contextlib.suppress(Exception):
                worker.close()  # what was given is appended, and the stream ended
            raise
        worker.close()


def _replaced_file(path: str) -> str | None:
    """The regular file writing ``path`` replaces (it may not exist yet), or None.

    None means ``path`` is written in place: it is not a name (``""``, ``"dir/"``),
    it is a link through ``/proc`` (an open file: ``/dev/stdout``, ``/dev/fd/N``),
    or what it names exists and is not a regular file. Symlinks are followed as
    ``open()`` follows them (:func:`_follow`). An existing file is opened for writing
    (and closed at once): if this process may not write it, that raises what
    ``open(path, "w")`` raises, naming ``path``.
    """
    if not os.path.basename(path):
        return None
    target = _follow(path)
    if target is None:
        return None
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target  # a new file (a missing folder: the temp file says)
    except OSError:
        return None  # open() raises what is wrong (too long a name, a file as a folder...)
    if not stat.S_ISREG(info.st_mode):
        return None
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    os.close(os.open(path, flags))  # PermissionError for a file we may not write
    return target


_MAX_LINKS = 40  # Linux's limit on symlinks followed in one lookup


def _follow(path: str) -> str | None:
    """The absolute path of the file ``path`` opens, every symlink followed, or None.

    Links are followed as the kernel follows them: the folder part by
    ``os.path.realpath`` (a link before a ``..`` is followed before ``..`` is taken),
    then the last component's links one by one, a relative link read from the real
    folder of the link. None for a link in ``/proc`` (the link to an open file that
    only ``open()`` can follow: ``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``)
    and for too many links (``open()`` then says ELOOP).
    """
    for _ in range(_MAX_LINKS):
        folder = os.path.realpath(os.path.dirname(path) or os.curdir)
        try:
            link = os.readlink(path)
        except OSError:  # not a link, or not there
            return os.path.join(folder, os.path.basename(path))
        if folder == "/proc" or folder.startswith("/proc/"):
            return None
        path = os.path.join(folder, link)
    return None


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


def _create_temp(target: str, path: str) -> tuple[str, IO[bytes]]:
    """Create ``.NAME.<8 hex digits>.tmp`` beside ``target``, with the umask's permissions.

    NAME is the target's name, cut short if the temporary name would be longer than
    the folder allows: a name that fits always gets a temporary file. When the target
    does not exist yet, a failure names ``path``, as ``open(path, "w")`` would.
    """
    folder, name = os.path.split(target)
    room = _name_max(folder) - len(".." + "0" * 8 + ".tmp")
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            if os.path.lexists(target):
                raise
            raise OSError(exc.errno, exc.strerror, path) from None
        break
    try:
        return tmp, os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise


def _name_max(folder: str) -> int:
    """The longest file name, in bytes, that ``folder`` takes (255 if it cannot say)."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _keep_owner_and_mode(target: str, tmp: str) -> None:
    """Give ``tmp`` the owner and group (where allowed) and permissions of ``target``."""
    try:
        old = os.stat(target)
    except FileNotFoundError:
        return
    new = os.stat(tmp)
    if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (new.st_uid, new.st_gid):
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.chown(tmp, old.st_uid, old.st_gid)
    os.chmod(tmp, old.st_mode & 0o7777)  # after chown, which clears set-user-ID bits


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
