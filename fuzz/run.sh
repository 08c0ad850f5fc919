#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, on the stable toolchain.
# Usage: fuzz/run.sh [SECONDS]     Needs: cargo install cargo-fuzz
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1 # cargo-fuzz needs -Z flags; the stable compiler accepts them with this
# With ASan on, the cc crate instruments C dependencies too and, for GCC, adds
# -fno-ipa-icf-variables, which mbedtls-sys's bindgen (libclang) rejects: build C with clang.
export CC=${CC:-clang} CXX=${CXX:-clang++}
for target in $(cargo fuzz list); do
    # New inputs go to work/ (not committed); corpus/ holds the small seeds we wrote.
    mkdir -p "work/$target" "corpus/$target"
    echo "== $target: ${secs}s"
    cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
        -max_total_time="$secs" -print_final_stats=1 2>&1 |
        grep -E '^(stat::|#[0-9]+ *DONE|==[0-9]+==|SUMMARY|Done)' || true
    echo "== $target: corpus $(ls "work/$target" | wc -l) files"
done
