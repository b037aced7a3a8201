"""The compressed-suffix table (streamjson._codecs): zstd through either backend, gzip
through ISA-L or zlib, and what happens when a backend is not installed.

The failure guarantees (atomic replace, first error wins) are tested for every suffix
in test_compress_thread, test_faults and friends; here: the choices, the formats as
other tools read them, and the missing-package errors.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

import streamjson
from streamjson import _codecs
from streamjson.cli import main
from tests.helpers import records, zstd_open

from .faults import Tracker, listing, peak_while

ROWS = list(records(3000))
LINES = "".join(json.dumps(r) + "\n" for r in ROWS)
MIB = 1024 * 1024
HAS_ZSTD_TOOL = shutil.which("zstd") is not None


@pytest.fixture(autouse=True)
def fresh_codecs() -> Iterator[None]:
    """Every test loads the zstd backend anew (and leaves none behind for the next)."""
    _codecs._zstd.cache_clear()
    yield
    _codecs._zstd.cache_clear()


@pytest.fixture(params=["zstandard", "compression.zstd"])
def zstd_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each zstd backend: the zstandard package, or Python 3.14's compression.zstd
    (before 3.14: its backport, the same module under another name)."""
    if request.param == "zstandard":
        monkeypatch.setitem(sys.modules, "compression.zstd", None)  # import fails
    elif sys.version_info < (3, 14):
        backport = pytest.importorskip("backports.zstd")
        monkeypatch.setitem(sys.modules, "compression.zstd", backport)
    name: str = request.param
    return name


def append_three(path: Path) -> list[dict[str, Any]]:
    """Three sessions of LinesWriter(append=True): three frames. Returns the rows."""
    written = []
    for tag in range(3):
        with streamjson.LinesWriter(path, append=True) as writer:
            rows = list(records(500, tag))
            writer.write_all(rows)
            written += rows
    return json.loads(json.dumps(written))  # type: ignore[no-any-return]


def test_zstd_backends_write_what_zstd_readers_read(tmp_path: Path, zstd_backend: str) -> None:
    path = tmp_path / "out.json.zst"
    streamjson.dump(ROWS, path)
    params = zstandard.get_frame_parameters(path.read_bytes())
    assert params.has_checksum  # as the zstd tool writes frames
    with zstd_open(path) as f:
        assert f.read() == json.dumps(ROWS).encode()
    stream = _codecs._zstd().compress(io.BytesIO(), "x")
    stream.close()
    used = type(stream).__module__
    expected = (
        "zstandard" if zstd_backend == "zstandard" else sys.modules["compression.zstd"].__name__
    )
    assert used.startswith(expected.split(".")[0])


def test_appending_adds_frames_that_every_reader_reads_on(
    tmp_path: Path, zstd_backend: str
) -> None:
    path = tmp_path / "log.jsonl.zst"
    expected = append_three(path)
    data = path.read_bytes()
    frames = 0
    while data:
        frames += 1
        data = data[_frame_size(data) :]
    assert frames == 3
    with zstd_open(path, "rt", encoding="utf-8") as f:  # zstandard, read_across_frames
        assert [json.loads(line) for line in f] == expected
    with path.open("rb") as raw, _codecs._zstd().decompress(raw) as f:  # this backend's reader
        assert [json.loads(line) for line in f] == expected


def _frame_size(data: bytes) -> int:
    """The size of the zstd frame ``data`` starts with."""
    obj = zstandard.ZstdDecompressor().decompressobj()
    obj.decompress(data)
    assert obj.eof
    return len(data) - len(obj.unused_data)


@pytest.mark.skipif(not HAS_ZSTD_TOOL, reason="the zstd command is not installed")
def test_the_zstd_command_reads_every_appended_frame(tmp_path: Path, zstd_backend: str) -> None:
    path = tmp_path / "log.jsonl.zst"
    expected = append_three(path)
    out = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    assert [json.loads(line) for line in out.splitlines()] == expected
    assert subprocess.run(["zstd", "-tq", path]).returncode == 0  # checksums verified


def test_zstd_suffix_variants(tmp_path: Path) -> None:
    for name in ("a.json.zstd", "b.json.ZST"):
        streamjson.dump([1, 2], tmp_path / name)
        with zstd_open(tmp_path / name) as f:
            assert f.read() == b"[1, 2]"


def test_the_cli_reads_a_cut_zst_file_as_a_read_error(
    tmp_path: Path, zstd_backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.jsonl.zst"
    streamjson.dump_lines(ROWS, whole)
    cut = tmp_path / "cut.jsonl.zst"
    cut.write_bytes(whole.read_bytes()[:-100])
    out = tmp_path / "out.jsonl"
    assert main(["--json-lines", "--compact", str(cut), str(out)]) == 1
    assert capsys.readouterr().err == (
        f"streamjson: error: {cut}: cannot read: "
        "Compressed file ended before the end-of-stream marker was reached\n"
    )
    assert not out.exists()
    damaged = bytearray(whole.read_bytes())
    damaged[-2] ^= 0xFF  # in the checksum
    cut.write_bytes(bytes(damaged))
    assert main(["--json-lines", "--compact", str(cut), str(out)]) == 1
    assert f"streamjson: error: {cut}: cannot read: " in capsys.readouterr().err
    assert main(["--json-lines", "--compact", str(whole), str(out)]) == 0
    assert out.read_text() == "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in ROWS)


def no_zstd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither zstd backend can be imported."""
    monkeypatch.setitem(sys.modules, "compression.zstd", None)
    monkeypatch.setitem(sys.modules, "zstandard", None)


MISSING = r"a \.zst file needs the zstandard package: pip install 'streamjson\[zstd\]'"


def test_a_missing_zstd_backend_fails_before_anything_is_read_or_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_zstd(monkeypatch)
    old = tmp_path / "old.json.zst"
    old.write_bytes(b"old")
    tracker = Tracker()
    for target in (tmp_path / "new.json.zst", old):
        with pytest.raises(ModuleNotFoundError, match=MISSING) as caught:
            streamjson.dump({"rows": tracker.gen("rows", records(10))}, target)
        assert caught.value.name == "zstandard"
        with pytest.raises(ModuleNotFoundError, match=MISSING):
            streamjson.dump_lines(tracker.gen("lines", records(10)), target)
        with pytest.raises(ModuleNotFoundError, match=MISSING):
            streamjson.ArrayWriter(target)
        for append in (False, True):
            with pytest.raises(ModuleNotFoundError, match=MISSING):
                streamjson.LinesWriter(target, append=append)
    assert tracker.started == []  # the sources were never read
    assert old.read_bytes() == b"old"
    assert listing(tmp_path) == [old.name]


def test_the_cli_names_the_extra_when_zstd_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_zstd(monkeypatch)
    plain = tmp_path / "in.json"
    plain.write_text("[1]")
    packed = tmp_path / "in.json.zst"
    packed.write_bytes(b"not read")
    out = tmp_path / "out.json.zst"
    for args, which in (([packed, tmp_path / "out.json"], "infile"), ([plain, out], "outfile")):
        with pytest.raises(SystemExit) as exited:
            main([str(a) for a in args])
        assert exited.value.code == 2
        err = capsys.readouterr().err.splitlines()[-1]
        assert err.startswith(f"streamjson: error: argument {which}: can't ")
        assert err.endswith(
            "a .zst file needs the zstandard package: pip install 'streamjson[zstd]'"
        )
    assert listing(tmp_path) == ["in.json", "in.json.zst"]


# -- gzip: ISA-L or zlib ---------------------------------------------------------------------


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """gzip stamps the time in its header: fixed, so that two outputs can be compared."""
    monkeypatch.setattr(gzip.time, "time", lambda: 1_700_000_000.0)


@pytest.mark.parametrize("choice", ["zlib", "isal"])
def test_gzip_output_is_gzip_for_gzip_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, choice: str, fixed_time: None
) -> None:
    monkeypatch.setenv(_codecs.GZIP_ENV, choice)
    path = tmp_path / "rows.jsonl.gz"
    streamjson.dump_lines(ROWS, path)
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b" and b"rows.jsonl\x00" in data[:32]  # the name, no .tmp
    assert gzip.decompress(data).decode() == LINES
    if shutil.which("gzip"):
        tool = subprocess.run(["gzip", "-dc", path], capture_output=True, check=True)
        assert tool.stdout.decode() == LINES
    zlib_bytes = gzip.compress(LINES.encode(), compresslevel=_codecs.GZIP_LEVEL, mtime=1.7e9)
    body = data[10 + len(b"rows.jsonl\x00") :]  # past the header and the name
    assert (body == zlib_bytes[10:]) is (choice == "zlib")


def test_gzip_prefers_isal_and_falls_back_to_zlib(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("isal")
    monkeypatch.delenv(_codecs.GZIP_ENV, raising=False)
    found = _codecs.codec("x.gz")
    assert found is not None
    stream = found.compress(io.BytesIO(), "x")
    stream.close()
    assert type(stream).__module__ == "isal.igzip"
    assert _codecs.codec("x.gz", write=False) is _codecs._ZLIB  # reading is always zlib's
    monkeypatch.setenv(_codecs.GZIP_ENV, "zlib")
    assert _codecs.codec("x.gz") is _codecs._ZLIB
    _codecs._isal.cache_clear()
    monkeypatch.setitem(sys.modules, "isal", None)
    monkeypatch.delenv(_codecs.GZIP_ENV)
    try:
        assert _codecs.codec("x.gz") is _codecs._ZLIB
        monkeypatch.setenv(_codecs.GZIP_ENV, "isal")
        with pytest.raises(ModuleNotFoundError, match=r"pip install 'streamjson\[fast\]'"):
            _codecs.codec("x.gz")
    finally:
        _codecs._isal.cache_clear()


def test_an_unknown_gzip_choice_fails_before_the_file_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_codecs.GZIP_ENV, "zopfli")
    tracker = Tracker()
    with pytest.raises(ValueError, match="STREAMJSON_GZIP must be 'zlib' or 'isal', not 'zopfli'"):
        streamjson.dump(tracker.gen("rows", records(10)), tmp_path / "out.json.gz")
    assert tracker.started == [] and listing(tmp_path) == []


def test_read_errors_cover_the_loaded_backends(zstd_backend: str) -> None:
    assert zlib.error in _codecs.read_errors()
    assert len(_codecs.read_errors()) == 4  # zstd's errors only once it is loaded
    found = _codecs.codec("x.zst")
    assert found is not None and found.errors[0] in _codecs.read_errors()


@pytest.mark.parametrize("choice", ["zlib", "isal"])
def test_either_gzip_keeps_the_old_file_when_the_source_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, choice: str
) -> None:
    monkeypatch.setenv(_codecs.GZIP_ENV, choice)
    path = tmp_path / "out.json.gz"
    path.write_bytes(gzip.compress(b"old"))
    boom = RuntimeError("source failed")

    def rows() -> Iterator[dict[str, Any]]:
        yield from records(20000)  # more than a block reaches the compressor
        raise boom

    tracker = Tracker()
    with pytest.raises(RuntimeError) as caught:
        streamjson.dump({"rows": tracker.gen("rows", rows())}, path)
    assert caught.value is boom and tracker.all_closed()
    assert gzip.decompress(path.read_bytes()) == b"old"
    assert listing(tmp_path) == [path.name]


def test_a_zstd_bomb_is_read_in_bounded_memory(zstd_backend: str) -> None:
    """256 MiB of spaces in 8 KiB: read 64 KiB at a time, never more than a few MiB held."""
    packer = zstandard.ZstdCompressor().compressobj()
    packed = b"".join(packer.compress(b" " * MIB) for _ in range(256)) + packer.flush()
    assert len(packed) < 64 * 1024
    total = 0

    def read_all() -> None:
        nonlocal total
        with _codecs._zstd().decompress(io.BytesIO(packed)) as f:
            while block := f.read(64 * 1024):
                total += len(block)

    assert peak_while(read_all) < 16 * MIB
    assert total == 256 * MIB
