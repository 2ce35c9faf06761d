#!/usr/bin/env bash
# How a probes-only run's time grows with accounts, probes and threads (issue 23, "Scaling").
#
# usage: benches/scaling.sh [RUNS]        (default 3 runs per cell; prints a markdown table)
#
# The quickstart reduced to what serves probes: one arm (no mitigation), one replicate, no
# collateral panel, no population; every surface on, as in the quickstart. Each cell is timed
# twice, at STEPS and at 1 step: the difference divided by STEPS - 1 is the cost of one step,
# free of world generation and output files, and that divided by the probes the cost of a
# probe-step (which includes the step's share of the platform's own work: moderation, the
# adversary, and every 5th step the rebuild of the follow index, which grows with accounts). Medians over RUNS, with the
# range. Sizes: accounts 20k, 100k, 1M (100 probes); probes 100, 1,000, 10,000 (20k accounts);
# threads 1 and 2 at 20k accounts and 1,000 probes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
STEPS=${STEPS:-21}
cargo build --release -q
bin=target/release/driftlab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wall() { # accounts probes threads steps -> seconds
    local start end
    start=$(date +%s.%N)
    "$bin" run --out "$tmp/out" --overwrite --threads "$3" \
        --set 'arms=[{name="baseline"}]' --set panel.size=0 --set replicates=1 \
        --set metrics.drift_window=1 --set "steps=$4" --set "world.accounts=$1" \
        --set "probes[0].count=$2" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

cell() { # accounts probes threads
    local per=() i a b
    for ((i = 0; i < RUNS; i++)); do
        a=$(wall "$1" "$2" "$3" "$STEPS")
        b=$(wall "$1" "$2" "$3" 1)
        per+=("$(echo "($a - $b) / ($STEPS - 1) * 1000" | bc -l)")
    done
    printf '%s\n' "${per[@]}" | sort -g | awk -v a="$1" -v p="$2" -v t="$3" '
        { v[NR] = $1 } END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "| %s | %s | %s | %.1f (%.1f-%.1f) | %.1f |\n", a, p, t, m, v[1], v[NR], 1000 * m / p }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1 /proc/loadavg)"
echo "| accounts | probes | threads | ms per step, median (min-max) | us per probe-step |"
echo "|---|---|---|---|---|"
for accounts in 20000 100000 1000000; do cell "$accounts" 100 1; done
for probes in 1000 10000; do cell 20000 "$probes" 1; done
cell 20000 1000 2
