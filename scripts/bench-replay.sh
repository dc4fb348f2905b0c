#!/bin/sh
# The `iamsim replay` benchmark of docs/benchmarks.md: 200,000 API-call events of the bundled
# trail (distinct eventIDs) as JSON Lines, gzipped JSON Lines, one {"Records": [...]} file and
# 20 gzipped log files, against a serde_json validate-only pass over the same JSON Lines, in one
# hyperfine run. Then peak RSS for 100k and 1M events in one file. Run from the repository root
# after `cargo build --release --bin iamsim --example validate`.
set -eu
T=${CARGO_TARGET_DIR:-target}/release
D=${BENCH_DIR:-/tmp/iamsim-replay-bench}
mkdir -p "$D/trail"
python3 - "$D" <<'PY'
import gzip, json, sys
d = sys.argv[1]
recs = json.load(open('testdata/replay/trail/2026/12/111122223333_CloudTrail_us-east-1_20261201T0900Z.json'))['Records']
api = [r for r in recs if r.get('eventType') == 'AwsApiCall']
def events(n):
    for i in range(n):
        r = dict(api[i % len(api)]); r['eventID'] = f"e{i}"; yield r
evs = list(events(200000))
with open(f'{d}/big.jsonl', 'w') as f:
    for r in evs: f.write(json.dumps(r) + "\n")
with gzip.open(f'{d}/big.jsonl.gz', 'wt') as f:
    for r in evs: f.write(json.dumps(r) + "\n")
json.dump({"Records": evs}, open(f'{d}/big.json', 'w'))
for k in range(20):
    with gzip.open(f'{d}/trail/{k:02}.json.gz', 'wt') as f:
        json.dump({"Records": evs[k * 10000:(k + 1) * 10000]}, f)
for n, name in [(100000, '100k'), (1000000, '1m')]:
    with open(f'{d}/m{name}.jsonl', 'w') as f:
        for r in events(n): f.write(json.dumps(r) + "\n")
    with open(f'{d}/m{name}.json', 'w') as f:
        f.write('{"Records": [')
        for i, r in enumerate(events(n)): f.write((',' if i else '') + json.dumps(r))
        f.write(']}')
PY
S="--scenario testdata/replay/scenario.json"
P="--with-scp testdata/policies/scp-deny-without-mfa.json"
hyperfine -w 1 -r 5 -N -i --output=null --export-markdown "$D/bench.md" \
  -n "serde_json validate only (JSON Lines)" "$T/examples/validate $D/big.jsonl" \
  -n "replay JSON Lines, baseline, --format jsonl" "$T/iamsim replay $D/big.jsonl $S --format jsonl" \
  -n "replay JSON Lines, baseline + SCP, summary" "$T/iamsim replay $D/big.jsonl $S $P" \
  -n "replay one Records file, baseline + SCP" "$T/iamsim replay $D/big.json $S $P" \
  -n "replay JSON Lines .gz, baseline + SCP" "$T/iamsim replay $D/big.jsonl.gz $S $P" \
  -n "replay 20 Records .json.gz, baseline + SCP" "$T/iamsim replay $D/trail $S $P"
for f in m100k.jsonl m1m.jsonl m100k.json m1m.json; do
  /usr/bin/time -f "$f: %M KB peak RSS, %e s" "$T/iamsim" replay "$D/$f" $S $P --format jsonl >/dev/null || true
done
