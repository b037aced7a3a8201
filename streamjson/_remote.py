"""Targets named by fsspec URLs (``s3://bucket/key.json.gz``, ``gs://...``, ``memory://...``).

A URL is a str that starts with ``scheme://`` (a scheme of two letters or more: one
letter is a Windows drive). fsspec (the ``streamjson[cloud]`` extra) and the
filesystem's own package (s3fs, gcsfs...) are imported only when a URL is written.

Every URL is written all or nothing, committed on a clean exit and discarded on any
exception (Ctrl-C included), as a local path is:

* ``file://`` and other local URLs: the local path, written as a path is
  (:func:`streamjson._sinks.committed_file`: temporary file, then rename).
* ``s3://`` (s3fs): one multipart upload driven here (:class:`MultipartUpload`),
  completed on a clean exit and aborted on any failure, so no part is left behind.
* any other filesystem: a temporary object beside the target, then ``fs.mv()``
  (:func:`_moved`); the temporary object is removed on failure.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import io
import os
import posixpath
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Protocol

from ._location import add_note
from ._sinks import (
    Write,
    committed_file,
    compressor,
    encoded_writer,
    is_url,
    path_name,
    refuse_storage_options,
)

StorageOptions = Mapping[str, Any]

MIN_PART = 5 * 1024 * 1024
"""S3's smallest part (all but the last), and the size of the first parts."""

PARTS_PER_SIZE = 1000
"""Parts written at each part size before it doubles: 10,000 parts reach 4.9 TiB."""

MAX_PARTS = 10_000
"""S3's limit on the parts of one upload."""


class BinaryWriter(Protocol):
    """What :func:`open_committed` gives: a binary file's ``write`` and ``flush``."""

    def write(self, data: Any, /) -> int: ...

    def flush(self) -> None: ...


def open_committed(
    target: str | bytes | os.PathLike[Any], storage_options: StorageOptions | None = None
) -> contextlib.AbstractContextManager[BinaryWriter]:
    """A binary file for ``target``, a local path or a URL, committed only on a clean exit.

    The bytes written are stored as they are (no compression, whatever the suffix).
    Leaving the block normally commits them: the target then holds exactly those
    bytes, and the commit has been confirmed (rename done, or S3's
    CompleteMultipartUpload answered). Leaving it with an exception (BaseException:
    Ctrl-C too) discards them: the target keeps its previous content, or stays
    absent, and the exception propagates unchanged (a failure to clean up is added
    to it as a note). ``storage_options`` go to fsspec, for a URL only. fsspec being
    absent, or the URL's filesystem package, is an ImportError raised here; the
    target itself is checked when the block is entered (a local path as
    ``open(path, "w")``, an S3 key by starting its upload).
    """
    if is_url(target):
        fs, path = resolve(target, storage_options)
        return committed_object(fs, path)
    refuse_storage_options(target, storage_options)
    return committed_file(path_name(target))


def url_sink(
    url: str, encoding: str, storage_options: StorageOptions | None
) -> contextlib.AbstractContextManager[Write]:
    """``write(text)`` for the object ``url`` names, compressed by its suffix: see
    :func:`open_committed` for when it commits."""
    fs, path = resolve(url, storage_options)
    return _compressed_object(fs, path, encoding)


@contextlib.contextmanager
def _compressed_object(fs: Any, path: str, encoding: str) -> Iterator[Write]:
    compress = compressor(path)  # a missing codec fails before the upload starts
    with (
        committed_object(fs, path) as raw,
        encoded_writer(raw, compress, path, encoding) as write,
    ):
        yield write


def resolve(url: str, storage_options: StorageOptions | None) -> tuple[Any, str]:
    """The fsspec filesystem and path for ``url``; ImportError or ValueError saying why not."""
    try:
        import fsspec  # an extra, imported when a URL is used
    except ImportError:
        raise ImportError(
            f"{url!r} is a URL: writing or reading it needs fsspec (pip install "
            "'streamjson[cloud]') and its filesystem's package (s3fs for s3://, "
            "gcsfs for gs://...)"
        ) from None
    try:
        fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as exc:  # fsspec knows the protocol; its package is missing
        raise ImportError(f"cannot use {url!r}: {exc}") from exc
    except ValueError as exc:  # "Protocol not known"
        raise ValueError(f"cannot use {url!r}: {exc}") from exc
    return fs, str(path)


def open_input(url: str) -> tuple[Callable[[], IO[bytes]], int | None]:
    """How to open ``url`` for reading (as often as needed), and its size if known."""
    fs, path = resolve(url, None)
    size = fs.size(path)
    return (lambda: fs.open(path, "rb")), (size if isinstance(size, int) else None)


def committed_object(fs: Any, path: str) -> contextlib.AbstractContextManager[BinaryWriter]:
    """:func:`open_committed` for ``path`` in the fsspec filesystem ``fs``."""
    if "file" in _protocols(fs) or "local" in _protocols(fs):
        return committed_file(path)
    if "s3" in _protocols(fs) and hasattr(fs, "_call_s3"):  # s3fs
        return _multipart(fs, path)
    return _moved(fs, path)


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def part_size(number: int) -> int:
    """The size of part ``number`` (from 1): 5 MiB, doubled every :data:`PARTS_PER_SIZE`."""
    return MIN_PART << ((number - 1) // PARTS_PER_SIZE)


class MultipartUpload:
    """One S3 object written through a multipart upload started here (s3fs's ``call_s3``).

    Bytes are gathered until a part is full, then uploaded, so memory holds one
    part; every part but the last is exactly :func:`part_size` bytes. :meth:`complete`
    uploads the rest and completes the upload; :meth:`abort` aborts it, dropping
    every part. Starting the upload is the target's check: a missing bucket or a key
    this client may not write fails here, as an OSError from s3fs, before anything
    is read. Parts are sent by the thread that writes: the compression thread for
    a compressed key, else the caller's.
    """

    def __init__(self, fs: Any, path: str) -> None:
        bucket, key, _version = fs.split_path(path)
        if not key or key.endswith("/"):
            raise IsADirectoryError(errno.EISDIR, "not an object key", f"s3://{path}")
        self._fs = fs
        self._where = {"Bucket": bucket, "Key": key}
        self._buffer = io.BytesIO()  # a file: aiohttp sends it without blocking its loop
        self._parts: list[dict[str, Any]] = []
        self._id: str | None = self._call("create_multipart_upload", **self._where)["UploadId"]

    def write(self, data: Any) -> int:
        """Take ``data`` (bytes-like); upload each part it fills. Returns its size."""
        view = memoryview(data).cast("B")
        while view:
            room = self._part_size() - self._buffer.tell()
            self._buffer.write(view[:room])
            view = view[room:]
            if self._buffer.tell() == self._part_size():
                self._upload_part()
        return memoryview(data).nbytes

    def _part_size(self) -> int:
        return part_size(len(self._parts) + 1)

    def flush(self) -> None:
        """Nothing: parts go when they are full, the rest on :meth:`complete`."""

    def complete(self) -> None:
        """Upload what is left and complete the upload; return once S3 confirmed it.

        An empty object is a plain PutObject (an upload needs a part); any failure
        aborts the upload (see :meth:`abort`) and propagates.
        """
        if self._buffer.tell() or not self._parts:
            if not self._parts and not self._buffer.tell():
                self._abort_upload()
                self._call("put_object", Body=b"", **self._where)
                self._fs.invalidate_cache(self._name())
                return
            self._upload_part()
        done = self._call(
            "complete_multipart_upload",
            UploadId=self._id,
            MultipartUpload={"Parts": self._parts},
            **self._where,
        )
        if not done.get("ETag"):
            raise OSError(f"S3 did not confirm the upload of s3://{self._name()}: {done!r}")
        self._id = None
        self._fs.invalidate_cache(self._name())

    def abort(self, exc: BaseException) -> None:
        """Abort the upload, dropping its parts; a failure to do so is noted on ``exc``."""
        self._buffer = io.BytesIO()
        try:
            self._abort_upload()
        except Exception as failed:
            add_note(
                exc,
                f"streamjson: the multipart upload {self._id} of s3://{self._name()} could "
                f"not be aborted ({failed!r}): its parts stay until a lifecycle rule "
                "(AbortIncompleteMultipartUpload) or an abort removes them",
            )

    def _upload_part(self) -> None:
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise OSError(errno.EFBIG, f"larger than {MAX_PARTS} parts can hold", self._name())
        body, self._buffer = self._buffer, io.BytesIO()
        body.seek(0)
        out = self._call(
            "upload_part", UploadId=self._id, PartNumber=number, Body=body, **self._where
        )
        part = {"PartNumber": number, "ETag": out["ETag"]}
        if out.get("ChecksumSHA256"):  # as s3fs does: asked for by s3_additional_kwargs
            part["ChecksumSHA256"] = out["ChecksumSHA256"]
        self._parts.append(part)

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """s3fs's ``_call_s3(method, **kwargs)`` (its retries and errors), run on its loop.

        If waiting is interrupted (Ctrl-C), the request is cancelled, and over, before
        the interruption propagates: no part still arrives once the abort is sent.
        """
        loop = self._fs.loop
        result: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        over = threading.Event()
        tasks: list[asyncio.Task[dict[str, Any]]] = []

        def finish(task: asyncio.Task[dict[str, Any]]) -> None:
            if task.cancelled():
                result.cancel()
            elif task.exception() is not None:
                result.set_exception(task.exception())
            else:
                result.set_result(task.result())
            over.set()

        def start() -> None:
            tasks.append(loop.create_task(self._fs._call_s3(method, **kwargs)))
            tasks[0].add_done_callback(finish)

        def cancel() -> None:  # runs after start(), if start() was scheduled at all
            if tasks:
                tasks[0].cancel()
            else:
                over.set()

        try:
            loop.call_soon_threadsafe(start)
            return result.result()
        except BaseException:
            loop.call_soon_threadsafe(cancel)
            over.wait()
            raise

    def _abort_upload(self) -> None:
        if self._id is not None:
            self._call("abort_multipart_upload", UploadId=self._id, **self._where)
            self._id = None

    def _name(self) -> str:
        return f"{self._where['Bucket']}/{self._where['Key']}"


@contextlib.contextmanager
def _multipart(fs: Any, path: str) -> Iterator[BinaryWriter]:
    """A :class:`MultipartUpload`, completed on a clean exit and aborted on any exception."""
    upload = MultipartUpload(fs, path)
    try:
        yield upload
        upload.complete()
    except BaseException as exc:
        upload.abort(exc)
        raise


@contextlib.contextmanager
def _moved(fs: Any, path: str) -> Iterator[BinaryWriter]:
    """Write ``.NAME.<8 hex digits>.tmp`` beside ``path``, then ``fs.mv()`` it over ``path``.

    On a failure the temporary object is discarded and removed; ``path`` is not
    touched. How atomic the move is, is the filesystem's: see docs/sinks.md.
    """
    folder, name = posixpath.split(path)
    if not name:
        raise IsADirectoryError(errno.EISDIR, "not a file name", path)
    tmp = posixpath.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    file = fs.open(tmp, "wb")
    try:
        yield file
        file.close()
        fs.mv(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            file.discard()  # an upload still open is cancelled where the file can
        with contextlib.suppress(Exception):
            file.close()
        try:
            if fs.exists(tmp):
                fs.rm(tmp)
        except Exception as failed:
            add_note(exc, f"streamjson: the temporary {tmp} could not be removed ({failed!r})")
        raise
