"""Shared test configuration: markers by folder, Hypothesis profiles, seeded RNG, shared-data paths."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_FOLDER_MARKERS = {"unit", "property", "contract", "integration", "validation"}

#: ../shared beside the checkout (CI has it there); override with PHYSICS_TWIN_SHARED.
SHARED = Path(os.environ.get("PHYSICS_TWIN_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = set(Path(str(item.fspath)).relative_to(Path(__file__).parent).parts)
        for marker in _FOLDER_MARKERS & parts:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; every random stream in the tests comes from one of these."""
    return np.random.default_rng(20261203)


def shared_path(*parts: str) -> Path:
    """Path under ../shared, or skip the test with the reason when the file is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data file missing: {path} (CI provides ../shared beside the checkout)")
    return path


@pytest.fixture
def shared():
    """The :func:`shared_path` helper as a fixture."""
    return shared_path
