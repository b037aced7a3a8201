"""JSONTestSuite's ``test_parsing/`` (nst/JSONTestSuite, MIT; vendored in
tests/data/JSONTestSuite): every file through ``streamjson`` and ``python -m json.tool``.

Where json.tool accepts a file, streamjson writes the same bytes (the one documented
exception: literal NaN/Infinity may be refused); where json.tool refuses (or crashes:
deep nesting), streamjson exits 1 with one error line and leaves OUTFILE untouched.
Both run in this process, many files per process; one child process runs every file
again to bound memory (peak RSS) and time per file.
"""

from __future__ import annotations

import contextlib
import io
import json.tool
import sys
from pathlib import Path

import pytest

from tests.cli_oracle import UNTOUCHED, has_literal_nan, measured, run_cli

CORPUS = Path(__file__).parent / "data" / "JSONTestSuite" / "test_parsing"
FILES = sorted(CORPUS.iterdir())


def json_tool(path: Path, tmp: Path, options: tuple[str, ...] = ()) -> tuple[int, bytes | None]:
    """json.tool's exit status and output for ``path`` (status 1 for a crash), in-process."""
    out = tmp / "tool.json"
    out.write_bytes(UNTOUCHED)
    saved = sys.argv
    sys.argv = ["json.tool", *options, str(path), str(out)]
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            json.tool.main()
        status = 0
    except SystemExit as exc:
        status = 0 if exc.code in (None, 0) else 1
    except RecursionError:  # json.tool's traceback on deep nesting
        status = 1
    finally:
        sys.argv = saved
    data = out.read_bytes()
    return status, None if data == UNTOUCHED else data


def test_the_corpus_is_complete() -> None:
    assert len(FILES) == 318
    assert (CORPUS.parent / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_verdict_and_bytes_as_json_tool(path: Path, tmp_path: Path) -> None:
    data = path.read_bytes()
    for options in ((), ("--compact", "--sort-keys")):
        tool_status, tool_out = json_tool(path, tmp_path, options)
        status, out, err = run_cli(data, options, tmp_path)
        if tool_status == 0:
            if status == 1 and has_literal_nan(data):
                assert "NaN and Infinity" in err
                continue
            assert (status, out, err) == (0, tool_out, ""), path.name
        else:
            assert status == 1, (path.name, out)
            assert out is None
            assert err.startswith("streamjson: error: ") and err.count("\n") == 1, err


# Run in one child: each file through main(), its time measured; the child's peak RSS
# bounds every file's.
_CHILD = """
import contextlib, io, os, sys, time
from streamjson.cli import main
worst = 0.0
for path in sys.argv[2:]:
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        main([path, sys.argv[1]])
    worst = max(worst, time.perf_counter() - start)
print(worst)
"""


def test_every_file_under_100_mib_and_30_s(tmp_path: Path) -> None:
    status, out, _, _, rss = measured(
        [sys.executable, "-c", _CHILD, str(tmp_path / "out.json"), *map(str, FILES)]
    )
    assert status == 0
    assert float(out) < 30  # the slowest file, in seconds
    assert rss < 100 * 1024
