"""The walker: the only code that knows JSON syntax. It does no I/O.

``Walker(options).chunks(value)`` is a generator of ``str`` chunks of about
``options.chunk_size`` characters (``chunks(value, utf8=True)``: of UTF-8 ``bytes``,
where the C encoder writes them). When the document holds an async source it
yields a :class:`~streamjson._types.Pull` instead, and expects the next item (or
``EXHAUSTED``) to be sent back; only the async driver does that.

This module dispatches on each value's type and walks containers with an explicit
stack of frames (generators), so depth is limited by memory, not by Python's
recursion limit. Two helpers it holds do the rest:

* :class:`~streamjson._batches.Batches` hands plain, already-materialised parts (a
  batch of records, a small dict) to the stdlib's C encoder in one call, and replays
  ``default()``'s calls when a part has to be walked again;
* :class:`~streamjson._layout.Layout` knows where line breaks and indentation go.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Mapping
from itertools import islice
from types import GeneratorType
from typing import Any

from ._batches import FALLBACK, Batches, reads_dicts_whole, still_holds
from ._layout import CACHED_LEVELS, EMPTY_ARRAY, OPENS_SKIPPED_DICT, Layout
from ._location import SOURCE, add_location, add_note
from ._options import Options
from ._shapes import plain
from ._types import EXHAUSTED, Chunk, Object, Pull, RawJSON

# A frame is a generator that yields text, child frames or Pull requests, plus the
# one-item list where it keeps the key or index it is working on (for error paths).
Frame = tuple[Generator[Any, Any, None], list[Any]]
Encoded = str | bytes | Frame  # bytes: UTF-8 text from the C encoder

_int_repr = int.__repr__
_dict_len = dict.__len__
_tuple_len = tuple.__len__
_tuple_item = tuple.__getitem__

FIRST_BATCH = 16
MAX_BATCH = 4096
_BOOL_TEXT = {True: "true", False: "false"}
BIG_TEXT = 1 << 20  # see Walker.big
PARTS = 256  # a frame yields its text after at most this many members, to keep chunks small


def _null_text(o: None) -> str:
    return "null"


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


class Walker:
    """Encodes documents under one set of options, one document at a time.

    It holds the state of the document it writes (circular-reference markers, the
    C encoder's attempts and replays) and what it keeps for its options (the layout,
    the C encoder). ``chunks()`` starts each document afresh, so one walker may write
    any number of documents one after the other, after a failed one too: the writers
    and the command line reuse theirs. It never writes two at once: finish or close
    one ``chunks()`` generator before starting the next, and share a walker between
    threads only under a lock.
    """

    def __init__(self, options: Options, *, bounded: bool = True) -> None:
        self.opts = options
        self.markers: dict[int, Any] | None = {} if options.check_circular else None
        # Without circular checks json stops a cycle with RecursionError; so do we.
        self.max_depth = None if options.check_circular else sys.getrecursionlimit()
        self.scalars: dict[type, Callable[[Any], str]] = {
            str: options.encode_str,
            int: _int_repr,
            float: options.floatstr,
            bool: _BOOL_TEXT.__getitem__,
            type(None): _null_text,
        }
        self.layout = Layout(options)
        self.batches = Batches(options, self.layout, bounded)
        self.use_c = self.batches.usable
        # Text this long is yielded alone, never joined with other text: that would copy it.
        self.big = max(options.chunk_size, BIG_TEXT)
        self.dict_snapshots = reads_dicts_whole(options)

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
                text = self.batches.whole(o, level)
                if type(text) is str or type(text) is bytes:
                    return text
                use_c = text is FALLBACK
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
            try:
                elements = iter(o)
            except TypeError:  # json's PySequence_Fast says this instead
                raise TypeError("_iterencode_list needs a sequence") from None
            elements = list(elements)
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
        out = self.encode(self.batches.call_default(o), level, use_c)
        if isinstance(out, (str, bytes)):
            self._leave(mark)
            return out
        return self._then_leave(out, mark), [None]

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
        bare: bool = False,
    ) -> Generator[Any, Any, None]:
        """Write an array from a sync or async iterator, batches through the C encoder.

        With ``lines``, write JSON Lines instead: each item on a line of its own. With
        ``bare``, write the array's elements and the separators between them, without
        its brackets: nothing for an empty one.
        """
        if lines:
            head, sep = "", "\n"
        else:
            head, sep = self.layout.brackets("[", "]", level)[:2]
            if bare:
                head = ""
        target = max(
            1, self.opts.chunk_size // 4
        )  # text a batch aims at: chunks stay near chunk_size
        pull = hasattr(type(items), "__anext__")
        big = self.big
        batches = self.batches
        types = batches.plain_types
        plain_types = types.issuperset
        n = 1 if pull else FIRST_BATCH  # an awaited item is written as soon as it comes
        index = 0
        more = True
        # A list that default() may resize while a batch of it is encoded: see still_holds
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
                calls = batches.default_calls
                item_c = use_c
                if use_c:
                    text = batches.batch(batch, level, lines)
                    if type(text) is str or type(text) is bytes:
                        if resizable is not None and (
                            len(resizable) != length or batches.default_calls != calls
                        ):
                            length = still_holds(resizable, start, batch, length)
                        if type(text) is str:
                            yield head + text
                        else:  # UTF-8 bytes: the chunks' loop encodes head
                            yield head
                            yield text
                        head = sep
                        index += len(batch)
                        n = max(1, min(MAX_BATCH, n * target // (len(text) + 1)))
                        continue
                    item_c = text is FALLBACK
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
                        if level >= CACHED_LEVELS:  # deep: no O(level) text held below
                            sep = ""
                            yield out
                            sep = self.layout.brackets("[", "]", level)[1]
                        else:
                            yield out
                    head = sep
                    index += 1
                if parts:
                    yield "".join(parts)
                if resizable is not None and (
                    len(resizable) != length or batches.default_calls != calls
                ):
                    length = still_holds(resizable, start, batch, length)
        except BaseException:
            if isinstance(owned, GeneratorType):
                owned.close()
            raise
        if lines:
            yield "\n" if index else ""
        elif not bare:
            yield self.layout.brackets("[", "]", level)[2] if index else EMPTY_ARRAY
        self._leave(mark)

    def _object(
        self, pairs: Any, level: int, use_c: bool, loc: list[Any], mark: int | None, owned: Any
    ) -> Generator[Any, Any, None]:
        """Write an object from a sync or async iterator of (key, value) pairs."""
        open_, sep, close = self.layout.brackets("{", "}", level)
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
                    if level >= CACHED_LEVELS:  # deep: no O(level) text held below
                        open_ = sep = close = ""
                        yield out
                        open_, sep, close = self.layout.brackets("{", "}", level)
                    else:
                        yield out
                head = sep
                first = False
            if first:
                parts.append(open_ + close if skipped and OPENS_SKIPPED_DICT else "{}")
            else:
                parts.append(close)
            yield "".join(parts)
        except BaseException:
            if isinstance(owned, GeneratorType):
                owned.close()
            raise
        self._leave(mark)

    # -- the trampoline ------------------------------------------------------------

    def chunks(
        self,
        root: Any,
        level: int = 0,
        lines: bool = False,
        bare: bool = False,
        utf8: bool = False,
    ) -> Generator[Chunk, Any, None]:
        """Yield the JSON text of ``root`` in chunks of about ``chunk_size`` characters.

        ``level`` is the indentation level ``root`` sits at (for a value placed inside
        an array that is written piece by piece). With ``lines``, ``root`` is an
        iterable (sync or async) of documents written as JSON Lines, each ending in
        a newline. With ``bare``, ``root`` is an iterable (sync or async) written as
        the elements of an array at ``level`` and the separators between them: the
        array without its brackets, nothing for no elements.

        With ``utf8``, where the C encoder is streamjson's own, the chunks are the
        text's UTF-8 bytes (about ``chunk_size`` bytes each), the same bytes as the str
        chunks encoded: the C encoder's parts come as bytes and the walker's own
        pieces are encoded when their chunk is handed on, as a sink would encode it.
        Text without UTF-8 (a lone surrogate) is then a UnicodeEncodeError noted with
        its byte offset in the document. Elsewhere (no C encoder, or json's, or fast
        mode) ``utf8`` changes nothing: the chunks are str.
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
        utf8 = self.batches.utf8 = utf8 and self.use_c and self.batches.writes_utf8
        buf: list[Any] = []  # str pieces; with utf8, bytes and the walker's own str pieces
        size = 0
        done = 0  # what the chunks yielded so far hold (bytes where utf8)
        sent: Any = None
        try:
            if lines or bare:
                source = root.__aiter__() if hasattr(type(root), "__aiter__") else iter(root)
                loc: list[Any] = [None]
                if lines:
                    array = self._array(source, level - 1, self.use_c, loc, None, root, True)
                else:  # marked as the array it stands for
                    mark = self._enter(root)
                    array = self._array(source, level, self.use_c, loc, mark, root, bare=True)
                out: Encoded = array, loc
            elif level == 0 and isinstance(root, str):  # json.dumps asks this of the top value
                out = self.opts.encode_str(root)
            else:
                out = self.encode(root, level, self.use_c)
            if isinstance(out, (str, bytes)):
                yield _utf8(out, 0) if utf8 and isinstance(out, str) else out
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
                if type(x) is str or type(x) is bytes:
                    if buf and len(x) >= big:  # pass big text on as it is, not copied
                        chunk = _utf8_chunk(buf, done) if utf8 else "".join(buf)
                        yield chunk
                        done += len(chunk)
                        del chunk  # not held while the walk goes on
                        buf = []
                        size = 0
                    buf.append(x)
                    size += len(x)
                    if size >= limit:
                        chunk = _utf8_chunk(buf, done) if utf8 else "".join(buf)
                        yield chunk
                        done += len(chunk)
                        del chunk
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
            self.batches.replay.clear()
        if buf:
            yield _utf8_chunk(buf, done) if utf8 else "".join(buf)


def _utf8_chunk(pieces: list[str | bytes], offset: int) -> bytes:
    """One chunk of UTF-8 from ``pieces``: bytes as they are, str encoded now, when the
    chunk is handed on, as a sink encodes a str chunk (so that an error in the
    document before the sink would write it still comes first). The chunk starts
    at byte ``offset`` of the document."""
    for i, piece in enumerate(pieces):
        if type(piece) is str:
            pieces[i] = _utf8(piece, offset)
        offset += len(pieces[i])
    return b"".join(pieces)  # type: ignore[arg-type]


def _utf8(piece: str, offset: int) -> bytes:
    """``piece`` as UTF-8; a UnicodeEncodeError (a lone surrogate) gets a note saying
    where, as a byte offset in the document: ``piece`` starts at ``offset``."""
    try:
        return piece.encode()
    except UnicodeEncodeError as exc:
        at = offset + len(piece[: exc.start].encode())
        add_note(exc, f"streamjson: at byte {at} of the document")
        raise


def _split(pair: Any) -> tuple[Any, Any]:
    """Unpack one member of an Object, with a clear error for anything but a pair."""
    try:
        key, value = pair
    except (TypeError, ValueError):
        raise TypeError(
            f"streamjson.Object expects (key, value) pairs, got {type(pair).__name__}"
        ) from None
    return key, value
