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


PLAIN_ITEMS = frozenset((str, int, float, bool, type(None), list, tuple, dict))


def plain(item: Any) -> bool:
    """The item is plain data, and so are its own elements (one level down).

    Arrays read their source ahead only past plain items: a lazy value among an
    item's elements may depend on the source not having moved on. Deeper nesting
    is not looked at (cost), which README states.
    """
    t = type(item)
    if t is dict:
        return PLAIN_ITEMS.issuperset(map(type, item.values()))
    if t is list or t is tuple:
        return PLAIN_ITEMS.issuperset(map(type, item))
    return t in PLAIN_ITEMS


def is_flat(o: Any) -> bool:
    """At most SMALL elements, none of them a non-empty list, tuple or dict."""
    if len(o) > SMALL:
        return False
    for v in o.values() if isinstance(o, dict) else o:
        if isinstance(v, (list, tuple, dict)) and v:
            return False
    return True


def fits(o: Any) -> bool:
    """At most SMALL elements and SMALL_NESTED containers, nested ones included."""
    todo = [o]
    n = 0
    containers = 0
    while todo:
        c = todo.pop()
        n += len(c)
        containers += 1
        if n > SMALL or containers > SMALL_NESTED:
            return False
        for v in c.values() if isinstance(c, dict) else c:
            if isinstance(v, (list, tuple, dict)) and v:
                todo.append(v)
    return True


_CONTAINERS = (list, tuple, dict)
_EXACT_CONTAINERS = frozenset(_CONTAINERS)
_PLAIN = frozenset((str, int, float, bool, type(None)))


def record_plans(batch: list[Any]) -> list[tuple[int, list[tuple[int, int]]] | None] | None:
    """For ``Walker._records``: per item, None if its text is one piece, else how many
    pieces it spans and ``(offset, length)`` of each non-empty container in it. None
    when an item is nested deeper than that, or holds container subclasses."""
    plans: list[tuple[int, list[tuple[int, int]]] | None] = []
    for item in batch:
        t = type(item)
        if t is dict:
            values: Any = item.values()
        elif t is list or t is tuple:
            values = item
        else:
            if isinstance(item, _CONTAINERS) and item:
                return None
            plans.append(None)
            continue
        if not item:
            plans.append(None)
            continue
        nested = []
        count = 0
        for v in values:
            tv = type(v)
            if tv in _PLAIN:
                count += 1
            elif tv in _EXACT_CONTAINERS:
                n = len(v)
                for e in v.values() if tv is dict else v:
                    if type(e) not in _PLAIN and isinstance(e, _CONTAINERS) and e:
                        return None
                if n:
                    nested.append((count, n))
                    count += n
                else:
                    count += 1
            elif isinstance(v, _CONTAINERS) and v:
                return None
            else:
                count += 1
        plans.append((count, nested))
    return plans
