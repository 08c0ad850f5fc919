#!/usr/bin/env bash
# Scale-out on loopback with existing engines: HBF nodes, each owning a set of henvs, behind
# nginx with `hash $host consistent` (the configuration of docs/deploy.md).
#  1. two nodes A and B; each henv is created on the node nginx's ring sends its host to; every
#     write through nginx is acknowledged (a wrong node would answer 404);
#  2. node C added: only hosts that now map to C change nodes (about a third); they are handed
#     over with `hbf henv move` (in parallel) and every write through nginx is acknowledged again;
#  3. node C removed: exactly C's hosts go back to their previous node; moved back, written again;
#  every acknowledged write is present, each henv's file on exactly one node, integrity ok.
# Loopback only, bounded. Exit 0 PASS, 1 FAIL, 2 setup error.
#
#   stress/two_nodes.sh                    # HOSTS=24
#   HOSTS=60 HBF_BIN=target/debug/hbf BUILD=never stress/two_nodes.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init two_nodes
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx not found (scripts/install-deps.sh)"
ensure_hbf
OPS="python3 stress/ops_check.py"
N=${HOSTS:-24}
DRAIN_MS=${DRAIN_MS:-1500}
declare -A PORT NODE_OF_PORT
HOSTNAMES=()
for i in $(seq 0 $((N - 1))); do HOSTNAMES+=("h$i.test"); done

start_node() { # name
    local name=$1 log=$WORK/$1.log
    mkdir -p -m 700 "$WORK/$name"
    "$HBF_BIN" serve --port 0 --admin_bind "" --storage_dir "$WORK/$name" --default_host "" \
        --workers 1 --trust_proxy 127.0.0.1/32 --access_log false --log_level info >"$log" 2>&1 &
    LIB_PIDS+=("$!")
    eval "PID_$name=$!"
    local p=
    for _ in $(seq 200); do
        p=$(grep -oE '"addr":"127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
        [[ -n $p ]] && break
        sleep 0.05
    done
    [[ -n $p ]] || die "node $name did not start: $(tail -5 "$log")"
    PORT[$name]=$p
    NODE_OF_PORT[$p]=$name
    log "node $name on 127.0.0.1:$p"
}

NGINX_PID=
start_nginx() { # node names...
    [[ -n $NGINX_PID ]] && { kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; }
    local d=$WORK/nginx servers= n
    rm -rf "$d"; mkdir -p "$d"
    for n in "$@"; do servers+="server 127.0.0.1:${PORT[$n]};"; done
    for _attempt in 1 2 3 4 5; do
        NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        cat >"$d/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
pid $d/nginx.pid; error_log $d/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $d/cb; proxy_temp_path $d/px; fastcgi_temp_path $d/fc;
    uwsgi_temp_path $d/uw; scgi_temp_path $d/sc;
    upstream hbf {
        hash \$host consistent;   # each Host always goes to the same node
        $servers
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://hbf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
CONF
        "$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" </dev/null >/dev/null 2>&1 &
        NGINX_PID=$!
        LIB_PIDS+=("$NGINX_PID")
        for _ in $(seq 50); do
            curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && { log "nginx on $NGINX_PORT: $*"; return; }
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.05
        done
    done
    die "nginx would not start: $(cat "$d/error.log")"
}

owner() { # host -> node name nginx routes it to
    local p
    p=$(curl -s -o /dev/null -D - -H "Host: $1" "http://127.0.0.1:$NGINX_PORT/_hbf/health" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "x-upstream" {print $2}' | grep -oE '[0-9]+$' || true)
    [[ -n $p ]] && echo "${NODE_OF_PORT[$p]:-none}" || echo none
}

declare -A AT # host -> node holding its file
write_all() { # tag
    local out
    out=$($OPS write "127.0.0.1:$NGINX_PORT" "$WORK/acked-$1" "$1" $((N * 3)) "${HOSTNAMES[@]}")
    local ok=${out#write: }; ok=${ok%%/*}
    check "phase $1: every write through nginx acknowledged" "$( (( ok == N * 3 )) && echo 1)" "$out"
    cat "$WORK/acked-$1" >>"$WORK/acked"
}

# ---- phase 1: A and B ---------------------------------------------------------------------
start_node A; start_node B
start_nginx A B
for h in "${HOSTNAMES[@]}"; do
    AT[$h]=$(owner "$h")
    "$HBF_BIN" import stress/apps/ledger --host "$h" --storage_dir "$WORK/${AT[$h]}" >/dev/null
done
on_a=$(for h in "${HOSTNAMES[@]}"; do echo "${AT[$h]}"; done | grep -c '^A$' || true)
log "placed $N henvs: $on_a on A, $((N - on_a)) on B"
sleep 1.5 # route reload
write_all 1

# ---- phase 2: add C -------------------------------------------------------------------------
start_node C
start_nginx A B C
MOVES=()
wait_moves() { local ok=0 pid; for pid in "${MOVES[@]}"; do wait "$pid" || ok=1; done; MOVES=(); return $ok; }
moved=0 wrong=0
for h in "${HOSTNAMES[@]}"; do
    now=$(owner "$h")
    [[ $now == "${AT[$h]}" ]] && continue
    moved=$((moved + 1))
    [[ $now == C ]] || wrong=$((wrong + 1))
    "$HBF_BIN" henv move "$h" --to "$WORK/C" --drain_ms "$DRAIN_MS" --storage_dir "$WORK/${AT[$h]}" \
        >>"$WORK/moves.log" 2>&1 &
    MOVES+=("$!")
    AT[$h]=C
done
mv_ok=1; wait_moves || mv_ok=0
check "adding C moves only hosts onto C" "$( (( wrong == 0 && moved > 0 )) && echo 1)" \
    "$moved of $N hosts moved ($(( moved * 100 / N ))%, ideal 33%), $wrong elsewhere"
check "hbf henv move of each (parallel)" "$mv_ok" "$(grep -c '^moved' "$WORK/moves.log" || true) moved"
sleep 1.5
write_all 2

# ---- phase 3: remove C ----------------------------------------------------------------------
start_nginx A B
back=0 other=0
: >"$WORK/moves.log"
for h in "${HOSTNAMES[@]}"; do
    now=$(owner "$h")
    if [[ ${AT[$h]} == C ]]; then
        back=$((back + 1))
        "$HBF_BIN" henv move "$h" --to "$WORK/$now" --drain_ms "$DRAIN_MS" --storage_dir "$WORK/C" \
            >>"$WORK/moves.log" 2>&1 &
        MOVES+=("$!")
        AT[$h]=$now
    elif [[ $now != "${AT[$h]}" ]]; then
        other=$((other + 1))
    fi
done
mv_ok=1; wait_moves || mv_ok=0
check "removing C moves only C's hosts" "$( (( other == 0 && back == moved )) && echo 1)" \
    "$back hosts back from C, $other others moved"
check "hbf henv move back (parallel)" "$mv_ok" "$(grep -c '^moved' "$WORK/moves.log" || true) moved"
sleep 1.5
write_all 3

rc=0; out=$($OPS check-nodes "$WORK/acked" "$WORK/A" "$WORK/B" "$WORK/C" 2>&1) || rc=$?
check "every acknowledged write on the node holding its henv" "$( (( rc == 0 )) && echo 1)" \
    "$(echo "$out" | tail -n 1), $(wc -l <"$WORK/acked") writes"
finish
