"""A process killed (SIGKILL) half way through writing a path leaves the previous file whole."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import streamjson

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

OLD = {"previous": "complete document", "rows": list(range(1000))}

# The child writes rows; after ROWS of them it says so and waits to be killed, with the
# document half written (megabytes of it in the temporary file). 15 MB of JSON: ISA-L's
# gzip holds its first ~90 KB of output, and up to 6 MiB may still wait to be compressed.
CHILD = textwrap.dedent(
    """
    import sys, time
    import streamjson

    target, how = sys.argv[1], sys.argv[2]
    ROWS = 150_000

    def rows():
        for i in range(10 ** 9):
            if i == ROWS:
                print("midway", flush=True)
                time.sleep(120)
            yield {"i": i, "pad": "new " * 20}

    if how in ("dump", "dump.gz"):
        streamjson.dump({"rows": rows()}, target, chunk_size=4096)
    else:
        with getattr(streamjson, how)(target) as w:
            for row in rows():
                w.write(row)
    """
)


def read(path: Path) -> object:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    return json.loads(path.read_text("utf-8"))


@pytest.mark.parametrize("previous", [True, False], ids=["over-a-file", "new-file"])
@pytest.mark.parametrize("how", ["dump", "dump.gz", "LinesWriter", "ArrayWriter"])
def test_sigkill_midway_leaves_the_previous_document(
    how: str, previous: bool, tmp_path: Path
) -> None:
    target = tmp_path / ("out.json.gz" if how == "dump.gz" else "out.json")
    if previous:
        streamjson.dump(OLD, target)
    before = target.read_bytes() if previous else None

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), how],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"midway\n"
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temps) == 1 and temps[0].stat().st_size > 10_000  # killed half way
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        child.stdout.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL

    if previous:
        assert target.read_bytes() == before
        assert read(target) == OLD
    else:
        assert not target.exists()
    # The temporary file cannot be removed by a killed process: it stays, hidden
    # (".out.json.XXXXXXXX.tmp"), and does not get in the way of the next write.
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p != target)
    assert len(leftovers) == 1 and leftovers[0].startswith(f".{target.name}.")
    streamjson.dump({"next": True}, target)
    assert read(target) == {"next": True}


# -- the command line: killed, interrupted, or out of space half way ----------------------------


def start_cli(args: list[str], **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "streamjson", *args],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        **kw,  # type: ignore[arg-type]
    )


def feed_half_and_wait(child: subprocess.Popen[bytes], folder: Path) -> None:
    """Send the first half of a big array, then wait until the output is half written."""
    assert child.stdin is not None
    child.stdin.write(
        b"[" + b",".join(b'{"i": %d, "pad": "%s"}' % (i, b"new " * 20) for i in range(60_000))
    )
    child.stdin.write(b",")
    child.stdin.flush()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # waits for a state, not for an amount of time
        temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size > 100_000:
            return
        time.sleep(0.01)
    raise AssertionError("the command never wrote half of its output")


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
def test_the_command_stopped_half_way_leaves_outfile_as_it_was(sig: str, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    streamjson.dump(OLD, out)
    before = out.read_bytes()
    child = start_cli(["-", str(out)], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        feed_half_and_wait(child, tmp_path)
    finally:
        child.send_signal(getattr(signal, sig))
        _, err = child.communicate(timeout=60)
    assert out.read_bytes() == before
    names = sorted(p.name for p in tmp_path.iterdir())
    if sig == "SIGKILL":
        assert child.returncode == -signal.SIGKILL
        assert len(names) == 2  # out.json and the hidden temporary file a kill cannot remove
    else:  # Ctrl-C: the command cleans up and says so
        assert child.returncode == 130
        assert names == ["out.json"]
        assert b"interrupted" in err and b"Traceback" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_the_command_writing_to_a_full_device_fails_cleanly(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    streamjson.dump([{"i": i, "pad": "x" * 50} for i in range(50_000)], src)
    with open("/dev/full", "wb") as full:
        child = start_cli([str(src)], stdout=full, stderr=subprocess.PIPE)
        _, err = child.communicate(timeout=120)
    assert child.returncode == 1
    assert b"No space left on device" in err and b"Traceback" not in err
