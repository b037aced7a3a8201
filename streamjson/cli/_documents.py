"""The documents to write, read lazily from ijson's ``basic_parse`` events."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ijson  # type: ignore[import-untyped]

from .._events import EventReader
from ._args import PROG, reads_several
from ._input import ParserInput
from ._prefix import PrefixedValues
from ._surrogates import restore_surrogates


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
    args: argparse.Namespace, inp: ParserInput, sort_keys: bool
) -> tuple[Iterator[Any], Callable[[], None]]:
    """The lazy documents to write, one a line, and the check to run after them:
    the values at the --to-lines prefix, the JSON Lines documents (as one array with
    --from-lines), or the one document.

    Only events are read (never ijson's prefixed ``parse``, whose path strings grow
    with the square of the depth), so memory follows the values held, not the nesting.
    """
    reader = EventReader(
        parse_function(args)(inp), exact_numbers=args.exact_numbers, sort_keys=sort_keys
    )
    reader.max_depth = args.max_depth
    inp.on_disguise = lambda: setattr(reader, "strings", restore_surrogates)
    inp.on_hide_number = lambda: setattr(reader, "number", inp.numbers.converter(reader.number))
    if args.to_lines is not None:
        return _counted(PrefixedValues(reader, args.to_lines), args.to_lines), _nothing
    if not reads_several(args):
        return _one(reader), reader.expect_end
    if args.from_lines:  # one array of the values
        return iter([reader.values()]), _nothing
    return reader.values(), _nothing


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
