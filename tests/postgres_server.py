"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, a unix socket there.

``serve()`` (the body of a session fixture: ``yield from serve()``) finds the server's own
binaries (``initdb``, ``pg_ctl``, ``postgres``), makes a cluster in a fresh folder under the
system's temporary directory, starts it listening on a unix socket in that folder only (no TCP
at all), creates a database and yields a :class:`Server`. At the end, failed tests or not, the
server is stopped and the folder removed.

PostgreSQL refuses to run as root. When the tests run as root, the cluster belongs to an
unprivileged user (``postgres`` if the system has one, else ``nobody``): the folder is given to
it and ``initdb``/``pg_ctl`` run under its uid and gid. Otherwise they run as the current user.

Without server binaries the tests skip, saying where they looked; with
``STREAMJSON_REQUIRE_POSTGRES=1`` in the environment (``.ci/run`` sets it, after installing
Debian's ``postgresql`` package) they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

PROGRAMS = ("initdb", "pg_ctl", "postgres")
DATABASE = "streamjson_test"
SUPERUSER = "postgres"  # the cluster's own superuser role (trust authentication, socket only)
PORT = 5432  # names the socket file only: nothing listens on TCP
TIMEOUT = 60  # seconds, for initdb and for starting or stopping the server


@dataclass(frozen=True)
class Server:
    """A running server: connect with ``dsn`` (libpq keyword form)."""

    socket_dir: Path
    port: int
    user: str
    dbname: str
    log: Path

    @property
    def dsn(self) -> str:
        return f"host={self.socket_dir} port={self.port} user={self.user} dbname={self.dbname}"


def candidate_bindirs() -> list[str]:
    """Where the server binaries may be, best first: pg_config's answer, Debian's layout, PATH."""
    found: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            )
            found.append(out.stdout.strip())
    # Debian and Ubuntu keep each major version apart; the newest first.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    found += sorted(versions, key=lambda p: int(Path(p).parent.name.split(".")[0]), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        found.append(str(Path(initdb).resolve().parent))  # e.g. a symlink in /usr/local/bin
    return list(dict.fromkeys(found))


def find_bindir() -> Path | None:
    """The first folder that holds every server program, or None."""
    for folder in candidate_bindirs():
        if all(os.access(Path(folder, name), os.X_OK) for name in PROGRAMS):
            return Path(folder)
    return None


def unprivileged_account() -> pwd.struct_passwd | None:
    """The account to run the server as: None means ourselves (we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    _skip_or_fail("running as root, and there is no 'postgres' or 'nobody' user to run a server")


def _skip_or_fail(reason: str) -> NoReturn:
    if os.environ.get("STREAMJSON_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (STREAMJSON_REQUIRE_POSTGRES=1: CI must run these tests)")
    pytest.skip(reason)


def _run_as(account: pwd.struct_passwd | None, argv: list[str], cwd: Path) -> None:
    """Run a server program as ``account``; a failure raises with its output."""
    kwargs: dict[str, Any] = {}
    if account is not None:
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    if account is not None:
        env["HOME"] = str(cwd)  # root's home is not theirs to read
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        **kwargs,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs; a zombie (exited, not yet reaped by init) does not."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
    try:  # no /proc: ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_postmaster(data: Path) -> None:
    """The last resort when ``pg_ctl stop`` failed: SIGKILL the postmaster named in its pid file."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


@contextlib.contextmanager
def running_server(bindir: Path) -> Iterator[Server]:
    """Make, start and finally stop and remove a cluster; see the module docstring."""
    account = unprivileged_account()
    base = Path(tempfile.mkdtemp(prefix="streamjson-pg-"))  # short: socket paths are <108 bytes
    data = base / "data"
    log = base / "server.log"

    def pg_ctl(action: str, *options: str) -> None:
        argv = [str(bindir / "pg_ctl"), action, "--pgdata", str(data), *options]
        _run_as(account, [*argv, "--wait", "--timeout", str(TIMEOUT)], cwd=base)

    try:
        if account is not None:
            os.chown(base, account.pw_uid, account.pw_gid)
        initdb = [str(bindir / "initdb"), "--pgdata", str(data), "--username", SUPERUSER]
        initdb += ["--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync"]
        _run_as(account, initdb, cwd=base)
        # Socket in our folder only, no TCP; durability is not the point of a test server.
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{base}' -c port={PORT}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl("start", "--log", str(log), "--options", options)
        server = Server(base, PORT, SUPERUSER, "postgres", log)
        _create_database(server)
        yield Server(base, PORT, SUPERUSER, DATABASE, log)
    finally:
        try:
            if (data / "postmaster.pid").exists():  # started, or half-started
                pg_ctl("stop", "--mode", "fast")
        except (RuntimeError, subprocess.SubprocessError):
            _kill_postmaster(data)
            raise
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _create_database(server: Server) -> None:
    import psycopg

    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")


def serve() -> Iterator[Server]:
    """A session fixture's body: skip (or fail, see the module docstring) or run a server."""
    pytest.importorskip("psycopg", reason="the test extra's psycopg[binary] is not installed")
    bindir = find_bindir()
    if bindir is None:
        _skip_or_fail(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) in "
            + (", ".join(candidate_bindirs()) or "pg_config --bindir, /usr/lib/postgresql/*/bin")
            + ": install Debian's postgresql package (.ci/run does)"
        )
    with running_server(bindir) as server:
        yield server
