"""The equal-work yardstick for the T-RECS comparison: driftlab's own T-RECS-equivalent model
(benches/peer/trecs_equivalent.toml) written as a vectorised numpy program, on one thread.

usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python trecs_numpy.py USERS ITEMS ATTRS STEPS [SEED]

Per step, for every user at once: dense scores of every item (the platform's estimated profile
dotted with each item's content: one matrix product), the top 10 unsorted by argpartition
(driftlab, too, selects the slate without sorting the rest; the shown order does not change the
choice), a multinomial-logit choice on the cosine between the user's latent interests and the
10 items' contents with a no-engagement option (sharpness 5, as the scenario), and the
moving-average profile update toward the engaged item (rate 0.2) with renormalisation; latent
interests drift toward engaged content (0.1). Items and users are unit vectors around 10
cluster centres, as driftlab's world. This is the same work as driftlab's scenario with dense
scoring, minus what driftlab also does (drift metrics, hop counts, outputs): a yardstick, not
a reimplementation, so the two do not give the same numbers, only the same amount of work.

Prints the loop's time (setup excluded) and per user-step.
"""

import sys
import time

import numpy as np

users, items, attrs, steps = (int(a) for a in sys.argv[1:5])
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
rng = np.random.default_rng(seed)
K, BETA, NO_CLICK, RATE, DRIFT = 10, 5.0, 0.0, np.float32(0.2), np.float32(0.1)


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


centres = unit(rng.standard_normal((10, attrs)).astype(np.float32))
content = unit(centres[rng.integers(0, 10, items)]
               + 0.5 * rng.standard_normal((items, attrs)).astype(np.float32) / np.sqrt(attrs))
latent = unit(centres[rng.integers(0, 10, users)]
              + 0.5 * rng.standard_normal((users, attrs)).astype(np.float32) / np.sqrt(attrs))
profile = latent.copy()
rows = np.arange(users)

start = time.perf_counter()
for _ in range(steps):
    scores = profile @ content.T                                  # users x items, dense
    top = np.argpartition(scores, items - K, axis=1)[:, -K:]      # the 10 best, unsorted
    shown = content[top]                                          # users x 10 x attrs
    affinity = np.einsum("ud,ukd->uk", latent, shown)             # cosine (unit vectors)
    logits = np.concatenate([np.full((users, 1), BETA * NO_CLICK), BETA * affinity], axis=1)
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(users) * cumulative[:, -1]
    choice = (cumulative < u[:, None]).sum(axis=1)                # 0: no engagement
    engaged = choice > 0
    picked = shown[rows[engaged], choice[engaged] - 1]
    profile[engaged] = unit((1 - RATE) * profile[engaged] + RATE * picked)
    latent[engaged] = unit((1 - DRIFT) * latent[engaged] + DRIFT * picked)
elapsed = time.perf_counter() - start
print(f"numpy {np.__version__}: {users} users x {items} items x {attrs} attrs x {steps} steps: "
      f"loop {elapsed:.3f}s per_user_step {elapsed / (users * steps) * 1e6:.3f}us")
