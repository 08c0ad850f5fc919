//! The process-wide budget of open henv SQLite connections (`--db_max_open`).
//!
//! Connections live on worker threads (each worker keeps its henvs' connections and runtimes
//! together), so the budget is shared accounting, not a pool: every worker may always hold
//! one connection (its *reserved* slot: a worker must be able to serve a request), and
//! connections beyond the first come from `limit - workers` *extra* slots taken with a
//! compare-and-swap. A worker that finds no extra slot closes its own least recently used
//! connection instead; it never touches another worker's, so a connection in use is never
//! closed. Hence open connections ≤ max(`--db_max_open`, workers) at every instant.
//!
//! Extra slots go to whoever asks first; a worker holding fewer than its fair share
//! (`limit / workers`) that finds none left raises `rebalance`, and workers above their share
//! shed their least recently used connections down to it after their current request.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::observe::Metrics;

/// Shared accounting of open connections.
pub struct DbBudget {
    limit: usize,
    workers: AtomicUsize,
    extra: AtomicUsize,
    open: AtomicUsize,
    rebalance: AtomicBool,
    metrics: Arc<Metrics>,
}

impl DbBudget {
    pub fn new(limit: usize, metrics: Arc<Metrics>) -> Arc<DbBudget> {
        Arc::new(DbBudget {
            limit: limit.max(1),
            workers: AtomicUsize::new(0),
            extra: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            rebalance: AtomicBool::new(false),
            metrics,
        })
    }

    /// `--db_max_open`.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Registers a worker; its account is released when dropped.
    pub fn worker(self: &Arc<Self>) -> WorkerAccount {
        self.workers.fetch_add(1, Ordering::SeqCst);
        WorkerAccount {
            budget: self.clone(),
            held: Rc::new(Cell::new(0)),
        }
    }

    fn extra_cap(&self) -> usize {
        self.limit
            .saturating_sub(self.workers.load(Ordering::SeqCst).max(1))
    }

    /// Each worker's fair share of connections.
    fn fair_share(&self) -> usize {
        (self.limit / self.workers.load(Ordering::Relaxed).max(1)).max(1)
    }
}

/// One worker's connections in the budget.
pub struct WorkerAccount {
    budget: Arc<DbBudget>,
    held: Rc<Cell<usize>>,
}

impl Drop for WorkerAccount {
    fn drop(&mut self) {
        self.budget.workers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One open connection's place in the budget; dropping it gives the place back.
pub struct Slot {
    budget: Arc<DbBudget>,
    held: Rc<Cell<usize>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let held = self.held.get();
        self.held.set(held.saturating_sub(1));
        if held > 1 {
            self.budget.extra.fetch_sub(1, Ordering::AcqRel);
        }
        self.budget.open.fetch_sub(1, Ordering::Relaxed);
        self.budget
            .metrics
            .db_connections
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl WorkerAccount {
    /// Connections this worker holds.
    pub fn held(&self) -> usize {
        self.held.get()
    }

    /// A slot for one more connection, if the budget has room for it. `None` means: close one
    /// of your own connections and ask again (the worker holds at least one then).
    pub fn try_acquire(&self) -> Option<Slot> {
        let held = self.held.get();
        if held > 0 {
            let cap = self.budget.extra_cap();
            let got = self
                .budget
                .extra
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < cap).then_some(n + 1)
                })
                .is_ok();
            if !got {
                if held < self.budget.fair_share() {
                    self.budget.rebalance.store(true, Ordering::Relaxed);
                }
                return None;
            }
        }
        self.held.set(held + 1);
        self.budget.open.fetch_add(1, Ordering::Relaxed);
        self.budget
            .metrics
            .db_connections
            .fetch_add(1, Ordering::Relaxed);
        Some(Slot {
            budget: self.budget.clone(),
            held: self.held.clone(),
        })
    }

    /// How many connections this worker should close now to let starved workers in (0 when
    /// no worker asked for a rebalance or this one holds no more than its share).
    pub fn surplus(&self) -> usize {
        if !self.budget.rebalance.load(Ordering::Relaxed) {
            return 0;
        }
        let share = self.budget.fair_share();
        let held = self.held.get();
        if held > share {
            self.budget.rebalance.store(false, Ordering::Relaxed);
            held - share
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_the_limit_and_every_worker_gets_one() {
        let budget = DbBudget::new(3, Arc::new(Metrics::new()));
        let a = budget.worker();
        let b = budget.worker();
        let a1 = a.try_acquire().unwrap();
        let a2 = a.try_acquire().unwrap();
        assert!(a.try_acquire().is_none(), "b's reserved slot stays free");
        let b1 = b.try_acquire().unwrap();
        assert!(b.try_acquire().is_none());
        assert_eq!(budget.open(), 3);
        drop(a1);
        assert!(b.try_acquire().is_some_and(|s| {
            assert_eq!(budget.open(), 3);
            drop(s);
            true
        }));
        drop((a2, b1));
        assert_eq!(budget.open(), 0);
        assert_eq!(budget.metrics.db_connections.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn starved_workers_ask_for_a_rebalance() {
        let budget = DbBudget::new(4, Arc::new(Metrics::new()));
        let (a, b) = (budget.worker(), budget.worker());
        let held: Vec<Slot> = (0..3).map(|_| a.try_acquire().unwrap()).collect();
        let _b1 = b.try_acquire().unwrap();
        assert!(b.try_acquire().is_none());
        assert_eq!(a.surplus(), 1);
        assert_eq!(a.surplus(), 0, "the request is served once");
        drop(held);
    }
}
