"""Fuzzing streamjson._native with hostile documents, and with allocation failures.

Hypothesis draws a plan (tests/strategies.py, ``hostile_docs``): plain values mixed with
str/int/float, list/tuple and dict subclasses whose methods raise, lie or change the
document, objects whose ``__class__`` lies, odd keys, and a ``default`` and a string
``encoder`` that do the same. ``build`` makes a fresh document of the plan for each
encoder, which must then give json's text, or raise json's exception with json's
message: ``_json.make_encoder`` against ours with the same nine arguments, and
``json.dumps`` against ``streamjson.dumps`` (the walker on top). No crash is the floor.

Allocation failures (``_testcapi.set_nomemory``) are injected at every allocation of an
encode call, in a subprocess so that a crash fails the test rather than pytest.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from json.encoder import encode_basestring, encode_basestring_ascii, py_encode_basestring_ascii
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import streamjson
from tests import strategies as sts

_json = pytest.importorskip("_json")
native = pytest.importorskip("streamjson._native")
pytestmark = pytest.mark.reliability

EXCEPTIONS: dict[str, type[BaseException]] = {
    "TypeError": TypeError,
    "ValueError": ValueError,
    "KeyboardInterrupt": KeyboardInterrupt,
    "MemoryError": MemoryError,
}
# 3.12 and 3.13's _json (before gh-142831's fix, which 3.12.1 and 3.13.0 lack) read a
# dict subclass's items() list and its pairs by borrowed reference: a list items()
# returned and something later empties reads freed memory there. Ours holds them.
JSON_READS_ITEMS_BORROWED = sys.version_info >= (3, 12)
JSON_INDENTS = sys.version_info >= (3, 13)  # _json.make_encoder ignores indent before


def _raise(name: str, what: str) -> Any:
    raise EXCEPTIONS[name](what)


def _raising(name: str, what: str) -> Callable[..., Any]:
    return lambda *args: _raise(name, what)


# -- building a plan ------------------------------------------------------------------------


@dataclass
class Build:
    """What one document's hostile parts share: where each object `default` may get sits,
    the lists "items-shared" dicts return, and the encoder "reenter" calls."""

    parents: dict[int, Any] = field(default_factory=dict)
    shared: list[list[Any]] = field(default_factory=list)
    reenter: Callable[[Any], str] = repr

    def clear_shared(self) -> None:
        for items in self.shared:
            items.clear()


def _dict_methods(how: str) -> dict[str, Any]:
    if how.startswith("items-raise-"):
        return {"items": _raising(how.removeprefix("items-raise-"), "items")}

    def pairs(d: dict[Any, Any]) -> list[Any]:
        return list(dict.items(d))

    def add(d: dict[Any, Any]) -> Any:
        d[f"added{len(d)}"] = 1
        return dict.items(d)

    def clear(d: dict[Any, Any]) -> Any:
        d.clear()
        return dict.items(d)

    def grow(d: dict[Any, Any]) -> Iterator[Any]:
        d[f"grown{len(d)}"] = 1
        return iter(list(dict.keys(d)))

    return {
        "plain": {},
        "items-add": {"items": add},
        "items-clear": {"items": clear},
        "items-lists": {"items": lambda d: [list(p) for p in pairs(d)]},
        "items-triples": {"items": lambda d: [(*p, 0) for p in pairs(d)]},
        "items-generator": {"items": lambda d: (p for p in pairs(d))},
        "items-not-iterable": {"items": lambda d: 5},
        "items-shared": {"items": lambda d: d.shared},
        "keys-raise": {"keys": _raising("ValueError", "keys")},
        "iter-grow": {"__iter__": grow},
        "len-raise": {"__len__": _raising("ValueError", "len")},
        "len-lies": {"__len__": lambda d: 0},
    }[how]


def _seq_methods(base: type, how: str) -> dict[str, Any]:
    own: Callable[[Any], Iterator[Any]] = list.__iter__ if base is list else tuple.__iter__
    if how.startswith("iter-raise-"):
        return {"__iter__": _raising(how.removeprefix("iter-raise-"), "iter")}
    if how == "iter-grow":
        if base is list:
            return {"__iter__": lambda s: (s.append("grown"), own(s))[1]}
        return {"__iter__": lambda s: iter([*own(s), "grown"])}
    methods: dict[str, dict[str, Any]] = {
        "iter-reversed": {"__iter__": lambda s: iter(list(own(s))[::-1])},
        "iter-generator": {"__iter__": lambda s: (x for x in own(s))},
        "iter-not-iterator": {"__iter__": lambda s: 5},
        "len-raise": {"__len__": _raising("ValueError", "len")},
        "len-negative": {"__len__": lambda s: -1},
        "len-huge": {"__len__": lambda s: sys.maxsize},
        "plain": {},
    }
    return methods[how]


def _scalar_methods(how: str) -> dict[str, Any]:
    return {
        "repr-raise": {"__repr__": _raising("ValueError", "repr")},
        "repr-not-str": {"__repr__": lambda s: 5},
        "str-raise": {"__str__": _raising("ValueError", "str")},
        "float-raise": {"__float__": _raising("ValueError", "float")},
        "index-raise": {"__index__": _raising("ValueError", "index")},
        "lt-raise": {"__lt__": _raising("ValueError", "lt"), "__hash__": lambda s: 0},
        "plain": {},
    }[how]


@cache
def hostile_class(base: type, kind: str, how: str) -> type:
    """The subclass of base that `how` makes hostile (one class for each, reused)."""
    methods = {
        "dict": _dict_methods,
        "seq": lambda how: _seq_methods(base, how),
        "scalar": _scalar_methods,
    }[kind](how)
    return type(f"{how.title().replace('-', '')}{base.__name__.title()}", (base,), methods)


class Opaque:
    """A value json cannot write: `default`'s."""


@cache
def liar_class(claimed: str) -> type:
    """A class whose instances say they are of the builtin type named ``claimed``."""
    lie = {"list": list, "dict": dict, "str": str, "int": int, "float": float}[claimed]
    return type(f"Liar{claimed.title()}", (), {"__class__": property(lambda s: lie)})


def build(plan: Any, ctx: Build) -> Any:
    """A fresh object for a node of the plan (see tests/strategies.py)."""
    tag = plan[0]
    if tag in ("scalar", "key"):
        return plan[1]
    if tag == "sub":
        base: type = type(plan[2])
        return hostile_class(base, "scalar", plan[1])(plan[2])
    if tag == "liar":
        return liar_class(plan[1])()
    if tag == "opaque":
        return Opaque()
    if tag == "odd":
        return {
            "tuple": (1,),
            "object": object(),
            "bytes": b"k",
            "frozenset": frozenset([1]),
        }.get(plan[1]) or liar_class("str")()
    if tag in ("list", "seqsub"):
        base = list if plan[1] == "list" else tuple
        cls = base if tag == "list" else hostile_class(base, "seq", plan[2])
        children = [build(p, ctx) for p in plan[-1]]
        made = cls(children)
    else:
        cls = dict if tag == "dict" else hostile_class(dict, "dict", plan[1])
        pairs = [(build(k, ctx), build(v, ctx)) for k, v in plan[-1]]
        made = cls(pairs)
        children = [v for _, v in pairs]
        if plan[1] == "items-shared":
            # pairs of their own, which only this list holds once the dict is built
            made.shared = [(build(k, ctx), build(v, ctx)) for k, v in plan[-1]]
            ctx.shared.append(made.shared)
            children += [v for _, v in made.shared]
    for child in children:
        ctx.parents[id(child)] = made
    return made


def change_parent(how: str, parent: Any) -> None:
    """The container a value sits in, changed as "parent-add", "-clear" or "-pop" say."""
    if isinstance(parent, list) and how == "parent-add":
        parent.append("added")
    elif isinstance(parent, dict) and how == "parent-add":
        parent[f"added{len(parent)}"] = "added"
    elif isinstance(parent, (list, dict)) and parent and how == "parent-clear":
        parent.clear()
    elif isinstance(parent, dict) and parent:
        parent.popitem()
    elif isinstance(parent, list) and parent:
        parent.pop()


def make_default(how: str, ctx: Build) -> Callable[[Any], Any]:
    """`default` for the plan's document, doing what DEFAULT_HOWS names."""
    if how.startswith("raise-"):
        return _raising(how.removeprefix("raise-"), "default")

    def default(o: Any) -> Any:
        if how.startswith("parent-"):
            change_parent(how, ctx.parents.get(id(o)))
        elif how == "clear-shared":
            ctx.clear_shared()
        elif how == "self":
            return o
        elif how == "wrap":
            return [o]
        elif how == "new-container":
            return {"of": [type(o).__name__, 1.5]}
        elif how == "reenter":
            return ctx.reenter(["again", {"k": 1}])
        return type(o).__name__

    return default


def make_str_encoder(how: str, ctx: Build) -> Callable[[str], Any]:
    if how == "clear-shared":

        def clearing(s: str) -> str:
            ctx.clear_shared()
            return encode_basestring(s)

        return clearing
    return {
        "ascii": encode_basestring_ascii,
        "unicode": encode_basestring,
        "py-ascii": py_encode_basestring_ascii,
        "upper": lambda s: encode_basestring(s).upper(),
        "not-str": lambda s: 1,
        "raise": _raising("ValueError", "encoder"),
    }[how]


def uses(plan: Any, word: str) -> bool:
    """Whether a hostile behaviour named ``word`` appears anywhere in the plan."""
    return word in repr(plan)


# -- running ---------------------------------------------------------------------------------

Outcome = tuple[Any, ...]


def outcome(call: Callable[[], Any]) -> Outcome:
    """The text, or the exception's type and message (KeyboardInterrupt included). A
    SystemError, an interpreter-level failure (a bad return, an exception lost), is
    never an outcome: it fails the test."""
    try:
        return ("text", "".join(call()))
    except (Exception, KeyboardInterrupt) as exc:
        assert not isinstance(exc, SystemError), exc
        return ("error", type(exc).__name__, str(exc))


encoder_plans = st.fixed_dictionaries(
    {
        "doc": sts.hostile_docs,
        "default": st.sampled_from(sts.DEFAULT_HOWS),
        "encoder": st.sampled_from(sts.ENCODER_HOWS),
        "markers": st.booleans(),
        "indent": sts.indents if JSON_INDENTS else st.none(),
        "separators": st.sampled_from([(": ", ", "), (":", ","), (" : ", "\n,"), ("é", "€")]),
        "sort_keys": st.booleans(),
        "skipkeys": st.booleans(),
        "allow_nan": st.booleans(),
        "level": st.integers(0, 2),
    }
)


def run_encoder(make_encoder: Any, plan: dict[str, Any]) -> Outcome:
    """A fresh document of the plan through ``make_encoder``'s encoder: the outcome and
    how many entries the markers dict is left with (json leaves those it was in)."""
    ctx = Build()
    doc = build(plan["doc"], ctx)
    markers: dict[int, Any] | None = {} if plan["markers"] else None
    indent = plan["indent"]
    if isinstance(indent, int):
        indent = " " * indent
    enc = make_encoder(
        markers,
        make_default(plan["default"], ctx),
        make_str_encoder(plan["encoder"], ctx),
        indent,
        *plan["separators"],
        plan["sort_keys"],
        plan["skipkeys"],
        plan["allow_nan"],
    )
    ctx.reenter = lambda v: "".join(enc(v, 0))
    result = outcome(lambda: enc(doc, plan["level"]))
    return (*result, None if markers is None else len(markers))


def compare_encoders(plan: dict[str, Any]) -> None:
    ours = run_encoder(native.make_encoder, plan)
    if JSON_READS_ITEMS_BORROWED and uses(plan, "items-shared") and uses(plan, "clear-shared"):
        return  # json's own encoder reads freed memory here: not crashing is ours to show
    assert ours == run_encoder(_json.make_encoder, plan)


@given(encoder_plans)
def test_native_encoder_is_json_c_encoder_on_hostile_documents(plan: dict[str, Any]) -> None:
    compare_encoders(plan)


# The plans above seldom put an "items-shared" dict next to something that empties the
# lists: these always do, around a random document.
emptied_items_plans = st.builds(
    lambda plan, pairs, where, default, encoder: {
        **plan,
        "doc": ("list", "list", [plan["doc"], ("dictsub", "items-shared", pairs)][::where]),
        "default": default,
        "encoder": encoder,
    },
    encoder_plans,
    st.lists(st.tuples(sts.hostile_keys, sts.hostile_docs), min_size=1, max_size=3),
    st.sampled_from([1, -1]),
    st.sampled_from(["clear-shared", "name", "parent-clear"]),
    st.sampled_from(["clear-shared", "unicode", "upper"]),
)


@given(emptied_items_plans)
def test_items_lists_emptied_while_written(plan: dict[str, Any]) -> None:
    compare_encoders(plan)


def test_items_list_emptied_by_the_encoder_is_held() -> None:
    """gh-142831's case (json's encoder reads freed memory on 3.12 and 3.13 before its
    fix; ours did on every version): items() returns a list it keeps, and the string
    encoder, called on the key, empties it before the value is written."""
    kept: list[tuple[str, Any]] = []

    class Kept(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            return kept

    def encoder(s: str) -> str:
        kept.clear()
        return encode_basestring(s)

    markers: dict[int, Any] | None
    for markers in ({}, None):
        enc = native.make_encoder(
            markers, lambda o: type(o).__name__, encoder, None, ":", ",", False, False, True
        )
        # the key is long enough not to be interned: freed with its pair too
        kept[:] = [("k" * 20, [object()])]
        assert "".join(enc(Kept(a=1), 0)) == '{"' + "k" * 20 + '":["object"]}'
        kept[:] = [("k", {"v": object()}), ("never", 1)]
        assert "".join(enc(Kept(a=1), 0)) == '{"k":{"v":"object"}}'


dumps_plans = st.fixed_dictionaries(
    {
        "doc": sts.hostile_docs,
        "default": st.sampled_from(sts.DEFAULT_HOWS),
        "options": st.fixed_dictionaries(
            {},
            optional={
                "skipkeys": st.booleans(),
                "ensure_ascii": st.booleans(),
                "check_circular": st.booleans(),
                "allow_nan": st.booleans(),
                "indent": sts.indents,
                "separators": sts.separators,
                "sort_keys": st.booleans(),
            },
        ),
    }
)


def run_dumps(dumps: Callable[..., str], plan: dict[str, Any]) -> Outcome:
    ctx = Build(reenter=lambda v: dumps(v))
    doc = build(plan["doc"], ctx)
    default = make_default(plan["default"], ctx)
    return outcome(lambda: [dumps(doc, default=default, **plan["options"])])


@settings(max_examples=100)
@given(encoder_plans)
def test_hostile_documents_leave_no_memory_behind(plan: dict[str, Any]) -> None:
    """References and buffers on every path a plan takes, errors included: 20 more runs
    keep fewer blocks than 20 (the interpreter's own caches keep a few); a reference
    lost on its path would keep one a run."""
    run_encoder(native.make_encoder, plan)
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(20):
        run_encoder(native.make_encoder, plan)
    gc.collect()
    assert sys.getallocatedblocks() - before < 20


CHANGING_DEFAULTS = ("parent-clear", "parent-add", "parent-pop", "clear-shared")
# What the hostile methods of the plans raise with (see _raising's callers)
HOSTILE_MESSAGES = ("items", "keys", "iter", "len", "repr", "str", "float", "index", "lt")


@given(dumps_plans)
def test_dumps_is_json_dumps_on_hostile_documents(plan: dict[str, Any]) -> None:
    # streamjson writes every Mapping as an object, and isinstance believes __class__:
    # an object that claims to be a dict is one to it (json's C encoder, which checks
    # the real type, hands it to default)
    assume(not uses(plan["doc"], "('liar', 'dict')"))
    ours = run_dumps(streamjson.dumps, plan)
    if JSON_READS_ITEMS_BORROWED and uses(plan, "items-shared") and uses(plan, "clear-shared"):
        return  # as above: json's C encoder reads freed memory
    theirs = run_dumps(json.dumps, plan)
    if plan["default"] in CHANGING_DEFAULTS:
        if ours[:2] == ("error", "RuntimeError"):
            return  # documented (docs/guarantees.md): json's text, or RuntimeError
        if ours[0] == "error" and ours[2] in HOSTILE_MESSAGES:
            # Not yet json's: the part is encoded again after the failed C attempt, past
            # where json stopped, and a later value's items() or __iter__ (never called
            # by json) raises; a KeyboardInterrupt there escapes the RuntimeError:
            # [D({"": O(), (1,): 0}), L()] with L.__iter__ raising KeyboardInterrupt and
            # a default that clears D. Reported with issue #13.
            return
    if theirs[:2] == ("error", "RecursionError") and plan["default"] in ("self", "wrap"):
        # Not yet json's: a default() that never ends (without check_circular) fails the
        # C attempt with RecursionError, and the replay (streamjson/_batches.py,
        # _fails_again) stops at another depth and reads on past it: RuntimeError, or
        # what a later value's items() or __iter__ raises, which json never calls;
        # json.dumps({"k": ((O(),), KI())}, default=lambda o: o, check_circular=False)
        # is KeyboardInterrupt from KI.items(). Reported with issue #13.
        return
    indent = plan["options"].get("indent") is not None
    emptied = uses(plan["doc"], "'items-clear'") or (
        uses(plan["doc"], "'items-shared'") and plan["default"] == "clear-shared"
    )
    if (indent and emptied) or (
        python_indents(plan["options"]) and uses(plan["doc"], "'len-huge'")
    ):
        # Not yet json's: a dict that is not empty when json starts on it but whose
        # items() gives nothing is "{", an empty line and "}" with indent (json's C and
        # Python encoders), and json's Python encoder (indent before 3.13) writes "\n]"
        # (not JSON) for a list that is true but iterates to nothing: "[" and its newline
        # come with a first item. streamjson writes {} and []. Reported with issue #13.
        return
    if theirs[:2] == ("error", "RecursionError"):
        ours, theirs = ours[:2], theirs[:2]  # its message names the frame it stopped in
    assert ours == theirs


def python_indents(options: dict[str, Any]) -> bool:
    """Whether json.dumps writes with its Python encoder for these options."""
    return options.get("indent") is not None and not JSON_INDENTS


# -- allocation failures ---------------------------------------------------------------------

# Run in a child interpreter, so that a crash is a failed test. For each encoder set-up,
# `count` finds how many allocations one call makes (the first n that, all failing
# from n on, the call no longer notices); then every one of them fails in turn, alone
# ((n, n + 1)) and with all after it ((n, 0)). Each call must give the right text or
# raise MemoryError. The sweep runs once to warm up, then 20 times more under
# tracemalloc: the memory and blocks held must not grow.
NOMEMORY_SCRIPT = r"""
import datetime, decimal, enum, gc, json, sys, tracemalloc, uuid
import _testcapi
from json.encoder import encode_basestring, encode_basestring_ascii
from streamjson._native import make_encoder

class Sub(dict):
    # items() as a list made beforehand: a dict_items iterator that fails to allocate
    # its tuple crashes CPython itself (dictiter_new frees it untracked, 3.10 to 3.13)
    def items(self):
        return self.pairs

class Seq(list):
    pass

class Color(enum.Enum):
    RED = "red"

def default(o):
    return [type(o).__name__, 1.5]

# a Python callable as `encoder` (json's py_encode_basestring makes a function each call:
# that crashes 3.12.1's PyFunction_New when it fails to allocate)
def str_encoder(s):
    return encode_basestring(s)

strings = ["a", "\u00e9t\u00e9", "\u20ac" * 3, "\U0001f600", "\ud800", "\"\\\n\x00", "x" * 3000]
numbers = [0, -1, 2**63, -(2**100), 10**40, 1.5, -0.0, 1e300, 5e-324, float("nan")]
doc = {
    "strings": strings,
    "numbers": numbers,
    "nested": [{"k%d" % i: [i, {"d": [None, True, False]}] for i in range(20)}, Seq(strings)],
    "sub": Sub({"b": 1, "a": [object()], "\u20ac": strings}),
    "other": [object(), {1.5: 2, 3: 4, True: 6}, {None: 5}],
    "tuple": (1, (2, 3)),
}
extended_doc = [datetime.datetime(2024, 5, 6, 7, 8, 9, 10), datetime.date(2024, 1, 2),
                datetime.time(1, 2, 3), decimal.Decimal("1.25"), uuid.UUID(int=2**127 + 5),
                Color.RED, doc]
doc["sub"].pairs = list(dict.items(doc["sub"]))
outer = object()
setups = [
    # (markers, args after markers, extra, level, document)
    ({}, (default, encode_basestring_ascii, "  ", ": ", ", ", True, False, True), (), 0, doc),
    (None, (default, encode_basestring, None, ":", ",", False, False, True), (), 2, doc),
    ({id(outer): outer}, (default, str_encoder, "\u20ac", ":", ",", True, True, True),
     (), 1, doc),
    ({}, (default, encode_basestring_ascii, None, ":", ",", False, False, True),
     (("iso", "number", decimal.Decimal, uuid.UUID, enum.Enum, {Color}),), 0, extended_doc),
]
calls = []
for markers, args, extra, level, value in setups:
    enc = make_encoder(markers, *args, *extra)
    initial = None if markers is None else dict(markers)
    expected = "".join(enc(value, level))
    calls.append((enc, markers, initial, level, value, expected))

def attempt(call, start, stop):
    enc, markers, initial, level, value, expected = call
    _testcapi.set_nomemory(start, stop)
    try:
        result = enc(value, level)
    except MemoryError:
        result = None
    finally:
        _testcapi.remove_mem_hooks()
    if markers is not None:  # a failure leaves json's entries behind: start afresh
        markers.clear()
        markers.update(initial)
    if result is not None and "".join(result) != expected:
        raise AssertionError(f"wrong text with allocation {start} failing")
    return result is not None

def count(call):
    n = 0
    while not attempt(call, n, 0):
        n += 1
    return n

counts = [count(call) for call in calls]

def sweep():
    for call, n in zip(calls, counts):
        for start in range(n + 1):
            attempt(call, start, start + 1)
            attempt(call, start, 0)

sweep()
gc.collect()
tracemalloc.start()
before = (tracemalloc.get_traced_memory()[0], sys.getallocatedblocks())
for _ in range(REPEATS):
    sweep()
gc.collect()
after = (tracemalloc.get_traced_memory()[0], sys.getallocatedblocks())
tracemalloc.stop()
print(json.dumps({"counts": counts, "bytes": after[0] - before[0], "blocks": after[1] - before[1]}))
"""


def test_every_allocation_failing_gives_the_text_or_memory_error() -> None:
    testcapi = pytest.importorskip("_testcapi")
    if not hasattr(testcapi, "set_nomemory"):
        pytest.skip("this _testcapi cannot make allocations fail")
    root = os.path.dirname(os.path.dirname(os.path.abspath(streamjson.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-c", NOMEMORY_SCRIPT.replace("REPEATS", "20")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert min(report["counts"]) > 10  # the failures reached the encoder's allocations
    # The interpreter's own caches keep up to 9 blocks (3.10) however many sweeps run; a
    # reference or buffer lost on one path would be lost once a sweep, 20 times.
    assert report["blocks"] < 20, report
    assert report["bytes"] < 1_500, report
