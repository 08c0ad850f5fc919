#!/usr/bin/env python3
"""One keep-alive connection that sends GET PATH every INTERVAL s for DURATION s and prints
"<seconds since start> <status or error>" per request (stress helper, stdlib only).

    keepalive_probe.py PORT PATH INTERVAL DURATION
"""
import socket
import sys
import time


def main():
    port, path, interval, duration = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    req = ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode()
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    buf = b""
    while time.monotonic() - t0 < duration:
        t = time.monotonic() - t0
        try:
            s.sendall(req)
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by server")
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            clen = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    clen = int(v)
            while len(rest) < clen:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by server")
                rest += chunk
            buf = rest[clen:]
            print("%.2f %s" % (t, head.split(b" ")[1].decode()), flush=True)
        except (OSError, ConnectionError) as e:
            print("%.2f error %s" % (t, e), flush=True)
            return 1
        time.sleep(interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
