"""The command run in-process (many inputs per process, for speed) and json's answer
for the same input: the oracle of the corpus and fuzz tests."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import streamjson
from streamjson.cli import main

# Children import the package the tests import, wherever it lives.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(Path(streamjson.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
    ),
}

UNTOUCHED = b"OUTFILE as it was\n"
ERROR_LINE = re.compile(r"^streamjson: error: .+\n\Z")  # what the command writes to stderr

# The options compared, and the json.dumps arguments json.tool gives for each.
OPTIONS: dict[tuple[str, ...], dict[str, Any]] = {
    (): {"indent": 4},
    ("--compact",): {"indent": None, "separators": (",", ":")},
    ("--sort-keys",): {"indent": 4, "sort_keys": True},
    ("--no-ensure-ascii",): {"indent": 4, "ensure_ascii": False},
    ("--tab",): {"indent": "\t"},
    ("--no-indent", "--sort-keys"): {"indent": None, "sort_keys": True},
    ("--indent", "2"): {"indent": 2},
}


def run_cli(data: bytes, options: tuple[str, ...], tmp: Path) -> tuple[int, bytes | None, str]:
    """Exit status, OUTFILE's bytes (None if left untouched) and standard error of
    ``streamjson OPTIONS INFILE OUTFILE`` on ``data``, run in this process."""
    infile, outfile = tmp / "in.json", tmp / "out.json"
    infile.write_bytes(data)
    outfile.write_bytes(UNTOUCHED)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main([*options, str(infile), str(outfile)])
    out = outfile.read_bytes()
    return status, None if out == UNTOUCHED else out, err.getvalue()


def loads(data: bytes) -> tuple[bool, Any]:
    """json's verdict on ``data`` as json.tool reads it (UTF-8 text): (valid, value)."""
    try:
        return True, json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return False, None


def expected(value: Any, options: tuple[str, ...]) -> bytes | None:
    """json.tool's bytes for ``value`` with ``options`` (None: it cannot write them)."""
    try:
        return (json.dumps(value, **OPTIONS[options]) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written without escapes
        return None


_WHITESPACE = " \t\n\r"


def lines_expected(data: bytes) -> bytes | None:
    """``--json-lines --compact``'s bytes for ``data``: the values separated by JSON
    whitespace, each written on its line (None where json refuses them)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    out = []
    pos = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        while pos < len(text):
            value, end = decoder.raw_decode(text, pos)
            if end < len(text) and text[end] not in _WHITESPACE:
                return None  # values back to back
            out.append(json.dumps(value, separators=(",", ":")) + "\n")
            pos = end + len(text[end:]) - len(text[end:].lstrip(_WHITESPACE))
    except (ValueError, RecursionError):
        return None
    return "".join(out).encode()


def has_literal_nan(data: bytes) -> bool:
    """Whether ``data`` spells NaN or Infinity, which json reads and streamjson refuses
    (its one documented difference in verdict)."""
    return b"NaN" in data or b"Infinity" in data


LINES = ("--json-lines", "--compact")


def check_same_as_json(data: bytes, options: tuple[str, ...], tmp: Path) -> None:
    """The command gives json's verdict and json.tool's bytes on ``data``; where json
    refuses, exit status 1, one error line, OUTFILE untouched. With ``LINES``, json's
    answer is that of each value separated by whitespace."""
    if options == LINES:
        want = lines_expected(data)
        valid = want is not None
    else:
        valid, value = loads(data)
        want = expected(value, options) if valid else None
    status, out, err = run_cli(data, options, tmp)
    if valid and has_literal_nan(data) and status == 1:
        assert "NaN and Infinity are not JSON" in err, err
    elif want is not None:
        assert (status, out, err) == (0, want, ""), (data, options)
    else:
        assert status == 1, (data, options, out)
        assert out is None, (data, options)
        assert err.startswith("streamjson: error: ") and err.count("\n") == 1, err


def measured(command: list[str]) -> tuple[int, bytes, bytes, float, int]:
    """Status, stdout, stderr, wall seconds and peak RSS (KiB) of ``command``, started by
    a fresh small launcher (a child's peak RSS counts from its parent's size)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err, rss = (Path(tmp) / name for name in ("out", "err", "rss"))
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(out), str(err), str(rss), *command],
            env=ENV,
            check=True,
            timeout=300,
        )
        wall = time.perf_counter() - start
        status, peak = map(int, rss.read_text().split())
        return status, out.read_bytes(), err.read_bytes(), wall, peak


_LAUNCHER = """
import os, subprocess, sys
out, err, rss = sys.argv[1:4]
with open(out, "wb") as o, open(err, "wb") as e:
    p = subprocess.Popen(sys.argv[4:], stdout=o, stderr=e)
    _, status, usage = os.wait4(p.pid, 0)
with open(rss, "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""
