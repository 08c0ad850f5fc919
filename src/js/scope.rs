//! Which request a runtime's JavaScript runs for, when several requests of one henv are in
//! flight in one runtime (interleaved as in Node's event loop).
//!
//! The engine runs one *turn* at a time: a request's first call into the app, one timer
//! callback, or one completion (`super::completion`), each followed by the promise jobs it
//! queued. Every turn belongs to one request, known before it starts (the request being
//! served; the timer's owner, recorded when the timer was created; the request that started
//! the operation a completion answers). `Scopes::enter` binds that request's state — the
//! principal `db` acts as (`Authz` request binding), the user `req.user`/`hbf:auth` see, the
//! request id of log lines, the SQL statement deadline — before the turn, and `leave` unbinds
//! it after. A turn whose request has already ended runs detached: anonymous, never as the
//! owner.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::host::LogContext;
use crate::auth::User;
use crate::db::authz::{Authz, Principal, Role};
use crate::henv::isolation::QueryDeadline;

/// What a turn of a request that already ended (or of no request) may run for at most.
const DETACHED_BUDGET: Duration = Duration::from_secs(1);

/// One in-flight request's state, bound while its turns run.
pub struct Binding {
    /// The request id (also the tag of its timers and completions).
    pub request_id: u64,
    pub user: Option<User>,
    /// `Principal::Request` of the caller.
    pub principal: Principal,
    pub deadline: Instant,
    /// Set when the request ends, for producers of completions to stop early.
    cancel: Option<Arc<AtomicBool>>,
    /// Whether a timer was started in one of its turns (else there is none to clear).
    timers: bool,
}

impl Binding {
    pub fn new(
        request_id: u64,
        user: Option<User>,
        principal: Principal,
        deadline: Instant,
    ) -> Binding {
        Binding {
            request_id,
            user,
            principal,
            deadline,
            cancel: None,
            timers: false,
        }
    }
}

/// The request bindings of one runtime.
pub struct Scopes {
    authz: Rc<Authz>,
    conn: Rc<Connection>,
    user: Rc<RefCell<Option<User>>>,
    log_ctx: Rc<RefCell<LogContext>>,
    sql_deadline: QueryDeadline,
    /// In-flight requests (a few: a linear search beats hashing).
    live: RefCell<Vec<Binding>>,
    /// The request of the turn running now (0: none).
    current: Cell<u64>,
    /// The request of the last turn, whose open transaction (if any) is not another's.
    last: Cell<u64>,
    /// Completions started and not yet arrived (all requests).
    outstanding: Cell<usize>,
}

impl Scopes {
    pub fn new(
        authz: Rc<Authz>,
        conn: Rc<Connection>,
        user: Rc<RefCell<Option<User>>>,
        log_ctx: Rc<RefCell<LogContext>>,
        sql_deadline: QueryDeadline,
    ) -> Scopes {
        Scopes {
            authz,
            conn,
            user,
            log_ctx,
            sql_deadline,
            live: RefCell::default(),
            current: Cell::new(0),
            last: Cell::new(0),
            outstanding: Cell::new(0),
        }
    }

    /// A request begins in this runtime.
    pub fn open(&self, binding: Binding) {
        self.live.borrow_mut().push(binding);
    }

    /// A request ended (answered, failed or out of time): its pending operations are
    /// cancelled and later turns of it run detached. Returns whether it started timers.
    pub fn close(&self, request_id: u64) -> bool {
        let mut live = self.live.borrow_mut();
        let Some(i) = live.iter().position(|b| b.request_id == request_id) else {
            return false;
        };
        let b = live.swap_remove(i);
        if let Some(cancel) = b.cancel {
            cancel.store(true, Ordering::Relaxed);
        }
        b.timers
    }

    /// The request of the running turn, for a timer it starts (0 outside requests).
    pub fn timer_owner(&self) -> u64 {
        let id = self.current.get();
        if let Some(b) = self
            .live
            .borrow_mut()
            .iter_mut()
            .find(|b| b.request_id == id)
        {
            b.timers = true;
        }
        id
    }

    pub fn is_live(&self, request_id: u64) -> bool {
        self.live
            .borrow()
            .iter()
            .any(|b| b.request_id == request_id)
    }

    /// The request of the running turn (0 outside requests).
    pub fn current(&self) -> u64 {
        self.current.get()
    }

    /// Binds `request_id` for the turn about to run; returns the turn's deadline.
    pub fn enter(&self, request_id: u64) -> Instant {
        if request_id != self.last.get() && !self.conn.is_autocommit() {
            // A transaction left open across an await by another request is not this
            // request's: roll it back rather than run inside it (`db.transaction` is
            // synchronous and never spans turns).
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.last.set(request_id);
        self.current.set(request_id);
        let live = self.live.borrow();
        let (deadline, id) = match live.iter().find(|b| b.request_id == request_id) {
            Some(b) => {
                if let Principal::Request { user_id, role } = b.principal {
                    self.authz.begin_request(user_id, role);
                }
                *self.user.borrow_mut() = b.user.clone();
                (b.deadline, request_id)
            }
            None => {
                self.authz.begin_request(None, Role::Anon);
                *self.user.borrow_mut() = None;
                (Instant::now() + DETACHED_BUDGET, 0)
            }
        };
        self.log_ctx.borrow_mut().request_id = id;
        self.sql_deadline.arm(deadline);
        deadline
    }

    /// After a turn: nothing is bound (HBF's own code uses the connection next).
    pub fn leave(&self) {
        self.current.set(0);
        self.authz.end_request();
        *self.user.borrow_mut() = None;
        self.sql_deadline.disarm();
    }

    /// The cancel flag of the running turn's request, for a `Completer` (a fresh, set flag
    /// outside requests); counts the completion as outstanding.
    pub fn start_operation(&self) -> (u64, Arc<AtomicBool>) {
        self.outstanding.set(self.outstanding.get() + 1);
        let id = self.current.get();
        let mut live = self.live.borrow_mut();
        match live.iter_mut().find(|b| b.request_id == id) {
            Some(b) => (
                id,
                b.cancel
                    .get_or_insert_with(|| Arc::new(AtomicBool::new(false)))
                    .clone(),
            ),
            None => (0, Arc::new(AtomicBool::new(true))),
        }
    }

    /// A completion arrived (run or dropped).
    pub fn operation_done(&self) {
        self.outstanding
            .set(self.outstanding.get().saturating_sub(1));
    }

    /// Whether completions are still to arrive.
    pub fn has_outstanding(&self) -> bool {
        self.outstanding.get() > 0
    }
}
