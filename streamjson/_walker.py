"""The walker: the only code that knows JSON syntax. It does no I/O.

``Walker(options).chunks(value)`` is a generator of ``str`` chunks of about
``options.chunk_size`` characters. When the document holds an async source it
yields a :class:`~streamjson._types.Pull` instead, and expects the next item (or
``EXHAUSTED``) to be sent back; only the async driver does that.

How the work is split:

* Containers are walked with an explicit stack of frames (generators), so depth is
  limited by memory, not by Python's recursion limit.
* Plain, already-materialised parts (a batch of records, a small dict) are handed
  to the stdlib's C encoder in one call. Its ``default`` hook raises
  :class:`_Fallback` when it meets something that must stream (a generator, an
  ``Object``...), and the walker then walks that part itself.
* With ``indent``, json's C encoder indents by itself from 3.13 on (``NATIVE_INDENT``).
  Before that it cannot: it writes marker characters where the line breaks go, and
  ``Walker._indented`` puts every piece on its line, knowing from the values' shapes
  how deep each one sits. It is given only values it writes without running any
  Python code (no ``default``, no subclass but str and int ones), so nothing can
  change them between their shapes and their text.
* When the C encoder raises, the part is walked again in Python to find where the
  bad value sits; results of ``default()`` from the failed attempt are replayed in
  the order of the calls, so ``default`` is called once per value as json calls it.
  If ``default`` ran before the attempt was abandoned, the part is first checked to
  read as it did (``_unchanged``).
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Mapping
from itertools import islice
from json.encoder import encode_basestring_ascii
from operator import is_not
from types import GeneratorType
from typing import Any

from . import _fast
from ._location import SOURCE, add_location
from ._options import Options
from ._shapes import PLAIN_ITEMS, SMALL, Shape, TypeSet, fits, plain, shapes
from ._types import EXHAUSTED, Chunk, Object, Pull, RawJSON

c_make_encoder: Callable[..., Callable[[Any, int], Any]] | None
try:
    from _json import make_encoder as c_make_encoder
except ImportError:  # pragma: no cover - PyPy and builds without the accelerator
    c_make_encoder = None

# A frame is a generator that yields text, child frames or Pull requests, plus the
# one-item list where it keeps the key or index it is working on (for error paths).
Frame = tuple[Generator[Any, Any, None], list[Any]]
Encoded = str | Frame

_int_repr = int.__repr__
_dict_len = dict.__len__
_tuple_len = tuple.__len__
_tuple_item = tuple.__getitem__


def _indents_natively() -> bool:
    """Whether json's C encoder writes indented text itself (3.13 on; before, it ignores
    ``indent``). 3.14.0 to 3.14.2 crash when asked to at a level above 0 (CPython
    gh-140750): those keep the marker re-layout."""
    if c_make_encoder is None or (3, 14, 0) <= sys.version_info[:3] <= (3, 14, 2):
        return False
    enc = c_make_encoder(None, None, encode_basestring_ascii, " ", ":", ",", False, False, True)
    return "".join(enc([1], 0)) == "[\n 1\n]"


NATIVE_INDENT = _indents_natively()

# json up to 3.13.4 opens a non-empty dict before it skips its keys, so with indent one
# whose keys are all skipped is "{" newline "}"; later versions write "{}".
_OPENS_SKIPPED_DICT = json.dumps({(): 0}, skipkeys=True, indent=0) != "{}"

FIRST_BATCH = 16
MAX_BATCH = 4096
_BOOL_TEXT = {True: "true", False: "false"}
BIG_TEXT = 1 << 20  # see Walker.big
PARTS = 256  # a frame yields its text after at most this many members, to keep chunks small

_CLOSER = {"[": "]", "{": "}"}
_CACHED_LEVELS = 64  # indentation kept per level up to here (deeper: O(depth) each, not depth²)


class _Fallback(Exception):
    """Raised through the C encoder: this part must be walked in Python."""


_FALLBACK = object()  # try_c's answer: walk this part in Python, the C encoder for its parts
_C_FAILED = object()  # the C encoder raised: walk again in pure Python to find where

# What the C encoder is given for a part that must stream once default() has run (see
# Walker._unchanged): a string no document holds, written the same by every encoder.
_HOLE = "streamjson-hole-" + os.urandom(12).hex()

# What the C encoder writes for a short RawJSON, replaced by its text once the part is
# written (a long one is written by the walker, which never copies it).
_RAW = "streamjson-raw-" + os.urandom(12).hex()
_RAW_TEXT = json.dumps(_RAW)  # the same text from every encoder and option
RAW_INLINE = 1024

# One call of default() in a C attempt: the value, and its result or exception.
Call = tuple[Any, Any, BaseException | None]
_CHANGED = "default() changed the document while it was encoded"


def is_streamed(o: object) -> bool:
    """True for the values streamjson encodes and json hands to ``default``."""
    t = type(o)
    return (
        t is Object
        or t is RawJSON
        or hasattr(t, "__next__")
        or hasattr(t, "__aiter__")
        or isinstance(o, Mapping)
    )


def _null_text(o: None) -> str:
    return "null"


def _any(o: Any) -> bool:
    return True


_json_default = json.JSONEncoder().default


def _plain_default(o: Any) -> Any:
    if is_streamed(o):
        raise _Fallback
    return _json_default(o)


def encode_plain(o: Any) -> str | None:
    """``json.dumps(o)`` with default options, or None when ``o`` needs the walker.

    The walker would give the same text; this is the shortcut for small documents.
    """
    if c_make_encoder is None:
        return None
    try:
        chunks = c_make_encoder(
            {}, _plain_default, encode_basestring_ascii, None, ": ", ", ", False, False, True
        )(o, 0)
    except Exception:
        return None  # the walker will stream it, or raise the error with its location
    return chunks[0] if len(chunks) == 1 else "".join(chunks)


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _mapping_items(o: dict[Any, Any]) -> list[Any]:
    """``o.items()`` as a list, as json's C encoder takes a dict subclass's items."""
    items: Any = o.items()  # a subclass may return anything
    if type(items) is list:
        return items
    try:
        it = iter(items)
    except TypeError:
        raise TypeError(
            f"{type(o).__name__}.items() returned a non-iterable (type {type(items).__name__})"
        ) from None
    return list(it)


def _two_tuples(items: list[Any]) -> Generator[tuple[Any, Any], None, None]:
    """The pairs of a dict subclass's items as json's C encoder reads them: each must be
    a tuple of two, whose own ``__iter__`` or ``__getitem__`` is never asked."""
    for item in items:
        if not issubclass(type(item), tuple) or _tuple_len(item) != 2:
            raise ValueError("items must return 2-tuples")
        yield _tuple_item(item, 0), _tuple_item(item, 1)


def _unpacked(items: Any) -> Generator[tuple[Any, Any], None, None]:
    """The pairs of a dict subclass's items as json's Python encoder reads them:
    ``for key, value in items``."""
    return ((key, value) for key, value in items)


def _c_reads_dicts_live() -> bool:
    """Whether json's C encoder reads a dict's items as it goes (3.12+) rather than all
    at once when it starts on the dict (a ``default`` that changes a later value tells)."""
    if c_make_encoder is None:
        return True  # json reads every dict with its Python encoder: live
    probe: dict[str, Any] = {"a": object(), "b": 0}

    def change(o: Any) -> int:
        probe["b"] = 1
        return 0

    return json.dumps(probe, default=change) == '{"a": 0, "b": 1}'


_C_READS_DICTS_LIVE = _c_reads_dicts_live()


def _calls_user_default(options: Options) -> bool:
    """True unless ``default`` is json's own, which only raises."""
    return getattr(options.default, "__func__", None) is not json.JSONEncoder.default


class Walker:
    """Encodes one document. Holds per-call state only: make one per call."""

    def __init__(self, options: Options, *, bounded: bool = True) -> None:
        self.opts = options
        self.markers: dict[int, Any] | None = {} if options.check_circular else None
        # Without circular checks json stops a cycle with RecursionError; so do we.
        self.max_depth = None if options.check_circular else sys.getrecursionlimit()
        self.attempt: list[Call] = []  # default()'s calls in this C attempt, in order
        self.replay: deque[Call] = deque()  # calls of failed attempts, not yet walked again
        self.c_markers: dict[int, Any] | None = {} if options.check_circular else None
        self.c_enc: Callable[[Any, int], Any] | None = None
        self.scalars: dict[type, Callable[[Any], str]] = {
            str: options.encode_str,
            int: _int_repr,
            float: options.floatstr,
            bool: _BOOL_TEXT.__getitem__,
            type(None): _null_text,
        }
        self.bracket_cache: dict[tuple[str, int], tuple[str, str, str]] = {}
        self.lines: list[tuple[str, str, str]] = []
        # Which containers the C encoder may take whole: bounded=False (dumps, which
        # holds the whole text anyway) drops the size limit.
        self.c_takes: Callable[[Any], bool] = fits if bounded else _any
        self.shape_limit = SMALL if bounded else sys.maxsize
        self.c_limit = max(16 * options.chunk_size, 1 << 22) if bounded else sys.maxsize
        # Text this long is yielded alone, never joined with other text: that would copy it.
        self.big = max(options.chunk_size, BIG_TEXT)
        # Indented text comes from the C encoder as it is (``native``), or marked with
        # characters that no option may contain, for ``_indented`` to lay out.
        self.native = options.indent is None or NATIVE_INDENT
        self.indent_c = not self.native and not any(
            c in text
            for c in "\x00\x01"
            for text in (options.indent or "", options.item_separator, options.key_separator)
        )
        self.use_c = (c_make_encoder is not None or options.fast) and (self.native or self.indent_c)
        # json's C encoder on 3.10 and 3.11 takes a dict's items when it starts on it, so
        # a default() that changes a later value is not seen: read the dicts we walk so too.
        self.dict_snapshots = (
            not options.python_reads and not _C_READS_DICTS_LIVE and _calls_user_default(options)
        )
        # Types that do not stop an array's read-ahead: json's own, and the immutable
        # scalars a default such as streamjson.Extended names (it keeps the set current).
        self.plain_types: TypeSet = getattr(options.encoder.default, "plain_types", PLAIN_ITEMS)
        self.raws: list[str] = []  # RawJSON texts in this C attempt, in order (see _hook)
        self.holes = False  # the C encoder is writing holes (see _hook)
        self.ran_default = False  # default() ran during this C attempt
        self.default_calls = 0

    # -- the C encoder -----------------------------------------------------------

    def c_encoder(self) -> Callable[[Any, int], Any]:
        """The C encoder, with ``_hook`` as its ``default`` (see ``_make_c_encoder``)."""
        enc = self.c_enc
        if enc is None:
            enc = self.c_enc = self._make_c_encoder(self._hook)
        return enc

    def _make_c_encoder(self, hook: Callable[[Any], Any]) -> Callable[[Any, int], Any]:
        """A C encoder for these options; with indent and not ``native``, it writes
        ``\\x00`` between elements and ``\\x01`` after each key separator (see
        ``_indented``)."""
        o = self.opts
        if o.fast:
            return _fast.batch_encoder(hook, o.sort_keys, _Fallback)
        item_sep, key_sep = o.item_separator, o.key_separator
        if not self.native:
            item_sep, key_sep = "\x00", key_sep + "\x01"
        assert c_make_encoder is not None  # else use_c is False and we are not called
        return c_make_encoder(
            self.c_markers,
            hook,
            o.encode_str,
            o.indent if self.native else None,
            key_sep,
            item_sep,
            o.sort_keys,
            o.skipkeys,
            o.allow_nan,
        )

    def _hook(self, o: Any) -> Any:
        """``default`` for the C encoder: refuse what must stream, else call ``default``.

        Once ``default`` has run in an attempt, a part that must stream no longer ends
        it (that would lose what the encoder read before ``default`` changed anything):
        the encoder writes a hole there and at every value after it, calling nothing
        more, and ``_unchanged`` checks the text.
        """
        if self.holes:
            return _HOLE
        if type(o) is RawJSON and len(o.text) <= RAW_INLINE:
            self.raws.append(o.text)
            return _RAW  # try_c puts the text in its place
        if type(o) not in self.plain_types and is_streamed(o):
            if self.ran_default:
                self.holes = True
                return _HOLE
            raise _Fallback  # a fresh one: a shared instance would keep every traceback
        try:
            result = self.call_default(o)
        except Exception as exc:
            self.attempt.append((o, None, exc))
            raise
        self.attempt.append((o, result, None))
        if type(result) is RawJSON and len(result.text) <= RAW_INLINE:
            self.raws.append(result.text)  # as above, without handing it back first
            return _RAW
        return result

    def call_default(self, o: Any) -> Any:
        """``default(o)``, or the next result (or exception) of a failed C attempt.

        The part is walked again in the order the attempt read it, so the next call
        replayed is this one's: a value that is not the one ``default`` was given
        then means the document changed (orjson writes some values itself, without
        a call: fast mode replays nothing for those).
        """
        replay = self.replay
        if replay and not (self.opts.fast and _fast.written_by_orjson(o) is not o):
            value, result, exc = replay.popleft()
            if value is not o:
                raise RuntimeError(_CHANGED)
            if exc is not None:
                raise exc
            return result
        self.ran_default = True
        self.default_calls += 1
        return self.opts.default(o)

    def try_c(self, o: Any, each: bool = False, level: int = 0) -> Any:
        """Encode ``o`` at ``level`` with the C encoder: its text, ``_FALLBACK`` or
        ``_C_FAILED``. With ``each``, ``o`` is a batch of documents and the text is
        theirs, one a line.
        """
        self.attempt.clear()
        self.raws.clear()
        self.ran_default = self.holes = False
        try:
            text = _c_text(self.c_encoder(), o, each, level)
        except Exception as exc:
            if self.c_markers:
                self.c_markers.clear()  # the C encoder leaves its markers behind on error
            if self.ran_default:
                self._fails_again(o, each, level, exc)
            self._after_c_failure()
            # orjson reports an exception from default() as the cause of its own
            return _FALLBACK if isinstance(exc.__cause__ or exc, _Fallback) else _C_FAILED
        whole = _with_raws(text, self.raws) if self.raws else text
        if self.holes or whole is None or len(text) > self.c_limit:
            # A part must stream, or the text is so long that slicing, indenting or
            # joining it would copy it (or holds a RawJSON placeholder as a string):
            # walk this part in Python (which writes a long string without a copy),
            # reading it as the C encoder read it.
            if self.ran_default:
                self._unchanged(o, each, level, text)
            self._after_c_failure()
            return _FALLBACK
        return whole

    def _unchanged(self, o: Any, each: bool, level: int, text: str) -> None:
        """RuntimeError unless ``o`` still reads as ``text`` says, holes and all.

        ``default`` ran while the C encoder wrote ``text``, and ``o`` is about to be
        walked again with those results replayed: a ``default`` that changed a part
        written before it, or a later value of a dict whose items the C encoder took
        before the change (3.10, 3.11), would make that walk write another document.
        """
        again, replayed_all = self._encoded_again(o, each, level)
        if again != text or not replayed_all:
            raise RuntimeError(_CHANGED) from (again if isinstance(again, Exception) else None)

    def _fails_again(self, o: Any, each: bool, level: int, exc: Exception) -> None:
        """Return if ``o``, encoded again with ``default``'s calls replayed, fails as the
        attempt did (``exc``) after the same calls: walking it again finds where.

        Else ``default`` changed the document: raise ``default``'s own exception when
        that is what ended the attempt (json raises it too), else RuntimeError.
        """
        again, replayed_all = self._encoded_again(o, each, level)
        if replayed_all and isinstance(again, Exception) and _same_failure(again, exc):
            return
        own = self.attempt[-1][2]
        if own is not None and (own is exc or own is exc.__cause__):
            raise own
        raise RuntimeError(_CHANGED) from exc

    def _encoded_again(self, o: Any, each: bool, level: int) -> tuple[str | Exception, bool]:
        """``o`` encoded again, this attempt's calls of ``default`` replayed in their
        order (a value past them is a hole): its text or exception, and whether every
        call was replayed. A value other than the one ``default`` was given is a
        RuntimeError."""
        calls = iter(self.attempt)

        def replayed(v: Any) -> Any:
            if type(v) is RawJSON and len(v.text) <= RAW_INLINE:
                return _RAW  # as _hook answers it, without a call of default
            call = next(calls, None)
            if call is None:
                return _HOLE
            value, result, exc = call
            if value is not v:
                raise RuntimeError(_CHANGED)
            if exc is not None:
                raise exc
            return result

        try:
            out: str | Exception = _c_text(self._make_c_encoder(replayed), o, each, level)
        except Exception as exc:
            if self.c_markers:
                self.c_markers.clear()
            out = exc
        return out, next(calls, None) is None

    def _after_c_failure(self) -> None:
        """The part is walked again: replay this attempt's calls first."""
        self.replay.extendleft(reversed(self.attempt))

    # -- dispatch ------------------------------------------------------------------

    def encode(self, o: Any, level: int, use_c: bool) -> Encoded:
        """The text of a value at ``level``, or the frame that will write it."""
        scalar = self.scalars.get(type(o))
        if scalar is not None:
            return scalar(o)
        return self.encode_any(o, level, use_c)

    def encode_any(self, o: Any, level: int, use_c: bool) -> Encoded:
        """``encode`` for anything but exact str, int, float, bool and None."""
        t = type(o)
        if t is list or t is tuple or t is dict:
            if not o:
                return "{}" if t is dict else "[]"
            if use_c:
                text = self._whole(o, level)
                if type(text) is str:
                    return text
                use_c = text is _FALLBACK
            if isinstance(o, dict):
                items: Any = o.items()
                if self.opts.sort_keys:
                    items = sorted(items)
                elif self.dict_snapshots:
                    items = list(items)
                return self._frame(self._object, iter(items), level, use_c, o)
            return self._frame(self._array, iter(o), level, use_c, o, o)
        # json's own order of checks, so that subclasses land where json puts them
        is_a = self.opts.is_a
        if is_a(o, str):
            return self.opts.encode_str(o)
        if is_a(o, int):
            return _int_repr(o)
        if is_a(o, float):
            return self.opts.float_subclass_str(o)
        if is_a(o, (list, tuple, dict)):
            return self._subclass(o, level, use_c)
        return self._encode_other(o, level, use_c)

    def _subclass(self, o: Any, level: int, use_c: bool) -> Encoded:
        """A subclass of list, tuple or dict, read the way json reads it: with bool()
        and iteration where json's Python encoder writes, else as its C encoder does
        (a dict's real size, then ``items()``; a list or tuple's items by iteration)."""
        is_dict = not self.opts.is_a(o, (list, tuple))
        python_reads = self.opts.python_reads
        if python_reads:
            if not o:
                return "{}" if is_dict else "[]"
            elements: Any = o.items() if is_dict else o
        elif is_dict:
            if not _dict_len(o):
                return "{}"
            elements = _mapping_items(o)
        else:
            elements = list(iter(o))
            if not elements:
                return "[]"
        if not is_dict:
            return self._frame(self._array, iter(elements), level, use_c, o)
        if self.opts.sort_keys:
            elements = sorted(elements)
        pairs = _unpacked(elements) if python_reads else _two_tuples(elements)
        return self._frame(self._object, pairs, level, use_c, o)

    def _encode_other(self, o: Any, level: int, use_c: bool) -> Encoded:
        """What json hands to ``default``: streamjson's own types first, then ``default``."""
        t = type(o)
        if t is Object:
            pairs = o.pairs
            if hasattr(type(pairs), "__aiter__"):
                source = pairs.__aiter__()
            else:
                source = iter(pairs)
                if self.opts.sort_keys:
                    source = iter(sorted(map(_split, source), key=_first))
            return self._frame(self._object, source, level, use_c, o, pairs)
        if t is RawJSON:
            text: str = o.text
            return text
        if hasattr(t, "__next__"):
            return self._frame(self._array, o, level, use_c, o, o)
        if hasattr(t, "__aiter__"):
            return self._frame(self._array, o.__aiter__(), level, use_c, o)
        if isinstance(o, Mapping):
            pairs = iter(sorted(o.items()) if self.opts.sort_keys else o.items())
            return self._frame(self._object, pairs, level, use_c, o)
        mark = self._enter(o)  # json marks the object before it calls default
        out = self.encode(self.call_default(o), level, use_c)
        if isinstance(out, str):
            self._leave(mark)
            return out
        return self._then_leave(out, mark), [None]

    def _whole(self, o: Any, level: int) -> Any:
        """A list, tuple or dict at ``level`` from the C encoder, as ``try_c`` answers."""
        if not self.native:
            return self._indented([o], level)
        return self.try_c(o, level=level) if self.c_takes(o) else _FALLBACK

    def _frame(
        self,
        body: Callable[..., Generator[Any, Any, None]],
        source: Any,
        level: int,
        use_c: bool,
        o: Any,
        owned: Any = None,
    ) -> Frame:
        loc: list[Any] = [None]
        return body(source, level, use_c, loc, self._enter(o), owned), loc

    def _enter(self, o: Any) -> int | None:
        markers = self.markers
        if markers is None:
            return None
        mark = id(o)
        if mark in markers:
            raise ValueError("Circular reference detected")
        markers[mark] = o
        return mark

    def _leave(self, mark: int | None) -> None:
        if mark is not None:
            del self.markers[mark]  # type: ignore[union-attr]

    def _then_leave(self, frame: Frame, mark: int | None) -> Generator[Any, Any, None]:
        yield frame
        self._leave(mark)

    def brackets(self, open_: str, close: str, level: int) -> tuple[str, str, str]:
        """Opening text, separator between elements, closing text of a container."""
        indent = self.opts.indent
        if indent is None:
            return open_, self.opts.item_separator, close
        cached = self.bracket_cache.get((open_, level))
        if cached is None:
            inner = "\n" + indent * (level + 1)
            cached = open_ + inner, self.opts.item_separator + inner, "\n" + indent * level + close
            if level < _CACHED_LEVELS:
                self.bracket_cache[open_, level] = cached
        return cached

    # -- batches ---------------------------------------------------------------------

    def _batch(self, batch: list[Any], level: int, lines: bool) -> Any:
        """The text of a batch of array items (no brackets), as ``try_c`` answers."""
        if lines:
            return self.try_c(batch, each=True)
        if not self.native:
            return self._indented(batch, level + 1)
        text = self.try_c(batch, level=level)
        if type(text) is not str:
            return text
        open_, _, close = self.brackets("[", "]", level)
        return text[len(open_) : len(text) - len(close)]

    def _indented(self, items: list[Any], level: int) -> Any:
        """The indented text of ``items`` at ``level``, one C call for them all.

        json's C encoder cannot indent before 3.13 and uses one separator at every
        depth, so it writes ``\\x00`` as that separator and ``\\x01`` after each key
        (JSON text never holds a raw control character anywhere else). The items'
        shapes say which pieces of that text belong to which container: enough to
        put each piece on its line, indented for its depth. ``_FALLBACK`` when a
        shape can't be told, which includes every value that would run Python code
        (``default``, a subclass's methods) while the C encoder writes: nothing can
        change the items between their shapes and their text.
        """
        opts = self.opts
        found = shapes(
            items, self.shape_limit, opts.sort_keys, opts.skipkeys, not opts.python_reads
        )
        if found is None:
            return _FALLBACK
        text = self.try_c(items)
        if type(text) is not str:
            return text
        pieces = text[1:-1].split("\x00")
        _, sep, _ = self.brackets("", "", level - 1)
        out = []
        p = 0
        for shape in found:
            if shape is None:  # a scalar or an empty container: one piece
                out.append(pieces[p])
                p += 1
            else:
                n = shape[0]
                out.append(self._rebuilt(pieces[p : p + n], shape, level))
                p += n
        return sep.join(out).replace("\x01", "")

    def _rebuilt(self, parts: list[str], shape: Shape, level: int) -> str:
        """One container at ``level`` from its pieces: its first piece starts with the
        opening bracket, its last ends with the closing one."""
        opener = parts[0][0]
        parts[0] = parts[0][1:]
        parts[-1] = parts[-1][:-1]  # the same piece as parts[0] when there is one
        if shape[1]:
            out: list[str] = []
            p = 0
            for offset, inner in shape[1]:
                out += parts[p:offset]
                p = offset + inner[0]
                sub = parts[offset:p]
                key = ""
                if opener == "{":
                    key, _, sub[0] = sub[0].partition("\x01")
                out.append(key + self._rebuilt(sub, inner, level + 1))
            out += parts[p:]
            parts = out
        open_, sep, close = self.lines[level] if level < len(self.lines) else self._lines(level)
        return opener + open_ + sep.join(parts) + close + _CLOSER[opener]

    def _lines(self, level: int) -> tuple[str, str, str]:
        """``brackets("", "", level)``, kept in ``self.lines`` for ``_rebuilt`` (shallow levels)."""
        if level >= _CACHED_LEVELS:
            return self.brackets("", "", level)
        while len(self.lines) <= level:
            self.lines.append(self.brackets("", "", len(self.lines)))
        return self.lines[level]

    # -- frames --------------------------------------------------------------------

    def _array(
        self,
        items: Any,
        level: int,
        use_c: bool,
        loc: list[Any],
        mark: int | None,
        owned: Any,
        lines: bool = False,
    ) -> Generator[Any, Any, None]:
        """Write an array from a sync or async iterator, batches through the C encoder.

        With ``lines``, write JSON Lines instead: each item on a line of its own.
        """
        if lines:
            open_, sep, close = "", "\n", "\n"
        else:
            open_, sep, close = self.brackets("[", "]", level)
        target = max(
            1, self.opts.chunk_size // 4
        )  # text a batch aims at: chunks stay near chunk_size
        pull = hasattr(type(items), "__anext__")
        big = self.big
        types = self.plain_types
        plain_types = types.issuperset
        n = 1 if pull else FIRST_BATCH  # an awaited item is written as soon as it comes
        head = open_
        index = 0
        more = True
        # A list that default() may resize while a batch of it is encoded: see _still_holds
        resizable = owned if type(owned) is list else None
        length = len(resizable) if resizable is not None else 0
        try:
            while more:
                loc[0] = SOURCE
                batch: list[Any]
                # Never read past an item that may hold lazy values: a groupby group,
                # or a generator over the same cursor, is lost once its source moves on.
                batch = []
                if pull:
                    while len(batch) < n:
                        item = yield Pull(items)
                        if item is EXHAUSTED:
                            more = False
                            break
                        batch.append(item)
                        if not plain(item, types):
                            break
                else:
                    # a list is read by index, so that items default() appends are seen
                    source = items if resizable is None else resizable[index : index + n]
                    for item in islice(source, n):
                        batch.append(item)
                        if type(item) is dict:  # inlined plain(): records are the hot path
                            if not plain_types(map(type, item.values())):
                                break
                        elif not plain(item, types):
                            break
                    else:
                        more = len(batch) == n or resizable is not None
                if not batch:
                    break
                loc[0] = start = index
                calls = self.default_calls
                item_c = use_c
                if use_c:
                    text = self._batch(batch, level, lines)
                    if type(text) is str:
                        if resizable is not None and (
                            len(resizable) != length or self.default_calls != calls
                        ):
                            length = _still_holds(resizable, start, batch, length)
                        yield head + text
                        head = sep
                        index += len(batch)
                        n = max(1, min(MAX_BATCH, n * target // (len(text) + 1)))
                        continue
                    item_c = text is _FALLBACK
                parts: list[str] = []
                for item in batch:
                    loc[0] = index
                    out = self.encode(item, level + 1, item_c)
                    if type(out) is str and len(out) < big:
                        parts.append(head + out)
                    else:
                        parts.append(head)
                        yield "".join(parts)
                        parts, head = [], ""
                        if level >= _CACHED_LEVELS:  # deep: no O(level) text held below
                            open_ = sep = close = ""
                            yield out
                            open_, sep, close = self.brackets("[", "]", level)
                        else:
                            yield out
                    head = sep
                    index += 1
                if parts:
                    yield "".join(parts)
                if resizable is not None and (
                    len(resizable) != length or self.default_calls != calls
                ):
                    length = _still_holds(resizable, start, batch, length)
        except BaseException:
            if isinstance(owned, GeneratorType):
                owned.close()
            raise
        yield close if index else "" if lines else "[]"
        self._leave(mark)

    def _object(
        self, pairs: Any, level: int, use_c: bool, loc: list[Any], mark: int | None, owned: Any
    ) -> Generator[Any, Any, None]:
        """Write an object from a sync or async iterator of (key, value) pairs."""
        open_, sep, close = self.brackets("{", "}", level)
        opts = self.opts
        keystr = opts.keystr
        encode_str = opts.encode_str
        key_sep = opts.key_separator
        big = self.big
        head = open_
        first = True
        try:
            if hasattr(type(pairs), "__anext__") and opts.sort_keys:
                loc[0] = SOURCE
                gathered = []
                while (pair := (yield Pull(pairs))) is not EXHAUSTED:
                    gathered.append(_split(pair))
                pairs = iter(sorted(gathered, key=_first))
            pull = hasattr(type(pairs), "__anext__")
            scalars = self.scalars
            parts: list[str] = []
            skipped = False
            while True:
                loc[0] = SOURCE
                if pull and parts:  # before awaiting, hand over what is written
                    yield "".join(parts)
                    parts = []
                pair = (yield Pull(pairs)) if pull else next(pairs, EXHAUSTED)
                if pair is EXHAUSTED:
                    break
                loc[0] = None
                key, value = pair if type(pair) is tuple and len(pair) == 2 else _split(pair)
                if type(key) is not str:
                    key = keystr(key)
                    if key is None:
                        skipped = True
                        continue
                head += encode_str(key) + key_sep  # json writes the key first
                loc[0] = key
                scalar = scalars.get(type(value))
                out = (
                    scalar(value)
                    if scalar is not None
                    else self.encode_any(value, level + 1, use_c)
                )
                if type(out) is str and len(out) < big:
                    parts.append(head + out)
                    if len(parts) >= PARTS:
                        yield "".join(parts)
                        parts = []
                else:
                    parts.append(head)
                    yield "".join(parts)
                    parts, head = [], ""
                    if level >= _CACHED_LEVELS:  # deep: no O(level) text held below
                        open_ = sep = close = ""
                        yield out
                        open_, sep, close = self.brackets("{", "}", level)
                    else:
                        yield out
                head = sep
                first = False
            if first:
                parts.append(open_ + close if skipped and _OPENS_SKIPPED_DICT else "{}")
            else:
                parts.append(close)
            yield "".join(parts)
        except BaseException:
            if isinstance(owned, GeneratorType):
                owned.close()
            raise
        self._leave(mark)

    # -- the trampoline ------------------------------------------------------------

    def chunks(self, root: Any, level: int = 0, lines: bool = False) -> Generator[Chunk, Any, None]:
        """Yield the JSON text of ``root`` in chunks of about ``chunk_size`` characters.

        ``level`` is the indentation level ``root`` sits at (for a value placed inside
        an array that is written piece by piece). With ``lines``, ``root`` is an
        iterable (sync or async) of documents written as JSON Lines, each ending in
        a newline. A walker may write several documents, one after the other.
        """
        if lines and self.opts.indent is not None:
            raise ValueError("JSON Lines cannot be indented: each document stays on one line")
        if self.markers:
            self.markers.clear()  # left behind by a document that failed
        limit = self.opts.chunk_size
        big = self.big
        max_depth = self.max_depth
        stack: list[Generator[Any, Any, None]] = []
        locs: list[list[Any]] = [[None]]
        buf: list[str] = []
        size = 0
        sent: Any = None
        try:
            if lines:
                source = root.__aiter__() if hasattr(type(root), "__aiter__") else iter(root)
                loc: list[Any] = [None]
                out: Encoded = (
                    self._array(source, level - 1, self.use_c, loc, None, root, True),
                    loc,
                )
            elif level == 0 and isinstance(root, str):  # json.dumps asks this of the top value
                out = self.opts.encode_str(root)
            else:
                out = self.encode(root, level, self.use_c)
            if isinstance(out, str):
                yield out
                return
            stack.append(out[0])
            locs[0] = out[1]
            while stack:
                try:
                    x = stack[-1].send(sent)
                except StopIteration:
                    stack.pop()
                    locs.pop()
                    sent = None
                    continue
                sent = None
                if type(x) is str:
                    if buf and len(x) >= big:  # pass big text on as it is, not copied
                        yield "".join(buf)
                        buf = []
                        size = 0
                    buf.append(x)
                    size += len(x)
                    if size >= limit:
                        yield "".join(buf)
                        buf = []
                        size = 0
                elif type(x) is tuple:
                    if max_depth is not None and len(stack) >= max_depth:
                        raise RecursionError(
                            "maximum recursion depth exceeded while encoding a JSON object"
                        )
                    stack.append(x[0])
                    locs.append(x[1])
                else:
                    sent = yield x
        except BaseException as exc:
            for gen in reversed(stack):
                gen.close()
            if isinstance(exc, Exception):
                add_location(exc, locs)
            raise
        finally:
            self.replay.clear()
        if buf:
            yield "".join(buf)


def _c_text(enc: Callable[[Any, int], Any], o: Any, each: bool, level: int) -> str:
    """The text of ``o`` at ``level`` from ``enc``; with ``each``, of each item of ``o``
    (at level 0), one a line."""
    if each:
        return "\n".join(["".join(enc(item, 0)) for item in o])
    chunks = enc(o, level)  # a list, or a tuple from 3.12 on
    text: str = chunks[0] if len(chunks) == 1 else "".join(chunks)
    return text


def _with_raws(text: str, raws: list[str]) -> str | None:
    """``text`` with each RawJSON placeholder replaced by its text, in order; None when
    a string in the document is the placeholder itself (the walker then writes it)."""
    pieces = text.split(_RAW_TEXT)
    if len(pieces) != len(raws) + 1:
        return None
    out = [""] * (len(pieces) + len(raws))
    out[::2] = pieces
    out[1::2] = raws
    return "".join(out)


def _same_failure(a: Exception, b: Exception) -> bool:
    """Whether two attempts failed alike: the same error, for the same cause."""
    return type(a) is type(b) and a.args == b.args and type(a.__cause__) is type(b.__cause__)


def _still_holds(lst: list[Any], start: int, batch: list[Any], length: int) -> int:
    """The length of ``lst``, which ``default()`` may have changed while ``batch`` (read
    from ``start`` on) was encoded; RuntimeError when it no longer holds those items there.

    json reads a list's items one at a time and writes what it holds at that moment;
    the walker reads a batch ahead, so the text of items the list has since dropped,
    moved or replaced would be wrong.
    """
    now = lst[start : start + len(batch)]
    if len(now) != len(batch) or any(map(is_not, now, batch)):
        changed = "size" if len(lst) != length else "items"
        raise RuntimeError(f"list changed {changed} during iteration")
    return len(lst)


def _split(pair: Any) -> tuple[Any, Any]:
    """Unpack one member of an Object, with a clear error for anything but a pair."""
    try:
        key, value = pair
    except (TypeError, ValueError):
        raise TypeError(
            f"streamjson.Object expects (key, value) pairs, got {type(pair).__name__}"
        ) from None
    return key, value
