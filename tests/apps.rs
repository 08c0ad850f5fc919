//! Henv apps end to end: server.js stored in a real SQLite henv, run by QuickJS on the worker
//! pool, spoken to over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::apps::{hbf_import, put_file, start_app_server, AppServer};
use common::{Client, TempDir};
use hbf::{henv, Config};

type App = AppServer;

fn start_app(server_js: &str, tweak: impl FnOnce(&mut Config)) -> App {
    let dir = TempDir::new("app");
    put_file(dir.path(), "server.js", server_js.as_bytes());
    start_app_server(dir, false, tweak)
}

fn starter() -> App {
    let dir = TempDir::new("starter");
    let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
    henv::install_starter(&conn).unwrap();
    drop(conn);
    start_app_server(dir, false, |_| {})
}

#[test]
fn starter_app_serves_pages_and_notes_crud() {
    let app = starter();
    let r = app.get("/hello?name=tester");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "Hello from HBF, tester!")
    );
    let page = app.get("/");
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains("<h1>It works.</h1>"));
    let etag = page.header("etag").unwrap().to_owned();
    let again = app.request("GET", "/", &[("If-None-Match", &etag)], b"");
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let css = app.request("GET", "/style.css", &[("Range", "bytes=0-4")], b"");
    assert_eq!(css.status, 206);
    assert_eq!(css.body, b":root");
    let head = app.request("HEAD", "/style.css", &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    let created = app.post_json("/api/notes", r#"{"title":"first","body":"hello"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.post_json("/api/notes", r#"{"body":"no title"}"#).status,
        400
    );
    let list = app.get("/api/notes").json();
    assert_eq!(list[0]["title"], "first");
    let put = app.request(
        "PUT",
        &format!("/api/notes/{id}"),
        &[("Content-Type", "application/json")],
        br#"{"title":"renamed"}"#,
    );
    assert_eq!(put.json()["title"], "renamed");
    assert_eq!(
        app.request("DELETE", &format!("/api/notes/{id}"), &[], b"")
            .status,
        204
    );
    assert_eq!(app.get(&format!("/api/notes/{id}")).status, 404);
    let bad = app.request(
        "POST",
        "/api/notes",
        &[("Content-Type", "application/json")],
        b"{not json",
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn security_headers_are_on_by_default_and_there_is_no_x_powered_by() {
    let app = starter();
    let r = app.get("/hello");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.has_header("referrer-policy"));
    assert_eq!(r.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(!r.has_header("x-powered-by"));
}

#[test]
fn cors_is_configured_per_henv() {
    let app = starter();
    let (conn, _) = henv::open_henv(app.dir.path(), "localhost").unwrap();
    conn.execute(
        "INSERT INTO _hbf_config (key, value) VALUES ('cors', ?1)",
        [r#"{"origins":["https://ui.example"],"credentials":true}"#],
    )
    .unwrap();
    drop(conn);
    let pre = app.request(
        "OPTIONS",
        "/api/notes",
        &[
            ("Origin", "https://ui.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_eq!(pre.status, 204);
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://ui.example")
    );
    assert_eq!(pre.header("access-control-allow-credentials"), Some("true"));
    let r = app.request("GET", "/hello", &[("Origin", "https://ui.example")], b"");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://ui.example")
    );
    let r = app.request("GET", "/hello", &[("Origin", "https://evil.example")], b"");
    assert!(!r.has_header("access-control-allow-origin"));
}

#[test]
fn infinite_loop_gets_504_and_the_worker_recovers() {
    let app = start_app(
        r#"const app = require('express')();
           app.get('/spin', () => { while (true) {} });
           app.get('/ok', (req, res) => res.send('ok'));
           module.exports = app;"#,
        |c| {
            c.qjs_timeout_ms = 300;
            c.workers = 1;
        },
    );
    let started = Instant::now();
    assert_eq!(app.get("/spin").status, 504);
    assert!(started.elapsed() < Duration::from_secs(5));
    // The same (only) worker serves the next request with a rebuilt runtime.
    for _ in 0..3 {
        let r = app.get("/ok");
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    }
}

#[test]
fn allocation_bomb_gets_500_and_the_worker_recovers() {
    let app = start_app(
        r#"const app = require('express')();
           app.get('/bomb', (req, res) => { const a = []; while (true) a.push('x'.repeat(1 << 16) + a.length); });
           app.get('/ok', (req, res) => res.send('ok'));
           module.exports = app;"#,
        |c| {
            c.qjs_mem_mb = 16;
            c.workers = 1;
        },
    );
    let r = app.get("/bomb");
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(app.get("/ok").text(), "ok");
}

#[test]
fn exceptions_are_500_json_with_details_only_in_dev() {
    let src = r#"const app = require('express')();
        app.get('/boom', () => { throw new Error('kaput'); });
        module.exports = app;"#;
    let prod = start_app(src, |_| {});
    let r = prod.get("/boom");
    assert_eq!(r.status, 500);
    assert!(
        !r.text().contains("kaput") || !r.text().contains("at "),
        "no stack in production: {}",
        r.text()
    );
    // A broken server.js (load-time exception) is a JSON 500 from HBF itself.
    let broken = start_app("throw new Error('cannot start');", |c| c.dev = true);
    let r = broken.get("/");
    assert_eq!(r.status, 500);
    let body = r.json();
    assert_eq!(body["status"], 500);
    assert!(
        body["detail"].as_str().unwrap().contains("cannot start"),
        "{body}"
    );
    assert!(
        body["stack"].as_str().unwrap().contains("server.js:1"),
        "{body}"
    );
}

#[test]
fn pending_promises_and_timers() {
    let app = start_app(
        r#"const app = require('express')();
           app.get('/later', async (req, res) => { await new Promise(r => setTimeout(r, 30)); res.json({ later: true }); });
           app.get('/never', () => new Promise(() => {}));
           app.get('/too-late', (req, res) => { setTimeout(() => res.send('late'), 10000); });
           module.exports = app;"#,
        |c| c.qjs_timeout_ms = 1500,
    );
    let first = app.get("/later");
    assert_eq!(first.json()["later"], true, "{}", first.text());
    assert_eq!(app.get("/never").status, 500);
    assert_eq!(app.get("/too-late").status, 504);
    assert_eq!(app.get("/later").status, 200);
}

#[test]
fn req_http_version_and_socket_as_node_has_them() {
    let app = start_app(
        r#"const app = require('express')();
           app.get('/v', (req, res) => {
             const same = req.connection === req.socket;
             const info = { v: req.httpVersion, major: req.httpVersionMajor, minor: req.httpVersionMinor,
               addr: req.socket.remoteAddress, encrypted: req.socket.encrypted, same,
               hasDestroy: typeof req.socket.destroy === 'function' };
             req.socket = { remoteAddress: 'replaced' };
             info.replaced = req.socket.remoteAddress;
             res.json(info);
           });
           module.exports = app;"#,
        |_| {},
    );
    let v = app.get("/v").json();
    assert_eq!(v["v"], "1.1");
    assert_eq!(
        (v["major"].as_i64(), v["minor"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["addr"], "127.0.0.1");
    assert_eq!(v["encrypted"], false);
    assert_eq!(v["same"], true);
    assert_eq!(v["hasDestroy"], true);
    assert_eq!(v["replaced"], "replaced");
    let mut c = app.client();
    let r = c.request(b"GET /v HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let v = r.json();
    assert_eq!(v["v"], "1.0");
    assert_eq!(
        (v["major"].as_i64(), v["minor"].as_i64()),
        (Some(1), Some(0))
    );
}

#[test]
fn res_locals_is_one_object_per_response_shared_by_sub_apps() {
    let app = start_app(
        r#"const express = require('express');
           const app = express();
           const sub = express();
           app.use((req, res, next) => { res.locals.user = 'ann'; next(); });
           sub.get('/l', (req, res) => res.json({ user: res.locals.user, extra: (res.locals.extra = 1),
             proto: Object.getPrototypeOf(res.locals) === null, keys: Object.keys(res.locals) }));
           app.use('/sub', sub);
           app.get('/fresh', (req, res) => res.json({ keys: Object.keys(res.locals) }));
           module.exports = app;"#,
        |_| {},
    );
    let v = app.get("/sub/l").json();
    assert_eq!(v["user"], "ann");
    assert_eq!(v["proto"], true);
    assert_eq!(v["keys"], serde_json::json!(["user", "extra"]));
    // A new response starts with fresh locals (`extra` from the previous request is gone).
    assert_eq!(
        app.get("/fresh").json()["keys"],
        serde_json::json!(["user"])
    );
}

#[test]
fn hot_reload_runs_new_code_without_restart() {
    let app = start_app(
        "const app = require('express')(); app.get('/v', (q, s) => s.send('one')); module.exports = app;",
        |_| {},
    );
    assert_eq!(app.get("/v").text(), "one");
    app.put("server.js", b"const app = require('express')(); app.get('/v', (q, s) => s.send('two')); module.exports = app;");
    for _ in 0..4 {
        assert_eq!(app.get("/v").text(), "two");
    }
}

#[test]
fn hot_reload_sees_server_js_imported_by_another_process() {
    let app = start_app(
        "const app = require('express')(); app.get('/v', (q, s) => s.send('one')); module.exports = app;",
        |_| {},
    );
    assert_eq!(app.get("/v").text(), "one");
    // `hbf import` run against the live server: a write this process's connections did not
    // make, so it is found by the periodic `PRAGMA data_version` check (every 100 ms).
    let src = TempDir::new("reload-src");
    std::fs::write(
        src.path().join("server.js"),
        "const app = require('express')(); app.get('/v', (q, s) => s.send('two')); module.exports = app;",
    )
    .unwrap();
    hbf_import(src.path(), app.dir.path());
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut seen = app.get("/v").text();
    while seen != "two" && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
        seen = app.get("/v").text();
    }
    assert_eq!(seen, "two", "the imported server.js never ran");
    // Both workers run it once each has passed its next outside-writes check (every 100 ms):
    // until then the worker that did not answer above may still serve the old version.
    std::thread::sleep(std::time::Duration::from_millis(300));
    for _ in 0..6 {
        assert_eq!(app.get("/v").text(), "two");
    }
}

#[test]
fn module_state_persists_per_worker_unless_isolation_is_request() {
    let src = "let n = 0; const app = require('express')(); app.get('/n', (q, s) => s.json(++n)); module.exports = app;";
    let app = start_app(src, |c| c.workers = 1);
    let counts: Vec<i64> = (0..3)
        .map(|_| app.get("/n").json().as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 2, 3]);
    let (conn, _) = henv::open_henv(app.dir.path(), "localhost").unwrap();
    conn.execute(
        "UPDATE _hbf_config SET value = '\"request\"' WHERE key = 'isolation'",
        [],
    )
    .unwrap();
    drop(conn);
    let counts: Vec<i64> = (0..3)
        .map(|_| app.get("/n").json().as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 1, 1]);
}

#[test]
fn hbf_db_round_trips_types() {
    let app = start_app(
        r#"const db = require('hbf:db');
           db.execute('CREATE TABLE IF NOT EXISTS t (i INTEGER, big INTEGER, r REAL, s TEXT, b BLOB, n)');
           db.execute("INSERT OR IGNORE INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete) VALUES ('anon', 't', 1, 1, 1, 1)");
           const app = require('express')();
           app.use(require('express').json());
           app.get('/types', (req, res) => {
             db.execute('DELETE FROM t');
             db.execute('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)',
               [42, 9007199254740993n, 1.5, 'héllo ✓', new Uint8Array([0, 1, 254, 255]), null]);
             const row = db.get('SELECT * FROM t');
             res.json({
               i: row.i, bigType: typeof row.big, big: String(row.big), r: row.r, s: row.s,
               bIsBytes: row.b instanceof Uint8Array, b: Array.from(row.b), n: row.n,
               named: db.get('SELECT :x + $y AS v', { x: 1, y: 2 }).v,
               missing: db.get('SELECT 1 FROM t WHERE i = ?', [0]),
             });
           });
           app.get('/sql-error', (req, res) => {
             try { db.query('SELECT * FROM nope'); } catch (e) { return res.json({ message: e.message }); }
           });
           app.get('/tx', (req, res) => {
             try { db.transaction(() => { db.execute('INSERT INTO t (i) VALUES (7)'); throw new Error('undo'); }); } catch (e) {}
             res.json(db.get('SELECT COUNT(*) AS c FROM t WHERE i = 7'));
           });
           module.exports = app;"#,
        |_| {},
    );
    let v = app.get("/types").json();
    assert_eq!(v["i"], 42);
    assert_eq!(v["bigType"], "bigint");
    assert_eq!(v["big"], "9007199254740993");
    assert_eq!(v["r"], 1.5);
    assert_eq!(v["s"], "héllo ✓");
    assert_eq!(v["bIsBytes"], true);
    assert_eq!(v["b"], serde_json::json!([0, 1, 254, 255]));
    assert_eq!(v["n"], serde_json::Value::Null);
    assert_eq!(v["named"], 3);
    assert_eq!(v["missing"], serde_json::Value::Null);
    let e = app.get("/sql-error").json();
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("no such table")),
        "{e}"
    );
    assert_eq!(app.get("/tx").json()["c"], 0);
}

#[test]
fn concurrent_writers_do_not_surface_busy_errors() {
    let app = start_app(
        r#"const db = require('hbf:db');
           db.execute('CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, who TEXT)');
           db.execute("INSERT OR IGNORE INTO _hbf_table_permissions (role, table_name, can_select, can_insert) VALUES ('anon', 'hits', 1, 1)");
           const app = require('express')();
           app.post('/hit', (req, res) => { db.execute('INSERT INTO hits (who) VALUES (?)', [req.query.w]); res.sendStatus(201); });
           app.get('/count', (req, res) => res.json(db.get('SELECT COUNT(*) AS c FROM hits').c));
           module.exports = app;"#,
        |c| c.workers = 4,
    );
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let addr = app.addr;
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                for i in 0..50 {
                    let raw = format!("POST /hit?w={t}-{i} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
                    assert_eq!(c.request(raw.as_bytes()).status, 201);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(app.get("/count").json(), 400);
}

#[test]
fn henv_without_server_js_serves_its_files() {
    let dir = TempDir::new("static");
    put_file(dir.path(), "www/index.html", b"<p>static</p>");
    let app = start_app_server(dir, false, |c| {
        c.workers = 1;
        c.qjs_mem_mb = 32;
    });
    assert_eq!(app.get("/").text(), "<p>static</p>");
    assert_eq!(app.get("/missing.txt").status, 404);
    assert_eq!(app.request("POST", "/", &[], b"").status, 405);
}

#[test]
fn cli_import_export_round_trip_is_byte_exact() {
    let src = TempDir::new("src");
    std::fs::create_dir_all(src.path().join("www/img")).unwrap();
    std::fs::write(
        src.path().join("server.js"),
        "module.exports = require('express')();\n",
    )
    .unwrap();
    let blob: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    std::fs::write(src.path().join("www/img/data.bin"), &blob).unwrap();
    let storage = TempDir::new("store");
    let out = TempDir::new("out");
    let hbf = env!("CARGO_BIN_EXE_hbf");
    let st = storage.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(hbf).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&[
        "import",
        src.path().to_str().unwrap(),
        "--host",
        "myapp",
        "--storage_dir",
        st,
    ]);
    assert!(storage.path().join("5h9h66rt.db").exists());
    run(&[
        "export",
        out.path().to_str().unwrap(),
        "--host",
        "myapp",
        "--storage_dir",
        st,
    ]);
    assert_eq!(
        std::fs::read(out.path().join("www/img/data.bin")).unwrap(),
        blob
    );
    assert_eq!(
        std::fs::read(out.path().join("server.js")).unwrap(),
        std::fs::read(src.path().join("server.js")).unwrap()
    );
    let rows = run(&[
        "sql",
        "SELECT path, size FROM _hbf_files ORDER BY path",
        "--host",
        "myapp",
        "--storage_dir",
        st,
    ]);
    assert!(
        rows.contains(r#"{"path":"www/img/data.bin","size":70000}"#),
        "{rows}"
    );
    assert_eq!(run(&["hash", "example.com"]).trim(), "a12bws3r");
}
