"""examples/export_postgres.py against a real PostgreSQL server, run as a user runs it.

The server is our own (tests/postgres_server.py: initdb into a temporary folder, a unix
socket there, stopped at the end). The example loads the demo table with ``--load`` and
exports it; the tests read the gzipped JSON back and check it against what psycopg returns
for the same rows, converted by the documented rules, check in the server's own log that
the rows came through a named cursor, one ``FETCH`` of ``--itersize`` rows at a time, and
check that the process's peak memory does not grow with the row count.

Needs psycopg (the test extra) and the server binaries (Debian's ``postgresql`` package,
which ``.ci/run`` installs); skipped without them.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.helpers import run_example
from tests.postgres_server import Server, alive, find_bindir, running_server, serve

psycopg = pytest.importorskip("psycopg")

SMALL = 20_000
ITERSIZE = 1_000


@dataclass
class Export:
    rows: int
    table: str
    out: Path
    stdout: str
    statements: list[str]  # what the export's session sent, from the server's log
    peak_rss_mib: float


def export(server: Server, tmp: Path, rows: int, itersize: int = ITERSIZE) -> Export:
    """``python examples/export_postgres.py DSN --load ROWS ...``, logging every statement."""
    table = f"orders_{rows}"
    out = tmp / f"{table}.json.gz"
    # The export's session alone logs its statements (the role is a superuser, so it may).
    dsn = f"{server.dsn} options='-c log_statement=all'"
    options = ["--out", str(out), "--itersize", str(itersize)]
    log_start = server.log.stat().st_size
    printed = run_example(
        "export_postgres",
        dsn,
        "--load",
        str(rows),
        "--table",
        table,
        *options,
        cwd=tmp,
        timeout=600,
    )
    with open(server.log, "rb") as log:
        log.seek(log_start)
        text = log.read().decode("utf-8", "replace")
    statements = re.findall(r"LOG:  (?:statement|execute [^:]*): (.*)", text)
    peak = re.search(r"^peak RSS ([\d.]+) MiB", printed, re.MULTILINE)
    assert peak, printed
    return Export(rows, table, out, printed, statements, float(peak.group(1)))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """Our own server, started once (skips without one; see tests/postgres_server.py)."""
    yield from serve()


@pytest.fixture(scope="module")
def small(postgres_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Export:
    return export(postgres_server, tmp_path_factory.mktemp("export"), SMALL)


def number(text: str) -> tuple[str, str]:
    """A JSON number with a fraction or exponent, kept as its text: digits are compared exactly."""
    return ("number", text)


def documented(value: Any) -> Any:
    """What the docs say a value psycopg returned becomes, as ``json.loads`` reads it back."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return number(str(value))
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.standard_b64encode(value).decode("ascii")
    if isinstance(value, list):  # text[]
        return [documented(item) for item in value]
    if isinstance(value, dict):  # jsonb: the same JSON
        return json.loads(json.dumps(value), parse_float=number)
    assert value is None or isinstance(value, int | str), type(value)
    return value


def read_back(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows: list[dict[str, Any]] = json.load(f, parse_float=number)
    return rows


def test_every_column_comes_back_in_its_documented_form(
    small: Export, postgres_server: Server
) -> None:
    got = read_back(small.out)
    assert f"exported {SMALL:,} rows" in small.stdout
    with psycopg.connect(postgres_server.dsn) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        cursor = conn.cursor(row_factory=psycopg.rows.dict_row)
        source = cursor.execute(f"SELECT * FROM {small.table} ORDER BY id").fetchall()
    assert len(got) == len(source) == SMALL
    assert got == [{name: documented(value) for name, value in row.items()} for row in source]

    # And the forms themselves, spelled out for the first rows of the demo table.
    types = {type(v) for row in source[:8] for v in row.values()}
    assert {datetime.datetime, datetime.date, Decimal, UUID, dict, list, bytes} <= types
    assert got[0] == {
        "id": 1,
        "created_at": "2026-01-01T00:00:37.001000+00:00",
        "ship_date": "2026-01-02",
        "total": ("number", "79.19"),
        "customer": "c4ca4238-a0b9-2382-0dcc-509a6f75849b",
        "details": {"sku": "SKU-0001", "qty": 2, "gift": False, "note": None, "lines": [1, 1]},
        "tags": ["tag1", "région-1"],
        "signature": "xMpCOKC5I4INzFCab3WEmw==",  # md5("1"), 16 bytes: padded
    }
    assert got[9]["total"] == ("number", "791.90")  # numeric(12,2) keeps its trailing zero
    assert got[9]["ship_date"] is None and got[3]["signature"] is None  # NULL is null


def test_rows_come_through_a_named_cursor_a_batch_at_a_time(small: Export) -> None:
    """The server's log of the export's session: one DECLARE, then FETCH FORWARD itersize."""
    declares = [s for s in small.statements if s.startswith("DECLARE")]
    fetches = [s for s in small.statements if s.startswith("FETCH")]
    assert declares == [
        f'DECLARE "streamjson_export" CURSOR FOR SELECT * FROM "{small.table}" ORDER BY id'
    ], small.statements
    assert set(fetches) == {f'FETCH FORWARD {ITERSIZE} FROM "streamjson_export"'}
    # Every row in a batch of ITERSIZE, and a last FETCH that finds the end: no fetchall.
    assert len(fetches) == SMALL // ITERSIZE + 1
    reads = [s for s in small.statements if re.search(r"\bFROM\b", s, re.IGNORECASE)]
    assert all(s in declares or s in fetches for s in reads), reads


@pytest.mark.slow  # two exports, 220,000 rows: ~10 s
def test_peak_memory_does_not_grow_with_the_row_count(
    small: Export, postgres_server: Server, tmp_path: Path
) -> None:
    """Ten times the rows, the same peak RSS (within a few MiB), while the JSON grows tenfold."""
    large = export(postgres_server, tmp_path, 10 * SMALL)
    assert f"exported {10 * SMALL:,} rows" in large.stdout
    with gzip.open(large.out, "rb") as f:
        extra_text_mib = (sum(len(b) for b in iter(lambda: f.read(1 << 20), b"")) / 2**20) * 0.9
    # Holding the extra rows, as dicts or as text, would cost more than their JSON text.
    assert extra_text_mib > 50
    assert large.peak_rss_mib - small.peak_rss_mib < 10, (small.stdout, large.stdout)


def test_the_server_listens_on_its_socket_only_and_is_removed_even_after_a_failure(
    postgres_server: Server,
) -> None:
    with psycopg.connect(postgres_server.dsn) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)  # no TCP at all
        assert conn.execute("SELECT inet_server_addr()").fetchone() == (None,)  # a unix socket
    bindir = find_bindir()
    assert bindir is not None
    with pytest.raises(ZeroDivisionError), running_server(bindir) as server:
        pid = int((server.socket_dir / "data" / "postmaster.pid").read_text().split()[0])
        assert alive(pid)
        1 / 0  # noqa: B018 - a test that fails
    assert not server.socket_dir.exists()
    assert not alive(pid)
