"""JSON Lines: ``dump_lines``, ``iterencode_lines`` and ``dumps_lines``.

Each item of an iterable is written like ``dumps(item, **kw)`` on a line of its own,
followed by ``"\\n"``. The walker writes the lines (``chunks(..., lines=True)``);
this module checks that the options keep every document on one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterable, Generator, Iterable, Iterator, Mapping
from typing import Any

from ._encode import Start, refuse_async
from ._options import DEFAULT_CHUNK_SIZE, resolve
from ._sinks import write_chunks
from ._types import EXHAUSTED, Chunk, Pull, Target
from ._walker import Walker


def check_documents(iterable: Any) -> None:
    """Refuse what is not an iterable of values, before anything is written.

    A str, bytes or Mapping is iterable but is surely one value given by mistake.
    """
    if isinstance(iterable, (str, bytes, bytearray, Mapping)):
        raise TypeError(
            f"expected an iterable of values, not a {type(iterable).__name__}: "
            "to write it as one value, pass [value]"
        )
    t = type(iterable)
    if not hasattr(t, "__iter__") and not hasattr(t, "__aiter__"):
        raise TypeError(f"expected an iterable of values, not {t.__name__}")


def line_chunks(
    iterable: Iterable[Any] | AsyncIterable[Any],
    chunk_size: int,
    kw: dict[str, Any],
    *,
    bounded: bool = True,
    fast: bool = False,
) -> Iterator[Chunk]:
    """Check the options and the iterable now, and return the JSON Lines chunk generator.

    The generator follows the walker's protocol: it yields text, or a ``Pull`` when
    ``iterable`` is async. A ``cls`` that overrides ``encode`` or ``iterencode`` is
    honoured as ``dumps`` honours it: each line is ``cls(**kw).encode(item)``.
    """
    return start_lines(iterable, chunk_size, kw, bounded=bounded, fast=fast)(False)


def start_lines(
    iterable: Iterable[Any] | AsyncIterable[Any],
    chunk_size: int,
    kw: dict[str, Any],
    *,
    bounded: bool = True,
    fast: bool = False,
) -> Start:
    """:func:`line_chunks`, the generator started later (see :data:`Start`): the
    options and the iterable are checked now."""
    check_documents(iterable)
    options = resolve(kw, chunk_size, fast=fast, lines=True)
    override = options.override
    if override is not None:
        return lambda utf8: _encode_each(override, iterable)
    walker = Walker(options, bounded=bounded)
    return lambda utf8: walker.chunks(iterable, lines=True, utf8=utf8)


def _encode_each(
    encoder: json.JSONEncoder, iterable: Iterable[Any] | AsyncIterable[Any]
) -> Generator[Chunk, Any, None]:
    """One line per item from an encoder whose ``encode`` replaces the walker."""
    if isinstance(iterable, AsyncIterable):
        source = aiter(iterable)
        while (item := (yield Pull(source))) is not EXHAUSTED:
            yield encode_line(encoder, item)
    else:
        for item in iterable:
            yield encode_line(encoder, item)


def encode_line(encoder: json.JSONEncoder, item: Any) -> str:
    """``encoder.encode(item)`` and a newline; a line break inside is a ValueError."""
    text = encoder.encode(item)
    if "\n" in text or "\r" in text:
        raise ValueError(
            f"{type(encoder).__name__}.encode() wrote a line break, which JSON Lines "
            "cannot have inside a document"
        )
    return text + "\n"


def iterencode_lines(
    iterable: Iterable[Any],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    fast: bool = False,
    **kw: Any,
) -> Iterator[str]:
    """Yield the JSON Lines text of ``iterable`` in chunks of about ``chunk_size`` characters.

    Each item is encoded like ``dumps(item, **kw)`` and followed by ``"\\n"``; items
    may hold generators, Mappings and :class:`Object`. Options are checked when it
    is called (``indent`` is a ValueError); the items are read as chunks are consumed.
    ``fast=True`` writes orjson's format (see :func:`streamjson.iterencode`).
    """
    chunks = line_chunks(iterable, chunk_size, dict(kw), fast=fast)
    return refuse_async(chunks, "iterencode_lines_async")


def dumps_lines(iterable: Iterable[Any], *, fast: bool = False, **kw: Any) -> str:
    """Return the JSON Lines text of ``iterable``: ``dumps(item, **kw) + "\\n"`` per item."""
    chunks = line_chunks(iterable, sys.maxsize, dict(kw), bounded=False, fast=fast)
    return "".join(refuse_async(chunks, "iterencode_lines_async"))


def dump_lines(
    iterable: Iterable[Any],
    fp: Target,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    fast: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    **kw: Any,
) -> None:
    """Write ``iterable`` to ``fp`` as JSON Lines, one ``dumps(item, **kw)`` a line.

    ``fp`` is any sink :func:`dump` takes: a text or binary file-like object, a
    socket, or a path written atomically (a failure leaves the old file untouched)
    and compressed by its suffix (``.gz``, ``.bz2``, ``.xz``), or an fsspec URL
    written all or nothing (``storage_options`` go to fsspec).
    """
    start = start_lines(iterable, chunk_size, dict(kw), fast=fast)
    write_chunks(start, fp, encoding, "dump_lines_async", storage_options)
