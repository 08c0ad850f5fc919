#!/usr/bin/env bash
# Crash safety under write load: tests/crash.rs with KILLS SIGKILLs (default 25) of a real
# `hbf serve` at random moments while 4 clients write to 6 henvs (transactions through `db` in
# server.js, inserts through /_api/tables), each kill followed by a restart; then every henv is
# checked: every acknowledged write present, no transaction half-applied, PRAGMA
# integrity_check and the nodes_fts integrity-check pass. Loopback only, bounded (TIMEOUT).
#
#   stress/crash.sh                       # 25 kills, --durability normal
#   KILLS=40 DURABILITY=full stress/crash.sh
#   SEED=123 stress/crash.sh              # replay a run (the seed is printed)
#
# Exit status: 0 PASS, 1 FAIL, 2 setup error.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KILLS=${KILLS:-25}
DURABILITY=${DURABILITY:-normal}
TIMEOUT=${TIMEOUT:-600}
export HBF_CRASH_KILLS=$KILLS HBF_CRASH_DURABILITY=$DURABILITY
[[ -n ${SEED:-} ]] && export HBF_TEST_SEED=$SEED
cargo test --test crash --no-run >/dev/null 2>&1 || { echo "crash: build failed" >&2; exit 2; }
echo "machine: nproc=$(nproc) kernel=$(uname -r) date=$(date -u +%FT%TZ) commit=$(git rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "command: HBF_CRASH_KILLS=$KILLS HBF_CRASH_DURABILITY=$DURABILITY cargo test --test crash -- --nocapture"
out=$(timeout "$TIMEOUT" cargo test --test crash -- --nocapture 2>&1)
rc=$?
echo "$out" | grep -E '^crash test:|panicked|problems' || true
if (( rc == 0 )); then echo "PASS: crash ($KILLS kills, durability $DURABILITY)"; exit 0; fi
echo "$out" | tail -n 40
echo "FAIL: crash (exit $rc)"
exit 1
