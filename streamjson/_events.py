"""Encode a stream of ijson ``basic_parse`` events without building the value.

The events become a *lazy value* that the walker encodes like any other: a
container that fits in a small look-ahead window (``LOOKAHEAD`` events) is built
as a plain dict or list (so the C encoder can take it, and a repeated key keeps
the last value at the first key's place, as ``dict`` and ``json`` do); a bigger
one becomes an :class:`~streamjson.Object` or an iterator that reads the rest of
its members from the event stream while it is written. There is no second
encoder: this module only turns events into values.

All lazy values of a document share one forward-only stream, so each must be
written before the stream moves past it. When something asks for the next item
of an array while the previous item has not been started (the walker gathers
array items in batches), that item is *settled*: the rest of its events are
buffered so that the stream can move on. Memory then grows with the items
gathered ahead, not with the document.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._encode import refuse_async
from ._options import DEFAULT_CHUNK_SIZE, resolve
from ._types import Object, RawJSON
from ._walker import Walker

if TYPE_CHECKING:
    from ._types import Self

LOOKAHEAD = 4096
"""Events read ahead to decide whether a container is small enough to build whole."""
BUILT_DEPTH = 64
"""Levels of nesting built whole at most: deeper containers stay lazy, so that the text
of a deep value is written as it is read, never held (indented, it grows as depth²)."""

Event = tuple[str, Any]
Read = Callable[[], Any]

_SCALARS = frozenset(("string", "number", "boolean", "null"))
STARTS = frozenset(("start_map", "start_array"))
ENDS = frozenset(("end_map", "end_array"))


class EventError(ValueError):
    """The events do not describe one well-formed JSON value."""


class DepthError(EventError):
    """The value nests deeper than the reader's ``max_depth``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} levels of nesting")
        self.limit = limit


def iterencode_events(
    events: Iterable[Event],
    *,
    exact_numbers: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    **kw: Any,
) -> Iterator[str]:
    """Yield the JSON text of the value that ijson ``basic_parse`` events describe.

    ``events`` is an iterable of ``(event, value)`` pairs as ``ijson.basic_parse``
    yields them. The text equals ``"".join(iterencode(value, **kw))`` where
    ``value`` is what ``json.loads`` would return for the parsed document, but the
    value is never built: memory stays bounded by the largest container that has
    to be held (every object with ``sort_keys=True``, which sorts each object).

    Numbers: ``int`` stays ``int``; ijson's ``Decimal`` becomes ``float``, as json
    would parse it. With ``exact_numbers=True`` a ``Decimal`` is written with all
    its digits instead (``str(Decimal)``: the value is exact, the notation may
    change, e.g. ``1.0e5`` is written ``1.0E+5``). Takes the keyword options of
    ``json.dumps`` (checked when called) and ``chunk_size``. Raises
    :class:`EventError` (a ValueError) if the events are not one JSON value; the
    parser's own errors pass through unchanged.
    """
    options = resolve(kw, chunk_size)
    reader = EventReader(events, exact_numbers=exact_numbers, sort_keys=options.sort_keys)
    if options.override is not None:
        return _encode_whole(reader, options.override.encode)
    return _encode_lazily(reader, Walker(options))


def _encode_lazily(reader: EventReader, walker: Walker) -> Iterator[str]:
    yield from refuse_async(walker.chunks(reader.value()), "iterencode_async")
    reader.expect_end()


def _encode_whole(reader: EventReader, encode: Callable[[Any], str]) -> Iterator[str]:
    """For an encoder class that replaces ``encode``: it must see the whole value."""
    value = reader.value(whole=True)
    reader.expect_end()
    yield encode(value)


class EventReader:
    """Turns ijson ``basic_parse`` events into values for the walker, lazily.

    ``strings``, when set, is applied to every string and key as it is read (the
    command line uses it to restore escapes its reader had to disguise). A value
    nesting deeper than ``max_depth`` (None: no limit) raises :class:`DepthError`.
    """

    def __init__(
        self, events: Iterable[Event], *, exact_numbers: bool = False, sort_keys: bool = False
    ) -> None:
        self.source = EventSource(iter(events).__next__)
        self.number: Callable[[Decimal], Any] = _raw_number if exact_numbers else float
        self.sort_keys = sort_keys
        self.strings: Callable[[str], str] | None = None
        self.max_depth: int | None = None

    def value(self, *, whole: bool = False) -> Any:
        """Read the next value of the stream: its first event must come next."""
        item = self.source.read()
        if item is _END:
            raise EventError("no events: expected a JSON value")
        event, value = unpack(item)
        return self.read(event, value, self.source, whole)

    def values(self) -> Iterator[Any]:
        """Every value left in the stream (a stream of several documents), lazily."""
        return _Values(self)

    def expect_end(self) -> None:
        """Raise EventError unless the stream is exhausted."""
        item = self.source.read()
        if item is not _END:
            raise EventError(f"events continue after the end of the value: {item!r}")

    def read(
        self, event: str, value: Any, source: EventSource, whole: bool = False, level: int = 1
    ) -> Any:
        """The value that starts with ``(event, value)``; the rest comes from ``source``.
        ``level``: the nesting level a container starting there has (1 at the top)."""
        if event == "number":
            return self.number(value) if type(value) is Decimal else value
        if event == "string":
            return value if self.strings is None else self.strings(value)
        if event == "boolean" or event == "null":
            return value
        if event in STARTS:
            return self.build(event == "start_map", source, whole, level)
        raise EventError(f"unexpected event {event!r}: expected the start of a value")

    def build(self, is_map: bool, source: EventSource, whole: bool = False, level: int = 1) -> Any:
        """Read a container whose start event was just read (at nesting ``level``): a
        plain dict or list if it ends within LOOKAHEAD events and BUILT_DEPTH levels
        (or ``whole``), else a lazy one that reads on.

        With ``sort_keys`` objects are always read whole, so only arrays stay lazy.
        """
        next_ = source.next
        budget = sys.maxsize if whole else LOOKAHEAD  # members left before cutting off
        deepest = sys.maxsize if whole else BUILT_DEPTH
        limit = self.max_depth
        room = sys.maxsize if limit is None else limit - level  # levels left below this one
        if room < 0:
            raise DepthError(limit)  # type: ignore[arg-type]
        sort_keys = self.sort_keys
        stack: list[tuple[bool, Any, Any]] = []
        maps_open = int(is_map)
        container: Any = {} if is_map else []
        key: Any = None
        item: Any = ("", None)  # the last item read (a pair until one is read)
        try:
            while True:
                # Read one member into ``container``, or close it.
                closes = "end_array"  # the event that may close ``container`` here
                if is_map:
                    item = next_()
                    event, key = item
                    if event == "map_key":
                        if self.strings is not None:
                            key = self.strings(key)
                        item = next_()
                        event, value = item
                        closes = ""  # a member's value cannot close its object
                    elif event != "end_map":
                        raise _unexpected(event, "a key or 'end_map'")
                    else:
                        closes = "end_map"
                        maps_open -= 1
                else:
                    item = next_()
                    event, value = item
                if event == "number":
                    if type(value) is Decimal:
                        value = self.number(value)  # read each time: a hook may replace it
                elif event == "string":
                    if self.strings is not None:
                        value = self.strings(value)
                elif event in STARTS:
                    stack.append((is_map, container, key))
                    is_map = event == "start_map"
                    maps_open += is_map
                    container = {} if is_map else []
                    if len(stack) >= deepest and not (sort_keys and maps_open):
                        stack.append((is_map, container, None))
                        return _lazy_chain(self, source, stack, level)
                    if len(stack) > room:
                        raise DepthError(limit)  # type: ignore[arg-type]
                    continue
                elif event == closes:
                    value = container
                    if not stack:
                        return value
                    is_map, container, key = stack.pop()
                elif event not in _SCALARS:
                    raise _unexpected(event, "a value" if is_map else "a value or 'end_array'")
                if is_map:
                    container[key] = value
                else:
                    container.append(value)
                budget -= 1
                if budget <= 0 and not (sort_keys and maps_open):
                    stack.append((is_map, container, None))
                    return _lazy_chain(self, source, stack, level)
        except StopIteration:
            raise EventError("the events end inside a container") from None
        except (TypeError, ValueError):
            unpack(item)  # an EventError if the item read last is no (event, value) pair
            raise


class EventSource:
    """Where a lazy value reads its events: the stream, or a buffer it was settled into."""

    __slots__ = ("next",)

    def __init__(self, next_: Read) -> None:
        self.next = next_

    def read(self) -> Any:
        """The next event, or ``_END``."""
        try:
            return self.next()
        except StopIteration:
            return _END


_END: Any = object()


class _Lazy:
    """A container being read from ``source``: the members read so far, then the rest.

    ``child`` is the lazy container that was still open when this one was cut
    off; it is the last of the ``done`` members and reads from the same source.
    """

    __slots__ = ("child", "done", "ended", "last", "level", "pos", "reader", "source", "started")

    def __init__(
        self,
        reader: EventReader,
        source: EventSource,
        done: list[Any],
        child: _Lazy | None,
        level: int,
    ) -> None:
        self.reader = reader
        self.level = level  # its nesting level: its members' containers are one deeper
        self.source = source
        self.done: list[Any] | None = done
        self.pos = 0
        self.child = child
        self.last: _Lazy | None = None  # the lazy member returned last, until it is settled
        self.started = False
        self.ended = False

    def value(self) -> Any:
        """What the walker is given: the lazy array itself, or an Object of lazy pairs."""
        return self

    def __iter__(self) -> Self:
        return self

    def next_item(self, end: str) -> Any:
        """The next event of a member, or ``_END`` when the container ends with ``end``.

        Members read before the cut-off come first (returned as ``(None, member)``).
        """
        self.started = True
        done = self.done
        if done is not None:
            pos = self.pos
            if pos < len(done):
                self.pos = pos + 1
                if pos + 1 == len(done):
                    self.last = self.child
                    self.child = None
                return None, done[pos]
            self.done = None
        if self.ended:
            return _END
        if self.last is not None:
            settle(self.last)
            self.last = None
        item = self.source.read()
        if item is _END:
            raise EventError("the events end inside a container")
        event, value = unpack(item)
        if event == end:
            self.ended = True
            return _END
        return event, value

    def buffer_rest(self) -> None:
        """Buffer the rest of this unstarted container so that the stream can move on."""
        chain: list[_Lazy] = []
        node: _Lazy | None = self
        while node is not None:
            chain.append(node)
            node = node.child
        depth = len(chain)
        buffered: list[Any] = []
        next_ = self.source.next
        try:
            while depth:
                item = next_()
                buffered.append(item)
                event = unpack(item)[0]
                if event in STARTS:
                    depth += 1
                elif event in ENDS:
                    depth -= 1
        except StopIteration:
            raise EventError("the events end inside a container") from None
        source = EventSource(iter(buffered).__next__)
        for node in chain:
            node.source = source


class _LazyArray(_Lazy):
    """An array whose items after ``done`` come from the event stream."""

    __slots__ = ()

    def __next__(self) -> Any:
        item = self.next_item("end_array")
        if item is _END:
            raise StopIteration
        event, value = item
        if event is None:
            return value
        return remember(self, self.reader.read(event, value, self.source, level=self.level + 1))


class _LazyPairs(_Lazy):
    """The members of an object; those after ``done`` come from the event stream."""

    __slots__ = ()

    def value(self) -> Any:
        return Object(self)

    def __next__(self) -> tuple[str, Any]:
        item = self.next_item("end_map")
        if item is _END:
            raise StopIteration
        event, key = item
        if event is None:
            return key  # type: ignore[no-any-return]  # a (key, value) pair read earlier
        if event != "map_key":
            raise EventError(f"unexpected event {event!r}: expected a key or 'end_map'")
        reader = self.reader
        if reader.strings is not None:
            key = reader.strings(key)
        item = self.source.read()
        if item is _END:
            raise EventError("the events end inside an object")
        event, value = unpack(item)
        return key, remember(self, reader.read(event, value, self.source, level=self.level + 1))


class ValueStream:
    """Values read one after another from the stream of ``reader``.

    The last lazy value returned (see :func:`remember`) is settled before the next
    one is read: :meth:`move_on`.
    """

    __slots__ = ("last", "reader")

    def __init__(self, reader: EventReader) -> None:
        self.reader = reader
        self.last: _Lazy | None = None

    def __iter__(self) -> Self:
        return self

    def move_on(self) -> EventReader:
        """Let the stream move past the value returned last; returns the reader."""
        if self.last is not None:
            settle(self.last)
            self.last = None
        return self.reader


class _Values(ValueStream):
    """The values of a stream of several documents, one after the other."""

    __slots__ = ()

    def __next__(self) -> Any:
        reader = self.move_on()
        item = reader.source.read()
        if item is _END:
            raise StopIteration
        event, value = unpack(item)
        return remember(self, reader.read(event, value, reader.source))


def remember(holder: _Lazy | ValueStream, value: Any) -> Any:
    """Return a member; if it is lazy, note it, to settle it before the stream moves on."""
    if type(value) is _LazyArray:
        holder.last = value
    elif type(value) is Object and isinstance(value.pairs, _LazyPairs):
        holder.last = value.pairs
    return value


def settle(lazy: _Lazy) -> None:
    """Let the stream move past ``lazy``: buffer its events unless it was started."""
    if not lazy.started:
        lazy.buffer_rest()


def _lazy_chain(
    reader: EventReader, source: EventSource, frames: list[tuple[bool, Any, Any]], level: int
) -> Any:
    """Turn the containers still open at the cut-off (outermost first, the first at
    nesting ``level``) into lazy ones."""
    child: _Lazy | None = None
    for depth, (is_map, container, key) in reversed(list(enumerate(frames, level))):
        if child is not None:
            if is_map:
                container[key] = child.value()
            else:
                container.append(child.value())
        done = list(container.items()) if is_map else container
        child = (_LazyPairs if is_map else _LazyArray)(reader, source, done, child, depth)
    assert child is not None
    return child.value()


def _raw_number(value: Decimal) -> RawJSON:
    return RawJSON(str(value))


def unpack(item: Any) -> tuple[str, Any]:
    try:
        event, value = item
    except (TypeError, ValueError):
        raise _bad_event(item) from None
    return event, value


def _bad_event(item: Any) -> EventError:
    return EventError(f"expected an (event, value) pair as ijson.basic_parse yields, got {item!r}")


def _unexpected(event: Any, expected: str) -> EventError:
    return EventError(f"unexpected event {event!r}: expected {expected}")
