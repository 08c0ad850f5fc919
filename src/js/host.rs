//! Host functions the JavaScript side calls: `__hbf_host` (logging, UTF-8, randomness, SHA-1
//! for ETags, static files) and `__hbf_db_native` (SQLite). Each closure owns what it needs:
//! the henv's connection and the per-request log context.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::{function::Opt, Array, Ctx, Exception, Function, Object, TypedArray, Value};
use rusqlite::Connection;
use sha1::{Digest, Sha1};

use super::completion::{Completer, CompletionSender};
use super::convert::{bytes_of, plain_json, sql_param, sql_to_js, PlainProtos};
use super::scope::Scopes;
use crate::db;
use crate::db::authz::{Authz, AuthzError, Handle};
use crate::henv::assets;
use crate::observe::{Field, Logger};

/// What log lines from app code are tagged with; updated per request.
#[derive(Default)]
pub struct LogContext {
    pub henv: String,
    pub request_id: u64,
}

/// Everything the host functions of one runtime share (cheap to clone into a closure).
#[derive(Clone)]
pub struct HostEnv {
    pub conn: Rc<Connection>,
    /// Every statement of app code runs through it, as the request's user or as the system.
    pub authz: Rc<Authz>,
    /// The request's user, for `req.user` and `hbf:auth`.
    pub user: Rc<RefCell<Option<crate::auth::User>>>,
    pub log: Arc<Logger>,
    pub log_ctx: Rc<RefCell<LogContext>>,
    /// The request bindings: which request the running turn belongs to.
    pub scopes: Rc<Scopes>,
    /// This worker's completion channel (`None` where nothing can complete later, e.g. a
    /// runtime driven without a worker loop).
    pub completions: Option<CompletionSender>,
    /// This runtime's generation (`Completion::runtime_id`).
    pub runtime_id: u64,
    /// Outbound requests (`fetch`); `None` when the embedding gives apps no network.
    pub fetch: Option<Rc<super::host_fetch::FetchEnv>>,
    /// `--dev`: Express and `process.env.NODE_ENV` run in development mode (error details
    /// in responses, no view cache), as Node does without NODE_ENV=production.
    pub dev: bool,
}

impl HostEnv {
    /// A host environment without a completion channel (its scopes bound to `conn`).
    pub fn new(
        conn: Rc<Connection>,
        authz: Rc<Authz>,
        user: Rc<RefCell<Option<crate::auth::User>>>,
        log: Arc<Logger>,
        log_ctx: Rc<RefCell<LogContext>>,
        sql_deadline: crate::henv::isolation::QueryDeadline,
    ) -> HostEnv {
        let scopes = Rc::new(Scopes::new(
            authz.clone(),
            conn.clone(),
            user.clone(),
            log_ctx.clone(),
            sql_deadline,
        ));
        HostEnv {
            conn,
            authz,
            user,
            log,
            log_ctx,
            scopes,
            completions: None,
            runtime_id: 0,
            fetch: None,
            dev: false,
        }
    }

    /// Gives the runtime outbound requests (`fetch`), told of every turn and request end.
    pub fn with_fetch(mut self, fetch: Rc<super::host_fetch::FetchEnv>) -> HostEnv {
        self.scopes.set_fetch(Some(fetch.clone()));
        self.fetch = Some(fetch);
        self
    }

    /// Starts an operation that completes later, for the request whose turn is running (see
    /// the protocol in `super::completion`). `None` without a completion channel.
    pub fn completer(&self) -> Option<Completer> {
        let sender = self.completions.clone()?;
        let (request, cancelled) = self.scopes.start_operation();
        Some(Completer {
            sender,
            henv: self.log_ctx.borrow().henv.clone(),
            runtime_id: self.runtime_id,
            request,
            cancelled,
        })
    }
}

/// Installs `globalThis.__hbf_host` and `globalThis.__hbf_db_native`.
pub fn install<'js>(ctx: &Ctx<'js>, env: &HostEnv) -> rquickjs::Result<Object<'js>> {
    let host = Object::new(ctx.clone())?;

    let (log, log_ctx) = (env.log.clone(), env.log_ctx.clone());
    host.set(
        "log",
        Function::new(ctx.clone(), move |level: String, message: String| {
            let lc = log_ctx.borrow();
            let level = match level.as_str() {
                "error" => crate::LogLevel::Error,
                "warn" => crate::LogLevel::Warn,
                "debug" => crate::LogLevel::Debug,
                _ => crate::LogLevel::Info,
            };
            log.log(
                level,
                &message,
                &[
                    ("source", Field::Str("console")),
                    ("henv", Field::Str(&lc.henv)),
                    ("request_id", Field::U64(lc.request_id)),
                ],
            );
        })?,
    )?;
    host.set(
        "encodeUtf8",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: String| {
            TypedArray::<u8>::new(ctx, s.into_bytes())
        })?,
    )?;
    host.set(
        "utf8Length",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: Value<'js>| {
            let s = s
                .as_string()
                .ok_or_else(|| Exception::throw_type(&ctx, "utf8Length expects a string"))?;
            super::ffi::string_utf8_len(s).map(|n| n as f64)
        })?,
    )?;
    host.set(
        "jsonText",
        // JSON.stringify(value) of plain data, or undefined: see convert::plain_json.
        Function::new(ctx.clone(), |ctx: Ctx<'js>, value: Value<'js>| {
            let text = match PlainProtos::new(&ctx)? {
                Some(protos) => plain_json(&value, &protos)?,
                None => None,
            };
            match text {
                Some(t) => rquickjs::String::from_str(ctx, &t).map(|s| s.into_value()),
                None => Ok(Value::new_undefined(ctx)),
            }
        })?,
    )?;
    host.set(
        "decodeUtf8",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, bytes: Value<'js>, fatal: Opt<bool>| {
                let bytes = bytes_of(&bytes)
                    .ok_or_else(|| Exception::throw_type(&ctx, "decodeUtf8 expects bytes"))?;
                if fatal.0.unwrap_or(false) {
                    String::from_utf8(bytes).map_err(|_| {
                        Exception::throw_type(
                            &ctx,
                            "The encoded data was not valid for encoding utf-8",
                        )
                    })
                } else {
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                }
            },
        )?,
    )?;
    host.set(
        "randomBytes",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, n: usize| {
            if n > 65_536 {
                return Err(Exception::throw_range(
                    &ctx,
                    "randomBytes: at most 65536 bytes",
                ));
            }
            let mut buf = vec![0u8; n];
            getrandom::fill(&mut buf)
                .map_err(|e| Exception::throw_internal(&ctx, &format!("no randomness: {e}")))?;
            TypedArray::<u8>::new(ctx, buf)
        })?,
    )?;
    host.set(
        "sha1Base64",
        // A string is hashed as its UTF-8 (express.js passes text bodies as they are).
        Function::new(ctx.clone(), |ctx: Ctx<'js>, bytes: Value<'js>| {
            let bytes = bytes_of(&bytes).ok_or_else(|| {
                Exception::throw_type(&ctx, "sha1Base64 expects bytes or a well-formed string")
            })?;
            Ok::<_, rquickjs::Error>(crate::util::base64_std(&Sha1::digest(&bytes)))
        })?,
    )?;
    let conn = env.conn.clone();
    host.set(
        "serveStatic",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, root: String, pathname: String, req: Object<'js>| {
                serve_static(&ctx, &conn, &root, &pathname, &req)
            },
        )?,
    )?;
    host.set(
        "builtin",
        // The factory of a built-in module (`super::builtins`), or undefined: loader.js asks
        // on the first `require` of a name it does not know.
        Function::new(ctx.clone(), |ctx: Ctx<'js>, name: String| {
            match super::builtins::builtin_bytecode(&name) {
                Ok(Some(bytecode)) => super::runtime::instantiate_commonjs(&ctx, &bytecode)
                    .map(Function::into_value)
                    .map_err(|e| {
                        Exception::throw_internal(&ctx, &format!("built-in module {name}: {e}"))
                    }),
                Ok(None) => Ok(Value::new_undefined(ctx)),
                Err(e) => Err(Exception::throw_internal(
                    &ctx,
                    &format!("built-in module {name}: {e}"),
                )),
            }
        })?,
    )?;
    let scopes = env.scopes.clone();
    host.set(
        "currentRequest",
        // The request whose turn runs now (0: none): timers remember it as their owner.
        Function::new(ctx.clone(), move || scopes.timer_owner() as f64)?,
    )?;
    super::host_buffer::install(ctx, &host)?;
    super::host_crypto::install(ctx, &host)?;
    super::host_zlib::install(ctx, &host)?;
    super::host_fetch::install(ctx, &host, env)?;
    host.set("dev", env.dev)?;
    ctx.globals().set("__hbf_host", host.clone())?;

    let native = Object::new(ctx.clone())?;
    let (conn, authz) = (env.conn.clone(), env.authz.clone());
    native.set(
        "query",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  sql: String,
                  params: Value<'js>,
                  limit: Opt<i32>,
                  system: Opt<bool>| {
                let handle = handle_of(system.0);
                query(
                    &ctx,
                    &conn,
                    &authz,
                    handle,
                    &sql,
                    &params,
                    limit.0.unwrap_or(-1),
                )
            },
        )?,
    )?;
    let (conn, authz) = (env.conn.clone(), env.authz.clone());
    native.set(
        "execute",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, sql: String, params: Value<'js>, system: Opt<bool>| {
                execute(&ctx, &conn, &authz, handle_of(system.0), &sql, &params)
            },
        )?,
    )?;
    ctx.globals().set("__hbf_db_native", native)?;
    super::auth_host::install(ctx, env)?;
    super::host_docs::install(ctx, env)?;
    Ok(host)
}

fn sql_error(ctx: &Ctx<'_>, e: rusqlite::Error) -> rquickjs::Error {
    match crate::henv::sql_limits::explain(&e) {
        Some(why) => Exception::throw_message(ctx, &format!("SQLite: {e}: {why}")),
        None => Exception::throw_message(ctx, &format!("SQLite: {e}")),
    }
}

fn authz_error(ctx: &Ctx<'_>, e: AuthzError) -> rquickjs::Error {
    match e {
        AuthzError::Sqlite(e) => sql_error(ctx, e),
        denied => Exception::throw_message(ctx, &denied.to_string()),
    }
}

fn handle_of(system: Option<bool>) -> Handle {
    if system == Some(true) {
        Handle::System
    } else {
        Handle::Request
    }
}

/// Binds positional (array) or named (object) parameters.
fn bind<'js>(
    ctx: &Ctx<'js>,
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: &Value<'js>,
) -> rquickjs::Result<()> {
    let expected = stmt.parameter_count();
    if let Some(array) = params.as_array() {
        if array.len() != expected {
            return Err(Exception::throw_range(
                ctx,
                &format!("SQL expects {expected} parameters, got {}", array.len()),
            ));
        }
        for (i, v) in array.iter::<Value>().enumerate() {
            let v = sql_param(ctx, &v?)?;
            stmt.raw_bind_parameter(i + 1, v)
                .map_err(|e| sql_error(ctx, e))?;
        }
        return Ok(());
    }
    let Some(object) = params.as_object() else {
        return Err(Exception::throw_type(
            ctx,
            "SQL parameters must be an array or an object",
        ));
    };
    for i in 1..=expected {
        let Some(name) = stmt.parameter_name(i).map(str::to_owned) else {
            return Err(Exception::throw_type(
                ctx,
                "positional '?' parameters need an array",
            ));
        };
        let key = name.trim_start_matches([':', '@', '$']);
        let v: Value = object.get(key)?;
        if v.is_undefined() && !object.contains_key(key)? {
            return Err(Exception::throw_reference(
                ctx,
                &format!("missing SQL parameter {name}"),
            ));
        }
        let v = sql_param(ctx, &v)?;
        stmt.raw_bind_parameter(i, v)
            .map_err(|e| sql_error(ctx, e))?;
    }
    Ok(())
}

fn query<'js>(
    ctx: &Ctx<'js>,
    conn: &Connection,
    authz: &Authz,
    handle: Handle,
    sql: &str,
    params: &Value<'js>,
    limit: i32,
) -> rquickjs::Result<Array<'js>> {
    let principal = authz.principal_for(handle);
    authz
        .run_with(conn, principal, sql, |stmt| {
            query_rows(ctx, stmt, params, limit)
        })
        .map_err(|e| authz_error(ctx, e))?
        .0
}

fn query_rows<'js>(
    ctx: &Ctx<'js>,
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: &Value<'js>,
    limit: i32,
) -> rquickjs::Result<Array<'js>> {
    bind(ctx, stmt, params)?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let out = Array::new(ctx.clone())?;
    let mut rows = stmt.raw_query();
    let mut n = 0usize;
    while let Some(row) = rows.next().map_err(|e| sql_error(ctx, e))? {
        let obj = Object::new(ctx.clone())?;
        for (i, name) in names.iter().enumerate() {
            let v = row.get_ref(i).map_err(|e| sql_error(ctx, e))?;
            obj.set(name.as_str(), sql_to_js(ctx, v)?)?;
        }
        out.set(n, obj)?;
        n += 1;
        if limit >= 0 && n >= limit as usize {
            break;
        }
    }
    Ok(out)
}

fn execute<'js>(
    ctx: &Ctx<'js>,
    conn: &Connection,
    authz: &Authz,
    handle: Handle,
    sql: &str,
    params: &Value<'js>,
) -> rquickjs::Result<Object<'js>> {
    let principal = authz.principal_for(handle);
    let (changed, wrote) = authz
        .run_with(conn, principal, sql, |stmt| {
            bind(ctx, stmt, params)?;
            stmt.raw_execute().map_err(|e| sql_error(ctx, e))
        })
        .map_err(|e| authz_error(ctx, e))?;
    let changed = changed?;
    // Writes through a policy view happen in INSTEAD OF triggers, which changes() and
    // last_insert_rowid() do not see: the triggers count them.
    let (changed, last_id) = match wrote {
        Some((n, id)) => (n as usize, id.unwrap_or_else(|| conn.last_insert_rowid())),
        None => (changed, conn.last_insert_rowid()),
    };
    let result = Object::new(ctx.clone())?;
    result.set("rows_affected", changed as f64)?;
    result.set(
        "last_insert_id",
        sql_to_js(ctx, rusqlite::types::ValueRef::Integer(last_id))?,
    )?;
    Ok(result)
}

/// `express.static` backend: a stored file under `root`, or null.
fn serve_static<'js>(
    ctx: &Ctx<'js>,
    conn: &Connection,
    root: &str,
    pathname: &str,
    req: &Object<'js>,
) -> rquickjs::Result<Value<'js>> {
    let decoded = crate::util::percent_decode(pathname).unwrap_or_default();
    let root = root.trim_matches('/');
    let rel = decoded.trim_matches('/');
    let join = |p: &str| {
        if root.is_empty() {
            p.to_owned()
        } else {
            format!("{root}/{p}")
        }
    };
    let mut candidates = Vec::with_capacity(2);
    if !decoded.ends_with('/') && !rel.is_empty() {
        candidates.push(join(rel));
    }
    candidates.push(join(&if rel.is_empty() {
        "index.html".to_owned()
    } else {
        format!("{rel}/index.html")
    }));
    let headers: Object = req.get("headers")?;
    let header =
        |name: &str| -> Option<String> { headers.get::<_, Option<String>>(name).ok().flatten() };
    for path in candidates.into_iter().filter(|p| db::valid_file_path(p)) {
        let Some(file) = db::read_file(conn, &path).map_err(|e| sql_error(ctx, e))? else {
            continue;
        };
        let (inm, ims, range, if_range) = (
            header("if-none-match"),
            header("if-modified-since"),
            header("range"),
            header("if-range"),
        );
        let cond = assets::Conditions {
            if_none_match: inm.as_deref(),
            if_modified_since: ims.as_deref(),
            range: range.as_deref(),
            if_range: if_range.as_deref(),
        };
        let mut resp = assets::respond(&path, &file, &cond, assets::DEFAULT_CACHE_CONTROL);
        // Lets a HEAD response (whose body express.js drops) declare the GET length.
        if !crate::http::Response::status_forbids_body(resp.status) {
            resp.headers
                .push(("Content-Length".into(), resp.body.len().to_string()));
        }
        let out = Object::new(ctx.clone())?;
        out.set("status", resp.status)?;
        let hs = Array::new(ctx.clone())?;
        for (i, (n, v)) in resp.headers.iter().enumerate() {
            let pair = Array::new(ctx.clone())?;
            pair.set(0, n.as_str())?;
            pair.set(1, v.as_str())?;
            hs.set(i, pair)?;
        }
        out.set("headers", hs)?;
        out.set("body", TypedArray::<u8>::new(ctx.clone(), resp.body)?)?;
        return Ok(out.into_value());
    }
    Ok(Value::new_null(ctx.clone()))
}
