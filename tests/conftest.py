"""Shared fixtures: hypothesis profiles and the drivers every behaviour is run through."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import DRIVERS

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


@pytest.fixture(params=list(DRIVERS))
def encode(request: pytest.FixtureRequest) -> Callable[..., str]:
    """Encode through one driver (each test runs once per driver); returns the text."""
    return DRIVERS[request.param]
