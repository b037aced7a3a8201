"""Failures, for a person: where the parser failed and what was wrong, and the error line."""

from __future__ import annotations

import collections
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ijson  # type: ignore[import-untyped]

from ._args import PROG
from ._input import ParserInput
from ._source import InputFile

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


_STRING_ERRORS = (
    "invalid character inside string",
    "inside a string, '\\' occurs before a character which it may not",
    "invalid (non-hex) character occurs after '\\u' inside string",
)


def is_parse_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the input is not valid JSON (rather than a bug or I/O)."""
    return isinstance(exc, (ijson.JSONError, UnicodeDecodeError))


def reason(exc: BaseException, inp: ParserInput) -> str:
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
    if inp.eof and first in _STRING_ERRORS:  # at the line break after the last byte
        return "the JSON text ends inside a string (unterminated string)"
    if inp.adjacent:
        return "expected whitespace between two JSON values"
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
    source: InputFile,
    first: ParserInput,
    exc: BaseException,
    parse: Callable[[ParserInput], Iterator[Any]],
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
        again = ParserInput(None, slow_from=first.last_start, several=first.several)
        again.head = first.head  # it may fail before it has read a whole BOM
        with contextlib.ExitStack() as stack:
            try:
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


def fail(message: str, status: int = 1) -> int:
    """Print ``message`` as the command's error line on standard error; return ``status``."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def silence_stdout() -> None:
    """After a broken pipe, keep Python from complaining when it flushes stdout at exit."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
