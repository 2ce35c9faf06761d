#!/usr/bin/env bash
# Sharded runs against one machine (issue 22): the mitigation matrix as 2 shards (two processes
# with --threads 1, side by side on this machine's two cores) plus `merge`, against one
# `--threads 2` run, alternating, RUNS times each; then the merge of a 1,000,000-row probes table.
#
# usage: benches/shards.sh [RUNS]     (default 3; prints markdown tables)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
cargo build --release -q
bin=$PWD/target/release/driftlab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f s (%.1f-%.1f)", m, v[1], v[NR] }'; }

matrix=scenarios/mitigation-matrix.toml
one=() sharded=() merges=()
for ((i = 0; i < RUNS; i++)); do
    rm -rf "$tmp"/*
    t0=$(now)
    "$bin" run "$matrix" --out "$tmp/one" --threads 2 >/dev/null 2>&1
    t1=$(now)
    "$bin" run "$matrix" --out "$tmp/s1" --threads 1 --shard 1/2 >/dev/null 2>&1 &
    "$bin" run "$matrix" --out "$tmp/s2" --threads 1 --shard 2/2 >/dev/null 2>&1
    wait
    t2=$(now)
    "$bin" merge --out "$tmp/merged" "$tmp/s1" "$tmp/s2" >/dev/null 2>&1
    t3=$(now)
    for p in p000 p001; do
        "$bin" compare --exact "$tmp/one/mitigation-matrix/$p" "$tmp/merged/mitigation-matrix/$p" >/dev/null
    done
    one+=("$(echo "$t1 - $t0" | bc -l)")
    sharded+=("$(echo "$t3 - $t1" | bc -l)")
    merges+=("$(echo "$t3 - $t2" | bc -l)")
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| mitigation matrix | wall, median (min-max) over $RUNS |"
echo "|---|---|"
echo "| one run, --threads 2 | $(printf '%s\n' "${one[@]}" | median) |"
echo "| 2 shards (--threads 1 each, in parallel) + merge | $(printf '%s\n' "${sharded[@]}" | median) |"
echo "| of which the merge | $(printf '%s\n' "${merges[@]}" | median) |"
echo "(merged results equal the one-machine run: compare --exact passed on both points)"

# A 1,000,000-row probes table: the smoke world with 50,000 probes, 2 arms x 10 replicates.
sets=(--set name=probes-1m --set steps=6 --set replicates=10 --set metrics.drift_window=3
      --set 'probes[0].count=35000' --set 'probes[1].count=15000' --set panel.size=0)
rm -rf "$tmp"/*
"$bin" run scenarios/smoke.toml --out "$tmp/s1" --threads 1 --shard 1/2 "${sets[@]}" >/dev/null 2>&1 &
"$bin" run scenarios/smoke.toml --out "$tmp/s2" --threads 1 --shard 2/2 "${sets[@]}" >/dev/null 2>&1
wait
merge=()
for ((i = 0; i < RUNS; i++)); do
    rm -rf "$tmp/merged"
    t0=$(now)
    "$bin" merge --out "$tmp/merged" "$tmp/s1" "$tmp/s2" >/dev/null 2>&1
    t1=$(now)
    merge+=("$(echo "$t1 - $t0" | bc -l)")
done
rows=$(($(wc -l <"$tmp/merged/probes-1m/probes.csv") - 1))
echo
echo "| merge | wall, median (min-max) over $RUNS |"
echo "|---|---|"
echo "| $rows probe rows ($(du -h "$tmp/merged/probes-1m/probes.csv" | cut -f1) probes.csv), report and plots included | $(printf '%s\n' "${merge[@]}" | median) |"
