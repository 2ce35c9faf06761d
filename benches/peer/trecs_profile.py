"""Where T-RECS ContentFiltering spends its run time: a cost breakdown by phase.

usage: python benches/peer/trecs_profile.py USERS ITEMS ATTRS STEPS [SEED]

Builds the same model as benches/peer/trecs_bench.py (same constructor arguments, same seed
handling: SEED defaults to 1) and runs `model.run(timesteps=STEPS)` twice, each time on a freshly
built model (the build is never timed):

1. with light timers wrapped around the T-RECS methods that own each phase (a handful of calls
   per step, plus one per NNLS solve; no profiler), which gives the run's wall time and phase
   shares free of profiler distortion;
2. under cProfile, which gives (a) the profiled run's wall time, (b) the top functions by self
   time with their share of the run, and (c) a grouped summary: the cumulative time of each
   owning T-RECS method, taken along the call edge from its caller, split where it helps.

Run it in the virtual environment of benches/peer/trecs_compare.sh, one BLAS thread:

    python3 -m venv target/peer-venv && target/peer-venv/bin/pip install -q --no-deps trecs \\
        && target/peer-venv/bin/pip install -q 'numpy<2' scipy networkx pandas tqdm 'lenskit==0.14.4'
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        target/peer-venv/bin/python benches/peer/trecs_profile.py 1000 1000 20 20

This script is the source of the T-RECS cost-breakdown figures in benches/README.md section 6.
"""
import cProfile
import gc
import importlib.metadata
import os
import pstats
import sys
import time
import warnings
from collections import defaultdict

users, items, attrs, steps = (int(a) for a in sys.argv[1:5])
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1

import numpy as np
import scipy
import trecs.matrix_ops
import trecs.models.content
from trecs.components.users import Users
from trecs.models import ContentFiltering
from trecs.models.recommender import BaseRecommender

# T-RECS warns that no measurements are defined; trecs_bench.py runs the same way.
warnings.filterwarnings("ignore", message="No measurements are currently defined")


def build():
    return ContentFiltering(num_users=users, num_items=items, num_attributes=attrs, seed=seed)


def pct(x, total):
    return f"{100 * x / total:5.1f}%"


print(f"T-RECS {importlib.metadata.version('trecs')}, numpy {np.__version__}, "
      f"scipy {scipy.__version__}, Python {sys.version.split()[0]}, "
      f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')} "
      f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
print(f"size: {users} users x {items} items x {attrs} attributes x {steps} steps, seed {seed}")

# ---- 1. timed run: wrappers around the owning methods, no profiler -------------------------
acc = defaultdict(float)
calls = defaultdict(int)


def timed(key, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[key] += time.perf_counter() - t
            calls[key] += 1
    return wrapper


# (owner, attribute, key); the key names the phase in the output
PATCHES = [
    (BaseRecommender, "generate_recommendations", "generate_recommendations"),
    (trecs.matrix_ops, "top_k_indices", "top_k_indices"),
    (ContentFiltering, "train", "ContentFiltering.train"),
    (BaseRecommender, "train", "BaseRecommender.train"),
    (trecs.models.content, "nnls", "nnls"),
    (Users, "get_user_feedback", "Users.get_user_feedback"),
    (ContentFiltering, "_update_internal_state", "_update_internal_state"),
    (BaseRecommender, "record_state", "record_state"),
    (BaseRecommender, "measure_content", "measure_content"),
]
saved = []
for owner, name, key in PATCHES:
    # class attributes may be inherited; restore exactly what was in the owner's own namespace
    own = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name)
    saved.append((owner, name, own))
    setattr(owner, name, timed(key, getattr(owner, name)))

model = build()
acc.clear()  # the build calls some of the wrapped methods too
calls.clear()
t0 = time.perf_counter()
model.run(timesteps=steps, disable_tqdm=True)
wall = time.perf_counter() - t0
for owner, name, own in saved:
    if own is None:
        delattr(owner, name)
    else:
        setattr(owner, name, own)
del model
gc.collect()

gen, topk = acc["generate_recommendations"], acc["top_k_indices"]
cf, score, nnls = acc["ContentFiltering.train"], acc["BaseRecommender.train"], acc["nnls"]
phases = [
    ("top-k selection: trecs.matrix_ops.top_k_indices (structured array argpartition/argsort)",
     topk),
    ("score filtering: rest of BaseRecommender.generate_recommendations", gen - topk),
    ("profile refit: ContentFiltering.train without scores", cf - score),
    ("    of which scipy.optimize.nnls", nnls),
    ("    of which the per-user loop around it (sparse row slice, densify)", cf - score - nnls),
    ("score computation: BaseRecommender.train (profiles . attributes)", score),
    ("user choice: Users.get_user_feedback", acc["Users.get_user_feedback"]),
    ("interaction bookkeeping: ContentFiltering._update_internal_state",
     acc["_update_internal_state"]),
    ("state recording: record_state + measure_content",
     acc["record_state"] + acc["measure_content"]),
]
owned = gen + cf + acc["Users.get_user_feedback"] + acc["_update_internal_state"] \
    + acc["record_state"] + acc["measure_content"]
phases.append(("other (rest of run)", wall - owned))
print(f"\n[timed run, no profiler] run {wall:.2f}s, {wall / (users * steps) * 1e6:.1f} us per "
      f"user-step ({calls['nnls']} NNLS solves)")
for label, t in phases:
    print(f"  {pct(t, wall)} {t:7.2f}s  {label}")

# ---- 2. profiled run -----------------------------------------------------------------------
model = build()
prof = cProfile.Profile()
t0 = time.perf_counter()
prof.enable()
model.run(timesteps=steps, disable_tqdm=True)
prof.disable()
pwall = time.perf_counter() - t0
stats = pstats.Stats(prof).stats  # func -> (primitive calls, calls, self, cumulative, callers)


def label(func):
    path, line, name = func
    if path == "~":
        return name
    return f"{path.split('site-packages/')[-1]}:{line}({name})"


def find(path_end, name):
    hits = [f for f in stats if f[0].endswith(path_end) and f[2] == name]
    if len(hits) != 1:
        raise SystemExit(f"expected one {path_end}:{name} in the profile, found {len(hits)}")
    return hits[0]


def edge(caller, callee):
    """Cumulative time of callee when called from caller (0 if it never was)."""
    if callee is None or caller is None:
        return 0.0
    return stats.get(callee, (0, 0, 0, 0, {}))[4].get(caller, (0, 0, 0, 0.0))[3]


def maybe(path_end, name):
    hits = [f for f in stats if f[0].endswith(path_end) and f[2] == name]
    return hits[0] if len(hits) == 1 else None


run_f = find("trecs/models/recommender.py", "run")
total = stats[run_f][3]
print(f"\n[profiled run] run {pwall:.2f}s wall under cProfile ({total:.2f}s inside run(); "
      f"profiler overhead x{pwall / wall:.2f} against the timed run)")

print("\ntop 15 functions by self time (share of the profiled run):")
print(f"  {'share':>6} {'self s':>7} {'calls':>8}  function")
for func, (_, nc, tt, _, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:15]:
    print(f"  {pct(tt, total)} {tt:7.2f} {nc:8d}  {label(func)}")

recommend = find("trecs/models/recommender.py", "recommend")
gen_f = find("trecs/models/recommender.py", "generate_recommendations")
topk_f = find("trecs/matrix_ops.py", "top_k_indices")
cf_f = find("trecs/models/content.py", "train")
base_f = find("trecs/models/recommender.py", "train")
feedback_f = find("trecs/components/users.py", "get_user_feedback")
update_f = find("trecs/models/content.py", "_update_internal_state")
record_f = maybe("trecs/base/base_components.py", "record_state")
measure_f = maybe("trecs/metrics/measurement.py", "measure_content")
argpart_f = ("~", 0, "<method 'argpartition' of 'numpy.ndarray' objects>")
getitem_f = maybe("scipy/sparse/_index.py", "__getitem__")
toarray_f = maybe("scipy/sparse/_compressed.py", "toarray")
# scipy.optimize.nnls is called through a decorator; take whichever callee of train leads to it
nnls_f = find("scipy/optimize/_nnls.py", "nnls")
nnls_entry = [c for c in stats[nnls_f][4] if c != cf_f]
nnls_cf = edge(cf_f, nnls_entry[0]) if len(nnls_entry) == 1 else edge(cf_f, nnls_f)

g_topk = edge(gen_f, topk_f)
g_argpart = edge(topk_f, argpart_f)
g_gen = edge(recommend, gen_f)
g_cf = edge(run_f, cf_f)
g_score = edge(cf_f, base_f)
g_slice = edge(cf_f, getitem_f) + edge(cf_f, toarray_f)
g_feedback = edge(run_f, feedback_f)
g_update = edge(run_f, update_f)
g_record = edge(run_f, record_f) + edge(run_f, measure_f)
groups = [
    ("top-k selection: trecs.matrix_ops.top_k_indices", g_topk),
    ("    of which ndarray.argpartition(order=[score, random]) on the structured array",
     g_argpart),
    ("    of which structured-array fill, random tie-break, sort within k", g_topk - g_argpart),
    ("score filtering: rest of generate_recommendations (filter_by_index, copies)",
     g_gen - g_topk),
    ("profile refit: ContentFiltering.train without scores", g_cf - g_score),
    ("    of which scipy.optimize.nnls (solver and its argument checks)", nnls_cf),
    ("    of which sparse row slice all_interactions[i, :].toarray()", g_slice),
    ("    of which the rest of the per-user loop", g_cf - g_score - nnls_cf - g_slice),
    ("score computation: BaseRecommender.train (profiles . attributes)", g_score),
    ("user choice: Users.get_user_feedback", g_feedback),
    ("interaction bookkeeping: ContentFiltering._update_internal_state", g_update),
    ("state recording: record_state + measure_content", g_record),
    ("other (rest of run, recommend() outside generate_recommendations)",
     total - g_gen - g_cf - g_feedback - g_update - g_record),
]
print("\ngrouped by owning T-RECS method (cumulative time along the call edge, "
      "share of the profiled run):")
for name, t in groups:
    print(f"  {pct(t, total)} {t:7.2f}s  {name}")
