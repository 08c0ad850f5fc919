//! A documents test henv: a real server over a henv with accounts olivia (owner), ulla and
//! uwe (users), an owner token, and request helpers.

use super::apps::{put_file, start_app_server, AppServer};
use super::{Resp, TempDir};
use hbf::auth;
use hbf::db::authz::{Authz, Principal};
use hbf::docs::{Docs, Limits};
use hbf::henv;
use rusqlite::Connection;
use serde_json::{json, Value};

pub struct App {
    pub app: AppServer,
    pub owner: String,
}

pub fn henv_conn(dir: &std::path::Path) -> Connection {
    henv::open_henv(dir, "localhost").unwrap().0
}

/// A henv with accounts olivia (owner), ulla and uwe (users); `setup` runs on it first;
/// `server_js` is installed if given.
pub fn start(server_js: Option<&str>, setup: impl FnOnce(&Connection)) -> App {
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

pub fn login(app: &AppServer, user: &str) -> String {
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
    pub fn req(
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
    pub fn put(&self, id: &str, ty: &str, body: &[u8]) -> Resp {
        self.req(
            Some(&self.owner),
            "PUT",
            &format!("/_api/documents/{id}"),
            &[("Content-Type", ty)],
            body,
        )
    }
    pub fn get(&self, path: &str) -> Resp {
        self.req(Some(&self.owner), "GET", path, &[], b"")
    }
    pub fn json(&self, method: &str, path: &str, body: &Value) -> Resp {
        self.req(
            Some(&self.owner),
            method,
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }
}

pub fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs `f` with the documents of the henv in `dir` on a connection of its own, as the owner.
pub fn as_owner<T>(dir: &std::path::Path, f: impl FnOnce(&Docs<'_>) -> T) -> T {
    let mut conn = henv_conn(dir);
    let authz = Authz::install(&mut conn).unwrap();
    let docs = Docs {
        conn: &conn,
        authz: &authz,
        principal: Principal::System { startup: false },
        limits: Limits::default(),
    };
    f(&docs)
}
