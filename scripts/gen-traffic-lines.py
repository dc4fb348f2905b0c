#!/usr/bin/env python3
"""Writes request lines shaped like real traffic for `iamsim batch` benchmarks (docs/benchmarks.md):
per-line principals of six kinds, six presets, a different aws:CurrentTime on every line, source
IPs, regions, a user agent, a principal tag, and an unknown field. Deterministic (seed 7).

    python3 scripts/gen-traffic-lines.py 1000000 > /tmp/ct.jsonl
"""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
random.seed(7)
principals = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/dev/bob",
    "arn:aws:sts::111122223333:assumed-role/ci-deploy/build-%d",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::111122223333:federated-user/carol",
    "arn:aws:sts::444455556666:assumed-role/Vendor/s%d",
]
actions = [
    ("s3:GetObject", "arn:aws:s3:::reports/2026/q%d.csv"),
    ("s3:ListBucket", "arn:aws:s3:::reports"),
    ("ec2:DescribeInstances", "*"),
    ("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/alice"),
    ("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k%d"),
    ("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:111122223333:function:api"),
]
contexts = ["access-keys", "console", "console-mfa", "role", "session-mfa", "service"]
out = sys.stdout
for i in range(n):
    p = random.choice(principals)
    if "%d" in p:
        p = p % (i % 500)
    a, r = random.choice(actions)
    if "%d" in r:
        r = r % (i % 50)
    line = {
        "principal": p,
        "action": a,
        "resource": r,
        "context": random.choice(contexts),
        "context_keys": {
            "aws:CurrentTime": f"2025-12-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z",
            "aws:SourceIp": f"203.0.113.{i % 250}",
            "aws:RequestedRegion": random.choice(["us-east-1", "eu-west-1"]),
            "aws:UserAgent": "aws-cli/2.15.0 Python/3.11",
            "aws:PrincipalTag/team": random.choice(["a", "b"]),
        },
        "eventID": f"e{i}",
    }
    out.write(json.dumps(line) + "\n")
