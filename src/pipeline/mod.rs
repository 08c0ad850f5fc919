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

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::henv;
use crate::http::{Request, Response};
use crate::js::completion::{Completion, CompletionSender};
use crate::js::host_fetch::Outbound;
use crate::js::{Binding, BytecodeCache, JsError, Settled, Step};
use crate::observe::{Field, Logger};
use crate::worker::{Affinity, Finished, Handler, HenvTable, Started, WorkerEnv, WorkerHandler};
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
    outbound_config: crate::outbound::OutboundConfig,
    outbound: OnceLock<Arc<Outbound>>,
}

impl AppHandler {
    pub fn new(config: AppConfig) -> Self {
        AppHandler {
            config,
            cache: Arc::new(BytecodeCache::default()),
            tenancy_config: henv::TenancyConfig::default(),
            tenancy: OnceLock::new(),
            outbound_config: crate::outbound::OutboundConfig::default(),
            outbound: OnceLock::new(),
        }
    }

    /// Sets the outbound (`fetch`) engine settings (default: from `Config::default()`).
    pub fn outbound(mut self, config: crate::outbound::OutboundConfig) -> Self {
        self.outbound_config = config;
        self
    }

    /// Sets the multi-tenancy settings (base domain, signup, connection and runtime limits).
    pub fn tenancy(mut self, config: henv::TenancyConfig) -> Self {
        self.tenancy_config = config;
        self
    }
}

impl AppHandler {
    fn shared_tenancy(
        &self,
        log: &Arc<Logger>,
        metrics: &Arc<crate::Metrics>,
    ) -> &Arc<henv::Tenancy> {
        self.tenancy.get_or_init(|| {
            henv::Tenancy::start(
                self.config.storage_dir.clone(),
                &self.config.default_host,
                self.tenancy_config.clone(),
                metrics.clone(),
                log.clone(),
            )
        })
    }
}

/// Host → henv on the event loop, from the router's in-memory table (see
/// `crate::worker::dispatch`).
struct RouteAffinity {
    router: Arc<henv::router::Router>,
}

impl Affinity for RouteAffinity {
    fn henv_of(&self, req: &Request) -> Option<String> {
        self.router.henv_hint(&self.router.table(), req)
    }

    fn version(&self) -> u64 {
        self.router.version()
    }
}

impl Handler for AppHandler {
    fn affinity(
        &self,
        log: &Arc<Logger>,
        metrics: &Arc<crate::Metrics>,
    ) -> Option<Arc<dyn Affinity>> {
        let router = self.shared_tenancy(log, metrics).router().clone();
        Some(Arc::new(RouteAffinity { router }))
    }

    fn worker(&self, env: &WorkerEnv) -> Box<dyn WorkerHandler> {
        let tenancy = self.shared_tenancy(&env.log, &env.metrics);
        let outbound = self.outbound.get_or_init(|| {
            Arc::new(Outbound::new(
                self.outbound_config.clone(),
                env.metrics.clone(),
                env.log.clone(),
            ))
        });
        Box::new(AppWorker {
            outbound: outbound.clone(),
            config: self.config.clone(),
            cache: self.cache.clone(),
            log: env.log.clone(),
            henvs: Vec::new(),
            metrics: env.metrics.clone(),
            tenancy: tenancy.worker(),
            completions: Some(env.completions.clone()),
            placement: env.henvs.clone(),
            orphans: Vec::new(),
            parked: HashMap::new(),
        })
    }
}

struct AppWorker {
    /// The server's outbound (`fetch`) engine, shared by all workers.
    outbound: Arc<Outbound>,
    config: AppConfig,
    cache: Arc<BytecodeCache>,
    log: Arc<Logger>,
    henvs: Vec<OpenHenv>,
    metrics: Arc<crate::Metrics>,
    tenancy: henv::WorkerTenancy,
    completions: Option<CompletionSender>,
    /// Where the loop places each henv's requests (fed with the henv's settings).
    placement: Arc<HenvTable>,
    /// Requests of a runtime lost in `start`, answered by the next `poll`.
    orphans: Vec<Settled>,
    /// Requests waiting in a runtime, by request id.
    parked: HashMap<u64, ParkedRequest>,
}

/// What stage 6 needs of a request that waits in its henv's runtime.
struct ParkedRequest {
    hash: String,
    request: Request,
}

impl WorkerHandler for AppWorker {
    fn handle(&mut self, req: &Request) -> Response {
        if let Started::Done(resp) = self.start(req) {
            return resp;
        }
        // (a caller without a worker loop: wait here)
        let mut done = Vec::new();
        loop {
            self.poll(Instant::now(), &mut done);
            if let Some(f) = done.iter().position(|f| f.request_id == req.id) {
                return done.swap_remove(f).response;
            }
            match self.next_wake() {
                Some(at) => std::thread::sleep(at.saturating_duration_since(Instant::now())),
                None => return Response::error(500, "app never sent a response"),
            }
        }
    }

    fn start(&mut self, req: &Request) -> Started {
        // 1. route
        let (hash, hostname) = match self.tenancy.route(req) {
            Ok(henv::Route::Henv { hash, host }) => (hash, host),
            Ok(henv::Route::Signup) => {
                return Started::Done(self.tenancy.signup(&mut self.henvs, req))
            }
            Err(resp) => return Started::Done(resp),
        };
        self.tenancy.maintain(&mut self.henvs);
        // 2. henv
        let log = self.log.clone();
        let henv = match henvs::open(&mut self.henvs, &mut self.tenancy, &hash, req.deadline) {
            Ok(h) => h,
            Err(e) => {
                return Started::Done(unavailable(&log, &hash, "cannot open henv", &e.to_string()))
            }
        };
        match henvs::refresh(henv) {
            Ok(true) => {
                self.placement
                    .configure(&hash, henv.settings.workers, henv.settings.max_inflight)
            }
            Ok(false) => {}
            Err(e) => {
                return Started::Done(unavailable(&log, &hash, "cannot read henv", &e.to_string()))
            }
        }
        if let Some(preflight) = henv.settings.preflight(req) {
            return Started::Done(preflight);
        }
        // 3. endpoints
        let caller = match stages::endpoints(henv, req) {
            Ok(caller) => caller,
            Err(resp) => {
                if req.path().starts_with("/_api/admin/") {
                    henv.data_version = -1; // (this connection's own file writes: reread)
                }
                return Started::Done(self.respond(req, &hash, Ok(resp)));
            }
        };
        // 4. static / 5. app
        if henv.settings.isolation == henv::Isolation::Request
            && henv.runtime.as_ref().is_some_and(|rt| rt.parked() == 0)
            && henv.runtime.take().is_some()
        {
            self.metrics.active_henvs.fetch_sub(1, Relaxed); // left over from "worker" isolation
        }
        if let (Some(rt), Some(code)) = (&henv.runtime, &henv.server_hash) {
            if rt.code_hash != *code && rt.parked() > 0 {
                // New code: the old runtime goes (in stage 5), and the requests waiting in it
                // with it.
                rt.abandon(
                    &JsError::Engine("the app's code changed".into()),
                    &mut self.orphans,
                );
            }
        }
        let had_runtime = henv.runtime.is_some();
        let principal = crate::api::principal_of(&caller);
        let binding = Binding::new(req.id, caller.user, principal, req.deadline);
        let step = stages::app(
            henv,
            req,
            &hostname,
            binding,
            &self.config,
            &self.cache,
            &log,
            self.completions.as_ref(),
            &self.outbound,
        );
        let result = match step {
            Step::Done(result) => result,
            Step::Parked => {
                self.parked.insert(
                    req.id,
                    ParkedRequest {
                        hash: hash.clone(),
                        request: req.clone(),
                    },
                );
                if !had_runtime {
                    self.metrics.active_henvs.fetch_add(1, Relaxed);
                }
                return Started::Parked;
            }
        };
        if henv.settings.isolation == henv::Isolation::Request {
            henv.runtime = None;
        }
        let mut failed = Vec::new();
        if result.as_ref().is_err_and(JsError::poisons_runtime) {
            if let Some(rt) = henv.runtime.take() {
                rt.abandon(
                    result.as_ref().err().unwrap_or(&JsError::Deadline),
                    &mut failed,
                );
            }
        }
        match (had_runtime, henv.runtime.is_some()) {
            (false, true) => self.metrics.active_henvs.fetch_add(1, Relaxed),
            (true, false) => self.metrics.active_henvs.fetch_sub(1, Relaxed),
            _ => 0,
        };
        // 6. response
        let resp = self.respond(req, &hash, result);
        if !failed.is_empty() {
            // (the other requests parked on the lost runtime are answered by the next poll)
            self.orphans.extend(failed);
        }
        Started::Done(resp)
    }

    fn poll(&mut self, now: Instant, done: &mut Vec<Finished>) {
        let now = now.max(Instant::now());
        let mut settled = std::mem::take(&mut self.orphans);
        for henv in &mut self.henvs {
            let Some(rt) = henv.runtime.as_mut() else {
                continue;
            };
            if rt.parked() == 0 {
                continue;
            }
            rt.advance(now, &mut settled);
            if rt.broken() {
                henv.runtime = None;
                self.metrics.active_henvs.fetch_sub(1, Relaxed);
            }
        }
        self.finish_parked(settled, done);
    }

    fn complete(&mut self, completion: Completion, done: &mut Vec<Finished>) {
        let Some(henv) = self.henvs.iter_mut().find(|h| h.hash == completion.henv) else {
            return;
        };
        let Some(rt) = henv
            .runtime
            .as_mut()
            .filter(|rt| rt.id == completion.runtime_id)
        else {
            return;
        };
        let mut settled = Vec::new();
        rt.complete(completion, &mut settled);
        if rt.broken() {
            henv.runtime = None;
            self.metrics.active_henvs.fetch_sub(1, Relaxed);
        }
        self.finish_parked(settled, done);
    }

    fn next_wake(&mut self) -> Option<Instant> {
        if !self.orphans.is_empty() {
            return Some(Instant::now());
        }
        if self.parked.is_empty() {
            return None;
        }
        self.henvs
            .iter()
            .filter_map(|h| h.runtime.as_ref())
            .filter(|rt| rt.parked() > 0)
            .filter_map(|rt| rt.next_wake())
            .min()
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
            Err(e) => stages::error_response(&e, req.id, hash, self.config.dev, &self.log),
        };
        if resp.status == 404 {
            // HBF's opt-in root auth aliases answer only what the app's router did not match.
            if let Some(alias) = stages::unmatched_alias(henv, req, hash, &mut resp) {
                resp = alias;
            }
        }
        henv.settings.decorate(req, &mut resp);
        self.tenancy.after_request(&mut self.henvs, hash);
        resp
    }

    /// Stage 6 for parked requests that ended in a later turn.
    fn finish_parked(&mut self, settled: Vec<Settled>, done: &mut Vec<Finished>) {
        for (id, result) in settled {
            let Some(p) = self.parked.remove(&id) else {
                continue;
            };
            let response = self.respond(&p.request, &p.hash, result);
            done.push(Finished {
                request_id: id,
                response,
                henv: Some(p.hash),
            });
        }
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
