"""What a ranker written in Python costs, and how fast results reach pandas (issue 21).

    python benches/python/plugins.py [--runs N] [--quick]

Needs the `driftlab` package built with optimisations (`pip install ./python`, or
`maturin develop --release` in python/). Prints markdown tables for benches/README.md:

1. The quickstart (20,000 accounts, 100 probes, 3 arms x 20 replicates x 100 steps, 2 threads)
   with its native co-follow ranker on suggested accounts against the same ranking done in
   Python: candidates come from the native, seeded co-follow source and a Python `Policy`
   ranks them by their co-follow path counts (which reproduces the native arm exactly: the
   script checks the steps are equal). A second Python ranker does typical numpy work per
   candidate (viewer-content cosine blended with the count). Runs alternate native / Python,
   N times each; medians with min-max. The per-call overhead is what the Python arm adds to
   the wall time, divided by the calls and by the requests they served.
2. `probes()` of a 1,000,000-row result into pandas: in memory (a run without `out`), from a
   results directory (`driftlab.load`), and `pandas.read_csv` of the same probes.csv.
"""

import argparse
import os
import platform
import statistics
import tempfile
import time

import numpy as np
import pandas as pd

import driftlab

CO_FOLLOW = {"kind": "co_follow", "samples": 300}


class CoFollowRanker(driftlab.Policy):
    """Co-follow's ranking in Python: the retrieved candidates by their path counts."""

    kind = "py_co_follow"
    calls = requests = candidates = 0
    seconds = 0.0

    def score(self, batch):
        start = time.perf_counter()
        scores = batch.score.copy()
        cls = type(self)
        cls.calls += 1
        cls.requests += batch.requests
        cls.candidates += batch.candidates
        cls.seconds += time.perf_counter() - start
        return scores


class BlendRanker(CoFollowRanker):
    """Path counts blended with the cosine of the viewer estimate and each candidate's content."""

    kind = "py_blend"

    def score(self, batch):
        start = time.perf_counter()
        viewer = batch.estimate[batch.request]
        content = batch.content
        cosine = np.einsum("ij,ij->i", viewer, content) / (
            np.linalg.norm(viewer, axis=1) * np.linalg.norm(content, axis=1) + 1e-9)
        scores = np.log1p(batch.score) + 0.5 * cosine
        cls = type(self)
        cls.calls += 1
        cls.requests += batch.requests
        cls.candidates += batch.candidates
        cls.seconds += time.perf_counter() - start
        return scores


def quickstart(kind=None, extra=None):
    sets = dict(extra or {})
    if kind is not None:
        sets["surfaces.suggested_accounts.policy"] = {"kind": kind, "source": CO_FOLLOW}
    return driftlab.Scenario.quickstart(set=sets or None)


def timed(run):
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def summary(xs):
    return f"{statistics.median(xs):.2f} s ({min(xs):.2f}-{max(xs):.2f})"


def ranker_bench(runs, extra):
    native, python, blend = [], [], []
    native_steps = python_steps = None
    counts = {}
    for _ in range(runs):
        t, r = timed(lambda: quickstart(extra=extra).run(threads=2))
        native.append(t)
        native_steps = r.steps()
        for cls, sink in [(CoFollowRanker, python), (BlendRanker, blend)]:
            cls.calls = cls.requests = cls.candidates = 0
            cls.seconds = 0.0
            t, r = timed(lambda: quickstart(cls.kind, extra).run(threads=2, plugins=[cls]))
            sink.append(t)
            counts[cls.kind] = (cls.calls, cls.requests, cls.candidates, cls.seconds)
            if cls is CoFollowRanker:
                python_steps = r.steps()
    same = native_steps.equals(python_steps)
    print("| arm | wall (median, min-max) | / native | calls | requests | candidates "
          "| in `score` | overhead per call | per request |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = statistics.median(native)
    print(f"| native co-follow | {summary(native)} | 1.00 | - | - | - | - | - | - |")
    for name, kind, times in [("Python co-follow ranking", "py_co_follow", python),
                              ("Python blend (numpy cosine)", "py_blend", blend)]:
        calls, requests, candidates, inside = counts[kind]
        extra_s = statistics.median(times) - base
        print(f"| {name} | {summary(times)} | {statistics.median(times) / base:.2f} | {calls} "
              f"| {requests} | {candidates} | {inside:.2f} s | {1e6 * extra_s / calls:.0f} us "
              f"| {1e6 * extra_s / requests:.1f} us |")
    print(f"\nPython co-follow ranking reproduces the native steps exactly: {same}")


def probes_bench(quick):
    per_group = 3_500 if quick else 35_000
    scenario = driftlab.Scenario.from_toml(
        os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "smoke.toml"),
        set={"name": "probes-1m", "steps": 6, "replicates": 10, "metrics.drift_window": 3,
             "probes[0].count": per_group, "probes[1].count": per_group * 3 // 7,
             "panel.size": 0},
    )
    with tempfile.TemporaryDirectory() as tmp:
        t_run, on_disk = timed(lambda: scenario.run(threads=2, out=tmp))
        t_mem_run, in_memory = timed(lambda: scenario.run(threads=2))
        rows = len(in_memory.probes())
        t_mem, _ = timed(in_memory.probes)
        t_load, loaded = timed(lambda: driftlab.load(on_disk.dir))
        t_disk, _ = timed(loaded.probes)
        t_csv, _ = timed(lambda: pd.read_csv(os.path.join(on_disk.dir, "probes.csv")))
    print(f"\n| probes() of {rows:,} rows | seconds |")
    print("|---|---|")
    print(f"| in memory (`Scenario.run()` result) | {t_mem:.3f} |")
    print(f"| `driftlab.load(dir)` (reads and checks every table) | {t_load:.3f} |")
    print(f"| then `.probes()` | {t_disk:.3f} |")
    print(f"| `pandas.read_csv(probes.csv)`, for comparison | {t_csv:.3f} |")
    print(f"\n(the run itself: {t_run:.1f} s to disk, {t_mem_run:.1f} s in memory)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a small version, for a smoke test")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}; "
          f"load {os.getloadavg()[0]:.2f}")
    extra = {"replicates": 2, "steps": 20} if args.quick else None
    ranker_bench(args.runs, extra)
    probes_bench(args.quick)
    start = time.perf_counter()
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import driftlab"],
                         capture_output=True, text=True).stderr.strip().splitlines()
    total = [line for line in out if line.rstrip().endswith("driftlab")]
    print(f"\n`import driftlab`: {total[-1].split('|')[1].strip()} us cumulative"
          if total else "")


if __name__ == "__main__":
    main()
