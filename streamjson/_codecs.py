"""Compressed files by suffix: one table for the sinks and the command line's INFILE.

``.gz``, ``.bz2`` and ``.xz`` use the standard library; ``.zst`` (and ``.zstd``, which
the ``zstd`` tool also reads) uses Python 3.14's ``compression.zstd``, else the
``zstandard`` package (``pip install 'streamjson[zstd]'``). gzip output goes through
ISA-L (``isal.igzip``, ``pip install 'streamjson[fast]'``) when it is installed: the
same gzip format, several times faster. ``STREAMJSON_GZIP=zlib`` in the environment
keeps zlib (``=isal`` requires ISA-L).

A backend is imported the first time a name with its suffix is looked up; a missing
one is a ModuleNotFoundError naming the extra that installs it, raised by
:func:`codec` (so before anything is read, and before a file is created or replaced).
"""

from __future__ import annotations

import bz2
import functools
import gzip
import importlib
import io
import lzma
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

GZIP_LEVEL = 6  # zlib's own default: about 3x faster than gzip.open's 9, output a few % larger
ISAL_LEVEL = 2  # ISA-L has levels 0-3; its default 2 (see docs/sinks.md for the sizes)
ZSTD_LEVEL = 3  # the zstd tool's default

GZIP_ENV = "STREAMJSON_GZIP"
"""The environment variable that picks gzip's compressor: ``zlib``, ``isal``, or unset
(ISA-L when installed, else zlib)."""

_ZSTD_READ = 128
"""Compressed bytes zstandard's reader decodes at a time. A zstd block gives at most
128 KiB and takes at least 4 bytes, so one step gives at most 4 MiB whatever the file
(zstandard holds twice that while it joins them; JSON gives a few KiB). Reading the
main job's 372 MB of JSON costs about 0.5 s of CPU this way (its stream_reader: 0.15 s)."""
_TRUNCATED = "Compressed file ended before the end-of-stream marker was reached"


class Compressed(Protocol):
    """What a compressor gives: a binary writer whose ``close()`` ends the stream
    (and leaves the file under it open)."""

    def write(self, data: Any, /) -> int: ...
    def flush(self) -> object: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Codec:
    """How one compressed format is written and read."""

    compress: Callable[[Any, str], Compressed]
    """A compressor writing to a binary file, given the file's name (gzip's header
    holds it, without the suffix)."""
    decompress: Callable[[Any], Any]
    """A binary reader of what a binary file (anything with ``read``) decompresses to;
    every stream or frame one after the other."""
    errors: tuple[type[BaseException], ...]
    """What reading a damaged file raises, besides OSError and EOFError."""


def codec(name: str, write: bool = True) -> Codec | None:
    """The codec for a file named ``name``, by the suffix of its last component (any
    case); None for an uncompressed name. Imports the codec's module on first use:
    ModuleNotFoundError, naming the extra to install, when it is not there.

    Only writing gzip (``write``) looks at :data:`GZIP_ENV`: ValueError for a value
    it does not know.
    """
    suffix = os.path.splitext(os.path.basename(name))[1].lower()
    if suffix == ".gz":
        return _gzip(os.environ.get(GZIP_ENV, "")) if write else _ZLIB
    if suffix in _ZSTD_SUFFIXES:
        return _zstd()
    return _STDLIB.get(suffix)


def read_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged compressed file may raise, for every codec loaded so far."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, *_ZLIB.errors, *_XZ.errors)
    return (*errors, *_zstd().errors) if _zstd.cache_info().currsize else errors


def _missing(what: str, module: str, extra: str) -> ModuleNotFoundError:
    return ModuleNotFoundError(
        f"{what} needs the {module} package: pip install 'streamjson[{extra}]'", name=module
    )


def _gzip(choice: str) -> Codec:
    """zlib's gzip, or ISA-L's as ``choice`` says (see :data:`GZIP_ENV`)."""
    if choice not in ("", "zlib", "isal"):
        raise ValueError(f"{GZIP_ENV} must be 'zlib' or 'isal', not {choice!r}")
    if choice != "zlib":
        try:
            return _isal()
        except ModuleNotFoundError:
            if choice == "isal":
                raise
    return _ZLIB


def _zlib_writer(raw: Any, name: str) -> Compressed:
    return gzip.GzipFile(filename=name, mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL)


_ZLIB = Codec(
    compress=_zlib_writer,
    decompress=lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    errors=(zlib.error,),
)


@functools.cache
def _isal() -> Codec:
    """ISA-L's gzip for writing (reading stays with the standard library)."""
    try:
        from isal import igzip
    except ImportError:
        raise _missing(f"{GZIP_ENV}=isal", "isal", "fast") from None

    def writer(raw: Any, name: str) -> Compressed:
        file: Compressed = igzip.IGzipFile(  # type: ignore[no-untyped-call]
            filename=name, mode="wb", fileobj=raw, compresslevel=ISAL_LEVEL
        )
        return file

    return Codec(writer, _ZLIB.decompress, _ZLIB.errors)


_BZ2 = Codec(
    compress=lambda raw, name: bz2.BZ2File(raw, "wb"),
    decompress=lambda raw: bz2.BZ2File(raw, "rb"),
    errors=(),
)

_XZ = Codec(
    compress=lambda raw, name: lzma.LZMAFile(raw, "wb"),  # noqa: SIM115 - callers close them
    decompress=lambda raw: lzma.LZMAFile(raw, "rb"),  # noqa: SIM115
    errors=(lzma.LZMAError,),
)


@functools.cache
def _zstd() -> Codec:
    """``compression.zstd`` (Python 3.14), else the zstandard package. Frames carry a
    checksum, as the ``zstd`` tool writes them."""
    try:
        std = importlib.import_module("compression.zstd")
    except ImportError:
        pass
    else:
        options = {
            std.CompressionParameter.compression_level: ZSTD_LEVEL,
            std.CompressionParameter.checksum_flag: 1,
        }
        return Codec(
            compress=lambda raw, name: std.ZstdFile(raw, "wb", options=options),
            decompress=lambda raw: std.ZstdFile(raw, "rb"),
            errors=(std.ZstdError,),
        )
    try:
        import zstandard
    except ImportError:
        raise _missing("a .zst file", "zstandard", "zstd") from None

    def writer(raw: Any, name: str) -> Compressed:
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
        return compressor.stream_writer(raw, closefd=False)

    def reader(raw: Any) -> Any:
        return io.BufferedReader(_Frames(raw, zstandard.ZstdDecompressor().decompressobj))

    return Codec(writer, reader, (zstandard.ZstdError,))


class _Frames(io.RawIOBase):
    """zstd frames one after the other, decoded with zstandard's one-frame objects.

    zstandard's own ``stream_reader`` ends quietly where a cut file ends; this raises
    EOFError there, as ``gzip`` and ``compression.zstd`` do. The input is decoded
    :data:`_ZSTD_READ` bytes at a time, which bounds the memory one step takes.
    """

    def __init__(self, raw: Any, new_frame: Callable[[], Any]) -> None:
        super().__init__()
        self._raw = raw
        self._new_frame = new_frame
        self._frame: Any = None  # the frame being decoded, None between frames
        self._out = b""
        self._at = 0  # what of _out was read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at == len(self._out):
            data = self._raw.read(_ZSTD_READ)
            if not data:
                if self._frame is not None:
                    raise EOFError(_TRUNCATED)
                return 0
            self._out, self._at = self._decode(data), 0
        size = min(len(buffer), len(self._out) - self._at)
        buffer[:size] = self._out[self._at : self._at + size]
        self._at += size
        return size

    def _decode(self, data: bytes) -> bytes:
        out = []
        while data:
            if self._frame is None:
                self._frame = self._new_frame()
            out.append(self._frame.decompress(data))
            if not self._frame.eof:
                break
            data, self._frame = self._frame.unused_data, None
        return b"".join(out)


_STDLIB = {".bz2": _BZ2, ".xz": _XZ}
_ZSTD_SUFFIXES = (".zst", ".zstd")
