#!/usr/bin/env python3
"""Start-up time of HBF: process start to the first answered app request, one henv.

Imports a one-route Express app into a fresh storage directory, then RUNS times: starts
`hbf serve --port 0`, reads the port from its JSON "listening" line, sends `GET /` for the
henv (Host: localhost) and waits for the 200; the time from spawning the process to the end of
that response is one sample (it includes opening the henv's SQLite file and compiling its
server.js on a worker). Prints every sample, the median, min and max, the server's CPU time
until the response (robust on a busy machine), and PASS when the median is under BOUND_MS.
Loopback only; the server is killed after each sample.

Usage: stress/startup.py [--bin target/release/hbf] [--runs 15] [--bound-ms 50]
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

APP = """const express = require('express');
const app = express();
app.get('/', (req, res) => res.send('ok'));
module.exports = app;
"""


def one_run(binary, storage):
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--storage_dir", storage, "--log_level", "info",
         "--access_log", "false"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        deadline = time.monotonic() + 20
        while port is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("hbf exited before listening")
            if time.monotonic() > deadline:
                raise RuntimeError("no listening line within 20 s")
            if '"listening"' in line:
                port = int(json.loads(line)["addr"].rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": "localhost"})
        resp = conn.getresponse()
        body = resp.read()
        t1 = time.perf_counter()
        if resp.status != 200 or body != b"ok":
            raise RuntimeError(f"unexpected answer {resp.status} {body[:80]!r}")
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu_ms = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        return (t1 - t0) * 1000, cpu_ms
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/hbf")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--bound-ms", type=float, default=50.0)
    args = ap.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f"startup.py: {args.bin} not found (cargo build --release --bin hbf)", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="hbf-startup.")
    try:
        src = os.path.join(work, "app")
        os.makedirs(src)
        with open(os.path.join(src, "server.js"), "w") as f:
            f.write(APP)
        storage = os.path.join(work, "henvs")
        subprocess.run([args.bin, "import", src, "--host", "localhost", "--storage_dir", storage],
                       check=True, stdout=subprocess.DEVNULL)
        one_run(args.bin, storage)  # warm the page cache; not counted
        runs = [one_run(args.bin, storage) for _ in range(args.runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    samples = [wall for wall, _ in runs]
    cpu = [c for _, c in runs]
    med = statistics.median(samples)
    print("samples (ms):", " ".join(f"{s:.1f}" for s in samples))
    print(f"start to first app response: median {med:.1f} ms, min {min(samples):.1f} ms, "
          f"max {max(samples):.1f} ms ({args.runs} runs, {args.bin}, "
          f"{os.path.getsize(args.bin)} bytes)")
    # CPU the server used until then (user + system, all threads; 10 ms ticks): what a busy
    # machine cannot inflate the way it inflates wall time.
    print(f"server CPU until the first response: median {statistics.median(cpu):.0f} ms")
    print(f"machine: nproc={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    ok = med < args.bound_ms
    print(("PASS" if ok else "FAIL") + f": median under {args.bound_ms:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
