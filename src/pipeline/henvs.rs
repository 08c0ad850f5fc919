//! Stage 2 of the pipeline: the henv's state on this worker — its SQLite connection, its
//! authorization, its settings and (built later, by the app stage) its JavaScript runtime —
//! opened within the connection budget and refreshed when another connection committed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::auth::{AuthSettings, User};
use crate::db::{self, authz::Authz};
use crate::henv;
use crate::js::AppRuntime;

/// One henv's state on one worker.
pub(super) struct OpenHenv {
    pub hash: String,
    pub conn: Rc<Connection>,
    pub runtime: Option<AppRuntime>,
    pub data_version: i64,
    /// `db::write_generation()` when `data_version` was last read, and when it must be read
    /// again regardless (for writes from other processes).
    pub seen_generation: u64,
    pub next_version_check: Instant,
    /// server.js's hash and the henv's code files version (`db::files_version`): the
    /// runtime is rebuilt when it changes.
    pub server_hash: Option<String>,
    /// A code version whose runtime failed to build, while the previous runtime keeps serving.
    pub failed_code: Option<String>,
    pub settings: henv::HenvSettings,
    /// Authorization of the connection (authorizer, policy views, request binding).
    pub authz: Rc<Authz>,
    pub auth: AuthSettings,
    /// The current request's user, shared with the runtime's host functions.
    pub user: Rc<RefCell<Option<User>>>,
    /// Budget slot, deadline, LRU and activity bookkeeping; last, so the connection and the
    /// runtime are closed before the slot is given back.
    pub residency: henv::Residency,
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
    fn in_use(&self) -> bool {
        self.runtime.as_ref().is_some_and(|rt| rt.parked() > 0)
    }
}

/// The open henv `hash` on this worker, opening it if needed (within the connection budget:
/// `WorkerTenancy::open` closes this worker's least recently used henvs to make room).
pub(super) fn open<'a>(
    henvs: &'a mut Vec<OpenHenv>,
    tenancy: &mut henv::WorkerTenancy,
    hash: &str,
    deadline: Instant,
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

/// How stale a worker's view of its henv may get when only another process (e.g. `hbf
/// import` run against a live server) writes: writes made through this process are noticed
/// at once.
const OUTSIDE_WRITES_CHECK: Duration = Duration::from_millis(100);

/// Re-reads server.js's hash and the henv settings when another connection has committed
/// since we last looked. `PRAGMA data_version` opens a read transaction (file locks: most of
/// a small request's SQLite cost), so it only runs when a connection of this process has
/// committed since the last check, or `OUTSIDE_WRITES_CHECK` has passed. `true` when the
/// settings were read again.
pub(super) fn refresh(henv: &mut OpenHenv) -> rusqlite::Result<bool> {
    let mut reloaded = false;
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
            reloaded = true;
        }
    }
    // Permissions, policies or the schema may have changed (free when nothing was written).
    henv.authz
        .refresh_if_changed(&henv.conn, henv.data_version)?;
    Ok(reloaded)
}
