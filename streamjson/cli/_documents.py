"""The documents to write, read lazily from the input: built fast where that is safe,
streamed event by event where it is not."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ijson  # type: ignore[import-untyped]

from .._events import EventReader, PrefixedValues, prefixed_values
from ._args import PROG, reads_several
from ._input import ParserInput, ValueTooBig
from ._progress import Progress
from ._source import Source
from ._surrogates import restore_surrogates, restore_value

GUARD = 512 * 1024
"""Bytes of input one value built by ijson's C builder may span; a bigger one is streamed."""
_FLOAT_LIMITS = ("integer overflow", "numeric (floating point) overflow")  # with use_float


def backend() -> Any:
    """ijson's C backend (yajl2_c) where it is built, else the best one ijson has."""
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:  # pragma: no cover - depends on how ijson was installed
        return ijson


def parse_function(args: argparse.Namespace) -> Callable[[ParserInput], Iterator[Any]]:
    """The ijson ``basic_parse`` call the arguments need (several documents or one)."""
    parser = backend()
    several = reads_several(args)

    def parse(inp: ParserInput) -> Iterator[Any]:
        events: Iterator[Any] = parser.basic_parse(inp, multiple_values=several)
        return events

    return parse


def documents(
    args: argparse.Namespace,
    source: Source,
    inp: ParserInput,
    sort_keys: bool,
    progress: Progress | None,
) -> tuple[Iterator[Any], Callable[[], None]]:
    """The lazy documents to write, one a line, and the check to run after them.

    A file that can be read twice takes the fast path for the values it is made
    of (elements of a top-level array, JSON Lines documents, records at the
    --to-lines prefix): see :func:`built_then_streamed`. Anything else is streamed
    event by event.
    """
    several = reads_several(args)
    prefix = args.to_lines if args.to_lines is not None else "" if several else None
    fast = source.rereadable and not args.exact_numbers
    if prefix is None and fast and inp.first_byte() == b"[":
        prefix = "item"
    if prefix is not None and fast:
        values = built_then_streamed(source, inp, prefix, several, sort_keys, progress)
    elif prefix is not None:
        values = streamed(inp, prefix, several, args.exact_numbers, sort_keys)
    else:
        numbers = {"exact_numbers": args.exact_numbers, "sort_keys": sort_keys}
        reader = EventReader(parse_function(args)(inp), **numbers)
        _restore_strings_once_disguised(inp, reader)
        return _one(reader), reader.expect_end
    if args.to_lines is not None:
        return _counted(values, args.to_lines), _nothing
    if args.from_lines or not several:  # one array of the values
        return iter([values]), _nothing
    return values, _nothing


def streamed(
    inp: ParserInput, prefix: str, several: bool, exact_numbers: bool, sort_keys: bool
) -> PrefixedValues:
    """The values at ``prefix``, each read lazily from ijson's events."""
    parsed = backend().parse(inp, multiple_values=several)
    reader, found = prefixed_values(
        parsed, prefix, exact_numbers=exact_numbers, sort_keys=sort_keys
    )
    _restore_strings_once_disguised(inp, reader)
    return found


def built_then_streamed(
    source: Source,
    inp: ParserInput,
    prefix: str,
    several: bool,
    sort_keys: bool,
    progress: Progress | None,
) -> Iterator[Any]:
    """The values at ``prefix``, each built whole by ijson's C builder (the fast path:
    a few times quicker than building from events in Python) while that is safe.

    It stops being safe at a value that spans more than GUARD bytes of input (it
    would be held whole), or at a number a C double or int64 cannot hold (ijson's
    ``use_float`` refuses it). Then the input is read again from the start and the
    values after those already yielded are streamed event by event, to the end.
    """
    built = 0
    try:
        inp.guard = GUARD
        for value in backend().items(inp, prefix, multiple_values=several, use_float=True):
            inp.since_value = 0
            built += 1
            yield restore_value(value) if inp.disguised else value
        return
    except ValueTooBig:
        pass
    except ijson.IncompleteJSONError as exc:
        if not str(exc).startswith(tuple("parse error: " + e for e in _FLOAT_LIMITS)):
            raise
    finally:
        inp.guard = None
    with contextlib.ExitStack() as stack:
        inp.restart(source.reopen(stack, progress))
        values = streamed(inp, prefix, several, False, sort_keys)
        values.skip(built)
        yield from values


def _restore_strings_once_disguised(inp: ParserInput, reader: EventReader) -> None:
    """Have ``reader`` restore surrogates in its strings from the moment ``inp``
    first disguises one."""
    inp.on_disguise = lambda: setattr(reader, "strings", restore_surrogates)


def _one(reader: EventReader) -> Iterator[Any]:
    yield reader.value()


def _nothing() -> None:
    return None


def _counted(values: Iterator[Any], prefix: str) -> Iterator[Any]:
    """Pass the values on; warn on standard error if there were none."""
    n = 0
    for value in values:
        n += 1
        yield value
    if not n:
        print(f"{PROG}: warning: no value at prefix {prefix!r}", file=sys.stderr)
