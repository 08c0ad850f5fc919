#!/usr/bin/env python3
"""Open N TCP connections to 127.0.0.1:PORT and hold them (stress helper, stdlib only).

    hold_conns.py PORT N --mode request|partial|none [--hold SECS] [--rate R]

mode request: send one `GET /_hbf/health` per connection and read its response, then idle (a
              keep-alive connection in the server's KeepAlive state);
mode partial: send an incomplete request head (no blank line) and idle;
mode none:    connect only.
Prints one JSON line when all are set up ({"event":"ready",...}), then holds them until
SIGUSR1, SIGTERM or --hold seconds, then prints how many the server had closed and exits.
"""
import argparse
import json
import selectors
import signal
import socket
import sys
import time

REQ = b"GET /_hbf/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
PARTIAL = b"GET /_hbf/health HTTP/1.1\r\nHost: localhost\r\n"


def out(**kw):
    print(json.dumps(kw), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--mode", choices=["request", "partial", "none"], default="request")
    ap.add_argument("--hold", type=float, default=120.0)
    ap.add_argument("--setup-timeout", type=float, default=60.0)
    args = ap.parse_args()

    stop = {"now": False}

    def on_signal(_sig, _frame):
        stop["now"] = True

    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    payload = {"request": REQ, "partial": PARTIAL, "none": b""}[args.mode]
    t0 = time.monotonic()
    socks, failed = [], 0
    for _ in range(args.n):
        if time.monotonic() - t0 > args.setup_timeout:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", args.port))
            if payload:
                # at once: a connection that sends nothing is closed at --header_timeout_ms
                s.sendall(payload)
        except OSError:
            failed += 1
            s.close()
            continue
        socks.append(s)
    connected = len(socks)
    connect_s = round(time.monotonic() - t0, 2)

    ok = 0
    statuses = {}
    if args.mode == "request":
        sel = selectors.DefaultSelector()
        bufs = {}
        for s in socks:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            bufs[s] = b""
        pending = set(socks)
        deadline = time.monotonic() + args.setup_timeout
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    pending.discard(s)
                    sel.unregister(s)
                    continue
                bufs[s] += chunk
                head, sep, body = bufs[s].partition(b"\r\n\r\n")
                if sep:
                    clen = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            clen = int(value.strip())
                    if len(body) >= clen:
                        status = head.split(b" ", 2)[1].decode()
                        statuses[status] = statuses.get(status, 0) + 1
                        if status == "200":
                            ok += 1
                        pending.discard(s)
                        sel.unregister(s)
        sel.close()
    out(event="ready", connected=connected, connect_failed=failed, answered_200=ok, connect_s=connect_s,
        statuses=statuses, setup_s=round(time.monotonic() - t0, 2))

    end = time.monotonic() + args.hold
    while not stop["now"] and time.monotonic() < end:
        time.sleep(0.2)

    # How many did the server close meanwhile? (readable with EOF or reset)
    closed = 0
    for s in socks:
        s.setblocking(False)
        while True:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                break  # still open
            except OSError:
                closed += 1
                break
            if data == b"":
                closed += 1
                break
            # an answer (e.g. 408) before the close: keep reading
    for s in socks:
        s.close()
    out(event="released", held=connected, closed_by_server=closed,
        held_s=round(time.monotonic() - t0, 2))


if __name__ == "__main__":
    sys.exit(main())
