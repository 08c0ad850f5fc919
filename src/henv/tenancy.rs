//! Multi-tenancy on the worker threads: routing a request to its henv, the connection budget,
//! per-worker limits on JavaScript runtimes (count and memory, LRU), idle expiry, activity
//! tracking, and the signup route.
//!
//! `Tenancy` is shared by all workers; its background thread reloads the route table when the
//! registry changes (about once a second) and flushes recorded activity into the registry
//! (every `--activity_flush_secs`). `WorkerTenancy` is one worker's part; the JS handler keeps
//! its open henvs in a `Vec<T: Resident>` and calls `route`, `open`, `after_request`,
//! `maintain` and `signup`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::budget::{DbBudget, Slot, WorkerAccount};
use super::isolation::{self, QueryDeadline};
use super::lifecycle::{self, LifecycleError};
use super::router::{Route, Router, RouterConfig, RouterView};
use super::{signup, store};
use crate::config::Config;
use crate::http::{Request, Response};
use crate::observe::{Field, Logger, Metrics};

/// Multi-tenancy settings (from `Config`).
#[derive(Clone, Debug)]
pub struct TenancyConfig {
    /// `--base_domain`, normalised.
    pub base_domain: Option<String>,
    /// `--allow_signup`.
    pub allow_signup: bool,
    /// `--db_max_open`.
    pub db_max_open: usize,
    /// `--js_max_runtimes` (per worker).
    pub js_max_runtimes: usize,
    /// `--js_max_memory_mb` (per worker), in bytes.
    pub js_max_memory_bytes: usize,
    /// `--henv_idle_secs`.
    pub henv_idle: Duration,
    /// `--activity_flush_secs`.
    pub activity_flush: Duration,
}

impl From<&Config> for TenancyConfig {
    fn from(c: &Config) -> Self {
        TenancyConfig {
            base_domain: c
                .base_domain
                .as_deref()
                .and_then(|d| super::normalize_hostname(d).ok()),
            allow_signup: c.allow_signup,
            db_max_open: c.db_max_open,
            js_max_runtimes: c.js_max_runtimes,
            js_max_memory_bytes: c.js_max_memory_mb.saturating_mul(1 << 20),
            henv_idle: Duration::from_secs(c.henv_idle_secs),
            activity_flush: Duration::from_secs(c.activity_flush_secs),
        }
    }
}

impl Default for TenancyConfig {
    /// The documented defaults of the flags (see `Config`).
    fn default() -> Self {
        TenancyConfig::from(&Config::default())
    }
}

/// How often a runtime's heap is measured again (measuring walks the whole heap).
const MEASURE_EVERY: Duration = Duration::from_secs(2);

/// A henv's state that tenancy keeps on the worker, next to its connection and runtime.
pub struct Residency {
    _slot: Slot,
    /// Interrupts SQL past the request's deadline.
    pub deadline: QueryDeadline,
    identity: Option<(u64, u64)>,
    last_used: Instant,
    mem_bytes: usize,
    measured_at: Option<Instant>,
    total_changes: u64,
    activity_noted: Option<Instant>,
}

/// What tenancy needs from the JS handler's per-henv state.
pub trait Resident {
    fn hash(&self) -> &str;
    fn conn(&self) -> &Connection;
    fn residency(&mut self) -> &mut Residency;
    fn residency_ref(&self) -> &Residency;
    /// Whether a JavaScript runtime is built.
    fn has_runtime(&self) -> bool;
    /// The runtime's heap in bytes (walks the heap: called now and then, not per request).
    fn runtime_memory(&self) -> usize;
    /// Drops the runtime (keeping the connection); returns whether there was one.
    fn drop_runtime(&mut self) -> bool;
    /// Whether requests wait in the henv's runtime: it is not closed or dropped then.
    fn in_use(&self) -> bool {
        false
    }
}

/// Writes noted by workers, waiting for the next flush into the registry.
#[derive(Default)]
struct ActivityLog {
    pending: Mutex<HashMap<String, i64>>,
}

impl ActivityLog {
    fn note(&self, hash: &str, ts: i64) {
        if let Ok(mut m) = self.pending.lock() {
            match m.get_mut(hash) {
                Some(v) => *v = (*v).max(ts),
                None => {
                    m.insert(hash.to_owned(), ts);
                }
            }
        }
    }

    fn take(&self) -> Vec<(String, i64)> {
        self.pending
            .lock()
            .map(|mut m| m.drain().collect())
            .unwrap_or_default()
    }
}

/// State shared by every worker (and the background thread).
struct Core {
    config: TenancyConfig,
    router: Arc<Router>,
    activity: ActivityLog,
    log: Arc<Logger>,
}

impl Core {
    fn flush_activity(&self) {
        let pending = self.activity.take();
        if pending.is_empty() {
            return;
        }
        if let Err(e) = self.router.with_registry(|r| r.touch(&pending)) {
            self.log.warn(
                "cannot record henv activity",
                &[("error", Field::Str(&e.to_string()))],
            );
            for (hash, ts) in pending {
                self.activity.note(&hash, ts);
            }
        }
    }
}

/// Multi-tenancy shared by the workers of one server.
pub struct Tenancy {
    core: Arc<Core>,
    budget: Arc<DbBudget>,
    metrics: Arc<Metrics>,
    _stop: crossbeam_channel::Sender<()>,
}

impl Tenancy {
    /// Loads the route table and starts the background thread (reload + activity flush).
    /// `default_host` is normalised ("" for none).
    pub fn start(
        storage_dir: PathBuf,
        default_host: &str,
        config: TenancyConfig,
        metrics: Arc<Metrics>,
        log: Arc<Logger>,
    ) -> Arc<Tenancy> {
        let router = Arc::new(Router::new(RouterConfig {
            storage_dir,
            default_host: super::normalize_hostname(default_host).ok(),
            base_domain: config.base_domain.clone(),
            allow_signup: config.allow_signup,
        }));
        let core = Arc::new(Core {
            config,
            router,
            activity: ActivityLog::default(),
            log,
        });
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        let bg = core.clone();
        let spawned = std::thread::Builder::new()
            .name("hbf-henvs".into())
            .spawn(move || background(&bg, &stopped));
        if let Err(e) = spawned {
            core.log.error(
                "cannot start the henv registry thread; routes reload only at signup",
                &[("error", Field::Str(&e.to_string()))],
            );
        }
        Arc::new(Tenancy {
            budget: DbBudget::new(core.config.db_max_open, metrics.clone()),
            core,
            metrics,
            _stop: stop,
        })
    }

    /// The shared router.
    pub fn router(&self) -> &Arc<Router> {
        &self.core.router
    }

    /// The connection budget.
    pub fn budget(&self) -> &Arc<DbBudget> {
        &self.budget
    }

    /// One worker's part.
    pub fn worker(self: &Arc<Self>) -> WorkerTenancy {
        WorkerTenancy {
            view: RouterView::new(self.core.router.clone()),
            account: self.budget.worker(),
            shared: self.clone(),
            current: None,
            routes_changed: false,
            last_maintenance: Instant::now(),
        }
    }
}

fn background(core: &Core, stopped: &crossbeam_channel::Receiver<()>) {
    let mut last_flush = Instant::now();
    let mut failing = false;
    loop {
        match stopped.recv_timeout(Duration::from_secs(1)) {
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            _ => {
                core.flush_activity();
                return;
            }
        }
        match core.router.refresh(false) {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                core.log.warn(
                    "cannot read the henv registry; routing with the last table",
                    &[("error", Field::Str(&e.to_string()))],
                );
            }
            Err(_) => {}
        }
        if last_flush.elapsed() >= core.config.activity_flush {
            last_flush = Instant::now();
            core.flush_activity();
        }
    }
}

/// One worker's tenancy state.
pub struct WorkerTenancy {
    shared: Arc<Tenancy>,
    view: RouterView,
    account: WorkerAccount,
    current: Option<String>,
    /// The route table changed since the last `maintain`.
    routes_changed: bool,
    last_maintenance: Instant,
}

/// Why a henv could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("henv {hash}: {source}")]
    Db {
        hash: String,
        source: crate::db::DbError,
    },
    #[error("henv {hash}: {source}")]
    Sqlite {
        hash: String,
        source: rusqlite::Error,
    },
    #[error("no database connection available (--db_max_open)")]
    Exhausted,
}

impl WorkerTenancy {
    /// Routes a request; the error is the response to send (400, 404).
    pub fn route(&mut self, req: &Request) -> Result<Route, Response> {
        self.routes_changed |= self.view.sync();
        let route = self.view.resolve(req).map_err(|e| e.response());
        self.current = match &route {
            Ok(Route::Henv { hash, .. }) => Some(hash.clone()),
            _ => None,
        };
        route
    }

    /// The henv of the request being (or last) handled, for per-henv metrics.
    pub fn current_henv(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Closes a henv's connection and runtime.
    fn evict<T: Resident>(&self, henvs: &mut Vec<T>, i: usize) {
        let mut gone = henvs.swap_remove(i);
        if gone.drop_runtime() {
            self.shared.metrics.active_henvs.fetch_sub(1, Relaxed);
        }
    }

    fn evict_lru<T: Resident>(&self, henvs: &mut Vec<T>, keep: Option<&str>) -> bool {
        let lru = henvs
            .iter()
            .enumerate()
            .filter(|(_, h)| Some(h.hash()) != keep && !h.in_use())
            .min_by_key(|(_, h)| h.residency_ref().last_used)
            .map(|(i, _)| i);
        match lru {
            Some(i) => {
                self.evict(henvs, i);
                true
            }
            None => false,
        }
    }

    /// A budget slot for one more connection, closing this worker's least recently used
    /// henvs while the budget is full.
    fn acquire<T: Resident>(&self, henvs: &mut Vec<T>) -> Result<Slot, OpenError> {
        loop {
            if let Some(slot) = self.account.try_acquire() {
                return Ok(slot);
            }
            if !self.evict_lru(henvs, None) {
                return Err(OpenError::Exhausted);
            }
        }
    }

    /// Opens the existing henv `hash` (never creating a file) as an app connection: the
    /// isolation authorizer and deadline are installed, the budget is respected.
    pub fn open<T: Resident>(
        &mut self,
        henvs: &mut Vec<T>,
        hash: &str,
    ) -> Result<(Connection, Residency), OpenError> {
        let slot = self.acquire(henvs)?;
        let path = store::hash_path(self.view.router().storage_dir(), hash);
        let mut conn = crate::db::open_existing(&path).map_err(|source| OpenError::Db {
            hash: hash.to_owned(),
            source,
        })?;
        let deadline = isolation::restrict(&mut conn).map_err(|source| OpenError::Sqlite {
            hash: hash.to_owned(),
            source,
        })?;
        let residency = Residency {
            _slot: slot,
            deadline,
            identity: store::file_identity(&path),
            last_used: Instant::now(),
            mem_bytes: 0,
            measured_at: None,
            total_changes: conn.total_changes(),
            activity_noted: None,
        };
        Ok((conn, residency))
    }

    /// Readies `henvs[i]` for the request that starts now: marks it used, arms its SQL
    /// deadline and, if it has no runtime yet, drops the least recently used runtimes so that
    /// building one stays within `--js_max_runtimes`.
    pub fn prepare<T: Resident>(&self, henvs: &mut [T], i: usize, deadline: Instant) {
        let res = henvs[i].residency();
        res.last_used = Instant::now();
        res.deadline.arm(deadline);
        if !henvs[i].has_runtime() {
            let hash = henvs[i].hash().to_owned();
            self.enforce_runtime_limits(henvs, Some(&hash), 1);
        }
    }

    /// After a request on `hash`: records writes as activity, keeps this worker's runtimes
    /// within count and memory limits (LRU), and sheds connections a rebalance asks for.
    pub fn after_request<T: Resident>(&mut self, henvs: &mut Vec<T>, hash: &str) {
        let flush = self.shared.core.config.activity_flush;
        if let Some(h) = henvs.iter_mut().find(|h| h.hash() == hash) {
            let changes = h.conn().total_changes();
            let has_runtime = h.has_runtime();
            let measure = has_runtime && {
                let r = h.residency_ref();
                r.mem_bytes == 0 || r.measured_at.is_none_or(|t| t.elapsed() >= MEASURE_EVERY)
            };
            let memory = measure.then(|| h.runtime_memory());
            let res = h.residency();
            res.deadline.disarm();
            if changes != res.total_changes {
                res.total_changes = changes;
                if res.activity_noted.is_none_or(|t| t.elapsed() >= flush / 2) {
                    res.activity_noted = Some(Instant::now());
                    self.shared.core.activity.note(hash, store::unix_now());
                }
            }
            if !has_runtime {
                res.mem_bytes = 0;
            } else if let Some(m) = memory {
                res.mem_bytes = m.max(1);
                res.measured_at = Some(Instant::now());
            }
        }
        self.enforce_runtime_limits(henvs, Some(hash), 0);
        for _ in 0..self.account.surplus() {
            if !self.evict_lru(henvs, Some(hash)) {
                break;
            }
        }
    }

    /// Drops least recently used runtimes (not `keep`'s) until `reserve` more fit.
    fn enforce_runtime_limits<T: Resident>(
        &self,
        henvs: &mut [T],
        keep: Option<&str>,
        reserve: usize,
    ) {
        let config = &self.shared.core.config;
        loop {
            let (mut count, mut bytes) = (0usize, 0usize);
            let mut lru: Option<(usize, Instant)> = None;
            for (i, h) in henvs.iter().enumerate() {
                if !h.has_runtime() {
                    continue;
                }
                count += 1;
                bytes += h.residency_ref().mem_bytes;
                let used = h.residency_ref().last_used;
                if Some(h.hash()) != keep && !h.in_use() && lru.is_none_or(|(_, t)| used < t) {
                    lru = Some((i, used));
                }
            }
            if count + reserve <= config.js_max_runtimes.max(1)
                && bytes <= config.js_max_memory_bytes
            {
                return;
            }
            let Some((i, _)) = lru else { return };
            if henvs[i].drop_runtime() {
                self.shared.metrics.active_henvs.fetch_sub(1, Relaxed);
            }
            henvs[i].residency().mem_bytes = 0;
        }
    }

    /// Housekeeping between requests (and when the worker is idle): drops henvs whose route
    /// or file changed, closes henvs idle for `--henv_idle_secs`, sheds rebalance surplus.
    pub fn maintain<T: Resident>(&mut self, henvs: &mut Vec<T>) {
        let changed = self.view.sync();
        if std::mem::take(&mut self.routes_changed) || changed {
            let storage = self.view.router().storage_dir().to_path_buf();
            let mut i = 0;
            while i < henvs.len() {
                let h = &henvs[i];
                let stale = !self.view.serves(h.hash())
                    || store::file_identity(&store::hash_path(&storage, h.hash()))
                        != h.residency_ref().identity;
                if stale && !h.in_use() {
                    self.evict(henvs, i);
                } else {
                    i += 1;
                }
            }
        }
        if self.last_maintenance.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last_maintenance = Instant::now();
        let idle = self.shared.core.config.henv_idle;
        let mut i = 0;
        while i < henvs.len() {
            if henvs[i].residency_ref().last_used.elapsed() >= idle && !henvs[i].in_use() {
                self.evict(henvs, i);
            } else {
                i += 1;
            }
        }
        for _ in 0..self.account.surplus() {
            if !self.evict_lru(henvs, None) {
                break;
            }
        }
    }

    /// `POST /new` on the base domain.
    pub fn signup<T: Resident>(&mut self, henvs: &mut Vec<T>, req: &Request) -> Response {
        let core = &self.shared.core;
        let router = core.router.clone();
        let base = router.config().base_domain.clone();
        let form = match signup::parse(&req.body, base.as_deref()) {
            Ok(f) => f,
            Err(e) => return Response::error(e.status(), &e.to_string()),
        };
        // A taken name fails fast, before the deliberately slow password hash (create_henv
        // checks again, atomically).
        match router.with_registry(|r| r.get(&form.hostname)) {
            Ok(Some(_)) => {
                let e = super::RegistryError::HostTaken {
                    host: form.hostname.clone(),
                };
                return Response::error(e.status(), &e.to_string());
            }
            Ok(None) => {}
            Err(e) => return Response::error(e.status(), &e.to_string()),
        }
        let phc = match signup::hash_password(&form.password) {
            Ok(p) => p,
            Err(e) => return Response::error(e.status(), &e.to_string()),
        };
        // Creating the file takes a connection: it counts against the budget too.
        let _slot = match self.acquire(henvs) {
            Ok(s) => s,
            Err(e) => return Response::error(503, &e.to_string()),
        };
        let storage = router.storage_dir().to_path_buf();
        let created = router.with_registry(|registry| {
            Ok(lifecycle::create_henv(
                &storage,
                registry,
                &form.hostname,
                Some(&form.username),
                |conn| signup::insert_owner(conn, &form.username, &phc, &form.email),
            ))
        });
        let entry = match created.map_err(LifecycleError::from).and_then(|r| r) {
            Ok(entry) => entry,
            Err(e) => {
                if e.status() >= 500 {
                    core.log.error(
                        "signup failed",
                        &[
                            ("host", Field::Str(&form.hostname)),
                            ("error", Field::Str(&e.to_string())),
                        ],
                    );
                }
                return Response::error(e.status(), &e.to_string());
            }
        };
        if let Err(e) = router.refresh(true) {
            core.log.warn(
                "signup: cannot reload routes",
                &[("error", Field::Str(&e.to_string()))],
            );
        }
        self.view.sync();
        core.log.info(
            "henv created",
            &[
                ("host", Field::Str(&entry.hostname)),
                ("henv", Field::Str(&entry.hash)),
                ("owner", Field::Str(&form.username)),
            ],
        );
        let port = req
            .head
            .host
            .as_deref()
            .and_then(|h| h.rsplit_once(':'))
            .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, p)| format!(":{p}"))
            .unwrap_or_default();
        let base = base.unwrap_or_default();
        Response::json(
            201,
            &serde_json::json!({
                "url": format!("{}://{}.{base}{port}/", req.protocol(), entry.hash),
                "host": entry.hostname,
                "hash": entry.hash,
                "owner": form.username,
            }),
        )
    }
}
