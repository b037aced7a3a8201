"""streamjson.dask on a real ``dask.distributed`` LocalCluster of 2 worker processes.

Every target's text, decompressed, is compared byte for byte with ``streamjson.dumps`` of
all the items in partition order (itself compared with json elsewhere), for every option
set, with empty partitions anywhere; a failing partition must leave the previous target
and no shard behind. The cluster is started once for the module (about a second).
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import streamjson
from tests.helpers import OPENERS, OPTION_SETS, run_example
from tests.s3_server import Server, serve

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
fsspec = pytest.importorskip("fsspec")

import streamjson.dask as sjd  # noqa: E402  (needs dask)

# Items every option set writes: nesting (indented at levels above 1), non-ASCII text,
# empty containers, floats, big ints, int and float keys (converted, never skipped).
ITEMS: list[Any] = [
    {"id": 1, "name": "Zoë", "tags": ["a", "é", "😀"], "n": {"v": 0.1, "w": []}},
    [],
    {},
    "\u2028 line separator",
    [[1, [2, [3, {"d": ()}]]], {"z": 1, "a": {"b": None}}],
    10**30,
    -0.0,
    {2: "two", 1.5: "one and a half", True: "yes", 0: None},
    None,
    *({"id": i, "score": i / 7, "ok": i % 2 == 0, "city": "Kraków"} for i in range(40)),
]

# Where the items fall: empty partitions first, in the middle, last; one partition.
LAYOUTS: dict[str, list[int]] = {
    "even": [12, 12, 12, 13],
    "empty-first": [0, 20, 29],
    "empty-middle": [25, 0, 0, 24],
    "empty-last": [30, 19, 0],
    "one": [49],
}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes, 1 thread each, and its client."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def bag(items: list[Any], sizes: list[int]) -> Any:
    """A Bag whose partitions hold ``items`` cut to ``sizes`` (0: an empty partition)."""
    assert sum(sizes) == len(items)
    parts, start = [], 0
    for size in sizes:
        parts.append(dask.delayed(items[start : start + size], traverse=False))
        start += size
    return db.from_delayed(parts)


def leftovers(folder: Path, *keep: str) -> list[str]:
    """Files in ``folder`` other than ``keep``: shards, temporary files."""
    return sorted(set(os.listdir(folder)) - set(keep))


# -- the text -------------------------------------------------------------------------------


@pytest.mark.parametrize("options", OPTION_SETS, ids=repr)
def test_every_option_set_writes_dumps_text(client: Any, tmp_path: Path, options: Any) -> None:
    out = tmp_path / "out.json"
    sjd.dump(bag(ITEMS, LAYOUTS["empty-middle"]), out, **options)
    assert out.read_text(encoding="utf-8") == streamjson.dumps(ITEMS, **options)
    if "indent" not in options and "\n" not in "".join(options.get("separators") or ()):
        sjd.dump_lines(bag(ITEMS, LAYOUTS["empty-first"]), out, **options)
        assert out.read_text(encoding="utf-8") == streamjson.dumps_lines(ITEMS, **options)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_empty_partitions_add_nothing(client: Any, tmp_path: Path, layout: str) -> None:
    out = tmp_path / "out.json.gz"
    options = {"indent": 2, "sort_keys": True}
    sjd.dump(bag(ITEMS, LAYOUTS[layout]), out, **options)
    assert gzip.decompress(out.read_bytes()).decode() == streamjson.dumps(ITEMS, **options)
    assert leftovers(tmp_path, "out.json.gz") == []


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_all_partitions_empty(client: Any, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    read: Callable[[bytes], bytes] = gzip.decompress if suffix.endswith(".gz") else bytes
    sjd.dump(bag([], [0, 0, 0]), out, indent=2)
    assert read(out.read_bytes()) == b"[]"
    sjd.dump_lines(bag([], [0, 0]), out)
    assert read(out.read_bytes()) == b""


def test_fast_mode(client: Any, tmp_path: Path) -> None:
    pytest.importorskip("orjson")
    items = [i for i in ITEMS if i != 10**30]  # orjson's integers stop at 64 bits
    out = tmp_path / "out.json"
    sjd.dump(bag(items, [20, 0, 28]), out, fast=True)
    assert out.read_text() == streamjson.dumps(items, fast=True)


def test_skipkeys(client: Any, tmp_path: Path) -> None:
    items = [{(1, 2): "skipped", "kept": 1}, {(): 0}, [{"a": {(): 1, "b": 2}}]]
    out = tmp_path / "out.json"
    sjd.dump(bag(items, [1, 0, 2]), out, skipkeys=True, indent=1)
    assert out.read_text() == streamjson.dumps(items, skipkeys=True, indent=1)


def test_generated_partitions(client: Any, tmp_path: Path) -> None:
    """Partitions that are iterators, not lists (a Bag's map can give them)."""
    source = db.from_sequence(range(1000), npartitions=7).filter(lambda i: i % 300 != 5)
    out = tmp_path / "out.json"
    sjd.dump(source.map(lambda i: {"i": i}), out, separators=(",", ":"))
    expected = [{"i": i} for i in range(1000) if i % 300 != 5]
    assert out.read_text() == streamjson.dumps(expected, separators=(",", ":"))


def test_dataframe_rows(client: Any, tmp_path: Path) -> None:
    """Rows as objects by streamjson.extended's rules: NaN, NaT and NA are null."""
    frame = pd.DataFrame(
        {
            "id": range(30),
            "score": [math.nan if i % 4 == 1 else i / 8 for i in range(30)],
            "when": pd.to_datetime(["2026-03-01T09:30:00"] * 30)
            + pd.to_timedelta(range(30), unit="s"),
            "n": pd.array([None if i % 5 == 0 else i for i in range(30)], dtype="Int64"),
            "city": ["Oslo", "Kraków", "東京"] * 10,
        }
    )
    frame.loc[7, "when"] = pd.NaT
    frame["utc"] = frame["when"].dt.tz_localize("UTC")
    ddf = dd.from_pandas(frame, npartitions=4)
    ddf = ddf[ddf["id"] % 10 < 7]  # some rows out of every partition
    kept = frame[frame["id"] % 10 < 7]
    for options in ({}, {"indent": 2, "ensure_ascii": False}):
        out = tmp_path / "rows.json.gz"
        sjd.dump(ddf, out, **options)
        text = gzip.decompress(out.read_bytes()).decode()
        assert text == streamjson.dumps(kept, default=streamjson.extended, **options)
        rows = json.loads(text)
        assert [r["score"] is None for r in rows] == kept["score"].isna().tolist()
        assert rows[0] == {
            "id": 0,
            "score": 0.0,
            "when": "2026-03-01T09:30:00",
            "n": None,
            "city": "Oslo",
            "utc": "2026-03-01T09:30:00+00:00",
        }
    epoch = streamjson.Extended(datetime="epoch")  # a default of one's own replaces extended
    sjd.dump_lines(ddf[["id", "utc"]], tmp_path / "rows.jsonl", default=epoch)
    assert (tmp_path / "rows.jsonl").read_text() == streamjson.dumps_lines(
        streamjson.extended(kept[["id", "utc"]]), default=epoch
    )


def test_empty_dataframe_partitions(client: Any, tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": range(20), "x": [i * 0.5 for i in range(20)]})
    ddf = dd.from_pandas(frame, npartitions=4)
    ddf = ddf[(ddf["id"] < 5) | (ddf["id"] >= 15)]  # the two middle partitions empty
    out = tmp_path / "rows.json"
    sjd.dump(ddf, out, indent=1)
    kept = frame[(frame["id"] < 5) | (frame["id"] >= 15)]
    assert out.read_text() == streamjson.dumps(kept, default=streamjson.extended, indent=1)


class NoDescriptor(io.RawIOBase):
    """A binary writer without a file descriptor (as an object store's upload is)."""

    def __init__(self, path: Path) -> None:
        self.file = open(path, "wb")  # closed by close()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self.file.write(data)

    def close(self) -> None:
        self.file.close()
        super().close()


def no_sendfile(*args: Any) -> int:
    raise OSError(errno.ENOTSOCK, "Socket operation on non-socket")  # as macOS answers


@pytest.mark.parametrize("how", ["file", "no-descriptor", "no-sendfile"])
def test_the_client_copies_shards_a_block_at_a_time(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join's memory does not grow with the shards (a tracemalloc peak), whether the
    kernel copies them (sendfile, to a file) or the client does, a block at a time
    (a writer without a descriptor, or a system whose sendfile takes sockets only);
    each shard is removed once copied."""
    if how == "no-sendfile":
        monkeypatch.setattr(os, "sendfile", no_sendfile)
    descriptor = how != "no-descriptor"
    shards, data = [], []
    for i in range(3):
        shard = tmp_path / f"shard{i}.gz"
        data.append(os.urandom(8 << 20))  # what a shard holds does not matter here
        shard.write_bytes(data[-1])
        shards.append(str(shard))
    out = tmp_path / "out.json"  # uncompressed: the text is the pieces as they are
    with open(out, "wb") if descriptor else NoDescriptor(out) as raw:
        tracemalloc.start()
        try:
            sjd._join(raw, sjd._Pieces(str(out)), iter(shards), ("[", ", ", "]", "[]"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 3 * sjd.COPY_BLOCK  # against 24 MiB of shards
    assert out.read_bytes() == b"[" + b", ".join(data) + b"]"
    assert leftovers(tmp_path, out.name) == []


# -- compressed targets ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", sorted(OPENERS))
def test_compressed_targets_are_one_valid_file(client: Any, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out.json{suffix}"
    sjd.dump(bag(ITEMS, LAYOUTS["empty-middle"]), out, indent="\t")
    with OPENERS[suffix](out, "rb") as f:
        assert f.read().decode() == streamjson.dumps(ITEMS, indent="\t")


@pytest.mark.skipif(shutil.which("zstd") is None, reason="no zstd command")
def test_zstd_reads_the_zst_target(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.json.zst"
    sjd.dump(bag(ITEMS, LAYOUTS["empty-first"]), out, sort_keys=True)
    done = subprocess.run(["zstd", "-dc", str(out)], capture_output=True, check=True)
    assert done.stdout.decode() == streamjson.dumps(ITEMS, sort_keys=True)


@pytest.mark.skipif(shutil.which("zcat") is None, reason="no zcat")
def test_zcat_reads_the_gzip_target(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl.gz"
    sjd.dump_lines(bag(ITEMS, LAYOUTS["empty-last"]), out, ensure_ascii=False)
    done = subprocess.run(["zcat", str(out)], capture_output=True, check=True)
    assert done.stdout.decode() == streamjson.dumps_lines(ITEMS, ensure_ascii=False)
    done = subprocess.run(["gzip", "-t", str(out)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


# -- all or nothing -------------------------------------------------------------------------


def unserializable_in_partition_2(item: Any) -> Any:
    return {1j} if item == 22 else item


def failing_in_partition_1(item: int) -> int:
    if item == 13:
        raise KeyError("no such item")
    return item


def failing_frame_at_12(df: Any) -> Any:
    if (df["id"] == 12).any():
        raise ZeroDivisionError("row 12")
    return df


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_a_failing_partition_leaves_the_old_target(
    client: Any, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"out{suffix}"
    out.write_bytes(b"previous content")
    items = db.from_sequence(range(40), npartitions=4).map(unserializable_in_partition_2)
    with pytest.raises(TypeError) as info:
        sjd.dump(items, out, indent=2)
    assert str(info.value) == "Object of type set is not JSON serializable"
    assert info.value.__notes__ == [
        "streamjson: when encoding the value at $[2]",
        "streamjson.dask: in partition 2 of 4",
    ]
    assert out.read_bytes() == b"previous content"
    assert leftovers(tmp_path, out.name) == []


def test_a_failing_source(client: Any, tmp_path: Path) -> None:
    """The partition's own computation fails: while the items are read (a Bag's map is
    run as the shard is written), or in a task before (a DataFrame's partition)."""
    items = db.from_sequence(range(40), npartitions=4).map(failing_in_partition_1)
    with pytest.raises(KeyError, match="no such item") as info:
        sjd.dump_lines(items, tmp_path / "new.jsonl")
    assert info.value.__notes__ == [
        "streamjson: while reading the items of $",
        "streamjson.dask: in partition 1 of 4",
    ]
    frame = dd.from_pandas(pd.DataFrame({"id": range(40)}), npartitions=4)
    frame = frame.map_partitions(failing_frame_at_12)
    with pytest.raises(ZeroDivisionError) as info:
        sjd.dump(frame, tmp_path / "new.json")
    assert info.value.__notes__ == ["streamjson.dask: in partition 1 of 4"]
    assert leftovers(tmp_path) == []


# The child exports many short partitions (tasks start every few milliseconds) and, once
# interrupted, keeps its cluster alive as a notebook would: cancelled tasks that were
# already running, or about to start, go on writing shards while the client cleans up.
INTERRUPTED = textwrap.dedent(
    """
    import os, sys, time
    import dask.bag as db
    import distributed
    import streamjson.dask

    def slow(i):
        time.sleep(0.005)
        return {"i": i, "pad": "x" * 100}

    if __name__ == "__main__":
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
        ):
            print("started", flush=True)
            try:
                streamjson.dask.dump(db.range(4000, npartitions=2000).map(slow), sys.argv[1])
            except KeyboardInterrupt:
                print("interrupted", flush=True)
                time.sleep(3)  # the workers finish what they were running
            print("ended", flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.reliability
def test_ctrl_c_leaves_no_shard(tmp_path: Path) -> None:
    """A real SIGINT to a process exporting: the KeyboardInterrupt propagates, the old
    target is intact, and the shard folder is gone, with the workers still running."""
    out = tmp_path / "out.json.gz"
    out.write_bytes(b"previous content")
    root = Path(__file__).parent.parent
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "started\n"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until hundreds of shards are written
            folders = [p for p in tmp_path.iterdir() if p.name.endswith(".parts")]
            if folders and len(os.listdir(folders[0])) > 300:
                break
            time.sleep(0.01)
        else:
            pytest.fail("no shard was written")
        child.send_signal(signal.SIGINT)
        assert child.stdout.read() == "interrupted\nended\n"
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    assert out.read_bytes() == b"previous content"
    assert leftovers(tmp_path, out.name) == []


def test_allow_nan_false_fails_with_the_path(client: Any, tmp_path: Path) -> None:
    items = [*range(10), [0, {"x": math.nan}]]
    with pytest.raises(ValueError, match="Out of range float values") as info:
        sjd.dump(bag(items, [5, 0, 6]), tmp_path / "out.json", allow_nan=False)
    assert info.value.__notes__ == [
        "streamjson: when encoding the value at $[5][1].x",
        "streamjson.dask: in partition 2 of 3",
    ]
    assert leftovers(tmp_path) == []


def test_options_are_checked_before_anything_runs(client: Any, tmp_path: Path) -> None:
    items = bag(ITEMS, LAYOUTS["one"])
    with pytest.raises(ValueError, match="cannot be used with JSON Lines"):
        sjd.dump_lines(items, tmp_path / "out.jsonl", indent=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        sjd.dump(items, tmp_path / "out.json", colour=True)
    with pytest.raises(TypeError, match="cannot honour cls=Upper"):
        sjd.dump(items, tmp_path / "out.json", cls=Upper)
    with pytest.raises(TypeError, match=r"expected a dask\.bag\.Bag or a dask\.dataframe"):
        sjd.dump(ITEMS, tmp_path / "out.json")
    with pytest.raises(ValueError, match="storage_options is for URLs"):
        sjd.dump(items, tmp_path / "out.json", storage_options={"anon": True})
    assert leftovers(tmp_path) == []


class Upper(json.JSONEncoder):
    def encode(self, o: Any) -> str:
        return super().encode(o).upper()


def test_a_cls_that_overrides_encode_writes_lines(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sjd.dump_lines(bag(["a", {"b": 1}], [1, 1]), out, cls=Upper)
    assert out.read_text() == '"A"\n{"B": 1}\n'


def test_without_a_distributed_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_client() -> Any:
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    with pytest.raises(ValueError, match=r"needs a running dask\.distributed Client"):
        sjd.dump(bag(ITEMS, LAYOUTS["one"]), tmp_path / "out.json")
    assert leftovers(tmp_path) == []


# -- fsspec URLs ----------------------------------------------------------------------------


def test_memory_url(client: Any) -> None:
    url = "memory://streamjson-dask/out.json.gz"
    fs = fsspec.filesystem("memory")
    try:
        sjd.dump(bag(ITEMS, LAYOUTS["empty-first"]), url, indent=2)
        with fsspec.open(url, "rb", compression="gzip") as f:
            assert f.read().decode() == streamjson.dumps(ITEMS, indent=2)
        before = fs.cat(url)
        items = db.from_sequence(range(40), npartitions=4).map(unserializable_in_partition_2)
        with pytest.raises(TypeError, match="not JSON serializable"):
            sjd.dump(items, url)
        assert fs.cat(url) == before
    finally:
        fs.rm("streamjson-dask", recursive=True)


def test_file_url(client: Any, tmp_path: Path) -> None:
    sjd.dump_lines(bag(ITEMS, LAYOUTS["even"]), f"file://{tmp_path}/out.jsonl")
    assert (tmp_path / "out.jsonl").read_text() == streamjson.dumps_lines(ITEMS)
    assert leftovers(tmp_path, "out.jsonl") == []


# -- the example ----------------------------------------------------------------------------


def test_the_example_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "records.json.gz"
    printed = run_example(
        "export_dask",
        *("--records", "3000", "--partitions", "5", "--out", str(out)),
        cwd=tmp_path,
        timeout=120,
    )
    assert "wrote 3,000 records from 5 partitions" in printed
    records = json.loads(gzip.decompress(out.read_bytes()))
    assert [r["id"] for r in records] == list(range(3000))
    assert leftovers(tmp_path, out.name) == []


@pytest.fixture(scope="module")
def s3() -> Iterator[Server]:
    yield from serve()


def test_s3_target_on_a_local_server(client: Any, s3: Server) -> None:
    """Through the multipart upload of streamjson's S3 writer: the object appears whole;
    a failing partition aborts it, leaving the old object and no open upload."""
    bucket = f"streamjson-dask-{secrets.token_hex(4)}"
    s3c = s3.client()
    s3c.create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/out.json.gz"
    sjd.dump(bag(ITEMS, LAYOUTS["empty-middle"]), url, storage_options=s3.storage_options)
    before = s3c.get_object(Bucket=bucket, Key="out.json.gz")["Body"].read()
    assert gzip.decompress(before).decode() == streamjson.dumps(ITEMS)
    items = db.from_sequence(range(40), npartitions=4).map(unserializable_in_partition_2)
    with pytest.raises(TypeError, match="not JSON serializable"):
        sjd.dump(items, url, storage_options=s3.storage_options)
    assert s3c.get_object(Bucket=bucket, Key="out.json.gz")["Body"].read() == before
    assert s3c.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
