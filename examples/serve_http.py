"""Serve a million records over HTTP as they are produced, with Starlette and uvicorn.

    pip install "streamjson[examples]"
    python examples/serve_http.py --port 8000
    curl -sN http://127.0.0.1:8000/records | head -c 300
    curl -sN http://127.0.0.1:8000/records.jsonl | head -n 3

Routes:

* ``GET /records?count=N``: one JSON document, ``{"count": N, "records": [...]}``.
* ``GET /records.jsonl?count=N``: the same records as JSON Lines.
* ``GET /progress``: how many records the producers have made so far, and how many
  responses stopped early (a client that hangs up stops its producer).

The records come from an async generator standing in for a database cursor that
fetches pages. Neither the records nor the text are ever held whole:
``streamjson.iterencode_async`` writes the body as the records come, the server
sends each chunk as it is written, and a client that reads slowly holds the
producer back (the server waits for the socket to drain before asking for more).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

import streamjson

PAGE = 1000  # records fetched per simulated database round trip
DEFAULT_COUNT = 1_000_000

progress = {"produced": 0, "stopped_early": 0}


async def fetch_records(count: int) -> AsyncIterator[dict[str, Any]]:
    """Records ``0 .. count-1``, a page at a time, as a database cursor would give them."""
    done = False
    try:
        for start in range(0, count, PAGE):
            await asyncio.sleep(0)  # the round trip to the database
            for i in range(start, min(start + PAGE, count)):
                progress["produced"] += 1
                yield {
                    "id": i,
                    "name": f"user{i}",
                    "email": f"user{i}@example.com",
                    "score": i % 97,
                }
        done = True
    finally:
        if not done:
            progress["stopped_early"] += 1


def _count(request: Request) -> int:
    return int(request.query_params.get("count", DEFAULT_COUNT))


async def records(request: Request) -> StreamingResponse:
    count = _count(request)
    document = {"count": count, "records": fetch_records(count)}
    return StreamingResponse(streamjson.iterencode_async(document), media_type="application/json")


async def records_jsonl(request: Request) -> StreamingResponse:
    body = streamjson.iterencode_lines_async(fetch_records(_count(request)))
    return StreamingResponse(body, media_type="application/x-ndjson")


async def show_progress(request: Request) -> JSONResponse:
    return JSONResponse(progress)


app = Starlette(
    routes=[
        Route("/records", records),
        Route("/records.jsonl", records_jsonl),
        Route("/progress", show_progress),
    ]
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
