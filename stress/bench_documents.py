#!/usr/bin/env python3
"""Helpers of bench_documents.sh: bulk-load generated documents into a henv file, time
HTTP inserts, time searches. Loopback only. Prints one JSON object per figure."""
import hashlib
import http.client
import json
import random
import sqlite3
import statistics
import sys
import threading
import time

random.seed(7)
VOCAB = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(3, 9))) for _ in range(5000)]
WEIGHTS = [1.0 / (i + 1) for i in range(len(VOCAB))]  # Zipf-like


def words(n):
    return random.choices(VOCAB, WEIGHTS, k=n)


def bulk(db, count):
    """Inserts `count` markdown documents (as the owner would: path, title, search text)."""
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    rows = []
    t0 = time.time()
    for i in range(count):
        title = " ".join(words(4))
        body = " ".join(words(60))
        content = f"# {title}\n{body}\n".encode()
        path = f"{'pub' if i % 2 else 'priv'}/{i // 1000}/doc{i}"
        rows.append(("text/markdown", "{}", path, content, hashlib.sha256(content).hexdigest(), len(content), title, f"{body}\n", 1 + (i % 2)))
        if len(rows) == 5000:
            conn.executemany("INSERT INTO nodes (type, body, path, data, hash, size, title, search_text, owner_id) VALUES (?,?,?,?,?,?,?,?,?)", rows)
            conn.commit()
            rows.clear()
    if rows:
        conn.executemany("INSERT INTO nodes (type, body, path, data, hash, size, title, search_text, owner_id) VALUES (?,?,?,?,?,?,?,?,?)", rows)
        conn.commit()
    conn.execute("INSERT INTO nodes_fts(nodes_fts) VALUES ('optimize')")
    conn.commit()
    print(json.dumps({"figure": "bulk_load", "documents": count, "seconds": round(time.time() - t0, 1)}))


def inserts(port, token, count, threads, seconds):
    """PUTs documents over HTTP keep-alive from `threads` clients, up to `count` or `seconds`."""
    done = [0] * threads
    errors = [0]
    deadline = time.time() + seconds

    def run(t):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        while done[t] < count // threads and time.time() < deadline:
            body = ("# " + " ".join(words(4)) + "\n" + " ".join(words(60))).encode()
            c.request("PUT", f"/_api/documents/bench/t{t}/d{i}", body=body,
                      headers={"Host": "localhost", "Authorization": f"Bearer {token}", "Content-Type": "text/markdown"})
            r = c.getresponse()
            r.read()
            if r.status not in (200, 201):
                errors[0] += 1
            done[t] += 1
            i += 1

    t0 = time.time()
    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.time() - t0
    n = sum(done)
    print(json.dumps({"figure": "http_insert", "documents": n, "clients": threads, "seconds": round(dt, 2), "per_second": round(n / dt, 1), "errors": errors[0]}))
    return errors[0]


def searches(port, token, count, seconds, label):
    """Sequential searches over one keep-alive connection; latency percentiles in ms."""
    common = VOCAB[:50]
    mid = VOCAB[200:1200]
    rare = VOCAB[3000:]
    kinds = [
        lambda: random.choice(common),
        lambda: random.choice(mid),
        lambda: random.choice(rare),
        lambda: random.choice(mid)[:3] + "*",
        lambda: '"' + random.choice(common) + " " + random.choice(common) + '"',
        lambda: random.choice(mid) + " " + random.choice(common),
    ]
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat = []
    totals = []
    errors = 0
    deadline = time.time() + seconds
    from urllib.parse import quote
    while len(lat) < count and time.time() < deadline:
        q = random.choice(kinds)()
        t0 = time.perf_counter()
        c.request("GET", "/_api/documents/search?limit=20&q=" + quote(q),
                  headers={"Host": "localhost", "Authorization": f"Bearer {token}"})
        r = c.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            if errors == 0:
                print(f"first error: {r.status} {body[:300]!r} for q={q!r}", file=sys.stderr)
            errors += 1
        else:
            totals.append(json.loads(body)["total"])
    lat.sort()
    pct = lambda p: round(lat[min(len(lat) - 1, int(len(lat) * p))], 2)
    print(json.dumps({"figure": f"search_{label}", "queries": len(lat), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                      "max_ms": round(lat[-1], 2), "mean_total_hits": round(statistics.mean(totals or [0]), 1), "errors": errors}))
    return errors


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "bulk":
        bulk(sys.argv[2], int(sys.argv[3]))
    elif cmd == "inserts":
        sys.exit(1 if inserts(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])) else 0)
    elif cmd == "search":
        sys.exit(1 if searches(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]) else 0)
