"""examples/export_sqlite.py, the main job, run as a user runs it (on fewer rows).

The file it writes is checked against ``json.dumps`` of the same document built in
this process from the same database, and the figures it prints against the file.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import load_example, run_example

ROWS = 3000


@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".json.bz2", ".json.xz", ".json.zst"])
def test_the_main_job_writes_json_dumps_text_and_says_how_much(tmp_path: Path, suffix: str) -> None:
    if suffix.endswith(".zst"):
        pytest.importorskip("zstandard")
    example = load_example("export_sqlite")
    db, out = tmp_path / "orders.db", tmp_path / f"orders{suffix}"
    printed = run_example(
        "export_sqlite", "--rows", str(ROWS), "--db", str(db), "--out", str(out),
        cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert f"exported {ROWS:,} orders to {out}" in printed

    with example.open_decompressed(str(out)) as f:
        text = f.read().decode("utf-8")
    document = json.loads(text)
    with sqlite3.connect(db) as conn:
        orders = list(example.order_documents(conn))
    conn.close()
    assert len(orders) == document["count"] == ROWS
    expected = {"exported_at": document["exported_at"], "count": ROWS, "orders": orders}
    assert text == json.dumps(expected)

    said = re.search(r"\((\d+) MB of JSON, (\d+) MB on disk\)", printed)
    assert said is not None, printed
    assert int(said[1]) == round(len(text.encode()) / 1e6)
    assert int(said[2]) == round(out.stat().st_size / 1e6)
