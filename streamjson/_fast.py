"""Fast mode: orjson encodes the batches, and the walker writes in orjson's format.

Fast mode trades json's exact output for speed, not json's reading of the data.
Its text is orjson's format: compact separators, UTF-8 (non-ASCII is never
escaped), floats in orjson's shortest form, NaN and ±Infinity as ``null``. What the
document holds is read by json's rules, whichever code writes a part of it:

* a subclass of str, int or float is the plain value it holds (``float.__repr__``
  would read the same double), so ``numpy.float64(1.5)`` is written as ``1.5``;
* a subclass of list, tuple or dict is read by the walker, as json reads it
  (``items()``, iteration), never from orjson's view of its storage;
* keys follow json's key rules and ``sort_keys`` json's order (by the original
  key): orjson is given only dicts whose keys are all exact str, and the walker
  writes the others;
* everything else json hands to ``default`` is handed to it (dataclasses, dates,
  tuples' subclasses aside), except the three types orjson writes itself, which
  the walker writes the same way: an Enum member (its value), a ``uuid.UUID``
  (its string) and an ``orjson.Fragment`` (its text).

Only the walker's choice of batch encoder, float writer and ``default`` changes;
the walker itself is the same. ``dumps`` and ``LinesWriter.write`` first hand a
whole document to orjson (:func:`encode_whole`) and use the walker only when
orjson refuses it, which saves the walker's set-up on small documents.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterator
from itertools import compress
from typing import Any

from ._types import RawJSON

NEEDED = "orjson>=3.9"  # as the fast extra asks
MISSING = "fast=True needs orjson: pip install 'streamjson[fast]'"


def too_old(module: Any) -> str | None:
    """The version of an orjson too old for fast mode, or None if it will do.

    A feature check: ``Fragment``, which fast mode writes, came in orjson 3.9 (the
    newest thing it uses).
    """
    if hasattr(module, "Fragment"):
        return None
    return str(getattr(module, "__version__", "of unknown version"))


orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - exercised only without the optional extra
    orjson = None
OLD_ORJSON = None if orjson is None else too_old(orjson)
"""The version of the orjson installed, when it is too old for fast mode (then unused)."""
if OLD_ORJSON is not None:  # pragma: no cover - exercised only with an old orjson
    orjson = None

# The separators fast mode accepts (json's default and the compact pair); it writes ",", ":".
COMPACT = ((", ", ": "), (",", ":"))

# orjson's options for fast mode's rules, without and with sort_keys. Without
# OPT_NON_STR_KEYS orjson refuses any key but an exact str, and the walker writes
# that dict by json's key rules; subclasses, dataclasses and dates go to the hook.
_UNSORTED = _SORTED = _NON_STR_KEYS = 0
if orjson is not None:
    _UNSORTED = (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )
    _SORTED = _UNSORTED | orjson.OPT_SORT_KEYS
    _NON_STR_KEYS = _UNSORTED | orjson.OPT_NON_STR_KEYS

# Keys orjson's OPT_NON_STR_KEYS writes as the walker does (floats in orjson's form),
# and the depth past which orjson refuses a document whatever it holds.
_JSON_KEYS = frozenset((str, int, float, bool, type(None)))
_CONTAINERS = frozenset((list, tuple, dict))
_is_container = _CONTAINERS.__contains__
_ORJSON_DEPTH = 255
# What the batch encoder's hook answers without calling default (subclasses orjson refuses).
_HOOK_ANSWERS = (str, int, float, list, tuple, dict)

# Top-level types whose orjson text is the walker's: containers the walker hands to
# orjson whole, and scalars it writes as orjson does (ints beyond 64 bits and lone
# surrogates make orjson raise, and the walker writes them instead).
_WHOLE = frozenset((dict, list, tuple, str, int, float, bool, type(None)))

_as_str = str.__str__  # the exact str a str subclass holds (no overridden method is called)
_as_int = int.__int__
_as_float = float.__float__


def require() -> None:
    """Fail clearly when orjson is not installed (ModuleNotFoundError) or too old for
    fast mode (ImportError naming the version needed)."""
    if OLD_ORJSON is not None:
        raise ImportError(
            f"fast=True needs {NEEDED}, but orjson {OLD_ORJSON} is installed: "
            "pip install --upgrade 'streamjson[fast]'"
        )
    if orjson is None:
        raise ModuleNotFoundError(MISSING)


def json_keys_only(o: Any) -> bool:
    """Every dict in ``o`` (through exact lists, tuples and dicts) has keys of exact
    str, int, float, bool or None.

    False too when a container is met twice (a cycle, or a shared part: the walker
    writes such a document) or past orjson's depth.
    """
    level = [o] if type(o) in _CONTAINERS else []
    seen = set(map(id, level))
    depth = 0
    while level:
        if depth > _ORJSON_DEPTH:
            return False
        below: list[Any] = []
        for c in level:
            if type(c) is dict:
                if not _JSON_KEYS.issuperset(map(type, c)):
                    return False
                c = c.values()
            below.extend(compress(c, map(_is_container, map(type, c))))
        known = len(seen)
        seen.update(map(id, below))
        if len(seen) != known + len(below):
            return False
        level = below
        depth += 1
    return True


def floatstr(o: float) -> str:
    """A float, or a float subclass's value, as orjson writes it (NaN and infinities: null)."""
    text: str = orjson.dumps(_as_float(o)).decode()
    return text


def written_by_orjson(o: Any) -> Any:
    """What stands for ``o`` when orjson writes it itself (json would call ``default``),
    or ``o`` when orjson hands it to ``default`` too.

    orjson writes an Enum member as its value, a UUID as its string and a Fragment
    as its text; it tells them by their exact type (an Enum's by its metaclass).
    """
    t = type(o)
    if type(t) is enum.EnumMeta:
        return o.value
    if t is uuid.UUID:
        return str(o)
    if t is orjson.Fragment:
        return RawJSON(orjson.dumps(o).decode())
    return o


def default_for(default: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``default`` as fast mode calls it: not for what orjson writes itself."""

    def fast_default(o: Any) -> Any:
        stand_in = written_by_orjson(o)
        return default(o) if stand_in is o else stand_in

    return fast_default


def encode_whole(obj: Any, sort_keys: bool = False) -> str | None:
    """Fast mode's text of a whole document straight from orjson, or None.

    None when orjson is missing (or too old), ``obj`` is not of a type in ``_WHOLE``, or orjson
    refuses a part of it (a value for ``default``, a subclass, a key that is not a
    str, something that must stream, an int beyond 64 bits, a lone surrogate,
    nesting past its limit): the walker then writes the document, or raises its
    error. Where orjson succeeds the walker would have written the same text (it
    gives such a container to orjson whole), and no ``default`` is called here,
    so none is called twice.
    """
    if orjson is None or type(obj) not in _WHOLE:
        return None
    try:
        text: str = orjson.dumps(obj, option=_SORTED if sort_keys else _UNSORTED).decode()
    except TypeError:
        if sort_keys or not json_keys_only(obj):
            return None
        try:
            text = orjson.dumps(obj, option=_NON_STR_KEYS).decode()
        except TypeError:
            return None
    return text


def batch_encoder(
    default: Callable[[Any], Any], sort_keys: bool, fallback: type[Exception]
) -> Callable[[Any, int], list[str]]:
    """An encoder with the C encoder's call shape, ``enc(value, 0) -> [text]``.

    It raises ``fallback`` when the walker must write this part itself, its parts
    through this encoder again: a part holds a container subclass, a key that is not
    an exact str, or anything else orjson refuses. When ``default`` raises, orjson
    raises TypeError with that exception as its ``__cause__``; the walker looks
    there for its fallback signal.
    """
    option = _SORTED if sort_keys else _UNSORTED
    dumps = orjson.dumps
    # The hook's answers in the first try, in order: the second try reads the value in
    # the same order, so its n-th call is the first try's n-th (not one per object).
    results: list[tuple[Any, Any]] = []
    replayed: Iterator[tuple[Any, Any]] = iter(())

    def hook(o: Any) -> Any:
        # json's own order of checks: a subclass is the value it holds
        if isinstance(o, str):
            return _as_str(o)
        if isinstance(o, int):
            return _as_int(o)
        if isinstance(o, float):
            return _as_float(o)
        if isinstance(o, _HOOK_ANSWERS):  # a container subclass
            raise fallback
        result = default(o)
        results.append((o, result))
        return result

    def hook_again(o: Any) -> Any:
        """``hook`` in the second try: the first try's answer, whose keys must be json's."""
        seen = None if isinstance(o, _HOOK_ANSWERS) else next(replayed, None)
        if seen is None:
            result = hook(o)
        elif seen[0] is o:
            result = seen[1]
        else:  # default() changed the value: the walker finds how, walking it again
            raise fallback
        if not json_keys_only(result):
            raise fallback
        return result

    def encode(value: Any, _level: int) -> list[str]:
        nonlocal replayed
        results.clear()
        try:
            return [dumps(value, default=hook, option=option).decode()]
        except TypeError as exc:
            if exc.__cause__ is not None:  # default's error, or the hook's fallback
                raise
        # orjson refused a part: maybe only keys that are not str, which it writes as
        # json does when they are all of json's key types and need no sorting.
        if sort_keys or not json_keys_only(value):
            raise fallback
        replayed = iter(list(results))
        try:
            return [dumps(value, default=hook_again, option=_NON_STR_KEYS).decode()]
        except TypeError as exc:
            if exc.__cause__ is not None:
                raise
            raise fallback from None

    return encode
