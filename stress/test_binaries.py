#!/usr/bin/env python3
"""Reads `cargo test --no-run --message-format=json` from stdin; prints "name<TAB>executable"
for every test binary (used by memcheck.sh and asan.sh)."""
import json
import sys

for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t = m.get("target", {})
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in t.get("kind", []):
        print(t["name"] + "\t" + m["executable"])
