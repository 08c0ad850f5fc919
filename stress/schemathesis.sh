#!/usr/bin/env bash
# Property-based API check: schemathesis (PyPI) generates requests from HBF's own OpenAPI
# document (/_api/openapi.json) and checks every response: no 5xx, status codes, content
# types, headers and bodies as the document says. Bounded: MAX_EXAMPLES per operation and
# MAX_TIME seconds in all. Loopback only, a fresh storage dir, an owner's Bearer token (so
# the admin and documents routes are exercised past their auth checks); `logout` is left
# out (it would revoke the token mid-run).
#
#   stress/schemathesis.sh                                  # release build
#   HBF_BIN=target/debug/hbf BUILD=never stress/schemathesis.sh
#   MAX_EXAMPLES=20 MAX_TIME=60 stress/schemathesis.sh      # quicker
#
# Needs schemathesis: SCHEMATHESIS=path, else `schemathesis` on PATH, else it is installed
# (PyPI, version ST_VERSION) into a venv under ~/.cache/hbf-schemathesis the first time.
# Exit status: 0 PASS, 1 FAIL, 2 setup error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init schemathesis
MAX_EXAMPLES=${MAX_EXAMPLES:-50}
MAX_TIME=${MAX_TIME:-240}
ST_CHECKS=${ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}
ST_VERSION=${ST_VERSION:-4.32.5}
ST=${SCHEMATHESIS:-$(command -v schemathesis || true)}
if [[ -z $ST ]]; then
    VENV=${XDG_CACHE_HOME:-$HOME/.cache}/hbf-schemathesis
    if [[ ! -x $VENV/bin/schemathesis ]]; then
        log "installing schemathesis==$ST_VERSION into $VENV"
        python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION" >&2 ||
            die "cannot install schemathesis (pip install schemathesis, or SCHEMATHESIS=path)"
    fi
    ST=$VENV/bin/schemathesis
fi
[[ -x $ST ]] || die "schemathesis not found at $ST"
ensure_hbf
mkdir -p "$STORAGE"
start_hbf --workers 2
# An owner account and its token.
curl -sf -o /dev/null -H 'Content-Type: application/json' \
    -d '{"username":"stowner","password":"schemathesis-pw"}' "$HBF_URL/_api/auth/register" ||
    die "register failed"
"$HBF_BIN" sql "UPDATE _hbf_users SET role = 'owner' WHERE username = 'stowner'" --storage_dir "$STORAGE" >/dev/null
sleep 0.3
TOKEN=$(curl -sf -H 'Content-Type: application/json' -d '{"username":"stowner","password":"schemathesis-pw"}' \
    "$HBF_URL/_api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') ||
    die "login failed"
# A few documents for the generated ids to collide with.
for id in x a pages/home; do
    curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/markdown' \
        --data-binary "# $id" "$HBF_URL/_api/documents/$id" || die "seeding $id failed"
done
REPORT=$WORK/report
ST_CMD=("$ST" run "$HBF_URL/_api/openapi.json" --url "$HBF_URL" -H "Authorization: Bearer $TOKEN"
    --checks "$ST_CHECKS" --max-examples "$MAX_EXAMPLES" --workers 1 --exclude-operation-id logout
    --request-timeout 10 --suppress-health-check all --seed "${SEED:-1}"
    --report junit --report-dir "$REPORT")
log "+ $(quote "${ST_CMD[@]}")"
set +e
timeout "$MAX_TIME" "${ST_CMD[@]}" >"$WORK/st.out" 2>&1
rc=$?
set -e
tail -n 60 "$WORK/st.out"
summary=$(grep -E "passed|failed|errors?" "$WORK/st.out" | tail -n 3 | tr '\n' ' ')
check "schemathesis finished within MAX_TIME (${MAX_TIME}s)" "$( ((rc != 124)) && echo 1)" "exit $rc"
check "no failures (5xx, schema or status mismatch)" "$( ((rc == 0)) && echo 1)" "$summary"
check "hbf still running" "$(alive && echo 1)" "pid $HBF_PID"
echo "command: $(quote "${ST_CMD[@]}")"
finish
