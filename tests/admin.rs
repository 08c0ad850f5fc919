//! The admin UI against a real `hbf serve` on an ephemeral port: the first-run setup token,
//! the access rule (owner/admin only, 403 for other users, 401 for anonymous), the file API
//! (compile check with 422, history and restore, node_modules read-only, the next request
//! runs a saved server.js), the security headers; and the browser test (`admin/test/e2e.mjs`,
//! Playwright driving Debian's chromium), skipped with a note when chromium or
//! `playwright-core` is missing.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TempDir;

/// A running `hbf serve`, killed on drop.
struct Serve {
    child: Child,
    url: String,
    token: String,
    _dir: TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Serve {
    let dir = TempDir::new("admin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args([
            "serve",
            "--port",
            "0",
            "--admin_bind",
            "",
            "--workers",
            "2",
            "--storage_dir",
        ])
        .arg(dir.path().join("henvs"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hbf serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let (mut url, mut token) = (String::new(), String::new());
    while url.is_empty() {
        let line = lines
            .next()
            .expect("hbf serve exited")
            .expect("read stderr");
        if let Some(t) = line.split("setup token ").nth(1) {
            token = t.split_whitespace().next().unwrap_or("").to_owned();
        }
        if let Some(a) = line.split("\"addr\":\"").nth(1) {
            url = format!("http://{}", a.split('"').next().unwrap_or(""));
        }
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    assert!(!token.is_empty(), "hbf serve printed a setup token");
    Serve {
        child,
        url,
        token,
        _dir: dir,
    }
}

/// curl: (status, headers+body text).
fn curl(s: &Serve, jar: &Path, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-i", "-X", method, "-b"])
        .arg(jar)
        .arg("-c")
        .arg(jar)
        .args(["-H", &format!("Origin: {}", s.url)])
        .args(["-H", "Content-Type: application/json"]);
    if let Some(b) = body {
        cmd.args(["--data-binary", b]);
    }
    let out = cmd
        .arg(format!("{}{path}", s.url))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn setup_access_files_history() {
    let s = serve();
    let dir = TempDir::new("admin-jars");
    let owner = dir.path().join("owner");
    let user = dir.path().join("user");
    let anon = dir.path().join("anon");

    // First run: wrong token refused, the right one creates the owner once.
    let body =
        |t: &str| format!(r#"{{"token":"{t}","username":"boss","password":"correct horse"}}"#);
    assert!(curl(&s, &anon, "GET", "/_api/admin/setup", None)
        .1
        .contains("\"needed\":true"));
    assert_eq!(
        curl(&s, &anon, "POST", "/_api/admin/setup", Some(&body("nope"))).0,
        403
    );
    assert_eq!(
        curl(
            &s,
            &anon,
            "POST",
            "/_api/admin/setup",
            Some(&body(&s.token))
        )
        .0,
        201
    );
    assert_eq!(
        curl(
            &s,
            &anon,
            "POST",
            "/_api/admin/setup",
            Some(&body(&s.token))
        )
        .0,
        409
    );
    let login = |jar: &Path, u: &str, p: &str| {
        let b = format!(r#"{{"username":"{u}","password":"{p}"}}"#);
        assert_eq!(curl(&s, jar, "POST", "/_api/auth/login", Some(&b)).0, 200);
    };
    login(&owner, "boss", "correct horse");
    let (st, _) = curl(
        &s,
        &owner,
        "POST",
        "/_api/users",
        Some(r#"{"username":"pat","password":"pat password","role":"user"}"#),
    );
    assert_eq!(st, 201);
    login(&user, "pat", "pat password");

    // Pages: headers, redirects, 403 for a plain user, 401 for anonymous assets and API.
    // A build without the `admin` feature answers 404 for every page.
    if !cfg!(feature = "admin") {
        assert_eq!(curl(&s, &owner, "GET", "/_admin/", None).0, 404);
        assert_eq!(curl(&s, &anon, "GET", "/_admin/login", None).0, 404);
    } else {
        let (st, page) = curl(&s, &owner, "GET", "/_admin/", None);
        assert_eq!(st, 200);
        let lower = page.to_ascii_lowercase();
        assert!(lower.contains("content-security-policy: default-src 'self'; script-src 'self'"));
        assert!(lower.contains("frame-ancestors 'none'"));
        assert!(lower.contains("x-frame-options: deny"));
        assert!(!page.contains("<script>"), "no inline script");
        let (st, page) = curl(&s, &anon, "GET", "/_admin/", None);
        assert_eq!(st, 303);
        assert!(page.contains("Location: /_admin/login"));
        assert_eq!(curl(&s, &anon, "GET", "/_admin/login", None).0, 200);
        for p in [
            "/_admin",
            "/_admin/",
            "/_admin/login",
            "/_admin/setup",
            "/_admin/x.js",
        ] {
            assert_eq!(curl(&s, &user, "GET", p, None).0, 403, "{p}");
        }
    }
    assert_eq!(curl(&s, &anon, "GET", "/_api/admin/files", None).0, 401);
    for (m, p) in [
        ("GET", "/_api/admin/files"),
        ("PUT", "/_api/admin/files/server.js"),
        ("POST", "/_api/admin/sql"),
        ("GET", "/_api/admin/tables"),
    ] {
        assert_eq!(curl(&s, &user, m, p, Some("{}")).0, 403, "{m} {p}");
    }

    // Files: a syntax error is refused with file:line:col and the old code keeps serving.
    let v1 = "const express = require('express');\nrequire('hbf:db').execute('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, title TEXT)');\nconst app = express();\napp.get('/v', (q, r) => r.send('one'));\nmodule.exports = app;\n";
    assert_eq!(
        curl(&s, &owner, "PUT", "/_api/admin/files/server.js", Some(v1)).0,
        200
    );
    assert!(curl(&s, &anon, "GET", "/v", None).1.ends_with("one"));
    let (st, err) = curl(
        &s,
        &owner,
        "PUT",
        "/_api/admin/files/server.js",
        Some("const a = ;\n"),
    );
    assert_eq!(st, 422);
    assert!(err.contains("server.js:1:11"), "{err}");
    assert!(curl(&s, &anon, "GET", "/v", None).1.ends_with("one"));
    let v2 = v1.replace("'one'", "'two'");
    assert_eq!(
        curl(&s, &owner, "PUT", "/_api/admin/files/server.js", Some(&v2)).0,
        200
    );
    assert!(curl(&s, &anon, "GET", "/v", None).1.ends_with("two"));

    // A module the app requires: saving it changes the next answer too.
    let app = "const express = require('express');\nconst g = require('./lib/greet');\nconst app = express();\napp.get('/g', (q, r) => r.send(g()));\nmodule.exports = app;\n";
    assert_eq!(
        curl(
            &s,
            &owner,
            "PUT",
            "/_api/admin/files/lib/greet.js",
            Some("module.exports = () => 'm1';")
        )
        .0,
        200
    );
    assert_eq!(
        curl(&s, &owner, "PUT", "/_api/admin/files/server.js", Some(app)).0,
        200
    );
    assert!(curl(&s, &anon, "GET", "/g", None).1.ends_with("m1"));
    assert_eq!(
        curl(
            &s,
            &owner,
            "PUT",
            "/_api/admin/files/lib/greet.js",
            Some("module.exports = () => 'm2';")
        )
        .0,
        200
    );
    assert!(curl(&s, &anon, "GET", "/g", None).1.ends_with("m2"));
    assert_eq!(
        curl(&s, &owner, "PUT", "/_api/admin/files/server.js", Some(&v2)).0,
        200
    );

    // History: v1 is kept; restoring it serves it again.
    let (_, hist) = curl(
        &s,
        &owner,
        "GET",
        "/_api/admin/history?path=server.js",
        None,
    );
    let json = &hist[hist.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    // Newest first: the module app, v2, v1, the starter.
    assert_eq!(v["data"].as_array().map(Vec::len), Some(4), "{v}");
    let first = v["data"][2]["id"].as_i64().expect("a version");
    let (st, _) = curl(
        &s,
        &owner,
        "POST",
        &format!("/_api/admin/history/{first}/restore"),
        None,
    );
    assert_eq!(st, 200);
    assert!(curl(&s, &anon, "GET", "/v", None).1.ends_with("one"));

    // node_modules is read-only; paths are checked; rename and delete work.
    assert_eq!(
        curl(
            &s,
            &owner,
            "PUT",
            "/_api/admin/files/node_modules/x/index.js",
            Some("1")
        )
        .0,
        403
    );
    assert_eq!(
        curl(&s, &owner, "PUT", "/_api/admin/files/a/%2E%2E/b", Some("1")).0,
        400
    );
    assert_eq!(
        curl(
            &s,
            &owner,
            "PUT",
            "/_api/admin/files/views/a.ejs",
            Some("<%= 1 %>")
        )
        .0,
        200
    );
    let (st, _) = curl(
        &s,
        &owner,
        "POST",
        "/_api/admin/rename",
        Some(r#"{"from":"views/a.ejs","to":"views/b.ejs"}"#),
    );
    assert_eq!(st, 200);
    assert_eq!(
        curl(&s, &owner, "GET", "/_api/admin/files/views/a.ejs", None).0,
        404
    );
    assert_eq!(
        curl(&s, &owner, "DELETE", "/_api/admin/files/views/b.ejs", None).0,
        204
    );

    // SQL as the owner: columns in statement order.
    let (st, out) = curl(
        &s,
        &owner,
        "POST",
        "/_api/admin/sql",
        Some(r#"{"sql":"SELECT 2 AS b, 1 AS a"}"#),
    );
    assert_eq!(st, 200);
    assert!(out.contains(r#""columns":["b","a"]"#), "{out}");
    assert!(out.contains(r#""rows":[[2,1]]"#), "{out}");

    // People: change a role, reset a password (ends the user's sessions); preview as the
    // user is read-only and bound to them (pat has no permission on _hbf_users).
    let grant = r#"{"role":"user","table":"notes","select":true,"delete":true}"#;
    assert_eq!(
        curl(&s, &owner, "POST", "/_api/permissions", Some(grant)).0,
        201
    );
    let (st, _) = curl(
        &s,
        &owner,
        "PATCH",
        "/_api/users/1",
        Some(r#"{"role":"user"}"#),
    );
    assert_eq!(st, 400, "no changing one's own role");
    let (st, _) = curl(
        &s,
        &owner,
        "PATCH",
        "/_api/users/2",
        Some(r#"{"password":"a new password"}"#),
    );
    assert_eq!(st, 200);
    assert_eq!(
        curl(&s, &user, "GET", "/_api/auth/me", None).0,
        401,
        "sessions ended"
    );
    login(&user, "pat", "a new password");
    let (st, _) = curl(
        &s,
        &owner,
        "PATCH",
        "/_api/users/2",
        Some(r#"{"role":"admin"}"#),
    );
    assert_eq!(st, 200);
    assert_eq!(
        curl(&s, &user, "GET", "/_api/admin/tables", None).0,
        200,
        "now an admin"
    );
    let (st, _) = curl(
        &s,
        &owner,
        "PATCH",
        "/_api/users/2",
        Some(r#"{"role":"user"}"#),
    );
    assert_eq!(st, 200);
    assert_eq!(curl(&s, &user, "GET", "/_api/admin/tables", None).0, 403);
    let (st, out) = curl(
        &s,
        &owner,
        "POST",
        "/_api/admin/preview",
        Some(r#"{"user_id":2,"sql":"DELETE FROM notes"}"#),
    );
    assert_eq!(st, 400, "{out}");
    assert!(out.contains("read-only"), "{out}");
    let (st, _) = curl(
        &s,
        &owner,
        "POST",
        "/_api/admin/preview",
        Some(r#"{"user_id":2,"sql":"SELECT username FROM _hbf_users"}"#),
    );
    assert_eq!(st, 400, "pat may not read the users table");
    let (st, _) = curl(
        &s,
        &owner,
        "POST",
        "/_api/admin/sql",
        Some(r#"{"sql":"DELETE FROM notes"}"#),
    );
    assert_eq!(
        st, 200,
        "the owner binding (writes allowed) is back after a preview"
    );

    // The route table knows the admin endpoints (OpenAPI lists them).
    let (_, api) = curl(&s, &anon, "GET", "/_api/openapi.json", None);
    assert!(api.contains("/_api/admin/files/{path}"));
}

#[test]
fn browser_e2e() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<&str> = [
        (!Path::new(&chromium).exists()).then_some("chromium (apt-get install chromium)"),
        (!root.join("admin/node_modules/playwright-core").exists())
            .then_some("playwright-core (scripts/install-deps.sh)"),
        (!cfg!(feature = "admin")).then_some("the `admin` cargo feature"),
        Command::new("node")
            .arg("--version")
            .output()
            .is_err()
            .then_some("node"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED browser_e2e: missing {}", missing.join(", "));
        return;
    }
    let s = serve();
    let mut cmd = Command::new("node");
    cmd.arg("test/e2e.mjs")
        .current_dir(root.join("admin"))
        .env("HBF_URL", &s.url)
        .env("HBF_TOKEN", &s.token)
        .env("CHROMIUM", &chromium);
    if let Ok(dir) = std::env::var("HBF_ADMIN_SHOTS") {
        cmd.env("HBF_SHOTS", dir);
    }
    let mut child = cmd.spawn().expect("run node");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait node") {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("browser test took over 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "admin/test/e2e.mjs failed (its output is above)"
    );
}
