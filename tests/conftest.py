"""Shared test set-up: hypothesis profiles, the markers `core` and `backend_independent`, and
the location of the shared evaluation data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI runs 200 generated examples per test unless a test says otherwise, the same ones every run
# (derandomize: a CI result is reproducible; with 300 the Rust pass took ~50 s more of the 2
# cores it shares with the Spark tests, and the suite passed 15 minutes); `explore` draws 300
# new examples each run (for finding new bugs locally, e.g. HYPOTHESIS_PROFILE=explore with
# several seeds); `dev` is quicker for the edit loop.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=200, derandomize=True, **_common)
settings.register_profile("explore", max_examples=300, **_common)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

try:
    from neardup import _core  # noqa: F401

    HAVE_CORE = True
except ImportError:
    HAVE_CORE = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A checkout where the core was never compiled runs the suite under NEARDUP_BACKEND=python
    # (`make test-python-only`): what needs the core says so instead of failing.
    if HAVE_CORE:
        return
    skip = pytest.mark.skip(reason="needs the compiled core neardup._core, which is not built (make dev)")
    for item in items:
        if item.get_closest_marker("core"):
            item.add_marker(skip)


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
