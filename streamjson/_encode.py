"""The in-memory drivers: ``iterencode`` and ``dumps``, and the walk they share with ``dump``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypedDict

from ._batches import encode_plain
from ._fast import COMPACT, encode_whole
from ._options import DEFAULT_CHUNK_SIZE, json_defaults, resolve
from ._types import Chunk, Pull
from ._walker import Walker


class EncodeOptions(TypedDict, total=False):
    """The keyword options of ``json.dumps``, accepted by every streamjson encoder.

    For typing a dict of options. The encoders take ``**kw: Any``, as ``json.dumps``
    does: a ``cls`` may take keywords of its own, which are passed on to it.
    """

    skipkeys: bool
    ensure_ascii: bool
    check_circular: bool
    allow_nan: bool
    cls: type[json.JSONEncoder] | None
    indent: int | str | None
    separators: tuple[str, str] | None
    default: Callable[[Any], Any] | None
    sort_keys: bool


Start = Callable[[bool], Iterator[Chunk]]
"""What starts a chunk generator: with True, of UTF-8 bytes where the walker writes
them (see ``Walker.chunks``), for a sink that takes them; else of str."""


def walk(
    obj: Any, chunk_size: int, kw: dict[str, Any], *, bounded: bool = True, fast: bool = False
) -> Iterator[Chunk]:
    """Resolve the options now (bad ones raise here) and return the chunk generator.

    A ``cls`` that overrides ``encode`` or ``iterencode`` is honoured as json honours
    it: its ``encode()`` result is the whole document, as one chunk.
    """
    return start_walk(obj, chunk_size, kw, bounded=bounded, fast=fast)(False)


def start_walk(
    obj: Any, chunk_size: int, kw: dict[str, Any], *, bounded: bool = True, fast: bool = False
) -> Start:
    """:func:`walk`, the generator started later: the options are resolved now (and an
    overriding ``cls``'s ``encode()`` called now), the value read once it is started."""
    options = resolve(kw, chunk_size, fast=fast)
    if options.override is not None:
        whole: Iterator[Chunk] = iter((options.override.encode(obj),))
        return lambda utf8: whole
    walker = Walker(options, bounded=bounded)
    return lambda utf8: walker.chunks(obj, utf8=utf8)


def refuse_async(chunks: Iterator[Chunk], use: str) -> Generator[Any, None, None]:
    """Pass text chunks through (str, or bytes from a walker told ``utf8``); fail clearly
    when the document holds an async source."""
    for chunk in chunks:
        if isinstance(chunk, Pull):
            assert isinstance(chunks, Generator)
            chunks.throw(
                TypeError(
                    f"cannot encode an async iterable ({type(chunk.source).__name__}) without "
                    f"awaiting it: use streamjson.{use}() instead"
                )
            )
        else:
            yield chunk


def iterencode(
    obj: Any,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    fast: bool = False,
    **kw: Any,
) -> Iterator[str]:
    """Yield the JSON text of ``obj`` in chunks of about ``chunk_size`` characters.

    Takes the keyword options of ``json.dumps``; ``"".join(iterencode(obj, **kw))``
    equals ``json.dumps(obj, **kw)`` wherever json accepts ``obj``. Iterators and
    generators are encoded as arrays and Mappings and :class:`Object` as objects,
    read lazily while the text is produced. Options are checked when it is called;
    the value is read only as the chunks are consumed.

    ``fast=True`` (needs orjson) writes orjson's compact format instead of json's
    exact text, several times faster; see README, "Fast mode".
    """
    return refuse_async(walk(obj, chunk_size, dict(kw), fast=fast), "iterencode_async")


def dumps(
    obj: Any,
    *,
    skipkeys: bool = False,
    ensure_ascii: bool = True,
    check_circular: bool = True,
    allow_nan: bool = True,
    cls: type[json.JSONEncoder] | None = None,
    indent: int | str | None = None,
    separators: tuple[str, str] | None = None,
    default: Callable[[Any], Any] | None = None,
    sort_keys: bool = False,
    fast: bool = False,
    **kw: Any,
) -> str:
    """Return the JSON text of ``obj``: ``json.dumps`` plus streamjson's lazy types.

    Same signature, output and errors as ``json.dumps`` for every value json accepts;
    ``fast=True`` writes orjson's format instead (see :func:`iterencode`).
    """
    if fast:
        # orjson takes a plain document whole, as the walker would; the other
        # options do not change fast mode's text, and default is not called here.
        if (
            cls is None
            and indent is None
            and (separators is None or separators in COMPACT)
            and not kw
        ):
            text = encode_whole(obj, sort_keys)
            if text is not None:
                return text
    elif json_defaults(
        skipkeys,
        ensure_ascii,
        check_circular,
        allow_nan,
        cls,
        indent,
        separators,
        default,
        sort_keys,
        **kw,
    ):
        text = encode_plain(obj)
        if text is not None:
            return text
    options = dict(
        skipkeys=skipkeys,
        ensure_ascii=ensure_ascii,
        check_circular=check_circular,
        allow_nan=allow_nan,
        cls=cls,
        indent=indent,
        separators=separators,
        default=default,
        sort_keys=sort_keys,
        **kw,
    )
    chunks = walk(obj, sys.maxsize, options, bounded=False, fast=fast)
    return "".join(refuse_async(chunks, "iterencode_async"))
