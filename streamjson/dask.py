"""One exact JSON document written by many Dask workers: ``dump`` and ``dump_lines``.

Each partition is encoded on a worker, by streamjson's own walker under the caller's
options, into a shard: a file of its own, compressed by the target's suffix as a
complete stream (a gzip member, a bz2 or xz stream). Only the shard's name travels
back (none for an empty partition, which writes no shard). The client writes the
target by concatenating bytes, never by encoding again, while the workers encode: the
opening bracket, each shard in partition order as soon as it and those before it are
written, with the separator between them, the closing bracket, each piece a
compressed stream of its own where the target is compressed. Concatenated
gzip members (and bz2 or xz streams) are one valid file, whose text is the pieces'
texts one after the other.

Needs the ``dask`` extra (``pip install 'streamjson[dask]'``) and a running
``dask.distributed`` client: the client waits for every partition to settle before it
cleans up, which Dask's local schedulers cannot promise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Generator, Iterable, Iterator, Mapping, Sized
from itertools import chain
from typing import Any, BinaryIO

from ._encode import Start
from ._extended import extended
from ._layout import EMPTY_ARRAY, Layout
from ._lines import start_lines
from ._location import add_note
from ._options import DEFAULT_CHUNK_SIZE, resolve
from ._remote import BinaryWriter, open_committed
from ._sinks import compressor, is_path, is_url, path_name, write_chunks
from ._types import Chunk
from ._walker import Walker

__all__ = ["dump", "dump_lines"]

COPY_BLOCK = 1 << 20  # the client copies shards into the target this much at a time
_NOTHING = object()


def dump(
    collection: Any,
    target: str | os.PathLike[str],
    *,
    storage_options: Mapping[str, Any] | None = None,
    **json_options: Any,
) -> None:
    """Write the items of a Dask collection to ``target`` as one JSON array.

    ``collection`` is a ``dask.bag.Bag`` (its items) or a ``dask.dataframe.DataFrame``
    (its rows, as objects from column name to value, written by the rules of
    :data:`streamjson.extended`, which is then the ``default`` unless one is given:
    NaN, NaT and NA are null). ``target`` is a local path or an fsspec URL
    (``storage_options`` go to fsspec), compressed by its suffix (``.gz``, ``.bz2``,
    ``.xz``). ``json_options`` are the keywords of :func:`streamjson.dump`.

    The target's text, decompressed, equals ``streamjson.dumps(list_of_all_items,
    **json_options)`` byte for byte, items in partition order. Every partition is
    encoded on a worker; the target appears only when all of them succeeded. On a
    failure the previous target is left as it was, no shard is left behind, and the
    first failing partition's error is raised, unchanged but for a note naming the
    partition (the JSON path in its other note counts that partition's items).
    """
    _export(collection, target, storage_options, json_options, lines=False)


def dump_lines(
    collection: Any,
    target: str | os.PathLike[str],
    *,
    storage_options: Mapping[str, Any] | None = None,
    **json_options: Any,
) -> None:
    """Write the items of a Dask collection to ``target`` as JSON Lines: one
    ``dumps(item, **json_options)`` a line, as :func:`streamjson.dump_lines` writes them.

    Everything else is as :func:`dump` does it.
    """
    _export(collection, target, storage_options, json_options, lines=True)


def _export(
    collection: Any,
    target: str | os.PathLike[str],
    storage_options: Mapping[str, Any] | None,
    json_options: dict[str, Any],
    *,
    lines: bool,
) -> None:
    """Check everything, encode every partition into its shard, join the shards."""
    bag, rows = _as_bag(collection)
    kw = dict(json_options)
    if rows and kw.get("default") is None:
        kw["default"] = extended
    fast = bool(kw.pop("fast", False))
    options = resolve(kw, fast=fast, lines=lines)  # bad options fail here, on the client
    if lines:
        open_ = sep = end = empty = ""
    else:
        if options.override is not None:
            raise TypeError(
                f"streamjson.dask.dump cannot honour cls={type(options.override).__name__}: it "
                "overrides encode() or iterencode(), which need the whole array at once"
            )
        open_, sep, end = Layout(options).brackets("[", "]", 0)
        empty = EMPTY_ARRAY
    client = _client()
    name = _name(target)
    suffix = os.path.splitext(os.path.basename(name))[1] if compressor(name) else ".json"
    with open_committed(target, storage_options) as out:
        folder = _shard_folder(target)
        try:
            job = _Job(folder, suffix, kw, fast, lines, rows, secrets.token_hex(16))
            with contextlib.closing(_shards(client, bag, job)) as shards:
                _join(out, _Pieces(name), shards, (open_, sep, end, empty))
        finally:
            _remove(folder)


def _as_bag(collection: Any) -> tuple[Any, bool]:
    """``collection`` as a Bag, and whether its partitions are DataFrames (of rows)."""
    import dask.bag

    if isinstance(collection, dask.bag.Bag):
        return collection, False
    frame = _dataframe_type()
    if frame is not None and isinstance(collection, frame):
        return collection.to_bag(format="frame"), True  # each partition as it is
    raise TypeError(
        f"expected a dask.bag.Bag or a dask.dataframe.DataFrame, not {type(collection).__name__}"
    )


def _dataframe_type() -> Any:
    """``dask.dataframe.DataFrame``, or None where dask's dataframe needs are missing."""
    try:
        import dask.dataframe
    except ImportError:  # pandas or pyarrow missing: then no DataFrame was given either
        return None
    return dask.dataframe.DataFrame


def _client() -> Any:
    """The running ``dask.distributed`` client; a clear error without one."""
    import distributed

    try:
        return distributed.default_client()
    except ValueError:
        raise ValueError(
            "streamjson.dask needs a running dask.distributed Client (for one machine: "
            "distributed.Client()); Dask's local schedulers cannot wait for every "
            "partition to end after one failed, which the cleanup of the shards needs"
        ) from None


@dataclasses.dataclass(frozen=True)
class _Job:
    """What a worker needs to write a shard: an object Dask passes on as it is."""

    folder: str
    suffix: str  # the target's, so that a shard is compressed as the target is
    kw: dict[str, Any]
    fast: bool
    lines: bool
    rows: bool
    token: str  # this call's own, so that Dask never takes one call's tasks for another's

    def __dask_tokenize__(self) -> str:
        return self.token


def _shards(client: Any, bag: Any, job: _Job) -> Generator[str, None, None]:
    """Encode each partition of ``bag`` into its shard on the workers; the shards
    written, in partition order, each given as soon as it and every one before it are
    written (so the client joins them while the workers encode the rest).

    After a failure every partition is waited for, so no worker writes a shard once
    this has raised; the first failing partition's error is raised, with a note. When
    closed early (the caller failed or was interrupted), the partitions left are
    cancelled: one already running goes on until it ends (see :func:`_remove`).
    """
    import distributed

    tasks = bag.map_partitions(_write_shard, job, token="streamjson-shard").to_delayed()
    futures = client.compute(tasks)
    try:
        for i, future in enumerate(futures):
            try:
                names: list[str] = future.result()
            except Exception as exc:
                distributed.wait(futures)
                add_note(exc, f"streamjson.dask: in partition {i} of {len(futures)}")
                raise
            yield from names
    finally:
        client.cancel(futures)  # only if closed early: the others are done by now


def _write_shard(part: Any, job: _Job) -> list[str]:
    """On a worker: encode one partition into a new file in ``job.folder``, compressed
    by its suffix. Returns the file's name in a list, or no name for an empty
    partition, which writes no file. The items are read as they are written."""
    items = _items(part, job.rows)
    if items is None:
        return []
    start: Start  # the shard is a path: UTF-8 bytes from the C encoder
    if job.lines:
        start = start_lines(items, DEFAULT_CHUNK_SIZE, job.kw, fast=job.fast)
    else:
        walker = Walker(resolve(job.kw, fast=job.fast))

        def start(utf8: bool) -> Iterator[Chunk]:
            return walker.chunks(items, bare=True, utf8=utf8)

    shard = os.path.join(job.folder, secrets.token_hex(8) + job.suffix)
    use = "dump_lines_async" if job.lines else "dump_async"
    compress = compressor(shard)
    # Compressed on this thread: the workers already keep every core busy, so a
    # compression thread each would only add the cost of handing blocks over.
    with open(shard, "xb") as raw:
        if compress is None:
            write_chunks(start, raw, "utf-8", use)
        else:
            stream = compress(raw, os.path.basename(shard))
            write_chunks(start, stream, "utf-8", use)
            stream.close()
    return [shard]


def _items(part: Any, rows: bool) -> Iterable[Any] | None:
    """A partition's items (a DataFrame's rows, a block at a time), or None for none."""
    if rows:
        return extended(part) if len(part) else None
    if isinstance(part, Sized):
        return None if not len(part) else part  # type: ignore[return-value]
    items = iter(part)
    first = next(items, _NOTHING)
    return None if first is _NOTHING else chain((first,), items)


def _join(
    out: BinaryWriter, pieces: _Pieces, shards: Iterable[str], texts: tuple[str, str, str, str]
) -> None:
    """Write the opening text, the shards with the separator between them, the closing
    text, taking each shard as ``shards`` gives it (and removing it once copied); with
    no shard at all, the empty document's text alone, written even when empty (a
    compressed file needs a stream). Other empty pieces of text are not written."""
    open_, sep, end, empty = texts
    head, between = (pieces.of(text) if text else b"" for text in (open_, sep))
    joined = False
    for shard in shards:
        out.write(between if joined else head)
        joined = True
        with open(shard, "rb") as part:
            part.seek(_send(part, out))
            shutil.copyfileobj(part, out, COPY_BLOCK)  # what the kernel did not send
        os.remove(shard)  # the disk holds each shard's bytes once, not twice
    if not joined:
        out.write(pieces.of(empty))
    elif end:
        out.write(pieces.of(end))


# What sendfile says when it cannot write to a descriptor: a file where only a socket
# will do (macOS, the BSDs: ENOTSOCK), or one it cannot write to at all.
_NO_SENDFILE = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK)


def _send(part: BinaryIO, out: BinaryWriter) -> int:
    """Send the file ``part`` to ``out`` in the kernel (``os.sendfile``: the bytes never
    enter Python, a fifth of the CPU of a copy through it) where ``out`` is a file
    descriptor of this machine; how many bytes were sent: 0 where it is not (an object
    store's upload, a system without sendfile)."""
    fileno = getattr(out, "fileno", None)
    if fileno is None or not hasattr(os, "sendfile"):
        return 0
    try:
        fd = fileno()
    except OSError:  # io.UnsupportedOperation: a file-like object without a descriptor
        return 0
    out.flush()  # what its buffer holds goes first
    sent, size = 0, os.fstat(part.fileno()).st_size
    while sent < size:
        try:
            n = os.sendfile(fd, part.fileno(), sent, size - sent)
        except OSError as exc:
            if sent or exc.errno not in _NO_SENDFILE:
                raise
            return 0  # a descriptor sendfile cannot write to
        if not n:
            break
        sent += n
    return sent


class _Pieces:
    """The client's own text (brackets, separators) as the target stores it: encoded,
    and compressed as a stream of its own when the target is compressed."""

    def __init__(self, name: str) -> None:
        self._name = os.path.basename(name)
        self._compress = compressor(name)

    def of(self, text: str) -> bytes:
        """``text`` as it goes into the target."""
        data = text.encode("utf-8")
        if self._compress is None:
            return data
        buffer = io.BytesIO()
        stream = self._compress(buffer, self._name)
        stream.write(data)
        stream.close()  # ends the stream; the buffer stays open
        return buffer.getvalue()


def _name(target: str | os.PathLike[str]) -> str:
    """The name whose suffix says how ``target`` is compressed."""
    if not is_path(target):
        raise TypeError(f"target must be a path or a URL, not {type(target).__name__}")
    return path_name(target)


def _local_path(target: str | os.PathLike[str]) -> str | None:
    """The local path ``target`` names (a ``file://`` URL's too), or None for other URLs."""
    name = path_name(target)
    if not is_url(name):
        return name
    if name.startswith("file://"):
        return name[len("file://") :]
    return None


# Where the shards go; the target itself is written through _remote.open_committed
# (renamed into place, or a multipart upload completed or aborted).
def _shard_folder(target: str | os.PathLike[str]) -> str:
    """Make the folder the shards go to, which the workers and this client both reach.

    Beside a local target (a shared filesystem, for workers on other machines); for a
    URL, in this machine's temporary folder (workers on this machine only).
    """
    path = _local_path(target)
    if path is None:
        return tempfile.mkdtemp(prefix=".streamjson-dask.", suffix=".parts")
    folder, name = os.path.split(os.path.abspath(path))
    return tempfile.mkdtemp(prefix=f".{name[:100]}.", suffix=".parts", dir=folder)


def _remove(folder: str) -> None:
    """Remove the shard folder and what it holds, even while workers still write to it.

    After a Ctrl-C, a cancelled partition already running on a worker goes on (Dask
    cannot stop a running task), and a worker may start one more before it learns of
    the cancellation: emptying the folder in place could race with a shard being
    created, leaving the folder behind. It is renamed first, so no new shard can be
    created in it (a worker's later shard fails to open: the folder's name is gone),
    and then emptied. A shard still being written is unlinked under its writer, whose
    rename into place then fails.
    """
    gone = folder + ".removed"
    try:
        os.rename(folder, gone)
    except OSError:  # already gone, or a filesystem that cannot rename it
        gone = folder
    shutil.rmtree(gone, ignore_errors=True)
