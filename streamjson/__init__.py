"""streamjson: write JSON too large to hold in memory.

A drop-in superset of the encoding half of :mod:`json`: ``dumps``, ``dump`` and
``iterencode`` write exactly what json writes, and also stream iterators,
generators, Mappings and :class:`Object` (lazy key/value pairs) in bounded memory.
The reading half of json is re-exported, so ``import streamjson as json`` works.
"""

from json import JSONDecodeError, JSONDecoder, JSONEncoder, load, loads

from ._aio import dump_async, dump_lines_async, iterencode_async, iterencode_lines_async

# native: True when streamjson's C encoder (streamjson._native) writes the parts json's C
# encoder would; False on the pure path (not built, PyPy, or STREAMJSON_PURE=1 set before
# import), which writes the same text with json's own encoder.
from ._batches import NATIVE as native
from ._encode import EncodeOptions, dumps, iterencode
from ._events import EventError, iterencode_events
from ._extended import Extended, extended
from ._lines import dump_lines, dumps_lines, iterencode_lines
from ._sinks import dump
from ._types import Object, RawJSON, SupportsWrite, Target
from ._writers import ArrayWriter, LinesWriter

__version__ = "0.1.0"

__all__ = [
    "ArrayWriter",
    "EncodeOptions",
    "EventError",
    "Extended",
    "JSONDecodeError",
    "JSONDecoder",
    "JSONEncoder",
    "LinesWriter",
    "Object",
    "RawJSON",
    "SupportsWrite",
    "Target",
    "dump",
    "dump_async",
    "dump_lines",
    "dump_lines_async",
    "dumps",
    "dumps_lines",
    "extended",
    "iterencode",
    "iterencode_async",
    "iterencode_events",
    "iterencode_lines",
    "iterencode_lines_async",
    "load",
    "loads",
    "native",
]
