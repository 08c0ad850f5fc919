#!/usr/bin/env bash
# Builds a fully static `hbf` (glibc static-pie; mbed TLS, SQLite and QuickJS linked in) and
# prints where it is, its size stripped, and proof that it needs no shared libraries.
#
# Usage: scripts/build-static.sh [extra cargo args...]
# Output: target/x86_64-unknown-linux-gnu/release/hbf (unstripped) and
#         target/x86_64-unknown-linux-gnu/release/hbf-static (stripped copy).
# Needs: the build dependencies of scripts/install-deps.sh, and glibc's static libraries
# (libc6-dev, present wherever cc works on Debian). The one thing static glibc cannot do well is
# NSS (getpwnam, getaddrinfo of non-numeric names); HBF uses neither: it binds numeric addresses.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET=x86_64-unknown-linux-gnu
OUT=target/$TARGET/release

# SQLite features HBF does not use, left out of the shipped binary (apps keep FTS5, JSON,
# math and window functions): FTS3/4, R*Tree, dbstat, soundex, column metadata, extension
# loading (refused by the authorizer anyway), deprecated APIs, shared cache. Override with
# LIBSQLITE3_FLAGS= (empty) to build with the bundled defaults.
export LIBSQLITE3_FLAGS=${LIBSQLITE3_FLAGS-"-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB -USQLITE_SOUNDEX -USQLITE_ENABLE_COLUMN_METADATA -USQLITE_ENABLE_LOAD_EXTENSION -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_SHARED_CACHE"}
echo "+ LIBSQLITE3_FLAGS='$LIBSQLITE3_FLAGS'"

# `--target` keeps the static flags off build scripts and proc macros (they must stay dynamic).
# getrandom_backend="linux_getrandom": call getrandom(2) directly. By default getrandom 0.3 looks
# the libc function up with dlsym, which a static binary cannot, and falls back to opening
# /dev/urandom, so the binary would panic in a root without /dev (stress/deploy_check.sh).
FLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"'
echo "+ RUSTFLAGS='$FLAGS' cargo build --release --target $TARGET --bin hbf $*"
RUSTFLAGS="$FLAGS" cargo build --release --target "$TARGET" --bin hbf "$@"

cp "$OUT/hbf" "$OUT/hbf-static"
strip "$OUT/hbf-static"

echo
file "$OUT/hbf-static" 2>/dev/null || true
if readelf -d "$OUT/hbf-static" | grep -q NEEDED; then
    echo "build-static: $OUT/hbf-static needs shared libraries:" >&2
    readelf -d "$OUT/hbf-static" | grep NEEDED >&2
    exit 1
fi
echo "build-static: no NEEDED entries (readelf -d): fully static"
"$OUT/hbf-static" --version
size=$(stat -c %s "$OUT/hbf-static")
echo "build-static: $OUT/hbf-static: $size bytes stripped ($(awk -v s="$size" 'BEGIN{printf "%.1f", s/1048576}') MiB)"
