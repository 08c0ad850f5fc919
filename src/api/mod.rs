//! The HTTP endpoints HBF answers itself for every henv app, on the worker, before the app's
//! server.js sees the request: who the caller is (Bearer token or session cookie, with the
//! CSRF rule for cookies), the auth endpoints (`/_api/auth/{register,login,logout,me}`, and
//! when the henv setting `auth_root_aliases` is on, `POST /register`, `POST /login`,
//! `POST /logout`, `GET /me` for requests the app's router does not match), the generic data API (`/_api/tables/...`, run as the caller through the same
//! authorizer and policy views as `db`), and the admin API (`/_api/users`,
//! `/_api/permissions`, `/_api/policies`, `/_api/audit`; owner and admin only, every change
//! audited).
//!
//! Nothing here runs on the event loop: logins cost an Argon2id verification.
//!
//! CSRF: a request authenticated by the session cookie with an unsafe method (anything but
//! GET, HEAD, OPTIONS) must either carry an `Origin` (or, lacking it, `Referer`) of the
//! request's own origin, or an `X-CSRF-Token` header equal to the `hbf_csrf` cookie
//! (double submit). Otherwise it is refused with 403. Bearer-token requests are not subject
//! to it (browsers never add the header by themselves).
//!
//! Size: over 800 lines because it still holds several endpoint families (caller
//! identification, auth, tables, admin) beside the dispatcher; issue 18 splits it by family,
//! as `documents.rs` and `templates.rs` already are.

pub mod documents;
pub mod openapi;
pub mod routes;
pub mod templates;

use std::time::Instant;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{params, Connection};
use serde_json::{json, Map, Value as J};

use crate::auth::{self, ratelimit, session, AuthSettings, User};
use crate::db::authz::{self, Authz, AuthzError, Handle, Op, Principal};
use crate::http::{Request, Response};

/// The session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "hbf_session";
/// The CSRF double-submit cookie (readable by the page's JavaScript).
pub const CSRF_COOKIE: &str = "hbf_csrf";
/// Rows a data API list returns when `_limit` is not given, and at most.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

/// What the endpoints work with: the henv's connection (authorizer installed), its
/// authorization state and settings.
pub struct ApiEnv<'a> {
    pub conn: &'a Connection,
    pub authz: &'a Authz,
    /// The henv hash (the JWT `henv` claim).
    pub henv: &'a str,
    pub settings: &'a AuthSettings,
}

/// Who is calling.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub user: Option<User>,
    /// The token that authenticated the request.
    pub token: Option<String>,
    /// Authenticated by the session cookie (not a Bearer header).
    pub via_cookie: bool,
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.head
        .headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Identifies the caller from `Authorization: Bearer` (preferred) or the session cookie.
/// An invalid, expired or revoked token leaves the caller anonymous.
pub fn identify(env: &ApiEnv<'_>, req: &Request) -> Caller {
    let bearer = req
        .header("authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let (token, via_cookie) = match bearer {
        Some(t) => (t, false),
        None => match cookie(req, SESSION_COOKIE) {
            Some(t) if !t.is_empty() => (t, true),
            _ => return Caller::default(),
        },
    };
    let Ok(key) = session::signing_key(env.conn) else {
        return Caller::default();
    };
    match session::authenticate(env.conn, token, &key, env.henv, now()) {
        Ok(Some(user)) => Caller {
            user: Some(user),
            token: Some(token.to_owned()),
            via_cookie,
        },
        _ => Caller::default(),
    }
}

fn unsafe_method(m: &str) -> bool {
    !matches!(m, "GET" | "HEAD" | "OPTIONS")
}

/// Whether a request passes the CSRF rule (see the module docs).
pub fn csrf_ok(req: &Request, caller: &Caller) -> bool {
    if !caller.via_cookie || caller.user.is_none() || !unsafe_method(req.method()) {
        return true;
    }
    if let (Some(sent), Some(cookie)) = (req.header("x-csrf-token"), cookie(req, CSRF_COOKIE)) {
        if !cookie.is_empty() && constant_time_eq(sent.as_bytes(), cookie.as_bytes()) {
            return true;
        }
    }
    let Some(host) = req.head.host.as_deref() else {
        return false;
    };
    let own = format!("{}://{}", req.protocol(), host.to_ascii_lowercase());
    let origin = req.header("origin").map(str::to_owned).or_else(|| {
        req.header("referer").map(|r| {
            let after = r.find("://").map_or(0, |i| i + 3);
            let end = r[after..].find('/').map_or(r.len(), |i| after + i);
            r[..end].to_owned()
        })
    });
    origin.is_some_and(|o| o.to_ascii_lowercase() == own)
}

/// Byte equality in time independent of where they differ (tokens, hashes).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The header express.js puts on its final 404 (no route matched); never sent.
pub const UNMATCHED_MARKER: &str = "x-hbf-unmatched";

/// The root auth aliases (`POST /register`, `/login`, `/logout`, `GET /me`), when the henv
/// setting `auth_root_aliases` turns them on; called only after the app's router matched
/// nothing, so an app's own `/login` always wins.
pub fn handle_alias(env: &ApiEnv<'_>, req: &Request, caller: &Caller) -> Option<Response> {
    if !env.settings.root_routes {
        return None;
    }
    let path = req.path();
    match (req.method(), path) {
        ("POST", "/register" | "/login" | "/logout") | ("GET", "/me") => {
            Some(auth_endpoint(env, req, caller, &path[1..]))
        }
        _ => None,
    }
}

/// Answers the request if it is one of HBF's endpoints; `None` lets the app handle it.
pub fn handle(env: &ApiEnv<'_>, req: &Request, caller: &Caller) -> Option<Response> {
    let path = req.path();
    let method = req.method();
    if crate::admin::is_admin_path(path) {
        return Some(crate::admin::page(req, caller));
    }
    if let Some(op) = path.strip_prefix("/_api/auth/") {
        return Some(auth_endpoint(env, req, caller, op));
    }
    let rest = path.strip_prefix("/_api/")?;
    if let Some(resp) = routes::gate(method, path) {
        return Some(resp);
    }
    let mut segs = rest.split('/').filter(|s| !s.is_empty());
    let first = segs.next().unwrap_or("");
    let segs: Vec<String> = segs
        .map(|s| crate::util::percent_decode(s).unwrap_or_default())
        .collect();
    if first == "templates" {
        return templates::endpoint(env, req, caller, &segs);
    }
    Some(match first {
        "tables" => tables_endpoint(env, req, caller, &segs),
        "documents" => documents::endpoint(env, req, caller, &path["/_api/documents".len()..]),
        "openapi.json" => Response::json(200, &openapi::document()),
        "admin" => crate::admin::api(env, req, caller, &rest["admin/".len()..]),
        "users" | "permissions" | "policies" | "audit" => {
            admin_endpoint(env, req, caller, first, &segs)
        }
        _ => Response::error(404, "no such API endpoint"),
    })
}

// ---------------------------------------------------------------------------------------
// Auth endpoints

/// Request body fields: a JSON object, or an urlencoded form.
fn body_fields(req: &Request) -> Option<Map<String, J>> {
    let ct = req.header("content-type").unwrap_or("");
    if ct.starts_with("application/x-www-form-urlencoded") {
        let text = std::str::from_utf8(&req.body).ok()?;
        return Some(
            parse_query(text)
                .into_iter()
                .map(|(k, v)| (k, J::String(v)))
                .collect(),
        );
    }
    match serde_json::from_slice::<J>(&req.body) {
        Ok(J::Object(m)) => Some(m),
        _ => None,
    }
}

fn str_field<'m>(m: &'m Map<String, J>, k: &str) -> Option<&'m str> {
    m.get(k).and_then(J::as_str)
}

/// `Set-Cookie` headers for a new session (or, with `None`, clearing it).
fn session_cookies(req: &Request, session: Option<(&str, i64)>) -> Vec<(String, String)> {
    let secure = if req.secure { "; Secure" } else { "" };
    match session {
        Some((token, expires_at)) => {
            let max_age = (expires_at - now()).max(0);
            let csrf = auth::base64url::encode(&session::random_bytes(18));
            vec![
                (
                    "Set-Cookie".into(),
                    format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"),
                ),
                (
                    "Set-Cookie".into(),
                    format!("{CSRF_COOKIE}={csrf}; Path=/; Max-Age={max_age}; SameSite=Lax{secure}"),
                ),
            ]
        }
        None => vec![
            (
                "Set-Cookie".into(),
                format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"),
            ),
            (
                "Set-Cookie".into(),
                format!("{CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax{secure}"),
            ),
        ],
    }
}

fn with_headers(mut resp: Response, headers: Vec<(String, String)>) -> Response {
    resp.headers.extend(headers);
    resp
}

fn too_many(retry_after: u64) -> Response {
    Response::error(429, "too many attempts; try again later")
        .with_header("Retry-After", retry_after.to_string())
}

fn auth_endpoint(env: &ApiEnv<'_>, req: &Request, caller: &Caller, op: &str) -> Response {
    match (req.method(), op) {
        ("POST", "login") => login(env, req),
        ("POST", "register") => register(env, req),
        ("POST", "logout") => {
            if let Some(t) = &caller.token {
                let _ = session::revoke(env.conn, t);
            }
            with_headers(Response::new(204), session_cookies(req, None))
        }
        ("GET", "me") => match &caller.user {
            Some(u) => Response::json(200, &json!({ "user": u })),
            None => Response::error(401, "not signed in"),
        },
        (_, "login" | "register" | "logout") => {
            Response::error(405, "method not allowed").with_header("Allow", "POST")
        }
        (_, "me") => Response::error(405, "method not allowed").with_header("Allow", "GET"),
        _ => Response::error(404, "no such API endpoint"),
    }
}

fn issue_session(env: &ApiEnv<'_>, req: &Request, user: &User, status: u16) -> Response {
    let key = match session::signing_key(env.conn) {
        Ok(k) => k,
        Err(_) => return Response::error(500, "sessions unavailable"),
    };
    match session::create(
        env.conn,
        user,
        env.henv,
        env.settings.session_lifetime_hours,
        &key,
        now(),
    ) {
        Ok((token, expires_at)) => with_headers(
            Response::json(
                status,
                &json!({ "token": token, "expires_at": expires_at, "user": user }),
            ),
            session_cookies(req, Some((&token, expires_at))),
        ),
        Err(_) => Response::error(500, "sessions unavailable"),
    }
}

fn login(env: &ApiEnv<'_>, req: &Request) -> Response {
    let Some(fields) = body_fields(req) else {
        return Response::error(400, "expected a JSON object {username, password}");
    };
    let (Some(username), Some(password)) = (
        str_field(&fields, "username"),
        str_field(&fields, "password"),
    ) else {
        return Response::error(400, "expected a JSON object {username, password}");
    };
    let name_key = auth::normalize_username(username).unwrap_or_else(|| username.to_owned());
    let ip_key = format!("login-ip:{}:{}", env.henv, req.client_ip);
    let user_key = format!("login-user:{}:{}", env.henv, name_key);
    if let Err(wait) = ratelimit::take(
        &[
            (&ip_key, env.settings.ip_rate),
            (&user_key, env.settings.user_rate),
        ],
        Instant::now(),
    ) {
        return too_many(wait);
    }
    match auth::check_login(env.conn, env.settings, username, password) {
        Ok(user) => {
            ratelimit::reset(&user_key);
            // Expired sessions go when someone logs in (indexed on expires_at; cheap).
            let _ = session::purge_expired(env.conn, now());
            let _ = auth::audit(
                env.conn,
                env.settings,
                Some(user.id),
                "login",
                None,
                None,
                &json!({}),
            );
            issue_session(env, req, &user, 200)
        }
        Err(auth::LoginError::Invalid) => Response::error(401, "invalid username or password"),
        Err(auth::LoginError::Sqlite(_)) => Response::error(500, "login unavailable"),
    }
}

fn register(env: &ApiEnv<'_>, req: &Request) -> Response {
    if !env.settings.registration_open {
        return Response::error(403, "registration is closed");
    }
    let ip_key = format!("register-ip:{}:{}", env.henv, req.client_ip);
    if let Err(wait) = ratelimit::take(&[(&ip_key, env.settings.ip_rate)], Instant::now()) {
        return too_many(wait);
    }
    let Some(fields) = body_fields(req) else {
        return Response::error(400, "expected a JSON object {username, password}");
    };
    let (Some(username), Some(password)) = (
        str_field(&fields, "username"),
        str_field(&fields, "password"),
    ) else {
        return Response::error(400, "expected a JSON object {username, password}");
    };
    match auth::create_user(
        env.conn,
        env.settings,
        username,
        password,
        str_field(&fields, "email"),
        "user",
    ) {
        Ok(user) => {
            let _ = auth::audit(env.conn, env.settings, Some(user.id), "register", Some("_hbf_users"), Some(user.id), &json!({}));
            issue_session(env, req, &user, 201)
        }
        Err(auth::UserError::Password(e)) => Response::error(400, &e.to_string()),
        // Taken and malformed names get the same answer: no probing for accounts.
        Err(auth::UserError::Taken | auth::UserError::BadUsername) => Response::error(
            400,
            "username not available: use 3-64 characters (letters, digits, '.', '_', '-', '@') not already registered",
        ),
        Err(_) => Response::error(500, "registration unavailable"),
    }
}

// ---------------------------------------------------------------------------------------
// Data API

pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec =
                |s: &str| crate::util::percent_decode(&s.replace('+', " ")).unwrap_or_default();
            (dec(k), dec(v))
        })
        .collect()
}

pub(crate) fn sql_to_json(v: ValueRef<'_>) -> J {
    match v {
        ValueRef::Null => J::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        ValueRef::Text(t) => J::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => J::String(crate::util::base64_std(b)),
    }
}

fn json_to_sql(v: &J) -> Value {
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Integer(i64::from(*b)),
        J::Number(n) => n
            .as_i64()
            .map(Value::Integer)
            .unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0))),
        J::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// Maps a refused or failed statement to an HTTP answer.
fn sql_failure(e: &AuthzError) -> Response {
    let msg = e.to_string();
    let forbidden = matches!(e, AuthzError::Denied(_))
        || [
            "prohibited",
            "not authorized",
            "authorization denied",
            "row policy",
            "cannot modify",
        ]
        .iter()
        .any(|m| msg.contains(m));
    if forbidden {
        Response::error(403, "forbidden")
    } else if msg.contains("constraint") {
        Response::error(409, &msg)
    } else {
        Response::error(400, &msg)
    }
}

/// Runs SQL as the caller; rows as JSON objects, and (rows affected, last insert id).
fn run_as_caller(
    env: &ApiEnv<'_>,
    sql: &str,
    params: &[Value],
) -> Result<(Vec<J>, i64, i64), AuthzError> {
    let principal = env.authz.principal_for(Handle::Request);
    let (rows, wrote) = env
        .authz
        .run(env.conn, principal, sql, |st| bound_rows_json(st, params))?;
    let (n, id) = wrote.unwrap_or((env.conn.changes() as i64, None));
    Ok((rows, n, id.unwrap_or_else(|| env.conn.last_insert_rowid())))
}

fn tables_endpoint(env: &ApiEnv<'_>, req: &Request, _caller: &Caller, segs: &[String]) -> Response {
    let Some(table) = segs.first() else {
        return Response::error(404, "use /_api/tables/:table");
    };
    if segs.len() > 2 || !env.authz.is_app_table(table) {
        return Response::error(404, "no such table");
    }
    let Ok((cols, _)) = authz::table_info(env.conn, table) else {
        return Response::error(500, "cannot read the table's columns");
    };
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    let pk: Vec<&str> = cols
        .iter()
        .filter(|c| c.pk > 0)
        .map(|c| c.name.as_str())
        .collect();
    let key = match pk.as_slice() {
        [one] => authz::quote(one),
        [] => "rowid".to_owned(),
        _ => {
            return Response::error(
                400,
                "tables with a composite primary key are not served by the data API",
            )
        }
    };
    let q = authz::quote(table);
    let id = segs.get(1).map(|s| Value::Text(s.clone()));
    let fetch = |id: Value| -> Result<Option<J>, AuthzError> {
        let (rows, _, _) =
            run_as_caller(env, &format!("SELECT * FROM {q} WHERE {key} = ?1"), &[id])?;
        Ok(rows.into_iter().next())
    };
    match (req.method(), id) {
        ("GET", None) => {
            let mut where_ = Vec::new();
            let mut params = Vec::new();
            let (mut limit, mut offset, mut order) = (DEFAULT_LIMIT, 0i64, String::new());
            for (k, v) in parse_query(req.head.query.as_deref().unwrap_or("")) {
                match k.as_str() {
                    "_limit" => limit = v.parse().unwrap_or(DEFAULT_LIMIT).clamp(0, MAX_LIMIT),
                    "_offset" => offset = v.parse().unwrap_or(0).max(0),
                    "_sort" => {
                        let mut parts = Vec::new();
                        for s in v.split(',').filter(|s| !s.is_empty()) {
                            let (col, dir) = match s.strip_prefix('-') {
                                Some(c) => (c, "DESC"),
                                None => (s, "ASC"),
                            };
                            if !names.contains(&col) {
                                return Response::error(
                                    400,
                                    &format!("no such column {col:?} to sort by"),
                                );
                            }
                            parts.push(format!("{} {dir}", authz::quote(col)));
                        }
                        order = parts.join(", ");
                    }
                    col if names.contains(&col) => {
                        params.push(Value::Text(v));
                        where_.push(format!("{} = ?{}", authz::quote(col), params.len()));
                    }
                    other => {
                        return Response::error(
                            400,
                            &format!("no such column {other:?} to filter by"),
                        )
                    }
                }
            }
            let mut sql = format!("SELECT * FROM {q}");
            if !where_.is_empty() {
                sql.push_str(&format!(" WHERE {}", where_.join(" AND ")));
            }
            if !order.is_empty() {
                sql.push_str(&format!(" ORDER BY {order}"));
            }
            params.push(Value::Integer(limit));
            params.push(Value::Integer(offset));
            sql.push_str(&format!(
                " LIMIT ?{} OFFSET ?{}",
                params.len() - 1,
                params.len()
            ));
            match run_as_caller(env, &sql, &params) {
                Ok((rows, _, _)) => Response::json(
                    200,
                    &json!({ "data": rows, "limit": limit, "offset": offset }),
                ),
                Err(e) => sql_failure(&e),
            }
        }
        ("GET", Some(id)) => match fetch(id) {
            Ok(Some(row)) => Response::json(200, &row),
            Ok(None) => Response::error(404, "no such row"),
            Err(e) => sql_failure(&e),
        },
        ("POST", None) => {
            let Ok(J::Object(obj)) = serde_json::from_slice::<J>(&req.body) else {
                return Response::error(400, "expected a JSON object of column values");
            };
            if let Some(bad) = obj.keys().find(|k| !names.contains(&k.as_str())) {
                return Response::error(400, &format!("no such column {bad:?}"));
            }
            let sql = if obj.is_empty() {
                format!("INSERT INTO {q} DEFAULT VALUES")
            } else {
                let cols: Vec<String> = obj.keys().map(|k| authz::quote(k)).collect();
                let marks: Vec<String> = (1..=obj.len()).map(|i| format!("?{i}")).collect();
                format!(
                    "INSERT INTO {q} ({}) VALUES ({})",
                    cols.join(", "),
                    marks.join(", ")
                )
            };
            let params: Vec<Value> = obj.values().map(json_to_sql).collect();
            match run_as_caller(env, &sql, &params) {
                Ok((_, _, last)) => {
                    let id = match pk.as_slice() {
                        [one] => obj
                            .get(*one)
                            .map(json_to_sql)
                            .unwrap_or(Value::Integer(last)),
                        _ => Value::Integer(last),
                    };
                    match fetch(id) {
                        Ok(Some(row)) => Response::json(201, &row),
                        // Inserted, but the caller may not read it back.
                        _ => Response::json(201, &json!({ "id": last })),
                    }
                }
                Err(e) => sql_failure(&e),
            }
        }
        ("PATCH", Some(id)) => {
            let Ok(J::Object(obj)) = serde_json::from_slice::<J>(&req.body) else {
                return Response::error(400, "expected a JSON object of column values");
            };
            if obj.is_empty() {
                return Response::error(400, "nothing to update");
            }
            if let Some(bad) = obj.keys().find(|k| !names.contains(&k.as_str())) {
                return Response::error(400, &format!("no such column {bad:?}"));
            }
            let sets: Vec<String> = obj
                .keys()
                .enumerate()
                .map(|(i, k)| format!("{} = ?{}", authz::quote(k), i + 1))
                .collect();
            let mut params: Vec<Value> = obj.values().map(json_to_sql).collect();
            params.push(id.clone());
            let sql = format!(
                "UPDATE {q} SET {} WHERE {key} = ?{}",
                sets.join(", "),
                params.len()
            );
            match run_as_caller(env, &sql, &params) {
                Ok((_, 0, _)) => Response::error(404, "no such row"),
                Ok(_) => {
                    let id = pk
                        .first()
                        .and_then(|k| obj.get(*k))
                        .map(json_to_sql)
                        .unwrap_or(id);
                    match fetch(id) {
                        Ok(Some(row)) => Response::json(200, &row),
                        _ => Response::new(204),
                    }
                }
                Err(e) => sql_failure(&e),
            }
        }
        ("DELETE", Some(id)) => {
            match run_as_caller(env, &format!("DELETE FROM {q} WHERE {key} = ?1"), &[id]) {
                Ok((_, 0, _)) => Response::error(404, "no such row"),
                Ok(_) => Response::new(204),
                Err(e) => sql_failure(&e),
            }
        }
        (_, None) => Response::error(405, "method not allowed").with_header("Allow", "GET, POST"),
        (_, Some(_)) => {
            Response::error(405, "method not allowed").with_header("Allow", "GET, PATCH, DELETE")
        }
    }
}

// ---------------------------------------------------------------------------------------
// Admin API

fn rows_json(conn: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<Vec<J>> {
    let mut st = conn.prepare_cached(sql)?;
    bound_rows_json(&mut st, params)
}

/// Binds `params` to `st` and runs it; every row as a JSON object keyed by column name.
fn bound_rows_json(st: &mut rusqlite::Statement<'_>, params: &[Value]) -> rusqlite::Result<Vec<J>> {
    for (i, v) in params.iter().enumerate() {
        st.raw_bind_parameter(i + 1, v)?;
    }
    let names: Vec<String> = st.column_names().map(str::to_owned).collect();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut obj = Map::new();
        for (i, n) in names.iter().enumerate() {
            obj.insert(n.clone(), sql_to_json(row.get_ref(i)?));
        }
        out.push(J::Object(obj));
    }
    Ok(out)
}

fn admin_endpoint(
    env: &ApiEnv<'_>,
    req: &Request,
    caller: &Caller,
    what: &str,
    segs: &[String],
) -> Response {
    let Some(admin) = &caller.user else {
        return Response::error(401, "sign in as an owner or admin");
    };
    if !matches!(admin.role.as_str(), "owner" | "admin") {
        return Response::error(403, "owner or admin role required");
    }
    let id: Option<i64> = match segs {
        [] => None,
        [one] => match one.parse() {
            Ok(n) => Some(n),
            Err(_) => return Response::error(404, "no such record"),
        },
        _ => return Response::error(404, "no such API endpoint"),
    };
    let conn = env.conn;
    let audit = |action: &str, table: &str, record: Option<i64>, details: J| {
        auth::audit(
            conn,
            env.settings,
            Some(admin.id),
            action,
            Some(table),
            record,
            &details,
        )
    };
    let (limit, offset) = {
        let q = parse_query(req.head.query.as_deref().unwrap_or(""));
        let get = |k: &str, d: i64| {
            q.iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(d)
        };
        (
            get("limit", DEFAULT_LIMIT).clamp(0, MAX_LIMIT),
            get("offset", 0).max(0),
        )
    };
    let list =
        |sql: &str| match rows_json(conn, sql, &[Value::Integer(limit), Value::Integer(offset)]) {
            Ok(rows) => Response::json(
                200,
                &json!({ "data": rows, "limit": limit, "offset": offset }),
            ),
            Err(e) => Response::error(500, &e.to_string()),
        };
    let body = || body_fields(req);
    let result: Result<Response, String> = match (req.method(), what, id) {
        ("GET", "users", None) => Ok(list(
            "SELECT id, username, email, role, enabled, created_at, modified_at FROM _hbf_users ORDER BY id LIMIT ?1 OFFSET ?2",
        )),
        ("POST", "users", None) => (|| {
            let f = body().ok_or("expected a JSON object {username, password, email?, role?}")?;
            let role = str_field(&f, "role").unwrap_or("user");
            if role == "owner" && admin.role != "owner" {
                return Ok(Response::error(403, "only an owner can create owners"));
            }
            let user = auth::create_user(
                conn,
                env.settings,
                str_field(&f, "username").unwrap_or(""),
                str_field(&f, "password").unwrap_or(""),
                str_field(&f, "email"),
                role,
            )
            .map_err(|e| e.to_string())?;
            audit("user.create", "_hbf_users", Some(user.id), json!({ "username": user.username, "role": user.role }))
                .map_err(|e| e.to_string())?;
            Ok(Response::json(201, &json!(user)))
        })(),
        ("PATCH", "users", Some(id)) => match body() {
            Some(f) => crate::admin::people::update_user(conn, env.settings, admin, id, &f),
            None => Err("expected a JSON object {role?, password?, enabled?}".into()),
        },
        ("DELETE", "users", Some(id)) => (|| {
            let target = auth::user_by_id(conn, id).map_err(|e| e.to_string())?;
            let Some(target) = target else {
                return Ok(Response::error(404, "no such user"));
            };
            if target.role == "owner" && admin.role != "owner" {
                return Ok(Response::error(403, "only an owner can delete owners"));
            }
            if target.id == admin.id {
                return Ok(Response::error(400, "you cannot delete yourself"));
            }
            conn.execute("DELETE FROM _hbf_users WHERE id = ?1", [id]).map_err(|e| e.to_string())?;
            audit("user.delete", "_hbf_users", Some(id), json!({ "username": target.username }))
                .map_err(|e| e.to_string())?;
            Ok(Response::new(204))
        })(),
        ("GET", "permissions", None) => Ok(list(
            "SELECT id, user_id, role, table_name, can_select, can_insert, can_update, can_delete, created_at
             FROM _hbf_table_permissions ORDER BY id LIMIT ?1 OFFSET ?2",
        )),
        ("POST", "permissions", None) => (|| {
            let f = body().ok_or("expected a JSON object {role | user_id, table, select, insert, update, delete}")?;
            let table = str_field(&f, "table").ok_or("table is required")?;
            let role = str_field(&f, "role");
            let user_id = f.get("user_id").and_then(J::as_i64);
            if role.is_some() == user_id.is_some() {
                return Err("give exactly one of role and user_id".into());
            }
            if role.is_some_and(|r| !auth::ROLES.contains(&r)) {
                return Err("role must be one of owner, admin, user, anon".into());
            }
            let flag = |k: &str| i64::from(f.get(k).and_then(J::as_bool).unwrap_or(false));
            let (s, i, u, d) = (flag("select"), flag("insert"), flag("update"), flag("delete"));
            // One row per (subject, table): replace what was there.
            conn.execute(
                "DELETE FROM _hbf_table_permissions WHERE table_name = ?1 AND (role IS ?2 AND user_id IS ?3)",
                params![table, role, user_id],
            )
            .map_err(|e| e.to_string())?;
            conn.execute(
                "INSERT INTO _hbf_table_permissions (user_id, role, table_name, can_select, can_insert, can_update, can_delete)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![user_id, role, table, s, i, u, d],
            )
            .map_err(|e| e.to_string())?;
            let new_id = conn.last_insert_rowid();
            audit("permission.grant", table, Some(new_id), json!({ "role": role, "user_id": user_id,
                "select": s == 1, "insert": i == 1, "update": u == 1, "delete": d == 1 }))
                .map_err(|e| e.to_string())?;
            env.authz.invalidate();
            Ok(Response::json(201, &json!({ "id": new_id })))
        })(),
        ("DELETE", kind @ ("permissions" | "policies"), Some(id)) => (|| {
            // Both are authorization rows: delete, audit, and rebuild the policy views.
            let (sql, table, action, missing) = if kind == "permissions" {
                ("DELETE FROM _hbf_table_permissions WHERE id = ?1", "_hbf_table_permissions", "permission.revoke", "no such permission")
            } else {
                ("DELETE FROM _hbf_row_policies WHERE id = ?1", "_hbf_row_policies", "policy.delete", "no such policy")
            };
            let n = conn.execute(sql, [id]).map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(Response::error(404, missing));
            }
            audit(action, table, Some(id), json!({})).map_err(|e| e.to_string())?;
            env.authz.invalidate();
            Ok(Response::new(204))
        })(),
        ("GET", "policies", None) => Ok(list(
            "SELECT id, table_name, policy_name, role, operation, condition, enabled, created_at
             FROM _hbf_row_policies ORDER BY id LIMIT ?1 OFFSET ?2",
        )),
        ("POST", "policies", None) => (|| {
            let f = body().ok_or("expected a JSON object {table, name, role, operation, condition}")?;
            let table = str_field(&f, "table").ok_or("table is required")?;
            let name = str_field(&f, "name").ok_or("name is required")?;
            let role = str_field(&f, "role").ok_or("role is required")?;
            let operation = str_field(&f, "operation").unwrap_or("SELECT").to_ascii_uppercase();
            let condition = str_field(&f, "condition").ok_or("condition is required")?;
            if !auth::ROLES.contains(&role) {
                return Err("role must be one of owner, admin, user, anon".into());
            }
            if ![Op::Select, Op::Insert, Op::Update, Op::Delete].iter().any(|o| o.as_sql() == operation) {
                return Err("operation must be SELECT, INSERT, UPDATE or DELETE".into());
            }
            if !env.authz.is_app_table(table) {
                return Err(format!("no app table {table:?}"));
            }
            authz::validate_condition(conn, table, condition)?;
            conn.execute(
                "INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![table, name, role, operation, condition],
            )
            .map_err(|e| e.to_string())?;
            let new_id = conn.last_insert_rowid();
            audit("policy.create", table, Some(new_id), json!({ "name": name, "role": role,
                "operation": operation, "condition": condition }))
                .map_err(|e| e.to_string())?;
            env.authz.invalidate();
            Ok(Response::json(201, &json!({ "id": new_id })))
        })(),

        ("GET", "audit", None) => Ok(list(
            "SELECT id, user_id, action, table_name, record_id, details, created_at
             FROM _hbf_audit_log ORDER BY id DESC LIMIT ?1 OFFSET ?2",
        )),
        (_, "users" | "permissions" | "policies", None) => {
            Ok(Response::error(405, "method not allowed").with_header("Allow", "GET, POST"))
        }
        (_, "users" | "permissions" | "policies", Some(_)) => {
            Ok(Response::error(405, "method not allowed").with_header("Allow", "DELETE"))
        }
        _ => Ok(Response::error(405, "method not allowed").with_header("Allow", "GET")),
    };
    result.unwrap_or_else(|e| Response::error(400, &e))
}

/// The principal a caller's requests run as.
pub fn principal_of(caller: &Caller) -> Principal {
    match &caller.user {
        Some(u) => Principal::Request {
            user_id: Some(u.id),
            role: authz::Role::parse(&u.role),
        },
        None => Principal::Request {
            user_id: None,
            role: authz::Role::Anon,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{BodyFraming, RequestHead, Version};
    use std::time::{Duration, Instant};

    fn req(method: &str, headers: &[(&str, &str)], secure: bool) -> Request {
        let now = Instant::now();
        let peer: std::net::SocketAddr = "127.0.0.1:4000".parse().unwrap();
        Request {
            id: 1,
            head: RequestHead {
                method: method.into(),
                target: "/x".into(),
                path: "/x".into(),
                query: None,
                version: Version::Http11,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
                    .collect(),
                host: Some("app.test".into()),
                framing: BodyFraming::None,
                keep_alive: true,
                expect_continue: false,
            },
            body: Vec::new(),
            peer,
            client_ip: peer.ip(),
            secure,
            received_at: now,
            deadline: now + Duration::from_secs(5),
        }
    }

    fn cookie_caller() -> Caller {
        Caller {
            user: Some(User {
                id: 1,
                username: "ann".into(),
                email: None,
                role: "user".into(),
            }),
            token: Some("t".into()),
            via_cookie: true,
        }
    }

    #[test]
    fn cookies_are_parsed_from_every_cookie_header() {
        let r = req(
            "GET",
            &[("Cookie", "a=1; hbf_session=tok"), ("Cookie", "hbf_csrf=c")],
            false,
        );
        assert_eq!(cookie(&r, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&r, CSRF_COOKIE), Some("c"));
        assert_eq!(cookie(&r, "missing"), None);
    }

    #[test]
    fn csrf_rule() {
        let c = cookie_caller();
        let ok = |method: &str, headers: &[(&str, &str)], secure: bool| {
            csrf_ok(&req(method, headers, secure), &c)
        };
        assert!(ok("GET", &[], false), "safe methods pass");
        assert!(!ok("POST", &[], false), "no proof");
        assert!(ok("POST", &[("Origin", "http://app.test")], false));
        assert!(
            !ok("POST", &[("Origin", "https://app.test")], false),
            "scheme matters"
        );
        assert!(ok("DELETE", &[("Origin", "https://APP.test")], true));
        assert!(!ok("POST", &[("Origin", "http://evil.test")], false));
        assert!(!ok(
            "POST",
            &[("Origin", "http://app.test.evil.test")],
            false
        ));
        assert!(ok("PATCH", &[("Referer", "http://app.test/page?x")], false));
        assert!(!ok(
            "PATCH",
            &[("Referer", "http://evil.test/app.test")],
            false
        ));
        let cookies = "hbf_session=t; hbf_csrf=abc";
        assert!(ok(
            "PUT",
            &[("Cookie", cookies), ("X-CSRF-Token", "abc")],
            false
        ));
        assert!(!ok(
            "PUT",
            &[("Cookie", cookies), ("X-CSRF-Token", "abd")],
            false
        ));
        assert!(!ok(
            "PUT",
            &[("Cookie", "hbf_csrf="), ("X-CSRF-Token", "")],
            false
        ));
        // Bearer requests and anonymous ones are not subject to it.
        let bearer = Caller {
            via_cookie: false,
            ..cookie_caller()
        };
        assert!(csrf_ok(&req("POST", &[], false), &bearer));
        assert!(csrf_ok(&req("POST", &[], false), &Caller::default()));
    }

    #[test]
    fn session_cookies_are_http_only_lax_and_secure_under_tls() {
        let exp = now() + 3600;
        for secure in [false, true] {
            let cookies = session_cookies(&req("POST", &[], secure), Some(("tok", exp)));
            let session = &cookies[0].1;
            let csrf = &cookies[1].1;
            assert!(
                session.starts_with("hbf_session=tok; Path=/; Max-Age="),
                "{session}"
            );
            assert!(session.contains("; HttpOnly; SameSite=Lax"), "{session}");
            assert_eq!(session.ends_with("; Secure"), secure, "{session}");
            assert!(
                csrf.starts_with("hbf_csrf=") && !csrf.contains("HttpOnly"),
                "{csrf}"
            );
            assert_eq!(csrf.ends_with("; Secure"), secure, "{csrf}");
        }
        let cleared = session_cookies(&req("POST", &[], true), None);
        assert!(cleared[0].1.starts_with("hbf_session=; Path=/; Max-Age=0"));
    }

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            parse_query("a=1&b=x+y%21&&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y!".into()),
                ("c".into(), String::new())
            ]
        );
    }
}
