"""Where in the document an error happened, as a JSONPath in a PEP 678 note."""

from __future__ import annotations

import sys
from json.encoder import encode_basestring_ascii
from typing import Any

SOURCE = object()  # a frame's location while it reads its source rather than a value


def json_path(locs: list[list[Any]]) -> tuple[str, bool]:
    """The JSONPath of the innermost location, and whether it names a source being read."""
    path = "$"
    for loc in locs:
        at = loc[0]
        if at is None:
            continue
        if at is SOURCE:
            return path, True
        if isinstance(at, int):
            path += f"[{at}]"
        elif str.isidentifier(at):  # a str subclass's own method may raise
            path += "." + at
        else:
            path += "[" + encode_basestring_ascii(at) + "]"
    return path, False


def add_location(exc: BaseException, locs: list[list[Any]]) -> None:
    """Add where the error happened as a PEP 678 note; ``str(exc)`` stays json's."""
    notes = getattr(exc, "__notes__", ())
    if any(n.startswith("streamjson:") for n in notes):
        return
    path, reading = json_path(locs)
    what = "while reading the items of" if reading else "when encoding the value at"
    add_note(exc, f"streamjson: {what} {path}")


def add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``, by hand before Python 3.11 (tools that know PEP 678 show it)."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:
        setattr(exc, "__notes__", [*getattr(exc, "__notes__", ()), note])  # noqa: B010
