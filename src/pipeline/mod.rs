//! The worker-side request pipeline: what happens to a request between the worker queue and
//! its response, as named stages read top to bottom in `AppWorker::handle`:
//!
//! 1. **route** — Host → henv (`henv::WorkerTenancy::route`), or the signup endpoint;
//! 2. **henv** — the henv's connection and settings on this worker (`henvs::open`,
//!    `henvs::refresh`), CORS preflight;
//! 3. **endpoints** — caller identification, CSRF, HBF's own endpoints (`stages::endpoints`);
//! 4. **static** — a henv without `server.js` serves its `www/` files (`stages::static_files`);
//! 5. **app** — the henv's JavaScript runtime (`stages::runtime`, `stages::app`);
//! 6. **response** — security/CORS headers (`HenvSettings::decorate`), the request's
//!    transaction rolled back, tenancy bookkeeping.
//!
//! `AppHandler` is the worker `Handler` that builds one `AppWorker` per worker thread. The
//! QuickJS runtime itself (building, running a request, host functions) is `crate::js`.

mod henvs;
mod stages;

use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};

use crate::henv;
use crate::http::{Request, Response};
use crate::js::BytecodeCache;
use crate::observe::{Field, Logger};
use crate::worker::{Handler, WorkerEnv, WorkerHandler};
use henvs::OpenHenv;

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
        // 1. route
        let (hash, hostname) = match self.tenancy.route(req) {
            Ok(henv::Route::Henv { hash, host }) => (hash, host),
            Ok(henv::Route::Signup) => return self.tenancy.signup(&mut self.henvs, req),
            Err(resp) => return resp,
        };
        self.tenancy.maintain(&mut self.henvs);
        // 2. henv
        let log = self.log.clone();
        let henv = match henvs::open(&mut self.henvs, &mut self.tenancy, &hash, req.deadline) {
            Ok(h) => h,
            Err(e) => return unavailable(&log, &hash, "cannot open henv", &e.to_string()),
        };
        if let Err(e) = henvs::refresh(henv) {
            return unavailable(&log, &hash, "cannot read henv", &e.to_string());
        }
        if let Some(preflight) = henv.settings.preflight(req) {
            return preflight;
        }
        // 3. endpoints
        let caller = match stages::endpoints(henv, req) {
            Ok(caller) => caller,
            Err(resp) => return self.respond(req, &hash, Ok(resp)),
        };
        // 4. static / 5. app
        if henv.settings.isolation == henv::Isolation::Request && henv.runtime.take().is_some() {
            self.metrics.active_henvs.fetch_sub(1, Relaxed); // left over from "worker" isolation
        }
        let had_runtime = henv.runtime.is_some();
        let result = stages::app(
            henv,
            req,
            &hostname,
            caller.user.as_ref(),
            &self.config,
            &self.cache,
            &log,
        );
        if henv.settings.isolation == henv::Isolation::Request {
            henv.runtime = None;
        }
        if result.as_ref().is_err_and(|e| e.poisons_runtime()) {
            henv.runtime = None;
        }
        match (had_runtime, henv.runtime.is_some()) {
            (false, true) => self.metrics.active_henvs.fetch_add(1, Relaxed),
            (true, false) => self.metrics.active_henvs.fetch_sub(1, Relaxed),
            _ => 0,
        };
        // 6. response
        self.respond(req, &hash, result)
    }

    fn henv(&self) -> Option<&str> {
        self.tenancy.current_henv()
    }

    fn idle(&mut self) {
        self.tenancy.maintain(&mut self.henvs);
    }
}

impl AppWorker {
    /// Stage 6: ends the request's binding on its henv (no transaction left open for the
    /// next one), adds the henv's headers, and does the tenancy bookkeeping.
    fn respond(
        &mut self,
        req: &Request,
        hash: &str,
        result: Result<Response, crate::js::JsError>,
    ) -> Response {
        let Some(henv) = self.henvs.iter_mut().find(|h| h.hash == hash) else {
            return Response::error(500, "henv closed during the request");
        };
        henv.authz.end_request();
        if !henv.conn.is_autocommit() {
            let _ = henv.conn.execute_batch("ROLLBACK");
        }
        let mut resp = match result {
            Ok(resp) => resp,
            Err(e) => stages::error_response(&e, req, hash, self.config.dev, &self.log),
        };
        henv.settings.decorate(req, &mut resp);
        self.tenancy.after_request(&mut self.henvs, hash);
        resp
    }
}

/// 500 for a henv whose database cannot be opened or read (logged).
fn unavailable(log: &Logger, hash: &str, what: &str, error: &str) -> Response {
    log.error(
        what,
        &[("henv", Field::Str(hash)), ("error", Field::Str(error))],
    );
    Response::error(500, "app database unavailable")
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
