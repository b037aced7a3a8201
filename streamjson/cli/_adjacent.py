"""Values written back to back (``[]{}``, ``truefalse``, ``012``) when several are read:
ijson's parser separates them, json (and so streamjson) wants whitespace between.

Outside strings, a value's last byte right before another value's first byte is
never valid inside a container, so finding such a pair outside strings finds exactly
the values written back to back. Each string is blanked to one byte first (a C-level
substitution) and the pair searched for in what is left; only when one is found is
its place in the input worked out.
"""

from __future__ import annotations

import re

from ._numbers import STRING

# A string may end the input unfinished, even right after a backslash.
_STRINGS = re.compile(STRING + rb'(?:"|\\?\Z)', re.DOTALL)
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_PAIR = re.compile(  # strings are S here
    rb"(?:[\]}S]|true|false|null)(?=[\[{Stfn0-9-])"
    rb"|[0-9](?=[\[{Stfn-])"
    rb"|(?<![0-9.eE+-])-?0(?=[0-9])"
)
KEEP = 8
"""Bytes of what was checked before (strings blanked), to find a pair across chunks."""


class Adjacency:
    """Finds, chunk after chunk, the first value written right after another."""

    def __init__(self) -> None:
        self.tail = b""

    def find(self, data: bytes, in_string: bool) -> int | None:
        """Where in ``data`` (which starts inside a string if ``in_string``) a value
        starts right after another one, or None."""
        rest = _STRING_REST.match(data) if in_string else None
        pos = 0 if rest is None else rest.end()
        body = data[pos:]
        blank = _STRINGS.sub(b"S", body)
        text = self.tail + blank
        self.tail = text[-KEEP:]
        pair = _PAIR.search(text)
        if pair is None:
            return None
        at = pair.end() - (len(text) - len(blank))  # in ``blank``
        shift = 0  # bytes the strings before ``at`` lost to blanking
        for string in _STRINGS.finditer(body):
            if string.start() - shift >= at:
                break
            shift += len(string.group()) - 1
        return pos + at + shift
