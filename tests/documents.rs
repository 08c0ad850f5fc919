//! Documents end to end over HTTP: CRUD with hierarchical and unicode ids, binary round
//! trips, optimistic concurrency, tags, the graph, full-text search (ranking, snippets,
//! prefix, phrase) and bad input. Access rules, JS, default serving, OpenAPI, the write
//! storm and the CLI are in `documents_access.rs`.

mod common;

use common::docs::{ids, start};
use serde_json::{json, Value};

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
