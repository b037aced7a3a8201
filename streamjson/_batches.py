"""Batches: parts of the document that json's C encoder writes in one call each.

A batch of records or a small container is handed to the C encoder (orjson with
``fast=True``) whole. Its ``default`` hook raises :class:`_Fallback` when it meets
something that must stream (a generator, an ``Object``...): the walker then walks
that part itself, handing its own parts back here. When the C encoder raises, the
part is walked again in Python to find where the bad value sits; the results of
``default()`` from the failed attempt are replayed in the order of the calls, so
``default`` is called once per value, as json calls it. If ``default`` ran before
the attempt was abandoned, the part is first checked to read as it did
(``_unchanged``).
"""

from __future__ import annotations

import enum
import importlib
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii
from operator import is_not
from typing import Any, Final, TypeVar

from . import _fast
from ._extended import Extended
from ._layout import ITEM_MARK, KEY_MARK, Layout, marks_fit
from ._options import Options
from ._shapes import PLAIN_ITEMS, SMALL, SMALL_NESTED, TypeSet, fits, shapes
from ._types import Object, RawJSON

MakeEncoder = Callable[..., Callable[..., Any]]
Text = TypeVar("Text", str, bytes)


def _native_make_encoder() -> MakeEncoder | None:
    """streamjson's own C encoder (``streamjson._native``, a drop-in for json's that
    indents on every version), or None: not built, or ``STREAMJSON_PURE`` set (to
    anything but ``0``), or a Python it does not mirror yet (3.14 adds error notes)."""
    if os.environ.get("STREAMJSON_PURE", "") not in ("", "0") or sys.version_info >= (3, 14):
        return None
    try:
        module = importlib.import_module(f"{__package__}._native")
    except ImportError:
        return None
    # Without the built extension, a source tree's streamjson/_native/ folder (its C
    # sources) imports as an empty namespace package: no encoder there either.
    make: MakeEncoder | None = getattr(module, "make_encoder", None)
    return make


c_make_encoder: MakeEncoder | None = _native_make_encoder()
NATIVE: Final = c_make_encoder is not None
if c_make_encoder is None:
    try:
        from _json import make_encoder as c_make_encoder
    except ImportError:  # pragma: no cover - PyPy and builds without the accelerator
        c_make_encoder = None


def _indents_natively() -> bool:
    """Whether the C encoder writes indented text itself (streamjson's always; json's from
    3.13 on, before which it ignores ``indent``). json's on 3.14.0 to 3.14.2 crashes when
    asked to at a level above 0 (CPython gh-140750): those keep the marker re-layout."""
    if c_make_encoder is None or (not NATIVE and (3, 14, 0) <= sys.version_info[:3] <= (3, 14, 2)):
        return False
    enc = c_make_encoder(None, None, encode_basestring_ascii, " ", ":", ",", False, False, True)
    return "".join(enc([1], 0)) == "[\n 1\n]"


NATIVE_INDENT = _indents_natively()


class Outcome(enum.Enum):
    """What became of a part given to the C encoder, when it is not the part's text."""

    FALLBACK = enum.auto()  # walk this part in Python, the C encoder for its parts
    C_FAILED = enum.auto()  # the C encoder raised: walk again in pure Python to find where


# The members as module constants: reading one is a global lookup, where ``Outcome.X``
# goes through the enum's class (several times slower on 3.10 and 3.11, once a part).
FALLBACK: Final = Outcome.FALLBACK
C_FAILED: Final = Outcome.C_FAILED


class _Fallback(Exception):
    """Raised through the C encoder: this part must be walked in Python."""


# What the C encoder is given for a part that must stream once default() has run (see
# Batches._unchanged): a string no document holds, written the same by every encoder.
_HOLE = "streamjson-hole-" + os.urandom(12).hex()

# What the C encoder writes for a short RawJSON, replaced by its text once the part is
# written (a long one is written by the walker, which never copies it).
_RAW = "streamjson-raw-" + os.urandom(12).hex()
_RAW_TEXT = json.dumps(_RAW)  # the same text from every encoder and option
_RAW_BYTES = _RAW_TEXT.encode()
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


def _c_reads_dicts_live() -> bool:
    """Whether the C encoder reads a dict's items as it goes (3.12+) rather than all at
    once when it starts on the dict (a ``default`` that changes a later value tells);
    streamjson's reads them as json's does on the same Python."""
    if c_make_encoder is None:
        return True  # json reads every dict with its Python encoder: live
    probe: dict[str, Any] = {"a": object(), "b": 0}

    def change(o: Any) -> int:
        probe["b"] = 1
        return 0

    enc = c_make_encoder(
        None, change, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(enc(probe, 0)) == '{"a": 0, "b": 1}'


_C_READS_DICTS_LIVE = _c_reads_dicts_live()


def _calls_user_default(options: Options) -> bool:
    """True unless ``default`` is json's own, which only raises."""
    return getattr(options.default, "__func__", None) is not json.JSONEncoder.default


def reads_dicts_whole(options: Options) -> bool:
    """Whether the walker reads a dict's items all at once when it starts on it.

    json's C encoder on 3.10 and 3.11 does, so a ``default()`` that changes a later
    value is not seen; the walker reads the dicts it walks so too, wherever json
    would have used its C encoder.
    """
    return not options.python_reads and not _C_READS_DICTS_LIVE and _calls_user_default(options)


class Batches:
    """The C encoder's share of one walker's work, and the replay of ``default()``'s
    calls after an attempt failed. Lives as long as its walker (see ``Walker``)."""

    def __init__(self, options: Options, layout: Layout, bounded: bool) -> None:
        self.opts = options
        self.layout = layout
        self.attempt: list[Call] = []  # default()'s calls in this C attempt, in order
        self.replay: deque[Call] = deque()  # calls of failed attempts, not yet walked again
        self.c_markers: dict[int, Any] | None = {} if options.check_circular else None
        self.c_enc: Callable[..., Any] | None = None
        # Which containers the C encoder may take whole: bounded=False (dumps, which
        # holds the whole text anyway) drops the size limit.
        self.c_takes: Callable[[Any], bool] = fits if bounded else _any
        self.shape_limit = SMALL if bounded else sys.maxsize
        self.c_limit = max(16 * options.chunk_size, 1 << 22) if bounded else sys.maxsize
        # Indented text comes from the C encoder as it is (``native``), or marked for
        # the layout to lay out (see ``indented``).
        self.native = options.indent is None or NATIVE_INDENT
        # Where json.dumps reads these options' values with its Python encoder (indent
        # before 3.13) and the C encoder indents, the two read alike only what runs no
        # Python code: streamjson's encoder writes that alone (its ``strict`` mode) and
        # refuses the rest, which is walked. No other encoder is used there.
        self.strict = self.native and options.python_reads
        if self.strict:
            self.usable = NATIVE and not options.fast
        else:
            self.usable = (c_make_encoder is not None or options.fast) and (
                self.native or marks_fit(options)
            )
        # streamjson's encoder can write its text as UTF-8 bytes (see ``utf8``)
        self.writes_utf8 = NATIVE and self.native and not options.fast
        # Whether parts come as UTF-8 bytes rather than str: set by the walker for each
        # document, True only where ``writes_utf8``.
        self.utf8 = False
        # Types that never stream: json's own, and the immutable scalars a default such
        # as streamjson.Extended names (it keeps the set current).
        self.plain_types: TypeSet = getattr(options.encoder.default, "plain_types", PLAIN_ITEMS)
        # A default that says it is pure (streamjson.Extended without a fallback: same
        # result for the same value, the document untouched) needs no record of its calls.
        self.pure = getattr(options.encoder.default, "pure", False) is True
        self.raws: list[str] = []  # RawJSON texts in this C attempt, in order (see _hook)
        self.holes = False  # the C encoder is writing holes (see _hook)
        self.ran_default = False  # default() ran during this C attempt
        self.default_calls = 0

    def whole(self, o: Any, level: int) -> str | bytes | Outcome:
        """A list, tuple or dict at ``level`` from the C encoder, as ``try_c`` answers."""
        if not self.native:
            return self.indented([o], level)
        if not self.c_takes(o):
            return FALLBACK
        return self.try_c(o, level=level)

    def batch(self, batch: list[Any], level: int, lines: bool) -> str | bytes | Outcome:
        """The text of a batch of items of an array at ``level``, without brackets (with
        ``lines``, one a line), as ``try_c`` answers."""
        if lines:
            return self.try_c(batch, each=True)
        if not self.native:
            return self.indented(batch, level + 1)
        text = self.try_c(batch, level=level)
        if type(text) is str:
            open_, _, close = self.layout.brackets("[", "]", level)
            return text[len(open_) : len(text) - len(close)]
        if type(text) is bytes:
            open_, _, close = self.layout.brackets("[", "]", level)
            return text[len(open_.encode()) : len(text) - len(close.encode())]
        return text

    def indented(self, items: list[Any], level: int) -> str | bytes | Outcome:
        """The indented text of ``items`` at ``level``, one C call for them all.

        json's C encoder cannot indent before 3.13 and uses one separator at every
        depth: it writes marks instead, which the layout replaces, knowing the items'
        shapes. ``FALLBACK`` when a shape can't be told, which includes every
        value that would run Python code (``default``, a subclass's methods) while the
        C encoder writes: nothing can change the items between their shapes and their
        text.
        """
        opts = self.opts
        found = shapes(
            items, self.shape_limit, opts.sort_keys, opts.skipkeys, not opts.python_reads
        )
        if found is None:
            return FALLBACK
        text = self.try_c(items)
        if type(text) is not str:
            return text
        return self.layout.laid_out(text, found, level)

    def c_encoder(self) -> Callable[..., Any]:
        """The C encoder, with ``_hook`` as its ``default`` (see ``_make_c_encoder``)."""
        enc = self.c_enc
        if enc is None:
            enc = self.c_enc = self._make_c_encoder(self._pure_hook if self.pure else self._hook)
        return enc

    def _make_c_encoder(self, hook: Callable[[Any], Any]) -> Callable[..., Any]:
        """A C encoder for these options; with indent and not ``native``, it writes
        ``ITEM_MARK`` between elements and ``KEY_MARK`` after each key separator (see
        ``indented``)."""
        o = self.opts
        if o.fast:
            return _fast.batch_encoder(hook, o.sort_keys, _Fallback)
        item_sep, key_sep = o.item_separator, o.key_separator
        if not self.native:
            item_sep, key_sep = ITEM_MARK, key_sep + KEY_MARK
        assert c_make_encoder is not None  # else usable is False and we are not called
        args: list[Any] = [
            self.c_markers,
            hook,
            o.encode_str,
            o.indent if self.native else None,
            key_sep,
            item_sep,
            o.sort_keys,
            o.skipkeys,
            o.allow_nan,
        ]
        if NATIVE:
            # streamjson's encoder writes a pure Extended's commonest types itself
            ext = o.default.native_settings() if type(o.default) is Extended else None
            # with ``strict`` it refuses, by raising _Fallback, what it does not write alike
            # (see ``strict``), containers nested deeper than SMALL_NESTED below an item
            # of a batch (one more below a part given whole) and text past c_limit
            strict = (_Fallback, SMALL_NESTED, self.c_limit) if self.strict else None
            # else it gives up, by raising _Fallback, once the text passes c_limit before
            # default has run: a part too long to hold whole is walked, not first written
            bounded = not self.strict and self.c_limit < sys.maxsize
            args += [ext, strict, (_Fallback, self.c_limit) if bounded else None]
        return c_make_encoder(*args)

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

    def _pure_hook(self, o: Any) -> Any:
        """``_hook`` for a pure ``default``: called again when a part is walked again,
        it gives the same results, so there is nothing to record, replay or check."""
        t = type(o)
        if t not in self.plain_types:
            if t is RawJSON and len(o.text) <= RAW_INLINE:
                self.raws.append(o.text)
                return _RAW
            if is_streamed(o):
                raise _Fallback
        result = self.opts.default(o)
        if type(result) is RawJSON and len(result.text) <= RAW_INLINE:
            self.raws.append(result.text)
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

    def try_c(self, o: Any, each: bool = False, level: int = 0) -> str | bytes | Outcome:
        """Encode ``o`` at ``level`` with the C encoder: its text, or what to do instead.
        With ``each``, ``o`` is a batch of documents and the text is theirs, one a line.
        The text is UTF-8 bytes with ``utf8``; a lone surrogate then ends the attempt
        (``C_FAILED``): the walker writes that part as str, and the error arises where
        it is encoded.
        """
        self.attempt.clear()
        self.raws.clear()
        self.ran_default = self.holes = False
        try:
            text = _c_text(self.c_encoder(), o, each, level, self.utf8)
        except BaseException as exc:
            if self.c_markers:
                self.c_markers.clear()  # the C encoder leaves its markers behind on error
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt...: no markers are left for the next document
            if self.ran_default:
                self._fails_again(o, each, level, exc)
            self._after_c_failure()
            # orjson reports an exception from default() as the cause of its own
            return FALLBACK if isinstance(exc.__cause__ or exc, _Fallback) else C_FAILED
        whole = _with_raws(text, self.raws) if self.raws else text
        if self.holes or whole is None or len(text) > self.c_limit:
            # A part must stream, or the text is so long that slicing, indenting or
            # joining it would copy it (or holds a RawJSON placeholder as a string):
            # walk this part in Python (which writes a long string without a copy),
            # reading it as the C encoder read it.
            if self.ran_default:
                self._unchanged(o, each, level, text)
            self._after_c_failure()
            return FALLBACK
        return whole

    def _unchanged(self, o: Any, each: bool, level: int, text: str | bytes) -> None:
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

    def _encoded_again(
        self, o: Any, each: bool, level: int
    ) -> tuple[str | bytes | Exception, bool]:
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
            out: str | bytes | Exception = _c_text(
                self._make_c_encoder(replayed), o, each, level, self.utf8
            )
        except Exception as exc:
            if self.c_markers:
                self.c_markers.clear()
            out = exc
        return out, next(calls, None) is None

    def _after_c_failure(self) -> None:
        """The part is walked again: replay this attempt's calls first."""
        self.replay.extendleft(reversed(self.attempt))


def _c_text(
    enc: Callable[..., Any], o: Any, each: bool, level: int, utf8: bool = False
) -> str | bytes:
    """The text of ``o`` at ``level`` from ``enc``; with ``each``, of each item of ``o``
    (at level 0), one a line. With ``utf8``, as UTF-8 bytes (streamjson's encoder only)."""
    if utf8:
        if each:
            return b"\n".join([enc(item, 0, True)[0] for item in o])
        data: bytes = enc(o, level, True)[0]
        return data
    if each:
        return "\n".join(["".join(enc(item, 0)) for item in o])
    chunks = enc(o, level)  # a list, or a tuple from 3.12 on
    text: str = chunks[0] if len(chunks) == 1 else "".join(chunks)
    return text


def _with_raws(text: str | bytes, raws: list[str]) -> str | bytes | None:
    """``text`` with each RawJSON placeholder replaced by its text, in order; None when
    a string in the document is the placeholder itself, or when UTF-8 ``text`` meets a
    raw text that has no UTF-8 (a lone surrogate): the walker then writes it."""
    if type(text) is bytes:
        try:
            return _put_raws(text.split(_RAW_BYTES), [raw.encode() for raw in raws], b"")
        except UnicodeEncodeError:
            return None
    assert type(text) is str
    return _put_raws(text.split(_RAW_TEXT), raws, "")


def _put_raws(pieces: list[Text], raws: list[Text], empty: Text) -> Text | None:
    """``pieces`` with ``raws`` between them, joined; None unless there is one raw
    between each two pieces."""
    if len(pieces) != len(raws) + 1:
        return None
    out = [empty] * (len(pieces) + len(raws))
    out[::2] = pieces
    out[1::2] = raws
    return empty.join(out)


def _same_failure(a: Exception, b: Exception) -> bool:
    """Whether two attempts failed alike: the same error, for the same cause."""
    return type(a) is type(b) and a.args == b.args and type(a.__cause__) is type(b.__cause__)


def still_holds(lst: list[Any], start: int, batch: list[Any], length: int) -> int:
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
