//! Documents end to end: a real server over a real henv file, real HTTP. CRUD with
//! hierarchical and unicode ids, binary round trips, optimistic concurrency, tags, the
//! graph, full-text search (ranking, snippets, prefix, phrase), access rules for a `user`,
//! bad input, default serving, the OpenAPI document against the routes, and the FTS index
//! after a concurrent write storm.

mod common;

use common::apps::{put_file, start_app_server, AppServer};
use common::{Resp, TempDir};
use hbf::auth;
use hbf::db::authz::{Authz, Principal};
use hbf::docs::{Docs, Limits, Preconditions};
use hbf::henv;
use rusqlite::Connection;
use serde_json::{json, Value};

struct App {
    app: AppServer,
    owner: String,
}

fn henv_conn(dir: &std::path::Path) -> Connection {
    henv::open_henv(dir, "localhost").unwrap().0
}

/// A henv with accounts olivia (owner), ulla and uwe (users); `setup` runs on it first;
/// `server_js` is installed if given.
fn start(server_js: Option<&str>, setup: impl FnOnce(&Connection)) -> App {
    let dir = TempDir::new("docs");
    if let Some(js) = server_js {
        put_file(dir.path(), "server.js", js.as_bytes());
    }
    {
        let conn = henv_conn(dir.path());
        conn.execute(
            "UPDATE _hbf_config SET value = '{\"m_kib\":256,\"t\":1,\"p\":1}' WHERE key = 'auth_argon2'",
            [],
        )
        .unwrap();
        conn.execute(
            "UPDATE _hbf_config SET value = '{\"ip_burst\":100000,\"ip_per_minute\":100000,\"user_burst\":1000,\"user_per_minute\":1000}' WHERE key = 'auth_rate_limit'",
            [],
        )
        .unwrap();
        let s = auth::AuthSettings::load(&conn).unwrap();
        for (name, role) in [("olivia", "owner"), ("ulla", "user"), ("uwe", "user")] {
            auth::create_user(&conn, &s, name, &format!("password-of-{name}"), None, role).unwrap();
        }
        setup(&conn);
    }
    let app = start_app_server(dir, true, |_| {});
    let owner = login(&app, "olivia");
    App { app, owner }
}

fn login(app: &AppServer, user: &str) -> String {
    let body = json!({"username": user, "password": format!("password-of-{user}")}).to_string();
    let r = app.request(
        "POST",
        "/_api/auth/login",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().unwrap().to_owned()
}

impl App {
    fn req(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut h: Vec<(&str, &str)> = headers.to_vec();
        if let Some(b) = &bearer {
            h.push(("Authorization", b));
        }
        self.app.request(method, path, &h, body)
    }
    fn put(&self, id: &str, ty: &str, body: &[u8]) -> Resp {
        self.req(
            Some(&self.owner),
            "PUT",
            &format!("/_api/documents/{id}"),
            &[("Content-Type", ty)],
            body,
        )
    }
    fn get(&self, path: &str) -> Resp {
        self.req(Some(&self.owner), "GET", path, &[], b"")
    }
    fn json(&self, method: &str, path: &str, body: &Value) -> Resp {
        self.req(
            Some(&self.owner),
            method,
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn crud_with_hierarchical_and_unicode_ids() {
    let a = start(None, |_| {});
    let r = a.put(
        "pages/home",
        "text/markdown; charset=utf-8",
        b"# Home\nWelcome",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["id"].as_str(), v["version"].as_i64(), v["type"].as_str()),
        (Some("pages/home"), Some(1), Some("text/markdown"))
    );
    assert_eq!(v["title"], "Home");
    let etag1 = r.header("etag").unwrap().to_owned();
    // Raw content with its type; the same through %2F.
    let g = a.get("/_api/documents/pages/home");
    assert_eq!(g.status, 200);
    assert_eq!(g.body, b"# Home\nWelcome");
    assert_eq!(
        g.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    assert_eq!(g.header("etag"), Some(etag1.as_str()));
    assert_eq!(
        a.get("/_api/documents/pages%2Fhome").body,
        b"# Home\nWelcome"
    );
    // Conditional GET.
    let c = a.req(
        Some(&a.owner),
        "GET",
        "/_api/documents/pages/home",
        &[("If-None-Match", &etag1)],
        b"",
    );
    assert_eq!(c.status, 304);
    // The envelope, by ?meta=1 and by Accept.
    let m = a.get("/_api/documents/pages/home?meta=1").json();
    assert_eq!(
        (
            m["content"].as_str(),
            m["encoding"].as_str(),
            m["size"].as_i64()
        ),
        (Some("# Home\nWelcome"), Some("utf-8"), Some(14))
    );
    for key in [
        "id",
        "type",
        "version",
        "created_at",
        "modified_at",
        "size",
        "etag",
        "tags",
        "content",
    ] {
        assert!(m.get(key).is_some(), "envelope lacks {key}");
    }
    let m2 = a
        .req(
            Some(&a.owner),
            "GET",
            "/_api/documents/pages/home",
            &[("Accept", "application/json")],
            b"",
        )
        .json();
    assert_eq!(m2["etag"], m["etag"]);
    // Replace: version 2, new ETag; a stale If-Match loses with 412 and changes nothing.
    let r = a.req(
        Some(&a.owner),
        "PUT",
        "/_api/documents/pages/home",
        &[("Content-Type", "text/markdown"), ("If-Match", &etag1)],
        b"# Home\nv2",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    let etag2 = r.header("etag").unwrap().to_owned();
    assert_ne!(etag1, etag2);
    let stale = a.req(
        Some(&a.owner),
        "PUT",
        "/_api/documents/pages/home",
        &[("Content-Type", "text/markdown"), ("If-Match", &etag1)],
        b"lost",
    );
    stale.assert_json_error(412);
    assert_eq!(stale.header("etag"), Some(etag2.as_str()));
    assert_eq!(a.get("/_api/documents/pages/home").body, b"# Home\nv2");
    let none = a.req(
        Some(&a.owner),
        "PUT",
        "/_api/documents/pages/home",
        &[("Content-Type", "text/plain"), ("If-None-Match", "*")],
        b"x",
    );
    none.assert_json_error(412);
    a.req(
        Some(&a.owner),
        "DELETE",
        "/_api/documents/pages/home",
        &[("If-Match", &etag1)],
        b"",
    )
    .assert_json_error(412);
    // Unicode ids, raw UTF-8 percent-encoded in the URL.
    let uni = "wiki/日本語/ünïcödé";
    let enc: String = uni
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'/' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    assert_eq!(a.put(&enc, "text/plain", "héllo".as_bytes()).status, 201);
    let m = a.get(&format!("/_api/documents/{enc}?meta=1")).json();
    assert_eq!(m["id"], uni);
    assert_eq!(m["content"], "héllo");
    // A final segment named `edges` through %2F.
    assert_eq!(a.put("notes%2Fedges", "text/plain", b"e").status, 201);
    assert_eq!(a.get("/_api/documents/notes%2Fedges").body, b"e");
    // Listing by prefix, paging with offset and cursor, sorting.
    for i in 0..5 {
        assert_eq!(
            a.put(&format!("posts/2026/p{i}"), "text/plain", b"x")
                .status,
            201
        );
    }
    let l = a.get("/_api/documents?prefix=posts/&limit=2").json();
    assert_eq!(ids(&l), ["posts/2026/p0", "posts/2026/p1"]);
    let cur = l["next_cursor"].as_str().unwrap().to_owned();
    let l2 = a
        .get(&format!(
            "/_api/documents?prefix=posts/&limit=2&cursor={cur}"
        ))
        .json();
    assert_eq!(ids(&l2), ["posts/2026/p2", "posts/2026/p3"]);
    let l3 = a
        .get("/_api/documents?prefix=posts/&limit=2&offset=4")
        .json();
    assert_eq!(ids(&l3), ["posts/2026/p4"]);
    assert!(l3["next_cursor"].is_null());
    let d = a
        .get("/_api/documents?prefix=posts/2026/&sort=id&order=desc&limit=1")
        .json();
    assert_eq!(ids(&d), ["posts/2026/p4"]);
    let m = a
        .get("/_api/documents?sort=modified_at&order=desc&limit=100")
        .json();
    assert_eq!(ids(&m).len(), 8);
    let mut cursor_walk = Vec::new();
    let mut next = Some(String::new());
    while let Some(c) = next {
        let page = a
            .get(&format!(
                "/_api/documents?sort=created_at&limit=3{}",
                if c.is_empty() {
                    String::new()
                } else {
                    format!("&cursor={c}")
                }
            ))
            .json();
        cursor_walk.extend(ids(&page));
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(cursor_walk.len(), 8, "{cursor_walk:?}");
    // Delete.
    assert_eq!(
        a.req(
            Some(&a.owner),
            "DELETE",
            "/_api/documents/pages/home",
            &[("If-Match", &etag2)],
            b""
        )
        .status,
        204
    );
    a.get("/_api/documents/pages/home").assert_json_error(404);
    a.req(
        Some(&a.owner),
        "DELETE",
        "/_api/documents/pages/home",
        &[],
        b"",
    )
    .assert_json_error(404);
}

#[test]
fn binary_round_trip_and_types() {
    let a = start(None, |_| {});
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    let mut x: u32 = 12345;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    assert_eq!(a.put("img/logo.png", "image/png", &bytes).status, 201);
    let g = a.get("/_api/documents/img/logo.png");
    assert_eq!(g.header("content-type"), Some("image/png"));
    assert!(g.body == bytes, "binary content differs");
    let m = a.get("/_api/documents/img/logo.png?meta=1").json();
    assert_eq!(m["encoding"], "base64");
    assert_eq!(m["size"], bytes.len());
    assert_eq!(
        a.put("bin/raw", "application/octet-stream", &[0, 159, 146, 150])
            .status,
        201
    );
    assert_eq!(a.get("/_api/documents/bin/raw").body, [0, 159, 146, 150]);
    for (id, ty) in [
        ("t/html", "text/html"),
        ("t/ejs", "text/ejs"),
        ("t/js", "text/javascript"),
        ("t/css", "text/css"),
        ("t/txt", "text/plain"),
    ] {
        assert_eq!(a.put(id, ty, b"body{}").status, 201, "{ty}");
        assert!(a
            .get(&format!("/_api/documents/{id}"))
            .header("content-type")
            .unwrap()
            .starts_with(ty));
    }
    // JSON: validated, merge-patched, meta and tags patched.
    a.put("data/bad", "application/json", b"{\"a\": ")
        .assert_json_error(400);
    a.get("/_api/documents/data/bad").assert_json_error(404);
    assert_eq!(
        a.put(
            "data/cfg",
            "application/json",
            br#"{"title":"Config","a":1,"b":{"c":2}}"#
        )
        .status,
        201
    );
    let r = a.req(
        Some(&a.owner),
        "PATCH",
        "/_api/documents/data/cfg",
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"a":null,"b":{"d":3}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&a.get("/_api/documents/data/cfg").body).unwrap();
    assert_eq!(v, json!({"title":"Config","b":{"c":2,"d":3}}));
    let r = a.json(
        "PATCH",
        "/_api/documents/data/cfg",
        &json!({"meta": {"public": true}, "tags": ["lang/rust", "b"]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["meta"], json!({"public": true}));
    assert_eq!(r.json()["tags"], json!(["lang/rust", "b"]));
    assert_eq!(r.json()["version"], 3);
    a.req(
        Some(&a.owner),
        "PATCH",
        "/_api/documents/data/cfg",
        &[("Content-Type", "application/json")],
        b"{not json",
    )
    .assert_json_error(400);
    a.json("PATCH", "/_api/documents/data/cfg", &json!({"bogus": 1}))
        .assert_json_error(400);
    a.req(
        Some(&a.owner),
        "PATCH",
        "/_api/documents/t/txt",
        &[("Content-Type", "application/merge-patch+json")],
        b"{}",
    )
    .assert_json_error(400);
    a.req(
        Some(&a.owner),
        "PATCH",
        "/_api/documents/t/txt",
        &[("Content-Type", "text/plain")],
        b"x",
    )
    .assert_json_error(415);
    a.put("x/y", "multipart/form-data", b"x")
        .assert_json_error(415);
}

#[test]
fn tags_and_graph() {
    let a = start(None, |_| {});
    for (id, tags) in [
        ("a", "lang/rust,web"),
        ("b", "lang/go"),
        ("c", "language"),
        ("d", ""),
    ] {
        let r = a.req(
            Some(&a.owner),
            "PUT",
            &format!("/_api/documents/{id}?tags={tags}"),
            &[("Content-Type", "text/plain")],
            id.as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    assert_eq!(
        a.get("/_api/documents/a?meta=1").json()["tags"],
        json!(["lang/rust", "web"])
    );
    assert_eq!(
        ids(&a.get("/_api/documents?tag=lang").json()),
        ["a", "b"],
        "descendants, not `language`"
    );
    assert_eq!(ids(&a.get("/_api/documents?tag=lang/rust").json()), ["a"]);
    // Edges: a -> b -> c -> a (a cycle), a -> d.
    for (from, to, rel) in [
        ("a", "b", "links"),
        ("b", "c", "links"),
        ("c", "a", "links"),
        ("a", "d", "cites"),
    ] {
        let r = a.json(
            "POST",
            &format!("/_api/documents/{from}/edges"),
            &json!({"to": to, "rel": rel, "props": {"w": 1}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["props"], json!({"w": 1}));
    }
    let out = a.get("/_api/documents/a/edges").json();
    assert_eq!(ids(&out), ["b", "d"]);
    assert_eq!(
        ids(&a.get("/_api/documents/a/edges?direction=in").json()),
        ["c"]
    );
    assert_eq!(
        ids(&a
            .get("/_api/documents/a/edges?direction=both&rel=links")
            .json()),
        ["b", "c"]
    );
    // The traversal terminates on the cycle and reports each node once at its least depth.
    let g = a.get("/_api/documents/a/graph?depth=16&rel=links").json();
    let nodes: Vec<(String, i64)> = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_owned(),
                n["depth"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        nodes,
        [
            ("a".to_owned(), 0),
            ("b".to_owned(), 1),
            ("c".to_owned(), 2)
        ]
    );
    assert_eq!(g["edges"].as_array().unwrap().len(), 3);
    let g1 = a.get("/_api/documents/a/graph?depth=1").json();
    assert_eq!(g1["nodes"].as_array().unwrap().len(), 3, "{g1}");
    a.get("/_api/documents/a/graph?depth=-1")
        .assert_json_error(400);
    a.get("/_api/documents/a/graph?depth=99999")
        .assert_json_error(400);
    a.json(
        "POST",
        "/_api/documents/a/edges",
        &json!({"to": "nope", "rel": "x"}),
    )
    .assert_json_error(400);
    a.json("POST", "/_api/documents/a/edges", &json!({"rel": "x"}))
        .assert_json_error(400);
    let del = a
        .req(
            Some(&a.owner),
            "DELETE",
            "/_api/documents/a/edges?to=d",
            &[],
            b"",
        )
        .json();
    assert_eq!(del["deleted"], 1);
    // Deleting a document removes its edges.
    assert_eq!(
        a.req(Some(&a.owner), "DELETE", "/_api/documents/b", &[], b"")
            .status,
        204
    );
    assert_eq!(
        ids(&a.get("/_api/documents/a/edges").json()),
        Vec::<String>::new()
    );
}

#[test]
fn search_ranking_snippets_prefix_phrase() {
    let a = start(None, |_| {});
    a.put(
        "notes/body",
        "text/markdown",
        b"# Something else\nA note that mentions the aardvark once among many other words here.",
    );
    a.put(
        "notes/title",
        "text/markdown",
        b"# Aardvark facts\nAbout the animal.",
    );
    a.put(
        "notes/json",
        "application/json",
        br#"{"title":"Zebra","text":"striped horse lookalike"}"#,
    );
    a.put("notes/html", "text/html", b"<html><title>Pages</title><body><p>quick brown fox jumps</p><script>aardvark()</script></body></html>");
    let r = a.get("/_api/documents/search?q=aardvark").json();
    assert_eq!(r["total"], 2, "{r}");
    assert_eq!(
        ids(&r),
        ["notes/title", "notes/body"],
        "title match ranks first"
    );
    let snip = r["data"][1]["snippet"].as_str().unwrap();
    assert!(snip.contains("<mark>aardvark</mark>"), "{snip}");
    let r = a
        .get("/_api/documents/search?q=aardvark&highlight=b")
        .json();
    assert!(r["data"][1]["snippet"]
        .as_str()
        .unwrap()
        .contains("<b>aardvark</b>"));
    assert_eq!(
        ids(&a.get("/_api/documents/search?q=aard*").json()).len(),
        2,
        "prefix"
    );
    assert_eq!(
        ids(&a.get("/_api/documents/search?q=%22brown%20fox%22").json()),
        ["notes/html"],
        "phrase"
    );
    assert_eq!(
        a.get("/_api/documents/search?q=%22fox%20brown%22").json()["total"],
        0,
        "phrase order"
    );
    assert_eq!(
        ids(&a.get("/_api/documents/search?q=striped").json()),
        ["notes/json"],
        "JSON strings"
    );
    assert_eq!(
        ids(&a
            .get("/_api/documents/search?q=zebra&type=application/json")
            .json()),
        ["notes/json"]
    );
    assert_eq!(
        a.get("/_api/documents/search?q=zebra&type=text/*").json()["total"],
        0
    );
    assert_eq!(
        a.get("/_api/documents/search?q=aardvark%20OR%20zebra&limit=1&offset=2")
            .json()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        a.get("/_api/documents/search?q=aardvark%20NOT%20animal")
            .json()["total"],
        1
    );
    // Script bodies are not indexed text; snippets are escaped.
    a.put(
        "notes/lt",
        "text/plain",
        b"<img src=x onerror=alert(1)> unicorn",
    );
    let s = a.get("/_api/documents/search?q=unicorn").json();
    let snip = s["data"][0]["snippet"].as_str().unwrap();
    assert!(
        snip.contains("&lt;img") && snip.contains("<mark>unicorn</mark>"),
        "{snip}"
    );
    // FTS operators and quotes in q: quoted as text or refused with 400, never 500.
    for q in [
        "NEAR(a%20b)",
        "a:b",
        "%7Bx%7D",
        "col:x",
        "x^y",
        "-x",
        "%2Bx",
        "'x'",
        "a%22%22b",
    ] {
        let r = a.get(&format!("/_api/documents/search?q={q}"));
        assert!(r.status == 200 || r.status == 400, "{q}: {}", r.status);
        if r.status == 400 {
            r.assert_json_error(400);
        }
    }
    for q in ["", "%22open", "a%20OR", "NOT%20a", "(a", "a)", "*", "AND"] {
        a.get(&format!("/_api/documents/search?q={q}"))
            .assert_json_error(400);
    }
    for p in [
        "limit=-1",
        "limit=0",
        "limit=1000000",
        "offset=-5",
        "limit=abc",
        "offset=99999999999999999999",
        "snippet_tokens=0",
    ] {
        a.get(&format!("/_api/documents/search?q=x&{p}"))
            .assert_json_error(400);
        if !p.starts_with("snippet") {
            a.get(&format!("/_api/documents?{p}"))
                .assert_json_error(400);
        }
    }
}

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

#[test]
fn bad_input_is_refused_with_json_and_stores_nothing() {
    let a = start(None, |conn| {
        conn.execute(
            "UPDATE _hbf_config SET value = '1000' WHERE key = 'documents_max_bytes'",
            [],
        )
        .unwrap();
    });
    a.put("big", "text/plain", &vec![b'x'; 1001])
        .assert_json_error(413);
    a.get("/_api/documents/big").assert_json_error(404);
    assert_eq!(a.put("ok", "text/plain", &vec![b'x'; 1000]).status, 201);
    // 100 MB: refused from the Content-Length, before the body is read.
    let mut c = a.app.client();
    c.send(format!("PUT /_api/documents/huge HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n", a.owner, 100 * 1024 * 1024).as_bytes());
    c.read_response().assert_json_error(413);
    a.get("/_api/documents/huge").assert_json_error(404);
    // A 10,000-level id: refused by the request-line limit or the id rules.
    let deep = vec!["a"; 10_000].join("/");
    let r = a.put(&deep, "text/plain", b"x");
    assert!((400..500).contains(&r.status), "{}", r.status);
    r.assert_json_error(r.status);
    let deep = vec!["a"; 100].join("/");
    a.put(&deep, "text/plain", b"x").assert_json_error(400);
    for bad in ["a//b", "a/./b", "a/../b", "%2E%2E", "a%00b", "x%ZZ"] {
        a.put(bad, "text/plain", b"x").assert_json_error(400);
    }
    let l = a.get("/_api/documents?limit=1000").json();
    assert_eq!(ids(&l), ["ok"], "nothing stored half");
    a.json("POST", "/_api/documents/ok/edges", &json!("not an object"))
        .assert_json_error(400);
    a.req(
        Some(&a.owner),
        "POST",
        "/_api/documents/ok/edges",
        &[("Content-Type", "application/json")],
        b"{bad",
    )
    .assert_json_error(400);
    a.get("/_api/documents?sort=size").assert_json_error(400);
    a.get("/_api/documents?cursor=garbage")
        .assert_json_error(400);
    a.req(Some(&a.owner), "POST", "/_api/documents/ok", &[], b"")
        .assert_json_error(405);
    a.get("/_api/nothing-here").assert_json_error(404);
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
            let mut conn = henv_conn(&dir);
            let authz = Authz::install(&mut conn).unwrap();
            let docs = Docs {
                conn: &conn,
                authz: &authz,
                principal: Principal::System { startup: false },
                limits: Limits::default(),
            };
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
