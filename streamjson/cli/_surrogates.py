"""Lone surrogate escapes, disguised for ijson's C backend and restored after it.

json keeps ``"\\ud800"`` as it is; ijson's C backend writes "?" (or fails, or
pairs it wrongly). The input is rewritten so that each lone surrogate escape
becomes a character from U+10F800..U+10FFFF (the top of a private use plane),
and strings are restored after parsing. Characters that are really in that range
are rewritten too (as two markers, for their UTF-16 pair), so the restoring is
exact.
"""

from __future__ import annotations

import re

_MARK = 0x10F800 - 0xD800
# Whether _ESCAPES may rewrite anything: a lone-looking surrogate escape, a pair
# ijson misreads, a marker, or a surrogate escape right after a backslash (which may
# or may not be an escape: _ESCAPES counts the backslashes).
_MAYBE = re.compile(  # one leading byte (\\ or \xf4) for the regex engine to scan for
    rb"\xf4\x8f[\xa0-\xbf]|\\(?:u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\)u[dD][c-fC-F]|u[dD][bB][fF][eEfF]|\\u[dD][89a-fA-F])"
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


def unfinished_end(buf: bytes) -> int:
    """Where the end of ``buf`` that may start something to disguise begins
    (``len(buf)`` if nothing at the end may): hold that part for the next chunk."""
    cut = len(buf)
    tail = _TAIL.search(buf, max(0, cut - 12))
    if tail is not None:
        cut = len(buf[: tail.start()].rstrip(b"\\"))  # keep a run of backslashes together
    return cut


def may_need_disguise(data: bytes) -> bool:
    """Whether ``data`` (a whole chunk, see :func:`unfinished_end`) may hold
    something :func:`disguise` rewrites."""
    return (b"\\u" in data or b"\xf4" in data) and _MAYBE.search(data) is not None


def disguise(data: bytes) -> bytes:
    """``data`` with each lone surrogate escape, and each character already in the
    marker range, rewritten as markers."""
    return _ESCAPES.sub(_disguise, data)


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
    """Undo :func:`disguise`: markers back to surrogates, pairs joined."""
    if _MARKERS.search(text) is None:
        return text
    text = _MARKERS.sub(_undisguise, text)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
