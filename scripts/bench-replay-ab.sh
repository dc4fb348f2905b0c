#!/bin/sh
# A/B of two iamsim builds on the inputs of scripts/bench-replay.sh (run that first): for 8
# rounds, the serde_json validate pass, then each input under build A then build B, one command
# at a time, so that a loaded machine slows both alike. Prints, per command, the least wall time
# and the mean CPU (user + system). Usage: scripts/bench-replay-ab.sh A_IAMSIM [B_IAMSIM]
set -eu
A=$1
T=${CARGO_TARGET_DIR:-target}/release
B=${2:-$T/iamsim}
D=${BENCH_DIR:-/tmp/iamsim-replay-bench}
S="--scenario testdata/replay/scenario.json --with-scp testdata/policies/scp-deny-without-mfa.json"
L=$(mktemp)
for r in 1 2 3 4 5 6 7 8; do
  /usr/bin/time -f "validate big.jsonl %e %U %S" "$T/examples/validate" "$D/big.jsonl" >/dev/null 2>>"$L"
  for f in big.json big.jsonl big.jsonl.gz trail; do
    /usr/bin/time -f "A $f %e %U %S" "$A" replay "$D/$f" $S >/dev/null 2>>"$L" || true
    /usr/bin/time -f "B $f %e %U %S" "$B" replay "$D/$f" $S >/dev/null 2>>"$L" || true
  done
done
uptime
grep -v '^Command' "$L" | awk '{k=$1" "$2; c[k]+=$4+$5; n[k]++; if(!(k in m)||$3<m[k])m[k]=$3}
  END{for(k in m) printf "%-20s min wall %.2f s, mean CPU %.3f s\n",k,m[k],c[k]/n[k]}' | sort -k2
rm -f "$L"
