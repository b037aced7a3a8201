"""The command on hostile input (issue 18): json's verdict on every byte, any depth in
bounded memory and linear time, numbers of any size without quadratic conversions,
error lines that never split a character."""

from __future__ import annotations

import gzip
import io
import json
import json.encoder
import json.scanner
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]
import pytest

import streamjson
from streamjson.cli._input import READ_SIZE, ParserInput
from tests.cli_oracle import ERROR_LINE, LINES, check_same_as_json, measured, run_cli

MIB = 1024  # ru_maxrss is in KiB

# Every mode of the command: options, and what the input must look like for it.
MODES: dict[str, list[str]] = {
    "plain": [],
    "compact": ["--compact"],
    "sort-keys": ["--sort-keys"],
    "json-lines": ["--json-lines", "--compact"],
    "from-lines": ["--from-lines"],
    "to-lines": ["--to-lines=item"],
    "to-lines-prefix": ["--to-lines=item.item"],
}


def run_child(*args: Any) -> tuple[int, bytes, bytes, float, int]:
    """Status, stdout, stderr, wall seconds and peak RSS (KiB) of the command."""
    return measured([sys.executable, "-m", "streamjson", *map(str, args)])


def deep(kind: str, depth: int, closed: bool = True) -> str:
    """``depth`` levels of arrays, objects or both, the innermost holding 1."""
    unit, close = {"arrays": ("[", "]"), "objects": ('{"k":', "}"), "both": ('[{"k":', "}]")}[kind]
    n = depth // (2 if kind == "both" else 1)
    return unit * n + "1" + (close * n if closed else "")


def json_answer(text: str, **kw: Any) -> str:
    """json.dumps(json.loads(text)) at any depth: json's pure-Python scanner and encoder
    (its C ones stop at a fixed C recursion limit from 3.12), on a thread with a big stack."""
    result: list[str] = []

    def work() -> None:
        decoder = json.JSONDecoder()
        decoder.scan_once = json.scanner.py_make_scanner(decoder)
        value = decoder.decode(text)
        saved = json.encoder.c_make_encoder
        json.encoder.c_make_encoder = None  # type: ignore[attr-defined]
        try:
            result.append(json.dumps(value, **kw))
        finally:
            json.encoder.c_make_encoder = saved  # type: ignore[attr-defined]

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    threading.stack_size(1024 * 1024 * 1024)
    try:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    return result[0]


# -- json's verdict -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b'[]"',
        b'1"abc',
        b'[1,2] "never closed',
        b'{} "\\',
        b'[] "\\u12',
        b"[1,\f2]",
        b"[\v1]",
        b"false \f",
        b"{}\v",
        b"\f[]",
        b'["\\\\ud83d\\ude00"]',
        b'[[10000000000000000000000],"\xc3\xa9\\udbff"]',
        b'[[1.318e309],{"":[  \n\t false],"\xc2\xa0\\udbff\xc3\xa9\\ud83d\\ude00a":{}}]',
        b'["\\\\\\ud800", "\\\\\\\\ud800", "\\ud800\\\\udc00"]',
        b"[1E+99999999999999999999]",
        b"[-1e-99999999999999999999, 0e99999999999999999999, 1e000000000005]",
        b"[1.5e-0000000000000000000000001, -0.0e99999999999999999999]",
        b'["1e99999999999999999999", "' + b"7" * 700 + b'"]',
        b"[" + b"1" * 700 + b".5, -" + b"2" * 700 + b"e-3]",
        b"[0" + b"1" * 700 + b"]",
        b"[1.2.3" + b"4" * 700 + b"]",
        b" 9e9999999999999999999-" + b"9" * 700 + b" ",  # found by the fuzz: two numbers
        b"[1e99999999999-1, 7]",
        b'["' + b"\\\\" * 70_000 + b'\\ud800", "' + b"5" * 140_000 + b'",'
        b" 0." + b"0" * 140_000 + b"1]",  # runs longer than a read
    ],
    ids=lambda v: repr(v)[:40],
)
@pytest.mark.parametrize("options", [(), ("--compact",), ("--no-indent", "--sort-keys")])
def test_json_verdict_and_bytes(text: bytes, options: tuple[str, ...], tmp_path: Path) -> None:
    check_same_as_json(text, options, tmp_path)


@pytest.mark.parametrize("mode", ["json-lines", "from-lines", "to-lines"])
@pytest.mark.parametrize(
    "text", [b'[]"', b"[1]\f", b'[1] "x', b"[1,\v2]", b'{"a": "b\\', b'["' + b"7" * 700 + b"\\"]
)
def test_json_lines_modes_refuse_what_json_refuses(mode: str, text: bytes, tmp_path: Path) -> None:
    status, out, err = run_cli(text, tuple(MODES[mode]), tmp_path)
    assert (status, out) == (1, None)
    assert ERROR_LINE.match("streamjson: error: " + err.split("streamjson: error: ")[-1])


@pytest.mark.parametrize(
    "text",
    [b"[]1", b"1-1", b"[][]", b'"a""b"', b"truefalse", b"nulltrue", b"{}[]", b"012", b"-01",
     b'"x"[1]', b'[1]"x"', b'{"a":"}{"}\n{"b":1}{}', b"1 2\n3" + b"4" * 700 + b"[]"],
)  # fmt: skip
def test_json_lines_refuse_values_back_to_back(text: bytes, tmp_path: Path) -> None:
    check_same_as_json(text, LINES, tmp_path)
    status, out, err = run_cli(text, ("--from-lines",), tmp_path)
    assert (status, out) == (1, None)
    assert "expected whitespace between two JSON values" in err


def test_exact_numbers_keep_any_exponent(tmp_path: Path) -> None:
    text = b"[1E+99999999999999999999,-1e-99999999999999999999,0e99999999999999999999]"
    status, out, err = run_cli(text, ("--exact-numbers", "--compact"), tmp_path)
    assert (status, out, err) == (0, text + b"\n", "")


def test_the_error_context_never_splits_a_character(tmp_path: Path) -> None:
    for text, shown in (
        (b"[1\xc2\xa0]", "after '[1\\xa0'"),
        (b'["\xe2\x82\xac" \xe2\x82\xac]', "after '[\"\u20ac\" \u20ac'"),
        (b"[1, \xf0\x9f\x98\x80]", "after '[1, \U0001f600'"),
        (b'["' + "\u20ac".encode() * 12 + b'" x]', "\u20ac\" x'"),
        (b'["a", \xe2\x82', "after '[\"a\", '"),
    ):
        status, _, err = run_cli(text, (), tmp_path)
        assert status == 1
        assert shown in err, err
        assert "\ufffd" not in err


# -- depth ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["arrays", "objects", "both"])
def test_10000_levels_give_json_bytes(kind: str, tmp_path: Path) -> None:
    text = deep(kind, 10_000)
    for options, kw in (
        ([], {"indent": 4}),
        (["--compact", "--sort-keys"], {"separators": (",", ":"), "sort_keys": True}),
    ):
        status, out, err = run_cli(text.encode(), tuple(options), tmp_path)
        assert (status, err) == (0, "")
        assert out == (json_answer(text, **kw) + "\n").encode()
    lines = (deep(kind, 10_000) + "\n") * 2
    status, out, err = run_cli(lines.encode(), ("--json-lines", "--compact"), tmp_path)
    assert (status, out) == (0, (text + "\n").encode() * 2)
    inner = deep(kind, 9_998)  # in an array: 10,000 levels in all
    status, out, err = run_cli(("[" + inner + "]").encode(), ("--to-lines=item",), tmp_path)
    assert (status, out) == (0, (json_answer(inner, separators=(", ", ": ")) + "\n").encode())


def write_input(path: Path, text: str, compressed: bool) -> Path:
    if compressed:
        path = path.with_suffix(".json.gz")
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "unclosed"])
@pytest.mark.parametrize("mode", [*MODES, "gzip"])
def test_100000_levels_are_refused_in_one_line_in_bounded_memory(
    mode: str, closed: bool, tmp_path: Path
) -> None:
    text = deep("both", 100_000, closed)
    if mode.startswith("to-lines"):
        text = "[" + text + ("]" if closed else "")
    source = write_input(tmp_path / "deep.json", text, mode == "gzip")
    status, _, err, wall, rss = run_child(*MODES.get(mode, []), source, tmp_path / "out.json")
    assert status == 1
    assert ERROR_LINE.match(err.decode()), err
    assert "more than 10000 levels of nesting" in err.decode() and "--max-depth" in err.decode()
    assert rss < 100 * MIB
    assert wall < 10
    assert not (tmp_path / "out.json").exists()


def test_max_depth_raises_the_limit(tmp_path: Path) -> None:
    text = deep("arrays", 100_000)
    source = write_input(tmp_path / "deep.json", text, False)
    status, out, err, wall, rss = run_child("--compact", "--max-depth", "100000", source)
    assert (status, out, err) == (0, (text + "\n").encode(), b"")
    assert wall < 10
    assert rss < 300 * MIB  # about 2 KiB a level, as --help says


@pytest.mark.parametrize("mode", ["plain", "to-lines-prefix", "to-lines-elsewhere"])
def test_max_depth_counts_every_level_in_every_mode(mode: str, tmp_path: Path) -> None:
    # --to-lines must refuse nesting outside its prefix too, as json.loads does.
    options = {"to-lines-prefix": ("--to-lines=y",), "to-lines-elsewhere": ("--to-lines=z",)}
    for depth, status in ((3, 0), (4, 1)):
        inner = "[" * (depth - 1) + "]" * (depth - 1)
        text = f'{{"x": {inner}, "y": {inner}, "z": 1}}'.encode()
        got, _, err = run_cli(text, (*options.get(mode, ()), "--max-depth", "3"), tmp_path)
        assert got == status, err
        if status:
            assert "more than 3 levels of nesting" in err


def test_3000_levels_indented_under_100_mib(tmp_path: Path) -> None:
    source = write_input(tmp_path / "deep.json", deep("both", 3_000), False)
    status, out, err, _, rss = run_child(source)
    assert (status, err) == (0, b"")
    assert len(out) > 30_000_000  # the indentation alone: the output grows as depth²
    assert rss < 100 * MIB


def test_iterencode_events_is_linear_in_memory_at_any_depth() -> None:
    backend = ijson.get_backend("yajl2_c")

    def peak(depth: int) -> int:
        text = deep("both", depth).encode()
        tracemalloc.start()
        try:
            for _ in streamjson.iterencode_events(backend.basic_parse(text), indent=2):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(5_000), peak(20_000)
    assert large < 5 * small  # 4x the depth: about 4x the memory, not 16x


# -- numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [*MODES, "gzip", "exact"])
def test_a_2_million_digit_integer_is_written_as_read(mode: str, tmp_path: Path) -> None:
    digits = "7" * 2_000_000
    text = "[" + digits + "]" if mode != "json-lines" and mode != "from-lines" else digits
    if mode == "to-lines-prefix":
        text = "[[" + digits + "]]"
    source = write_input(tmp_path / "big.json", text, mode == "gzip")
    options = ["--exact-numbers"] if mode == "exact" else MODES.get(mode, [])
    status, out, err, wall, rss = run_child(*options, source)
    assert (status, err) == (0, b"")
    assert out.replace(b" ", b"").replace(b"\n", b"").strip(b"[]") == digits.encode()
    assert wall < 15
    assert rss < 100 * MIB


@pytest.mark.parametrize(
    "run",
    [b'["' + b"1" * 4_000_000 + b'"]', b"[" + b"2" * 4_000_000 + b"]",
     b'["' + b"\\\\" * 2_000_000 + b'"]'],
    ids=["digits-in-a-string", "a-number", "backslashes"],
)  # fmt: skip
def test_a_run_held_back_is_gone_over_a_bounded_number_of_times(run: bytes) -> None:
    # The parser's input holds back the end of each chunk that may go on (number bytes,
    # backslashes); the bytes it holds are copied and scanned again with the next read.
    # Counted, not timed: over the whole input they must add up to a few times its
    # size (they grew as its square: about 120 times here).
    held: list[int] = []

    class Stream(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            held.append(len(inp.held))
            return super().read(size)

    inp = ParserInput(Stream(run))
    while inp.read(READ_SIZE):
        pass
    assert inp.offset == len(run)  # every byte was handed over
    assert sum(held) < 3 * len(run)


def test_long_numbers_take_linear_time(tmp_path: Path) -> None:
    times: list[float] = []
    for n in (200_000, 800_000):
        status, out, _, wall, _ = run_child(write_input(tmp_path / "n.json", "-" + "3" * n, False))
        assert (status, len(out)) == (0, n + 2)
        times.append(wall)
    assert times[1] < 3 + 2 * times[0]  # 4x the digits; int() would take 16x
