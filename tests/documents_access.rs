//! Documents end to end, continued: a `user` sees only permitted documents (and counts),
//! `hbf:documents` in JS acts as the request's user, default serving by path, the OpenAPI
//! document against the routes the server answers, the FTS index after a concurrent write
//! storm, and the `hbf docs` CLI.

mod common;

use common::docs::{as_owner, henv_conn, ids, login, start};
use common::TempDir;
use hbf::docs::Preconditions;
use serde_json::{json, Value};

#[test]
fn a_user_sees_only_permitted_documents_and_counts() {
    let a = start(None, |conn| {
        conn.execute_batch(
            "INSERT INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete) VALUES
               ('user', 'nodes', 1, 1, 1, 1), ('user', 'tags', 1, 1, 0, 1);
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES
               ('nodes', 'read', 'user', 'SELECT', 'owner_id = hbf_user_id() OR path LIKE ''public/%'''),
               ('nodes', 'ins', 'user', 'INSERT', 'owner_id = hbf_user_id()'),
               ('nodes', 'upd', 'user', 'UPDATE', 'owner_id = hbf_user_id()'),
               ('nodes', 'del', 'user', 'DELETE', 'owner_id = hbf_user_id()');",
        )
        .unwrap();
    });
    for (id, body) in [
        ("public/a", "zebra public"),
        ("secret/b", "zebra secret"),
        ("secret/c", "zebra hidden zebra"),
    ] {
        assert_eq!(a.put(id, "text/plain", body.as_bytes()).status, 201);
    }
    let ulla = login(&a.app, "ulla");
    let u = |method: &str, path: &str, ty: &str, body: &[u8]| {
        a.req(Some(&ulla), method, path, &[("Content-Type", ty)], body)
    };
    let s = u("GET", "/_api/documents/search?q=zebra", "", b"").json();
    assert_eq!(
        (s["total"].as_i64(), ids(&s)),
        (Some(1), vec!["public/a".to_owned()]),
        "{s}"
    );
    assert_eq!(
        u("GET", "/_api/documents/search?q=secret", "", b"").json()["total"],
        0
    );
    assert_eq!(
        u("GET", "/_api/documents/search?q=hidden&limit=5", "", b"").json()["data"],
        json!([])
    );
    assert_eq!(
        ids(&u("GET", "/_api/documents", "", b"").json()),
        ["public/a"]
    );
    u("GET", "/_api/documents/secret/b", "", b"").assert_json_error(404);
    // Her own documents: created with her as owner, visible, searchable; others' not writable.
    assert_eq!(
        u("PUT", "/_api/documents/mine/x", "text/plain", b"zebra mine").status,
        201
    );
    assert_eq!(
        u("GET", "/_api/documents/search?q=zebra", "", b"").json()["total"],
        2
    );
    u("PUT", "/_api/documents/public/a", "text/plain", b"defaced").assert_json_error(403);
    u("DELETE", "/_api/documents/public/a", "", b"").assert_json_error(403);
    u("PUT", "/_api/documents/secret/b", "text/plain", b"x").assert_json_error(403);
    assert_eq!(a.get("/_api/documents/public/a").body, b"zebra public");
    // uwe does not see ulla's document; the index is not open to direct queries.
    let uwe = login(&a.app, "uwe");
    let s = a
        .req(
            Some(&uwe),
            "GET",
            "/_api/documents/search?q=zebra",
            &[],
            b"",
        )
        .json();
    assert_eq!(s["total"], 1);
    let r = a.req(Some(&uwe), "GET", "/_api/tables/nodes_fts", &[], b"");
    assert!(r.status == 403 || r.status == 404, "{}", r.status);
    // Anonymous: no permission on nodes at all.
    a.req(None, "GET", "/_api/documents/search?q=zebra", &[], b"")
        .assert_json_error(403);
    a.req(None, "GET", "/_api/documents", &[], b"")
        .assert_json_error(403);
}

const FALLTHROUGH_JS: &str = r#"
const express = require('express');
const app = express();
app.get('/api/hello', (req, res) => res.json({ hello: true }));
module.exports = app;
"#;

#[test]
fn default_serving_by_path() {
    for js in [None, Some(FALLTHROUGH_JS)] {
        // Served as the caller: anonymous visitors need a grant (here: pages and the rest).
        let a = start(js, |conn| {
            conn.execute(
                "INSERT INTO _hbf_table_permissions (role, table_name, can_select) VALUES ('anon', 'nodes', 1)",
                [],
            )
            .unwrap();
        });
        a.put("pages/about", "text/markdown", b"# About");
        a.put("index", "text/html", b"<h1>Home</h1>");
        a.put("data.json", "application/json", b"{\"a\":1}");
        a.put("tpl", "text/ejs", b"<%= name %> <b>");
        let g = a.app.get("/about");
        assert_eq!(g.status, 200, "{js:?}: {} {:?}", g.text(), g.headers);
        assert_eq!(
            g.header("content-type"),
            Some("text/markdown; charset=utf-8")
        );
        assert_eq!(g.body, b"# About");
        assert_eq!(a.app.get("/").body, b"<h1>Home</h1>");
        assert_eq!(
            a.app.get("/data.json").header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let t = a.app.get("/tpl");
        assert!(
            t.text().contains("&lt;%= name %&gt;"),
            "ejs source escaped until views land"
        );
        assert_eq!(a.app.get("/missing").status, 404);
        if js.is_some() {
            assert_eq!(
                a.app.get("/api/hello").json()["hello"],
                true,
                "app routes first"
            );
        }
        // Off per henv.
        let conn = henv_conn(a.app.dir.path());
        conn.execute(
            "UPDATE _hbf_config SET value = 'false' WHERE key = 'documents_serve'",
            [],
        )
        .unwrap();
        drop(conn);
        assert!(common::wait_until(
            std::time::Duration::from_secs(5),
            || a.app.get("/about").status == 404
        ));
    }
}

#[test]
fn openapi_matches_the_routes_the_server_answers() {
    let a = start(None, |_| {});
    let doc = a.get("/_api/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let mut known: Vec<(String, String)> = hbf::api::routes::ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    documented.sort();
    known.sort();
    assert_eq!(
        documented, known,
        "the OpenAPI document lists exactly the route table"
    );
    // Every documented route is answered (not the dispatcher's 404 or a 405).
    a.put("x", "text/plain", b"x");
    for (method, path) in &documented {
        let concrete = path
            .replace("{table}", "nodes")
            .replace("{key}", "1")
            .replace("{id}", "x")
            .replace("{uid}", "999")
            .replace("{pid}", "999");
        let r = a.req(
            Some(&a.owner),
            method,
            &format!("{concrete}?q=x"),
            &[("Content-Type", "application/json")],
            b"{}",
        );
        assert_ne!(r.status, 405, "{method} {path}");
        if r.status == 404 {
            assert_ne!(r.json()["error"], "no such API endpoint", "{method} {path}");
        }
    }
    // And a route outside the table is not answered.
    for (method, path) in [
        ("GET", "/_api/documentz"),
        ("PUT", "/_api/documents"),
        ("POST", "/_api/documents/x"),
        ("PATCH", "/_api/audit"),
    ] {
        let r = a.req(Some(&a.owner), method, path, &[], b"");
        assert!(
            r.status == 404 || r.status == 405,
            "{method} {path}: {}",
            r.status
        );
    }
}

#[test]
fn fts_index_stays_consistent_under_a_write_storm() {
    let a = start(None, |_| {});
    let dir = a.app.dir.path().to_path_buf();
    let mut threads = Vec::new();
    for t in 0..4 {
        let dir = dir.clone();
        threads.push(std::thread::spawn(move || {
            as_owner(&dir, |docs| {
                for i in 0..60 {
                    let id = format!("storm/{}", i % 15);
                    let body = format!("# Title {t} {i}\nword{t} word{i} common");
                    match i % 4 {
                        3 => {
                            let _ = docs.delete(&id, &Preconditions::default());
                        }
                        2 => {
                            let _ = docs.patch(
                                &id,
                                &json!({"content": format!("patched {t} {i}")}),
                                &Preconditions::default(),
                            );
                        }
                        _ => {
                            docs.put(
                                &id,
                                Some("text/markdown"),
                                body.as_bytes(),
                                Some(&[format!("t/{t}")]),
                                &Preconditions::default(),
                            )
                            .unwrap();
                        }
                    }
                }
            })
        }));
    }
    // HTTP writers at the same time (the server's own worker connections).
    for t in 0..2 {
        let addr = a.app.addr;
        let owner = a.owner.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0..40 {
                let body = format!("http {t} {i} common");
                let raw = format!("PUT /_api/documents/storm/{} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {owner}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}", i % 15, body.len());
                let r = common::Client::connect(addr).request(raw.as_bytes());
                assert!(r.status == 200 || r.status == 201, "{}", r.text());
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let conn = henv_conn(&dir);
    conn.execute(
        "INSERT INTO nodes_fts(nodes_fts) VALUES ('integrity-check')",
        [],
    )
    .unwrap();
    let indexed: i64 = conn
        .query_row(
            "SELECT count(*) FROM nodes_fts WHERE nodes_fts MATCH 'common'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM nodes WHERE search_text LIKE '%common%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexed, stored);
    let total = a.get("/_api/documents/search?q=common&limit=100").json()["total"]
        .as_i64()
        .unwrap();
    assert_eq!(total, stored);
}

const DOCS_JS: &str = r#"
const express = require('express');
const documents = require('hbf:documents');
// Module load runs as the owner.
documents.put('boot/readme', '# Booted\nloaded at start', { type: 'text/markdown', tags: ['sys'] });
const app = express();
app.use(express.json());
const wrap = (fn) => (req, res) => {
  try { res.json({ ok: true, result: fn(req) }); }
  catch (e) { res.status(e.status || 500).json({ ok: false, status: e.status, code: e.code, error: String(e.message) }); }
};
const h = (req) => (req.query.system ? documents.system : documents);
app.post('/put', wrap((req) => h(req).put(req.body.id, req.body.content, req.body.opts)));
app.post('/put-bytes', wrap((req) => h(req).put(req.body.id, new Uint8Array(req.body.bytes), { type: 'image/png' })));
app.get('/get', wrap((req) => {
  const d = h(req).get(req.query.id);
  if (d && d.content instanceof Uint8Array) d.content = Array.from(d.content);
  return d;
}));
app.get('/list', wrap((req) => h(req).list({ prefix: req.query.prefix })));
app.get('/search', wrap((req) => h(req).search(req.query.q)));
app.post('/patch', wrap((req) => h(req).patch(req.body.id, req.body.patch)));
app.post('/link', wrap((req) => h(req).link(req.body.id, req.body.to, req.body.rel, { w: 2 })));
app.get('/graph', wrap((req) => h(req).traverse(req.query.id, { depth: 3 })));
app.get('/neighbours', wrap((req) => h(req).neighbours(req.query.id, { direction: 'both' })));
app.get('/tags', wrap((req) => h(req).tags()));
app.post('/remove', wrap((req) => h(req).remove(req.body.id)));
module.exports = app;
"#;

#[test]
fn hbf_documents_in_js_acts_as_the_user_and_system_as_the_owner() {
    let a = start(Some(DOCS_JS), |conn| {
        conn.execute_batch(
            "INSERT INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete) VALUES
               ('user', 'nodes', 1, 1, 1, 1), ('user', 'tags', 1, 1, 1, 1), ('user', 'edges', 1, 1, 1, 1);
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES
               ('nodes', 'read', 'user', 'SELECT', 'owner_id = hbf_user_id()'),
               ('nodes', 'ins', 'user', 'INSERT', 'owner_id = hbf_user_id()'),
               ('nodes', 'upd', 'user', 'UPDATE', 'owner_id = hbf_user_id()'),
               ('nodes', 'del', 'user', 'DELETE', 'owner_id = hbf_user_id()');",
        )
        .unwrap();
    });
    let ulla = login(&a.app, "ulla");
    let call = |token: Option<&str>, method: &str, path: &str, body: Value| -> Value {
        let r = a.req(
            token,
            method,
            path,
            &[("Content-Type", "application/json")],
            if body.is_null() {
                b"" as &[u8]
            } else {
                Box::leak(body.to_string().into_boxed_str()).as_bytes()
            },
        );
        r.json()
    };
    // As ulla: her own document, binary, search; the owner's is invisible to her.
    let r = call(
        Some(&ulla),
        "POST",
        "/put",
        json!({"id": "u/note", "content": "# Mine\nkiwi fruit", "opts": {"type": "text/markdown"}}),
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["result"]["created"], true);
    // The owner's document from module load (the runtime is built by the first app request).
    assert_eq!(
        a.get("/_api/documents/boot/readme?meta=1").json()["tags"],
        json!(["sys"])
    );
    let r = call(
        Some(&ulla),
        "POST",
        "/put-bytes",
        json!({"id": "u/img", "bytes": [0, 1, 255]}),
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        call(Some(&ulla), "GET", "/get?id=u/img", Value::Null)["result"]["content"],
        json!([0, 1, 255])
    );
    assert_eq!(
        call(Some(&ulla), "GET", "/get?id=u/note", Value::Null)["result"]["content"],
        "# Mine\nkiwi fruit"
    );
    assert_eq!(
        call(Some(&ulla), "GET", "/get?id=boot/readme", Value::Null)["result"],
        Value::Null
    );
    assert_eq!(
        call(Some(&ulla), "GET", "/search?q=kiwi", Value::Null)["result"]["total"],
        1
    );
    assert_eq!(
        call(Some(&ulla), "GET", "/search?q=booted", Value::Null)["result"]["total"],
        0
    );
    assert_eq!(
        call(Some(&ulla), "GET", "/search?q=booted&system=1", Value::Null)["result"]["total"],
        1
    );
    let l = call(Some(&ulla), "GET", "/list", Value::Null);
    assert_eq!(ids(&l["result"]), ["u/img", "u/note"]);
    // Errors carry the API's status.
    let e = call(Some(&ulla), "GET", "/search?q=%22open", Value::Null);
    assert_eq!(
        (e["status"].as_i64(), e["code"].as_str()),
        (Some(400), Some("HBF_DOCS")),
        "{e}"
    );
    let e = call(None, "GET", "/list", Value::Null);
    assert_eq!(e["status"], 403, "anonymous has no grant: {e}");
    // Graph and patch.
    let l = call(
        Some(&ulla),
        "POST",
        "/link",
        json!({"id": "u/note", "to": "u/img", "rel": "shows"}),
    );
    assert_eq!(l["ok"], true, "{l}");
    let g = call(Some(&ulla), "GET", "/graph?id=u/note", Value::Null);
    assert_eq!(g["result"]["nodes"].as_array().unwrap().len(), 2, "{g}");
    assert_eq!(
        call(Some(&ulla), "GET", "/neighbours?id=u/img", Value::Null)["result"][0]["direction"],
        "in"
    );
    let p = call(
        Some(&ulla),
        "POST",
        "/patch",
        json!({"id": "u/note", "patch": {"meta": {"k": 1}, "tags": ["x/y"]}}),
    );
    assert_eq!(p["result"]["version"], 2, "{p}");
    assert_eq!(
        call(Some(&ulla), "GET", "/tags", Value::Null)["result"],
        json!([{"tag": "x/y", "count": 1}])
    );
    assert_eq!(
        call(Some(&ulla), "POST", "/remove", json!({"id": "u/img"}))["ok"],
        true
    );
    // The API sees what JS wrote, and the owner sees everything.
    assert_eq!(
        ids(&a.get("/_api/documents").json()),
        ["boot/readme", "u/note"]
    );
}

#[test]
fn cli_put_get_ls_rm_search() {
    let dir = TempDir::new("docs-cli");
    let storage = dir.path().to_str().unwrap().to_owned();
    let hbf = |args: &[&str], stdin: &[u8]| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hbf"))
            .args(args)
            .args(["--storage_dir", &storage, "--host", "docs.test"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = hbf(
        &[
            "docs",
            "put",
            "notes/ünï",
            "-",
            "--type",
            "text/markdown",
            "--tags",
            "a,b/c",
        ],
        b"# Otter\nriver otters",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hbf(
        &["docs", "put", "bin/x", "--type", "image/png"],
        &[0, 255, 1],
    );
    assert!(out.status.success());
    assert_eq!(hbf(&["docs", "get", "bin/x"], b"").stdout, [0, 255, 1]);
    let meta: Value =
        serde_json::from_slice(&hbf(&["docs", "get", "notes/ünï", "--meta"], b"").stdout).unwrap();
    assert_eq!(
        (meta["title"].as_str(), meta["tags"].clone()),
        (Some("Otter"), json!(["a", "b/c"]))
    );
    let ls = String::from_utf8(hbf(&["docs", "ls", "notes/"], b"").stdout).unwrap();
    assert!(ls.starts_with("notes/ünï\ttext/markdown\t"), "{ls}");
    let hit: Value =
        serde_json::from_slice(&hbf(&["docs", "search", "otter*"], b"").stdout).unwrap();
    assert_eq!(hit["id"], "notes/ünï");
    let bad = hbf(&["docs", "search", "\"open"], b"");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unterminated quote"));
    assert!(hbf(&["docs", "rm", "bin/x"], b"").status.success());
    let gone = hbf(&["docs", "get", "bin/x"], b"");
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no such document"));
    assert!(!hbf(&["docs", "put", "a//b", "-"], b"x").status.success());
}

#[test]
fn first_use_of_the_index_on_a_connection_can_be_a_search() {
    // Documents written by another connection before the server starts: the worker's first
    // FTS5 statement is a read-only search (FTS5 then reads PRAGMA data_version).
    let a = start(None, |conn| {
        conn.execute_batch(
            "INSERT INTO _hbf_table_permissions (role, table_name, can_select) VALUES ('user', 'nodes', 1);
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES
               ('nodes', 'read', 'user', 'SELECT', 'path LIKE ''pub/%''');",
        )
        .unwrap();
    });
    as_owner(a.app.dir.path(), |docs| {
        for id in ["pub/a", "priv/b"] {
            docs.put(
                id,
                Some("text/plain"),
                b"quokka",
                None,
                &Preconditions::default(),
            )
            .unwrap();
        }
    });
    let ulla = login(&a.app, "ulla");
    let r = a.req(
        Some(&ulla),
        "GET",
        "/_api/documents/search?q=quokka",
        &[],
        b"",
    );
    assert_eq!(
        (r.status, r.json()["total"].as_i64()),
        (200, Some(1)),
        "{}",
        r.text()
    );
    let r = a.get("/_api/documents/search?q=quokka");
    assert_eq!(
        (r.status, r.json()["total"].as_i64()),
        (200, Some(2)),
        "{}",
        r.text()
    );
}
