//! Runs each henv's `server.js` (an Express app) in QuickJS-NG on the worker threads.
//!
//! `AppHandler` is the worker `Handler`: per worker thread it keeps, per henv, one SQLite
//! connection and one JS runtime, reused across requests. Which henv a request goes to, how
//! many connections (all workers together) and runtimes (per worker) stay open, and idle
//! expiry are decided by `henv::WorkerTenancy`. server.js is compiled to bytecode once per
//! content version and shared by all workers; the runtime is rebuilt
//! when the stored server.js changes (hot reload), or after a deadline, out-of-memory or
//! engine error. A henv without server.js serves its `www/` files statically.

mod auth_host;
pub(crate) mod builtins;
pub mod completion;
mod convert;
mod crypto_keys;
mod crypto_prims;
mod ffi;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzzing;
mod host;
mod host_buffer;
mod host_crypto;
mod host_docs;
mod host_zlib;
pub(crate) mod modules;
mod native;
mod runtime;
mod zlib_codec;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::api;
use crate::auth::{AuthSettings, User};
use crate::db::{self, authz, authz::Authz};
use crate::henv::{self, assets};
use crate::http::{Request, Response};
use crate::observe::{Field, Logger};
use crate::worker::{Handler, WorkerEnv, WorkerHandler};
pub use runtime::{compile_commonjs, AppRuntime, JsError};

pub(crate) const PRELUDE_JS: &str = include_str!("lib/prelude.js");
pub(crate) const LOADER_JS: &str = include_str!("lib/loader.js");
pub(crate) const DB_JS: &str = include_str!("lib/db.js");
pub(crate) const AUTH_JS: &str = include_str!("lib/auth.js");
pub(crate) const DOCUMENTS_JS: &str = include_str!("lib/documents.js");
const EXPRESS_JS: &str = include_str!("lib/express.js");

/// Compiled module bytecode, shared between workers.
pub struct Bytecode {
    pub bytes: Vec<u8>,
}

/// Settings of the app runtime, from the server configuration.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub storage_dir: PathBuf,
    pub default_host: String,
    pub mem_limit_bytes: usize,
    pub dev: bool,
}

/// The worker `Handler` that runs henv apps.
pub struct AppHandler {
    config: AppConfig,
    cache: Arc<BytecodeCache>,
    tenancy_config: henv::TenancyConfig,
    tenancy: OnceLock<Arc<henv::Tenancy>>,
}

/// express.js compiled once. (The app's own files, server.js included, are compiled once per
/// content hash by `modules`.)
#[derive(Default)]
struct BytecodeCache {
    express: Mutex<Option<Arc<Bytecode>>>,
}

impl BytecodeCache {
    fn express(&self) -> Result<Arc<Bytecode>, JsError> {
        let mut slot = self
            .express
            .lock()
            .map_err(|_| JsError::Engine("bytecode cache poisoned".into()))?;
        if let Some(b) = slot.as_ref() {
            return Ok(b.clone());
        }
        let b = Arc::new(Bytecode {
            bytes: compile_commonjs("express.js", EXPRESS_JS)?,
        });
        *slot = Some(b.clone());
        Ok(b)
    }
}

impl AppHandler {
    pub fn new(config: AppConfig) -> Self {
        AppHandler {
            config,
            cache: Arc::new(BytecodeCache::default()),
            tenancy_config: henv::TenancyConfig::default(),
            tenancy: OnceLock::new(),
        }
    }

    /// Sets the multi-tenancy settings (base domain, signup, connection and runtime limits).
    pub fn tenancy(mut self, config: henv::TenancyConfig) -> Self {
        self.tenancy_config = config;
        self
    }
}

impl Handler for AppHandler {
    fn worker(&self, env: &WorkerEnv) -> Box<dyn WorkerHandler> {
        let tenancy = self.tenancy.get_or_init(|| {
            henv::Tenancy::start(
                self.config.storage_dir.clone(),
                &self.config.default_host,
                self.tenancy_config.clone(),
                env.metrics.clone(),
                env.log.clone(),
            )
        });
        Box::new(AppWorker {
            config: self.config.clone(),
            cache: self.cache.clone(),
            log: env.log.clone(),
            henvs: Vec::new(),
            metrics: env.metrics.clone(),
            tenancy: tenancy.worker(),
        })
    }
}

/// One henv's state on one worker.
struct OpenHenv {
    hash: String,
    conn: Rc<Connection>,
    runtime: Option<AppRuntime>,
    data_version: i64,
    /// `db::write_generation()` when `data_version` was last read, and when it must be read
    /// again regardless (for writes from other processes).
    seen_generation: u64,
    next_version_check: Instant,
    /// server.js's hash and the henv's code files version (`db::files_version`): the
    /// runtime is rebuilt when it changes.
    server_hash: Option<String>,
    /// A code version whose runtime failed to build, while the previous runtime keeps serving.
    failed_code: Option<String>,
    settings: henv::HenvSettings,
    /// Authorization of the connection (authorizer, policy views, request binding).
    authz: Rc<Authz>,
    auth: AuthSettings,
    /// The current request's user, shared with the runtime's host functions.
    user: Rc<RefCell<Option<User>>>,
    /// Budget slot, deadline, LRU and activity bookkeeping; last, so the connection and the
    /// runtime are closed before the slot is given back.
    residency: henv::Residency,
}

struct AppWorker {
    config: AppConfig,
    cache: Arc<BytecodeCache>,
    log: Arc<Logger>,
    henvs: Vec<OpenHenv>,
    metrics: Arc<crate::Metrics>,
    tenancy: henv::WorkerTenancy,
}

impl WorkerHandler for AppWorker {
    fn handle(&mut self, req: &Request) -> Response {
        let (hash, hostname) = match self.tenancy.route(req) {
            Ok(henv::Route::Henv { hash, host }) => (hash, host),
            Ok(henv::Route::Signup) => return self.tenancy.signup(&mut self.henvs, req),
            Err(resp) => return resp,
        };
        self.tenancy.maintain(&mut self.henvs);
        let dev = self.config.dev;
        let log = self.log.clone();
        let henv = match open_henv(&mut self.henvs, &mut self.tenancy, &hash, req.deadline) {
            Ok(h) => h,
            Err(e) => {
                log.error(
                    "cannot open henv",
                    &[
                        ("henv", Field::Str(&hash)),
                        ("error", Field::Str(&e.to_string())),
                    ],
                );
                return Response::error(500, "app database unavailable");
            }
        };
        if let Err(e) = refresh(henv) {
            log.error(
                "cannot read henv",
                &[
                    ("henv", Field::Str(&hash)),
                    ("error", Field::Str(&e.to_string())),
                ],
            );
            return Response::error(500, "app database unavailable");
        }
        if let Some(preflight) = henv.settings.preflight(req) {
            return preflight;
        }
        // Who is calling (Bearer token or session cookie), HBF's own endpoints, and `db`
        // bound to the caller for the app.
        let caller = {
            let env = api::ApiEnv {
                conn: &henv.conn,
                authz: &henv.authz,
                henv: &hash,
                settings: &henv.auth,
            };
            let caller = api::identify(&env, req);
            let early = if !api::csrf_ok(req, &caller) {
                Some(Response::error(
                    403,
                    "CSRF check failed: send the request from the same origin or with X-CSRF-Token",
                ))
            } else {
                if let authz::Principal::Request { user_id, role } = api::principal_of(&caller) {
                    henv.authz.begin_request(user_id, role);
                }
                api::handle(&env, req, &caller)
            };
            if let Some(mut resp) = early {
                if req.path().starts_with("/_api/admin/") {
                    henv.data_version = -1; // its own writes (files) do not move data_version
                }
                henv.authz.end_request();
                if !henv.conn.is_autocommit() {
                    let _ = henv.conn.execute_batch("ROLLBACK");
                }
                henv.settings.decorate(req, &mut resp);
                self.tenancy.after_request(&mut self.henvs, &hash);
                return resp;
            }
            caller
        };
        if henv.settings.isolation == henv::Isolation::Request && henv.runtime.take().is_some() {
            self.metrics.active_henvs.fetch_sub(1, Relaxed); // left over from "worker" isolation
        }
        let had_runtime = henv.runtime.is_some();
        let result = run_app(
            henv,
            req,
            &hostname,
            caller.user.as_ref(),
            &self.config,
            &self.cache,
            &log,
        );
        henv.authz.end_request();
        if henv.settings.isolation == henv::Isolation::Request {
            henv.runtime = None;
        }
        // A request never leaves a transaction open for the next one.
        if !henv.conn.is_autocommit() {
            let _ = henv.conn.execute_batch("ROLLBACK");
        }
        let mut resp = match result {
            Ok(resp) => resp,
            Err(e) => {
                if e.poisons_runtime() {
                    henv.runtime = None;
                }
                error_response(&e, req, &hash, dev, &log)
            }
        };
        if resp.status == 404 {
            // HBF's root auth aliases answer only what the app's router did not match.
            if let Some(alias) = unmatched_alias(henv, req, &hash, &caller, &mut resp) {
                resp = alias;
            }
        }
        henv.settings.decorate(req, &mut resp);
        match (had_runtime, henv.runtime.is_some()) {
            (false, true) => self.metrics.active_henvs.fetch_add(1, Relaxed),
            (true, false) => self.metrics.active_henvs.fetch_sub(1, Relaxed),
            _ => 0,
        };
        self.tenancy.after_request(&mut self.henvs, &hash);
        resp
    }

    fn henv(&self) -> Option<&str> {
        self.tenancy.current_henv()
    }

    fn idle(&mut self) {
        self.tenancy.maintain(&mut self.henvs);
    }
}

impl henv::Resident for OpenHenv {
    fn hash(&self) -> &str {
        &self.hash
    }
    fn conn(&self) -> &Connection {
        &self.conn
    }
    fn residency(&mut self) -> &mut henv::Residency {
        &mut self.residency
    }
    fn residency_ref(&self) -> &henv::Residency {
        &self.residency
    }
    fn has_runtime(&self) -> bool {
        self.runtime.is_some()
    }
    fn runtime_memory(&self) -> usize {
        self.runtime.as_ref().map_or(0, AppRuntime::memory_used)
    }
    fn drop_runtime(&mut self) -> bool {
        self.runtime.take().is_some()
    }
}

impl Drop for AppWorker {
    /// Keeps the gauges right when a worker's state is discarded (panic, shutdown).
    fn drop(&mut self) {
        // (Connections give their budget slot back, and db_connections, as they drop.)
        for henv in &self.henvs {
            if henv.runtime.is_some() {
                self.metrics.active_henvs.fetch_sub(1, Relaxed);
            }
        }
    }
}

/// When the app's router matched nothing (express.js marks its final 404 with
/// `X-HBF-Unmatched`, removed here), HBF's opt-in root auth aliases (`/login`, ...) answer.
fn unmatched_alias(
    henv: &OpenHenv,
    req: &Request,
    hash: &str,
    caller: &api::Caller,
    resp: &mut Response,
) -> Option<Response> {
    let before = resp.headers.len();
    resp.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case(api::UNMATCHED_MARKER));
    if resp.headers.len() == before {
        return None;
    }
    let env = api::ApiEnv {
        conn: &henv.conn,
        authz: &henv.authz,
        henv: hash,
        settings: &henv.auth,
    };
    if let authz::Principal::Request { user_id, role } = api::principal_of(caller) {
        henv.authz.begin_request(user_id, role);
    }
    let answer = api::handle_alias(&env, req, caller);
    henv.authz.end_request();
    if !henv.conn.is_autocommit() {
        let _ = henv.conn.execute_batch("ROLLBACK");
    }
    answer
}

/// The open henv `hash` on this worker, opening it if needed (within the connection budget:
/// `WorkerTenancy::open` closes this worker's least recently used henvs to make room).
fn open_henv<'a>(
    henvs: &'a mut Vec<OpenHenv>,
    tenancy: &mut henv::WorkerTenancy,
    hash: &str,
    deadline: std::time::Instant,
) -> Result<&'a mut OpenHenv, henv::tenancy::OpenError> {
    let i = match henvs.iter().position(|h| h.hash == hash) {
        Some(i) => i,
        None => {
            let (conn, residency) = tenancy.open(henvs, hash)?;
            let mut conn = conn;
            let authz =
                Authz::install(&mut conn).map_err(|source| henv::tenancy::OpenError::Sqlite {
                    hash: hash.to_owned(),
                    source,
                })?;
            henvs.push(OpenHenv {
                hash: hash.to_owned(),
                authz: Rc::new(authz),
                auth: AuthSettings::default(),
                user: Rc::default(),
                conn: Rc::new(conn),
                runtime: None,
                data_version: -1,
                seen_generation: 0,
                next_version_check: Instant::now(),
                server_hash: None,
                failed_code: None,
                settings: henv::HenvSettings::default(),
                residency,
            });
            henvs.len() - 1
        }
    };
    tenancy.prepare(henvs, i, deadline);
    Ok(&mut henvs[i])
}

/// Runs the request through the henv's app (building or rebuilding its runtime as needed).
#[allow(clippy::too_many_arguments)]
fn run_app(
    henv: &mut OpenHenv,
    req: &Request,
    hostname: &str,
    user: Option<&User>,
    config: &AppConfig,
    cache: &BytecodeCache,
    log: &Arc<Logger>,
) -> Result<Response, JsError> {
    let Some(server_hash) = henv.server_hash.clone() else {
        let resp = serve_static_only(&henv.conn, req, &henv.settings.cache_control);
        return Ok(crate::docs::serve::after_404(
            &henv.conn,
            &henv.authz,
            &henv.settings,
            req,
            resp,
        ));
    };
    let stale = henv
        .runtime
        .as_ref()
        .is_some_and(|rt| rt.code_hash != server_hash);
    // Hot reload: build the new version first; if it fails to load (a module that throws, a
    // syntax error, a missing module), the previous version keeps serving.
    if henv.runtime.is_none()
        || (stale && henv.failed_code.as_deref() != Some(server_hash.as_str()))
    {
        let express = cache.express()?;
        let env = host::HostEnv {
            conn: henv.conn.clone(),
            authz: henv.authz.clone(),
            user: henv.user.clone(),
            log: log.clone(),
            log_ctx: Rc::new(RefCell::new(host::LogContext {
                henv: henv.hash.clone(),
                request_id: req.id,
            })),
        };
        let source = runtime::AppSource {
            code_hash: server_hash.clone(),
            express: &express,
            mem_limit_bytes: config.mem_limit_bytes,
            henv: &henv.hash,
        };
        // server.js's module-level code runs as the owner (schema changes allowed);
        // tables it creates get their policy views before the request's code runs.
        match henv
            .authz
            .loading(|| AppRuntime::build(&source, env, req.deadline))
        {
            Ok(built) => {
                henv.runtime = Some(built);
                henv.failed_code = None;
            }
            Err(e) if stale && !e.poisons_runtime() => {
                log.error(
                    "new app version failed to load; still serving the previous one",
                    &[
                        ("henv", Field::Str(&henv.hash)),
                        ("error", Field::Str(&e.to_string())),
                    ],
                );
                henv.failed_code = Some(server_hash.clone());
            }
            Err(e) => return Err(e),
        }
        henv.authz
            .refresh(&henv.conn)
            .map_err(|e| JsError::Engine(format!("authorization: {e}")))?;
    }
    let rt = henv
        .runtime
        .as_mut()
        .ok_or(JsError::Engine("runtime missing".into()))?;
    {
        let mut lc = rt.log_ctx.borrow_mut();
        lc.request_id = req.id;
    }
    *henv.user.borrow_mut() = user.cloned();
    let result = rt.handle(req, hostname);
    *henv.user.borrow_mut() = None;
    result
}

/// How stale a worker's view of its henv may get when only another process (e.g. `hbf
/// import` run against a live server) writes: writes made through this process are noticed
/// at once.
const OUTSIDE_WRITES_CHECK: Duration = Duration::from_millis(100);

/// Re-reads server.js's hash and the henv settings when another connection has committed
/// since we last looked. `PRAGMA data_version` opens a read transaction (file locks: most of
/// a small request's SQLite cost), so it only runs when a connection of this process has
/// committed since the last check, or `OUTSIDE_WRITES_CHECK` has passed.
fn refresh(henv: &mut OpenHenv) -> rusqlite::Result<()> {
    let generation = db::write_generation(); // (read first: a commit after it is seen next time)
    let now = Instant::now();
    if generation != henv.seen_generation || now >= henv.next_version_check {
        henv.seen_generation = generation;
        henv.next_version_check = now + OUTSIDE_WRITES_CHECK;
        // (a cached statement: preparing it on every request cost more than running it)
        let version: i64 = henv
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        if version != henv.data_version {
            henv.data_version = version;
            henv.server_hash = db::file_hash(&henv.conn, "server.js")?
                .map(|h| format!("{h}:{}", db::files_version(&henv.conn)));
            henv.settings = henv::HenvSettings::load(&henv.conn)?;
            henv.auth = AuthSettings::load(&henv.conn)?;
        }
    }
    // Permissions, policies or the schema may have changed (free when nothing was written).
    henv.authz
        .refresh_if_changed(&henv.conn, henv.data_version)?;
    Ok(())
}

/// A henv with no server.js: its `www/` files, or 404.
fn serve_static_only(conn: &Connection, req: &Request, cache_control: &str) -> Response {
    if req.head.method != "GET" && req.head.method != "HEAD" {
        return Response::error(405, "method not allowed").with_header("Allow", "GET, HEAD");
    }
    let rel = crate::util::percent_decode(&req.head.path).unwrap_or_default();
    let rel = rel.trim_matches('/');
    let candidates = [
        format!("www/{rel}"),
        format!("www/{rel}/index.html").replace("//", "/"),
    ];
    for path in candidates.iter().filter(|p| db::valid_file_path(p)) {
        if let Ok(Some(file)) = db::read_file(conn, path) {
            let cond = assets::Conditions {
                if_none_match: req.header("if-none-match"),
                if_modified_since: req.header("if-modified-since"),
                range: req.header("range"),
                if_range: req.header("if-range"),
            };
            return assets::respond(path, &file, &cond, cache_control);
        }
    }
    Response::error(404, &format!("no such file {}", req.head.path))
}

fn error_response(e: &JsError, req: &Request, henv: &str, dev: bool, log: &Logger) -> Response {
    let (status, public) = match e {
        JsError::Deadline => (504, "app did not answer in time"),
        JsError::OutOfMemory => (500, "app ran out of memory"),
        JsError::NoResponse => (500, "app never sent a response"),
        JsError::Exception { .. } | JsError::Engine(_) => (500, "Internal Server Error"),
    };
    let stack = match e {
        JsError::Exception { stack, .. } => stack.as_str(),
        _ => "",
    };
    log.error(
        "app error",
        &[
            ("henv", Field::Str(henv)),
            ("request_id", Field::U64(req.id)),
            ("error", Field::Str(&e.to_string())),
            ("stack", Field::Str(stack)),
        ],
    );
    if dev {
        Response::json(
            status,
            &serde_json::json!({ "error": public, "status": status, "detail": e.to_string(), "stack": stack }),
        )
    } else {
        Response::error(status, public)
    }
}
