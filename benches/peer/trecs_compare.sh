#!/usr/bin/env bash
# Side-by-side with T-RECS ContentFiltering: installs T-RECS into a virtual environment (the way
# that works on Python 3.11, see benches/README.md), runs it and the equivalent driftlab scenario
# (benches/peer/trecs_equivalent.toml) at the same size, and prints the time and peak-memory
# ratios.
#
# usage: benches/peer/trecs_compare.sh [USERS ITEMS ATTRS STEPS]   (default 10000 1000 20 100)
# environment:
#   TRECS_STEPS=N   run T-RECS for N steps only and scale its run time linearly to STEPS
#                   (its cost is linear in users x steps; its memory is set by users x items)
#   SKIP_TRECS=1    run driftlab only
#   DRIFTLAB_SET="--set k=v ..."  extra overrides for the driftlab run
#   VENV=DIR        virtual environment (default target/peer-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${1:-10000} ITEMS=${2:-1000} ATTRS=${3:-20} STEPS=${4:-100}
TRECS_STEPS=${TRECS_STEPS:-$STEPS}
VENV=${VENV:-target/peer-venv}
if [[ -z "${SKIP_TRECS:-}" && ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
    # `pip install trecs` fails: it pins pandas 1.0.5 and an old numpy that no longer builds.
    "$VENV/bin/pip" install -q --no-deps trecs
    "$VENV/bin/pip" install -q 'numpy<2' scipy networkx pandas tqdm 'lenskit==0.14.4'
fi
cargo build --release -q
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

trecs_s="" trecs_kb=""
if [[ -z "${SKIP_TRECS:-}" ]]; then
    echo "T-RECS: $USERS users x $ITEMS items x $ATTRS attributes x $TRECS_STEPS steps" >&2
    /usr/bin/time -f "%M" -o "$tmp/trecs.mem" \
        "$VENV/bin/python" benches/peer/trecs_bench.py "$USERS" "$ITEMS" "$ATTRS" "$TRECS_STEPS" \
        | tee "$tmp/trecs.out" >&2
    trecs_s=$(sed -n 's/.* run \([0-9.]*\)s.*/\1/p' "$tmp/trecs.out")
    trecs_kb=$(tail -1 "$tmp/trecs.mem")
fi

echo "driftlab: $USERS probes x $ITEMS accounts x $ATTRS dims x $STEPS steps" >&2
# shellcheck disable=SC2086
/usr/bin/time -f "%e %M" -o "$tmp/driftlab.time" \
    target/release/driftlab run benches/peer/trecs_equivalent.toml --out "$tmp/out" \
    --set "probes[0].count=$USERS" --set "world.accounts=$ITEMS" --set "world.dims=$ATTRS" \
    --set "steps=$STEPS" ${DRIFTLAB_SET:-} >&2
read -r drift_s drift_kb < <(tail -1 "$tmp/driftlab.time")

python3 - "$USERS" "$ITEMS" "$ATTRS" "$STEPS" "$TRECS_STEPS" "$trecs_s" "$trecs_kb" \
    "$drift_s" "$drift_kb" <<'PY'
import sys
users, items, attrs, steps, tsteps = (int(x) for x in sys.argv[1:6])
trecs_s, trecs_kb, drift_s, drift_kb = sys.argv[6:10]
drift_s, drift_kb = float(drift_s), int(drift_kb)
print(f"size: {users} users x {items} items x {attrs} attributes x {steps} steps")
print(f"driftlab: {drift_s:.2f} s wall (process, incl. world and output), "
      f"{drift_kb / 1024:.0f} MiB peak RSS, {drift_s / (users * steps) * 1e6:.2f} us per user-step")
if trecs_s:
    t = float(trecs_s) * steps / tsteps
    note = "" if tsteps == steps else f" (measured {float(trecs_s):.1f} s at {tsteps} steps, scaled x{steps / tsteps:g})"
    kb = int(trecs_kb)
    print(f"T-RECS:   {t:.1f} s run{note}, {kb / 1024:.0f} MiB peak RSS, "
          f"{t / (users * steps) * 1e6:.1f} us per user-step")
    print(f"ratio: driftlab {t / drift_s:.0f}x faster, {kb / drift_kb:.1f}x less memory")
PY
