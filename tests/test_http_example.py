"""examples/serve_http.py under a real uvicorn server, read with a real HTTP client.

Needs the ``examples`` extra (uvicorn, starlette, httpx); skipped without it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]
import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

EXAMPLE = Path(__file__).parent.parent / "examples" / "serve_http.py"
MILLION = 1_000_000


def record(i: int) -> dict[str, Any]:
    return {"id": i, "name": f"user{i}", "email": f"user{i}@example.com", "score": i % 97}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example, started on a free port of 127.0.0.1; yields its base URL."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--host", "127.0.0.1", "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not (
            found := re.search(rb"Uvicorn running on (http://127\.0\.0\.1:\d+)", log.read_bytes())
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the example server did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield found.group(1).decode()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def progress(client: Any) -> dict[str, int]:
    result: dict[str, int] = client.get("/progress").json()
    return result


def wait_for_stop(client: Any, stopped_before: int) -> None:
    """Wait until the producer of a response whose client left has been closed."""
    deadline = time.monotonic() + 10
    while progress(client)["stopped_early"] <= stopped_before:
        assert time.monotonic() < deadline, "the producer went on after the client left"
        time.sleep(0.05)


def test_json_lines_arrive_before_the_last_record_is_made(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        stopped = progress(client)["stopped_early"]
        with client.stream("GET", "/records.jsonl") as response:
            assert response.headers["content-type"] == "application/x-ndjson"
            got = []
            for line in response.iter_lines():
                got.append(json.loads(line))
                if len(got) == 1000:
                    break
            assert got == [record(i) for i in range(1000)]
            assert progress(client)["produced"] < MILLION  # the rest is not made yet
        wait_for_stop(client, stopped)


def test_one_json_document_is_parsed_as_it_arrives(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        stopped = progress(client)["stopped_early"]
        with client.stream("GET", "/records") as response:
            assert response.headers["content-type"] == "application/json"
            got: list[Any] = ijson.sendable_list()
            parser = ijson.items_coro(got, "records.item")
            records = []
            for data in response.iter_bytes():
                parser.send(data)
                records.extend(got)
                del got[:]
                if len(records) >= 1000:
                    break
            assert records[:1000] == [record(i) for i in range(1000)]
            assert progress(client)["produced"] < MILLION
        wait_for_stop(client, stopped)


def test_a_whole_response_is_the_json_document(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        response = client.get("/records", params={"count": 2000})
        assert response.json() == {"count": 2000, "records": [record(i) for i in range(2000)]}
        lines = client.get("/records.jsonl", params={"count": 3}).text
        assert lines == "".join(json.dumps(record(i)) + "\n" for i in range(3))
