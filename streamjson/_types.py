"""Small public and internal types shared by the walker and its drivers."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

if TYPE_CHECKING:  # for annotations only, which are never evaluated
    if sys.version_info >= (3, 11):
        from typing import Self as Self
    else:
        from typing_extensions import Self as Self

_T_contra = TypeVar("_T_contra", contravariant=True)


class SupportsWrite(Protocol[_T_contra]):
    """Anything with a ``write()`` method: text files, binary files, StringIO, BytesIO..."""

    def write(self, data: _T_contra, /) -> object: ...


Target: TypeAlias = (
    str | bytes | os.PathLike[str] | os.PathLike[bytes] | socket.socket | SupportsWrite[Any]
)
"""What ``dump``, ``dump_lines`` and the writers write to: a path, a socket, or a file-like
object that takes str or bytes."""


class Object:
    """A JSON object whose members come lazily from an iterable of ``(key, value)`` pairs.

    ``Object(pairs)`` encodes like ``dict(pairs)`` would, but the pairs are read one
    at a time while the text is written, so a generator of millions of pairs never
    sits in memory. Keys follow the rules of dict keys (str, int, float, bool or
    None; anything else is a TypeError unless ``skipkeys=True``). Duplicate keys are
    written as they come (``dict(pairs)`` would keep only the last one).

    With ``sort_keys=True`` the pairs are read in full and sorted by key before the
    object is written, so that option costs memory proportional to the object.

    ``pairs`` may be an async iterable; such an Object is encoded only by the
    ``*_async`` functions.
    """

    __slots__ = ("pairs",)

    def __init__(self, pairs: Iterable[tuple[Any, Any]] | AsyncIterable[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def __repr__(self) -> str:
        return f"streamjson.Object({self.pairs!r})"


class RawJSON:
    """Text written into the document as it is, unchecked: a pre-encoded fragment.

    ``dumps([RawJSON('{"cached": true}'), 1.10])`` gives ``[{"cached": true}, 1.1]``.
    The caller promises that ``text`` is one valid JSON value; streamjson does not
    parse it (that is the point: numbers keep their digits, cached JSON is not
    re-encoded).
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"RawJSON text must be str, not {type(text).__name__}")
        self.text = text

    def __repr__(self) -> str:
        return f"streamjson.RawJSON({self.text!r})"


class Pull:
    """The walker's request for the next item of an async source.

    The async driver awaits ``source.__anext__()`` and sends the item back into the
    walker (or :data:`EXHAUSTED` when the source is done); the sync drivers refuse it.
    """

    __slots__ = ("source",)

    def __init__(self, source: AsyncIterator[Any]) -> None:
        self.source = source


EXHAUSTED: Any = object()
"""Sent back into the walker when an async source raised StopAsyncIteration."""

Chunk = str | bytes | Pull
