"""What ijson reads: the input's bytes, handed over in chunks, counted, and made safe.

:class:`ParserInput` keeps where it is (byte, line, column) and the last bytes it
handed over, for error messages; makes ijson's C backend (yajl) give json's verdict
and values: form feed and vertical tab, which yajl takes for whitespace, become a
byte it refuses; a line break after the last byte makes yajl refuse a string left
open after the document (it would ignore it); lone surrogate escapes are disguised
(:mod:`._surrogates`) and numbers it cannot convert hidden (:mod:`._numbers`). It
can also hand over one byte at a time from an offset, to find exactly where the
parser fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from .._codecs import read_errors
from ._adjacent import Adjacency
from ._numbers import NUMBER_BYTES, Numbers
from ._surrogates import disguise, may_need_disguise, unfinished_end

READ_SIZE = 64 * 1024
EXCERPT = 24  # bytes of context in an error message

_CONTINUATION = bytes(range(0x80, 0xC0))
_NOT_WHITESPACE = bytes.maketrans(b"\x0b\x0c", b"\x01\x01")  # refused in and out of strings


class InputError(Exception):
    """Reading (or decompressing) the input failed."""


class ParserInput:
    """The bytes ijson reads, with the position of what it has been given so far.

    ``slow_from``: from that byte offset on, hand over one byte at a time (to find
    exactly where the parser fails). ``exact``: how hidden numbers are given back.
    ``several``: the input is values one after the other (JSON Lines); two written
    back to back are refused.
    ``on_disguise`` is called the first time a surrogate is disguised (from then on
    strings must go through ``restore_surrogates``), ``on_hide_number`` the first time
    a number is hidden (numbers must then go through ``numbers.converter``).
    """

    def __init__(
        self,
        stream: Any,
        slow_from: int | None = None,
        exact: bool = False,
        several: bool = False,
    ) -> None:
        self.stream = stream
        self.several = several  # values one after the other: each needs whitespace before
        self.adjacency = Adjacency() if several else None
        self.adjacent = False  # two values were found back to back
        self.slow_from = slow_from
        self.numbers = Numbers(exact)
        self.on_disguise: Callable[[], None] | None = None  # called at the first of each
        self.on_hide_number: Callable[[], None] | None = None
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

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes for ijson (never an unfinished escape at the end)."""
        if size == 0:
            return b""
        if size < 0:
            size = READ_SIZE
        while True:
            # Bytes held back (a long number, a run of backslashes) are copied and
            # scanned again with each read: read at least as many again, so that a
            # run of any length is gone over a bounded number of times (linear time).
            want = max(size, len(self.held))
            if self.slow_from is not None:
                ahead = self.offset + len(self.held)
                want = 1 if ahead >= self.slow_from else min(want, self.slow_from - ahead)
            data = self._read(want)
            if not data:
                if self.held:
                    data, self.held = self.held, b""
                    return self._hand_over(data)
                if self.eof:
                    return b""
                # Whitespace for yajl, unless a string is open: then an error, as for json.
                self.eof = True
                return b"\n"
            buf = self.held + data if self.held else data
            cut = min(unfinished_end(buf), len(buf.rstrip(NUMBER_BYTES)))
            self.held = buf[cut:]
            if cut:
                return self._hand_over(buf[:cut])

    def _read(self, size: int) -> bytes:
        """Up to ``size`` bytes of the stream; failing to read them is an InputError."""
        try:
            data: bytes = self.stream.read(size)
        except read_errors() as exc:  # evaluated only when something is raised
            raise InputError(str(exc) or type(exc).__name__) from exc
        return data

    def _hand_over(self, data: bytes) -> bytes:
        self.before = (self.before + self.last)[-EXCERPT:]
        self.last, self.last_start = data, self.offset
        self.last_line, self.last_col = self.line, self.col
        self.offset += len(data)
        self.line, self.col = _advance(self.line, self.col, data)
        if len(self.head) < 3:
            self.head += data[: 3 - len(self.head)]
        if not self.content and data.strip():
            self.content = True
        if b"\x0b" in data or b"\x0c" in data:
            data = data.translate(_NOT_WHITESPACE)
        if self.adjacency is not None:
            at = self.adjacency.find(data, self.numbers.in_string)
            if at is not None:  # a byte the parser refuses, right there
                self.adjacent = True
                data = data[:at] + b"\x01" + data[at:]
        hidden = self.numbers.count
        data = self.numbers.hide(data)
        if self.numbers.count != hidden and self.on_hide_number is not None:
            self.on_hide_number()
            self.on_hide_number = None
        if may_need_disguise(data):
            data = disguise(data)
            if self.on_disguise is not None:
                self.on_disguise()
                self.on_disguise = None
        return data

    def where_last(self) -> str:
        """Where the last byte handed over is: line, column, byte offset, and the text
        that leads to it (to the end of the character it starts, if it starts one)."""
        data = self.last
        k = len(data) - 1
        line, col = _advance(self.last_line, self.last_col, data[:k])
        col += _chars(data[k:])
        rest = b""
        _, missing = _unfinished(data)
        if missing:
            with contextlib.suppress(*read_errors()):
                rest = self.stream.read(missing)
        return f"line {line}, column {col} (byte {self.last_start + k}), {self.excerpt(rest)}"

    def excerpt(self, rest: bytes = b"") -> str:
        """The last few bytes handed over (then ``rest``), whole characters only, for a
        person to find the place."""
        data = ((self.before + self.last)[-EXCERPT:] + rest).lstrip(_CONTINUATION)
        start, missing = _unfinished(data)
        if missing:  # the input ends inside a character
            data = data[:start]
        text = data.decode("utf-8", "replace").lstrip()
        return "after " + repr(text) if text else "at the start"


def _unfinished(data: bytes) -> tuple[int, int]:
    """Where the last character of UTF-8 ``data`` starts, and how many of its bytes are
    missing (0: it is whole)."""
    for back in range(1, min(len(data), 4) + 1):
        byte = data[-back]
        if byte < 0x80 or byte >= 0xF8:
            break
        if byte >= 0xC0:
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back, max(need - back, 0)
    return len(data), 0


def _advance(line: int, col: int, data: bytes) -> tuple[int, int]:
    """The line and column (characters since the last newline) after ``data``, which
    starts at ``line`` and ``col``."""
    newlines = data.count(b"\n")
    if newlines:
        return line + newlines, _chars(data[data.rindex(b"\n") + 1 :])
    return line, col + _chars(data)


def _chars(data: bytes) -> int:
    """How many characters UTF-8 ``data`` holds (continuation bytes do not count)."""
    return len(data.translate(None, _CONTINUATION))
