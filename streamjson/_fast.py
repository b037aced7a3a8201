"""Fast mode: orjson encodes the batches, and the walker writes in orjson's format.

Fast mode trades json's exact output for speed. Its format is orjson's: compact
separators, UTF-8 (non-ASCII is never escaped), floats in orjson's shortest form,
NaN and ±Infinity as ``null``, dataclasses and datetimes handed to ``default`` as
json would. Only the walker's choice of batch encoder and float writer changes;
the walker itself is the same.
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


def require() -> None:
    """Fail clearly when orjson is not installed."""
    if orjson is None:
        raise ModuleNotFoundError(MISSING)


def floatstr(o: float) -> str:
    """A float as orjson writes it (NaN and infinities become null)."""
    text: str = orjson.dumps(o).decode()
    return text


def batch_encoder(
    default: Callable[[Any], Any], sort_keys: bool
) -> Callable[[Any, int], list[str]]:
    """An encoder with the C encoder's call shape, ``enc(value, 0) -> [text]``.

    When ``default`` raises, orjson raises TypeError with that exception as its
    ``__cause__``; the walker looks there for its fallback signal.
    """
    option = (
        orjson.OPT_NON_STR_KEYS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    )
    dumps = orjson.dumps

    def encode(value: Any, _level: int) -> list[str]:
        return [dumps(value, default=default, option=option).decode()]

    return encode
