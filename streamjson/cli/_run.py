"""The run: arguments in, documents converted to OUTFILE, failures turned into exit statuses."""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ijson  # type: ignore[import-untyped]

from .._encode import refuse_async
from .._events import DepthError
from .._layout import EMPTY_ARRAY
from .._options import resolve
from .._sinks import open_sink, takes_utf8
from .._types import Chunk
from .._walker import Walker
from ._args import build_parser, check_prefix, dump_options, reads_several
from ._documents import documents, parse_function
from ._errors import fail, is_parse_error, locate, silence_stdout
from ._input import InputError, ParserInput
from ._progress import Progress
from ._source import InputFile

WRITE_SIZE = 64 * 1024
"""Characters of output joined before each write."""


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    options = dump_options(parser, args)
    check_prefix(parser, args, argv)
    try:
        source = InputFile(args.infile)
    except (OSError, ImportError, ValueError) as exc:  # ValueError: a URL fsspec cannot open
        parser.error(f"argument infile: can't open '{args.infile}': {exc}")
    try:
        return run(parser, args, source, options)
    except KeyboardInterrupt:  # while an error was being located: nothing was written
        return fail("interrupted", 130)
    finally:
        source.close()


def run(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    source: InputFile,
    options: dict[str, Any],
) -> int:
    """Convert ``source`` to OUTFILE with the progress bar if wanted; return the exit
    status, having printed the error line for a failure."""
    to_stdout = args.outfile == "-"
    show = args.progress or (sys.stderr.isatty() and not (to_stdout and sys.stdout.isatty()))
    progress = Progress(source.raw, source.size, sys.stderr) if show else None
    inp = ParserInput(None, exact=args.exact_numbers, several=reads_several(args))
    try:
        sink = open_sink(sys.stdout.buffer if to_stdout else args.outfile)
    except (ImportError, ValueError) as exc:  # a URL fsspec cannot write
        parser.error(f"argument outfile: can't write '{args.outfile}': {exc}")
    try:
        # Leaving the sink with an exception discards what a path target got.
        with contextlib.ExitStack() as stack:
            try:
                write = stack.enter_context(sink)
            except (OSError, ImportError, ValueError) as exc:
                parser.error(f"argument outfile: can't write '{args.outfile}': {exc}")
            if progress is not None:
                stack.callback(progress.finish)
            inp.stream = source.stream(progress if progress is not None else source.raw)
            convert(args, inp, write, options)
        if to_stdout:
            sys.stdout.buffer.flush()
    except KeyboardInterrupt:
        kept = "" if to_stdout else f"; {args.outfile} left as it was"
        return fail("interrupted" + kept, 130)
    except BrokenPipeError:
        silence_stdout()
        return errno.EPIPE  # json.tool's status
    except InputError as exc:
        return fail(f"{source.label}: cannot read: {exc}")
    except DepthError as exc:
        return fail(
            f"{source.label}: before byte {inp.offset}: {exc} (the limit: --max-depth raises it)"
        )
    except Exception as exc:
        if is_parse_error(exc):
            return fail(f"{source.label}: {locate(source, inp, exc, parse_function(args))}")
        if isinstance(exc, UnicodeEncodeError):
            return fail(f"cannot write the output as UTF-8: {exc}")
        if isinstance(exc, OSError):
            return fail(f"cannot write {args.outfile!r}: {exc}")
        raise
    return 0


def convert(
    args: argparse.Namespace,
    inp: ParserInput,
    write: Callable[[str], None],
    options: dict[str, Any],
) -> None:
    """Read the documents from ``inp`` and write each with ``write``, then a newline."""
    root, check = documents(args, inp, options["sort_keys"])
    walker = Walker(resolve(options))
    utf8 = takes_utf8(write)  # a binary UTF-8 sink: UTF-8 bytes from the C encoder
    empty: Any = b"" if utf8 else ""
    chunks: Iterator[Chunk]
    if options["indent"] is None and (args.json_lines or args.to_lines is not None):
        chunks = walker.chunks(root, lines=True, utf8=utf8)  # one document a line: JSON Lines
    else:
        chunks = _one_by_one(walker, root, utf8)
    pending: list[Any] = []
    size = 0
    try:
        for chunk in refuse_async(chunks, "iterencode_async"):
            if utf8 and type(chunk) is str:  # a newline, or text the walker wrote as str
                chunk = chunk.encode()
            pending.append(chunk)
            size += len(chunk)
            if size >= WRITE_SIZE:
                write(empty.join(pending))
                pending, size = [], 0
    except ijson.IncompleteJSONError:
        # ijson calls an input of nothing but whitespace truncated; as JSON Lines it
        # holds no documents (json.tool agrees), so --from-lines writes [] for it.
        if not reads_several(args) or inp.content or not inp.eof:
            raise
        pending = [(EMPTY_ARRAY + "\n").encode() if utf8 else EMPTY_ARRAY + "\n"]
        pending = pending if args.from_lines else []
    write(empty.join(pending))
    check()


def _one_by_one(walker: Walker, documents: Iterator[Any], utf8: bool) -> Iterator[Chunk]:
    """Each document and a newline: json.tool's output, also where it spans lines."""
    for document in documents:
        yield from walker.chunks(document, utf8=utf8)
        yield "\n"
