"""In-process throughput of Scenario.evaluate_batch (Arrow) beside evaluate_jsonl, per row, on
one core: string columns, a JSON-string context_keys of 10 keys.

    python python/benches/bench_arrow.py [ROWS]      # from the repository root
"""

import json
import random
import sys
import time

import pyarrow as pa

import iamsim

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
SETS = {"small": "testdata/batch/mfa-scenario.json", "large": "testdata/batch/large-scenario.json"}
ACTIONS = ["s3:GetObject", "s3:ListAllMyBuckets", "ec2:RunInstances", "iam:ListUsers", "kms:Decrypt",
           "ssm:GetParameter", "athena:GetQueryResults", "sts:AssumeRole", "dynamodb:PutItem", "sqs:SendMessage"]
PRESETS = ["access-keys", "console-mfa", "console", "session-mfa", "role"]


def rows(n):
    rnd = random.Random(7)
    out = []
    for i in range(n):
        keys = {
            "aws:SourceIp": f"203.0.113.{rnd.randrange(256)}",
            "aws:RequestedRegion": rnd.choice(["us-east-1", "eu-west-1"]),
            "aws:PrincipalTag/team": rnd.choice(["blue", "red"]),
            "aws:ResourceTag/env": rnd.choice(["prod", "dev"]),
            "s3:prefix": f"{2020 + i % 5}/",
            "aws:SecureTransport": rnd.choice(["true", "false"]),
            "aws:MultiFactorAuthAge": str(rnd.randrange(7200)),
            "aws:UserAgent": "aws-cli/2.15",
            "aws:CalledVia": "athena.amazonaws.com",
            "aws:SourceVpce": f"vpce-{rnd.randrange(10**6):06d}",
        }
        out.append({
            "action": rnd.choice(ACTIONS),
            "resource": f"arn:aws:s3:::reports/{i % 97}/q{i % 4}.csv",
            "context": rnd.choice(PRESETS),
            "context_keys": json.dumps(keys),
        })
    return out


def best(f, runs=3):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    data = rows(ROWS)
    table = pa.table({k: pa.array([r[k] for r in data], pa.string()) for k in data[0]})
    batch = table.combine_chunks().to_batches()[0]
    jsonl = ("\n".join(json.dumps({**r, "context_keys": json.loads(r["context_keys"])}, separators=(",", ":")) for r in data) + "\n").encode()
    print(f"{ROWS} rows, {len(jsonl) / ROWS:.0f} bytes per JSON line, pyarrow {pa.__version__}")
    for name, path in SETS.items():
        s = iamsim.Scenario.from_file(path)
        out = s.evaluate_batch(batch)
        assert out.column("error").null_count == ROWS, "rows were errors"
        a = best(lambda: s.evaluate_batch(batch))
        j = best(lambda: s.evaluate_jsonl(jsonl))
        print(f"{name:5} set: evaluate_batch {a / ROWS * 1e9:6.0f} ns/row   evaluate_jsonl {j / ROWS * 1e9:6.0f} ns/row")


if __name__ == "__main__":
    main()
