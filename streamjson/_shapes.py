"""How big and how deep a container is: what decides who encodes it.

The walker hands a container to the C encoder whole only when these say so; the
probes stop early, so they cost little next to the encoding they decide on.
"""

from __future__ import annotations

from typing import Any

# A container goes to the C encoder whole when it holds at most SMALL elements in at
# most SMALL_NESTED containers (itself included); anything bigger is walked, so
# memory never grows with the size of a nested container.
SMALL = 4096
SMALL_NESTED = 64


_CONTAINERS = (list, tuple, dict)
_EXACT_CONTAINERS = frozenset(_CONTAINERS)
_SCALARS = frozenset((str, int, float, bool, type(None)))
PLAIN_ITEMS: frozenset[type] = frozenset((str, int, float, bool, type(None), list, tuple, dict))
TypeSet = frozenset[type] | set[type]


def plain(item: Any, types: TypeSet = PLAIN_ITEMS) -> bool:
    """The item is plain data, and so are its own elements (one level down).

    Arrays read their source ahead only past plain items: a lazy value among an
    item's elements may depend on the source not having moved on. Deeper nesting
    is not looked at (cost), which README states. ``types`` are the plain ones:
    PLAIN_ITEMS, and those a ``default`` says it writes as immutable scalars.
    """
    t = type(item)
    if t is dict:
        return types.issuperset(map(type, item.values()))
    if t is list or t is tuple:
        return types.issuperset(map(type, item))
    return t in types


def fits(o: Any) -> bool:
    """At most SMALL elements and SMALL_NESTED containers, nested ones included, and
    no subclass of list, tuple or dict (the walker reads those as json does)."""
    if type(o) not in _EXACT_CONTAINERS:
        return False
    todo = [o]
    n = 0
    containers = 0
    while todo:
        c = todo.pop()
        n += len(c)
        containers += 1
        if n > SMALL or containers > SMALL_NESTED:
            return False
        for v in c.values() if type(c) is dict else c:
            if type(v) in _EXACT_CONTAINERS:
                if v:
                    todo.append(v)
            elif isinstance(v, _CONTAINERS):
                return False
    return True


# The pieces a non-empty container's marked text splits into (one per scalar or empty
# container inside it, at any depth), and (offset, shape) of each non-empty container
# among them. None stands for a value that is one piece.
Shape = tuple[int, list[tuple[int, "Shape"]]]

# Subclasses the C encoder writes from their value alone (int.__repr__, the str's
# characters), calling none of their methods; float subclasses too where json writes
# them so (``floats``).
_AS_IS = (str, int)
_AS_IS_FLOATS = (str, int, float)


def shapes(
    items: list[Any], limit: int, sort_keys: bool, skipkeys: bool, floats: bool
) -> list[Shape | None] | None:
    """The shape of each item, for ``Batches.indented``; None when one can't be told.

    The shapes hold only for what the C encoder writes without running Python code:
    exact lists, tuples and dicts with keys of exact scalar types, exact scalars, and
    str and int subclasses (float subclasses too with ``floats``). Anything else (a
    value for ``default``, a container subclass, a key json may skip, sort by its own
    methods or write otherwise with ``not floats``) could change the document, or be
    read otherwise than json reads it, while the C encoder writes: None then, and so
    for more than ``limit`` pieces or containers nested deeper than SMALL_NESTED.
    """
    as_is = _AS_IS_FLOATS if floats else _AS_IS
    keys = sort_keys or skipkeys or not floats  # whether a key's type matters
    out: list[Shape | None] = []
    for item in items:
        t = type(item)
        if t in _EXACT_CONTAINERS and item:
            found = _shape(item, limit, SMALL_NESTED, sort_keys, keys, as_is)
            if found is None:
                return None
            out.append(found)
        elif t in _SCALARS or t in _EXACT_CONTAINERS or _written_as_is(t, as_is):
            out.append(None)
        else:
            return None
    return out


def _written_as_is(t: type, as_is: tuple[type, ...]) -> bool:
    # issubclass of the real type, as the C encoder checks it (isinstance would believe
    # a __class__ that lies)
    return issubclass(t, as_is) and not issubclass(t, _CONTAINERS)


def _shape(
    o: Any, limit: int, depth: int, sort_keys: bool, keys: bool, as_is: tuple[type, ...]
) -> Shape | None:
    if len(o) > limit or depth == 0:
        return None
    values: Any = o
    if type(o) is dict:
        if keys and not _SCALARS.issuperset(map(type, o)):
            return None  # a key json may skip, or order or write by its own methods
        values = o.values()
        if sort_keys:
            try:
                values = [v for _, v in sorted(o.items())]
            except Exception:
                return None  # the walker raises json's error
    count = 0
    nested: list[tuple[int, Shape]] = []
    for v in values:
        t = type(v)
        if t in _SCALARS:
            count += 1
        elif t in _EXACT_CONTAINERS:
            if v:
                found = _shape(v, limit - count, depth - 1, sort_keys, keys, as_is)
                if found is None:
                    return None
                nested.append((count, found))
                count += found[0]
            else:
                count += 1
        elif _written_as_is(t, as_is):
            count += 1
        else:
            return None
    return (count, nested) if count <= limit else None
