"""The layout: the text around and between the elements of a container, line breaks
and indentation included, for one set of options.

It also lays out text that json's C encoder wrote before 3.13, which cannot indent:
the encoder marks where the line breaks go, and :meth:`Layout.laid_out` puts every
piece on its line, knowing from the values' shapes how deep each one sits.
"""

from __future__ import annotations

import json

from ._options import Options
from ._shapes import Shape

# json up to 3.13.4 opens a non-empty dict before it skips its keys, so with indent one
# whose keys are all skipped is "{" newline "}"; later versions write "{}".
OPENS_SKIPPED_DICT = json.dumps({(): 0}, skipkeys=True, indent=0) != "{}"

# Indentation is kept per level up to here; deeper, each container's text is made when
# it is needed (O(depth) each) and never held while deeper ones are written, so memory
# stays O(depth), not O(depth²).
CACHED_LEVELS = 64

_CLOSER = {"[": "]", "{": "}"}

EMPTY_ARRAY = "[]"  # at any level: json writes no line break in an empty container

# The marks the C encoder writes instead of the separators (see Layout.laid_out).
ITEM_MARK = "\x00"
KEY_MARK = "\x01"


def marks_fit(options: Options) -> bool:
    """Whether the marks can stand for the separators: no option holds one."""
    return not any(
        c in text
        for c in ITEM_MARK + KEY_MARK
        for text in (options.indent or "", options.item_separator, options.key_separator)
    )


class Layout:
    """The brackets and separators of containers at each level of indentation."""

    def __init__(self, options: Options) -> None:
        self.indent = options.indent
        self.item_separator = options.item_separator
        self.bracket_cache: dict[tuple[str, int], tuple[str, str, str]] = {}
        self.lines: list[tuple[str, str, str]] = []

    def brackets(self, open_: str, close: str, level: int) -> tuple[str, str, str]:
        """Opening text, separator between elements, closing text of a container."""
        indent = self.indent
        if indent is None:
            return open_, self.item_separator, close
        cached = self.bracket_cache.get((open_, level))
        if cached is None:
            inner = "\n" + indent * (level + 1)
            cached = open_ + inner, self.item_separator + inner, "\n" + indent * level + close
            if level < CACHED_LEVELS:
                self.bracket_cache[open_, level] = cached
        return cached

    def laid_out(self, text: str, found: list[Shape | None], level: int) -> str:
        """The elements of the array ``text``, indented to sit at ``level``, without
        its brackets.

        ``text`` is the C encoder's, written with ``ITEM_MARK`` as the separator at
        every depth and ``KEY_MARK`` after each key separator (JSON text never holds
        a raw control character anywhere else); ``found`` is the shape of each
        element. The shapes say which pieces of that text belong to which container:
        enough to put each piece on its line, indented for its depth.
        """
        pieces = text[1:-1].split(ITEM_MARK)
        _, sep, _ = self.brackets("", "", level - 1)
        out = []
        p = 0
        for shape in found:
            if shape is None:  # a scalar or an empty container: one piece
                out.append(pieces[p])
                p += 1
            else:
                n = shape[0]
                out.append(self._rebuilt(pieces[p : p + n], shape, level))
                p += n
        return sep.join(out).replace(KEY_MARK, "")

    def _rebuilt(self, parts: list[str], shape: Shape, level: int) -> str:
        """One container at ``level`` from its pieces: its first piece starts with the
        opening bracket, its last ends with the closing one."""
        opener = parts[0][0]
        parts[0] = parts[0][1:]
        parts[-1] = parts[-1][:-1]  # the same piece as parts[0] when there is one
        if shape[1]:
            out: list[str] = []
            p = 0
            for offset, inner in shape[1]:
                out += parts[p:offset]
                p = offset + inner[0]
                sub = parts[offset:p]
                key = ""
                if opener == "{":
                    key, _, sub[0] = sub[0].partition(KEY_MARK)
                out.append(key + self._rebuilt(sub, inner, level + 1))
            out += parts[p:]
            parts = out
        open_, sep, close = self.lines[level] if level < len(self.lines) else self._lines(level)
        return opener + open_ + sep.join(parts) + close + _CLOSER[opener]

    def _lines(self, level: int) -> tuple[str, str, str]:
        """``brackets("", "", level)``, kept in ``self.lines`` for ``_rebuilt`` (shallow levels)."""
        if level >= CACHED_LEVELS:
            return self.brackets("", "", level)
        while len(self.lines) <= level:
            self.lines.append(self.brackets("", "", len(self.lines)))
        return self.lines[level]
