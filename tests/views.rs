//! Server-rendered pages in a real henv over real HTTP: Express views with the built-in EJS
//! engine, `hbf:templates` for code that is not Express, a template edited and re-rendered
//! (never a stale compiled template), the template endpoints (`GET /_api/templates`,
//! `POST /_api/templates/preview`: owner/admin only), template errors (500, and a log line
//! naming the file, line and column with EJS's context block), include cycles and loops
//! stopped. (Output compared with the real ejs and Express: js-tests/ejs, run by tests/js.rs.)

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::apps::{put_file, start_app_server, AppServer};
use common::TempDir;
use hbf::{auth, henv};
use serde_json::{json, Value};

const APP: &str = r#"
const express = require('express');
const templates = require('hbf:templates');
const app = express();
app.set('view engine', 'ejs');
app.locals.site = 'Site';
app.get('/page', (req, res) => res.render('page', { name: req.query.name }));
app.get('/broken', (req, res) => res.render('broken'));
app.get('/cycle', (req, res) => res.render('cycle'));
app.get('/loop', (req, res) => res.render('loop'));
app.get('/plain', (req, res) => res.type('html').send(templates.render('<b><%= x %></b>', { x: req.query.x })));
app.get('/file', (req, res) => res.type('html').send(templates.render({ file: 'views/page.ejs' }, { site: 'S', name: 'f' })));
module.exports = app;
"#;

fn setup(dir: &TempDir) {
    let p = dir.path();
    put_file(p, "server.js", APP.as_bytes());
    put_file(
        p,
        "views/page.ejs",
        b"<%- include('layout/head') -%>\n<p>Hi <%= name %></p>\n",
    );
    put_file(p, "views/layout/head.ejs", b"<h1><%= site %></h1>");
    put_file(
        p,
        "views/broken.ejs",
        b"one\ntwo\n<p><%= missing.field %></p>\nfour\n",
    );
    put_file(p, "views/cycle.ejs", b"x<%- include('cycle') %>");
    put_file(p, "views/loop.ejs", b"<% while (true) {} %>");
    let (conn, _) = henv::open_henv(p, "localhost").unwrap();
    conn.execute(
        "UPDATE _hbf_config SET value = '{\"m_kib\":256,\"t\":1,\"p\":1}' WHERE key = 'auth_argon2'",
        [],
    )
    .unwrap();
    let s = auth::AuthSettings::load(&conn).unwrap();
    for (name, role) in [("olivia", "owner"), ("ulla", "user")] {
        auth::create_user(&conn, &s, name, &format!("password-of-{name}"), None, role).unwrap();
    }
}

fn server() -> AppServer {
    let dir = TempDir::new("views");
    setup(&dir);
    start_app_server(dir, false, |c| c.qjs_timeout_ms = 1500)
}

fn login(app: &AppServer, user: &str) -> String {
    let body = json!({"username": user, "password": format!("password-of-{user}")}).to_string();
    let r = app.post_json("/_api/auth/login", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().unwrap().to_owned()
}

fn authed(app: &AppServer, method: &str, path: &str, token: &str, body: &Value) -> common::Resp {
    let auth = format!("Bearer {token}");
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    app.request(
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
}

#[test]
fn views_render_with_layout_includes_and_escaping() {
    let app = server();
    let r = app.get("/page?name=%3Cscript%3E%3C%25%3D%201%20%25%3E");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    // request data is escaped, never evaluated as template code
    assert_eq!(
        r.text(),
        "<h1>Site</h1><p>Hi &lt;script&gt;&lt;%= 1 %&gt;</p>\n"
    );
    let r = app.get("/plain?x=%26%22");
    assert_eq!(r.text(), "<b>&amp;&#34;</b>");
    let r = app.get("/file");
    assert_eq!(r.text(), "<h1>S</h1><p>Hi f</p>\n");
}

#[test]
fn an_edited_template_is_rendered_fresh() {
    let app = server();
    assert_eq!(app.get("/page?name=a").text(), "<h1>Site</h1><p>Hi a</p>\n");
    assert_eq!(app.get("/page?name=b").text(), "<h1>Site</h1><p>Hi b</p>\n");
    app.put("views/layout/head.ejs", b"<h2><%= site %>!</h2>");
    assert_eq!(
        app.get("/page?name=c").text(),
        "<h2>Site!</h2><p>Hi c</p>\n"
    );
    app.put("views/page.ejs", b"new <%= name %>");
    assert_eq!(app.get("/page?name=d").text(), "new d");
}

#[test]
fn include_cycles_and_endless_loops_are_stopped() {
    let app = server();
    let r = app.get("/cycle");
    assert_eq!(r.status, 500, "{}", r.text());
    let r = app.get("/loop");
    assert_eq!(r.status, 504, "{}", r.text());
    // the runtime still answers afterwards
    assert_eq!(app.get("/page?name=z").status, 200);
}

#[test]
fn template_endpoints_are_for_owners() {
    let app = server();
    assert_eq!(app.get("/_api/templates").status, 401);
    let user = login(&app, "ulla");
    assert_eq!(
        authed(&app, "GET", "/_api/templates", &user, &Value::Null).status,
        403
    );
    let preview = json!({"source": "<%= 1 + 1 %>", "data": {}});
    let r = authed(&app, "POST", "/_api/templates/preview", &user, &preview);
    assert_eq!(r.status, 403);

    let owner = login(&app, "olivia");
    let r = authed(&app, "GET", "/_api/templates", &owner, &Value::Null);
    assert_eq!(r.status, 200, "{}", r.text());
    let paths: Vec<String> = r.json()["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(paths.contains(&"/views/page.ejs".to_owned()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.ends_with("server.js")));

    let r = authed(&app, "POST", "/_api/templates/preview", &owner, &preview);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["html"], "2");
    let by_file = json!({"file": "views/page.ejs", "data": {"site": "P", "name": "<n>"}});
    let r = authed(&app, "POST", "/_api/templates/preview", &owner, &by_file);
    assert_eq!(r.json()["html"], "<h1>P</h1><p>Hi &lt;n&gt;</p>\n");
    let bad = json!({"source": "a\nb\n<%= nope.x %>", "data": {}});
    let r = authed(&app, "POST", "/_api/templates/preview", &owner, &bad);
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["line"], 3);
    assert_eq!(r.json()["name"], "ReferenceError");
    let missing = json!({"file": "views/none.ejs"});
    assert_eq!(
        authed(&app, "POST", "/_api/templates/preview", &owner, &missing).status,
        404
    );
    let r = authed(
        &app,
        "POST",
        "/_api/templates/preview",
        &owner,
        &json!({"data": 1}),
    );
    assert_eq!(r.status, 400);
    // a text/ejs document: listed, and previewed by id
    let auth = format!("Bearer {owner}");
    let r = app.request(
        "PUT",
        "/_api/documents/pages/hello",
        &[("Authorization", &auth), ("Content-Type", "text/ejs")],
        b"<p><%= who %></p>",
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text());
    let r = authed(&app, "GET", "/_api/templates", &owner, &Value::Null);
    assert_eq!(
        r.json()["documents"][0]["id"],
        "pages/hello",
        "{}",
        r.text()
    );
    let by_doc = json!({"document": "pages/hello", "data": {"who": "<w>"}});
    let r = authed(&app, "POST", "/_api/templates/preview", &owner, &by_doc);
    assert_eq!(r.json()["html"], "<p>&lt;w&gt;</p>", "{}", r.text());
    let endless = json!({"source": "<% for (;;) {} %>"});
    assert_eq!(
        authed(&app, "POST", "/_api/templates/preview", &owner, &endless).status,
        504
    );
}

/// The real binary's log: a template error names the file, line and column, with EJS's
/// context block; the response is a bare 500 (no detail without --dev).
#[test]
fn a_template_error_is_logged_with_its_place() {
    let dir = TempDir::new("views-log");
    setup(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args([
            "serve",
            "--port",
            "0",
            "--workers",
            "1",
            "--access_log",
            "false",
            "--admin_bind",
            "",
        ])
        .arg("--storage_dir")
        .arg(dir.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start hbf");
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    let mut log = String::new();
    let port = loop {
        log.push_str(
            &rx.recv_timeout(Duration::from_secs(20))
                .expect("hbf starts"),
        );
        if let Some(i) = log.find("\"addr\":\"127.0.0.1:") {
            let rest = &log[i + 18..];
            break rest[..rest.find('"').unwrap()].parse::<u16>().unwrap();
        }
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let r = common::Client::connect(addr)
        .request(b"GET /broken HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 500);
    assert!(
        !r.text().contains("missing"),
        "no detail without --dev: {}",
        r.text()
    );
    let found = common::wait_until(Duration::from_secs(10), || {
        while let Ok(s) = rx.try_recv() {
            log.push_str(&s);
        }
        log.contains("template error in /views/broken.ejs at line 3, column")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(found, "{log}");
    assert!(
        log.contains(r#" >> 3| <p><%= missing.field %></p>"#),
        "{log}"
    );
    assert!(log.contains("missing is not defined"), "{log}");
}

/// With `--dev` the 500 of a template error carries its detail (Express in development mode,
/// as on Node without NODE_ENV=production), and `process.env.NODE_ENV` says so.
#[test]
fn dev_mode_shows_template_error_detail() {
    let dir = TempDir::new("views-dev");
    setup(&dir);
    let app = start_app_server(dir, true, |c| c.qjs_timeout_ms = 1500);
    let r = app.get("/broken");
    assert_eq!(r.status, 500);
    assert!(r.text().contains("missing is not defined"), "{}", r.text());
    assert!(r.text().contains("broken.ejs"), "{}", r.text());
    // (and without --dev the same error is a bare 500: `a_template_error_is_logged_with_its_place`)
}

/// The starter app (`hbf init`) has a server-rendered page with a layout include.
#[test]
fn the_starter_app_renders_its_notes_page() {
    let dir = TempDir::new("views-starter");
    let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
    henv::install_starter(&conn).unwrap();
    drop(conn);
    let app = start_app_server(dir, false, |_| {});
    let r = app.get("/notes");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("No notes yet"), "{}", r.text());
    let created = app.post_json("/api/notes", r#"{"title":"<b>bold</b>","body":"x & y"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    let page = app.get("/notes").text();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("<title>Notes</title>"), "{page}");
    assert!(
        page.contains("<li><strong>&lt;b&gt;bold&lt;/b&gt;</strong> x &amp; y</li>"),
        "{page}"
    );
    assert!(page.contains("views/notes.ejs</code></footer>"), "{page}");
}

/// `ejs` is not a Node core module: an app's own node_modules/ejs wins over the built-in
/// one, for `require('ejs')` and for `res.render` (Express requires the engine by name).
#[test]
fn an_apps_own_ejs_package_wins() {
    let dir = TempDir::new("views-npm-ejs");
    let p = dir.path();
    put_file(
        p,
        "server.js",
        br#"const app = require('express')();
app.set('view engine', 'ejs');
app.get('/require', (req, res) => res.send(require('ejs').render('<%= 1 %>')));
app.get('/render', (req, res) => res.render('x'));
app.get('/builtin', (req, res) => res.send(require('hbf:templates').render('<%= 1 + 1 %>')));
module.exports = app;"#,
    );
    put_file(p, "views/x.ejs", b"<%= 'built-in' %>");
    put_file(
        p,
        "node_modules/ejs/package.json",
        br#"{"name":"ejs","version":"0.0.1","main":"lib/ejs.js"}"#,
    );
    put_file(
        p,
        "node_modules/ejs/lib/ejs.js",
        b"exports.render = () => 'npm ejs';\nexports.__express = (file, opts, cb) => cb(null, 'npm engine for ' + file);\n",
    );
    let app = start_app_server(dir, false, |_| {});
    assert_eq!(app.get("/require").text(), "npm ejs");
    assert_eq!(app.get("/render").text(), "npm engine for /views/x.ejs");
    assert_eq!(app.get("/builtin").text(), "2");
}
