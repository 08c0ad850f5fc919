#!/usr/bin/env python3
"""Requests exactly at and one byte over HBF's size limits (stress helper, stdlib only).

    limits_client.py PORT [--max-body N] [--max-line N] [--max-header-line N]
                          [--max-header-bytes N] [--max-headers N]

Defaults are hbf serve's defaults. Each case uses its own connection and raw bytes, so sizes
are exact (request line and header lines counted without CRLF, header bytes as the sum of
header lines plus CRLF each, as src/http/head.rs does). Prints one line per case and a final
JSON summary; exit 0 if every case got its expected status.
"""
import argparse
import json
import socket
import sys
import time

TARGET = "/len"


def read_response(s, timeout=20.0):
    """Reads one response (status, headers dict, body); None on EOF/reset before a full head."""
    s.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return None
        if not chunk:
            return None
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    clen = int(headers.get("content-length", "0"))
    while len(body) < clen:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        body += chunk
    return status, headers, body[:clen]


def exchange(port, head, body=b"", body_chunks=None, expect_continue=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        s.sendall(head)
        if expect_continue:
            r = read_response(s, timeout=5)
            if r is None or r[0] != 100:
                return r  # a final answer instead of 100 Continue
        try:
            if body_chunks is not None:
                for c in body_chunks:
                    s.sendall(c)
            elif body:
                s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; read what it sent
        return read_response(s)
    finally:
        s.close()


def chunked(total, size=65536):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"%x\r\n" % n + b"x" * n + b"\r\n"
        sent += n
    yield b"0\r\n\r\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--max-body", type=int, default=10 * 1024 * 1024)
    ap.add_argument("--max-line", type=int, default=8192)
    ap.add_argument("--max-header-line", type=int, default=8192)
    ap.add_argument("--max-header-bytes", type=int, default=32768)
    ap.add_argument("--max-headers", type=int, default=100)
    a = ap.parse_args()
    port, mb = a.port, a.max_body
    host = b"Host: localhost\r\n"

    def cl_head(n, extra=b""):
        return (b"POST %s HTTP/1.1\r\n" % TARGET.encode() + host +
                b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n" % n + extra + b"\r\n")

    te_head = (b"POST %s HTTP/1.1\r\n" % TARGET.encode() + host +
               b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")

    def get_with_line(length):  # request line of exactly `length` bytes (no CRLF)
        base = "GET /hello?p= HTTP/1.1"
        pad = "a" * (length - len(base))
        return ("GET /hello?p=%s HTTP/1.1\r\n" % pad).encode() + host + b"\r\n"

    def get_with_header_line(length):
        base = "X-Pad: "
        return b"GET /hello HTTP/1.1\r\n" + host + (base + "a" * (length - len(base))).encode() + b"\r\n\r\n"

    def get_with_header_bytes(total):  # sum over header lines of len(line) + 2 == total
        lines = [b"Host: localhost"]
        used = len(lines[0]) + 2
        i = 0
        while used < total:
            room = total - used - 2  # bytes for this line without CRLF
            name = b"X-P%d: " % i
            if room < len(name) + 1:
                # too little room for a new line: grow the previous one instead
                lines[-1] += b"a" * (total - used)
                used = total
                break
            n = min(room, a.max_header_line, len(name) + 8000)
            lines.append(name + b"a" * (n - len(name)))
            used += n + 2
            i += 1
        assert sum(len(x) + 2 for x in lines) == total
        return b"GET /hello HTTP/1.1\r\n" + b"".join(x + b"\r\n" for x in lines) + b"\r\n"

    def get_with_headers(count):  # `count` header fields in all, Host included
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(count - 1))
        return b"GET /hello HTTP/1.1\r\n" + host + extra + b"\r\n"

    cases = [
        ("body Content-Length = max_body", 200, lambda: exchange(port, cl_head(mb), body=b"x" * mb), mb),
        ("body Content-Length = max_body + 1", 413, lambda: exchange(port, cl_head(mb + 1)), None),
        ("body chunked total = max_body", 200, lambda: exchange(port, te_head, body_chunks=chunked(mb)), mb),
        ("body chunked total = max_body + 1", 413, lambda: exchange(port, te_head, body_chunks=chunked(mb + 1)), None),
        ("Expect: 100-continue, CL = max_body", 200,
         lambda: exchange(port, cl_head(mb, b"Expect: 100-continue\r\n"), body=b"x" * mb, expect_continue=True), mb),
        ("Expect: 100-continue, CL = max_body + 1", 413,
         lambda: exchange(port, cl_head(mb + 1, b"Expect: 100-continue\r\n"), expect_continue=True), None),
        ("request line = max", 200, lambda: exchange(port, get_with_line(a.max_line)), None),
        ("request line = max + 1", 414, lambda: exchange(port, get_with_line(a.max_line + 1)), None),
        ("header line = max", 200, lambda: exchange(port, get_with_header_line(a.max_header_line)), None),
        ("header line = max + 1", 431, lambda: exchange(port, get_with_header_line(a.max_header_line + 1)), None),
        ("header bytes = max", 200, lambda: exchange(port, get_with_header_bytes(a.max_header_bytes)), None),
        ("header bytes = max + 1", 431, lambda: exchange(port, get_with_header_bytes(a.max_header_bytes + 1)), None),
        ("header count = max", 200, lambda: exchange(port, get_with_headers(a.max_headers)), None),
        ("header count = max + 1", 431, lambda: exchange(port, get_with_headers(a.max_headers + 1)), None),
    ]
    results, failed = [], 0
    for name, want, run, want_len in cases:
        t0 = time.monotonic()
        try:
            r = run()
        except OSError as e:
            r = None
            err = str(e)
        else:
            err = ""
        dt = time.monotonic() - t0
        got = r[0] if r else None
        ok = got == want
        note = ""
        if r and want >= 400:
            ctype = r[1].get("content-type", "")
            try:
                js = json.loads(r[2])
                ok = ok and "application/json" in ctype and js.get("status") == want
                note = "json %s" % json.dumps(js)
            except ValueError:
                ok = False
                note = "body not JSON: %r" % r[2][:80]
            if r[1].get("connection", "").lower() != "close":
                note += " (no Connection: close)"
                ok = False
        elif r and want_len is not None:
            try:
                got_len = json.loads(r[2]).get("len")
            except ValueError:
                got_len = None
            ok = ok and got_len == want_len
            note = "app saw %s bytes" % got_len
        if err:
            note += " error: " + err
        failed += 0 if ok else 1
        results.append({"case": name, "want": want, "got": got, "ok": ok, "s": round(dt, 3)})
        print("%-4s %-42s want %3d got %-4s %6.3f s  %s" % ("ok" if ok else "FAIL", name, want, got, dt, note[:110]),
              flush=True)
    print(json.dumps({"cases": len(cases), "failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
