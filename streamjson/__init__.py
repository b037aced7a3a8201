"""streamjson: write JSON too large to hold in memory.

A drop-in superset of the encoding half of :mod:`json`: ``dumps``, ``dump`` and
``iterencode`` write exactly what json writes, and also stream iterators,
generators, Mappings and :class:`Object` (lazy key/value pairs) in bounded memory.
The reading half of json is re-exported, so ``import streamjson as json`` works.
"""

from json import JSONDecodeError, JSONDecoder, JSONEncoder, load, loads

from ._encode import EncodeOptions, dumps, iterencode
from ._sinks import dump
from ._types import Object, RawJSON, SupportsWrite

__version__ = "0.1.0"

__all__ = [
    "EncodeOptions",
    "JSONDecodeError",
    "JSONDecoder",
    "JSONEncoder",
    "Object",
    "RawJSON",
    "SupportsWrite",
    "dump",
    "dumps",
    "iterencode",
    "load",
    "loads",
]
