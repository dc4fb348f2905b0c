#!/bin/bash
# Interleaved whole-process benchmark of `iamsim batch` against the serde_json validate-only
# pass (docs/benchmarks.md): per round, per workload, every command runs once in turn, so that
# a machine shared with other work slows every command alike. Prints one line per run:
#   round workload command wall user system max-rss-KiB load-average
# Usage: scripts/bench-batch-traffic.sh DIR [REF_IAMSIM]
#   DIR holds ct.jsonl, tr.jsonl, peer.jsonl (see docs/benchmarks.md); REF_IAMSIM, if given, is
#   another iamsim binary (e.g. a build of main) measured in the same rounds.
set -eu
dir=$1
ref=${2:-}
T=${CARGO_TARGET_DIR:-target}/release
rounds=${ROUNDS:-3}
run() {
  local name=$1
  shift
  /usr/bin/time -o "$dir/.time" -f "%e %U %S %M" "$@" >/dev/null 2>&1
  echo "$round $w $name $(cat "$dir/.time") $(cut -d' ' -f1 /proc/loadavg)"
}
for round in $(seq "$rounds"); do
  for w in ct tr peer; do
    f=$dir/$w.jsonl
    run validate "$T/examples/validate" "$f"
    for s in mfa large; do
      if [ -n "$ref" ]; then
        run "ref-$s" "$ref" batch -q -j 2 --scenario "testdata/batch/$s-scenario.json" "$f" -o "$dir/.out"
      fi
      run "$s" "$T/iamsim" batch -q -j 2 --scenario "testdata/batch/$s-scenario.json" "$f" -o "$dir/.out"
      run "$s-j1" "$T/iamsim" batch -q -j 1 --scenario "testdata/batch/$s-scenario.json" "$f" -o "$dir/.out"
    done
  done
done
