"""UTF-8 bytes straight from the C encoder to binary sinks: the same bytes as the str path.

A binary sink whose encoding is UTF-8 (any spelling) gets the walker's chunks as UTF-8
bytes written by the C encoder, with no str made for them; text sinks, ``dumps`` and
``iterencode`` stay str. Every case here compares the bytes a sink got with
``json.dumps(...).encode()``, on both paths: the C encoder's bytes (``utf8=True``) and
the str path (``STREAMJSON_PURE``-like: the walker told not to, or a text sink).
"""

from __future__ import annotations

import asyncio
import codecs
import gzip
import io
import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import streamjson
from streamjson._options import resolve
from streamjson._sinks import open_sink, takes_utf8
from streamjson._walker import Walker
from tests import strategies as sts

native = pytest.mark.skipif(not streamjson.native, reason="needs the C encoder")

# Strings of every kind a str has: ASCII, Latin-1 (1 byte, non-ASCII), BMP (2 bytes),
# astral (4 bytes), and escapes json writes in each mode.
STRINGS = ["plain", "Zoë Ødegård ÿ", "東京 θήτα \u2013 ✓", "🚀 ok 😀", 'q"\\\n\t\x00\x7f\u2028']


def document(n: int = 300) -> list[Any]:
    """Records holding every kind of string, as keys and values, nested and at the top."""
    return [
        {
            "id": i,
            STRINGS[i % 5]: STRINGS[(i + 1) % 5] * (1 + i % 3),
            "nested": {"tags": STRINGS[: 1 + i % 5], "x": i / 7, "none": None, "ok": True},
            "é": [STRINGS[(i + 2) % 5], i],
        }
        for i in range(n)
    ] + STRINGS


OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"ensure_ascii": False},
    {"ensure_ascii": False, "indent": 2},
    {"indent": "\tø", "separators": (" ,", " → ")},
    {"ensure_ascii": False, "indent": "ø", "separators": (",", " → "), "sort_keys": True},
]


def expected(doc: Any, kw: dict[str, Any]) -> bytes:
    return json.dumps(doc, **kw).encode()


@pytest.mark.parametrize("kw", OPTION_SETS, ids=repr)
@pytest.mark.parametrize("chunk_size", [7, 1024, 65536])
def test_the_walker_writes_the_same_bytes_as_its_str_chunks_encoded(
    kw: dict[str, Any], chunk_size: int
) -> None:
    doc = document()
    walker = Walker(resolve(dict(kw), chunk_size))
    text = list(walker.chunks(iter(doc)))
    data = list(walker.chunks(iter(doc), utf8=True))
    assert all(type(c) is str for c in text)
    assert all(type(c) is bytes for c in data) == streamjson.native
    joined = b"".join(c if type(c) is bytes else c.encode() for c in data)
    assert joined == "".join(text).encode() == expected(doc, kw)


@native
@pytest.mark.parametrize("kw", OPTION_SETS, ids=repr)
def test_native_encoder_bytes_equal_its_str_encoded(kw: dict[str, Any]) -> None:
    from streamjson._batches import Batches, _c_text

    batches = Batches(resolve(dict(kw)), Walker(resolve(dict(kw))).layout, True)
    enc = batches.c_encoder()
    for value in [document(20), *STRINGS, {"é": STRINGS}, ["\x80" * 5000, "\uffff" * 3000]]:
        for level in (0, 3):
            text = _c_text(enc, value, False, level)
            data = _c_text(enc, value, False, level, True)
            assert type(data) is bytes and data == text.encode()  # type: ignore[union-attr]


def via_path(tmp_path: Path, doc: Any, kw: dict[str, Any], suffix: str = ".json") -> bytes:
    target = tmp_path / f"out{suffix}"
    streamjson.dump(doc, target, **kw)
    raw = target.read_bytes()
    return gzip.decompress(raw) if suffix == ".gz" else raw


def via_socket(doc: Any, kw: dict[str, Any], blocking: bool) -> bytes:
    a, b = socket.socketpair()
    got: list[bytes] = []

    def read() -> None:
        while data := b.recv(65536):
            got.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        a.setblocking(blocking)
        streamjson.dump(doc, a, **kw)
    finally:
        a.close()
        reader.join()
        b.close()
    return b"".join(got)


def via_async(doc: Any, kw: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    asyncio.run(streamjson.dump_async(doc, out, **kw))
    return out.getvalue()


@pytest.mark.parametrize("kw", OPTION_SETS, ids=repr)
@pytest.mark.parametrize(
    "sink", ["path", "gzip-path", "bytesio", "raw-file", "socket", "nonblocking-socket", "async"]
)
def test_every_binary_sink_gets_json_dumps_bytes(
    tmp_path: Path, sink: str, kw: dict[str, Any]
) -> None:
    doc = document()
    kw = {**kw, "chunk_size": 4096}
    if sink == "path":
        got = via_path(tmp_path, doc, kw)
    elif sink == "gzip-path":
        got = via_path(tmp_path, doc, kw, ".gz")
    elif sink == "bytesio":
        out = io.BytesIO()
        streamjson.dump(doc, out, **kw)
        got = out.getvalue()
    elif sink == "raw-file":
        with open(tmp_path / "raw.json", "wb", buffering=0) as raw:
            streamjson.dump(doc, raw, **kw)
        got = (tmp_path / "raw.json").read_bytes()
    elif sink in ("socket", "nonblocking-socket"):
        got = via_socket(doc, kw, blocking=sink == "socket")
    else:
        got = via_async(doc, kw)
    kw.pop("chunk_size")
    assert got == expected(doc, kw)


@pytest.mark.parametrize("kw", [{}, {"ensure_ascii": False}], ids=repr)
def test_json_lines_and_the_writers_get_the_same_bytes(tmp_path: Path, kw: dict[str, Any]) -> None:
    docs = document(200)
    lines = b"".join(expected(d, kw) + b"\n" for d in docs)
    streamjson.dump_lines(docs, tmp_path / "a.jsonl", **kw)
    assert (tmp_path / "a.jsonl").read_bytes() == lines
    with streamjson.LinesWriter(tmp_path / "b.jsonl", **kw) as writer:
        writer.write_all(iter(docs))
        writer.write(docs[0])
    assert (tmp_path / "b.jsonl").read_bytes() == lines + expected(docs[0], kw) + b"\n"
    with streamjson.ArrayWriter(tmp_path / "c.json", indent=1, **kw) as array:
        array.write(docs[0])
        array.write_all(iter(docs[1:]))
    assert (tmp_path / "c.json").read_bytes() == expected(docs, {"indent": 1, **kw})


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "u8", "utf_8"])
def test_any_spelling_of_utf8_takes_bytes(encoding: str) -> None:
    with open_sink(io.BytesIO(), encoding) as write:
        assert takes_utf8(write)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "latin-1"])
def test_other_encodings_and_text_sinks_keep_the_str_path(tmp_path: Path, encoding: str) -> None:
    with open_sink(io.BytesIO(), encoding) as write:
        assert not takes_utf8(write)
    with open_sink(io.StringIO()) as write:
        assert not takes_utf8(write)
    doc = ["é", "ÿ", {"k": "ø"}]  # what latin-1 has too
    out = io.BytesIO()
    streamjson.dump(doc, out, encoding=encoding, ensure_ascii=False)
    assert out.getvalue() == json.dumps(doc, ensure_ascii=False).encode(encoding)
    wrapped = codecs.getwriter(encoding)(io.BytesIO())
    streamjson.dump(doc, wrapped, ensure_ascii=False)
    assert wrapped.getvalue() == json.dumps(doc, ensure_ascii=False).encode(encoding)


def surrogate_doc(where: str) -> Any:
    """A lone surrogate in a value, a key, a RawJSON, or the indent."""
    doc: list[Any] = [{"i": i, "name": "client é 東京 🚀"} for i in range(400)]
    if where == "value":
        doc[300]["name"] = "bad \ud800 name"
    elif where == "key":
        doc[300]["\udfff"] = 1
    elif where == "raw":
        doc[300]["name"] = streamjson.RawJSON('"\ud800"')
    return doc


@pytest.mark.parametrize("where", ["value", "key", "raw", "indent"])
@pytest.mark.parametrize("sink", ["bytesio", "path"])
def test_a_lone_surrogate_raises_what_the_str_path_raises_and_says_where(
    tmp_path: Path, where: str, sink: str
) -> None:
    doc = surrogate_doc(where)
    kw: dict[str, Any] = {"ensure_ascii": False, "chunk_size": 512}
    if where == "indent":
        kw["indent"] = "\ud800"
    text = streamjson.dumps(doc, **{k: v for k, v in kw.items() if k != "chunk_size"})
    bad = next(i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff")
    out: Any = io.BytesIO() if sink == "bytesio" else tmp_path / "out.json"
    with pytest.raises(UnicodeEncodeError) as info:
        streamjson.dump(doc, out, **kw)
    assert "surrogates not allowed" in str(info.value)
    assert "\ud800" <= info.value.object[info.value.start] <= "\udfff"
    notes = getattr(info.value, "__notes__", [])
    if streamjson.native:
        where_ = f"at byte {len(text[:bad].encode())} of the document"
    else:
        where_ = f"at character {bad} of the document"
    assert notes == [f"streamjson: {where_}"]
    if sink == "bytesio":
        assert text.encode("utf-8", "surrogatepass").startswith(out.getvalue())
    else:
        assert not out.exists()


@native
def test_text_sinks_dumps_and_iterencode_stay_str() -> None:
    doc = document(50)
    assert type(streamjson.dumps(doc, ensure_ascii=False)) is str
    assert all(type(c) is str for c in streamjson.iterencode(doc, chunk_size=64))
    out = io.StringIO()
    streamjson.dump(doc, out, ensure_ascii=False)
    assert out.getvalue() == json.dumps(doc, ensure_ascii=False)


def walked(value: Any, kw: dict[str, Any], utf8: bool) -> tuple[str, Any]:
    """The whole text of ``value`` from the walker as a binary sink gets it (str chunks
    encoded one by one, as a sink encodes them; or UTF-8 bytes), or its error."""
    try:
        data = b""
        for chunk in Walker(resolve(dict(kw), 64)).chunks(value, utf8=utf8):
            data += chunk.encode() if type(chunk) is str else chunk
        return "ok", data
    except Exception as exc:
        return "error", type(exc)


@settings(max_examples=500)
@given(sts.values, sts.options)
def test_random_values_give_the_str_paths_bytes_or_its_error(
    value: Any, options: dict[str, Any]
) -> None:
    text = walked(value, options, utf8=False)
    data = walked(value, options, utf8=True)
    if text[0] == "ok":
        assert data == text
    elif data != text:
        # A lone surrogate and another error in one document: which is met first
        # depends on where chunks end, and the bytes path's, counted in bytes, end
        # elsewhere than the str path's.
        assert text[0] == data[0] == "error" and UnicodeEncodeError in (text[1], data[1])
