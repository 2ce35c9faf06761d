"""Shared fixtures: the repository's scenarios and reference results, and a small smoke run."""

from pathlib import Path

import pytest

import driftlab

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
REFERENCE = ROOT / "results" / "reference" / "smoke"


@pytest.fixture(scope="session")
def small():
    """The smoke scenario cut to a few seconds (2 replicates x 8 steps)."""
    return driftlab.Scenario.from_toml(SMOKE, set={"steps": 8, "replicates": 2})


@pytest.fixture(scope="session")
def small_on_disk(small, tmp_path_factory):
    """`small` run into a results directory."""
    out = tmp_path_factory.mktemp("small")
    return small.run(threads=2, out=out)
