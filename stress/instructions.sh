#!/usr/bin/env bash
# Instructions per request of one route, for the whole server process (event loop + worker),
# under callgrind: `hbf serve --workers 1` on the bench app (stress/apps/bench), N1 then N2
# sequential keep-alive requests in two runs, instrumented only while they run (after 20
# warm-up requests); per request = (Ir(N2) - Ir(N1)) / (N2 - N1), so what the window itself
# costs cancels out. Deterministic enough to compare commits
# on a shared machine (wall-clock req/s is not). Loopback only; stops by itself.
#
# Env (all optional): HBF_BIN=target/release/hbf ROUTE=/hello N1=300 N2=1300
# Prints: "ROUTE instructions/request: X" and exits 0; 2 = setup error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

HBF_BIN=${HBF_BIN:-target/release/hbf}
ROUTE=${ROUTE:-/hello}
N1=${N1:-300}
N2=${N2:-1300}
die() { echo "instructions: $*" >&2; exit 2; }
for tool in valgrind python3 callgrind_control; do
    command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install valgrind python3)"
done
[[ -x $HBF_BIN ]] || die "$HBF_BIN not built (cargo build --release --bin hbf)"
WORK=$(mktemp -d)
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$HBF_BIN" import stress/apps/bench --host localhost --storage_dir "$WORK/henvs" >/dev/null

# Total instructions of a server run that answered $1 requests.
measure() {
    local n=$1 out="$WORK/cg.$1"
    valgrind --tool=callgrind --callgrind-out-file="$out" --instr-atstart=no \
        "$HBF_BIN" serve --port 0 --workers 1 --storage_dir "$WORK/henvs" --access_log false \
        --log_level info --qjs_timeout_ms 120000 >"$WORK/log.$n" 2>&1 &
    PID=$!
    local port="" i
    for i in $(seq 1 600); do
        port=$(grep -oE '"addr":"[^"]*:[0-9]+"' "$WORK/log.$n" 2>/dev/null | head -n1 | grep -oE '[0-9]+"$' | tr -d '"' || true)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || die "server did not start (log: $(cat "$WORK/log.$n"))"
    # (one warm-up request builds the runtime; only the measured requests are instrumented)
    python3 - "$port" "$ROUTE" "$n" "$PID" <<'PY' || die "requests failed"
import http.client, subprocess, sys
port, route, n, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def get():
    c.request("GET", route, headers={"Host": "localhost"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
for _ in range(20):
    get()
subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
for _ in range(n):
    get()
subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
PY
    kill -TERM "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    awk '/^totals:/ { print $2; exit }' "$out"
}

a=$(measure "$N1")
b=$(measure "$N2")
echo "$ROUTE instructions/request: $(( (b - a) / (N2 - N1) ))  (Ir $N1 requests: $a, $N2 requests: $b; $HBF_BIN)"
