"""A throwaway S3 API for the tests: moto's server (``moto[server]``) on 127.0.0.1.

``serve()`` (the body of a session fixture: ``yield from serve()``) starts
``python -m moto.server`` in a subprocess on a free loopback port, waits until it
answers, and yields a :class:`Server`; at the end it is stopped. A subprocess, not
moto's threaded server: the server's own warnings stay out of the test process, whose
filters turn warnings into errors, and a test measuring memory measures its own.

Without moto (or s3fs) the tests skip, saying why; with ``CI`` set in the environment
(CI sets ``CI=true``) they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

TIMEOUT = 60  # seconds for the server to answer
KEY_ID = SECRET = "testing"  # moto takes any credentials
REGION = "us-east-1"


@dataclass(frozen=True)
class Server:
    """A running S3 API at ``endpoint``; ``storage_options`` reach it through s3fs."""

    endpoint: str
    log: Path

    @property
    def storage_options(self) -> dict[str, Any]:
        """What a user passes to streamjson (and fsspec) to reach this server."""
        return {
            "key": KEY_ID,
            "secret": SECRET,
            "endpoint_url": self.endpoint,
            "client_kwargs": {"region_name": REGION},
            "skip_instance_cache": True,  # each test's filesystem starts fresh
        }

    @property
    def environ(self) -> dict[str, str]:
        """Environment variables that point s3fs (in a subprocess: the CLI) here."""
        return {
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": REGION,
            "FSSPEC_S3_ENDPOINT_URL": self.endpoint,
        }

    def client(self) -> Any:
        """A plain boto3 client, to look at the bucket from outside streamjson."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        )


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail when running under CI."""
    if os.environ.get("CI"):
        pytest.fail(f"the S3 tests cannot run under CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except OSError:
        return False


def serve() -> Iterator[Server]:
    """Start moto's server, yield it, stop it."""
    for module in ("moto.server", "s3fs", "boto3"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            unavailable(f"{module} is not installed (pip install -e '.[test]')")
    with tempfile.TemporaryDirectory(prefix="streamjson-moto-") as folder:
        log = Path(folder, "moto.log")
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            deadline = time.monotonic() + TIMEOUT
            while not _answers(endpoint):
                if process.poll() is not None or time.monotonic() > deadline:
                    unavailable(f"moto's server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.1)
            yield Server(endpoint, log)
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
            if process.poll() is None:
                process.kill()
                process.wait()
