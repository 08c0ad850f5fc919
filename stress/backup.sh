#!/usr/bin/env bash
# Backup/restore round trip under write load: tests/ops.rs with HENVS henvs (default 30) of
# stress/apps/ledger and LOAD_MS of writes (default 4000) before `hbf backup --all` runs while
# the clients keep writing; then `hbf restore --all` into an empty directory, every henv
# checked (integrity, FTS integrity, no half-applied transaction, every write acknowledged
# before the backup present, rows equal to the backup's and a subset of the live henv's),
# registry entries and custom domains back, a second server serving the copy; plus the refusal
# of a damaged backup and of clobbering without --force. Loopback only, bounded (TIMEOUT).
#
#   stress/backup.sh
#   HENVS=100 LOAD_MS=10000 stress/backup.sh
#
# Exit status: 0 PASS, 1 FAIL, 2 setup error.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export HBF_OPS_HENVS=${HENVS:-30} HBF_OPS_LOAD_MS=${LOAD_MS:-4000}
TIMEOUT=${TIMEOUT:-600}
cargo test --test ops --no-run >/dev/null 2>&1 || { echo "backup: build failed" >&2; exit 2; }
echo "machine: nproc=$(nproc) kernel=$(uname -r) date=$(date -u +%FT%TZ) commit=$(git rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "command: HBF_OPS_HENVS=$HBF_OPS_HENVS HBF_OPS_LOAD_MS=$HBF_OPS_LOAD_MS cargo test --test ops -- --nocapture --test-threads 1"
out=$(timeout "$TIMEOUT" cargo test --test ops -- --nocapture --test-threads 1 2>&1)
rc=$?
echo "$out" | grep -E '^backup test:|^test |panicked' || true
if (( rc == 0 )); then echo "PASS: backup"; exit 0; fi
echo "$out" | tail -n 40
echo "FAIL: backup (exit $rc)"
exit 1
