"""--to-lines: the values at a prefix of the document, read lazily from its events."""

from __future__ import annotations

from typing import Any

from .._events import ENDS, STARTS, DepthError, EventReader, ValueStream, remember, unpack


class PrefixedValues(ValueStream):
    """The values found at ``prefix`` in the events ``reader`` reads, as ``ijson.items``
    finds them (keys and ``item`` joined with dots), but lazy: --to-lines writes them.

    Only the levels the prefix can name are tracked (a path of ``n`` parts has at
    least ``n - 1`` dots); below them just the depth, so memory and time do not grow
    with the nesting as ijson's prefix strings do.
    """

    __slots__ = ("depth", "levels", "parts", "prefix")

    def __init__(self, reader: EventReader, prefix: str) -> None:
        super().__init__(reader)
        self.prefix = prefix
        self.levels = prefix.count(".") + 1 if prefix else 0
        self.parts: list[str] = []  # the path of the containers open, down to ``levels``
        self.depth = 0  # containers open

    def __next__(self) -> Any:
        reader = self.move_on()
        source = reader.source
        parts = self.parts
        levels = self.levels
        depth = self.depth
        limit = reader.max_depth
        try:
            while True:
                event, value = unpack(source.next())
                if event == "map_key":
                    if depth <= levels:
                        parts[-1] = value if reader.strings is None else reader.strings(value)
                elif event in ENDS:
                    if depth <= levels:
                        parts.pop()
                    depth -= 1
                elif depth <= levels and ".".join(parts) == self.prefix:
                    return remember(self, reader.read(event, value, source, level=depth + 1))
                elif event in STARTS:
                    depth += 1
                    if limit is not None and depth > limit:
                        raise DepthError(limit)
                    if depth <= levels:
                        parts.append("item" if event == "start_array" else "")
        finally:
            self.depth = depth
