"""Ctrl-C during a run: the run stops at its next step with KeyboardInterrupt, the finished
(arm, replicate) jobs are kept, and `resume=True` completes it to the CLI's bytes."""

import filecmp
import signal
import subprocess
import sys
import time

import driftlab
from conftest import REFERENCE, ROOT

CHILD = """
import sys
import driftlab
driftlab.Scenario.from_toml("scenarios/smoke.toml").run(threads=1, out=sys.argv[1])
print("finished")
"""


def test_ctrl_c_stops_the_run_and_resume_completes_it(tmp_path, monkeypatch):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts = tmp_path / "smoke" / ".parts"
    deadline = time.monotonic() + 120
    while not (parts.is_dir() and any(p.suffix == ".part" for p in parts.iterdir())):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "no job finished in two minutes"
        time.sleep(0.01)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode != 0 and "finished" not in out
    assert "KeyboardInterrupt" in err, err
    assert parts.is_dir() and not (tmp_path / "smoke" / "steps.csv").exists()
    saved = sorted(p.name for p in parts.iterdir() if p.suffix == ".part")
    assert 1 <= len(saved) < 6

    monkeypatch.chdir(ROOT)
    seen = []
    results = driftlab.Scenario.from_toml("scenarios/smoke.toml").run(
        threads=2, out=tmp_path, resume=True, progress=lambda *a: seen.append(a)
    )
    # Progress starts at the saved jobs; only the others are run again.
    assert seen[0][:2] == (len(saved), 6) and seen[-1][:2] == (6, 6)
    assert len(seen) == 1 + 6 - len(saved)
    assert not parts.exists()
    for name in ["steps.csv", "probes.csv", "summary.json"]:
        assert filecmp.cmp(tmp_path / "smoke" / name, REFERENCE / name, shallow=False), name
    assert len(results.probes()) == 2 * 3 * 30
