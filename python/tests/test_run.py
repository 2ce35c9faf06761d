"""Runs: the CLI's bytes, equal frames in memory and on disk, documented dtypes, the GIL
released while the engine runs."""

import filecmp
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftlab
from conftest import REFERENCE, ROOT, SMOKE

STEPS_HEADER = (REFERENCE / "steps.csv").read_text().splitlines()[0].split(",")
PROBES_HEADER = (REFERENCE / "probes.csv").read_text().splitlines()[0].split(",")


FILES = ["steps.csv", "probes.csv", "summary.json", "summary.md", "scenario.resolved.toml"]


def cli_binary():
    """The `driftlab` binary `cargo test` or `cargo build` left, if any (DRIFTLAB_BIN first)."""
    if os.environ.get("DRIFTLAB_BIN"):
        return Path(os.environ["DRIFTLAB_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    found = [target / p / "driftlab" for p in ["debug", "release"]]
    found = [b for b in found if b.is_file()]
    return max(found, key=lambda b: b.stat().st_mtime) if found else None


def test_a_run_with_out_writes_the_cli_bytes(tmp_path, monkeypatch):
    """The smoke scenario run from Python gives the committed reference's files, which
    `.ci/run` requires `driftlab run scenarios/smoke.toml` to reproduce byte for byte, and
    the files of the CLI binary beside this checkout when there is one."""
    monkeypatch.chdir(ROOT)  # the scenario path as the CLI is given it (summary.md quotes it)
    results = driftlab.Scenario.from_toml("scenarios/smoke.toml").run(threads=2, out=tmp_path)
    assert results.dir == str(tmp_path / "smoke")
    for name in FILES:
        assert filecmp.cmp(tmp_path / "smoke" / name, REFERENCE / name, shallow=False), name
    manifest = json.loads((tmp_path / "smoke" / "manifest.json").read_text())
    reference = json.loads((REFERENCE / "manifest.json").read_text())
    assert manifest["scenario_hash"] == reference["scenario_hash"]
    binary = cli_binary()
    if binary is None:
        pytest.skip("no driftlab binary built beside this checkout: compared with the reference")
    cli = tmp_path / "cli"
    subprocess.run(
        [binary, "run", "scenarios/smoke.toml", "--out", cli, "--threads", "1"],
        check=True,
        capture_output=True,
    )
    for name in FILES:
        assert filecmp.cmp(tmp_path / "smoke" / name, cli / "smoke" / name, shallow=False), name


def test_in_memory_and_on_disk_give_equal_frames(small, small_on_disk):
    memory = small.run(threads=1)
    assert memory.dir is None
    pd.testing.assert_frame_equal(memory.steps(), small_on_disk.steps())
    pd.testing.assert_frame_equal(memory.probes(), small_on_disk.probes())
    pd.testing.assert_frame_equal(memory.summary(), small_on_disk.summary())
    again = driftlab.load(small_on_disk.dir)
    pd.testing.assert_frame_equal(again.steps(), small_on_disk.steps())


def test_frames_are_the_files(small_on_disk):
    """Same rows and values as the CSVs, read by pandas' own parser."""
    steps = small_on_disk.steps()
    csv = pd.read_csv(f"{small_on_disk.dir}/steps.csv")
    assert list(steps.columns) == list(csv.columns) == STEPS_HEADER
    np.testing.assert_array_equal(steps["arm"].astype(str).to_numpy(), csv["arm"].to_numpy())
    for column in STEPS_HEADER[1:]:
        np.testing.assert_allclose(steps[column], csv[column], rtol=0, atol=5e-7, err_msg=column)
    probes = small_on_disk.probes()
    csv = pd.read_csv(f"{small_on_disk.dir}/probes.csv")
    assert list(probes.columns) == list(csv.columns) == PROBES_HEADER
    for column in ["replicate", "probe", "start_community", "drift_step"]:
        np.testing.assert_array_equal(probes[column], csv[column])
    np.testing.assert_array_equal(probes["censored"], csv["censored"] == 1)
    both = probes["first_flagged_step"].isna().to_numpy()
    np.testing.assert_array_equal(both, csv["first_flagged_step"].isna().to_numpy())
    summary = small_on_disk.summary()
    figures = json.loads(open(f"{small_on_disk.dir}/summary.json").read())
    assert list(summary["arm"]) == small_on_disk.arms == ["baseline", "both"]
    for row, arm in zip(summary.itertuples(), figures["arms"]):
        assert row.arm == arm["name"] and row.probes == arm["probes"]
        for figure in ["drifted_share", "drift_reduction", "median_drift_step", "panel_reach"]:
            for bound in ["estimate", "lower", "upper"]:
                column = figure if bound == "estimate" else f"{figure}_{bound}"
                value = arm[figure][bound]
                got = getattr(row, column)
                assert (np.isnan(got) and value is None) or got == value, (figure, bound)
        assert row.pareto_optimal == arm["pareto_optimal"]
        assert row.cluster_active == arm["cluster"]["active"]["estimate"]


def test_documented_dtypes(small_on_disk):
    steps = small_on_disk.steps()
    assert isinstance(steps["arm"].dtype, pd.CategoricalDtype)
    assert list(steps["arm"].cat.categories) == ["baseline", "both"]
    assert steps["replicate"].dtype == np.int64 and steps["step"].dtype == np.int64
    assert all(steps[c].dtype == np.float64 for c in STEPS_HEADER[3:])
    assert len(steps) == 2 * 2 * 8
    probes = small_on_disk.probes()
    expected = {
        "replicate": np.int64,
        "probe": np.int64,
        "start_community": np.int64,
        "drift_step": np.int64,
        "censored": np.bool_,
    }
    for column, dtype in expected.items():
        assert probes[column].dtype == dtype, column
    assert isinstance(probes["persona"].dtype, pd.CategoricalDtype)
    assert probes["first_flagged_step"].dtype == pd.Int64Dtype()
    assert probes["first_flagged_follow_step"].dtype == pd.Int64Dtype()
    summary = small_on_disk.summary()
    assert summary["probes"].dtype == np.int64 and summary["pareto_optimal"].dtype == np.bool_
    for figure in ["drifted_share", "drift_reduction", "cluster_active"]:
        for suffix in ["", "_lower", "_upper"]:
            assert summary[figure + suffix].dtype == np.float64


def test_thread_count_does_not_change_results(small):
    one = small.run(threads=1)
    two = small.run(threads=2)
    pd.testing.assert_frame_equal(one.steps(), two.steps())
    pd.testing.assert_frame_equal(one.probes(), two.probes())


def test_the_gil_is_released_during_a_run():
    """A Python thread keeps counting while the engine runs; with the GIL held it could not."""
    scenario = driftlab.Scenario.from_toml(SMOKE, set={"steps": 12, "replicates": 2})
    ticks = []
    running = threading.Event()
    stop = threading.Event()

    def count():
        running.set()
        while not stop.is_set():
            ticks.append(time.perf_counter())

    counter = threading.Thread(target=count)
    counter.start()
    running.wait()
    start = time.perf_counter()
    scenario.run(threads=1)
    end = time.perf_counter()
    stop.set()
    counter.join()
    during = [t for t in ticks if start < t < end]
    assert end - start > 0.05, "the run was too short to tell"
    # The counter ran throughout: ticks in every tenth of the run, not only at its edges.
    tenths = {int(10 * (t - start) / (end - start)) for t in during}
    assert len(tenths) >= 8, (len(during), sorted(tenths))


def test_progress_reports_every_job(small):
    seen = []
    small.run(threads=2, progress=lambda done, total, name: seen.append((done, total, name)))
    assert seen[-1][:2] == (4, 4)
    assert sorted(d for d, _, _ in seen) == [1, 2, 3, 4]


def test_bad_runs_raise_python_exceptions(small, tmp_path):
    with pytest.raises(driftlab.DriftlabError, match="threads"):
        small.run(threads=0)
    with pytest.raises(driftlab.DriftlabError):
        driftlab.load(tmp_path / "nothing-here")
    small.run(threads=1, out=tmp_path)
    with pytest.raises(driftlab.DriftlabError, match="overwrite"):
        small.run(threads=1, out=tmp_path)
    assert small.run(threads=1, out=tmp_path, resume=True).dir == str(tmp_path / "smoke")
