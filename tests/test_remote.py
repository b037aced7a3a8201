"""fsspec URL targets: all or nothing, in memory:// and against a real S3 API.

The S3 tests talk to moto's server on 127.0.0.1 (tests/s3_server.py) through s3fs, with
the storage options a user passes. After every failure they look at the bucket from
outside (boto3): the object is absent or holds its old content, and no multipart
upload is left open. Each test has a bucket of its own.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import streamjson
from streamjson import _codecs
from streamjson._codecs import codec
from streamjson._remote import MAX_PARTS, MIN_PART, open_committed, part_size
from streamjson._sinks import is_url
from tests.s3_server import Server, serve
from tests.test_codecs import no_zstd

fsspec = pytest.importorskip("fsspec")


class Boom(Exception):
    pass


def records(n: int, fail: BaseException | None = None, size: int = 0) -> Iterator[Any]:
    """``n`` records of about ``size + 20`` bytes, then ``fail`` raised if given."""
    pad = "x" * size
    for i in range(n):
        yield {"i": i, "pad": pad}
    if fail is not None:
        raise fail


def expected_lines(n: int, size: int = 0) -> bytes:
    return streamjson.dumps_lines(records(n, size=size)).encode()


class Untouched:
    """A source that records whether it was read."""

    def __init__(self) -> None:
        self.read = False

    def __iter__(self) -> Iterator[int]:
        self.read = True
        yield 1


# ---------------------------------------------------------------- what a URL is


@pytest.mark.parametrize(
    ("target", "url"),
    [
        ("s3://bucket/key.json", True),
        ("memory://x.json", True),
        ("file:///tmp/x.json", True),
        ("gcs+x.y://b/k", True),
        ("C://data/x.json", False),  # a Windows drive, as fsspec reads it
        ("data/x.json", False),
        ("./s3://x", False),
        (b"s3://bucket/key", False),
        (Path("s3://bucket/key"), False),
    ],
)
def test_what_is_a_url(target: Any, url: bool) -> None:
    assert is_url(target) is url


def test_storage_options_only_for_urls(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="storage_options is for URLs"):
        streamjson.dump([1], tmp_path / "x.json", storage_options={})
    with pytest.raises(ValueError, match="storage_options is for URLs"):
        streamjson.LinesWriter(str(tmp_path / "x.jsonl"), append=True, storage_options={})
    assert not os.listdir(tmp_path)


def test_unknown_protocol_fails_before_reading() -> None:
    source = Untouched()
    with pytest.raises(ValueError, match="Protocol not known: nosuch"):
        streamjson.dump(source, "nosuch://x/y.json")
    assert not source.read


def test_missing_fsspec_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec raises ImportError
    source = Untouched()
    with pytest.raises(ImportError, match=r"needs fsspec \(pip install 'streamjson\[cloud\]'\)"):
        streamjson.dump_lines(source, "s3://bucket/key.jsonl")
    assert not source.read


def test_missing_filesystem_package_is_a_clear_error() -> None:
    from fsspec.registry import known_implementations

    missing = [
        p
        for p, spec in known_implementations.items()
        if p in ("gs", "abfs", "oci", "dropbox") and _absent(spec["class"].split(".")[0])
    ]
    if not missing:
        pytest.skip("every candidate filesystem package is installed")
    source = Untouched()
    with pytest.raises(ImportError, match=f"cannot use '{missing[0]}://b/k.json'"):
        streamjson.dump(source, f"{missing[0]}://b/k.json")
    assert not source.read


def _absent(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def test_append_refuses_urls() -> None:
    with pytest.raises(ValueError, match="objects in object storage cannot be appended"):
        streamjson.LinesWriter("memory://log.jsonl", append=True)


def test_file_url_is_a_local_path_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json.gz"
    target.write_bytes(b"old")
    with pytest.raises(Boom):
        streamjson.dump(records(10, Boom()), target.as_uri())
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.json.gz"]
    streamjson.dump(records(10), target.as_uri())
    assert gzip.decompress(target.read_bytes()) == streamjson.dumps(list(records(10))).encode()


def test_open_committed_local_path(tmp_path: Path) -> None:
    target = tmp_path / "raw.gz"  # no compression: the bytes are stored as given
    with open_committed(str(target)) as raw:
        raw.write(b"abc")
    assert target.read_bytes() == b"abc"
    with pytest.raises(KeyboardInterrupt), open_committed(target) as raw:
        raw.write(b"def")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"abc"


# ---------------------------------------------------------------- memory://


@pytest.fixture
def memory() -> Iterator[tuple[Any, str]]:
    """The memory filesystem and a fresh folder in it, removed afterwards."""
    fs = fsspec.filesystem("memory")
    folder = f"/streamjson-{secrets.token_hex(4)}"
    fs.mkdir(folder)
    yield fs, folder
    fs.rm(folder, recursive=True)


def test_memory_every_writer(memory: tuple[Any, str]) -> None:
    fs, folder = memory
    url = f"memory://{folder}"
    streamjson.dump(records(100), f"{url}/a.json", indent=2)
    streamjson.dump_lines(records(100), f"{url}/b.jsonl.gz")
    with streamjson.ArrayWriter(f"{url}/c.json") as array:
        array.write_all(records(100))
    with streamjson.LinesWriter(f"{url}/d.jsonl.bz2") as lines:
        lines.write_all(records(100))
    streamjson.dump_lines(records(100), f"{url}/e.jsonl.zst")
    import bz2

    assert fs.cat(f"{folder}/a.json") == streamjson.dumps(list(records(100)), indent=2).encode()
    assert gzip.decompress(fs.cat(f"{folder}/b.jsonl.gz")) == expected_lines(100)
    assert fs.cat(f"{folder}/c.json") == streamjson.dumps(list(records(100))).encode()
    assert bz2.decompress(fs.cat(f"{folder}/d.jsonl.bz2")) == expected_lines(100)
    zst = codec("e.jsonl.zst")
    assert zst is not None
    with fs.open(f"{folder}/e.jsonl.zst", "rb") as raw:
        assert zst.decompress(raw).read() == expected_lines(100)
    assert sorted(fs.ls(folder, detail=False)) == [
        f"{folder}/{n}" for n in ("a.json", "b.jsonl.gz", "c.json", "d.jsonl.bz2", "e.jsonl.zst")
    ]


@pytest.mark.parametrize("fail", [Boom(), KeyboardInterrupt()])
@pytest.mark.parametrize("name", ["x.json", "x.json.gz"])
def test_memory_failure_keeps_the_old_object(
    memory: tuple[Any, str], fail: BaseException, name: str
) -> None:
    fs, folder = memory
    fs.pipe(f"{folder}/{name}", b"old")
    with pytest.raises(type(fail)):
        streamjson.dump(records(1000, fail), f"memory://{folder}/{name}")
    with pytest.raises(type(fail)), streamjson.LinesWriter(f"memory://{folder}/{name}") as out:
        out.write_all(records(10))
        raise fail
    assert fs.cat(f"{folder}/{name}") == b"old"
    assert fs.ls(folder, detail=False) == [f"{folder}/{name}"]  # no temporary object left


def test_memory_new_object_absent_after_failure(memory: tuple[Any, str]) -> None:
    fs, folder = memory
    with pytest.raises(Boom):
        streamjson.dump_lines(records(1000, Boom()), f"memory://{folder}/new.jsonl")
    assert fs.ls(folder, detail=False) == []


# ---------------------------------------------------------------- part sizes


def test_part_sizes_reach_s3_limits() -> None:
    sizes = [part_size(n) for n in range(1, MAX_PARTS + 1)]
    assert sizes[0] == MIN_PART == 5 * 1024 * 1024
    assert sizes == sorted(sizes)
    assert max(sizes) <= 5 * 1024**3  # S3's largest part
    assert sum(sizes) >= 4.8 * 1024**4  # near S3's 5 TiB object in 10,000 parts


# ---------------------------------------------------------------- S3 (moto's server)


@pytest.fixture(scope="module")
def s3() -> Iterator[Server]:
    yield from serve()


@pytest.fixture
def bucket(s3: Server) -> str:
    name = f"streamjson-{secrets.token_hex(4)}"
    s3.client().create_bucket(Bucket=name)
    return name


def get(s3: Server, bucket: str, key: str) -> bytes | None:
    client = s3.client()
    try:
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    return body


def open_uploads(s3: Server, bucket: str) -> list[dict[str, Any]]:
    uploads: list[dict[str, Any]] = (
        s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    )
    return uploads


def test_s3_small_and_empty_objects(s3: Server, bucket: str) -> None:
    so = s3.storage_options
    streamjson.dump({"a": [1, 2.5, None]}, f"s3://{bucket}/small.json", storage_options=so)
    streamjson.dump_lines([], f"s3://{bucket}/empty.jsonl", storage_options=so)
    assert get(s3, bucket, "small.json") == b'{"a": [1, 2.5, null]}'
    assert get(s3, bucket, "empty.jsonl") == b""
    assert open_uploads(s3, bucket) == []


def test_s3_multipart_export(s3: Server, bucket: str) -> None:
    """12 MB: three parts, two of exactly 5 MiB and the rest; the bytes exactly
    dumps_lines'."""
    streamjson.dump_lines(
        records(60_000, size=180), f"s3://{bucket}/big.jsonl", storage_options=s3.storage_options
    )
    client = s3.client()
    sizes = [
        client.head_object(Bucket=bucket, Key="big.jsonl", PartNumber=n)["ContentLength"]
        for n in (1, 2, 3)
    ]
    assert sizes[:2] == [MIN_PART, MIN_PART]
    assert sum(sizes) == len(expected_lines(60_000, size=180))
    assert client.head_object(Bucket=bucket, Key="big.jsonl", PartNumber=1)["PartsCount"] == 3
    assert get(s3, bucket, "big.jsonl") == expected_lines(60_000, size=180)
    assert open_uploads(s3, bucket) == []


def test_s3_compressed_keys(s3: Server, bucket: str) -> None:
    so = s3.storage_options
    streamjson.dump_lines(
        records(50_000, size=100), f"s3://{bucket}/a.jsonl.gz", storage_options=so
    )
    with streamjson.ArrayWriter(f"s3://{bucket}/b.json.xz", storage_options=so) as out:
        for record in records(1000):
            out.write(record)
    import lzma

    assert gzip.decompress(get(s3, bucket, "a.jsonl.gz") or b"") == expected_lines(50_000, 100)
    assert (
        lzma.decompress(get(s3, bucket, "b.json.xz") or b"")
        == streamjson.dumps(list(records(1000))).encode()
    )


class Calls(list[str]):
    """The S3 operations s3fs is asked for, in order; each reaches the server unless
    ``fail`` names it (then the exception given is raised instead, as the network
    would), after ``delay`` seconds if ``delay`` names it (``waiting`` is set then).
    ``cancelled`` lists the operations cancelled while they waited."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: dict[str, BaseException] = {}
        self.delay: dict[str, float] = {}
        self.cancelled: list[str] = []
        self.waiting = threading.Event()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    from s3fs import S3FileSystem

    made = Calls()
    real = S3FileSystem._call_s3

    async def call_s3(self: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        made.append(method)
        if method in made.delay:
            made.waiting.set()
        try:
            await asyncio.sleep(made.delay.get(method, 0))
        except asyncio.CancelledError:
            made.cancelled.append(method)
            raise
        if method in made.fail:
            raise made.fail[method]
        return await real(self, method, *args, **kwargs)

    monkeypatch.setattr(S3FileSystem, "_call_s3", call_s3)
    return made


@pytest.mark.parametrize("fail", [Boom("source"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
@pytest.mark.parametrize(("name", "parts"), [("new.jsonl", 2), ("new.jsonl.gz", 0)])
def test_s3_failure_after_n_records(
    s3: Server, bucket: str, calls: Calls, fail: BaseException, name: str, parts: int
) -> None:
    """Fails after 12 MB of records (two parts uploaded; compressed, none yet): the
    upload is aborted, no object appears, no upload is left open."""
    with pytest.raises(type(fail)):
        streamjson.dump_lines(
            records(60_000, fail, size=180),
            f"s3://{bucket}/{name}",
            storage_options=s3.storage_options,
        )
    assert calls == ["create_multipart_upload"] + ["upload_part"] * parts + [
        "abort_multipart_upload"
    ]
    assert get(s3, bucket, name) is None
    assert open_uploads(s3, bucket) == []


def test_s3_failure_keeps_the_old_object(s3: Server, bucket: str) -> None:
    s3.client().put_object(Bucket=bucket, Key="k.json", Body=b"old")
    so = s3.storage_options
    with pytest.raises(Boom):
        streamjson.dump(
            records(60_000, Boom(), size=180), f"s3://{bucket}/k.json", storage_options=so
        )
    with pytest.raises(Boom), streamjson.LinesWriter(f"s3://{bucket}/k.json", storage_options=so):
        raise Boom
    writer = streamjson.ArrayWriter(f"s3://{bucket}/k.json", storage_options=so)
    writer.write(1)
    with pytest.raises(Boom):
        writer.write_all(records(10, Boom()))
    with pytest.raises(ValueError, match="not completed"):
        writer.close()
    assert get(s3, bucket, "k.json") == b"old"
    assert open_uploads(s3, bucket) == []


@pytest.mark.parametrize("method", ["upload_part", "complete_multipart_upload"])
def test_s3_failed_call_aborts(s3: Server, bucket: str, calls: Calls, method: str) -> None:
    """The network fails on a part or on CompleteMultipartUpload: the error
    propagates, the upload is aborted, the old object stays."""
    s3.client().put_object(Bucket=bucket, Key="k.json", Body=b"old")
    calls.fail[method] = ConnectionResetError("the network failed")
    with pytest.raises(ConnectionResetError):
        streamjson.dump(records(1000), f"s3://{bucket}/k.json", storage_options=s3.storage_options)
    assert calls[-2:] == [method, "abort_multipart_upload"]
    assert get(s3, bucket, "k.json") == b"old"
    assert open_uploads(s3, bucket) == []


@pytest.mark.parametrize(
    ("method", "n"), [("upload_part", 30_000), ("complete_multipart_upload", 10)]
)
def test_s3_ctrl_c_while_waiting_for_s3(
    s3: Server, bucket: str, calls: Calls, method: str, n: int
) -> None:
    """Ctrl-C (a real SIGINT) while a part is on its way, or the completion: the
    request is cancelled before the abort is sent, so no part can arrive after it."""
    s3.client().put_object(Bucket=bucket, Key="k.json", Body=b"old")
    calls.delay[method] = 30
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main

    def ctrl_c() -> None:
        if calls.waiting.wait(60):
            signal.pthread_kill(main, signal.SIGINT)

    sender = threading.Thread(target=ctrl_c)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            streamjson.dump(
                records(n, size=180), f"s3://{bucket}/k.json", storage_options=s3.storage_options
            )
    finally:
        calls.waiting.set()
        sender.join()
    assert calls[-2:] == [method, "abort_multipart_upload"]
    assert calls.cancelled == [method]
    assert get(s3, bucket, "k.json") == b"old"
    assert open_uploads(s3, bucket) == []


def test_s3_failed_abort_is_noted(s3: Server, bucket: str, calls: Calls) -> None:
    """The abort fails too: the first error propagates, with a note naming the upload."""
    calls.fail["abort_multipart_upload"] = ConnectionResetError("the network failed")
    with pytest.raises(Boom) as raised:
        streamjson.dump(
            records(10, Boom()), f"s3://{bucket}/k.json", storage_options=s3.storage_options
        )
    note = raised.value.__notes__[-1]  # after the JSON path the walker noted
    assert f"of s3://{bucket}/k.json could not be aborted" in note
    assert "AbortIncompleteMultipartUpload" in note
    (upload,) = open_uploads(s3, bucket)
    s3.client().abort_multipart_upload(Bucket=bucket, Key="k.json", UploadId=upload["UploadId"])


def test_s3_missing_codec_fails_before_the_upload(
    s3: Server, bucket: str, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_zstd(monkeypatch)
    _codecs._zstd.cache_clear()  # the backend is looked for again, and not found
    source = Untouched()
    try:
        with pytest.raises(ModuleNotFoundError, match="streamjson\\[zstd\\]"):
            url = f"s3://{bucket}/k.json.zst"
            streamjson.dump(source, url, storage_options=s3.storage_options)
    finally:
        _codecs._zstd.cache_clear()
    assert not source.read
    assert calls == []


def test_s3_missing_bucket_fails_before_reading(s3: Server) -> None:
    source = Untouched()
    with pytest.raises(FileNotFoundError):
        streamjson.dump(
            source, "s3://no-such-bucket-here/k.json", storage_options=s3.storage_options
        )
    assert not source.read


def test_s3_concurrent_exports(s3: Server, bucket: str) -> None:
    """Four threads export to four keys at once, one of them failing half way; they
    share one filesystem (fsspec's instance cache), as a user's threads do."""
    shared = {k: v for k, v in s3.storage_options.items() if k != "skip_instance_cache"}

    def export(n: int) -> None:
        streamjson.dump_lines(
            records(30_000, Boom() if n == 3 else None, size=180),
            f"s3://{bucket}/part-{n}.jsonl",
            storage_options=shared,
        )

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(export, n) for n in range(4)]
    with pytest.raises(Boom):
        futures[3].result()
    for n in range(3):
        futures[n].result()
        assert get(s3, bucket, f"part-{n}.jsonl") == expected_lines(30_000, 180)
    assert get(s3, bucket, "part-3.jsonl") is None
    assert open_uploads(s3, bucket) == []


def test_s3_open_committed_raw_bytes(s3: Server, bucket: str) -> None:
    with open_committed(f"s3://{bucket}/raw.gz", s3.storage_options) as raw:
        raw.write(b"not gzip")  # stored as given: no compression
    assert get(s3, bucket, "raw.gz") == b"not gzip"


def run_cli(s3: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **s3.environ}
    return subprocess.run(
        [sys.executable, "-m", "streamjson", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_cli_s3_to_s3(s3: Server, bucket: str) -> None:
    """The command reads and writes S3 configured from the environment, as a user runs it."""
    document = list(records(20_000, size=50))
    s3.client().put_object(
        Bucket=bucket, Key="in.json.gz", Body=gzip.compress(json.dumps(document).encode())
    )
    done = run_cli(s3, f"s3://{bucket}/in.json.gz", f"s3://{bucket}/out.jsonl.gz", "--to-lines")
    assert done.returncode == 0, done.stderr
    assert gzip.decompress(get(s3, bucket, "out.jsonl.gz") or b"") == expected_lines(20_000, 50)

    s3.client().put_object(Bucket=bucket, Key="bad.json", Body=b"[1, 2, oops]")
    s3.client().put_object(Bucket=bucket, Key="out.json", Body=b"old")
    failed = run_cli(s3, f"s3://{bucket}/bad.json", f"s3://{bucket}/out.json")
    assert failed.returncode == 1
    assert f"s3://{bucket}/bad.json: " in failed.stderr
    assert get(s3, bucket, "out.json") == b"old"
    assert open_uploads(s3, bucket) == []


def test_cli_missing_input_object(s3: Server, bucket: str) -> None:
    done = run_cli(s3, f"s3://{bucket}/absent.json", f"s3://{bucket}/out.json")
    assert done.returncode == 2
    assert f"can't open 's3://{bucket}/absent.json'" in done.stderr


def export_peaks(s3: Server, bucket: str, n: int, size: int) -> tuple[int, int | None]:
    """Export ``n`` records to S3; the tracemalloc peak, and the rise of the peak RSS
    over the RSS before (None where Linux's /proc/self/clear_refs cannot reset it)."""
    rss_before = _reset_peak_rss()
    tracemalloc.start()
    try:
        streamjson.dump_lines(
            records(n, size=size), f"s3://{bucket}/{n}.jsonl", storage_options=s3.storage_options
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_rise = None if rss_before is None else _status_kib("VmHWM") * 1024 - rss_before
    return peak, rss_rise


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _reset_peak_rss() -> int | None:
    """Reset the peak RSS to the current one (Linux); return that, or None."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status_kib("VmRSS") * 1024
    except (OSError, LookupError):
        return None


@pytest.mark.slow
def test_s3_200_mb_in_bounded_memory(s3: Server, bucket: str) -> None:
    """200 MB through a multipart upload (about 40 parts) in the memory 20 MB takes.

    A first small export loads s3fs and botocore; each export then creates its own
    client (``skip_instance_cache``: about 12 MiB of botocore's service model, the
    same whatever the size), and holds one part (5 MiB) plus the part in flight.
    """
    size = 180  # about 200 bytes a line
    export_peaks(s3, bucket, 1000, size)
    small, _ = export_peaks(s3, bucket, 100_000, size)
    large, rss_rise = export_peaks(s3, bucket, 1_000_000, size)
    head = s3.client().head_object(Bucket=bucket, Key="1000000.jsonl")
    assert head["ContentLength"] == _lines_size(1_000_000, size) > 200_000_000
    parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])  # a multipart object's ETag
    assert 2 <= parts <= -(-head["ContentLength"] // MIN_PART)  # all but the last >= 5 MiB
    assert large < small + 2 * 2**20, f"{large / 2**20:.1f} MiB vs {small / 2**20:.1f} MiB"
    assert large < 5 * MIN_PART, f"{large / 2**20:.1f} MiB"
    if rss_rise is not None:
        assert rss_rise < 10 * MIN_PART, f"{rss_rise / 2**20:.1f} MiB"
    print(
        f"\n{head['ContentLength']} bytes in {parts} parts: "
        f"tracemalloc peak {large / 2**20:.1f} MiB (20 MB: {small / 2**20:.1f} MiB), peak RSS rise "
        f"{'n/a' if rss_rise is None else f'{rss_rise / 2**20:.1f} MiB'}"
    )


def _lines_size(n: int, size: int) -> int:
    return sum(len(f'{{"i": {i}, "pad": "{"x" * size}"}}\n') for i in range(n))
