"""Hostile and odd input: objects that raise or lie, mutation while encoding, cycles,
extreme depth and size. Never a crash, a hang or a silently wrong document."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import streamjson
from streamjson import Object
from tests.faults import Discard, Tracker, peak_while
from tests.helpers import DRIVERS, Lie, Opaque, lie, outcome, raising

pytestmark = pytest.mark.reliability

MiB = 1024 * 1024


def subclass(base: type, **methods: Any) -> type:
    return type(f"Hostile{base.__name__.title()}", (base,), methods)


HOSTILE_CONTAINERS: dict[str, Callable[[], Any]] = {
    "dict-len-lies": lambda: subclass(dict, __len__=lambda s: 0)({"a": 1, "b": [2]}),
    "dict-len-raises": lambda: subclass(dict, __len__=lie)({"a": 1}),
    "dict-bool-lies": lambda: subclass(dict, __bool__=lambda s: False)({"a": 1}),
    "dict-values-raises": lambda: subclass(dict, values=lie)({"a": [1]}),
    "dict-items-raises": lambda: subclass(dict, items=lie)({"a": 1}),
    "dict-items-lies": lambda: subclass(dict, items=lambda s: [("x", [1])])({"a": 1}),
    "dict-keys-raises": lambda: subclass(dict, keys=lie)({"a": 1}),
    "dict-iter-raises": lambda: subclass(dict, __iter__=lie)({"a": 1}),
    "dict-getitem-raises": lambda: subclass(dict, __getitem__=lie)({"a": 1}),
    "list-len-lies": lambda: subclass(list, __len__=lambda s: 0)([1, [2]]),
    "list-len-raises": lambda: subclass(list, __len__=lie)([1]),
    "list-bool-lies": lambda: subclass(list, __bool__=lambda s: False)([1]),
    "list-iter-raises": lambda: subclass(list, __iter__=lie)([1]),
    "list-iter-lies": lambda: subclass(list, __iter__=lambda s: iter([9]))([1, 2]),
    "list-getitem-raises": lambda: subclass(list, __getitem__=lie)([1, 2]),
    "tuple-iter-lies": lambda: subclass(tuple, __iter__=lambda s: iter([9]))((1, 2)),
    # big enough that the walker walks them itself rather than hand them to the C encoder
    "big-list-iter-raises": lambda: subclass(list, __iter__=lie)(range(5000)),
    "big-list-iter-lies": lambda: subclass(list, __iter__=lambda s: iter([9]))(range(5000)),
    "big-tuple-iter-lies": lambda: subclass(tuple, __iter__=lambda s: iter([9]))(range(5000)),
    "big-dict-items-lies": lambda: subclass(dict, items=lambda s: [("x", [1])])(
        {str(i): i for i in range(5000)}
    ),
    "tuple-len-raises": lambda: subclass(tuple, __len__=lie)((1,)),
}

# Where the value sits: alone, inside small containers (which go to the C encoder whole)
# and inside big ones (which the walker walks itself).
PLACES: dict[str, Callable[[Any], Any]] = {
    "root": lambda v: v,
    "in-list": lambda v: [0, v],
    "in-dict": lambda v: {"k": v},
    "in-big-list": lambda v: [*range(5000), v],
    "in-big-dict": lambda v: {**{str(i): i for i in range(5000)}, "k": v},
}

OPTIONS: list[dict[str, Any]] = [
    {},
    {"indent": 1},
    {"sort_keys": True},
    {"indent": 1, "sort_keys": True},
    {"separators": (",", ":")},
]


@pytest.mark.parametrize("name", HOSTILE_CONTAINERS)
def test_container_subclasses_that_raise_or_lie_encode_as_json_does(name: str) -> None:
    wrong = []
    for place, put in PLACES.items():
        for options in OPTIONS:
            expected = outcome(partial(json.dumps, put(HOSTILE_CONTAINERS[name]()), **options))
            for driver, encode in DRIVERS.items():
                got = outcome(partial(encode, put(HOSTILE_CONTAINERS[name]()), **options))
                if got != expected:
                    wrong.append((place, options, driver, expected, got))
    assert not wrong, "\n".join(repr(w)[:300] for w in wrong[:10]) + f"\n... {len(wrong)} in all"


# -- scalars and keys whose methods raise: json never calls them, neither may we -------------------


RStr = raising(
    str,
    "__str__",
    "__repr__",
    "__format__",
    "__iter__",
    "encode",
    "__getitem__",
)
RInt = raising(
    int, "__str__", "__repr__", "__format__", "__float__", "__int__", "__index__", "__abs__"
)
RFloat = raising(
    float,
    "__str__",
    "__repr__",
    "__format__",
    "__float__",
    "__int__",
    "__abs__",
    "is_integer",
    "hex",
)


HOSTILE_SCALARS: dict[str, Callable[[], Any]] = {
    "str": lambda: [RStr("é\ud800x"), RStr("a")],
    "int": lambda: [RInt(7), RInt(-(10**30))],
    "float": lambda: [RFloat(1.5), RFloat("nan"), RFloat("-inf")],
    "str-key": lambda: {RStr("k"): 1, RStr("é"): [RStr("v")]},
    "int-key": lambda: {RInt(3): 1},
    "float-key": lambda: {RFloat(2.5): 1, RFloat("inf"): 2},
    "opaque": lambda: [1, Opaque()],
    "opaque-key": lambda: {Opaque(): 1},
}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"indent": 2},
        {"sort_keys": True},
        {"allow_nan": False},
        {"ensure_ascii": False},
        {"skipkeys": True},
        {"default": lambda o: "opaque"},
    ],
    ids=["plain", "indent", "sort_keys", "no-nan", "no-ascii", "skipkeys", "default"],
)
@pytest.mark.parametrize("name", list(HOSTILE_SCALARS))
def test_scalars_and_keys_with_raising_methods_encode_as_json_does(
    name: str, options: dict[str, Any]
) -> None:
    for place, put in PLACES.items():
        expected = outcome(partial(json.dumps, put(HOSTILE_SCALARS[name]()), **options))
        for driver, encode in DRIVERS.items():
            value = put(HOSTILE_SCALARS[name]())
            got = outcome(partial(encode, value, **options))
            if driver == "dump_binary" and expected[0] == "ok" and "\ud800" in expected[1]:
                assert got[0] == "error" and got[1][0] is UnicodeEncodeError
                continue
            assert got == expected, (place, driver)


class NoTruth:
    """bool() and len() raise: json never asks either of a value it encodes."""

    __bool__ = __len__ = lie


TRUTHLESS: dict[str, Callable[[], Any]] = {
    "object-in-list": lambda: [1, NoTruth()],
    "object-in-dict": lambda: {"k": NoTruth()},
    "int-subclass": lambda: [raising(int, "__bool__")(0), {"k": raising(int, "__bool__")(1)}],
    "str-subclass": lambda: {"k": raising(str, "__len__")("v")},
}


@pytest.mark.parametrize("name", list(TRUTHLESS))
def test_elements_whose_truth_raises_are_never_asked_it(name: str) -> None:
    def opaque(o: Any) -> str:
        return "opaque"

    for options in ({}, {"indent": 1}):
        expected = json.dumps(TRUTHLESS[name](), default=opaque, **options)
        for driver, encode in DRIVERS.items():
            got = outcome(partial(encode, TRUTHLESS[name](), default=opaque, **options))
            assert got == ("ok", expected), (driver, options)


def test_a_mapping_whose_len_raises_streams_when_alone() -> None:
    class Unsized(Mapping[str, int]):
        def __getitem__(self, key: str) -> int:
            return 1

        def __iter__(self) -> Iterator[str]:
            return iter(["a"])

        __len__ = __bool__ = lie

    assert streamjson.dumps(Unsized()) == '{"a": 1}'  # alone: fine


@pytest.mark.parametrize("what", ["error", "closing"])
def test_a_hostile_key_cannot_replace_the_error_it_sits_over(what: str) -> None:
    key = raising(str, "isidentifier")("k")
    if what == "error":
        with pytest.raises(TypeError, match="not JSON serializable") as info:
            "".join(streamjson.iterencode({key: [iter([{1}])]}))
        assert info.value.__notes__ == ["streamjson: when encoding the value at $.k[0][0]"]
    else:
        # found by tests/test_fuzz.py (explore profile): the source was left open
        tr = Tracker()

        class SourceDown(Exception):
            pass

        down = SourceDown()

        def failing() -> Iterator[int]:
            raise down
            yield 0

        with pytest.raises(SourceDown) as raised:  # the source's own exception, as README promises
            streamjson.dumps(Object(tr.gen("pairs", [(key, tr.gen("failing", failing()))])))
        assert raised.value is down
        # closed before dump returns, not later by the garbage collector (``raised`` still
        # holds the traceback, as a caller handling the error would)
        assert tr.all_closed(), (tr.started, tr.finished, raised.value)


# -- streamed objects (json refuses them) whose protocol methods raise or lie ----------------------


def iterator(next_: Callable[[int], Any], iter_: Callable[[Any], Any] | None = None) -> Any:
    class It:
        def __init__(self) -> None:
            self.i = 0

        def __iter__(self) -> Any:
            return self if iter_ is None else iter_(self)

        def __next__(self) -> Any:
            self.i += 1
            return next_(self.i)

        __length_hint__ = __repr__ = __str__ = lie

    return It()


def stop_at(n: int) -> Callable[[int], int]:
    def next_(i: int) -> int:
        if i > n:
            raise StopIteration
        return i

    return next_


def raise_at(n: int) -> Callable[[int], int]:
    def next_(i: int) -> int:
        if i > n:
            raise Lie(f"item {i}")
        return i

    return next_


class HostileMapping(Mapping[Any, Any]):
    def __init__(self, n: int, broken: str) -> None:
        self.n = n
        self.broken = broken

    def __getitem__(self, key: Any) -> Any:
        if self.broken == "getitem" and key == str(self.n):
            raise Lie("getitem")
        return key

    def __iter__(self) -> Iterator[Any]:
        for i in range(self.n + 1):
            if self.broken == "iter" and i == self.n:
                raise Lie("iter")
            yield str(i)

    def __len__(self) -> int:
        return 10**9  # a lie: a Mapping's length is never needed to stream it

    def items(self) -> Any:
        if self.broken == "items":
            raise Lie("items")
        if self.broken == "items-lies":
            return [("only", "this")]
        return super().items()

    __repr__ = __str__ = lie


@pytest.mark.parametrize("n", [0, 1, 16, 17, 5000])
@pytest.mark.parametrize(
    "make",
    [
        lambda n: iterator(raise_at(n)),
        lambda n: iterator(stop_at(n), iter_=lie),
        lambda n: HostileMapping(n, "iter"),
        lambda n: HostileMapping(n, "getitem"),
        lambda n: HostileMapping(n, "items"),
        lambda n: Object(iterator(raise_at(n))),
        lambda n: Object(iterator(lambda i: ("k", i) if i <= n else 5)),
    ],
    ids=[
        "next-raises",
        "iter-raises",
        "mapping-iter",
        "mapping-getitem",
        "mapping-items",
        "object-pairs-raise",
        "object-pair-not-a-pair",
    ],
)
def test_streamed_objects_whose_methods_raise_fail_cleanly_with_their_place(
    make: Callable[[int], Any], n: int, encode: Callable[..., str]
) -> None:
    tr = Tracker()
    doc = {"data": tr.gen("outer", [1, make(n)])}
    with pytest.raises((Lie, TypeError)) as info:
        encode(doc)
    assert info.value.__notes__[0].endswith("$.data[1]")
    assert tr.all_closed()


@pytest.mark.parametrize(
    ("value", "twin"),
    [
        (lambda: iterator(stop_at(37)), lambda: list(range(1, 38))),
        (lambda: HostileMapping(3, "none"), lambda: {str(i): str(i) for i in range(4)}),
        (lambda: HostileMapping(3, "items-lies"), lambda: {"only": "this"}),
    ],
    ids=["iterator-hint-repr-raise", "mapping-len-lies", "mapping-items-lies"],
)
def test_streamed_objects_that_lie_where_it_does_not_matter_encode_what_they_yield(
    value: Callable[[], Any], twin: Callable[[], Any], encode: Callable[..., str]
) -> None:
    assert encode({"v": value()}, indent=1) == json.dumps({"v": twin()}, indent=1)


def test_an_iterator_that_resumes_after_stop_iteration_ends_at_the_first_stop() -> None:
    def zombie(i: int) -> int:
        if i % 5 == 0:
            raise StopIteration
        return i

    for encode in DRIVERS.values():
        assert encode([iterator(zombie), iterator(zombie)]) == "[[1, 2, 3, 4], [1, 2, 3, 4]]"


# -- mutation while encoding -----------------------------------------------------------------------


# Where the value whose default() resizes the list sits, relative to the list's items.
WRAPS: dict[str, Callable[[Any], Any]] = {
    "item": lambda o: o,
    "in-dict-item": lambda o: {"k": o},
    "in-tuple-item": lambda o: (o,),
    "two-levels-down": lambda o: [1, [o]],
}


@pytest.mark.parametrize("where", WRAPS)
@pytest.mark.parametrize("size", [10, 5000])
@pytest.mark.parametrize("change", ["append", "pop", "clear", "extend-many"])
def test_a_list_resized_while_encoded_is_jsons_text_or_runtime_error(
    change: str, size: int, where: str
) -> None:
    def run(kw_driver: Callable[..., str] | None) -> Any:
        data: list[Any] = [*range(size), WRAPS[where](object()), *range(20)]

        def default(o: Any) -> Any:
            if change == "append":
                data.append("added")
            elif change == "pop":
                del data[-15:]
            elif change == "clear":
                data.clear()
            else:
                data.extend(range(3000))
            return "x"

        if kw_driver is None:
            return json.dumps(data, default=default)
        return kw_driver(data, default=default)

    expected = run(None)
    for name, encode in DRIVERS.items():
        got = outcome(partial(run, encode))
        assert got == ("ok", expected) or got[1][0] is RuntimeError, (name, got[1][-60:])


@pytest.mark.parametrize("change", ["grow", "shrink"])
@pytest.mark.parametrize("size", [10, 5000])
def test_a_dict_resized_while_encoded_is_jsons_text_or_runtime_error(
    change: str, size: int
) -> None:
    def run(driver: Callable[..., str] | None) -> Any:
        data: dict[str, Any] = {str(i): i for i in range(size)}
        data["odd"] = object()
        data.update({f"z{i}": i for i in range(20)})

        def default(o: Any) -> Any:
            if change == "grow":
                data["added"] = 1
            else:
                del data["z19"]
            return "x"

        if driver is None:
            return json.dumps({"d": data}, default=default)
        return driver({"d": data}, default=default)

    expected = run(None)
    for name, encode in DRIVERS.items():
        got = outcome(partial(run, encode))
        assert got == ("ok", expected) or got[1][0] is RuntimeError, (name, got[1][-60:])


def test_a_generator_that_resizes_the_dict_it_sits_in_is_a_runtime_error(
    encode: Callable[..., str],
) -> None:
    data: dict[str, Any] = {}

    def rows() -> Iterator[int]:
        yield 1
        data["late"] = 2

    data.update({"rows": rows(), "after": 1})
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        encode(data)


def test_an_object_over_a_dict_resized_while_read_is_a_runtime_error(
    encode: Callable[..., str],
) -> None:
    data = {str(i): i for i in range(100)}

    def grow(o: Any) -> Any:
        data["new"] = 0
        return "x"

    data["odd"] = object()  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        encode(Object(iter(data.items())), default=grow)


# -- cycles through streamed objects ---------------------------------------------------------------


class SelfIterator:
    def __iter__(self) -> SelfIterator:
        return self

    def __next__(self) -> SelfIterator:
        return self


class SelfMapping(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        return self

    def __iter__(self) -> Iterator[str]:
        return iter(["me"])

    def __len__(self) -> int:
        return 1


def self_generator() -> Iterator[Any]:
    def gen() -> Iterator[Any]:
        yield 1
        yield me

    me = gen()
    return me


def self_object() -> Object:
    o = Object(())
    o.pairs = iter([("me", o)])
    return o


def gen_of_list_of_itself() -> Any:
    box: list[Any] = []

    def gen() -> Iterator[Any]:
        yield box

    g = gen()
    box.append(g)
    return g


CYCLES: dict[str, Callable[[], Any]] = {
    "iterator-yields-itself": SelfIterator,
    "mapping-holds-itself": SelfMapping,
    "generator-yields-itself": self_generator,
    "object-holds-itself": self_object,
    "generator-in-its-own-list": gen_of_list_of_itself,
}


# Without check_circular: what a one-shot stream gives once it is used up inside itself,
# or RecursionError (as json gives for a cycle it is told not to check).
UNCHECKED = {
    "iterator-yields-itself": RecursionError,
    "mapping-holds-itself": RecursionError,
    "generator-yields-itself": '{"a": [[1, []]]}',
    "object-holds-itself": '{"a": [{"me": {}}]}',
    "generator-in-its-own-list": '{"a": [[[[]]]]}',
}


@pytest.mark.parametrize("name", list(CYCLES))
def test_self_referencing_streams_are_circular_errors_not_hangs(
    name: str, encode: Callable[..., str]
) -> None:
    tr = Tracker()
    with pytest.raises(ValueError, match="Circular reference detected"):
        encode({"a": tr.gen("outer", [CYCLES[name]()])})
    assert tr.all_closed()
    unchecked = UNCHECKED[name]
    if isinstance(unchecked, str):
        assert encode({"a": [CYCLES[name]()]}, check_circular=False) == unchecked
    else:
        with pytest.raises(unchecked):
            encode({"a": tr.gen("again", [CYCLES[name]()])}, check_circular=False)
        assert tr.all_closed()


# -- depth: a million levels -----------------------------------------------------------------------

DEPTH_CHILD = textwrap.dedent(
    """
    import hashlib, io, resource, sys
    import streamjson

    kind, depth, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    value = [] if kind == "lists" else {}
    for _ in range(depth):
        value = [value] if kind == "lists" else {"k": value}

    class Sink(io.RawIOBase):
        def __init__(self):
            self.hash, self.size = hashlib.sha256(), 0
        def writable(self):
            return True
        def write(self, b):
            self.hash.update(b)
            self.size += len(b)
            return len(b)

    # The document is built: from here on, memory may grow by `budget` bytes at most.
    with open("/proc/self/statm") as f:
        vm = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (vm + budget, vm + budget))
    sink = Sink()
    streamjson.dump(value, sink)
    print(sink.size, sink.hash.hexdigest())
    """
)

LEVEL_BYTES = {"lists": 1200, "dicts": 1200, "generators": 2500, "objects": 2500}
"""What one level of nesting may cost the walker, at most (about 1,150 and 2,100 measured on 3.11).
Python 3.10's generator frames are larger: about 1,370 bytes a level of lists there."""
if sys.version_info < (3, 11):
    LEVEL_BYTES.update(lists=1500, dicts=1500)


def deep_text(kind: str, depth: int) -> str:
    if kind == "lists":
        return "[" * (depth + 1) + "]" * (depth + 1)
    return '{"k": ' * depth + "{}" + "}" * depth


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_a_million_levels_of_lists_and_of_dicts_in_bounded_memory() -> None:
    depth = 1_000_000
    children = {
        kind: subprocess.Popen(
            [
                sys.executable,
                "-c",
                DEPTH_CHILD,
                kind,
                str(depth),
                str(depth * LEVEL_BYTES[kind] + 64 * MiB),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        for kind in ("lists", "dicts")  # both at once: one per core
    }
    for kind, child in children.items():
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err.decode()[-2000:]
        text = deep_text(kind, depth).encode()
        assert out.decode().split() == [str(len(text)), hashlib.sha256(text).hexdigest()]


@pytest.mark.parametrize("kind", ["lists", "dicts", "generators", "objects"])
def test_memory_per_level_of_nesting_is_bounded(kind: str) -> None:
    def nest(depth: int) -> Any:
        value: Any = [] if kind in ("lists", "generators") else {}
        for _ in range(depth):
            if kind == "lists":
                value = [value]
            elif kind == "dicts":
                value = {"k": value}
            elif kind == "generators":
                value = iter([value])
            else:
                value = Object(iter([("k", value)]))
        return value

    def peak(depth: int) -> int:
        # The smaller of two runs: the first at a depth may also grow a cache or a free
        # list once (up to ~100 KB seen), which is not a cost per level.
        value = nest(depth)
        return min(peak_while(lambda: streamjson.dump(value, Discard())) for _ in range(2))

    peaks = [peak(2000), peak(4000)]
    # The walker's stack grows with the depth, by a bounded amount per level.
    assert peaks[1] < 4000 * LEVEL_BYTES[kind], peaks
    assert peaks[1] - peaks[0] < 2000 * LEVEL_BYTES[kind], peaks


def test_an_error_twenty_thousand_levels_down_names_its_path_and_closes_everything() -> None:
    tr = Tracker()
    value: Any = [{1}]
    for i in range(20_000):
        value = tr.gen(str(i), [value]) if i % 200 == 0 else [value]
    with pytest.raises(TypeError, match="not JSON serializable") as info:
        streamjson.dump(value, Discard())
    assert info.value.__notes__ == ["streamjson: when encoding the value at $" + "[0]" * 20_001]
    assert len(tr.started) == 100 and tr.all_closed()


# -- size: 100 MiB strings, 10,000,000 elements ----------------------------------------------------

BIG_STRING = 100 * MiB


def big_string_docs() -> dict[str, tuple[Callable[[str], Any], dict[str, Any]]]:
    return {
        "root": (lambda s: s, {}),
        "in-list": (lambda s: [s], {}),
        "in-dict": (lambda s: {"k": s}, {}),
        "in-generator": (lambda s: iter([s]), {}),
        "in-big-list": (lambda s: [*range(5000), s], {}),
        "non-ascii-utf8": (lambda s: [s], {"ensure_ascii": False}),
        "sorted": (lambda s: {"k": s, "a": 1}, {"sort_keys": True}),
        "in-object": (lambda s: Object([("k", s)]), {}),
        "indented": (lambda s: [s], {"indent": 2}),
        "indented-nested": (lambda s: {"a": [1, {"k": s}]}, {"indent": 2}),
        "record-in-generator": (lambda s: iter([{"id": 1, "k": s}]), {}),
    }


# json's twin of the documents json can't encode itself
PLAIN_TWIN: dict[str, Callable[[str], Any]] = {
    "in-generator": lambda s: [s],
    "in-object": lambda s: {"k": s},
    "record-in-generator": lambda s: [{"id": 1, "k": s}],
}


@pytest.mark.slow
@pytest.mark.parametrize("place", big_string_docs())
def test_a_100_mib_string_is_written_without_tripling_memory(place: str) -> None:
    make, options = big_string_docs()[place]
    text = ("é😀" * (BIG_STRING // 6)) if place == "non-ascii-utf8" else "a" * BIG_STRING
    # The unit: the memory the string's JSON text takes (what the escaping must build).
    unit = sys.getsizeof(json.dumps(text, ensure_ascii=options.get("ensure_ascii", True)))
    doc = make(text)
    sink = Discard()
    peak = peak_while(lambda: streamjson.dump(doc, sink, **options))
    # The escaped text and its encoded bytes are needed at once (2 units at most, less
    # when the bytes are smaller); a third copy is the string tripled.
    assert peak < 2.5 * unit, f"peak {peak / unit:.2f} x the text"
    expected = json.dumps(PLAIN_TWIN.get(place, make)(text), **options).encode()
    assert (sink.size, sink.hash.hexdigest()) == (
        len(expected),
        hashlib.sha256(expected).hexdigest(),
    )


TEN_MILLION = 10_000_000


@pytest.mark.slow
def test_ten_million_elements_are_written_exactly() -> None:
    sink = Discard()
    streamjson.dump(iter(range(TEN_MILLION)), sink)
    expected = hashlib.sha256()
    expected.update(b"[")
    step = 1_000_000
    for start in range(0, TEN_MILLION, step):
        part = ", ".join(map(str, range(start, start + step)))
        expected.update((", " if start else "").encode() + part.encode())
    expected.update(b"]")
    assert sink.hash.hexdigest() == expected.hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("source", ["generator", "list"])
def test_ten_million_elements_in_bounded_memory(source: str) -> None:
    sink = Discard()
    data = itertools.repeat(None, TEN_MILLION) if source == "generator" else [None] * TEN_MILLION
    peak = peak_while(lambda: streamjson.dump(data, sink))
    assert sink.size == 2 + 6 * TEN_MILLION - 2  # "[" "null, " ... "null" "]"
    assert peak < 2 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert sink.writes > 500  # written as it went, in chunks
