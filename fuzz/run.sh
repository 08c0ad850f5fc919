#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS (default 60) each, on the stable
# toolchain, and prints per target: executions, execs/s, corpus size and crashes.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]     Needs: cargo install cargo-fuzz; clang
# Exits non-zero if any target crashed; crash inputs are in fuzz/artifacts/<target>/, full logs
# in fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-60}
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1 # cargo-fuzz needs -Z flags; the stable compiler accepts them with this
# With ASan on, the cc crate instruments C dependencies too and, for GCC, adds
# -fno-ipa-icf-variables, which mbedtls-sys's bindgen (libclang) rejects: build C with clang.
export CC=${CC:-clang} CXX=${CXX:-clang++}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
failed=0
mkdir -p logs
for target in "${targets[@]}"; do
    # New inputs go to work/ (not committed); corpus/ holds the small seeds we wrote.
    mkdir -p "work/$target" "corpus/$target"
    echo "== $target: ${secs}s"
    # A hang becomes a crash report after 10 s. QuickJS keeps garbage for its cycle collector,
    # so a run's mallocs rarely balance its frees; libFuzzer would then run a full leak check
    # after most inputs (20x slower), hence no leak detection for the JS target.
    extra=(-timeout=10)
    [ "$target" != express ] || extra+=(-detect_leaks=0)
    status=0
    cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
        -max_total_time="$secs" -print_final_stats=1 "${extra[@]}" >"logs/$target.log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|DONE|SUMMARY|panicked|INVARIANT' \
        "logs/$target.log" | head -20 || true
    crashes=$(find "artifacts/$target" -type f 2>/dev/null | wc -l)
    echo "== $target: exit $status, corpus $(find "work/$target" -type f | wc -l) files, $crashes crash files"
    [ "$status" -eq 0 ] || failed=1
done
exit "$failed"
