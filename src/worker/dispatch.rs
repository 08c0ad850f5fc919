//! Which worker a request goes to: one queue per worker, henv affinity, and the per-henv cap
//! on requests in flight.
//!
//! By default every request of a henv goes to one worker (its *owner*), so the henv has one
//! JavaScript runtime whose module state every request sees, as in one Node process. A
//! henv's `workers` setting (N > 1) spreads its requests round-robin over N workers starting
//! at the owner, each with its own runtime: a Node cluster of N. The loop resolves
//! Host → henv from the router's in-memory table (`Affinity`), not by hashing the Host
//! header, so every hostname of a henv reaches the same runtime.
//!
//! A henv without an owner (first request, or idle for `idle` since its last one — by then
//! its old worker has closed it) is placed on the least loaded worker. There is no work
//! stealing: a request never runs on a worker other than its henv's, because a second
//! runtime would split the henv's module state. The price is head-of-line blocking between
//! henvs that share a worker: a CPU-bound request holds its worker until it returns or its
//! deadline interrupts it (`--qjs_timeout_ms`), and a henv can queue at most its in-flight
//! cap of such requests, so a request of another henv on that worker waits at most
//! cap × deadline (both configurable) — in practice far less, since new henvs are placed on
//! the least loaded worker and waiting on I/O or timers does not hold a worker.
//!
//! The global queue limit is kept: jobs queued on all workers together are capped by
//! `--queue_capacity` (503 "worker queue full"); a henv at its in-flight cap gets its own 503.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use super::Job;
use crate::http::Request;

/// Resolves the henv of a request on the event loop, from in-memory state only.
pub trait Affinity: Send + Sync {
    /// The henv (hash) the request is for, or `None` (signup, unknown host...).
    fn henv_of(&self, req: &Request) -> Option<String>;

    /// Changes whenever `henv_of` may answer differently for the same request (a new route
    /// table): the dispatcher remembers the last Host's henv until then.
    fn version(&self) -> u64;
}

const NO_OWNER: usize = usize::MAX;

/// One henv's placement and in-flight count, shared by the loop and the workers.
#[derive(Debug)]
pub struct HenvSlot {
    owner: AtomicUsize,
    /// Workers the henv spreads over (its `workers` setting, at least 1).
    workers: AtomicUsize,
    /// Round-robin position among them.
    next: AtomicUsize,
    inflight: AtomicUsize,
    /// The henv's own cap (0: the server's default).
    max_inflight: AtomicUsize,
    /// When its last request was dispatched (ms since the dispatcher started).
    last_request: AtomicU64,
}

/// Counts one request in flight for its henv until dropped (answered, failed, or dropped
/// by a worker after its deadline).
#[derive(Debug)]
pub struct InflightGuard(Arc<HenvSlot>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Relaxed);
    }
}

/// The placement table (grows with the henvs that received requests; entries are tiny).
#[derive(Default)]
pub struct HenvTable {
    slots: Mutex<HashMap<String, Arc<HenvSlot>>>,
}

impl HenvTable {
    fn slot(&self, hash: &str) -> Arc<HenvSlot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.get(hash) {
            return s.clone();
        }
        let s = Arc::new(HenvSlot {
            owner: AtomicUsize::new(NO_OWNER),
            workers: AtomicUsize::new(1),
            next: AtomicUsize::new(0),
            inflight: AtomicUsize::new(0),
            max_inflight: AtomicUsize::new(0),
            last_request: AtomicU64::new(0),
        });
        slots.insert(hash.to_owned(), s.clone());
        s
    }

    /// A henv's settings as its worker read them: how many workers it spreads over, and its
    /// own in-flight cap (0: the default). Cheap when nothing changed.
    pub fn configure(&self, hash: &str, workers: usize, max_inflight: usize) {
        let s = self.slot(hash);
        s.workers.store(workers.max(1), Relaxed);
        s.max_inflight.store(max_inflight, Relaxed);
    }

    /// Requests of `hash` admitted and not answered yet.
    pub fn inflight(&self, hash: &str) -> usize {
        self.slot(hash).inflight.load(Relaxed)
    }
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum DispatchError {
    /// All workers' queues together hold `--queue_capacity` jobs.
    QueueFull,
    /// The henv has its cap of requests in flight.
    HenvBusy,
    /// The workers are gone (shutdown).
    Disconnected,
}

/// The loop's side: queues of every worker and the placement state.
pub struct Dispatch {
    queues: Vec<Sender<Job>>,
    /// Per worker: jobs queued on it or running.
    load: Arc<Vec<AtomicUsize>>,
    /// Jobs queued on all workers, not yet taken.
    queued: Arc<AtomicUsize>,
    capacity: usize,
    table: Arc<HenvTable>,
    affinity: Option<Arc<dyn Affinity>>,
    default_max_inflight: usize,
    /// How long a henv keeps its owner without requests (then it may be placed anew).
    idle: Duration,
    epoch: Instant,
    rr: usize,
    /// The last Host, the route table version, and its henv's slot.
    last: Option<(String, u64, Option<Arc<HenvSlot>>)>,
}

/// What a worker thread shares with the dispatcher.
#[derive(Clone)]
pub struct WorkerQueue {
    pub(super) load: Arc<Vec<AtomicUsize>>,
    pub(super) queued: Arc<AtomicUsize>,
}

impl WorkerQueue {
    /// A job was taken from this worker's queue.
    pub(super) fn taken(&self) {
        self.queued.fetch_sub(1, Relaxed);
    }

    /// Worker `index` is done with a job (answered it or parked it).
    pub(super) fn done(&self, index: usize) {
        if let Some(l) = self.load.get(index) {
            l.fetch_sub(1, Relaxed);
        }
    }
}

impl Dispatch {
    /// `queues[i]` feeds worker `i`.
    pub fn new(
        queues: Vec<Sender<Job>>,
        capacity: usize,
        table: Arc<HenvTable>,
        affinity: Option<Arc<dyn Affinity>>,
        default_max_inflight: usize,
        idle: Duration,
    ) -> (Dispatch, WorkerQueue) {
        let load: Arc<Vec<AtomicUsize>> =
            Arc::new((0..queues.len()).map(|_| AtomicUsize::new(0)).collect());
        let queued = Arc::new(AtomicUsize::new(0));
        let shared = WorkerQueue {
            load: load.clone(),
            queued: queued.clone(),
        };
        (
            Dispatch {
                queues,
                load,
                queued,
                capacity: capacity.max(1),
                table,
                affinity,
                default_max_inflight,
                idle,
                epoch: Instant::now(),
                rr: 0,
                last: None,
            },
            shared,
        )
    }

    /// Whether no job can be queued now.
    pub fn is_full(&self) -> bool {
        self.queued.load(Relaxed) >= self.capacity
    }

    fn least_loaded(&mut self) -> usize {
        let n = self.queues.len();
        self.rr = (self.rr + 1) % n;
        (0..n)
            .map(|i| (self.rr + i) % n)
            .min_by_key(|&i| self.load[i].load(Relaxed))
            .unwrap_or(0)
    }

    /// The placement slot of a request's henv. Keep-alive clients send one Host over and
    /// over: the last Host's slot is reused while the route table is the same.
    fn slot_of(&mut self, req: &Request) -> Option<Arc<HenvSlot>> {
        let affinity = self.affinity.as_ref()?;
        let version = affinity.version();
        let host = req.head.host.as_deref().unwrap_or("");
        if let Some((h, v, slot)) = &self.last {
            if *v == version && h == host {
                return slot.clone();
            }
        }
        let slot = affinity.henv_of(req).map(|hash| self.table.slot(&hash));
        self.last = Some((host.to_owned(), version, slot.clone()));
        slot
    }

    /// Queues `job` on its henv's worker (or the least loaded one).
    pub fn send(&mut self, mut job: Job) -> Result<(), DispatchError> {
        if self.queues.is_empty() {
            return Err(DispatchError::Disconnected);
        }
        if self.is_full() {
            return Err(DispatchError::QueueFull);
        }
        let worker = match self.slot_of(&job.request) {
            Some(slot) => {
                let cap = match slot.max_inflight.load(Relaxed) {
                    0 => self.default_max_inflight,
                    n => n,
                };
                if slot.inflight.load(Relaxed) >= cap.max(1) {
                    return Err(DispatchError::HenvBusy);
                }
                let now = job
                    .request
                    .received_at
                    .saturating_duration_since(self.epoch)
                    .as_millis() as u64;
                let last = slot.last_request.swap(now, Relaxed);
                let idle = now.saturating_sub(last) >= self.idle.as_millis() as u64;
                let mut owner = slot.owner.load(Relaxed);
                if owner >= self.queues.len() || (idle && slot.inflight.load(Relaxed) == 0) {
                    owner = self.least_loaded();
                    slot.owner.store(owner, Relaxed);
                }
                let spread = slot.workers.load(Relaxed).min(self.queues.len());
                let w = if spread > 1 {
                    (owner + slot.next.fetch_add(1, Relaxed) % spread) % self.queues.len()
                } else {
                    owner
                };
                slot.inflight.fetch_add(1, Relaxed);
                job.inflight = Some(InflightGuard(slot));
                w
            }
            None => self.least_loaded(),
        };
        self.load[worker].fetch_add(1, Relaxed);
        self.queued.fetch_add(1, Relaxed);
        match self.queues[worker].try_send(job) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.load[worker].fetch_sub(1, Relaxed);
                self.queued.fetch_sub(1, Relaxed);
                Err(match e {
                    TrySendError::Full(_) => DispatchError::QueueFull,
                    TrySendError::Disconnected(_) => DispatchError::Disconnected,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::Receiver;

    /// The henv of a request is its Host header (as the router would resolve one hostname).
    struct ByHost;

    impl Affinity for ByHost {
        fn henv_of(&self, req: &Request) -> Option<String> {
            req.head.host.clone()
        }
        fn version(&self) -> u64 {
            0
        }
    }

    fn job(host: &str) -> Job {
        Job {
            token: 0,
            serial: 0,
            request: super::super::test_request(1, host, "/", Duration::from_secs(5)),
            inflight: None,
        }
    }

    fn setup(workers: usize, capacity: usize, cap: usize) -> (Dispatch, Vec<Receiver<Job>>) {
        let (tx, rx): (Vec<_>, Vec<_>) = (0..workers)
            .map(|_| crossbeam_channel::bounded(capacity))
            .unzip();
        let (d, _) = Dispatch::new(
            tx,
            capacity,
            Arc::new(HenvTable::default()),
            Some(Arc::new(ByHost)),
            cap,
            Duration::from_secs(300),
        );
        (d, rx)
    }

    fn worker_of(rx: &[Receiver<Job>]) -> Vec<usize> {
        rx.iter()
            .enumerate()
            .flat_map(|(i, r)| r.try_iter().map(move |_| i))
            .collect()
    }

    #[test]
    fn a_henv_stays_on_one_worker_and_henvs_spread_over_workers() {
        let (mut d, rx) = setup(4, 100, 100);
        for _ in 0..10 {
            d.send(job("a")).unwrap();
        }
        let a = worker_of(&rx);
        assert_eq!(a.len(), 10);
        assert!(a.iter().all(|&w| w == a[0]), "{a:?}");
        // (jobs taken from the queue still count as load until done: b goes elsewhere)
        d.send(job("b")).unwrap();
        let b = worker_of(&rx);
        assert_ne!(b[0], a[0]);
    }

    #[test]
    fn the_workers_setting_spreads_a_henv_round_robin() {
        let (mut d, rx) = setup(4, 100, 100);
        d.table.configure("a", 2, 0);
        for _ in 0..10 {
            d.send(job("a")).unwrap();
        }
        let mut per: HashMap<usize, usize> = HashMap::new();
        for w in worker_of(&rx) {
            *per.entry(w).or_default() += 1;
        }
        assert_eq!(per.len(), 2, "{per:?}");
        assert!(per.values().all(|&n| n == 5), "{per:?}");
    }

    #[test]
    fn the_in_flight_cap_and_the_queue_limit_refuse() {
        let (mut d, _rx) = setup(2, 4, 2);
        for _ in 0..2 {
            d.send(job("a")).unwrap();
        }
        assert_eq!(d.send(job("a")), Err(DispatchError::HenvBusy));
        // A henv's own setting overrides the default.
        d.table.configure("a", 1, 3);
        d.send(job("a")).unwrap();
        assert_eq!(d.send(job("b")).err(), None);
        assert!(d.is_full());
        assert_eq!(d.send(job("c")), Err(DispatchError::QueueFull));
        assert_eq!(d.table.inflight("a"), 3);
    }
}
