#!/usr/bin/env bash
# Requests exactly at and one byte over every size limit, with hbf's defaults: bodies
# (Content-Length, chunked, Expect: 100-continue) at --max_body_bytes (10 MiB) -> 200 and the
# app sees every byte; one more -> 413 JSON + Connection: close (before the body is read for a
# declared length); request line, header line, header bytes and header count at their limit
# -> 200, one more -> 414 / 431 JSON. hbf must stay up and answer afterwards.
# Loopback only, bounded, stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
# Env: HBF_BIN BUILD HBF_ARGS (e.g. HBF_ARGS="--max_body_bytes 1048576" plus the matching
#      LIMITS_ARGS="--max-body 1048576" for stress/limits_client.py)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init body_limits
HBF_ARGS=${HBF_ARGS:-}
LIMITS_ARGS=${LIMITS_ARGS:-}

ensure_hbf
import_app stress/apps/overload
# shellcheck disable=SC2086
start_hbf --access_log false $HBF_ARGS

# shellcheck disable=SC2086
if timeout 300 python3 stress/limits_client.py "$HBF_PORT" $LIMITS_ARGS | tee "$WORK/cases.txt"; then rc=0; else rc=$?; fi
summary=$(tail -n1 "$WORK/cases.txt")
check "every case got its expected status" "$(cmp "$rc" == 0)" "$summary"
check "server counted the 7 at-limit requests as 2xx" "$( (( $(metric 'hbf_requests_total{class="2xx"}') >= 7 )) && echo 1)" \
    "2xx $(metric 'hbf_requests_total{class="2xx"}'), 4xx $(metric 'hbf_requests_total{class="4xx"}')"
check "recovery: /health and /hello 200" \
    "$( [[ $(http_status "$HBF_URL/_hbf/health") == 200 && $(http_status "$HBF_URL/hello") == 200 ]] && echo 1)" ""
check "hbf alive" "$(alive && echo 1)" "rss $(rss_kb) KiB"
finish
