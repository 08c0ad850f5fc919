#!/usr/bin/env bash
# Runs every overload script one after the other (not the benchmarks, not memcheck) and
# prints a PASS/FAIL table. Each script is bounded and stops by itself; the whole run takes
# about 15 minutes with the 10-minute soak (SOAK=0 skips it: ~4 minutes).
#   stress/run_all.sh                 # all, logs in stress/results/logs/
#   ONLY="churn saturation" stress/run_all.sh
# Env: ONLY (space-separated names), SOAK=1, LOGS=stress/results/logs, plus each script's env.
# Exit 0 if every script passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL=(churn idle_keepalive slow_clients body_limits saturation fd_exhaustion soak)
LOGS=${LOGS:-stress/results/logs}
SOAK=${SOAK:-1}
read -r -a names <<<"${ONLY:-${ALL[*]}}"
mkdir -p "$LOGS"

rows=()
failed=0
for name in "${names[@]}"; do
    [[ $name == soak && $SOAK == 0 && -z ${ONLY:-} ]] && continue
    [[ -x stress/$name.sh ]] || { echo "run_all: no stress/$name.sh" >&2; exit 2; }
    echo "== $name ($(date -u +%H:%M:%S)) =="
    start=$SECONDS
    # the generous outer bound only guards against a harness bug; each script bounds itself
    timeout 1800 "stress/$name.sh" >"$LOGS/$name.log" 2>&1
    rc=$?
    verdict=$(case $rc in 0) echo PASS ;; 1) echo FAIL ;; 124) echo TIMEOUT ;; *) echo "ERROR($rc)" ;; esac)
    (( rc == 0 )) || failed=1
    rows+=("$(printf '%-16s %-10s %5ss  %s' "$name" "$verdict" $(( SECONDS - start )) "$LOGS/$name.log")")
    tail -n 4 "$LOGS/$name.log" | sed 's/^/    /'
done

echo
echo "machine: nproc=$(nproc) kernel=$(uname -r) date=$(date -u +%FT%TZ) commit=$(git rev-parse --short HEAD 2>/dev/null || echo ?)"
printf '%-16s %-10s %6s  %s\n' script verdict time log
printf '%s\n' "${rows[@]}"
exit "$failed"
