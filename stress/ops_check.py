#!/usr/bin/env python3
"""Write load and checks for the operations scripts (litestream.sh, two_nodes.sh).

  ops_check.py write ADDR ACKED_FILE TAG COUNT HOST...   POST /tx and /_api/tables/items to
        ADDR with Host HOST (round robin); appends "host kind key" for every 201 received.
  ops_check.py check DIR ACKED_FILE       every acknowledged write present in DIR's henv files,
        no transaction half-applied, integrity_check and the nodes_fts integrity-check pass.
  ops_check.py compare DIR_A DIR_B        every henv file of DIR_A has the same rows (ledger,
        items, nodes) in DIR_B, and the registries list the same henvs.
  ops_check.py count FILE TABLE           rows of TABLE in a SQLite file.
  ops_check.py check-nodes ACKED_FILE DIR...   as check, with the henvs spread over several
        storage directories: each acknowledged henv's file must be in exactly one of them.

Exit 0 when the check holds, 1 otherwise (with the problems on stderr). Loopback only.
"""
import hashlib
import http.client
import json
import os
import sqlite3
import sys

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def henv_hash(host):
    """hbf hash HOST: the 8 least-significant base-36 digits of SHA-256(host)."""
    n = int.from_bytes(hashlib.sha256(host.encode()).digest(), "big")
    out = ""
    for _ in range(8):
        n, d = divmod(n, 36)
        out = ALPHABET[d] + out
    return out


def request(addr, method, host, path, body=None):
    """Status of one request to ADDR with Host HOST (0 when no response arrived)."""
    h, p = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(h, int(p), timeout=10)
    try:
        headers = {"Host": host}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, data, headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except OSError:
        return 0
    finally:
        conn.close()


def write(addr, acked_file, tag, count, hosts):
    # server.js creates the tables when it first loads; the data API alone does not load it.
    for host in set(hosts):
        request(addr, "GET", host, "/count")
    ok = 0
    with open(acked_file, "a") as out:
        for i in range(int(count)):
            host = hosts[i % len(hosts)]
            key = f"{tag}-{i}"
            if i % 3 == 2:
                status = request(addr, "POST", host, "/_api/tables/items", {"k": key, "v": f"value {i}"})
                kind = "item"
            else:
                status = request(addr, "POST", host, "/tx", {"tx": key, "amount": i, "pad": "p" * (i % 500)})
                kind = "tx"
            if status == 201:
                out.write(f"{host} {kind} {key}\n")
                out.flush()
                ok += 1
    print(f"write: {ok}/{count} acknowledged")
    return 0


def check_nodes(acked_file, dirs):
    problems = []
    hosts = sorted({line.split()[0] for line in open(acked_file)})
    by_dir = {}
    for host in hosts:
        where = [d for d in dirs if os.path.exists(os.path.join(d, henv_hash(host) + ".db"))]
        if len(where) != 1:
            problems.append(f"{host}: file on {len(where)} nodes {where}")
        else:
            by_dir.setdefault(where[0], []).append(host)
    for d, hs in by_dir.items():
        sub = os.path.join(d, ".acked-check")
        with open(acked_file) as f, open(sub, "w") as out:
            out.writelines(line for line in f if line.split()[0] in hs)
        if check(d, sub) != 0:
            problems.append(f"{d}: check failed")
        os.remove(sub)
    report(problems, f"check-nodes: {len(hosts)} henvs, each on exactly one of {len(dirs)} nodes")
    return 1 if problems else 0


def check(directory, acked_file):
    problems = []
    acked = {}
    with open(acked_file) as f:
        for line in f:
            host, kind, key = line.split()
            acked.setdefault(host, []).append((kind, key))
    for host, writes in sorted(acked.items()):
        path = os.path.join(directory, henv_hash(host) + ".db")
        if not os.path.exists(path):
            problems.append(f"{host}: {path} missing")
            continue
        db = sqlite3.connect(path)
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"{host}: integrity_check: {integrity}")
        try:
            db.execute("INSERT INTO nodes_fts(nodes_fts) VALUES ('integrity-check')")
        except sqlite3.Error as e:
            problems.append(f"{host}: nodes_fts integrity-check: {e}")
        half = db.execute(
            "SELECT tx FROM ledger GROUP BY tx HAVING COUNT(*) != 2 "
            "UNION SELECT l.tx FROM ledger l LEFT JOIN nodes n ON n.type = 'entry' AND "
            "json_extract(n.body, '$.name') = l.tx WHERE n.id IS NULL").fetchall()
        if half:
            problems.append(f"{host}: half-applied: {half[:5]}")
        for kind, key in writes:
            sql = ("SELECT COUNT(*) FROM ledger WHERE tx = ?" if kind == "tx"
                   else "SELECT COUNT(*) FROM items WHERE k = ?")
            if db.execute(sql, (key,)).fetchone()[0] == 0:
                problems.append(f"{host}: acknowledged {kind} {key} missing")
        db.close()
    total = sum(len(w) for w in acked.values())
    report(problems, f"check: {total} acknowledged writes over {len(acked)} henvs present in {directory}")
    return 1 if problems else 0


def dump(path):
    db = sqlite3.connect(path)
    rows = []
    for sql in ("SELECT 'ledger', tx, side, amount FROM ledger ORDER BY tx, side",
                "SELECT 'items', k, v, '' FROM items ORDER BY k",
                "SELECT 'nodes', type, body, '' FROM nodes ORDER BY id"):
        try:
            rows.extend(db.execute(sql).fetchall())
        except sqlite3.OperationalError:
            pass  # a henv without the ledger app
    db.close()
    return rows


def compare(a, b):
    problems = []
    files = sorted(f for f in os.listdir(a) if f.endswith(".db") and not f.startswith("_"))
    rows = 0
    for name in files:
        pb = os.path.join(b, name)
        if not os.path.exists(pb):
            problems.append(f"{name}: missing in {b}")
            continue
        da, db_ = dump(os.path.join(a, name)), dump(pb)
        rows += len(da)
        if da != db_:
            problems.append(f"{name}: {len(da)} rows in {a}, {len(db_)} in {b}, first difference "
                            f"{next((x for x in zip(da, db_) if x[0] != x[1]), 'in length')}")
    reg = lambda d: sorted(sqlite3.connect(os.path.join(d, "_registry.db")).execute(
        "SELECT hostname, hash FROM henvs").fetchall())
    if reg(a) != reg(b):
        problems.append(f"registries differ: {reg(a)} vs {reg(b)}")
    report(problems, f"compare: {len(files)} henvs, {rows} rows identical in {a} and {b}")
    return 1 if problems else 0


def count(path, table):
    print(sqlite3.connect(path).execute(f"SELECT COUNT(*) FROM \"{table}\"").fetchone()[0])
    return 0


def report(problems, ok_line):
    if problems:
        for p in problems[:50]:
            print("  " + p, file=sys.stderr)
        print(f"{len(problems)} problem(s)", file=sys.stderr)
    else:
        print(ok_line)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "write" and len(args) >= 5:
        return write(args[0], args[1], args[2], args[3], args[4:])
    if cmd == "check" and len(args) == 2:
        return check(*args)
    if cmd == "compare" and len(args) == 2:
        return compare(*args)
    if cmd == "check-nodes" and len(args) >= 2:
        return check_nodes(args[0], args[1:])
    if cmd == "count" and len(args) == 2:
        return count(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
