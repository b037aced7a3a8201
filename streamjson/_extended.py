"""``Extended``: a ready-made ``default`` for the types real data holds (see docs/types.md).

Dispatch is on the exact type first (one dict lookup). On a miss the type is resolved
once, by slower checks (numpy and pandas through ``sys.modules``, the nearest base in
the table, Enum, dataclass, attrs, pydantic), and the answer is cached for that type.
numpy, pandas, attrs and pydantic are never imported here: a value of their types
means they are already in ``sys.modules``.
"""

from __future__ import annotations

import binascii
import dataclasses
import datetime as _dt
import decimal
import enum
import sys
import uuid
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from ._shapes import PLAIN_ITEMS
from ._types import RawJSON

Writer = Callable[[Any], Any]

_DATETIME_FORMS = ("iso", "iso-z", "epoch", "epoch-ms")
_DECIMAL_FORMS = ("number", "string")
_BYTES_FORMS = ("base64", "hex")
_OPTIONS = ("datetime", "decimal", "bytes", "fallback")

# Types resolved on a miss are cached; past this many the cache starts again (a program
# that makes classes on the fly must not grow it forever).
_CACHE_LIMIT = 1024

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
# A subclass of a type in the table is written from the value it holds, as json writes
# a str, int or float subclass: through the base class's methods, not its own.
_since_epoch = _dt.datetime.__sub__
_utcoffset = _dt.datetime.utcoffset
_datetime_iso = _dt.datetime.isoformat
_US = 10**6
_DAY_US = 86_400 * _US
_Decimal = decimal.Decimal
_bytes = bytes
_decimal_str = decimal.Decimal.__str__
_uuid_str = uuid.UUID.__str__
_b64 = binascii.b2a_base64
_new_raw = RawJSON.__new__


def not_serializable(o: Any) -> TypeError:
    """json's own TypeError for a value it cannot write."""
    return TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def fixed_point(total: int, digits: int) -> Any:
    """``total / 10**digits`` as a JSON number with exactly its digits: an int when
    whole, else RawJSON with the trailing zeros of the fraction dropped."""
    whole, frac = divmod(abs(total), 10**digits)
    if not frac:
        return total // 10**digits
    sign = "-" if total < 0 else ""
    return RawJSON(f"{sign}{whole}.{frac:0{digits}d}".rstrip("0"))


def duration(total: int, digits: int) -> str:
    """An ISO 8601 duration of ``total / 10**digits`` seconds, as msgspec writes one:
    a sign, whole days, then seconds with the fraction's trailing zeros dropped
    (``"P1DT30S"``, ``"-PT1S"``, ``"PT0.000001S"``, ``"P0D"``)."""
    unit = 10**digits
    days, rest = divmod(abs(total), 86_400 * unit)
    seconds, frac = divmod(rest, unit)
    text = "-P" if total < 0 else "P"
    if days:
        text += f"{days}D"
    if rest:
        text += f"T{seconds}.{frac:0{digits}d}".rstrip("0").rstrip(".") + "S"
    elif not days:
        text += "0D"
    return text


def micros_since_epoch(o: _dt.datetime, form: str) -> int:
    """Microseconds from 1970-01-01 UTC to an aware datetime; ValueError when naive."""
    if _utcoffset(o) is None:
        raise ValueError(
            f"datetime={form!r} needs timezone-aware datetimes: {o!r} is naive, so its "
            "time since 1970 depends on a timezone it does not say (give it a tzinfo, "
            "or use datetime='iso')"
        )
    delta = _since_epoch(o, _EPOCH)
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def with_z(text: str) -> str:
    """An ISO datetime with ``Z`` in place of an offset of zero."""
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _iso_z(o: _dt.datetime) -> str:
    return with_z(_datetime_iso(o))


def _epoch(o: _dt.datetime) -> Any:
    return fixed_point(micros_since_epoch(o, "epoch"), 6)


def _epoch_ms(o: _dt.datetime) -> int:
    return micros_since_epoch(o, "epoch-ms") // 1000


DATETIME_WRITERS: dict[str, Writer] = {
    "iso": _datetime_iso,
    "iso-z": _iso_z,
    "epoch": _epoch,
    "epoch-ms": _epoch_ms,
}


def _timedelta(o: _dt.timedelta) -> str:
    return duration((o.days * 86_400 + o.seconds) * _US + o.microseconds, 6)


def _decimal_number(o: decimal.Decimal) -> Any:
    if o.is_finite():
        raw = _new_raw(RawJSON)  # RawJSON(text) without its check: str() is a str
        raw.text = _decimal_str(o)
        return raw
    # json's float rules decide: NaN/Infinity/-Infinity, or its ValueError (allow_nan)
    return float("nan") if o.is_nan() else float(o)


def _decimal_string(o: decimal.Decimal) -> str:
    return _decimal_str(o)


def _base64(o: bytes | bytearray | memoryview) -> str:
    return _b64(o, newline=False).decode("ascii")


def _hex(o: bytes | bytearray | memoryview) -> str:
    return o.hex()


def _array(o: set[Any] | frozenset[Any]) -> list[Any]:
    return list(o)


def _enum_value(o: enum.Enum) -> Any:
    return o._value_  # what ``value`` returns, without its descriptor


def fields_writer(names: tuple[str, ...]) -> Writer:
    """A writer of an object's named attributes as a dict, in the order given."""
    if not names:
        return lambda o: {}
    if len(names) == 1:
        (name,) = names
        return lambda o: {name: getattr(o, name)}
    get = attrgetter(*names)
    return lambda o: dict(zip(names, get(o), strict=True))


def _pydantic_json(o: Any) -> Any:
    return o.model_dump(mode="json")


class Extended:
    """A ``default`` for dates and times, Decimal, UUID, Enum, dataclasses, attrs and
    pydantic models, sets, bytes, numpy and pandas values (docs/types.md has the table).

    Pass it as ``default=``: ``streamjson.dump(rows, "out.json", default=Extended())``.
    It answers only for values json cannot write (json's own types never reach it), so
    for those the output is json's, byte for byte.

    * ``datetime``: ``"iso"`` (``isoformat()``), ``"iso-z"`` (the same, ``Z`` for an
      offset of zero), ``"epoch"`` (seconds since 1970 with exactly their digits) or
      ``"epoch-ms"`` (whole milliseconds, rounded down). The epoch forms refuse naive
      datetimes with a ValueError.
    * ``decimal``: ``"number"`` (its exact digits; NaN and infinities follow
      ``allow_nan`` as floats do) or ``"string"``.
    * ``bytes``: ``"base64"`` (standard alphabet, padded) or ``"hex"``.
    * ``fallback``: called for values not in the table; without it they raise json's
      TypeError.

    A bad option name or value is a ValueError here, when it is built.
    """

    __slots__ = ("_base", "_fallback", "_writers", "options", "plain_types")

    def __init__(
        self,
        *,
        datetime: str = "iso",
        decimal: str = "number",
        bytes: str = "base64",
        fallback: Callable[[Any], Any] | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise ValueError(
                f"Extended() got an unknown option {next(iter(unknown))!r}; "
                f"its options are {', '.join(_OPTIONS)}"
            )
        _check("datetime", datetime, _DATETIME_FORMS)
        _check("decimal", decimal, _DECIMAL_FORMS)
        _check("bytes", bytes, _BYTES_FORMS)
        if fallback is not None and not callable(fallback):
            raise ValueError(f"Extended(fallback=...) must be callable or None, not {fallback!r}")
        self.options: dict[str, Any] = {
            "datetime": datetime,
            "decimal": decimal,
            "bytes": bytes,
            "fallback": fallback,
        }
        self._fallback = fallback
        raw = _base64 if bytes == "base64" else _hex
        self._base: dict[type, Writer] = {
            _dt.datetime: DATETIME_WRITERS[datetime],
            _dt.date: _dt.date.isoformat,
            _dt.time: _dt.time.isoformat,
            _dt.timedelta: _timedelta,
            _Decimal: _decimal_number if decimal == "number" else _decimal_string,
            uuid.UUID: _uuid_str,
            set: _array,
            frozenset: _array,
            _bytes: raw,
            bytearray: raw,
            memoryview: raw,
        }
        self._writers = dict(self._base)
        # The walker reads an array's source ahead past items holding only these types
        # (one level down): json's own and the immutable scalars written here, which
        # no default reads anything else for. Kept current as types are resolved.
        self.plain_types: set[type] = set(_PLAIN)

    @property
    def pure(self) -> bool:
        """True without a ``fallback``: the same value always gives the same result and
        nothing else is read or changed, so the walker may call it again for a value
        instead of recording its calls."""
        return self._fallback is None

    def __call__(self, o: Any) -> Any:
        """What stands for ``o`` in the document (json then encodes that)."""
        writer = self._writers.get(type(o))
        if writer is None:
            writer = self._resolve(type(o))
        return writer(o)

    def __repr__(self) -> str:
        changed = [f"{k}={v!r}" for k, v in self.options.items() if v != _DEFAULT_OPTIONS.get(k, v)]
        return f"streamjson.Extended({', '.join(changed)})"

    def _resolve(self, t: type) -> Writer:
        """The writer for type ``t`` (not in the table as it is), cached."""
        from . import _extended_numpy  # it imports this module's helpers

        writer = _extended_numpy.writer_for(t, self)
        if writer is None:
            writer = next((self._base[b] for b in t.__mro__ if b in self._base), None)
        if writer is None:
            writer = _object_writer(t)
        if writer is None:
            writer = self.unknown
        if len(self._writers) > _CACHE_LIMIT:
            self._writers = dict(self._base)
            self.plain_types.intersection_update(_PLAIN)
        self._writers[t] = writer
        if writer is not self.unknown and (
            issubclass(t, _IMMUTABLE) or _extended_numpy.is_scalar(t)
        ):
            self.plain_types.add(t)
        return writer

    def unknown(self, o: Any) -> Any:
        """The user's ``fallback(o)``, or json's TypeError."""
        if self._fallback is None:
            raise not_serializable(o)
        return self._fallback(o)

    def native_settings(self) -> tuple[str, str, type, type, type, set[type]] | None:
        """What streamjson's C encoder needs to write this default's commonest types
        itself (make_encoder's ``extended``), or None with a ``fallback``: the
        ``datetime`` and ``decimal`` forms, the Decimal, UUID and Enum classes, and
        ``plain_types`` (the Enum classes already resolved are in it)."""
        if not self.pure:
            return None
        o = self.options
        return (o["datetime"], o["decimal"], _Decimal, uuid.UUID, enum.Enum, self.plain_types)

    def datetime_form(self) -> str:
        """The ``datetime`` option (pandas Timestamps follow it too)."""
        form: str = self.options["datetime"]
        return form


_DEFAULT_OPTIONS: dict[str, Any] = {
    "datetime": "iso",
    "decimal": "number",
    "bytes": "base64",
    "fallback": None,
}


# Immutable scalar types (and their subclasses, once resolved) that never stop read-ahead.
_IMMUTABLE = (_dt.date, _dt.time, _dt.timedelta, _Decimal, uuid.UUID, _bytes, enum.Enum)
_PLAIN = PLAIN_ITEMS | {
    _dt.datetime,
    _dt.date,
    _dt.time,
    _dt.timedelta,
    _Decimal,
    uuid.UUID,
    _bytes,
}


def _check(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed or type(value) is not str:
        raise ValueError(
            f"Extended({name}=...) must be one of {', '.join(map(repr, allowed))}, not {value!r}"
        )


def _object_writer(t: type) -> Writer | None:
    """Enum members, dataclasses, attrs classes and pydantic models; None for others."""
    if isinstance(t, enum.EnumMeta):
        return _enum_value
    if dataclasses.is_dataclass(t):
        return fields_writer(tuple(f.name for f in dataclasses.fields(t)))
    attrs_fields = getattr(t, "__attrs_attrs__", None)
    if attrs_fields is not None:
        return fields_writer(tuple(a.name for a in attrs_fields))
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(t, pydantic.BaseModel):
        return _pydantic_json
    return None


extended = Extended()
"""The ready-made ``default``: ``Extended()`` with every option at its default."""
