#!/usr/bin/env bash
# Bounded loopback TLS check of HBF: testssl.sh against the HTTPS listener, the handshake cost
# (openssl s_time, new session per connection), and wrk on GET /health over plain HTTP and
# over TLS, keep-alive and `Connection: close`. Stops by itself; kills the server on exit.
# Exit 0 = ran (and testssl found nothing marked VULNERABLE), 1 = testssl flagged something,
# 2 = setup error.
#
# Env (all optional):
#   DURATION=10s CONNS=64 THREADS=2   wrk parameters (per run; 4 runs)
#   WARMUP=1s                         unmeasured wrk run before each measured run ("0" = none)
#   STIME=5 STIME_PAR=4               seconds of `openssl s_time -new`; parallel clients for the
#                                     handshake-rate run
#   TESTSSL=1 WRK=1 STIME_RUN=1       set to 0 to skip a part
#   TESTSSL_TIMEOUT=300               seconds before testssl is stopped
#   KEY=ec                            server key: ec (P-256, ECDSA suites) or rsa (2048, RSA suites)
#   HBF_BIN=target/release/hbf  BUILD=auto (auto|always|never)  STARTUP_TIMEOUT=20
#   HBF_ARGS=""                       extra arguments appended to `hbf serve`
# Needs: openssl, curl; testssl (Debian package testssl.sh) and wrk for those parts
# (`scripts/install-deps.sh testssl.sh wrk`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-1s}
STIME=${STIME:-5}
STIME_PAR=${STIME_PAR:-4}
TESTSSL=${TESTSSL:-1}
WRK=${WRK:-1}
STIME_RUN=${STIME_RUN:-1}
TESTSSL_TIMEOUT=${TESTSSL_TIMEOUT:-300}
KEY=${KEY:-ec}
HBF_BIN=${HBF_BIN:-target/release/hbf}
HBF_ARGS=${HBF_ARGS:-}
BUILD=${BUILD:-auto}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-20}

die() { echo "tls.sh: $*" >&2; exit 2; }
quote() { local s; s=$(printf '%q ' "$@"); echo "${s% }"; }
to_secs() {
    local d=$1
    case $d in
        *h) echo $(( ${d%h} * 3600 )) ;;
        *m) echo $(( ${d%m} * 60 )) ;;
        *s) echo "${d%s}" ;;
        *) echo "$d" ;;
    esac
}

for tool in openssl curl awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found"
done
if [[ $TESTSSL == 1 ]] && ! command -v testssl >/dev/null 2>&1; then
    die "testssl not found (apt-get install testssl.sh, or TESTSSL=0)"
fi
if [[ $WRK == 1 ]] && ! command -v wrk >/dev/null 2>&1; then
    die "wrk not found (apt-get install wrk, or WRK=0)"
fi

# ---- build -------------------------------------------------------------------
BUILD_CMD=(cargo build --release --bin hbf)
case $BUILD in
    always) need_build=1 ;;
    never) need_build=0 ;;
    auto) need_build=0; [[ -x $HBF_BIN ]] || need_build=1 ;;
    *) die "BUILD must be auto, always or never (got '$BUILD')" ;;
esac
if (( need_build )); then
    echo "+ ${BUILD_CMD[*]}"
    "${BUILD_CMD[@]}" || die "build failed"
fi
[[ -x $HBF_BIN ]] || die "HBF binary '$HBF_BIN' not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hbf-tls.XXXXXX")
PID=
CHILD=
cleanup() {
    [[ -n $CHILD ]] && kill "$CHILD" 2>/dev/null
    if [[ -n $PID ]]; then
        kill "$PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

interruptible() { # outfile cmd...
    local out=$1; shift
    "$@" >"$out" 2>&1 &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    return "$rc"
}

# ---- certificates: root CA -> leaf for localhost --------------------------------
(
    cd "$WORK"
    if [[ $KEY == rsa ]]; then
        keyopts=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
    else
        keyopts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
    fi
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -x509 -new -key ca.key -subj "/CN=hbf stress CA" -days 7 -out ca.crt \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl genpkey "${keyopts[@]}" -out server.key
    openssl req -new -key server.key -subj /CN=localhost -out server.csr
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
        -extfile server.ext -out server.crt
) >"$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log" >&2; die "certificate generation failed"; }

# ---- server --------------------------------------------------------------------
# Both ports are 0: the server reports what it got in its "listening" line.
HBF_CMD=("$HBF_BIN" serve --port 0 --admin_bind 127.0.0.1:0 --tls_port 0 --tls_cert "$WORK/server.crt"
    --tls_key "$WORK/server.key" --storage_dir "$WORK/henvs" --log_level info
    --access_log false $HBF_ARGS)
"${HBF_CMD[@]}" >"$WORK/hbf.log" 2>&1 &
PID=$!
deadline=$(( SECONDS + STARTUP_TIMEOUT ))
PORT= TPORT=
until [[ -n $TPORT ]] && curl -sf -o /dev/null --max-time 2 --cacert "$WORK/ca.crt" \
    --resolve "localhost:$TPORT:127.0.0.1" "https://localhost:$TPORT/_hbf/health"; do
    kill -0 "$PID" 2>/dev/null || { tail -n 30 "$WORK/hbf.log" >&2; die "hbf exited during startup"; }
    (( SECONDS < deadline )) || { tail -n 30 "$WORK/hbf.log" >&2; die "hbf did not answer"; }
    TPORT=$(grep -oE '"tls_addr":"127\.0\.0\.1:[0-9]+' "$WORK/hbf.log" | head -n1 | grep -oE '[0-9]+$' || true)
    sleep 0.1
done
PORT=$(grep -oE '"addr":"127\.0\.0\.1:[0-9]+' "$WORK/hbf.log" | head -n1 | grep -oE '[0-9]+$' || true)
APORT=$(grep -oE '"admin_addr":"127\.0\.0\.1:[0-9]+' "$WORK/hbf.log" | head -n1 | grep -oE '[0-9]+$' || true)
[[ -n $PORT ]] || { cat "$WORK/hbf.log" >&2; die "no plain HTTP port in the log"; }
echo "hbf: http on 127.0.0.1:$PORT, https on 127.0.0.1:$TPORT (key: $KEY)"
LOOP_TASK=
for t in /proc/"$PID"/task/*; do [[ $(cat "$t/comm" 2>/dev/null) == hbf-loop ]] && LOOP_TASK=$t; done
TICK=$(getconf CLK_TCK)
loop_cpu_ms() { # CPU time of the event-loop thread so far, in ms
    [[ -n $LOOP_TASK ]] || { echo 0; return; }
    awk -v tick="$TICK" '{ printf "%d", ($14 + $15) * 1000 / tick }' "$LOOP_TASK/stat"
}
pool_cpu_ms() { # CPU time of the handshake-pool threads (hbf-tls-N) so far, in ms
    local t sum=0
    for t in /proc/"$PID"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == hbf-tls-* ]] || continue
        sum=$(( sum + $(awk '{print $14 + $15}' "$t/stat") ))
    done
    echo $(( sum * 1000 / TICK ))
}
metric() { # name -> value from /metrics
    curl -sf --max-time 5 "http://127.0.0.1:$APORT/metrics" | awk -v n="$1" '$1 == n {print $2}'
}
COMMANDS=("$(quote "${HBF_CMD[@]}")")
status=0

# ---- testssl.sh ----------------------------------------------------------------
if [[ $TESTSSL == 1 ]]; then
    cmd=(testssl --quiet --color 0 --warnings batch --ip one --nodns min --add-ca "$WORK/ca.crt"
        "127.0.0.1:$TPORT")
    COMMANDS+=("timeout $TESTSSL_TIMEOUT $(quote "${cmd[@]}")")
    echo "running: testssl (up to ${TESTSSL_TIMEOUT}s)..." >&2
    interruptible "$WORK/testssl.txt" timeout "$TESTSSL_TIMEOUT" "${cmd[@]}" ||
        echo "tls.sh: testssl exited non-zero (see below)" >&2
    echo
    echo "== testssl summary"
    grep -E '^ (SSLv2|SSLv3|TLS 1(\.[0-3])? |NPN|ALPN)|not offered \(OK\)|offered \(OK\)|Obsolete CBC|Triple DES|PFS is offered|Elliptic curves|Has server cipher order|Negotiated (protocol|cipher)|Session Resumption|Chain of trust|Strict Transport|Secure (Client-Initiated )?Renegotiation|CRIME|BREACH|POODLE|SWEET32|FREAK|DROWN|LOGJAM|BEAST|LUCKY13|RC4|Heartbleed|CCS|Ticketbleed|ROBOT|TLS_FALLBACK' \
        "$WORK/testssl.txt" | sed 's/[[:space:]]*$//' || true
    echo "cipher suites offered:"
    awk '/^ x[0-9a-f]+ /{print "   " $2 "  (" $NF ")"}' "$WORK/testssl.txt"
    sims=$(grep -cE '^ [A-Za-z].* TLSv1\.2 ' "$WORK/testssl.txt" || true)
    nocon=$(grep -E 'No connection$' "$WORK/testssl.txt" | sed -E 's/ +No connection$//; s/^ +//' | paste -sd, - || true)
    echo "client simulations: $sims connect with TLS 1.2; no connection: ${nocon:-none}"
    vulnerable=$( (grep -iE 'VULNERABLE' "$WORK/testssl.txt" || true) | (grep -viE 'not vulnerable' || true) | wc -l)
    echo "lines flagged VULNERABLE: $vulnerable"
    (( vulnerable == 0 )) || status=1
fi

# ---- handshake cost ---------------------------------------------------------------
if [[ $STIME_RUN == 1 ]]; then
    before_n=$(metric hbf_tls_handshake_duration_seconds_count)
    before_s=$(metric hbf_tls_handshake_duration_seconds_sum)
    cmd=(openssl s_time -connect "127.0.0.1:$TPORT" -new -time "$STIME")
    COMMANDS+=("$(quote "${cmd[@]}")")
    echo "running: openssl s_time -new (${STIME}s)..." >&2
    interruptible "$WORK/stime.txt" timeout $(( STIME + 30 )) "${cmd[@]}" </dev/null ||
        { cat "$WORK/stime.txt" >&2; die "s_time failed"; }
    after_n=$(metric hbf_tls_handshake_duration_seconds_count)
    after_s=$(metric hbf_tls_handshake_duration_seconds_sum)
    echo
    echo "== handshake cost (one client, sequential full handshakes)"
    grep -E 'connections in|connections/user sec' "$WORK/stime.txt" | head -n 2
    awk -v n0="$before_n" -v s0="$before_s" -v n1="$after_n" -v s1="$after_s" 'BEGIN {
        n = n1 - n0; if (n > 0) printf "server side: %d handshakes, mean accept-to-established %.3f ms\n", n, (s1 - s0) * 1000 / n }'
    # Handshake rate: several clients at once keep the event loop busy with handshakes.
    COMMANDS+=("$STIME_PAR x $(quote "${cmd[@]}") (in parallel)")
    echo "running: $STIME_PAR parallel s_time -new (${STIME}s)..." >&2
    before_n=$(metric hbf_tls_handshake_duration_seconds_count)
    cpu0=$(loop_cpu_ms)
    pcpu0=$(pool_cpu_ms)
    t0=$(date +%s.%N)
    spids=()
    for i in $(seq "$STIME_PAR"); do
        timeout $(( STIME + 30 )) "${cmd[@]}" </dev/null >"$WORK/stime-$i.txt" 2>&1 &
        spids+=("$!")
    done
    for p in "${spids[@]}"; do wait "$p" || true; done
    t1=$(date +%s.%N)
    cpu1=$(loop_cpu_ms)
    pcpu1=$(pool_cpu_ms)
    after_n=$(metric hbf_tls_handshake_duration_seconds_count)
    awk -v n="$(( after_n - before_n ))" -v t0="$t0" -v t1="$t1" -v par="$STIME_PAR" \
        -v cpu="$(( cpu1 - cpu0 ))" -v pcpu="$(( pcpu1 - pcpu0 ))" 'BEGIN {
        printf "%d parallel clients: %d handshakes in %.1f s = %.0f handshakes/s; event-loop CPU %.2f ms per connection (%.0f%% of a core), handshake pool %.2f ms per connection (%.0f%% of a core)\n",
            par, n, t1 - t0, n / (t1 - t0), (n > 0 ? cpu / n : 0), cpu / 10 / (t1 - t0), (n > 0 ? pcpu / n : 0), pcpu / 10 / (t1 - t0) }'
fi

# ---- wrk: plain vs TLS -----------------------------------------------------------------
if [[ $WRK == 1 ]]; then
    ROWS=()
    run_wrk() { # label url mode
        local label=$1 url=$2 mode=$3
        local -a hdr=()
        [[ $mode == close ]] && hdr=(-H 'Connection: close')
        if [[ $WARMUP != 0 ]]; then
            interruptible /dev/null timeout "$(( $(to_secs "$WARMUP") + 30 ))" \
                wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$url" || die "warm-up failed"
        fi
        local -a cmd=(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" "$url")
        COMMANDS+=("$(quote "${cmd[@]}")")
        local out="$WORK/wrk-$label-$mode.txt"
        echo "running: $label $mode ($DURATION)..." >&2
        interruptible "$out" timeout "$(( $(to_secs "$DURATION") + 30 ))" "${cmd[@]}" ||
            { cat "$out" >&2; die "wrk failed for $label/$mode"; }
        local rps p99 errs non2xx
        rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
        p99=$(awk '$1 == "99%" {print $2}' "$out")
        errs=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
        non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
        [[ -n $rps ]] || { cat "$out" >&2; die "could not parse wrk output"; }
        ROWS+=("$(printf '%-6s %-11s %12s %10s %12s %9s' "$label" "$mode" "$rps" "${p99:-?}" "${errs:-0}" "${non2xx:-0}")")
    }
    for mode in keep-alive close; do
        run_wrk http "http://127.0.0.1:$PORT/_hbf/health" "$mode"
        run_wrk https "https://127.0.0.1:$TPORT/_hbf/health" "$mode"
    done
    echo
    echo "== wrk GET /_hbf/health (DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS WARMUP=$WARMUP)"
    printf '%-6s %-11s %12s %10s %12s %9s\n' proto mode req/s p99 sock-errors non-2xx
    printf '%s\n' "${ROWS[@]}"
fi

model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
echo
echo "machine: nproc=$(nproc) cpu=\"${model:-unknown}\" kernel=$(uname -r)"
echo "handshakes: $(curl -sf "http://127.0.0.1:$APORT/metrics" | grep -E '^hbf_handshakes_total' | sed 's/hbf_handshakes_total//' | paste -sd' ' -)"
echo "commands:"
printf '  %s\n' "${COMMANDS[@]}"
exit "$status"
