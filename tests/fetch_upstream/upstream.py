"""Local upstream for the fetch() integration tests and the fetch benchmark.

Usage: upstream.py [CERT KEY]  -> prints the port it listens on (loopback, ephemeral), then
serves until killed. With CERT and KEY it speaks HTTPS.
"""
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        p = url.path
        if p == "/hello":
            return self.send_body(200, b"hello")
        if p == "/echo":
            out = {
                "method": self.command,
                "path": self.path,
                "body": body.decode("utf-8", "replace"),
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
            return self.send_body(200, json.dumps(out).encode(), "application/json")
        if p == "/status":
            return self.send_body(int(q.get("code", "200")), b"status")
        if p == "/redirect":
            code = int(q.get("code", "302"))
            self.send_response(code)
            self.send_header("Location", q.get("to", "/hello"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if p == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if p == "/slow":
            time.sleep(int(q.get("ms", "2000")) / 1000.0)
            return self.send_body(200, b"slow")
        if p == "/big":
            return self.send_body(200, b"x" * int(q.get("n", "1000")))
        if p == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Set-Cookie", "a=1")
            self.send_header("Set-Cookie", "b=2")
            self.end_headers()
            for i in range(int(q.get("n", "5"))):
                data = ("chunk%d;" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(int(q.get("gap", "20")) / 1000.0)
            self.wfile.write(b"0\r\n\r\n")
            return
        return self.send_body(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    # Exit when the test process goes away (its end of our stdin closes).
    import os
    import threading
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
