"""streamjson._native against json, byte for byte and error for error.

The oracle is json's own C encoder (``_json.make_encoder``) called with the same
arguments; with ``indent`` it is ``json.dumps`` (json's Python encoder before 3.13,
which is what json.dumps indents with there), and at a level above 0 json's
``_make_iterencode`` before 3.13 and ``_json`` from 3.13 on.
"""

from __future__ import annotations

import enum
import gc
import importlib
import itertools
import json
import math
import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import streamjson
from tests import strategies as sts

_json = pytest.importorskip("_json")


def _native() -> Any:
    try:
        return importlib.import_module("streamjson._native").make_encoder
    except ImportError:
        return None


NATIVE = _native()
needs_native = pytest.mark.skipif(NATIVE is None, reason="streamjson._native is not built")
PURE = os.environ.get("STREAMJSON_PURE", "") not in ("", "0")


def outcome(call: Callable[[], Any]) -> tuple[str, ...]:
    """The joined text, or the error's type, message and notes."""
    try:
        return ("text", "".join(call()))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc), repr(getattr(exc, "__notes__", None)))


def encoder_args(**kw: Any) -> tuple[Any, ...]:
    """make_encoder's arguments for json.dumps's keyword arguments, as JSONEncoder
    derives them (``markers`` fresh, ``indent`` as a str)."""
    enc = json.JSONEncoder(**{k: v for k, v in kw.items() if k != "encoder"})
    indent = enc.indent
    if indent is not None and not isinstance(indent, str):
        indent = " " * indent
    str_encoder = kw.get("encoder") or (
        encode_basestring_ascii if enc.ensure_ascii else encode_basestring
    )
    return (
        {} if enc.check_circular else None,
        enc.default,
        str_encoder,
        indent,
        enc.key_separator,
        enc.item_separator,
        enc.sort_keys,
        enc.skipkeys,
        enc.allow_nan,
    )


def both(value: Any, level: int = 0, **kw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(json's C encoder, ours) on ``value`` with these options, indent left out."""
    kw["indent"] = None
    return (
        outcome(lambda: _json.make_encoder(*encoder_args(**kw))(value, level)),
        outcome(lambda: NATIVE(*encoder_args(**kw))(value, level)),
    )


def assert_same(value: Any, level: int = 0, **kw: Any) -> None:
    theirs, ours = both(value, level, **kw)
    assert ours == theirs


def raising_default(o: Any) -> Any:
    raise TypeError(f"nope: {type(o).__name__}")


compact_options = st.fixed_dictionaries(
    {},
    optional={
        "skipkeys": st.booleans(),
        "ensure_ascii": st.booleans(),
        "check_circular": st.booleans(),
        "allow_nan": st.booleans(),
        "separators": sts.separators,
        "sort_keys": st.booleans(),
        "default": st.sampled_from([repr, str, raising_default]),
        "encoder": st.sampled_from([None, lambda s: encode_basestring(s).upper()]),
    },
)


@needs_native
@given(sts.values_and_unsupported, compact_options, st.integers(0, 3))
def test_same_as_json_c_encoder(value: Any, options: dict[str, Any], level: int) -> None:
    assert_same(value, level, **options)


@needs_native
@given(sts.values, sts.options.filter(lambda o: o.get("indent") is not None))
def test_indent_same_as_json_dumps(value: Any, options: dict[str, Any]) -> None:
    expected = outcome(lambda: [json.dumps(value, **options)])
    args = encoder_args(**options)
    ours = outcome(lambda: NATIVE(*args)(value, 0))
    if sys.version_info < (3, 13) and expected[0] == "error":
        # json.dumps indents with its Python encoder there, whose messages differ from
        # its C encoder's (which ours follows); streamjson walks a failed part again in
        # Python for json.dumps's error
        ours, expected = ours[:2], expected[:2]
    assert ours == expected


def _json_at_level(value: Any, level: int, args: tuple[Any, ...]) -> str:
    """json's indented text of ``value`` at ``level`` (its C encoder indents from 3.13)."""
    if sys.version_info >= (3, 13):
        return "".join(_json.make_encoder(*args)(value, level))
    markers, default, encoder, indent, key_sep, item_sep, sort_keys, skipkeys, _ = args

    def floatstr(o: float) -> str:
        if o != o:
            return "NaN"
        if math.isinf(o):
            return "Infinity" if o > 0 else "-Infinity"
        return float.__repr__(o)

    iterencode = json.encoder._make_iterencode(  # type: ignore[attr-defined]
        markers, default, encoder, indent, floatstr, key_sep, item_sep, sort_keys, skipkeys, False
    )
    return "".join(iterencode(value, level))


@needs_native
@given(sts.values, sts.indents.filter(lambda i: i is not None), st.integers(1, 4), sts.separators)
def test_indent_at_a_level(value: Any, indent: Any, level: int, separators: Any) -> None:
    args = encoder_args(indent=indent, separators=separators, default=repr, skipkeys=True)
    assert "".join(NATIVE(*args)(value, level)) == _json_at_level(value, level, args)


FLOAT_EDGES = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,  # the smallest normal
    2.225073858507201e-308,  # the largest subnormal
    1e-323,
    4.9406564584124654e-324,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    1e16,
    9999999999999998.0,
    1e16 - 2,
    1.0000000000000002e16,
    1e-4,
    0.0001,
    9.999999999999999e-05,
    1e-5,
    0.1,
    0.2 + 0.1,
    1 / 3,
    2.0**53,
    2.0**53 + 2,
    123456789012345680.0,
    *[10.0**e for e in range(-324, 309)],
    *[-(10.0**e) for e in range(-20, 21)],
    *[2.0**e for e in range(-1074, 1024, 7)],
    *[math.nextafter(10.0**e, math.inf) for e in range(-30, 30)],
    *[math.nextafter(10.0**e, -math.inf) for e in range(-30, 30)],
]


@needs_native
@pytest.mark.parametrize("allow_nan", [True, False])
def test_floats_are_repr(allow_nan: bool) -> None:
    assert "".join(NATIVE(*encoder_args())(FLOAT_EDGES, 0)) == (
        "[" + ", ".join(map(float.__repr__, FLOAT_EDGES)) + "]"
    )
    for x in [math.inf, -math.inf, math.nan]:
        assert_same([x], allow_nan=allow_nan)
        assert_same({x: 1}, allow_nan=allow_nan)
    assert_same(dict.fromkeys(FLOAT_EDGES[:40], 1), sort_keys=True)


class Repr(int):
    def __repr__(self) -> str:
        return "repr!"

    __str__ = __repr__


class FloatRepr(float):
    def __repr__(self) -> str:
        return "float-repr!"


class StrStr(str):
    def __str__(self) -> str:
        return "str!"


class Iter(list):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        return iter(["iter!"])

    def __len__(self) -> int:
        return 7


class Items(dict):  # type: ignore[type-arg]
    def items(self) -> Any:
        return [("items!", 1), ("a", 2)]


class BadItems(dict):  # type: ignore[type-arg]
    def items(self) -> Any:
        return [("a", 1, 2)]


class NoItems(dict):  # type: ignore[type-arg]
    def items(self) -> Any:
        return 5


class Tup(tuple):  # type: ignore[type-arg]
    pass


class Flag(enum.IntFlag):
    A = 1
    B = 2


class Lies:
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return list


HOSTILE = [
    Repr(5),
    [Repr(-(10**30))],
    {Repr(3): Repr(4)},
    FloatRepr(1.5),
    {FloatRepr(2.5): FloatRepr(float("nan"))},
    [FloatRepr(float("inf"))],
    StrStr("x\u00e9"),
    {StrStr("k"): StrStr("v")},
    Iter([1, 2]),
    Tup((1, Tup())),
    Items(a=1),
    Items(),
    BadItems(a=1),
    NoItems(a=1),
    [Flag.A | Flag.B, Flag.A],
    [sts.Color.RED, sts.Ratio.HALF],
    Lies(),
    [True, False, None, 1, 1.0],
    {True: 1, False: 2, None: 3, 1.5: 4, 2: 5, "s": 6},
    {"b": 1, "a": 2, "\u00e9": 3},
    {1: 1, "a": 2},  # sort_keys: TypeError from the sort
    {(1,): 1, "a": 2},
    [{}, [], (), "", 0, -0.0],
    ["\ud800", "\udc00\ud800", "\U0001f600", "\x00\x1f\x7f\x80\xff\u0100\uffff"],
    "x" * 10_000 + "\u20ac" + "\\" * 100,
    10**400,
    -(2**63),
    2**63,
    2**64 - 1,
]


@needs_native
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"sort_keys": True},
        {"skipkeys": True},
        {"allow_nan": False, "ensure_ascii": False},
        {"check_circular": False, "separators": (",", ":")},
        {"default": repr},
        {"encoder": lambda s: "<" + s + ">"},
    ],
)
def test_hostile_values(value: Any, options: dict[str, Any]) -> None:
    assert_same(value, **options)


KINDS = ["a", "\u00e9", "\u20ac", "\U0001f600", "\ud800"]  # each str kind, a lone surrogate


@needs_native
@pytest.mark.parametrize("order", list(itertools.permutations(range(len(KINDS)))))
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_every_order_of_character_widths(order: tuple[int, ...], ensure_ascii: bool) -> None:
    """The buffer widens as wider characters come, from strings, keys and separators."""
    items = [KINDS[i] * 3 for i in order]
    value = [items, dict.fromkeys(items, 1)]
    assert_same(value, ensure_ascii=ensure_ascii)
    assert_same(value, ensure_ascii=ensure_ascii, separators=(KINDS[order[0]], KINDS[order[1]]))
    for indent in (KINDS[order[0]], KINDS[order[-1]]):
        args = encoder_args(indent=indent, ensure_ascii=ensure_ascii)
        assert "".join(NATIVE(*args)(value, 0)) == json.dumps(
            value, indent=indent, ensure_ascii=ensure_ascii
        )


@needs_native
def test_encoder_returning_a_non_str() -> None:
    assert_same(["a"], encoder=lambda s: 1)
    assert_same({"a": 1}, encoder=lambda s: None)
    assert_same({1: 1}, encoder=lambda s: b"x")


@needs_native
def test_circular_references() -> None:
    lst: list[Any] = [1]
    lst.append(lst)
    dct: dict[str, Any] = {}
    dct["x"] = [dct]
    obj = object()
    for value in (lst, dct, [obj]):
        assert_same(value, default=lambda o: [o] if o is obj else o)
        assert_same(value, default=lambda o: [o] if o is obj else o, check_circular=False)


def _mutating(kind: str) -> tuple[Any, Callable[[Any], Any]]:
    """A document and a default that changes it while it is written."""
    marker = object()
    if kind.startswith("dict"):
        doc: Any = {"a": marker, "b": 0, "c": 1}

        def default(o: Any) -> Any:
            if kind == "dict-value":
                doc["c"] = "changed"
            elif kind == "dict-add":
                doc.update({f"k{i}": i for i in range(20)})
            else:
                doc.pop("c")
            return 0

        return doc, default
    doc = [marker, 1, 2, 3]

    def default_list(o: Any) -> Any:
        if kind == "list-append":
            doc.append(4)
        else:
            doc.clear()
        return 0

    return doc, default_list


@needs_native
def test_markers_left_and_read_as_json_leaves_and_reads_them() -> None:
    args = encoder_args()[1:]
    for encoder in (_json.make_encoder, NATIVE):
        inner: list[Any] = [object()]
        doc = {"a": [1, inner]}
        markers: dict[int, Any] = {}
        with pytest.raises(TypeError, match="not JSON serializable"):
            encoder(markers, *args)(doc, 0)
        # the failure leaves the entries of what it was in: then they are circles
        assert sorted(markers) == sorted(map(id, [doc, doc["a"], inner, inner[0]]))
        assert {id(v) for v in markers.values()} == set(markers)
        with pytest.raises(ValueError, match="Circular reference detected"):
            encoder(markers, *args)([inner], 0)
        assert "".join(encoder({id(doc): doc}, *args)([[1], {}], 0)) == "[[1], {}]"


@needs_native
def test_encoder_called_again_from_default() -> None:
    """Re-entered from ``default``, the encoder sees what its outer call has open."""
    doc: dict[str, Any] = {"a": [object()], "b": object()}

    def run(make: Any) -> tuple[str, ...]:
        enc = make(*encoder_args(default=lambda o: "".join(enc(doc, 0))))
        return outcome(lambda: enc([doc["b"]], 0)), outcome(lambda: enc(doc, 0))

    assert run(NATIVE) == run(_json.make_encoder)


@needs_native
@pytest.mark.parametrize(
    "kind", ["dict-value", "dict-add", "dict-pop", "list-append", "list-clear"]
)
def test_default_that_changes_the_document(kind: str) -> None:
    doc, default = _mutating(kind)
    theirs = outcome(lambda: _json.make_encoder(*encoder_args(default=default))(doc, 0))
    doc, default = _mutating(kind)
    ours = outcome(lambda: NATIVE(*encoder_args(default=default))(doc, 0))
    assert ours == theirs


@needs_native
@pytest.mark.parametrize("exc", [KeyboardInterrupt, MemoryError, RecursionError])
def test_base_exceptions_from_default_pass_through(exc: type[BaseException]) -> None:
    def default(o: Any) -> Any:
        raise exc("from default")

    markers: dict[int, Any] = {}
    args = encoder_args(default=default)
    with pytest.raises(exc, match="from default"):
        NATIVE(markers, *args[1:])([1, {"a": [object()]}], 0)
    # as json's, the markers of the containers it was in are left behind
    theirs: dict[int, Any] = {}
    with pytest.raises(exc):
        _json.make_encoder(theirs, *args[1:])([1, {"a": [object()]}], 0)
    assert len(markers) == len(theirs)


@needs_native
def test_deep_nesting_raises_recursion_error_as_json() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert_same(deep)
    deep_dict: Any = {}
    for _ in range(100_000):
        deep_dict = {"a": deep_dict}
    assert_same(deep_dict)

    def nest(o: Any) -> Any:
        return [o]  # default without end: each call goes a level deeper

    theirs, ours = both(object(), default=nest, check_circular=False)
    assert ours == theirs
    assert ours[1] == "RecursionError"


@needs_native
def test_no_leak_on_error_paths() -> None:
    """Refcounts on every path: repeated failures leave no memory behind."""
    values = [
        [1, {"a": [object()]}],
        {"a": 1, (1,): 2},
        [float("nan")],
        ["x" * 1000, {1: [2, {3: object()}]}],
    ]
    enc = NATIVE(*encoder_args(default=raising_default, allow_nan=False, sort_keys=True))
    ok = NATIVE(*encoder_args(default=repr, indent=2, skipkeys=True, ensure_ascii=False))

    def run() -> None:
        for v in values:
            try:
                enc(v, 0)
            except (TypeError, ValueError):
                pass
            else:
                raise AssertionError("no error")
            ok([v, {"é": [1.5, 2**70, "\u20ac"]}], 1)

    run()
    tracemalloc.start()
    try:
        run()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            run()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 20_000


@needs_native
def test_arguments_checked_as_json_checks_them() -> None:
    with pytest.raises(TypeError, match="argument 1 must be dict or None, not list"):
        NATIVE([], None, encode_basestring, None, ":", ",", False, False, True)
    with pytest.raises(TypeError):
        NATIVE(None, None, encode_basestring, None, 1, ",", False, False, True)
    enc = NATIVE(None, None, encode_basestring, None, ":", ",", False, False, True)
    assert enc(obj=[1], _current_indent_level=0)[0] == "[1]"
    assert type(enc(1, 0)) is type(_json.make_encoder(*encoder_args())(1, 0))


def test_native_in_use_where_it_can_be() -> None:
    """In CI with a compiler, the extension must have been built and be in use: a
    failed build would otherwise pass unnoticed on the pure path."""
    if PURE:
        assert streamjson.native is False
        return
    if not os.environ.get("CI") or sys.implementation.name != "cpython":
        pytest.skip("checked in CI, on CPython")
    if sys.version_info >= (3, 14):
        assert streamjson.native is False  # not yet mirrored there (error notes)
        return
    assert streamjson.native is True


def test_pure_switch_and_version() -> None:
    env = {**os.environ, "STREAMJSON_PURE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "streamjson", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == f"streamjson {streamjson.__version__} (pure encoder)\n"
    code = "import streamjson, json; print(streamjson.native, streamjson.dumps([1.5, 'é']))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out == "False " + json.dumps([1.5, "é"]) + "\n"
    assert "native" in streamjson.__all__


@needs_native
def test_one_encoder_called_from_two_threads_at_once() -> None:
    """Two threads in one encoder at once, the first done first: each call keeps its
    own state, and the encoder is left as sound as before (it used to keep a pointer
    to the first call's finished frame)."""
    second_in, first_done, release = threading.Event(), threading.Event(), threading.Event()

    def default(o: Any) -> Any:
        if o.name == "first":
            assert second_in.wait(10)
        else:
            second_in.set()
            assert first_done.wait(10)
        return o.name

    class Tag:
        def __init__(self, name: str) -> None:
            self.name = name

    def deep(n: int) -> int:
        return deep(n - 1) + 1 if n else 0

    enc = NATIVE(*encoder_args(default=default))
    results: dict[str, Any] = {}

    def first() -> None:
        results["first"] = outcome(lambda: enc([[Tag("first")]], 0))
        first_done.set()
        deep(200)  # this thread's stack where the finished call was, overwritten
        release.wait(10)

    def second() -> None:
        results["second"] = outcome(lambda: enc({"a": [Tag("second")]}, 0))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert not second_in.wait(0.2)
    threads[1].start()
    threads[1].join(10)
    try:
        assert outcome(lambda: enc([[1, {"b": [2]}]], 0)) == ("text", '[[1, {"b": [2]}]]')
    finally:
        release.set()
        threads[0].join(10)
    assert results == {"first": ("text", '[["first"]]'), "second": ("text", '{"a": ["second"]}')}


def test_a_source_tree_without_the_built_extension_uses_the_pure_path(tmp_path: Any) -> None:
    """No compiler, editable install: streamjson/_native/ holds only C sources, which
    import as an empty namespace package. streamjson must import, on the pure path."""
    import shutil

    package = os.path.dirname(streamjson.__file__)
    shutil.copytree(
        package, tmp_path / "streamjson", ignore=shutil.ignore_patterns("*.so", "*.pyd")
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("STREAMJSON_PURE", None)
    code = "import streamjson; print(streamjson.native, streamjson.dumps([1.5, {'a': None}]))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, check=True
    )
    assert done.stdout.decode().split(" ", 1) == ["False", '[1.5, {"a": null}]\n']


class _TooLong(Exception):
    pass


@needs_native
def test_limit_gives_up_once_the_text_is_too_long_until_default_runs() -> None:
    def make(default: Any = None) -> Any:
        default = default or json.JSONEncoder().default
        args = (None, default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
        return NATIVE(*args, limit=(_TooLong, 10))

    assert "".join(make()([1, 2], 0)) == "[1, 2]"
    with pytest.raises(_TooLong):
        make()(list(range(100)), 0)  # stops past 10 characters, not at the end
    # once default() has run in a call, the text is written whole: the caller could not
    # walk the part again without calling it twice
    calls: list[object] = []
    whole = make(lambda o: calls.append(o) or 0)([object(), *range(100)], 0)
    assert "".join(whole) == json.dumps([0, *range(100)]) and len(calls) == 1
    with pytest.raises(_TooLong):  # each call starts afresh
        make(lambda o: 0)([*range(100), object()], 0)


@needs_native
@pytest.mark.parametrize(
    "kw",
    [
        {"limit": (_TooLong,)},
        {"limit": (ValueError(), 10)},
        {"limit": (_TooLong, -1)},
        {"strict": (_TooLong, 1, 10), "limit": (_TooLong, 10)},
    ],
)
def test_limit_is_checked(kw: dict[str, Any]) -> None:
    args = (None, None, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    with pytest.raises(TypeError):
        NATIVE(*args, **kw)
