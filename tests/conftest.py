"""Shared fixtures: hypothesis profiles and the drivers every behaviour is run through."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import streamjson

# CI and the README's test command run the fixed-seed profile; explore by hand with
# `pytest --hypothesis-profile=explore` (or HYPOTHESIS_PROFILE=explore).
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _via_dumps(obj: Any, **kw: Any) -> str:
    return streamjson.dumps(obj, **kw)


def _via_iterencode(obj: Any, **kw: Any) -> str:
    return "".join(streamjson.iterencode(obj, chunk_size=kw.pop("chunk_size", 64), **kw))


def _via_dump_text(obj: Any, **kw: Any) -> str:
    out = io.StringIO()
    streamjson.dump(obj, out, **kw)
    return out.getvalue()


def _via_dump_binary(obj: Any, **kw: Any) -> str:
    out = io.BytesIO()
    streamjson.dump(obj, out, **kw)
    return out.getvalue().decode("utf-8")


DRIVERS: dict[str, Callable[..., str]] = {
    "dumps": _via_dumps,
    "iterencode": _via_iterencode,
    "dump_text": _via_dump_text,
    "dump_binary": _via_dump_binary,
}


@pytest.fixture(params=list(DRIVERS))
def encode(request: pytest.FixtureRequest) -> Callable[..., str]:
    """Encode through one driver (each test runs once per driver); returns the text."""
    return DRIVERS[request.param]
