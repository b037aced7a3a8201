"""Helpers the test modules share: the drivers every behaviour runs through, the edge cases
and option sets json is compared on, outcomes to compare, records, async sources and sinks.

Test modules import from here (and from ``faults``, ``strategies``, ``cli_oracle``), never
from each other or from ``conftest``, which keeps only fixtures.
"""

from __future__ import annotations

import asyncio
import bz2
import gzip
import importlib.util
import io
import json
import lzma
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import streamjson
from tests import strategies as sts

T = TypeVar("T")

TIMEOUT = 10  # seconds: an async test that would hang fails instead


# -- the drivers ----------------------------------------------------------------------------


def _via_dumps(obj: Any, **kw: Any) -> str:
    return streamjson.dumps(obj, **kw)


def _via_iterencode(obj: Any, **kw: Any) -> str:
    return "".join(streamjson.iterencode(obj, chunk_size=kw.pop("chunk_size", 64), **kw))


def _via_dump_text(obj: Any, **kw: Any) -> str:
    out = io.StringIO()
    streamjson.dump(obj, out, **kw)
    return out.getvalue()


def _via_dump_binary(obj: Any, **kw: Any) -> str:
    out = io.BytesIO()
    streamjson.dump(obj, out, **kw)
    return out.getvalue().decode("utf-8")


# Each takes the document and json.dumps' options (and chunk_size) and returns the text.
DRIVERS: dict[str, Callable[..., str]] = {
    "dumps": _via_dumps,
    "iterencode": _via_iterencode,
    "dump_text": _via_dump_text,
    "dump_binary": _via_dump_binary,
}


# -- what json is compared on ---------------------------------------------------------------

EDGE_CASES: list[Any] = [
    None,
    True,
    False,
    0,
    -0.0,
    1e16,
    5e-324,
    1.7976931348623157e308,
    10**300,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    "\ud800",
    "😀",
    "\u2028\u2029",
    "é" * 3,
    [],
    {},
    (),
    [[]],
    [{}],
    {"": []},
    {2: 2, 1.5: 3, True: 4, None: 5, False: 6},
    [sts.IntSub(3), sts.FloatSub(2.5), sts.StrSub("x"), sts.Color.RED, sts.Ratio.HALF],
    {sts.StrSub("k"): sts.IntSub(1), sts.IntSub(2): 0, sts.FloatSub(0.5): 1},
    {"a": {"b": {"c": [1, [2, [3, {"d": ()}]]]}}},
    list(range(5000)),
    {str(i): i for i in range(5000)},
    [{"id": i, "tags": ["x", "é"], "n": {"v": i / 3}} for i in range(3000)],
]

OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"indent": 2},
    {"indent": 0},
    {"indent": "\t"},
    {"indent": "\n"},
    {"sort_keys": True},
    {"ensure_ascii": False},
    {"separators": (",", ":")},
    {"separators": ("\n", "\n")},
    {"indent": 3, "separators": (" ,", " : "), "sort_keys": True, "ensure_ascii": False},
    {"allow_nan": False},
    {"allow_nan": False, "indent": 1},
    {"check_circular": False},
    {"skipkeys": True},
    {"default": repr},
]


# -- outcomes -------------------------------------------------------------------------------

Outcome = tuple[str, Any]


def outcome(fn: Callable[[], Any], *, notes: bool = False) -> Outcome:
    """What ``fn()`` does, as a value two calls that do the same thing compare equal by:
    ``("ok", result)``, or ``("error", (type, message))`` (with ``notes``: ``(type,
    message, notes)``) for the exception it raised. A SystemError, an interpreter-level
    failure, is never an outcome: it fails the test."""
    try:
        return "ok", fn()
    except Exception as exc:  # the point is to compare what each raises
        assert not isinstance(exc, SystemError), exc
        if notes:
            return "error", (type(exc), str(exc), getattr(exc, "__notes__", None))
        return "error", (type(exc), str(exc))


# -- values that raise or lie --------------------------------------------------------------


class Lie(Exception):
    """What hostile methods raise."""


def lie(*args: Any) -> Any:
    raise Lie("hostile method")


def raising(base: type, *names: str) -> type:
    """A subclass of ``base`` whose methods ``names`` raise Lie."""
    return type(f"Raising{base.__name__.title()}", (base,), {n: lie for n in names})


class Opaque:
    """Not JSON: json calls default(); its __str__, __repr__, __float__... raise."""

    __str__ = __repr__ = __float__ = __int__ = __index__ = __iter__ = __format__ = lie


class Upper(json.JSONEncoder):
    """An encoder subclass that changes the text: upper case."""

    def encode(self, o: Any) -> str:
        return super().encode(o).upper()


# -- compressed files -----------------------------------------------------------------------


def zstd_open(path: Any, mode: str = "rb", **kw: Any) -> Any:
    """A .zst file opened as ``gzip.open`` opens a .gz one, with the zstandard package;
    read through every frame (its reader stops after the first unless told)."""
    import zstandard

    raw = open(path, mode.replace("t", "").replace("b", "") + "b")
    stream: Any
    if "r" in mode:
        stream = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
    else:
        stream = zstandard.ZstdCompressor().stream_writer(raw, closefd=True)
    return io.TextIOWrapper(stream, **kw) if "t" in mode else stream


OPENERS: dict[str, Callable[..., Any]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
    ".zst": zstd_open,
}
"""How a test reads (or writes) each compressed suffix, independently of streamjson."""


# -- sources --------------------------------------------------------------------------------


def record(i: int, tag: Any = 0) -> dict[str, Any]:
    """A realistic record: text (some non-ASCII), numbers, booleans, null, a list, an object."""
    return {
        "tag": tag,
        "id": i,
        "name": f"customer {i}",
        "email": f"c{i}@example.com",
        "city": "Zürich",
        "score": i / 7,
        "active": i % 2 == 0,
        "tags": ["a", "é"],
        "note": None,
        "address": {"street": "Main St", "zip": 1000 + i % 999},
        "total": i * 3,
    }


def records(n: int, tag: Any = 0) -> Iterator[dict[str, Any]]:
    """``n`` records, generated one at a time (tagged, to tell writers' records apart)."""
    return (record(i, tag) for i in range(n))


class CountingSource:
    """Iterates over ``items``, counting how many were read."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items
        self.read = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.read += 1
            yield item


async def aiterate(items: Iterable[T], pause: bool = True) -> AsyncIterator[T]:
    """``items`` from an async generator; with ``pause`` it yields to the event loop before
    each item, as a real async source would."""
    for item in items:
        if pause:
            await asyncio.sleep(0)
        yield item


# -- sinks ----------------------------------------------------------------------------------


async def text_of(chunks: AsyncIterator[str]) -> str:
    """The text of an async iterator of chunks."""
    return "".join([chunk async for chunk in chunks])


class AsyncBytes:
    """An async writer of bytes, like aiohttp's StreamResponse: ``await write(bytes)``."""

    def __init__(self) -> None:
        self.data = b""

    async def write(self, data: bytes) -> None:
        assert isinstance(data, bytes)
        self.data += data


class CountingSink:
    """A binary sink that counts what it is given and keeps nothing."""

    def __init__(self) -> None:
        self.size = 0
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self.writes += 1


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """``examples/NAME.py`` imported as a module (its ``main`` is not run)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def run_example(name: str, *args: str, cwd: Path, timeout: float) -> str:
    """Run ``python examples/NAME.py ARGS`` as a user would; its output, once it succeeded."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
