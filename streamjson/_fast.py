"""Fast mode: orjson encodes the batches, and the walker writes in orjson's format.

Fast mode trades json's exact output for speed. Its format is orjson's: compact
separators, UTF-8 (non-ASCII is never escaped), floats in orjson's shortest form,
NaN and ±Infinity as ``null``, dataclasses and datetimes handed to ``default`` as
json would. Only the walker's choice of batch encoder and float writer changes;
the walker itself is the same. ``dumps`` and ``LinesWriter.write`` first hand a
whole document to orjson (:func:`encode_whole`) and use the walker only when
orjson refuses it, which saves the walker's set-up on small documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - exercised only without the optional extra
    orjson = None

MISSING = "fast=True needs orjson: pip install 'streamjson[fast]'"

# The separators fast mode accepts (json's default and the compact pair); it writes ",", ":".
COMPACT = ((", ", ": "), (",", ":"))

# orjson's options for fast mode's rules, without and with sort_keys.
_UNSORTED = _SORTED = 0
if orjson is not None:
    _UNSORTED = (
        orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    )
    _SORTED = _UNSORTED | orjson.OPT_SORT_KEYS

# Top-level types whose orjson text is the walker's: containers the walker hands to
# orjson whole, and scalars it writes as orjson does (ints beyond 64 bits and lone
# surrogates make orjson raise, and the walker writes them instead).
_WHOLE = frozenset((dict, list, tuple, str, int, float, bool, type(None)))


def require() -> None:
    """Fail clearly when orjson is not installed."""
    if orjson is None:
        raise ModuleNotFoundError(MISSING)


def floatstr(o: float) -> str:
    """A float as orjson writes it (NaN and infinities become null)."""
    text: str = orjson.dumps(o).decode()
    return text


def encode_whole(obj: Any, sort_keys: bool = False) -> str | None:
    """Fast mode's text of a whole document straight from orjson, or None.

    None when orjson is missing, ``obj`` is not of a type in ``_WHOLE``, or orjson
    refuses a part of it (a value it hands to ``default``, something that must
    stream, an int beyond 64 bits, a lone surrogate, nesting past its limit): the
    walker then writes the document, or raises its error. Where orjson succeeds
    the walker would have written the same text (it gives such a container to
    orjson whole), and no ``default`` is called here, so none is called twice.
    """
    if orjson is None or type(obj) not in _WHOLE:
        return None
    try:
        text: str = orjson.dumps(obj, option=_SORTED if sort_keys else _UNSORTED).decode()
    except Exception:
        return None
    return text


def batch_encoder(
    default: Callable[[Any], Any], sort_keys: bool
) -> Callable[[Any, int], list[str]]:
    """An encoder with the C encoder's call shape, ``enc(value, 0) -> [text]``.

    When ``default`` raises, orjson raises TypeError with that exception as its
    ``__cause__``; the walker looks there for its fallback signal.
    """
    option = _SORTED if sort_keys else _UNSORTED
    dumps = orjson.dumps

    def encode(value: Any, _level: int) -> list[str]:
        return [dumps(value, default=default, option=option).decode()]

    return encode
