"""Path targets that are not plain new or regular files: special files, symlinks, hard
links, files the user may not write, names that are not files, and long names.

Each is written as ``open(path, "w")`` writes it, or fails as that open fails, before
the source is read: through ``dump``, ``dump_lines``, ``LinesWriter`` (atomic and
``append=True``), ``ArrayWriter`` and the command line.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import streamjson
from streamjson.cli import main as cli_main
from tests.helpers import CountingSource

ROWS = [{"i": i, "s": "é😀" * (i % 4), "x": [i / 7, None]} for i in range(300)]
ENTRIES = ["dump", "dump_lines", "LinesWriter", "LinesWriter-append", "ArrayWriter"]
NOBODY = 65534


def write(entry: str, target: Any, source: Iterable[Any]) -> None:
    """Write the rows to the path ``target`` through ``entry``."""
    if entry == "dump":
        streamjson.dump(iter(source), target)
    elif entry == "dump_lines":
        streamjson.dump_lines(source, target)
    elif entry == "ArrayWriter":
        with streamjson.ArrayWriter(target) as array:
            array.write_all(source)
    else:
        with streamjson.LinesWriter(target, append=entry.endswith("append")) as lines:
            lines.write_all(source)


def expected(entry: str, before: bytes = b"") -> bytes:
    """What ``entry`` leaves in a file that held ``before``."""
    if entry in ("dump", "ArrayWriter"):
        return json.dumps(ROWS).encode()
    text = "".join(json.dumps(row) + "\n" for row in ROWS).encode()
    return before + text if entry.endswith("append") else text


def read_in_thread(path: str) -> tuple[threading.Thread, list[bytes]]:
    """Start reading ``path`` (a FIFO) to its end in a thread."""
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as f:
            got.append(f.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


def temp_files(*folders: Path) -> list[str]:
    return [n for folder in folders for n in os.listdir(folder) if n.endswith(".tmp")]


# -- special files: written in place ------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_fifo_target_is_written_in_place(tmp_path: Path, entry: str) -> None:
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    thread, got = read_in_thread(fifo)
    write(entry, fifo, CountingSource(ROWS))
    thread.join(10)
    assert got == [expected(entry)]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the pipe, not a regular file
    assert temp_files(tmp_path) == []


def null_device(tmp_path: Path) -> str:
    """A character device node like /dev/null in ``tmp_path`` (root only)."""
    node = str(tmp_path / "null")
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root")
    return node


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_character_device_target_is_written_in_place(tmp_path: Path, entry: str) -> None:
    node = null_device(tmp_path)
    write(entry, node, CountingSource(ROWS))
    info = os.lstat(node)
    assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("form", ["/dev/fd/{}", "/proc/self/fd/{}"])
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_link_to_an_open_pipe_is_written_in_place(entry: str, form: str) -> None:
    r, w = os.pipe()
    got: list[bytes] = []
    with open(r, "rb") as reader:
        thread = threading.Thread(target=lambda: got.append(reader.read()), daemon=True)
        thread.start()
        try:
            write(entry, form.format(w), CountingSource(ROWS))
        finally:
            os.close(w)
        thread.join(10)
    assert got == [expected(entry)]


@pytest.mark.parametrize("form", ["/dev/fd/{}", "/proc/self/fd/{}"])
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_link_to_an_open_regular_file_writes_that_file_in_place(
    tmp_path: Path, entry: str, form: str
) -> None:
    out = tmp_path / "out.json"
    out.write_bytes(b"old\n")
    inode = out.stat().st_ino
    with open(out, "rb+") as f:
        write(entry, form.format(f.fileno()), CountingSource(ROWS))
    assert out.stat().st_ino == inode  # the same file, as json.tool writes it
    # open(path, "w") truncates; "a" appends
    assert out.read_bytes() == expected(entry, b"old\n")
    assert temp_files(tmp_path) == []


def cli(*args: Any, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "streamjson", *map(str, args)], timeout=60, check=False, **kw
    )


def json_tool(doc: Any) -> bytes:
    return (json.dumps(doc, indent=4) + "\n").encode()


def test_the_cli_writes_to_dev_stdout_a_fifo_and_process_substitution(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps(ROWS))
    # /dev/stdout is a symlink to /proc/self/fd/1. A private link of the same shape is
    # used: a regression, run as root, would replace the machine's /dev/stdout.
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    piped = cli(src, stdout, capture_output=True)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, json_tool(ROWS), b"")
    assert stdout.is_symlink()

    out = tmp_path / "out.json"
    out.write_bytes(b"old")
    inode = out.stat().st_ino
    with open(out, "wb") as f:  # the shell's `> out.json`
        assert cli(src, stdout, stdout=f).returncode == 0
    assert (out.read_bytes(), out.stat().st_ino) == (json_tool(ROWS), inode)

    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    thread, got = read_in_thread(fifo)
    assert cli(src, fifo).returncode == 0
    thread.join(10)
    assert got == [json_tool(ROWS)] and stat.S_ISFIFO(os.lstat(fifo).st_mode)

    bash = shutil.which("bash")
    if bash is not None:
        command = f'"{sys.executable}" -m streamjson "{src}" >(cat)'
        sub = subprocess.run([bash, "-c", command], capture_output=True, timeout=60, check=False)
        assert (sub.returncode, sub.stdout, sub.stderr) == (0, json_tool(ROWS), b"")


def test_the_cli_writes_to_a_device_node_in_place(tmp_path: Path) -> None:
    node = null_device(tmp_path)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(ROWS))
    assert cli(src, node, capture_output=True).returncode == 0
    assert stat.S_ISCHR(os.lstat(node).st_mode)


# -- symlinks: the file the link points to is replaced, the link kept ---------------------


def make_link(tmp_path: Path, shape: str) -> tuple[Path, Path]:
    """A link of the given shape in ``tmp_path/links`` and the file it ends at."""
    links, real = tmp_path / "links", tmp_path / "real"
    links.mkdir()
    real.mkdir()
    target = real / "t.json"
    if shape != "dangling":
        target.write_bytes(b"old\n")
        target.chmod(0o640)
    link = links / "link.json"
    if shape in ("relative", "dangling"):
        link.symlink_to(Path("..", "real", "t.json"))
    elif shape == "absolute":
        link.symlink_to(target)
    elif shape == "chain":
        (links / "hop.json").symlink_to(Path("..", "real", "t.json"))
        link.symlink_to("hop.json")
    elif shape == "through-a-linked-folder":
        # links/deep -> real/a/b; links/deep/l -> ../../t.json: ".." is read from real/a/b
        (real / "a" / "b").mkdir(parents=True)
        (links / "deep").symlink_to(real / "a" / "b")
        (real / "a" / "b" / "l").symlink_to(Path("..", "..", "t.json"))
        link = links / "deep" / "l"
    return link, target


SHAPES = ["relative", "absolute", "chain", "through-a-linked-folder", "dangling"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_symlinked_target_replaces_the_file_it_points_to(
    tmp_path: Path, entry: str, shape: str
) -> None:
    link, target = make_link(tmp_path, shape)
    pointing = os.readlink(link)
    before = b"" if shape == "dangling" else b"old\n"
    write(entry, link, CountingSource(ROWS))
    assert os.readlink(link) == pointing  # the link is kept
    assert target.read_bytes() == expected(entry, before)
    if shape != "dangling":
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert temp_files(tmp_path / "links", tmp_path / "real") == []


def test_the_temporary_file_is_made_in_the_folder_of_the_file_linked_to(tmp_path: Path) -> None:
    link, target = make_link(tmp_path, "relative")
    seen: list[list[str]] = []

    def rows() -> Iterator[int]:
        seen.append(temp_files(tmp_path / "real"))
        seen.append(temp_files(tmp_path / "links"))
        yield 1

    streamjson.dump(rows(), link)
    assert len(seen[0]) == 1 and seen[0][0].startswith(".t.json.") and seen[1] == []
    assert target.read_text() == "[1]" and link.is_symlink()


def test_the_cli_follows_a_symlinked_outfile_and_reformats_in_place_through_it(
    tmp_path: Path,
) -> None:
    link, target = make_link(tmp_path, "relative")
    src = tmp_path / "in.json"
    src.write_text(json.dumps(ROWS))
    assert cli(src, link).returncode == 0
    assert link.is_symlink() and target.read_bytes() == json_tool(ROWS)
    assert cli("--compact", link, link).returncode == 0  # INFILE is OUTFILE
    assert (
        link.is_symlink() and target.read_text() == json.dumps(ROWS, separators=(",", ":")) + "\n"
    )


def write_or_cli(entry: str, target: Any, tmp_path: Path, before: bytes = b"") -> bytes:
    """Write the rows to ``target`` through ``entry`` (or the command line, from a file);
    return what ``entry`` leaves in a file that held ``before``."""
    if entry != "cli":
        write(entry, target, CountingSource(ROWS))
        return expected(entry, before)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(ROWS))
    assert cli_main([str(src), os.fsdecode(target)]) == 0
    return json_tool(ROWS)


@pytest.mark.parametrize("entry", [*ENTRIES, "cli"])
def test_a_dotdot_after_a_symlinked_folder_writes_the_file_open_writes(
    tmp_path: Path, entry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "deep")
    monkeypatch.chdir(tmp_path)
    path = os.path.join("link", "..", "out.json")
    with open(path, "w") as f:  # what open() writes: real/out.json, not ./out.json
        f.write("old")
    assert (tmp_path / "real" / "out.json").read_text() == "old"
    want = write_or_cli(entry, path, tmp_path, b"old")
    assert (tmp_path / "real" / "out.json").read_bytes() == want
    assert not (tmp_path / "out.json").exists()
    assert temp_files(tmp_path, tmp_path / "real", tmp_path / "real" / "deep") == []


@pytest.mark.parametrize("entry", [*ENTRIES, "cli"])
def test_compression_is_chosen_by_the_name_given_not_the_file_a_link_points_to(
    tmp_path: Path, entry: str
) -> None:
    (tmp_path / "plain").write_bytes(b"")
    (tmp_path / "out.json.gz").symlink_to("plain")
    want = write_or_cli(entry, tmp_path / "out.json.gz", tmp_path)
    assert gzip.decompress((tmp_path / "plain").read_bytes()) == want
    (tmp_path / "data.gz").write_bytes(b"")
    (tmp_path / "out.json").symlink_to("data.gz")
    assert (
        write_or_cli(entry, tmp_path / "out.json", tmp_path) == (tmp_path / "data.gz").read_bytes()
    )


class BytesPath:
    """An os.PathLike whose ``__fspath__`` gives bytes, as ``open()`` takes it."""

    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


@pytest.mark.parametrize("form", ["bytes", "PathLike-bytes"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_bytes_path_is_written_as_open_takes_it(
    tmp_path: Path, entry: str, suffix: str, form: str
) -> None:
    path = tmp_path / f"out.json{suffix}"
    name = os.fsencode(path)
    write(entry, name if form == "bytes" else BytesPath(name), CountingSource(ROWS))
    data = path.read_bytes()
    assert (gzip.decompress(data) if suffix else data) == expected(entry)
    assert temp_files(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
@pytest.mark.parametrize("entry", ENTRIES)
def test_owner_group_and_mode_are_kept_when_the_process_may_keep_them(
    tmp_path: Path, entry: str
) -> None:
    link, target = make_link(tmp_path, "relative")
    os.chown(target, NOBODY, NOBODY)
    target.chmod(0o2640)  # set-group-ID too: chown clears it, so it is set after
    write(entry, link, CountingSource(ROWS))
    assert link.is_symlink() and target.read_bytes() == expected(entry, b"old\n")
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (NOBODY, NOBODY, 0o2640)


@pytest.mark.parametrize("entry", ["dump", "dump_lines", "LinesWriter", "ArrayWriter"])
def test_a_hard_linked_target_is_replaced_and_its_other_names_keep_the_old_file(
    tmp_path: Path, entry: str
) -> None:
    # As README says: a rename cannot keep hard links (append=True writes in place).
    target, other = tmp_path / "t.json", tmp_path / "other.json"
    target.write_bytes(b"old")
    os.link(target, other)
    write(entry, target, CountingSource(ROWS))
    assert target.read_bytes() == expected(entry)
    assert other.read_bytes() == b"old" and target.stat().st_nlink == 1


# -- a target this user may not write -----------------------------------------------------


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block as a user other than root: ``nobody`` when run as root."""
    if not hasattr(os, "geteuid"):
        pytest.skip("no user ids on this platform")
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged user owns (pytest's tmp_path is closed to others)."""
    folder = Path(tempfile.mkdtemp(prefix="streamjson-"))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def refusal(opener: Callable[[], Any]) -> OSError:
    with pytest.raises(OSError) as info:
        opener()
    return info.value


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_read_only_target_fails_as_open_does_before_the_source_is_read(
    shared_dir: Path, entry: str
) -> None:
    target = shared_dir / "t.json"
    link = shared_dir / "link.json"
    target.write_bytes(b"old")
    link.symlink_to("t.json")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(target, NOBODY, NOBODY)
    target.chmod(0o444)  # in a folder the user may write: a rename would succeed
    for path in (target, link):
        source = CountingSource(ROWS)
        with unprivileged():
            wanted = refusal(lambda p=path: open(p, "a" if entry.endswith("append") else "w"))
            got = refusal(lambda p=path, s=source: write(entry, p, s))
        assert (type(got), str(got)) == (type(wanted), str(wanted))
        assert isinstance(got, PermissionError)
        assert source.read == 0
        assert target.read_bytes() == b"old" and stat.S_IMODE(target.stat().st_mode) == 0o444
        assert temp_files(shared_dir) == []


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_new_file_in_a_folder_the_user_may_not_write_fails_as_open_does(
    shared_dir: Path, entry: str
) -> None:
    shared_dir.chmod(0o555)
    path = shared_dir / "new.json"
    source = CountingSource(ROWS)
    with unprivileged():
        wanted = refusal(lambda: open(path, "w"))
        got = refusal(lambda: write(entry, path, source))
    assert (type(got), str(got)) == (type(wanted), str(wanted))
    assert source.read == 0 and os.listdir(shared_dir) == []


def test_the_cli_exits_2_for_a_read_only_outfile(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, target = shared_dir / "in.json", shared_dir / "t.json"
    src.write_text("[1]")
    target.write_bytes(b"old")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(target, NOBODY, NOBODY)
    target.chmod(0o444)
    with unprivileged(), pytest.raises(SystemExit) as info:
        cli_main([str(src), str(target)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument outfile: can't write" in err and "Permission denied" in err
    assert target.read_bytes() == b"old" and temp_files(shared_dir) == []


# -- names that are not files -------------------------------------------------------------

NOT_FILES = ["adir", "adir/", "", "missing/", "afile/x", "missing/x.json", ".", "loop", "to-adir"]


def make_names(folder: Path) -> None:
    """The existing things NOT_FILES names: a folder, a file, a link loop, a link to the folder."""
    (folder / "adir").mkdir()
    (folder / "afile").write_bytes(b"")
    (folder / "loop").symlink_to("loop")
    (folder / "to-adir").symlink_to("adir")


@pytest.mark.parametrize("name", NOT_FILES)
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_path_that_cannot_be_a_file_fails_as_open_does_before_the_source_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    make_names(tmp_path)
    listing = sorted(os.listdir(tmp_path))
    wanted = refusal(lambda: open(name, "a" if entry.endswith("append") else "w"))
    source = CountingSource(ROWS)
    got = refusal(lambda: write(entry, name, source))
    assert (type(got), str(got)) == (type(wanted), str(wanted))
    assert source.read == 0
    assert sorted(os.listdir(tmp_path)) == listing and os.listdir(tmp_path / "adir") == []


@pytest.mark.parametrize("name", NOT_FILES)
def test_the_cli_exits_2_before_reading_for_an_outfile_that_cannot_be_created(
    tmp_path: Path, name: str
) -> None:
    make_names(tmp_path)
    # Standard input is never written nor closed: a command that read it would hang.
    with subprocess.Popen(
        [sys.executable, "-m", "streamjson", "-", name],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 2, err
    assert b"argument outfile: can't write" in err and out == b""
    assert os.listdir(tmp_path / "adir") == [] and temp_files(tmp_path) == []


# -- long names ---------------------------------------------------------------------------


def long_name(size: int, char: str = "n") -> str:
    """A name of ``size`` bytes in the file system's encoding, ending in .json."""
    stem = char * ((size - 5) // len(os.fsencode(char)))
    stem += "n" * (size - 5 - len(os.fsencode(stem)))
    name = stem + ".json"
    assert len(os.fsencode(name)) == size
    return name


@pytest.mark.parametrize(
    ("size", "char"), [(241, "n"), (242, "n"), (248, "é"), (254, "😀"), (255, "n"), (255, "é")]
)
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_long_name_that_fits_is_written(tmp_path: Path, entry: str, size: int, char: str) -> None:
    path = tmp_path / long_name(size, char)
    path.write_bytes(b"old\n")
    write(entry, path, CountingSource(ROWS))
    assert path.read_bytes() == expected(entry, b"old\n")
    assert temp_files(tmp_path) == []


def test_a_name_too_long_fails_as_open_does_before_the_source_is_read(tmp_path: Path) -> None:
    path = tmp_path / long_name(256)
    wanted = refusal(lambda: open(path, "w"))
    assert wanted.errno == errno.ENAMETOOLONG
    for entry in ENTRIES:
        source = CountingSource(ROWS)
        got = refusal(lambda e=entry, s=source: write(e, path, s))
        assert (type(got), str(got), source.read) == (type(wanted), str(wanted), 0)
    assert os.listdir(tmp_path) == []


def test_the_cli_writes_a_255_byte_outfile(tmp_path: Path) -> None:
    src, out = tmp_path / "in.json", tmp_path / long_name(255)
    src.write_text(json.dumps(ROWS))
    assert cli(src, out).returncode == 0
    assert out.read_bytes() == json_tool(ROWS)
