#!/usr/bin/env bash
# Side-by-side with Mesa on a per-agent step: installs Mesa into a virtual environment, runs
# benches/peer/mesa_walk.py (a Mesa model of the uniform-followee walk) and the equivalent
# driftlab scenario (benches/peer/mesa_equivalent.toml) at the same size, and prints the time
# per agent-step of each and their ratio.
#
# usage: benches/peer/mesa_compare.sh [ACCOUNTS DEGREE WALKERS STEPS]   (default 100000 20 10000 100)
# environment: VENV=DIR (default target/mesa-venv), SKIP_MESA=1 runs driftlab only
set -euo pipefail
cd "$(dirname "$0")/../.."
ACCOUNTS=${1:-100000} DEGREE=${2:-20} WALKERS=${3:-10000} STEPS=${4:-100}
VENV=${VENV:-target/mesa-venv}
if [[ -z "${SKIP_MESA:-}" && ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q mesa numpy
fi
cargo build --release -q
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mesa_s=""
if [[ -z "${SKIP_MESA:-}" ]]; then
    echo "Mesa: $WALKERS walkers x $STEPS steps on $ACCOUNTS accounts, $DEGREE followees each" >&2
    "$VENV/bin/python" benches/peer/mesa_walk.py "$ACCOUNTS" "$DEGREE" "$WALKERS" "$STEPS" \
        | tee "$tmp/mesa.out" >&2
    mesa_s=$(sed -n 's/.* run \([0-9.]*\)s.*/\1/p' "$tmp/mesa.out")
fi

echo "driftlab: the same walk (uniform_followee suggestions, follow_top), $STEPS steps and 10 steps" >&2
for s in "$STEPS" 10; do
    /usr/bin/time -f "%e %M" -o "$tmp/driftlab-$s.time" \
        target/release/driftlab run benches/peer/mesa_equivalent.toml --out "$tmp/out-$s" \
        --set "world.accounts=$ACCOUNTS" --set "world.graph.mean_degree=$DEGREE" \
        --set "probes[0].count=$WALKERS" --set "steps=$s" >&2
done
read -r drift_s drift_kb < <(tail -1 "$tmp/driftlab-$STEPS.time")
read -r drift1_s _ < <(tail -1 "$tmp/driftlab-10.time")

python3 - "$WALKERS" "$STEPS" "$mesa_s" "$drift_s" "$drift_kb" "$drift1_s" <<'PY'
import sys
walkers, steps = int(sys.argv[1]), int(sys.argv[2])
mesa_s, drift_s, drift_kb, drift1_s = sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
agent_steps = walkers * steps
# The steps alone: the whole run minus a 10-step run (world generation, output, start-up).
steps_s = max(drift_s - drift1_s, 1e-3)
per = steps_s / (walkers * (steps - 10)) * 1e6
print(f"driftlab: {drift_s:.2f} s wall for the whole process ({drift1_s:.2f} s with 10 steps), "
      f"{drift_kb / 1024:.0f} MiB peak RSS; steps alone {per:.3f} us per agent-step")
if mesa_s:
    m = float(mesa_s)
    mper = m / agent_steps * 1e6
    print(f"Mesa:     {m:.2f} s for the steps, {mper:.3f} us per agent-step")
    print(f"ratio: driftlab {mper / per:.1f}x faster per agent-step "
          f"({m / drift_s:.1f}x with driftlab's whole process against Mesa's steps alone)")
PY
