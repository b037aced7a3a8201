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


# -- hostile documents, as plans ------------------------------------------------------------
# Plain data hypothesis can shrink and print; tests/test_native_fuzz.py's build() makes a
# fresh document of it for each encoder it is run through, so that what one encoder's
# run changes (a dict cleared by default, a list grown by its own __iter__) cannot reach
# the other's. A node is one of:
#   ("scalar", v)                       a plain value
#   ("sub", how, v)                     an instance of a str, int or float subclass (v's
#                                       type) with one method made hostile (SCALAR_HOWS)
#   ("liar", name)                      an object whose __class__ claims to be that type
#   ("opaque",)                         an object only `default` can write
#   ("list", "list" | "tuple", [nodes]) ("dict", [(key, node)])
#   ("dictsub", how, [(key, node)])     a dict subclass (DICT_HOWS)
#   ("seqsub", "list" | "tuple", how, [nodes])   a list or tuple subclass (SEQ_HOWS)
# and a key is ("key", v), a ("sub", how, v) or ("odd", name) for a key json refuses.

RAISES = ("ValueError", "KeyboardInterrupt", "MemoryError")
SCALAR_HOWS = ("plain", "repr-raise", "repr-not-str", "str-raise", "float-raise",
               "index-raise", "lt-raise")  # fmt: skip
DICT_HOWS = (
    "plain", "items-add", "items-clear", "items-lists", "items-triples", "items-generator",
    "items-not-iterable", "items-shared", "keys-raise", "iter-grow", "len-raise", "len-lies",
    *(f"items-raise-{r}" for r in RAISES),
)  # fmt: skip
SEQ_HOWS = (
    "plain", "iter-reversed", "iter-generator", "iter-grow", "iter-not-iterator",
    "len-raise", "len-negative", "len-huge", *(f"iter-raise-{r}" for r in RAISES),
)  # fmt: skip
# What `default` does with what it is given; "parent-*" change the container it sits
# in, "clear-shared" empties every list an "items-shared" dict's items() returned.
DEFAULT_HOWS = (
    "name", "self", "wrap", "new-container", "parent-clear", "parent-add", "parent-pop",
    "clear-shared", "reenter", *(f"raise-{r}" for r in ("TypeError", *RAISES)),
)  # fmt: skip
# make_encoder's `encoder`: json's own two (escaped in C), or a Python callable.
ENCODER_HOWS = ("ascii", "unicode", "py-ascii", "upper", "not-str", "raise", "clear-shared")
ODD_KEYS = ("tuple", "object", "bytes", "frozenset", "liar")

_sub = st.tuples(st.just("sub"), st.sampled_from(SCALAR_HOWS), ints | floats | texts)
hostile_keys = (
    st.tuples(st.just("key"), keys) | _sub | st.tuples(st.just("odd"), st.sampled_from(ODD_KEYS))
)
hostile_leaves = (
    st.tuples(st.just("scalar"), scalars)
    | _sub
    | st.tuples(st.just("liar"), st.sampled_from(["list", "dict", "str", "int", "float"]))
    | st.just(("opaque",))
)


# "items-shared" drawn one time in five: only it, with a "clear-shared", frees what the
# encoder is writing (json's gh-142831), and the CI profile's 300 examples must reach it.
_dict_hows = st.sampled_from((*DICT_HOWS, *["items-shared"] * 3))


def _hostile_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    pairs = st.lists(st.tuples(hostile_keys, children), max_size=4)
    items = st.lists(children, max_size=4)
    kinds = st.sampled_from(["list", "tuple"])
    return (
        st.tuples(st.just("list"), kinds, items)
        | st.tuples(st.just("dict"), pairs)
        | st.tuples(st.just("dictsub"), _dict_hows, pairs)
        | st.tuples(st.just("seqsub"), kinds, st.sampled_from(SEQ_HOWS), items)
    )


hostile_docs = st.recursive(hostile_leaves, _hostile_containers, max_leaves=12)
