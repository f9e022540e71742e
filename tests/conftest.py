"""Shared test set-up: hypothesis profiles and the location of the shared evaluation data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI runs hundreds of generated examples per primitive, the same ones every run (derandomize:
# a CI result is reproducible); `explore` draws new examples each run (for finding new bugs
# locally, e.g. HYPOTHESIS_PROFILE=explore with several seeds); `dev` is quicker for the edit loop.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=300, derandomize=True, **_common)
settings.register_profile("explore", max_examples=300, **_common)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"evaluation data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed pages not found at {SEEDS}")
    return SEEDS
