"""Write application log events as JSON Lines through a ``logging.Handler``.

    python examples/log_events.py events.jsonl
    tail -f events.jsonl        # in another terminal: each event shows up at once

Each log record becomes one line::

    {"time": "2024-05-01T12:00:00.123456+00:00", "level": "INFO", "logger": "shop",
     "message": "order placed", "order": 17, "items": ["pen", "ink"]}

The handler is a thin layer over ``streamjson.LinesWriter(path, append=True,
flush=True)``: the file is created if missing and appended to, every event is
flushed to it as it is logged, and lines from threads logging at once never mix.
Fields passed with ``extra=`` are written as they are (anything JSON cannot hold
is written with ``str()``), so they can be queried later with ``jq`` or pandas.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import threading
from typing import Any

import streamjson

# The attributes every LogRecord has; anything else on a record came from extra=.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JSONLinesHandler(logging.Handler):
    """A logging handler that appends one JSON object per record to a file."""

    def __init__(self, path: str | os.PathLike[str], level: int = logging.NOTSET) -> None:
        # Opened first: logging calls close() at exit on every handler it has seen.
        writer = streamjson.LinesWriter(
            path, append=True, flush=True, default=str, ensure_ascii=False
        )
        super().__init__(level)
        self.writer = writer

    def event(self, record: logging.LogRecord) -> dict[str, Any]:
        """The JSON object written for ``record``."""
        event: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(
                record.created, datetime.timezone.utc
            ).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            event["exception"] = logging.Formatter().formatException(record.exc_info)
        return event

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.write(self.event(record))
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self.writer.close()
        super().close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the JSON Lines file to append events to")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--events", type=int, default=1000, help="events per thread")
    args = parser.parse_args(argv)

    log = logging.getLogger("shop")
    log.setLevel(logging.INFO)
    handler = JSONLinesHandler(args.path)
    log.addHandler(handler)
    try:
        log.info("shop opened", extra={"threads": args.threads})

        def worker(n: int) -> None:
            for i in range(args.events):
                log.info("order placed", extra={"worker": n, "order": i, "items": ["pen", "ink"]})

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            print(1 / 0)
        except ZeroDivisionError:
            log.exception("till failed", extra={"till": 3, "opened": datetime.date.today()})
        log.info("shop closed")
    finally:
        log.removeHandler(handler)
        handler.close()


if __name__ == "__main__":
    main()
