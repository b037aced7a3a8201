"""Encoding options, resolved once per call, and the scalar rules of the json module."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from json.encoder import INFINITY, encode_basestring, encode_basestring_ascii
from typing import Any

from . import _fast

DEFAULT_CHUNK_SIZE = 65536

_float_repr = float.__repr__
_float_value = float.__float__  # the C double of a float subclass, as an exact float
_int_repr = int.__repr__


class _NotEqualToItself(float):
    """A float that says it is NaN to ``!=``: json's Python encoder writes it NaN."""

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


def _json_reads_in_python(indent: int | None) -> bool:
    """Whether ``json.dumps`` reads values with its Python encoder (``o != o``...) rather
    than its C one (the C double), with this ``indent``: it does where it indents before
    3.13, and everywhere without its C accelerator."""
    return json.dumps([_NotEqualToItself(0.0)], indent=indent) != json.dumps([0.0], indent=indent)


# Feature checks, not version numbers: json's two encoders read lying subclasses
# differently (a float's own __ne__, bool() of a container...), and which one json.dumps
# uses depends on the interpreter.
PYTHON_READS_COMPACT = _json_reads_in_python(None)
PYTHON_READS_INDENTED = _json_reads_in_python(1)


def _is_of_type(o: object, cls: type | tuple[type, ...]) -> bool:
    """``isinstance`` as json's C encoder checks it: by the real type, not ``__class__``."""
    return issubclass(type(o), cls)


JSON_DEFAULTS: dict[str, Any] = {
    "skipkeys": False,
    "ensure_ascii": True,
    "check_circular": True,
    "allow_nan": True,
    "indent": None,
    "separators": None,
    "default": None,
    "sort_keys": False,
}


def _make_encoder(cls: type[json.JSONEncoder] | None = None, **kw: Any) -> json.JSONEncoder:
    """Build the encoder ``json.dumps(**kw)`` would build (same errors for bad keywords)."""
    return (cls or json.JSONEncoder)(**{**JSON_DEFAULTS, **kw})


def json_defaults(
    skipkeys: bool,
    ensure_ascii: bool,
    check_circular: bool,
    allow_nan: bool,
    cls: type[json.JSONEncoder] | None,
    indent: int | str | None,
    separators: tuple[str, str] | None,
    default: Callable[[Any], Any] | None,
    sort_keys: bool,
    **extra: Any,
) -> bool:
    """Whether ``json.dumps`` given these keywords writes with its default encoder.

    This is json's own test, on the same arguments; ``dumps`` asks it before it sets
    anything up, and :func:`resolve` records the answer as ``Options.json_default``.
    """
    return (
        not skipkeys
        and ensure_ascii
        and check_circular
        and allow_nan
        and cls is None
        and indent is None
        and separators is None
        and default is None
        and not sort_keys
        and not extra
    )


def resolve(
    kw: Mapping[str, Any],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    fast: bool = False,
    lines: bool = False,
) -> Options:
    """Set up an encoding: the Options of the encoder ``json.dumps(**kw)`` would build.

    Every entry point sets up its encoding here, so bad options fail the same way
    everywhere, before anything is read: a bad keyword as json fails, a bad
    ``chunk_size``, what ``fast=True`` cannot do (see :class:`Options`), and with
    ``lines=True`` what cannot stay on one line (``indent``, separators holding a
    line break; checked on the built encoder, so a ``cls`` that sets them is caught).
    """
    encoder = _make_encoder(**kw)
    if lines:
        _check_one_line(encoder)
    plain = not fast and json_defaults(**{"cls": None, **JSON_DEFAULTS, **kw})
    return Options(encoder, chunk_size, fast, json_default=plain)


def _check_one_line(encoder: json.JSONEncoder) -> None:
    """Raise ValueError unless ``encoder`` keeps every document on one line."""
    if encoder.indent is not None:
        raise ValueError(
            f"indent={encoder.indent!r} cannot be used with JSON Lines: "
            "each document must stay on one line"
        )
    for separator in (encoder.item_separator, encoder.key_separator):
        if "\n" in separator or "\r" in separator:
            raise ValueError(
                f"separator {separator!r} holds a line break, which JSON Lines cannot have "
                "inside a document"
            )


def _overrides_encoding(encoder: json.JSONEncoder) -> bool:
    """True when ``type(encoder)`` replaces ``encode`` or ``iterencode``, which json honours."""
    t = type(encoder)
    return (
        t.encode is not json.JSONEncoder.encode or t.iterencode is not json.JSONEncoder.iterencode
    )


class Options:
    """Everything the walker needs from a JSONEncoder, read once into plain attributes.

    Built by :func:`resolve`. ``override`` is the encoder itself when its class
    replaces ``encode`` or ``iterencode`` (json then calls its ``encode()`` for the
    whole document, and so do the drivers), else None. ``json_default`` is true for
    json's default options without fast mode: then json's own C encoder writes a
    plain document's exact text (the drivers' shortcut, ``encode_plain``).
    """

    __slots__ = (
        "allow_nan",
        "check_circular",
        "chunk_size",
        "default",
        "encode_str",
        "encoder",
        "fast",
        "float_subclass_str",
        "floatstr",
        "indent",
        "is_a",
        "item_separator",
        "json_default",
        "key_separator",
        "override",
        "python_reads",
        "skipkeys",
        "sort_keys",
    )

    def __init__(
        self,
        encoder: json.JSONEncoder,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        fast: bool = False,
        *,
        json_default: bool = False,
    ) -> None:
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, not {chunk_size!r}")
        self.fast = fast
        self.encoder = encoder
        self.override = encoder if _overrides_encoding(encoder) else None
        self.json_default = json_default
        self.chunk_size = chunk_size
        indent = encoder.indent
        if indent is not None and not isinstance(indent, str):
            indent = " " * indent
        self.indent: str | None = indent
        self.item_separator: str = encoder.item_separator
        self.key_separator: str = encoder.key_separator
        self.sort_keys: bool = encoder.sort_keys
        self.skipkeys: bool = encoder.skipkeys
        self.allow_nan: bool = encoder.allow_nan
        self.check_circular: bool = encoder.check_circular
        self.encode_str: Callable[[str], str] = (
            encode_basestring_ascii if encoder.ensure_ascii else encode_basestring
        )
        self.default: Callable[[Any], Any] = encoder.default
        self.floatstr: Callable[[float], str] = self._json_floatstr
        # True where json.dumps reads these options' values with its Python encoder.
        self.python_reads = PYTHON_READS_INDENTED if indent is not None else PYTHON_READS_COMPACT
        # How json tells a value's kind: isinstance in its Python encoder, the real type
        # in its C one (an object whose __class__ lies tells them apart)
        self.is_a: Callable[[object, type | tuple[type, ...]], bool] = (
            isinstance if self.python_reads else _is_of_type
        )
        self.float_subclass_str: Callable[[float], str] = (
            self._json_floatstr if self.python_reads else self._c_floatstr
        )
        if fast:
            self._use_fast_format()

    def resized(self, chunk_size: int) -> Options:
        """The same options with another ``chunk_size``."""
        return Options(self.encoder, chunk_size, self.fast, json_default=self.json_default)

    def _use_fast_format(self) -> None:
        """Switch to orjson's format and fast mode's reading (see streamjson._fast),
        refusing what it cannot do."""
        _fast.require()
        if self.indent is not None:
            raise ValueError("fast=True writes compact output: indent is not supported")
        if (self.item_separator, self.key_separator) not in _fast.COMPACT:
            raise ValueError("fast=True writes compact output: separators are not supported")
        if self.override is not None:
            raise ValueError("fast=True cannot honour a cls that overrides encode or iterencode")
        self.item_separator, self.key_separator = ",", ":"
        self.encode_str = encode_basestring
        self.floatstr = self.float_subclass_str = _fast.floatstr
        self.default = _fast.default_for(self.default)

    def _json_floatstr(self, o: float) -> str:
        """Write a float as json does: repr, or NaN/Infinity/-Infinity when allowed.

        For a float subclass this is json's Python encoder, which asks ``o != o`` and
        ``o == inf`` of the value itself.
        """
        if o != o:
            text = "NaN"
        elif o == INFINITY:
            text = "Infinity"
        elif o == -INFINITY:
            text = "-Infinity"
        else:
            return _float_repr(o)
        if not self.allow_nan:
            raise self.json_error([o])
        return text

    def _c_floatstr(self, o: float) -> str:
        """A float subclass as json's C encoder writes it: from its C double, never
        through its own ``==``, ``!=`` or ``repr``."""
        value = _float_value(o)
        if math.isfinite(value):
            return _float_repr(value)
        if not self.allow_nan:
            raise self.json_error([o])
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"

    def keystr(self, key: Any) -> str | None:
        """Convert a dict key as json does; None means the pair is skipped (skipkeys)."""
        is_a = self.is_a
        if is_a(key, str):
            return key  # type: ignore[no-any-return]
        if is_a(key, float):
            return (self.floatstr if type(key) is float else self.float_subclass_str)(key)
        if key is True:
            return "true"
        if key is False:
            return "false"
        if key is None:
            return "null"
        if is_a(key, int):
            return _int_repr(key)
        if self.skipkeys:
            return None
        raise self.json_error({key: None})

    def json_error(self, probe: Any) -> Exception:
        """The exception json itself raises for ``probe`` under these options.

        json words some errors differently on its C and Python paths (and across
        versions), so rather than copy its messages we let it produce them.
        """
        plain = json.JSONEncoder(
            ensure_ascii=self.encode_str is encode_basestring_ascii,
            allow_nan=self.allow_nan,
            indent=self.encoder.indent,
        )
        try:
            plain.encode(probe)
        except (TypeError, ValueError) as exc:
            # From 3.14 json notes where it failed ("when serializing list item 0"): that
            # is the probe's place, not the document's, which the walker notes instead.
            if hasattr(exc, "__notes__"):
                del exc.__notes__
            return exc
        return ValueError(f"cannot encode {probe!r}")  # pragma: no cover - json accepted it
