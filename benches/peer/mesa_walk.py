"""Time a Mesa model of the uniform-followee walk, for side-by-side comparison with driftlab.

Every agent is a test account that, each step, follows a uniformly random followee of the
account it followed last (the walk driftlab validates against its closed form in
tests/closed_form.rs). The follow graph has ACCOUNTS accounts, the last 1% of them the flagged
cluster, and DEGREE followees per account: each a flagged account with probability 0.1 from a
benign account (0.9 from a flagged one), otherwise a uniformly random benign account. Only the
steps are timed (the graph and the agents are built first), as for T-RECS's run().

usage: python mesa_walk.py ACCOUNTS DEGREE WALKERS STEPS [SEED]
"""
import sys
import time

import mesa
import numpy as np

accounts, degree, walkers, steps = (int(a) for a in sys.argv[1:5])
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1


class Walker(mesa.Agent):
    """A test account walking the follow graph."""

    def __init__(self, model, start):
        super().__init__(model)
        self.at = start
        self.drift_step = None

    def step(self):
        model = self.model
        followees = model.followees[self.at]
        if followees:
            self.at = followees[model.random.randrange(len(followees))]
        if self.drift_step is None and self.at >= model.first_flagged:
            self.drift_step = model.steps


class Walk(mesa.Model):
    def __init__(self):
        super().__init__(seed=seed)
        rng = np.random.default_rng(seed)
        flagged = max(1, accounts // 100)
        self.first_flagged = accounts - flagged
        benign = self.first_flagged
        to_flagged = np.where(np.arange(accounts) >= benign, 0.9, 0.1)
        hit = rng.random((accounts, degree)) < to_flagged[:, None]
        targets = np.where(
            hit,
            benign + rng.integers(0, flagged, (accounts, degree)),
            rng.integers(0, benign, (accounts, degree)),
        )
        self.followees = [sorted(set(row)) for row in targets.tolist()]
        for start in rng.integers(0, benign, walkers).tolist():
            Walker(self, start)

    def step(self):
        self.agents.do("step")


t0 = time.perf_counter()
model = Walk()
t1 = time.perf_counter()
for _ in range(steps):
    model.step()
t2 = time.perf_counter()
run = t2 - t1
drifted = sum(a.drift_step is not None for a in model.agents)
print(f"mesa {mesa.__version__}: build {t1 - t0:.2f}s run {run:.2f}s "
      f"per_agent_step {run / (walkers * steps) * 1e6:.3f}us drifted {drifted / walkers:.3f}")
