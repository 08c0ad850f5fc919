#!/usr/bin/env bash
# Documents benchmark (not a timed test): search latency p50/p99 over DOCS generated
# documents (default 100,000 markdown documents, ~60 words each, Zipf-like vocabulary),
# as the owner and as a `user` whose row policy hides half of them (the search joins the
# policy view), and HTTP insert throughput (PUT /_api/documents/..., keep-alive clients).
# Each figure runs at most SECONDS (default 30). Loopback only, a fresh storage directory.
#
#   stress/bench_documents.sh                      # release build (cargo build --release)
#   DOCS=20000 SECONDS_PER_FIGURE=10 stress/bench_documents.sh
#   HBF_BIN=target/debug/hbf BUILD=never stress/bench_documents.sh
#
# Exit status: 0 PASS (every figure measured without errors), 1 FAIL, 2 setup error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init bench_documents
DOCS=${DOCS:-100000}
SECS=${SECONDS_PER_FIGURE:-30}
QUERIES=${QUERIES:-3000}
INSERTS=${INSERTS:-20000}
CLIENTS=${CLIENTS:-4}
PY=stress/bench_documents.py
ensure_hbf
mkdir -p "$STORAGE"
# The henv file (schema, accounts), then the bulk load straight into it (before the server).
"$HBF_BIN" sql "SELECT 1" --storage_dir "$STORAGE" >/dev/null
DB=$(ls "$STORAGE"/*.db | head -1)
log "bulk-loading $DOCS documents into $DB"
BULK=$(timeout 600 python3 "$PY" bulk "$DB" "$DOCS") || die "bulk load failed"
echo "$BULK"
for sql in "INSERT INTO _hbf_table_permissions (role, table_name, can_select) VALUES ('user', 'nodes', 1)" \
    "INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES ('nodes', 'half', 'user', 'SELECT', 'path >= ''pub/'' AND path < ''pub0''')" \
    "UPDATE _hbf_config SET value = '{\"ip_burst\":1000,\"ip_per_minute\":1000,\"user_burst\":100,\"user_per_minute\":100}' WHERE key = 'auth_rate_limit'"; do
    "$HBF_BIN" sql "$sql" --storage_dir "$STORAGE" >/dev/null || die "setup SQL failed: $sql"
done
start_hbf --workers 2
token_for() { # user role
    curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password\"}" "$HBF_URL/_api/auth/register" || die "register $1"
    [[ $2 == owner ]] && "$HBF_BIN" sql "UPDATE _hbf_users SET role = 'owner' WHERE username = '$1'" --storage_dir "$STORAGE" >/dev/null && sleep 0.3
    curl -sf -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password\"}" "$HBF_URL/_api/auth/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
OWNER=$(token_for benchowner owner) || die "owner token"
USER=$(token_for benchuser user) || die "user token"
rc1=0; S1=$(python3 "$PY" search "$HBF_PORT" "$OWNER" "$QUERIES" "$SECS" owner) || rc1=$?
echo "$S1"
rc2=0; S2=$(python3 "$PY" search "$HBF_PORT" "$USER" "$QUERIES" "$SECS" user_policy) || rc2=$?
echo "$S2"
rc3=0; I1=$(python3 "$PY" inserts "$HBF_PORT" "$OWNER" "$INSERTS" "$CLIENTS" "$SECS") || rc3=$?
echo "$I1"
INTEGRITY=$("$HBF_BIN" sql "INSERT INTO nodes_fts(nodes_fts) VALUES ('integrity-check')" --storage_dir "$STORAGE" 2>&1) && ok=1 || ok=0
check "search as owner" "$( ((rc1 == 0)) && echo 1)" "$S1"
check "search as user (policy view)" "$( ((rc2 == 0)) && echo 1)" "$S2"
check "HTTP inserts" "$( ((rc3 == 0)) && echo 1)" "$I1"
check "FTS integrity-check after the run" "$ok" "$INTEGRITY"
echo "bulk:    $BULK"
echo "command: DOCS=$DOCS SECONDS_PER_FIGURE=$SECS QUERIES=$QUERIES INSERTS=$INSERTS CLIENTS=$CLIENTS HBF_BIN=$HBF_BIN stress/bench_documents.sh"
finish
