"""The ``streamjson`` command, driven in a subprocess like a user would (``python -m streamjson``).

Differential against ``python -m json.tool`` for valid input; conversions; errors,
exit statuses and the atomic OUTFILE; Ctrl-C; memory that does not follow the file.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from streamjson import _events
from streamjson.cli._documents import backend
from streamjson.cli._input import ParserInput
from streamjson.cli._surrogates import restore_surrogates
from tests.cli_oracle import ENV, ERROR_LINE
from tests.helpers import EDGE_CASES, OPENERS


def streamjson_cmd(
    *args: Any, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "streamjson", *map(str, args)],
        input=stdin,
        capture_output=True,
        env=ENV,
        cwd=cwd,
        timeout=120,
    )


def json_tool(*args: Any, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    argv = list(map(str, args))
    if "--json-lines" in argv and sys.version_info[:3] == (3, 13, 0) and stdin is None:
        # 3.13.0's json.tool fails on --json-lines INFILE ("I/O operation on closed
        # file", a CPython bug fixed in 3.13.1): give it the file on standard input.
        infile = Path(argv.pop(next(i for i, a in enumerate(argv) if Path(a).is_file())))
        stdin = infile.read_bytes()
    return subprocess.run(
        [sys.executable, "-m", "json.tool", *argv],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def documents(*, lone_surrogates: bool = True) -> list[str]:
    """Valid JSON texts, one a line: the core's edge cases and reading edge cases."""
    docs = []
    for value in EDGE_CASES:
        try:
            docs.append(json.dumps(value, allow_nan=False))
        except ValueError:  # NaN and Infinity are not JSON
            continue
    docs += [
        '{"a": 1, "b": 2, "a": 3}',
        "[1E2, 1.0e5, -0, -0.0, 1e400, -1e400, 1e-400, 0.1, 123456789012345678901234567890]",
        '{"\\u00e9": "\\u2028", "x": "\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u0000": "\\ud83d\\ude00"}',
        '"\U0010f800 \U0010ffff \\udbfe\\udc00"',  # where lone surrogates are hidden
        ' {"sp" :\t[ 1 ,2 ] , "e" : { } }',
        json.dumps({"records": [{"id": i, "v": [i / 7, str(i)]} for i in range(3000)]}),
    ]
    if lone_surrogates:
        docs += [
            '"\\ud800"',
            '["\\udfff\\ud800", "\\ud800\\u0041", {"\\udc00": "\\udbff\\\\udfff"}]',
        ]
    return [d for d in docs if lone_surrogates or ("\\ud800" not in d and "\\udfff" not in d)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    files = {}
    for name, docs in [("all", documents()), ("utf8", documents(lone_surrogates=False))]:
        array = folder / f"{name}.json"
        array.write_text("[" + ",\n".join(docs) + "]\n", encoding="utf-8")
        lines = folder / f"{name}.jsonl"
        lines.write_text("\n".join(docs) + "\n", encoding="utf-8")
        files[name] = array
        files[name + "-lines"] = lines
    return files


OPTION_SETS = [
    [],
    ["--indent", "2"],
    ["--indent", "0"],
    ["--tab"],
    ["--no-indent"],
    ["--compact"],
    ["--sort-keys"],
    ["--indent", "7", "--sort-keys"],
    ["--compact", "--sort-keys"],
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=" ".join)
@pytest.mark.parametrize("lines", [False, True], ids=["document", "json-lines"])
def test_same_bytes_as_json_tool(corpus: dict[str, Path], options: list[str], lines: bool) -> None:
    args = [*options, "--json-lines", corpus["all-lines"]] if lines else [*options, corpus["all"]]
    expected = json_tool(*args)
    assert expected.returncode == 0, expected.stderr
    got = streamjson_cmd(*args)
    assert (got.returncode, got.stderr) == (0, b"")
    assert got.stdout == expected.stdout


@pytest.mark.parametrize("options", [["--no-ensure-ascii"], ["--no-ensure-ascii", "--compact"]])
def test_same_bytes_as_json_tool_without_ensure_ascii(
    corpus: dict[str, Path], options: list[str], tmp_path: Path
) -> None:
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    assert json_tool(*options, corpus["utf8"], theirs).returncode == 0
    assert streamjson_cmd(*options, corpus["utf8"], ours).returncode == 0
    assert ours.read_bytes() == theirs.read_bytes()


def test_a_lone_surrogate_cannot_be_written_as_utf8_by_either(tmp_path: Path) -> None:
    doc = tmp_path / "in.json"
    doc.write_text('["\\ud800"]')
    assert json_tool("--no-ensure-ascii", doc).returncode == 1
    got = streamjson_cmd("--no-ensure-ascii", doc)
    assert got.returncode == 1
    assert ERROR_LINE.match(got.stderr.decode()) and b"surrogates not allowed" in got.stderr


@pytest.mark.parametrize(
    "text", ["1", '"x"', "null", " \n\t[ ]\r\n", "{}", '{"a": {"b": []}}', "-0.0", "1e400"]
)
def test_single_documents_like_json_tool(text: str) -> None:
    expected = json_tool(stdin=text.encode())
    got = streamjson_cmd(stdin=text.encode())
    assert (got.returncode, got.stdout) == (0, expected.stdout)


def test_outfile_and_infile_the_same_file_reformats_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text('{"b": [1, 2], "a": null}')
    assert streamjson_cmd("--sort-keys", doc, doc).returncode == 0
    assert doc.read_text() == '{\n    "a": null,\n    "b": [\n        1,\n        2\n    ]\n}\n'


@pytest.mark.parametrize("suffix", list(OPENERS))
def test_compressed_files_by_suffix(corpus: dict[str, Path], tmp_path: Path, suffix: str) -> None:
    opener = OPENERS[suffix]
    packed = tmp_path / ("in.json" + suffix)
    with opener(packed, "wb") as f:
        f.write(corpus["all"].read_bytes())
    out = tmp_path / ("out.json" + suffix)
    got = streamjson_cmd("--compact", packed, out)
    assert got.returncode == 0, got.stderr
    with opener(out, "rb") as f:
        assert f.read() == json_tool("--compact", corpus["all"]).stdout


def test_a_damaged_compressed_file_exits_1(tmp_path: Path) -> None:
    packed = gzip.compress(b"[" + b"1, " * 100_000 + b"2]")
    doc = tmp_path / "cut.json.gz"
    doc.write_bytes(packed[: len(packed) // 2])
    got = streamjson_cmd(doc, tmp_path / "out.json")
    assert got.returncode == 1
    assert got.stderr.decode() == (
        f"streamjson: error: {doc}: cannot read: "
        "Compressed file ended before the end-of-stream marker was reached\n"
    )
    assert not (tmp_path / "out.json").exists()


def test_dash_means_standard_streams() -> None:
    got = streamjson_cmd("--compact", "-", "-", stdin=b'{"a": [1, 2]}')
    assert (got.returncode, got.stdout) == (0, b'{"a":[1,2]}\n')


def test_json_lines_reads_any_whitespace_separated_values() -> None:
    # json.tool refuses blank lines and documents that span lines; streamjson does not.
    got = streamjson_cmd("--json-lines", "--compact", stdin=b'{"a": 1}\n\n[1,\n 2] 3\n')
    assert (got.returncode, got.stdout) == (0, b'{"a":1}\n[1,2]\n3\n')
    empty = streamjson_cmd("--json-lines", stdin=b"")
    assert (empty.returncode, empty.stdout) == (
        json_tool("--json-lines", stdin=b"").returncode,
        b"",
    )


# -- big values and numbers among small ones ---------------------------------------------


def mixed_values(big_at: int) -> list[str]:
    values = [json.dumps({"id": i, "v": [i, i / 3, "é"]}) for i in range(2_000)]
    values[big_at] = json.dumps({"big": ["x" * 100] * 6000, "n": 1})
    values[big_at + 5] = "[1e400, -1e999, 1e-400]"
    values[big_at + 9] = "[123456789012345678901234567890, -9223372036854775809]"
    return values


@pytest.mark.parametrize("big_at", [0, 1_000])
@pytest.mark.parametrize("options", [[], ["--compact", "--sort-keys"]])
def test_big_values_and_big_numbers_among_small_ones_like_json_tool(
    tmp_path: Path, big_at: int, options: list[str]
) -> None:
    values = mixed_values(big_at)
    doc, lines = tmp_path / "doc.json", tmp_path / "doc.jsonl"
    doc.write_text("[" + ",\n".join(values) + "]")
    lines.write_text("\n".join(values) + "\n")
    for args in ([doc], ["--json-lines", lines]):
        got = streamjson_cmd(*options, *args, tmp_path / "out.json")
        assert got.returncode == 0, got.stderr
        assert (tmp_path / "out.json").read_bytes() == json_tool(*options, *args).stdout
    to_lines = streamjson_cmd(doc, "--to-lines", "--compact")
    assert to_lines.stdout == json_tool("--json-lines", "--compact", lines).stdout


def test_numbers_beyond_a_double_from_a_pipe_and_from_a_file(tmp_path: Path) -> None:
    text = b"[1, 1e400, 9223372036854775808, 2.5]"
    doc = tmp_path / "doc.json"
    doc.write_bytes(text)
    expected = b"[1,Infinity,9223372036854775808,2.5]\n"
    assert streamjson_cmd("--compact", stdin=text).stdout == expected
    assert streamjson_cmd("--compact", doc).stdout == expected


def test_an_error_after_big_values_is_located(tmp_path: Path) -> None:
    values = mixed_values(10)
    values[1_500] = '{"id" 1500}'
    doc = tmp_path / "doc.json"
    doc.write_text("[" + ",\n".join(values) + "]")
    got = streamjson_cmd(doc, tmp_path / "out.json")
    assert got.returncode == 1
    assert """{"id" 1500}': expected ':' after an object key\n""" in got.stderr.decode()
    assert "line 1501, column 11" in got.stderr.decode()


# -- conversions -------------------------------------------------------------------


def records_file(tmp_path: Path, wrap: bool = False) -> tuple[Path, list[Any]]:
    records = [
        {"id": i, "name": f"r{i} é", "tags": ["x"] * (i % 3), "v": i / 3} for i in range(500)
    ]
    doc = tmp_path / "records.json"
    doc.write_text(json.dumps({"meta": {"n": 500}, "data": records} if wrap else records))
    return doc, records


def test_to_lines_writes_each_element_of_the_top_level_array(tmp_path: Path) -> None:
    doc, records = records_file(tmp_path)
    out = tmp_path / "out.jsonl"
    assert streamjson_cmd(doc, out, "--to-lines").returncode == 0
    assert out.read_text() == "".join(json.dumps(r) + "\n" for r in records)
    compact = streamjson_cmd("--to-lines", "--compact", "--sort-keys", doc)
    assert compact.stdout.decode() == "".join(
        json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in records
    )


def test_to_lines_at_a_prefix(tmp_path: Path) -> None:
    doc, records = records_file(tmp_path, wrap=True)
    got = streamjson_cmd("--to-lines=data.item", doc)
    assert got.stdout.decode() == "".join(json.dumps(r) + "\n" for r in records)
    names = streamjson_cmd("--to-lines", "data.item.name", "--", doc)
    assert names.stdout.decode() == "".join(f'"r{i} \\u00e9"\n' for i in range(500))


def test_to_lines_then_from_lines_round_trips(tmp_path: Path) -> None:
    doc, records = records_file(tmp_path)
    lines, back = tmp_path / "r.jsonl.gz", tmp_path / "back.json"
    assert streamjson_cmd(doc, lines, "--to-lines").returncode == 0
    assert streamjson_cmd("--from-lines", lines, back).returncode == 0
    assert json.loads(back.read_text()) == records
    assert back.read_bytes() == json_tool(doc).stdout  # default formatting, like json.tool
    empty = streamjson_cmd("--from-lines", "--compact", stdin=b"\n")
    assert (empty.returncode, empty.stdout) == (0, b"[]\n")


def test_to_lines_warns_when_nothing_is_at_the_prefix(tmp_path: Path) -> None:
    doc, _ = records_file(tmp_path, wrap=True)
    got = streamjson_cmd("--to-lines=nothing.item", doc)
    assert (got.returncode, got.stdout) == (0, b"")
    assert b"warning: no value at prefix 'nothing.item'" in got.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to-lines", "--indent", "2"], "--indent and --tab cannot be used"),
        (["--to-lines", "--tab"], "--indent and --tab cannot be used"),
        (["--to-lines", "--from-lines"], "not allowed with"),
        (["--to-lines", "DOC", "out.jsonl"], "put --to-lines after the file names"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--indent", "2", "--compact"], "not allowed with"),
        (["missing.json"], "can't open 'missing.json'"),
        (["DOC", "no/such/folder/out.json"], "can't write 'no/such/folder/out.json'"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    doc, _ = records_file(tmp_path)
    got = streamjson_cmd(*[doc.name if a == "DOC" else a for a in args], cwd=tmp_path)
    assert got.returncode == 2
    assert got.stderr.startswith(b"usage: streamjson")
    assert message in got.stderr.decode()


# -- malformed input -----------------------------------------------------------------

MALFORMED = [
    # (input, where, what): where the parser noticed, then what it expected
    (
        b'{"a": [1, 2',
        "at the end (line 1, column 12, byte 11), after '{\"a\": [1, 2'",
        "the JSON text ends too early",
    ),
    (
        b"[1, 2] x",
        "line 1, column 8 (byte 7), after '[1, 2] x'",
        "expected the end of the input after the JSON value",
    ),
    (b'{\n  "a": "b\\q"\n}', "line 2, column 11 (byte 12)", "invalid escape sequence in a string"),
    (b'["ok", "\xff"]', "line 1, column 9 (byte 8)", "invalid UTF-8"),
    (b"", "at the end (line 1, column 1, byte 0)", "empty input: expected a JSON value"),
    (b" \n ", "at the end (line 2, column 2, byte 3)", "empty input: expected a JSON value"),
    (b"[1, NaN]", "line 1, column 5 (byte 4)", "NaN and Infinity are not JSON"),
    (b"[-Infinity]", "line 1, column 3 (byte 2)", "NaN and Infinity are not JSON"),
    (b'\xef\xbb\xbf{"a": 1}', "line 1, column 1 (byte 0)", "unexpected UTF-8 byte order mark"),
    (
        b'{"a" 1}',
        "line 1, column 7 (byte 6), after '{\"a\" 1}'",  # noticed once 1 ends
        "expected ':' after an object key",
    ),
    (b"[1 2]", "line 1, column 5 (byte 4)", "expected ',' or ']' after an array element"),
    (
        b'{"a": 1,}',
        "line 1, column 9 (byte 8)",
        "expected an object key (a string in double quotes)",
    ),
    (b'["a\tb"]', "line 1, column 4 (byte 3)", "control characters must be escaped in strings"),
]


@pytest.mark.parametrize(("content", "where", "what"), MALFORMED, ids=lambda v: repr(v)[:30])
def test_malformed_input_exits_1_with_the_position_and_leaves_outfile_untouched(
    tmp_path: Path, content: bytes, where: str, what: str
) -> None:
    doc, out = tmp_path / "bad.json", tmp_path / "out.json"
    doc.write_bytes(content)
    out.write_text("previous content")
    got = streamjson_cmd(doc, out)
    assert got.returncode == 1
    stderr = got.stderr.decode()
    assert ERROR_LINE.match(stderr), stderr
    assert stderr.startswith(f"streamjson: error: {doc}: {where}") and f": {what}" in stderr
    assert out.read_text() == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "out.json"]


def test_an_error_deep_in_a_big_file_is_located_exactly(tmp_path: Path) -> None:
    doc = tmp_path / "big.json"
    lines = [
        json.dumps({"name": "é" * (i % 5), "id": i}, ensure_ascii=False) for i in range(40_000)
    ]
    lines[31_337] = lines[31_337].replace('"id":', '"id"')  # {"name": "éé", "id" 31337}
    text = "[\n" + ",\n".join(lines) + "\n]"
    doc.write_text(text, encoding="utf-8")
    end = text.index('"id" 31337}') + len('"id" 31337')  # noticed at the } that ends 31337
    got = streamjson_cmd(doc, tmp_path / "out.json")
    assert got.returncode == 1
    message = got.stderr.decode()
    assert f"line 31339, column 26 (byte {len(text[:end].encode())}), after '" in message
    assert message.endswith(""", "id" 31337}': expected ':' after an object key\n""")
    assert not (tmp_path / "out.json").exists()


def test_an_error_on_a_pipe_names_the_chunk_it_is_in() -> None:
    got = streamjson_cmd(stdin=b"[" + b"1, " * 30_000 + b"x]")
    assert got.returncode == 1
    assert re.search(
        rb"<stdin>: between byte \d+ and byte 90003 \(lines 1 to 1\): expected a JSON value",
        got.stderr,
    ), got.stderr


# -- lone surrogates, repeated keys, numbers -------------------------------------------


class Trickle:
    """A binary stream that returns at most ``step`` bytes a read."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step = data, 0, step

    def read(self, size: int = -1) -> bytes:
        n = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


# JSON string contents: lone and paired surrogate escapes, escaped backslashes, and
# characters from the range the reader uses to disguise lone surrogates.
SURROGATES = [
    r"\ud800",
    r"\udc00x",
    r"\ud83d\ude00",
    r"\\ud800",
    r"\\\ud800",
    r"\udbff\udfff",
    "\U0010f800\U0010ffff",
    r"\udbfe\udc00",
    r"\ud800\u0041",
    r"\ud800\ud800\udc00",
    r"\uDFFF",
]


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 11, 12, 13, 64 * 1024])
def test_lone_surrogates_are_read_like_json_across_any_chunk_boundary(step: int) -> None:
    text = "[" + ", ".join(f'{{"{s}": "a{s}b{s}"}}' for s in SURROGATES) + "]"
    data = text.encode("utf-8")
    inp = ParserInput(Trickle(data, step))
    reader = _events.EventReader(backend().basic_parse(inp))
    inp.on_disguise = lambda: setattr(reader, "strings", restore_surrogates)
    assert reader.value(whole=True) == json.loads(text)
    assert inp.offset == len(data)


def test_lone_surrogates_like_json_tool(tmp_path: Path) -> None:
    doc = tmp_path / "s.json"
    doc.write_text("[" + ", ".join([f'{{"{s}": "{s}"}}' for s in SURROGATES] * 500) + "]")
    assert streamjson_cmd("--sort-keys", doc).stdout == json_tool("--sort-keys", doc).stdout


def test_a_repeated_key_in_a_streamed_object_is_kept_and_sort_keys_merges_it(
    tmp_path: Path,
) -> None:
    doc = tmp_path / "dup.json"
    members = ", ".join(f'"k{i}": {i}' for i in range(_events.LOOKAHEAD + 100))
    doc.write_text('{"a": 1, ' + members + ', "a": 2}')
    got = streamjson_cmd("--compact", doc).stdout
    assert got.startswith(b'{"a":1,"k0":0') and got.endswith(b',"a":2}\n')
    assert streamjson_cmd("--sort-keys", doc).stdout == json_tool("--sort-keys", doc).stdout


def test_integers_of_any_length_are_written_exactly(tmp_path: Path) -> None:
    # json.tool refuses integers over Python's 4300-digit limit; streamjson keeps their
    # digits as text (the limit stays: int() of them would be quadratic).
    big = "9" * 5000
    doc = tmp_path / "big.json"
    doc.write_text(f'[{big}, {{"n": -{big}}}]')
    for stdin in (None, doc.read_bytes()):
        got = streamjson_cmd("--compact", *([] if stdin else [doc]), stdin=stdin)
        assert (got.returncode, got.stdout) == (0, f'[{big},{{"n":-{big}}}]\n'.encode())


def test_exact_numbers_keep_their_digits() -> None:
    got = streamjson_cmd(
        "--exact-numbers",
        "--compact",
        stdin=b"[0.1000000000000000055511151231257827, 1.0e5, 2.50, 7]",
    )
    assert got.stdout == b"[0.1000000000000000055511151231257827,1.0E+5,2.50,7]\n"


# -- interaction -----------------------------------------------------------------------


def big_document(path: Path, megabytes: int) -> Path:
    record = json.dumps({"id": 12345, "name": "some name é", "tags": ["a", "b"], "v": 0.25}) + ",\n"
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        f.write(record * (megabytes * 1024 * 1024 // len(record)))
        f.write("0]")
    return path


def test_ctrl_c_exits_130_without_traceback_and_leaves_outfile_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous content")
    # The document comes through a pipe that is never finished, so the signal always
    # arrives mid-document, however fast the machine.
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamjson", "-", str(out)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"[" + b'{"a": [1, 2.5, "x"]},' * 200_000)
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)  # well into the document
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.decode() == f"streamjson: error: interrupted; {out} left as it was\n"
    assert out.read_text() == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    doc = big_document(tmp_path / "big.json", 4)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamjson", str(doc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None
    assert proc.stdout.read(100).startswith(b"[\n    {")
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr) == (errno.EPIPE, b"")  # json.tool's status


def test_progress_goes_to_stderr_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    doc = big_document(tmp_path / "big.json", 1)
    quiet = streamjson_cmd(doc, tmp_path / "a.json")
    assert (quiet.returncode, quiet.stderr) == (0, b"")
    shown = streamjson_cmd("--progress", doc, tmp_path / "b.json")
    assert shown.returncode == 0
    last = shown.stderr.decode().split("\r")[-1]
    assert re.fullmatch(r"\[#{20}\] 100\.0% (\S+ \S+) / \1 \S+ \S+/s ETA 0:00:00\x1b\[K\n", last), (
        last
    )
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def peak_rss_kib(*args: Any) -> int:
    """Peak resident memory of the command, from the kernel's accounting of the child."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamjson", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    proc.returncode = 0
    return usage.ru_maxrss


@pytest.mark.parametrize("options", [[], ["--to-lines", "--sort-keys"]])
def test_memory_does_not_follow_the_file_size(tmp_path: Path, options: list[str]) -> None:
    # The benchmark (benchmarks/bench_cli.py) checks the same on a file of 500 MB.
    small = peak_rss_kib(big_document(tmp_path / "small.json", 1), *options)
    large = peak_rss_kib(big_document(tmp_path / "large.json", 8), *options)
    assert large - small < 4 * 1024, (small, large)  # 7 MiB more input, under 4 MiB more memory
