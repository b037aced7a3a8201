"""The ``streamjson`` command: reformat and convert huge JSON files in constant memory.

``streamjson [options] [INFILE [OUTFILE]]`` takes the options of
``python -m json.tool`` and writes the same bytes for a valid document, but it
reads with ijson and writes with the walker, so memory does not grow with the
file. It also converts between one JSON array and JSON Lines.

How the pieces fit:

* :class:`_Input` is what ijson reads: it counts where it is (byte, line, column)
  for error messages, and disguises the escapes ijson's C backend would mangle
  (lone surrogates such as ``"\\ud800"``, which json keeps); strings are restored
  as they are read (:func:`restore_surrogates`).
* A document is a sequence of values written one after the other: the elements
  of a top-level array, JSON Lines documents, or the records at a --to-lines
  prefix. From a file, each is built by ijson's C builder (the fast path) until
  one is too big to hold or holds a number a double cannot; then the file is read
  again and the rest streamed (:func:`built_then_streamed`). Anything else goes
  through :mod:`streamjson._events`, which turns events into lazy values.
* The walker writes each document and a newline, exactly what json.tool writes.
  The output goes through ``open_sink``: a path is written atomically, so a
  failure or Ctrl-C leaves OUTFILE as it was.
* When the parser fails, the input is read again (if it can be) up to the failing
  chunk and then byte by byte, to say exactly where and what was expected.
"""

from __future__ import annotations

import argparse
import bz2
import collections
import contextlib
import gzip
import io
import lzma
import os
import re
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from ._encode import refuse_async
from ._events import EventReader, PrefixedValues, prefixed_values
from ._options import Options, make_encoder
from ._sinks import open_sink
from ._types import Chunk
from ._walker import Walker

PROG = "streamjson"
READ_SIZE = 64 * 1024
EXCERPT = 24  # bytes of context in an error message
GUARD = 512 * 1024
"""Bytes of input one value built by ijson's C builder may span; a bigger one is streamed."""
_FLOAT_LIMITS = ("integer overflow", "numeric (floating point) overflow")  # with use_float

_DECOMPRESSORS: dict[str, Callable[[Any], Any]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    ".bz2": lambda raw: bz2.BZ2File(raw, "rb"),
    ".xz": lambda raw: lzma.LZMAFile(raw, "rb"),  # noqa: SIM115 - the caller closes these
}
_READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)

_UNSET: Any = object()


def backend() -> Any:
    """ijson's C backend (yajl2_c) where it is built, else the best one ijson has."""
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:  # pragma: no cover - depends on how ijson was installed
        return ijson


# -- command line ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: json.tool's options, plus conversions and exact numbers."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Validate, pretty-print and convert JSON in constant memory. Takes the "
            "options of python -m json.tool and writes the same output, without "
            "loading the document."
        ),
        epilog=(
            "INFILE and OUTFILE ending in .gz, .bz2 or .xz are (de)compressed; OUTFILE "
            "is written atomically. Exit status: 0 ok, 1 invalid input or failed "
            "write, 2 usage error, 130 interrupted."
        ),
    )
    parser.add_argument(
        "infile",
        nargs="?",
        default="-",
        metavar="INFILE",
        help="the JSON file to read (default: standard input)",
    )
    parser.add_argument(
        "outfile",
        nargs="?",
        default="-",
        metavar="OUTFILE",
        help="the file to write, atomically (default: standard output)",
    )
    parser.add_argument(
        "--sort-keys",
        action="store_true",
        help="sort the output of dictionaries alphabetically by key (holds each object "
        "in memory to sort it)",
    )
    parser.add_argument(
        "--no-ensure-ascii",
        dest="ensure_ascii",
        action="store_false",
        help="disable escaping of non-ASCII characters",
    )
    parser.add_argument(
        "--json-lines",
        action="store_true",
        help="parse input using the JSON Lines format (any whitespace-separated JSON "
        "values). Use with --no-indent or --compact to produce valid JSON Lines output.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--indent",
        default=_UNSET,
        type=int,
        help="separate items with newlines and use this number of spaces for "
        "indentation (default: 4)",
    )
    group.add_argument(
        "--tab",
        action="store_const",
        dest="indent",
        const="\t",
        help="separate items with newlines and use tabs for indentation",
    )
    group.add_argument(
        "--no-indent",
        action="store_const",
        dest="indent",
        const=None,
        help="separate items with spaces rather than newlines",
    )
    group.add_argument(
        "--compact",
        action="store_true",
        help="suppress all whitespace separation (most compact)",
    )
    convert = parser.add_mutually_exclusive_group()
    convert.add_argument(
        "--to-lines",
        nargs="?",
        const="item",
        default=None,
        metavar="PREFIX",
        help="write each value found at the ijson PREFIX as one JSON Lines record "
        "(default PREFIX: item, the elements of the top-level array; e.g. data.item)",
    )
    convert.add_argument(
        "--from-lines",
        action="store_true",
        help="read JSON Lines and write them as one JSON array",
    )
    parser.add_argument(
        "--exact-numbers",
        action="store_true",
        help="keep every number's digits as written (no rounding through float)",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on standard error (the default when it is a "
        "terminal and the output is not)",
    )
    return parser


def dump_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The ``json.dumps`` options the arguments ask for, as json.tool computes them."""
    indent = args.indent
    if args.to_lines is not None:
        if indent is not _UNSET and indent is not None:
            parser.error("--to-lines writes one record a line: --indent and --tab cannot be used")
        indent = None
    elif indent is _UNSET:
        indent = 4
    options: dict[str, Any] = {
        "sort_keys": args.sort_keys,
        "indent": indent,
        "ensure_ascii": args.ensure_ascii,
    }
    if args.compact:
        options["indent"] = None
        options["separators"] = (",", ":")
    return options


def check_prefix(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str]
) -> None:
    """``--to-lines in.json out.jsonl`` takes ``in.json`` as the PREFIX: refuse that."""
    prefix = args.to_lines
    if prefix is None or prefix == "item" or any(a.endswith("=" + prefix) for a in argv):
        return
    if os.path.exists(prefix):
        parser.error(
            f"--to-lines took {prefix!r} as its PREFIX, but that is a file: put --to-lines "
            "after the file names, or write --to-lines=PREFIX"
        )


# -- input -----------------------------------------------------------------------


class InputError(Exception):
    """Reading (or decompressing) the input failed."""


class _TooBig(Exception):
    """The value being built spans more than GUARD bytes of input."""


class Source:
    """The input named on the command line: how to open it, and again to locate an error."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.label = "<stdin>" if name == "-" else name
        self.raw: IO[bytes]
        self.start = 0
        if name == "-":
            self.raw = sys.stdin.buffer
            with contextlib.suppress(OSError, ValueError):
                self.start = self.raw.tell()
        else:
            self.raw = open(name, "rb")  # noqa: SIM115 - closed by Source.close()
        self.size = self._regular_size()

    def _regular_size(self) -> int | None:
        try:
            st = os.fstat(self.raw.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            return None
        return st.st_size - self.start if stat.S_ISREG(st.st_mode) else None

    @property
    def rereadable(self) -> bool:
        """Whether the input can be read a second time (a regular file)."""
        return self.size is not None

    def stream(self, raw: Any) -> Any:
        """``raw`` (a binary file, or anything with its ``read``) decompressed according
        to the file name's suffix."""
        decompress = _DECOMPRESSORS.get(os.path.splitext(self.name)[1].lower())
        return raw if decompress is None else decompress(raw)

    def reopen(self, stack: contextlib.ExitStack, progress: Progress | None = None) -> Any:
        """A fresh stream of the input from its start (only if ``rereadable``), closed
        with ``stack``; counted from zero again by ``progress``, if given."""
        raw: Any
        if self.name == "-":
            self.raw.seek(self.start)
            raw = self.raw
        else:
            raw = stack.enter_context(open(self.name, "rb"))  # noqa: SIM115 - closed by stack
        if progress is not None:
            progress.raw, progress.done = raw, 0
            raw = progress
        stream = self.stream(raw)
        if stream is not raw:
            stack.callback(stream.close)
        return stream

    def close(self) -> None:
        if self.name != "-":
            self.raw.close()


class Progress:
    """Wraps the raw input and draws how much of it has been read, at most 10 times a second."""

    def __init__(self, raw: IO[bytes], total: int | None, out: IO[str]) -> None:
        self.raw = raw
        self.total = total
        self.out = out
        self.done = 0
        self.started = time.monotonic()
        self.next_draw = self.started
        self.drawn = False

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.done += len(data)
        now = time.monotonic()
        if now >= self.next_draw:
            self.next_draw = now + 0.1
            self.draw(now)
        return data

    def draw(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            share = min(self.done / self.total, 1.0)
            left = (self.total - self.done) / rate if rate else 0.0
            bar = "#" * int(share * 20)
            text = (
                f"[{bar:<20}] {share:6.1%} {_size(self.done)} / {_size(self.total)} "
                f"{_size(rate)}/s ETA {_duration(left)}"
            )
        else:
            text = f"{_size(self.done)} read, {_size(rate)}/s, {_duration(elapsed)}"
        self.out.write("\r" + text + "\x1b[K")
        self.out.flush()
        self.drawn = True

    def finish(self) -> None:
        """Draw the final state and end the line (if anything was drawn)."""
        if self.drawn:
            self.draw(time.monotonic())
            self.out.write("\n")
            self.out.flush()
            self.drawn = False


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


# Lone surrogate escapes: json keeps "\ud800" as it is; ijson's C backend writes
# "?" (or fails, or pairs it wrongly). The input is rewritten so that each lone
# surrogate escape becomes a character from U+10F800..U+10FFFF (the top of a
# private use plane), and strings are restored after parsing. Characters that are
# really in that range are rewritten too (as two markers, for their UTF-16 pair),
# so the restoring is exact.
_MARK = 0x10F800 - 0xD800
_MAYBE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]"
    rb"|\\u[dD][bB][fF][eEfF]|\xf4\x8f[\xa0-\xbf]"
)
_ESCAPES = re.compile(
    rb"(?<!\\)((?:\\\\)*)\\u([dD][89abAB][0-9a-fA-F]{2})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?"
    rb"|(?<!\\)((?:\\\\)*)\\u([dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|\xf4\x8f[\xa0-\xbf][\x80-\xbf]"
)
# The end of a chunk that may be the start of one of those: hold it for the next.
_TAIL = re.compile(
    rb"(?:\\u[dD][89abAB][0-9a-fA-F]{2})?\\(?:u(?:[dD](?:[89a-fA-F][0-9a-fA-F]{0,2})?)?)?\Z"
    rb"|\xf4(?:\x8f[\xa0-\xbf]?)?\Z"
)
_MARKERS = re.compile("[\U0010f800-\U0010ffff]")
_CONTINUATION = bytes(range(0x80, 0xC0))


def _marker(surrogate: int) -> bytes:
    return chr(surrogate + _MARK).encode("utf-8")


def _disguise(match: re.Match[bytes]) -> bytes:
    prefix, high, low, prefix2, lone_low = match.groups()
    if high is not None:
        h = int(high, 16)
        if low is None:
            return prefix + _marker(h)
        if h < 0xDBFE:
            return match.group(0)  # an ordinary pair, which ijson reads right
        return prefix + _marker(h) + _marker(int(low, 16))
    if lone_low is not None:
        return prefix2 + _marker(int(lone_low, 16))
    high_bits, low_bits = divmod(ord(match.group(0).decode("utf-8")) - 0x10000, 0x400)
    return _marker(0xD800 + high_bits) + _marker(0xDC00 + low_bits)


def _undisguise(match: re.Match[str]) -> str:
    return chr(ord(match.group()) - _MARK)


def restore_surrogates(text: str) -> str:
    """Undo :class:`_Input`'s disguise: markers back to surrogates, pairs joined."""
    if _MARKERS.search(text) is None:
        return text
    text = _MARKERS.sub(_undisguise, text)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _chars(data: bytes) -> int:
    """How many characters UTF-8 ``data`` holds (continuation bytes do not count)."""
    return len(data.translate(None, _CONTINUATION))


class _Input:
    """The bytes ijson reads, with the position of what it has been given so far.

    ``slow_from``: from that byte offset on, hand over one byte at a time (to find
    exactly where the parser fails).
    """

    def __init__(self, stream: Any, slow_from: int | None = None) -> None:
        self.restart(stream, slow_from)

    def restart(self, stream: Any, slow_from: int | None = None) -> None:
        """Read ``stream`` from its start: forget everything about the previous one."""
        self.stream = stream
        self.slow_from = slow_from
        self.pending = b""  # read by ``first_byte``, not handed over yet
        self.guard: int | None = None  # raise _TooBig past this many bytes...
        self.since_value = 0  # ...since the last value was built (the caller resets it)
        self.disguised = False  # a lone surrogate was disguised
        self.held = b""
        self.offset = 0  # input bytes handed over
        self.line = 1
        self.col = 0  # characters since the last newline
        self.eof = False
        self.content = False  # anything but whitespace seen
        self.head = b""  # the first bytes, to recognise a byte order mark
        self.last = b""  # the last bytes handed over, and the position before them
        self.last_start = 0
        self.last_line = 1
        self.last_col = 0
        self.before = b""  # the bytes handed over before ``last`` (a few)
        self.on_disguise: Callable[[], None] | None = None

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if size < 0:
            size = READ_SIZE
        while True:
            want = size
            if self.slow_from is not None:
                ahead = self.offset + len(self.held)
                want = 1 if ahead >= self.slow_from else min(size, self.slow_from - ahead)
            try:
                data = self.stream.read(want) if not self.pending else self.pending
            except _READ_ERRORS as exc:
                raise InputError(str(exc) or type(exc).__name__) from exc
            self.pending = b""
            if not data:
                if self.held:
                    data, self.held = self.held, b""
                    return self._hand_over(data)
                self.eof = True
                return b""
            buf = self.held + data if self.held else data
            cut = len(buf)
            tail = _TAIL.search(buf, max(0, cut - 12))
            if tail is not None:
                cut = tail.start()
                while cut and buf[cut - 1] == 0x5C:  # keep a run of backslashes together
                    cut -= 1
            self.held = buf[cut:]
            if cut:
                return self._hand_over(buf[:cut])

    def first_byte(self) -> bytes:
        """The first byte that is not whitespace (b"" for none), read ahead of ijson."""
        while True:
            try:
                data = self.stream.read(READ_SIZE)
            except _READ_ERRORS as exc:
                raise InputError(str(exc) or type(exc).__name__) from exc
            self.pending += data
            stripped = self.pending.lstrip()
            if stripped or not data:
                return stripped[:1]

    def _hand_over(self, data: bytes) -> bytes:
        if self.guard is not None:
            self.since_value += len(data)
            if self.since_value > self.guard:
                raise _TooBig
        self.before = (self.before + self.last)[-EXCERPT:]
        self.last, self.last_start = data, self.offset
        self.last_line, self.last_col = self.line, self.col
        self.offset += len(data)
        newlines = data.count(b"\n")
        if newlines:
            self.line += newlines
            self.col = _chars(data[data.rindex(b"\n") + 1 :])
        else:
            self.col += _chars(data)
        if len(self.head) < 3:
            self.head += data[: 3 - len(self.head)]
        if not self.content and data.strip():
            self.content = True
        if (b"\\u" in data or b"\xf4" in data) and _MAYBE.search(data):
            data = _ESCAPES.sub(_disguise, data)
            self.disguised = True
            if self.on_disguise is not None:
                self.on_disguise()
                self.on_disguise = None
        return data

    def where_last(self) -> str:
        """Where the last byte handed over is: line, column, byte offset, and the text
        that leads to it."""
        data = self.last
        k = len(data) - 1
        newlines = data.count(b"\n", 0, k)
        if newlines:
            line = self.last_line + newlines
            col = _chars(data[data.rindex(b"\n", 0, k) + 1 : k + 1])
        else:
            line, col = self.last_line, self.last_col + _chars(data[: k + 1])
        return f"line {line}, column {col} (byte {self.last_start + k}), {self.excerpt()}"

    def excerpt(self) -> str:
        """The last few bytes handed over, for a person to find the place."""
        text = (self.before + self.last)[-EXCERPT:].decode("utf-8", "replace").lstrip()
        return "after " + repr(text) if text else "at the start"


# -- errors ----------------------------------------------------------------------

_REASONS = {  # yajl's words, and ours
    "premature EOF": "the JSON text ends too early (truncated?)",
    "trailing garbage": "expected the end of the input after the JSON value",
    "invalid char in json text": "expected a JSON value, found an invalid character",
    "after array element, I expect ',' or ']'": "expected ',' or ']' after an array element",
    "after key and value, inside map, I expect ',' or '}'": (
        "expected ',' or '}' after an object member"
    ),
    "object key and value must be separated by a colon (':')": "expected ':' after an object key",
    "invalid object key (must be a string)": "expected an object key (a string in double quotes)",
    "unallowed token at this point in JSON text": "expected a JSON value",
    "inside a string, '\\' occurs before a character which it may not": (
        "invalid escape sequence in a string"
    ),
    "invalid bytes in UTF8 string": "invalid UTF-8",
    "invalid character inside string": "control characters must be escaped in strings",
    "invalid string in json text": "expected a JSON value (true, false, null?)",
    "malformed number, a digit is required after the minus sign": "expected a digit after '-'",
    "malformed number, a digit is required after the decimal point": "expected a digit after '.'",
    "malformed number, a digit is required after the exponent marker": (
        "expected a digit in the exponent"
    ),
    "invalid (non-hex) character occurs after '\\u' inside string": (
        "expected four hex digits after \\u"
    ),
    "probable comment found in input text, comments are not enabled": "comments are not JSON",
}


def is_parse_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the input is not valid JSON (rather than a bug or I/O)."""
    return isinstance(exc, (ijson.JSONError, UnicodeDecodeError))


def reason(exc: BaseException, inp: _Input) -> str:
    """What was wrong, in a few words, from the parser's error."""
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid UTF-8 ({exc.reason})"
    text = str(exc)
    if text[:2] in ("b'", 'b"'):  # ijson shows a message it could not decode as bytes
        text = text[2:].replace("\\n", "\n")
    first = text.split("\n", 1)[0].strip()
    for prefix in ("parse error: ", "lexical error: "):
        first = first.removeprefix(prefix)
    first = first.rstrip(".")
    if inp.eof and not inp.content:
        return "empty input: expected a JSON value"
    if inp.head.startswith(b"\xef\xbb\xbf") and inp.offset <= 3:
        return "unexpected UTF-8 byte order mark (BOM) at the start"
    nan = first in (
        "invalid char in json text",
        "malformed number, a digit is required after the minus sign",
    )
    if nan and len(inp.last) <= 2 and inp.last[-1:] in (b"N", b"I"):
        return "NaN and Infinity are not JSON (json.tool accepts them; streamjson does not)"
    return _REASONS.get(first, first)


def locate(
    source: Source, first: _Input, exc: BaseException, parse: Callable[[_Input], Iterator[Any]]
) -> str:
    """Where the parser failed, and what was wrong: one line for the error message.

    At the end of the input the first pass knows the position. Elsewhere, a
    re-readable input is read again by a second parser, one byte at a time from
    the chunk where the first one failed; otherwise the chunk is all we can name.
    """
    if first.eof:
        where = f"at the end (line {first.line}, column {first.col + 1}, byte {first.offset})"
        if first.content:
            where += ", " + first.excerpt()
        return f"{where}: {reason(exc, first)}"
    if source.rereadable:
        again = _Input(None, slow_from=first.last_start)
        again.head = first.head
        try:
            with contextlib.ExitStack() as stack:
                again.stream = source.reopen(stack)
                collections.deque(parse(again), maxlen=0)
        except Exception as second:  # the same failure, found byte by byte
            if is_parse_error(second):
                if again.eof:
                    return locate(source, again, second, parse)
                return f"{again.where_last()}: {reason(second, again)}"
    return (
        f"between byte {first.last_start} and byte {first.offset} (lines "
        f"{first.last_line} to {first.line}): {reason(exc, first)}"
    )


# -- the run ---------------------------------------------------------------------


def parse_function(args: argparse.Namespace) -> Callable[[_Input], Iterator[Any]]:
    """The ijson ``basic_parse`` call the arguments need (several documents or one)."""
    parser = backend()
    several = args.json_lines or args.from_lines

    def parse(inp: _Input) -> Iterator[Any]:
        events: Iterator[Any] = parser.basic_parse(inp, multiple_values=several)
        return events

    return parse


def documents(
    args: argparse.Namespace,
    source: Source,
    inp: _Input,
    sort_keys: bool,
    progress: Progress | None,
) -> tuple[Iterator[Any], Callable[[], None]]:
    """The lazy documents to write, one a line, and the check to run after them.

    A file that can be read twice takes the fast path for the values it is made
    of (elements of a top-level array, JSON Lines documents, records at the
    --to-lines prefix): see :func:`built_then_streamed`. Anything else is streamed
    event by event.
    """
    several = args.json_lines or args.from_lines
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
        inp.on_disguise = lambda: setattr(reader, "strings", restore_surrogates)
        return _one(reader), reader.expect_end
    if args.to_lines is not None:
        return _counted(values, args.to_lines), _nothing
    if args.from_lines or not several:  # one array of the values
        return iter([values]), _nothing
    return values, _nothing


def streamed(
    inp: _Input, prefix: str, several: bool, exact_numbers: bool, sort_keys: bool
) -> PrefixedValues:
    """The values at ``prefix``, each read lazily from ijson's events."""
    parsed = backend().parse(inp, multiple_values=several)
    reader, found = prefixed_values(
        parsed, prefix, exact_numbers=exact_numbers, sort_keys=sort_keys
    )
    inp.on_disguise = lambda: setattr(reader, "strings", restore_surrogates)
    return found


def built_then_streamed(
    source: Source,
    inp: _Input,
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
    except _TooBig:
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


def restore_value(value: Any) -> Any:
    """:func:`restore_surrogates` on every string and key of a built value, in place."""
    if isinstance(value, str):
        return restore_surrogates(value)
    todo = [value]
    while todo:
        container = todo.pop()
        if isinstance(container, list):
            for i, item in enumerate(container):
                if isinstance(item, str):
                    container[i] = restore_surrogates(item)
                elif isinstance(item, (list, dict)):
                    todo.append(item)
        elif isinstance(container, dict):
            members = list(container.items())
            container.clear()
            for key, item in members:
                if isinstance(item, str):
                    item = restore_surrogates(item)
                elif isinstance(item, (list, dict)):
                    todo.append(item)
                container[restore_surrogates(key)] = item
    return value


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


def convert(
    args: argparse.Namespace,
    source: Source,
    inp: _Input,
    progress: Progress | None,
    write: Callable[[str], None],
    options: dict[str, Any],
) -> None:
    """Read the documents from ``inp`` and write each with ``write``, then a newline."""
    root, check = documents(args, source, inp, options["sort_keys"], progress)
    walker = Walker(Options(make_encoder(**options)))
    chunks: Iterator[Chunk]
    if options["indent"] is None and (args.json_lines or args.to_lines is not None):
        chunks = walker.chunks(root, lines=True)  # one document a line: JSON Lines
    else:
        chunks = _one_by_one(walker, root)
    pending: list[str] = []
    size = 0
    try:
        for chunk in refuse_async(chunks, "iterencode_async"):
            pending.append(chunk)
            size += len(chunk)
            if size >= READ_SIZE:
                write("".join(pending))
                pending, size = [], 0
    except ijson.IncompleteJSONError:
        # ijson calls an input of nothing but whitespace truncated; as JSON Lines it
        # holds no documents (json.tool agrees), so --from-lines writes [] for it.
        if not (args.json_lines or args.from_lines) or inp.content or not inp.eof:
            raise
        pending = ["[]\n"] if args.from_lines else []
    write("".join(pending))
    check()


def _one_by_one(walker: Walker, documents: Iterator[Any]) -> Iterator[Chunk]:
    """Each document and a newline: json.tool's output, also where it spans lines."""
    for document in documents:
        yield from walker.chunks(document)
        yield "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    # ijson's C parser crashes on an integer over Python's digit limit (4300 by
    # default) instead of raising; without the limit such integers are written exactly.
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    parser = build_parser()
    args = parser.parse_args(argv)
    options = dump_options(parser, args)
    check_prefix(parser, args, argv)
    try:
        source = Source(args.infile)
    except OSError as exc:
        parser.error(f"argument infile: can't open '{args.infile}': {exc}")
    try:
        return _run(parser, args, source, options)
    except KeyboardInterrupt:  # while an error was being located: nothing was written
        return _fail("interrupted", 130)
    finally:
        source.close()


def _run(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    source: Source,
    options: dict[str, Any],
) -> int:
    to_stdout = args.outfile == "-"
    show = args.progress or (sys.stderr.isatty() and not (to_stdout and sys.stdout.isatty()))
    progress = Progress(source.raw, source.size, sys.stderr) if show else None
    inp = _Input(None)
    sink = open_sink(sys.stdout.buffer if to_stdout else args.outfile)
    try:
        # Leaving the sink with an exception discards what a path target got.
        with contextlib.ExitStack() as stack:
            try:
                write = stack.enter_context(sink)
            except OSError as exc:
                parser.error(f"argument outfile: can't write '{args.outfile}': {exc}")
            if progress is not None:
                stack.callback(progress.finish)
            inp.stream = source.stream(progress if progress is not None else source.raw)
            convert(args, source, inp, progress, write, options)
        if to_stdout:
            sys.stdout.buffer.flush()
    except KeyboardInterrupt:
        kept = "" if to_stdout else f"; {args.outfile} left as it was"
        return _fail("interrupted" + kept, 130)
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except InputError as exc:
        return _fail(f"{source.label}: cannot read: {exc}")
    except Exception as exc:
        if is_parse_error(exc):
            return _fail(f"{source.label}: {locate(source, inp, exc, parse_function(args))}")
        if isinstance(exc, UnicodeEncodeError):
            return _fail(f"cannot write the output as UTF-8: {exc}")
        if isinstance(exc, OSError):
            return _fail(f"cannot write {args.outfile!r}: {exc}")
        raise
    return 0


def _fail(message: str, status: int = 1) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def _silence_stdout() -> None:
    """After a broken pipe, keep Python from complaining when it flushes stdout at exit."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
