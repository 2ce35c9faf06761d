# %% [markdown]
# # driftlab from Python: plug in your own ranker and measure drift
#
# A notebook-style script (cells marked `# %%`, so Jupyter, VS Code and `jupytext` open it as
# a notebook; `python quickstart.py` runs it top to bottom). It
# 1. loads the quickstart scenario embedded in driftlab,
# 2. plugs in a ranker written in Python for the "suggested accounts" surface,
# 3. compares the arms (no mitigation, suppressing flagged searches, excluding labelled
#    accounts from suggestions) under the native co-follow ranker and under yours,
# 4. plots the share of probes that drifted into the flagged cluster, step by step.
#
# Everything is synthetic: numbered accounts, a "flagged cluster", "flagged terms".
#
# Usage: `python quickstart.py [OUT_DIR]` (default: the current directory) writes `drift.png`.
# `DRIFTLAB_EXAMPLE_QUICK=1` runs a smaller version (2 replicates x 30 steps) in seconds.

# %%
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; in a notebook, drop this line to see the figure inline
import matplotlib.pyplot as plt
import numpy as np

import driftlab

out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
quick = os.environ.get("DRIFTLAB_EXAMPLE_QUICK") == "1"
size = {"replicates": 2, "steps": 30} if quick else {}

# %% [markdown]
# ## 1. The quickstart scenario
# Probes start next to a dense flagged cluster and follow co-follow suggestions. `set=` takes
# the same overrides as the CLI's `--set`.

# %%
native = driftlab.Scenario.quickstart(set=size)
print(native)
print("arms:", native.arms)

# %% [markdown]
# ## 2. A ranker written in Python
# driftlab retrieves candidates natively and seeded (here: co-follow path sampling, the `source`)
# and calls `score` once per step and surface with every request's candidates as numpy
# arrays. This ranker discounts co-follow counts by popularity: accounts many people follow
# rank lower, a common "diversify away from hubs" change. It sees only what the platform sees
# (its estimate of each viewer, content, follower counts, moderation labels).


# %%
class DiscountedCoFollow(driftlab.Policy):
    """Co-follow path counts divided by (1 + followers) ** strength."""

    kind = "discounted_co_follow"

    def __init__(self, strength: float = 0.5):
        if not 0 <= strength <= 2:
            raise driftlab.ParamError("strength", f"= {strength}: expected 0 ..= 2")
        self.strength = strength

    def score(self, batch: driftlab.Batch) -> np.ndarray:
        return batch.score / (1.0 + batch.followers) ** self.strength


# The scenario names it like a built-in policy; `source` is the native retrieval.
yours = driftlab.Scenario.quickstart(
    set={
        **size,
        "name": "quickstart-discounted",
        "surfaces.suggested_accounts.policy": {
            "kind": "discounted_co_follow",
            "strength": 0.5,
            "source": {"kind": "co_follow", "samples": 300},
        },
    }
)

# %% [markdown]
# ## 3. Run both and compare the arms
# Runs release the GIL and use every core; the same scenario and seed give the same numbers on
# any thread count. `summary()` has one row per arm with 95% intervals.

# %%
results = {
    "native co-follow": native.run(),
    "discounted (Python)": yours.run(plugins=[DiscountedCoFollow]),
}
columns = ["arm", "drifted_share", "drifted_share_lower", "drifted_share_upper",
           "median_drift_step", "panel_reach"]
for ranker, r in results.items():
    print(f"\n{ranker}")
    print(r.summary()[columns].round(3).to_string(index=False))

# %% [markdown]
# ## 4. Drift, step by step
# `steps()` has one row per (arm, replicate, step); the mean over replicates of `drifted` is the
# share of probes drifted by that step.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (ranker, r) in zip(axes, results.items()):
    steps = r.steps()
    curves = steps.groupby(["arm", "step"], observed=True)["drifted"].mean().unstack("arm")
    for arm in r.arms:
        ax.plot(curves.index, 100 * curves[arm], label=arm)
    ax.set_title(ranker)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("probes drifted (%)")
axes[0].legend(title="arm")
fig.tight_layout()
out_dir.mkdir(parents=True, exist_ok=True)
fig.savefig(out_dir / "drift.png", dpi=120)
print(f"\nwrote {out_dir / 'drift.png'}")
