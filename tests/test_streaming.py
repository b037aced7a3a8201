"""Beyond json: lazy values, deep documents, progressive output."""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import ijson
import pytest

import streamjson
from streamjson import Object


def test_generators_and_iterators_are_arrays(encode: Callable[..., str]) -> None:
    doc = {
        "gen": (i * i for i in range(4)),
        "map": map(str, range(3)),
        "filter": filter(None, [0, 1, 2]),
        "iter": iter([{"a": 1}]),
        "nested": iter([iter([iter([])]), range(2).__iter__()]),
    }
    assert encode(doc) == json.dumps(
        {
            "gen": [0, 1, 4, 9],
            "map": ["0", "1", "2"],
            "filter": [1, 2],
            "iter": [{"a": 1}],
            "nested": [[[]], [0, 1]],
        }
    )


def test_generator_at_the_root_with_options(encode: Callable[..., str]) -> None:
    rows = [{"b": i, "a": [i, "é"]} for i in range(50)]
    for kw in ({}, {"indent": 2}, {"sort_keys": True, "separators": (",", ":")}):
        assert encode(iter(rows), **kw) == json.dumps(rows, **kw)


def test_mappings_are_objects(encode: Callable[..., str]) -> None:
    proxy = types.MappingProxyType({"x": 1, "y": [1, 2]})
    assert encode(proxy) == '{"x": 1, "y": [1, 2]}'
    assert encode(OrderedDict(b=1, a=2), sort_keys=True) == '{"a": 2, "b": 1}'


def test_object_encodes_pairs_lazily_like_a_dict(encode: Callable[..., str]) -> None:
    pairs = [("a", 1), (2, [3]), (None, {"z": Object(iter([]))}), (1.5, True)]
    expected = json.dumps(dict([*pairs[:2], (None, {"z": {}}), (1.5, True)]), indent=1)
    assert encode(Object(iter(pairs)), indent=1) == expected


def test_object_keeps_duplicate_keys_and_sorts_by_key_only(encode: Callable[..., str]) -> None:
    assert encode(Object([("b", 1), ("a", {1}), ("b", 2)]), default=sorted) == (
        '{"b": 1, "a": [1], "b": 2}'
    )
    # with sort_keys the pairs are sorted by key (stable), never by value
    assert encode(Object([("b", 1), ("a", object()), ("a", 0)]), sort_keys=True, default=str)[
        :7
    ] == ('{"a": "')


def test_object_rejects_non_pairs() -> None:
    with pytest.raises(TypeError, match=r"expects \(key, value\) pairs, got int") as info:
        streamjson.dumps({"o": Object([("a", 1), 5])})
    assert "streamjson: when encoding the value at $.o" in info.value.__notes__[0]


def test_object_keys_follow_dict_key_rules() -> None:
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None, not tuple"):
        streamjson.dumps(Object([((1,), 2)]))
    assert streamjson.dumps(Object([((1,), 2), ("a", 1)]), skipkeys=True) == '{"a": 1}'


def test_iterators_are_consumed_lazily_and_only_once() -> None:
    pulled: list[int] = []

    def source() -> Iterator[int]:
        for i in range(100_000):
            pulled.append(i)
            yield i

    chunks = streamjson.iterencode(source(), chunk_size=1024)
    first = next(chunks)
    assert first.startswith("[0, 1, 2")
    assert len(pulled) < 5000  # nowhere near the whole source
    rest = "".join(chunks)
    assert json.loads(first + rest) == list(range(100_000))
    assert len(pulled) == 100_000


def test_chunks_are_about_chunk_size() -> None:
    chunks = list(
        streamjson.iterencode(({"i": i, "s": "x" * 20} for i in range(20_000)), chunk_size=4096)
    )
    assert len(chunks) > 50
    assert all(len(c) <= 3 * 4096 for c in chunks)
    assert sum(len(c) >= 4096 for c in chunks) >= len(chunks) - 2


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 100_000
    deep: Any = []
    for _ in range(depth):
        deep = [deep]
    text = streamjson.dumps(deep)
    assert text == "[" * (depth + 1) + "]" * (depth + 1)
    deep_dict: Any = {}
    for _ in range(depth):
        deep_dict = {"k": deep_dict}
    chunks = list(streamjson.iterencode(deep_dict))
    assert "".join(chunks).count('"k"') == depth


def test_deep_nesting_still_detects_cycles() -> None:
    root: list[Any] = []
    node = root
    for _ in range(10_000):
        child: list[Any] = []
        node.append(child)
        node = child
    node.append(root)
    with pytest.raises(ValueError, match="Circular reference detected"):
        streamjson.dumps(root)


def test_without_check_circular_a_cycle_is_a_recursion_error_as_in_json() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(RecursionError):
        json.dumps(loop, check_circular=False)
    with pytest.raises(RecursionError):
        streamjson.dumps(loop, check_circular=False)
    with pytest.raises(RecursionError):
        streamjson.dumps([iter([loop])], check_circular=False)


def test_a_generator_that_yields_itself_is_circular() -> None:
    def selfish() -> Iterator[Any]:
        yield me

    me = selfish()
    with pytest.raises(ValueError, match="Circular reference detected"):
        streamjson.dumps([me])


def test_default_may_return_streamed_values() -> None:
    assert streamjson.dumps({"s": {3, 1}}, default=lambda o: iter(sorted(o))) == '{"s": [1, 3]}'
    assert streamjson.dumps([{1}], default=lambda o: Object((str(x), x) for x in o), indent=1) == (
        '[\n {\n  "1": 1\n }\n]'
    )


def test_raw_json_is_written_verbatim() -> None:
    raw = streamjson.RawJSON('{"cached": [1.10]}')
    assert streamjson.dumps([raw, iter([raw])], indent=1) == (
        '[\n {"cached": [1.10]},\n [\n  {"cached": [1.10]}\n ]\n]'
    )
    with pytest.raises(TypeError, match="RawJSON text must be str"):
        streamjson.RawJSON(b"1")  # type: ignore[arg-type]


def test_json_reading_api_is_reexported() -> None:
    assert streamjson.loads('{"a": [1]}') == {"a": [1]}
    assert streamjson.load(io.StringIO("[]")) == []
    assert streamjson.JSONDecodeError is json.JSONDecodeError
    assert streamjson.JSONEncoder is json.JSONEncoder
    assert streamjson.JSONDecoder is json.JSONDecoder


def test_all_lists_exactly_the_public_names() -> None:
    public = {n for n in dir(streamjson) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(streamjson, n), types.ModuleType)}
    assert set(streamjson.__all__) == public - modules


def test_progressive_output_reaches_an_ijson_reader_before_the_source_ends() -> None:
    """A reader on the other end of a socket pair parses records while we still produce."""
    producer_sock, reader_sock = socket.socketpair()
    produced = 0
    first_record_seen_at: list[int] = []
    seen = threading.Event()

    def records() -> Iterator[dict[str, Any]]:
        nonlocal produced
        for i in range(200_000):
            produced = i
            if i == 150_000:
                # Do not finish until the reader has parsed something (or give up).
                seen.wait(timeout=30)
            yield {"id": i, "name": f"r{i}"}

    def read() -> None:
        with reader_sock, reader_sock.makefile("rb") as f:
            for item in ijson.items(f, "item"):
                if not first_record_seen_at:
                    first_record_seen_at.append(produced)
                    seen.set()
                last = item
        assert last["id"] == 199_999

    reader = threading.Thread(target=read)
    reader.start()
    try:
        streamjson.dump(records(), producer_sock)
    finally:
        producer_sock.close()
    reader.join(timeout=60)
    assert first_record_seen_at and first_record_seen_at[0] < 150_000


def test_binary_sink_gets_bytes_as_the_source_is_read() -> None:
    class Recorder(io.BytesIO):
        def __init__(self) -> None:
            super().__init__()
            self.sizes_at: list[int] = []

        def write(self, b: Any) -> int:
            self.sizes_at.append(state["n"])
            return super().write(b)

    state = {"n": 0}

    def source() -> Iterator[int]:
        for i in range(300_000):
            state["n"] = i
            yield i

    sink = Recorder()
    streamjson.dump(source(), sink, chunk_size=8192)
    assert sink.sizes_at[0] < 10_000
    assert len(sink.sizes_at) > 100
    assert json.loads(sink.getvalue()) == list(range(300_000))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note is 3.11+")
def test_notes_do_not_change_the_message() -> None:
    with pytest.raises(TypeError) as info:
        streamjson.dumps({"users": [{"tags": {1}}]})
    assert str(info.value) == "Object of type set is not JSON serializable"
    assert info.value.__notes__ == ["streamjson: when encoding the value at $.users[0].tags"]


def test_an_array_never_reads_past_an_item_that_may_hold_lazy_values() -> None:
    """groupby groups, and generators over one shared cursor, need their turn."""
    import itertools

    data = [1, 1, 2, 3, 3, 3] * 50
    groups = [list(g) for _, g in itertools.groupby(data)]
    assert streamjson.dumps(g for _, g in itertools.groupby(data)) == json.dumps(groups)
    records = ({"key": k, "group": g} for k, g in itertools.groupby(data))
    expected = [{"key": g[0], "group": g} for g in groups]
    assert "".join(streamjson.iterencode(records, indent=1)) == json.dumps(expected, indent=1)

    tokens = iter(["[", 1, 2, "]", "[", 3, "]", "end"])

    def arrays() -> Iterator[Iterator[Any]]:
        while next(tokens) != "end":
            yield items()

    def items() -> Iterator[Any]:
        while (token := next(tokens)) != "]":
            yield token

    assert streamjson.dumps(arrays()) == "[[1, 2], [3]]"


def test_fallbacks_do_not_keep_tracebacks_alive() -> None:
    """Each fallback raises a fresh exception: nothing it saw outlives the call."""
    import gc
    import weakref

    class Item:
        pass

    items = [Item() for _ in range(300)]
    refs = [weakref.ref(i) for i in items]
    # default() hands back a generator, which sends each batch back to the walker
    text = "".join(streamjson.iterencode(iter(items), default=lambda o: iter([1])))
    assert text == json.dumps([[1]] * 300)
    del items
    gc.collect()
    assert all(ref() is None for ref in refs)
