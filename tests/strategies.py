"""Hypothesis strategies: JSON-able values, their lazy twins, and json.dumps options."""

from __future__ import annotations

import enum
from typing import Any

from hypothesis import strategies as st


class IntSub(int):
    pass


class FloatSub(float):
    pass


class StrSub(str):
    pass


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


class Ratio(float, enum.Enum):
    HALF = 0.5


# Every code point, lone surrogates included: json escapes them, and so must we.
texts = st.text(st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    ["", "é", "\ud800", "\udfff\ud800", "😀", "\u2028", "\x00\x1f\x7f", '"\\/']
)
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e16, 5e-324, 1.7976931348623157e308, 0.1, float("nan"), float("inf")]
)
ints = st.integers() | st.integers(min_value=-(10**200), max_value=10**200)
scalars = (
    st.none()
    | st.booleans()
    | ints
    | floats
    | texts
    | st.builds(IntSub, st.integers())
    | st.builds(FloatSub, st.floats())
    | st.builds(StrSub, texts)
    | st.sampled_from([Color.RED, Color.BLUE, Ratio.HALF])
)
keys = texts | st.integers() | st.floats() | st.booleans() | st.none()
odd_keys = keys | st.tuples(st.integers())  # json refuses these unless skipkeys


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(children, max_size=6)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(odd_keys, children, max_size=6)
        | st.dictionaries(texts, children, max_size=6)
    )


values = st.recursive(scalars, containers, max_leaves=40)
# Values json hands to default(): a TypeError without one.
unsupported = st.frozensets(st.integers(), max_size=2) | st.builds(object)
values_and_unsupported = st.recursive(scalars | unsupported, containers, max_leaves=30)

separators = st.none() | st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : "), ("\n,", ":\t")])
indents = st.none() | st.integers(0, 4) | st.sampled_from(["", "\t", "ab", "\n"])

options = st.fixed_dictionaries(
    {},
    optional={
        "skipkeys": st.booleans(),
        "ensure_ascii": st.booleans(),
        "check_circular": st.booleans(),
        "allow_nan": st.booleans(),
        "indent": indents,
        "separators": separators,
        "sort_keys": st.booleans(),
        "default": st.sampled_from([repr, str]),
    },
)


def keeps_lines(options: dict[str, Any]) -> bool:
    """Options that keep a document on one line: no indent, no line break in separators."""
    return options.get("indent") is None and "\n" not in "".join(options.get("separators") or ())


line_options = options.filter(keeps_lines)  # options for JSON Lines


def lazy(value: Any) -> Any:
    """The same document with every list turned into a one-shot iterator (tuples kept)."""
    if type(value) is list:
        return iter([lazy(v) for v in value])
    if type(value) is dict:
        return {k: lazy(v) for k, v in value.items()}
    if type(value) is tuple:
        return tuple(lazy(v) for v in value)
    return value
