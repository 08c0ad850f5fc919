//! Users, sessions, permissions and row policies end to end: a real server, real henv files,
//! real HTTP. The SQL-level versions of the permission matrix and bypass suite are the unit
//! tests of `db::authz`; here the same attacks go through `db` in server.js and through the
//! data API.

mod common;

use common::apps::{put_file, start_app_server, AppServer};
use common::{Resp, TempDir};
use hbf::auth::{self, base64url, jwt};
use hbf::henv;
use rusqlite::Connection;
use serde_json::{json, Value};

type App = AppServer;

/// A test app: the routes below plus whatever `extra` adds, over tables `notes` (row policy:
/// users see and write their own), `permitted` and `forbidden`, and four accounts.
const SERVER_JS: &str = r#"
const express = require('express');
const db = require('hbf:db');
const auth = require('hbf:auth');
db.execute(`CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, owner_id INTEGER, body TEXT NOT NULL DEFAULT '')`);
db.execute(`CREATE TABLE IF NOT EXISTS permitted (id INTEGER PRIMARY KEY, v TEXT)`);
db.execute(`CREATE TABLE IF NOT EXISTS forbidden (id INTEGER PRIMARY KEY, v TEXT)`);
const app = express();
app.use(express.json());
app.get('/whoami', (req, res) => res.json({ user: req.user }));
// Runs any SQL as the request's user through `db` (or db.system with ?system=1).
app.post('/sql', (req, res) => {
  const handle = req.query.system ? db.system : db;
  try {
    const rows = handle.query(req.body.sql, req.body.params || []);
    res.json({ ok: true, rows });
  } catch (e) {
    res.status(403).json({ ok: false, error: String(e.message || e) });
  }
});
app.post('/exec', (req, res) => {
  try {
    res.json({ ok: true, result: db.execute(req.body.sql, req.body.params || []) });
  } catch (e) {
    res.status(403).json({ ok: false, error: String(e.message || e) });
  }
});
app.get('/private', auth.requireUser(), (req, res) => res.json({ hello: req.user.username }));
app.get('/admin-only', auth.requireRole('admin'), (req, res) => res.json({ ok: true }));
app.post('/hash', (req, res) => {
  const h = auth.hashPassword(req.body.password);
  res.json({ hash: h, ok: auth.verifyPassword(req.body.password, h), bad: auth.verifyPassword('nope', h) });
});
app.post('/session-for/:id', (req, res) => res.json(auth.createSession(Number(req.params.id))));
app.post('/form', (req, res) => res.json({ posted: true, user: req.user && req.user.username }));
module.exports = app;
"#;

fn henv_conn(app: &App) -> Connection {
    henv::open_henv(app.dir.path(), "localhost").unwrap().0
}

/// Cheap Argon2 parameters for tests that do not measure cost.
fn fast_settings(conn: &Connection) -> auth::AuthSettings {
    conn.execute(
        "UPDATE _hbf_config SET value = '{\"m_kib\":256,\"t\":1,\"p\":1}' WHERE key = 'auth_argon2'",
        [],
    )
    .unwrap();
    auth::AuthSettings::load(conn).unwrap()
}

fn start(setup: impl FnOnce(&Connection)) -> App {
    let dir = TempDir::new("auth");
    put_file(dir.path(), "server.js", SERVER_JS.as_bytes());
    {
        let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
        let s = fast_settings(&conn);
        // Login buckets are per process, and every test here uses the same henv and client
        // IP: generous limits, except where a test sets its own.
        conn.execute(
            "UPDATE _hbf_config SET value = '{\"ip_burst\":100000,\"ip_per_minute\":100000,\"user_burst\":1000,\"user_per_minute\":1000}' WHERE key = 'auth_rate_limit'",
            [],
        )
        .unwrap();
        for (name, role) in [
            ("olivia", "owner"),
            ("adam", "admin"),
            ("ulla", "user"),
            ("uwe", "user"),
        ] {
            auth::create_user(&conn, &s, name, &format!("password-of-{name}"), None, role).unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, owner_id INTEGER, body TEXT NOT NULL DEFAULT '');
             CREATE TABLE IF NOT EXISTS permitted (id INTEGER PRIMARY KEY, v TEXT);
             CREATE TABLE IF NOT EXISTS forbidden (id INTEGER PRIMARY KEY, v TEXT);
             INSERT INTO notes (owner_id, body) VALUES (3, 'ulla-1'), (4, 'uwe-secret'), (3, 'ulla-2');
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES
               ('notes', 's', 'user', 'SELECT', 'owner_id = hbf_user_id()'),
               ('notes', 'i', 'user', 'INSERT', 'owner_id = hbf_user_id()'),
               ('notes', 'u', 'user', 'UPDATE', 'owner_id = hbf_user_id()'),
               ('notes', 'd', 'user', 'DELETE', 'owner_id = hbf_user_id()');
             INSERT INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete) VALUES
               ('user', 'notes', 1, 1, 1, 1),
               ('user', 'permitted', 1, 1, 1, 1),
               ('anon', 'permitted', 1, 0, 0, 0);",
        )
        .unwrap();
        setup(&conn);
    }
    start_app_server(dir, true, |_| {})
}

impl App {
    fn json(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b));
        }
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        self.request(method, path, &headers, &body)
    }

    fn login(&self, user: &str) -> String {
        let r = self.json(
            "POST",
            "/_api/auth/login",
            None,
            &json!({"username": user, "password": format!("password-of-{user}")}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["token"].as_str().unwrap().to_owned()
    }

    fn me(&self, token: &str) -> u16 {
        self.json("GET", "/_api/auth/me", Some(token), &Value::Null)
            .status
    }
}

#[test]
fn register_login_me_logout() {
    let app = start(|_| {});
    let r = app.json(
        "POST",
        "/_api/auth/register",
        None,
        &json!({"username": "Newbie", "password": "long enough pw"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["user"]["username"], "newbie");
    assert_eq!(v["user"]["role"], "user");
    assert!(v["expires_at"].as_i64().unwrap() > 0);
    let token = v["token"].as_str().unwrap().to_owned();
    let me = app.json("GET", "/_api/auth/me", Some(&token), &Value::Null);
    assert_eq!(me.json()["user"]["username"], "newbie");
    // The same under /_api/auth, and req.user in the app.
    assert_eq!(
        app.json("GET", "/_api/auth/me", Some(&token), &Value::Null)
            .status,
        200
    );
    assert_eq!(
        app.json("GET", "/whoami", Some(&token), &Value::Null)
            .json()["user"]["username"],
        "newbie"
    );
    assert_eq!(
        app.json("GET", "/whoami", None, &Value::Null).json()["user"],
        Value::Null
    );
    // Taken, too short.
    assert_eq!(
        app.json(
            "POST",
            "/_api/auth/register",
            None,
            &json!({"username": "newbie", "password": "long enough pw"})
        )
        .status,
        400
    );
    assert_eq!(
        app.json(
            "POST",
            "/_api/auth/register",
            None,
            &json!({"username": "other", "password": "short"})
        )
        .status,
        400
    );
    // Uniform login errors: wrong password and unknown user look the same.
    let wrong = app.json(
        "POST",
        "/_api/auth/login",
        None,
        &json!({"username": "newbie", "password": "wrong password"}),
    );
    let unknown = app.json(
        "POST",
        "/_api/auth/login",
        None,
        &json!({"username": "nobody", "password": "wrong password"}),
    );
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.body, unknown.body);
    // Logout revokes the token.
    assert_eq!(
        app.json("POST", "/_api/auth/logout", Some(&token), &Value::Null)
            .status,
        204
    );
    assert_eq!(app.me(&token), 401);
    // Disabled users cannot log in, and their sessions stop working.
    let t2 = app.login("uwe");
    henv_conn(&app)
        .execute(
            "UPDATE _hbf_users SET enabled = 0 WHERE username = 'uwe'",
            [],
        )
        .unwrap();
    assert_eq!(app.me(&t2), 401);
    let r = app.json(
        "POST",
        "/_api/auth/login",
        None,
        &json!({"username": "uwe", "password": "password-of-uwe"}),
    );
    assert_eq!((r.status, r.body.clone()), (401, wrong.body.clone()));
    // Registration can be closed per henv.
    henv_conn(&app)
        .execute(
            "UPDATE _hbf_config SET value = 'false' WHERE key = 'auth_registration_open'",
            [],
        )
        .unwrap();
    assert_eq!(
        app.json(
            "POST",
            "/_api/auth/register",
            None,
            &json!({"username": "late", "password": "long enough pw"})
        )
        .status,
        403
    );
}

#[test]
fn jwt_tamper_suite_over_http() {
    let app = start(|_| {});
    let good = app.login("ulla");
    assert_eq!(app.me(&good), 200);
    let key: Vec<u8> = henv_conn(&app)
        .query_row(
            "SELECT value FROM _hbf_secrets WHERE name = 'jwt_hs256'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let claims: jwt::Claims =
        serde_json::from_slice(&base64url::decode(parts[1]).unwrap()).unwrap();
    // alg none (empty signature and original signature).
    let none = base64url::encode(br#"{"alg":"none","typ":"JWT"}"#);
    assert_eq!(app.me(&format!("{none}.{}.", parts[1])), 401);
    assert_eq!(app.me(&format!("{none}.{}.{}", parts[1], parts[2])), 401);
    // Algorithm confusion: HS384/RS256 headers over the same payload and signature.
    for alg in ["HS384", "RS256", "ES256"] {
        let h = base64url::encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
        assert_eq!(
            app.me(&format!("{h}.{}.{}", parts[1], parts[2])),
            401,
            "{alg}"
        );
    }
    // Modified payload: another user, another role.
    let mut evil = claims.clone();
    evil.sub = "1".into();
    evil.role = "owner".into();
    let evil_p = base64url::encode(&serde_json::to_vec(&evil).unwrap());
    assert_eq!(app.me(&format!("{}.{evil_p}.{}", parts[0], parts[2])), 401);
    // Wrong key.
    assert_eq!(
        app.me(&jwt::sign(&claims, b"some other key of thirty-two byte").unwrap()),
        401
    );
    // Correctly signed but expired / not yet valid / for another henv / never issued.
    let now = claims.iat;
    let mut c = claims.clone();
    c.exp = now - 3600;
    assert_eq!(app.me(&jwt::sign(&c, &key).unwrap()), 401);
    let mut c = claims.clone();
    c.nbf = now + 3600;
    c.iat = now + 3600;
    assert_eq!(app.me(&jwt::sign(&c, &key).unwrap()), 401);
    let mut c = claims.clone();
    c.henv = "zzzzzzzz".into();
    assert_eq!(app.me(&jwt::sign(&c, &key).unwrap()), 401);
    let mut c = claims.clone();
    c.jti = "forged".into();
    assert_eq!(
        app.me(&jwt::sign(&c, &key).unwrap()),
        401,
        "valid signature but no session row"
    );
    // Revoked.
    assert_eq!(app.me(&good), 200);
    assert_eq!(
        app.json("POST", "/_api/auth/logout", Some(&good), &Value::Null)
            .status,
        204
    );
    assert_eq!(app.me(&good), 401);
    // A bad token on an app route is simply anonymous.
    assert_eq!(
        app.json("GET", "/private", Some(&good), &Value::Null)
            .status,
        401
    );
}

fn cookies(r: &Resp) -> (String, String) {
    let all = r.header_all("set-cookie");
    let find = |name: &str| {
        all.iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.to_string())
            .unwrap_or_else(|| panic!("no {name} cookie in {all:?}"))
    };
    (find("hbf_session"), find("hbf_csrf"))
}

#[test]
fn cookie_session_and_csrf() {
    let app = start(|_| {});
    let r = app.json(
        "POST",
        "/_api/auth/login",
        None,
        &json!({"username": "ulla", "password": "password-of-ulla"}),
    );
    let (session, csrf) = cookies(&r);
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain HTTP: no Secure flag");
    assert!(
        !csrf.contains("HttpOnly"),
        "the CSRF cookie is for the page's JavaScript"
    );
    let value = |c: &str| c.split(';').next().unwrap().to_owned();
    let cookie = format!("{}; {}", value(&session), value(&csrf));
    let csrf_token = value(&csrf).split_once('=').unwrap().1.to_owned();
    // Safe methods work with the cookie alone.
    let me = app.request("GET", "/_api/auth/me", &[("Cookie", &cookie)], b"");
    assert_eq!(me.json()["user"]["username"], "ulla");
    let body = br#"{"v":"x"}"#;
    let post = |extra: &[(&str, &str)]| {
        let mut h = vec![
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/json"),
        ];
        h.extend_from_slice(extra);
        app.request("POST", "/_api/tables/permitted", &h, body)
    };
    // Cookie + unsafe method without proof: refused, on the data API and on app routes.
    assert_eq!(post(&[]).status, 403);
    assert_eq!(post(&[("Origin", "http://evil.example")]).status, 403);
    assert_eq!(post(&[("X-CSRF-Token", "guess")]).status, 403);
    let form = app.request(
        "POST",
        "/form",
        &[("Cookie", &cookie), ("Origin", "http://evil.example")],
        b"",
    );
    assert_eq!(form.status, 403);
    // Same origin, or the double-submit token: accepted.
    assert_eq!(post(&[("Origin", "http://localhost")]).status, 201);
    assert_eq!(post(&[("X-CSRF-Token", &csrf_token)]).status, 201);
    assert_eq!(post(&[("Referer", "http://localhost/page")]).status, 201);
    let form = app.request(
        "POST",
        "/form",
        &[("Cookie", &cookie), ("Origin", "http://localhost")],
        b"",
    );
    assert_eq!(form.json()["user"], "ulla");
    // Logout clears the cookies and revokes the session.
    let out = app.request(
        "POST",
        "/_api/auth/logout",
        &[("Cookie", &cookie), ("Origin", "http://localhost")],
        b"",
    );
    assert_eq!(out.status, 204);
    assert!(out
        .header_all("set-cookie")
        .iter()
        .any(|c| c.starts_with("hbf_session=;")));
    assert_eq!(
        app.request("GET", "/_api/auth/me", &[("Cookie", &cookie)], b"")
            .status,
        401
    );
}

#[test]
fn login_attempts_are_rate_limited() {
    let app = start(|c| {
        c.execute(
            "UPDATE _hbf_config SET value = '{\"ip_burst\":100000,\"ip_per_minute\":100000,\"user_burst\":3,\"user_per_minute\":1}' WHERE key = 'auth_rate_limit'",
            [],
        )
        .unwrap();
        let s = auth::AuthSettings::load(c).unwrap();
        auth::create_user(c, &s, "rita", "password-of-rita", None, "user").unwrap();
    });
    let attempt = |pw: &str| {
        app.json(
            "POST",
            "/_api/auth/login",
            None,
            &json!({"username": "rita", "password": pw}),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong").status, 401);
    }
    let limited = attempt("password-of-rita");
    assert_eq!(limited.status, 429, "even the right password waits");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another username is not affected by rita's bucket.
    assert!(app.login("olivia").len() > 10);
}

/// Every role × every operation × a permitted and a forbidden table, through `db` (server.js)
/// and through the data API. Owner and admin may do everything; `user` everything on
/// `permitted` and nothing on `forbidden`; `anon` only SELECT on `permitted`.
#[test]
fn permission_matrix() {
    let app = start(|_| {});
    let tokens: Vec<(&str, Option<String>)> = vec![
        ("owner", Some(app.login("olivia"))),
        ("admin", Some(app.login("adam"))),
        ("user", Some(app.login("ulla"))),
        ("anon", None),
    ];
    let mut next_id = 100;
    for (role, token) in &tokens {
        for table in ["permitted", "forbidden"] {
            let expect = |op: &str| match (*role, table) {
                ("owner" | "admin", _) => true,
                ("user", "permitted") => true,
                ("anon", "permitted") => op == "select",
                _ => false,
            };
            // Seed a row to update/delete, as the owner's handle would.
            next_id += 2;
            let id = next_id;
            henv_conn(&app)
                .execute(
                    &format!("INSERT INTO {table} (id, v) VALUES (?1, 'seed'), (?1 + 1, 'seed')"),
                    [id],
                )
                .unwrap();
            let t = token.as_deref();
            // Through db in server.js.
            let via_db = |sql: String| {
                let route = if sql.starts_with("SELECT") {
                    "/sql"
                } else {
                    "/exec"
                };
                app.json("POST", route, t, &json!({"sql": sql})).status == 200
            };
            let ops = [
                ("select", format!("SELECT * FROM {table}")),
                ("insert", format!("INSERT INTO {table} (v) VALUES ('db')")),
                (
                    "update",
                    format!("UPDATE {table} SET v = 'db' WHERE id = {id}"),
                ),
                ("delete", format!("DELETE FROM {table} WHERE id = {id}")),
            ];
            for (op, sql) in ops {
                assert_eq!(via_db(sql), expect(op), "db: {role} {op} {table}");
            }
            // Through the data API.
            let api =
                |method: &str, path: String, body: Value| app.json(method, &path, t, &body).status;
            let ok = |s: u16| (200..300).contains(&s);
            assert_eq!(
                ok(api("GET", format!("/_api/tables/{table}"), Value::Null)),
                expect("select"),
                "api: {role} select {table}"
            );
            assert_eq!(
                ok(api(
                    "POST",
                    format!("/_api/tables/{table}"),
                    json!({"v": "api"})
                )),
                expect("insert"),
                "api: {role} insert {table}"
            );
            assert_eq!(
                ok(api(
                    "PATCH",
                    format!("/_api/tables/{table}/{}", id + 1),
                    json!({"v": "api"})
                )),
                expect("update"),
                "api: {role} update {table}"
            );
            assert_eq!(
                ok(api(
                    "DELETE",
                    format!("/_api/tables/{table}/{}", id + 1),
                    Value::Null
                )),
                expect("delete"),
                "api: {role} delete {table}"
            );
        }
    }
}

/// As `ulla` (user 3), try to read `uwe`'s (user 4) notes every way SQL allows.
#[test]
fn bypass_suite_through_db_and_api() {
    let app = start(|c| {
        c.execute_batch("CREATE VIEW IF NOT EXISTS notes_view AS SELECT * FROM notes")
            .unwrap();
    });
    let t = app.login("ulla");
    let attempts = [
        "SELECT body FROM notes",
        "SELECT body FROM main.notes",
        "SELECT count(*) AS n FROM main.notes",
        "SELECT a.body FROM notes a JOIN main.notes b ON b.id = a.id",
        "SELECT b.body FROM notes a JOIN main.notes b ON 1",
        "SELECT body FROM notes WHERE id IN (SELECT id FROM main.notes)",
        "SELECT (SELECT group_concat(body) FROM main.notes) AS body",
        "WITH notes AS (SELECT * FROM main.notes) SELECT body FROM notes",
        "WITH x AS (SELECT * FROM main.notes) SELECT body FROM x",
        "SELECT body FROM notes UNION SELECT body FROM main.notes",
        "SELECT body FROM notes_view",
        "SELECT body FROM temp.notes",
        "CREATE VIEW mine AS SELECT * FROM main.notes",
        "CREATE TEMP VIEW mine AS SELECT * FROM main.notes",
        "CREATE TEMP TRIGGER t AFTER INSERT ON permitted BEGIN INSERT INTO permitted (v) SELECT body FROM main.notes; END",
        "CREATE TRIGGER t AFTER INSERT ON permitted BEGIN INSERT INTO permitted (v) SELECT body FROM main.notes; END",
        "SELECT sql AS body FROM sqlite_master",
        "SELECT sql AS body FROM sqlite_temp_master",
        "SELECT password_hash AS body FROM _hbf_users",
        "SELECT username AS body FROM _hbf_users",
        "SELECT value AS body FROM _hbf_secrets",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA table_list",
        "PRAGMA writable_schema = ON",
        "SELECT name AS body FROM pragma_table_list",
        "EXPLAIN SELECT body FROM notes",
        "UPDATE notes SET owner_id = 3 WHERE owner_id = 4",
        "DELETE FROM main.notes WHERE owner_id = 4",
        "INSERT INTO notes (owner_id, body) VALUES (4, 'planted')",
        "INSERT INTO notes (owner_id, body) SELECT 3, body FROM main.notes",
    ];
    for sql in attempts {
        let r = app.json("POST", "/sql", Some(&t), &json!({"sql": sql}));
        let v = r.json();
        if v["ok"] == true {
            let text = v["rows"].to_string();
            assert!(
                !text.contains("uwe-secret")
                    && !text.contains("argon2")
                    && !text.contains("CREATE"),
                "{sql} leaked {text}"
            );
            assert!(
                !text.contains("\"n\":3"),
                "{sql} counted other rows: {text}"
            );
        }
    }
    // Injected SQL in a parameter is data.
    let r = app.json(
        "POST",
        "/sql",
        Some(&t),
        &json!({"sql": "SELECT body FROM notes WHERE body = ?", "params": ["' OR 1=1 UNION SELECT body FROM main.notes --"]}),
    );
    assert_eq!(r.json()["rows"], json!([]));
    // The data API: filters and ids cannot reach other rows either.
    let list = app
        .json(
            "GET",
            "/_api/tables/notes?owner_id=4",
            Some(&t),
            &Value::Null,
        )
        .json();
    assert_eq!(list["data"], json!([]));
    let all = app
        .json(
            "GET",
            "/_api/tables/notes?_sort=-id",
            Some(&t),
            &Value::Null,
        )
        .json();
    assert_eq!(all["data"].as_array().unwrap().len(), 2, "{all}");
    assert_eq!(
        app.json("GET", "/_api/tables/notes/2", Some(&t), &Value::Null)
            .status,
        404
    );
    assert_eq!(
        app.json(
            "PATCH",
            "/_api/tables/notes/2",
            Some(&t),
            &json!({"body": "x"})
        )
        .status,
        404
    );
    assert_eq!(
        app.json("DELETE", "/_api/tables/notes/2", Some(&t), &Value::Null)
            .status,
        404
    );
    assert_eq!(
        app.json(
            "POST",
            "/_api/tables/notes",
            Some(&t),
            &json!({"owner_id": 4, "body": "x"})
        )
        .status,
        403
    );
    assert_eq!(
        app.json(
            "GET",
            "/_api/tables/notes?owner_id=4%20OR%201=1",
            Some(&t),
            &Value::Null
        )
        .json()["data"],
        json!([])
    );
    assert_eq!(
        app.json(
            "GET",
            "/_api/tables/notes?_sort=body;DROP",
            Some(&t),
            &Value::Null
        )
        .status,
        400
    );
    assert_eq!(
        app.json("GET", "/_api/tables/_hbf_users", Some(&t), &Value::Null)
            .status,
        404
    );
    assert_eq!(
        app.json("GET", "/_api/tables/sqlite_master", Some(&t), &Value::Null)
            .status,
        404
    );
    // Nothing of uwe's changed, nothing leaked into tables.
    let conn = henv_conn(&app);
    let uwe: String = conn
        .query_row(
            "SELECT group_concat(body) FROM notes WHERE owner_id = 4",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(uwe, "uwe-secret");
    let planted: i64 = conn
        .query_row(
            "SELECT count(*) FROM permitted WHERE v = 'uwe-secret'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(planted, 0);
    // And ulla's own notes work normally through db.
    let r = app.json(
        "POST",
        "/exec",
        Some(&t),
        &json!({"sql": "INSERT INTO notes (owner_id, body) VALUES (3, 'ulla-3')"}),
    );
    assert_eq!(r.json()["result"]["rows_affected"], 1, "{}", r.text());
    assert_eq!(r.json()["result"]["last_insert_id"], 4);
}

#[test]
fn system_handle_and_hbf_auth_module() {
    let app = start(|_| {});
    let t = app.login("ulla");
    let sys = |sql: &str| {
        app.json("POST", "/sql?system=1", Some(&t), &json!({"sql": sql}))
            .json()
    };
    let users = sys("SELECT username, password_hash FROM _hbf_users ORDER BY id");
    assert_eq!(
        users["rows"][0],
        json!({"username": "olivia", "password_hash": null})
    );
    assert_eq!(sys("SELECT count(*) AS n FROM notes")["rows"][0]["n"], 3);
    assert_eq!(sys("SELECT value FROM _hbf_secrets")["ok"], false);
    assert_eq!(sys("ATTACH DATABASE ':memory:' AS x")["ok"], false);
    assert_eq!(sys("CREATE TABLE during_request (x)")["ok"], false);
    // hbf:auth
    let h = app
        .json("POST", "/hash", None, &json!({"password": "s3cret-pass"}))
        .json();
    assert!(h["hash"].as_str().unwrap().starts_with("$argon2id$"), "{h}");
    assert_eq!(
        (h["ok"].clone(), h["bad"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(app.json("GET", "/private", None, &Value::Null).status, 401);
    assert_eq!(
        app.json("GET", "/private", Some(&t), &Value::Null).json()["hello"],
        "ulla"
    );
    assert_eq!(
        app.json("GET", "/admin-only", Some(&t), &Value::Null)
            .status,
        403
    );
    let admin = app.login("adam");
    assert_eq!(
        app.json("GET", "/admin-only", Some(&admin), &Value::Null)
            .status,
        200
    );
    let s = app
        .json("POST", "/session-for/4", None, &Value::Null)
        .json();
    let token = s["token"].as_str().unwrap();
    assert_eq!(
        app.json("GET", "/_api/auth/me", Some(token), &Value::Null)
            .json()["user"]["username"],
        "uwe"
    );
}

#[test]
fn admin_api_is_audited_and_takes_effect() {
    let app = start(|_| {});
    let user = app.login("ulla");
    let admin = app.login("adam");
    assert_eq!(
        app.json("GET", "/_api/users", None, &Value::Null).status,
        401
    );
    assert_eq!(
        app.json("GET", "/_api/users", Some(&user), &Value::Null)
            .status,
        403
    );
    assert_eq!(
        app.json("GET", "/_api/audit", Some(&user), &Value::Null)
            .status,
        403
    );
    let users = app
        .json("GET", "/_api/users", Some(&admin), &Value::Null)
        .json();
    assert_eq!(users["data"].as_array().unwrap().len(), 4);
    assert!(!users.to_string().contains("argon2"));
    // Create a user; an admin cannot create owners.
    let r = app.json(
        "POST",
        "/_api/users",
        Some(&admin),
        &json!({"username": "carl", "password": "carl password"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let carl = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.json(
            "POST",
            "/_api/users",
            Some(&admin),
            &json!({"username": "boss", "password": "boss password", "role": "owner"})
        )
        .status,
        403
    );
    // Grant `forbidden` to users: ulla can read it at once.
    let sel = |tok: &str| {
        app.json(
            "POST",
            "/sql",
            Some(tok),
            &json!({"sql": "SELECT * FROM forbidden"}),
        )
        .status
    };
    assert_eq!(sel(&user), 403);
    let r = app.json(
        "POST",
        "/_api/permissions",
        Some(&admin),
        &json!({"role": "user", "table": "forbidden", "select": true}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let perm = r.json()["id"].as_i64().unwrap();
    assert_eq!(sel(&user), 200);
    assert_eq!(
        app.json(
            "DELETE",
            &format!("/_api/permissions/{perm}"),
            Some(&admin),
            &Value::Null
        )
        .status,
        204
    );
    assert_eq!(sel(&user), 403);
    // A policy: users see only rows with v = 'shared' of `permitted`.
    henv_conn(&app)
        .execute(
            "INSERT INTO permitted (v) VALUES ('shared'), ('hidden')",
            [],
        )
        .unwrap();
    let bad = app.json("POST", "/_api/policies", Some(&admin), &json!({"table": "permitted", "name": "p", "role": "user", "operation": "SELECT", "condition": "1) OR (1"}));
    assert_eq!(bad.status, 400);
    let r = app.json("POST", "/_api/policies", Some(&admin), &json!({"table": "permitted", "name": "shared-only", "role": "user", "operation": "SELECT", "condition": "v = 'shared'"}));
    assert_eq!(r.status, 201, "{}", r.text());
    let rows = app
        .json(
            "POST",
            "/sql",
            Some(&user),
            &json!({"sql": "SELECT v FROM permitted"}),
        )
        .json();
    assert_eq!(rows["rows"], json!([{"v": "shared"}]));
    let policy = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.json("GET", "/_api/policies", Some(&admin), &Value::Null)
            .json()["data"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        app.json(
            "DELETE",
            &format!("/_api/policies/{policy}"),
            Some(&admin),
            &Value::Null
        )
        .status,
        204
    );
    assert_eq!(
        app.json(
            "DELETE",
            &format!("/_api/users/{carl}"),
            Some(&admin),
            &Value::Null
        )
        .status,
        204
    );
    // Every admin action is in the audit log, newest first.
    let audit = app
        .json("GET", "/_api/audit?limit=50", Some(&admin), &Value::Null)
        .json();
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "user.create",
        "permission.grant",
        "permission.revoke",
        "policy.create",
        "policy.delete",
        "user.delete",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[test]
fn root_aliases_are_opt_in_and_never_take_an_apps_routes() {
    // Default: /login belongs to the app (here: no such route, so the app's 404).
    let app = start(|_| {});
    let creds = json!({"username": "ulla", "password": "password-of-ulla"});
    assert_eq!(app.json("POST", "/login", None, &creds).status, 404);
    assert_eq!(
        app.json("POST", "/_api/auth/login", None, &creds).status,
        200
    );
    // Opted in: HBF answers /login when the app's router matches nothing there...
    let app = start(|c| {
        c.execute(
            "INSERT INTO _hbf_config (key, value) VALUES ('auth_root_aliases', 'true')",
            [],
        )
        .unwrap();
    });
    let r = app.json("POST", "/login", None, &creds);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.has_header("x-hbf-unmatched"));
    assert_eq!(
        app.json("GET", "/nothing-here", None, &Value::Null).status,
        404
    );
    assert!(!app.get("/nothing-here").has_header("x-hbf-unmatched"));
    // ...and an app that defines its own /login keeps it.
    put_file(
        app.dir.path(),
        "server.js",
        b"const app = require('express')(); app.post('/login', (req, res) => res.send('app login')); module.exports = app;",
    );
    std::thread::sleep(std::time::Duration::from_millis(150));
    let mut text = String::new();
    for _ in 0..20 {
        text = app.json("POST", "/login", None, &creds).text();
        if text == "app login" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(text, "app login");
}
