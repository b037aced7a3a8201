"""Numbers ijson's C backend cannot convert, hidden from it and restored after it.

ijson turns an integer into ``int`` (Python refuses more than 4,300 digits, and
lifting that limit makes each conversion quadratic: CVE-2020-10735) and anything
else into ``Decimal`` (which refuses an exponent of more than 18 digits). So each
number outside strings that has a run of ``LONG`` digits or an exponent of 9 digits
or more is replaced by a short *placeholder* number, ``<key>e-999999999``, and its
text is kept under ``key``. No number ijson sees otherwise can have that exponent
(it would need 9 exponent digits or a billion fraction digits, and such numbers are
hidden), so a ``Decimal`` with it is always a placeholder. The original text is
written as it is (an integer, or any number with ``--exact-numbers``) or through
``float`` (as json reads it: ``1e99999999999999999999`` is ``inf``), in linear time.

Whether a byte is inside a string is tracked from chunk to chunk: a raw line break
is never inside a valid string (and inside an invalid one the parser stops there),
so only the text after the last line break of a chunk has to be scanned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .._types import RawJSON

LONG = 600
"""Digits in a run that hide a number (under the smallest integer digit limit, 640)."""
MARK = -999_999_999
"""The exponent of a placeholder."""

_GATE = re.compile(rb"[0-9]{%d}|[eE][-+]?[0-9]{9}" % LONG)
# The same question asked fast (a regex would try every byte): digits to 0, then
# plain substring searches; it may say yes wrongly ("yes123456789"), never no wrongly.
_SHAPES = bytes.maketrans(b"0123456789eE+-", b"0000000000eess")
_SIGNS = (b"0" * LONG, b"e" + b"0" * 9, b"es" + b"0" * 9)
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*'
"""A string's opening quote and text (the closing quote not included)."""
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OUTSIDE = re.compile(rb'(?:[^"]+|' + STRING + rb'")*', re.DOTALL)
# A string may end the input unfinished, even right after a backslash.
_TOKENS = re.compile(STRING + rb'(?:"|\\?\Z)|[-+.eE0-9]+', re.DOTALL)
NUMBER_BYTES = b"-+.eE0123456789"
"""The bytes a number is made of: a run of them at the end of a chunk waits for the next."""


class Numbers:
    """Hides the numbers ijson cannot convert (see the module) and gives them back."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.in_string = False  # at the end of what was scanned
        self.kept: dict[int, str] = {}
        self.count = 0

    def hide(self, data: bytes) -> bytes:
        """``data`` (the next bytes for the parser, no number cut at its end) with each
        number to hide replaced by a placeholder; tracks whether it ends in a string."""
        start_in_string = self.in_string
        self.in_string = _ends_in_string(data, start_in_string)
        shapes = data.translate(_SHAPES)
        if not any(sign in shapes for sign in _SIGNS):
            return data
        pos = 0
        if start_in_string:
            rest = _STRING_REST.match(data)
            if rest is None:
                return data
            pos = rest.end()
        return data[:pos] + _TOKENS.sub(self._hide, data[pos:])

    def _hide(self, match: re.Match[bytes]) -> bytes:
        """A run of number bytes outside strings, its numbers to hide hidden. The run is
        cut as the parser cuts it (each number as long as it can be: ``1-2`` is two), up
        to where it stops being numbers (the parser fails there)."""
        run = match.group()
        if run[:1] == b'"' or _GATE.search(run) is None:
            return run  # a string, or only numbers ijson converts
        parts = []
        pos = 0
        while (number := _NUMBER.match(run, pos)) is not None:
            token = number.group()
            if _GATE.search(token) is not None:
                self.count += 1
                self.kept[self.count] = token.decode("ascii")
                token = b"%de%d" % (self.count, MARK)
            parts.append(token)
            pos = number.end()
        return b"".join(parts) + run[pos:]

    def converter(self, number: Callable[[Decimal], Any]) -> Callable[[Decimal], Any]:
        """``number`` (how the reader turns a ``Decimal`` into a value), taught placeholders."""

        def convert(value: Decimal) -> Any:
            _, digits, exponent = value.as_tuple()
            if exponent != MARK:
                return number(value)
            text = self.kept.pop(int("".join(map(str, digits))))
            if self.exact or not text.strip("-0123456789"):
                return RawJSON(text)  # json writes an integer's digits as they are
            return float(text)

        return convert


def _ends_in_string(data: bytes, in_string: bool) -> bool:
    """Whether ``data``, which starts inside a string if ``in_string``, ends in one."""
    pos = data.rfind(b"\n") + 1
    if pos:
        in_string = False
    if in_string:
        rest = _STRING_REST.match(data, pos)
        if rest is None:
            return True
        pos = rest.end()
    return _OUTSIDE.match(data, pos).end() != len(data)  # type: ignore[union-attr]
