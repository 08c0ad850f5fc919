//! The fixed worker pool: complete requests in, responses out.
//!
//! The loop sends `Job`s over a bounded crossbeam channel (its capacity is the queue limit; a
//! full queue is the loop's cue to answer 503). Each worker thread owns the state its handler
//! builds for it (later: the QuickJS runtimes and SQLite connections of the henvs it serves),
//! runs one request at a time, and returns a `Reply` over an unbounded channel, waking the loop
//! through the `mio::Waker`. Workers never touch sockets.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::collections::HashMap;

use crossbeam_channel::{Receiver, Sender};

use crate::http::{Request, Response};
use crate::js::completion::{self, Completion, CompletionSender};
use crate::observe::{Event, Field, Logger, Metrics};
use crate::server::Shared;

/// The seam between the network core and application code: builds one `WorkerHandler` per
/// worker thread. Implemented by the JavaScript runtime and by embedders.
pub trait Handler: Send + Sync + 'static {
    /// Called on each worker thread before it takes its first job (and again after a
    /// handler panicked, to start from fresh state).
    fn worker(&self, env: &WorkerEnv) -> Box<dyn WorkerHandler>;

    /// How the event loop finds a request's henv, to keep each henv on its worker (see
    /// `dispatch`). `None` (the default): requests go to the least loaded worker.
    fn affinity(&self, _log: &Arc<Logger>, _metrics: &Arc<Metrics>) -> Option<Arc<dyn Affinity>> {
        None
    }
}

/// What a worker thread's handler may use from the server.
#[derive(Clone)]
pub struct WorkerEnv {
    /// Placement of henvs on workers: a handler reports each henv's `workers` setting and
    /// in-flight cap here.
    pub henvs: Arc<HenvTable>,
    /// This worker's completion channel: operations a handler starts send their results
    /// here, and the worker hands them to `WorkerHandler::complete`.
    pub completions: CompletionSender,
    /// 0-based index of the worker thread.
    pub index: usize,
    /// The server's logger.
    pub log: Arc<Logger>,
    /// The server's counters (handlers update `active_henvs`, `db_connections`).
    pub metrics: Arc<Metrics>,
}

/// What `WorkerHandler::start` did with a request.
pub enum Started {
    /// Answered at once.
    Done(Response),
    /// Waiting (timers, completions): a later `poll` or `complete` reports it as `Finished`.
    Parked,
}

/// A parked request that ended.
pub struct Finished {
    pub request_id: u64,
    pub response: Response,
    /// Its henv, for per-henv metrics.
    pub henv: Option<String>,
}

/// Per-thread request handling. Not `Send`: it may hold thread-bound state.
///
/// A handler that only answers synchronously implements `handle`; one that lets requests
/// wait without holding the worker implements `start`, `poll`, `complete` and `next_wake`:
/// the worker then takes the next job while requests are parked, and calls `poll` when
/// `next_wake` is reached and `complete` when a completion arrives.
pub trait WorkerHandler {
    /// Produces the response for one request. `req.deadline` is when the loop gives up and
    /// answers 504; a handler should stop by then.
    fn handle(&mut self, req: &Request) -> Response;

    /// Starts a request; `Parked` when its response comes later.
    fn start(&mut self, req: &Request) -> Started {
        Started::Done(self.handle(req))
    }

    /// Moves parked requests on at `now` (timers due, deadlines passed); ended ones go to
    /// `done`.
    fn poll(&mut self, _now: Instant, _done: &mut Vec<Finished>) {}

    /// Runs a completion that arrived for this worker; ended requests go to `done`.
    fn complete(&mut self, _completion: Completion, _done: &mut Vec<Finished>) {}

    /// When `poll` has work next (`None`: nothing parked).
    fn next_wake(&mut self) -> Option<Instant> {
        None
    }

    /// The henv (hash) the last `handle` call served, for per-henv metrics.
    fn henv(&self) -> Option<&str> {
        None
    }

    /// Called about once a second while no request arrives (housekeeping such as closing
    /// idle connections).
    fn idle(&mut self) {}
}

mod dispatch;
pub use dispatch::{Affinity, Dispatch, DispatchError, HenvTable, InflightGuard, WorkerQueue};

/// How long an idle worker waits for a job before calling `WorkerHandler::idle`.
const IDLE_TICK: Duration = Duration::from_secs(1);

/// The default handler until an application runtime is plugged in: JSON 404 for everything.
pub struct NotFound;

impl Handler for NotFound {
    fn worker(&self, _env: &WorkerEnv) -> Box<dyn WorkerHandler> {
        Box::new(NotFound)
    }
}

impl WorkerHandler for NotFound {
    fn handle(&mut self, req: &Request) -> Response {
        Response::error(
            404,
            &format!("no route for {} {}", req.head.method, req.head.path),
        )
    }
}

/// A request on its way to a worker.
pub struct Job {
    /// Connection slot and its serial, so a reply for a closed and reused slot is dropped.
    pub token: usize,
    pub serial: u64,
    pub request: Request,
    /// Counts the request against its henv's in-flight cap until it is answered (set by
    /// `Dispatch`).
    pub inflight: Option<InflightGuard>,
}

/// A worker's answer.
pub struct Reply {
    pub token: usize,
    pub serial: u64,
    pub request_id: u64,
    pub response: Response,
}

/// The running worker threads.
pub struct Pool {
    threads: Vec<JoinHandle<()>>,
    exited: Receiver<()>,
}

impl Pool {
    /// Starts one worker per queue in `jobs` (worker `i` takes jobs from `jobs[i]`).
    pub(crate) fn start(
        handler: Arc<dyn Handler>,
        jobs: Vec<Receiver<Job>>,
        queue: WorkerQueue,
        henvs: Arc<HenvTable>,
        replies: Sender<Reply>,
        shared: Arc<Shared>,
    ) -> std::io::Result<Pool> {
        let count = jobs.len();
        let (exited_tx, exited) = crossbeam_channel::bounded(count);
        let mut threads = Vec::with_capacity(count);
        for (index, jobs) in jobs.into_iter().enumerate() {
            let (handler, replies, shared, exited_tx) = (
                handler.clone(),
                replies.clone(),
                shared.clone(),
                exited_tx.clone(),
            );
            let (queue, henvs) = (queue.clone(), henvs.clone());
            let thread = std::thread::Builder::new()
                .name(format!("hbf-worker-{index}"))
                .spawn(move || {
                    let worker = Worker {
                        index,
                        jobs,
                        queue,
                        replies,
                        shared,
                        parked: HashMap::new(),
                    };
                    worker.run(&*handler, henvs);
                    let _ = exited_tx.send(());
                })?;
            threads.push(thread);
        }
        Ok(Pool { threads, exited })
    }

    /// Waits for the workers to exit (their job channel must be closed) until `deadline`.
    /// Workers still busy after it are detached; they exit when their handler returns.
    pub(crate) fn join_until(self, deadline: Instant) -> usize {
        let mut exited = 0;
        while exited < self.threads.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.exited.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(()) => exited += 1,
                Err(_) => break,
            }
        }
        let detached = self.threads.len() - exited;
        if detached == 0 {
            for t in self.threads {
                let _ = t.join();
            }
        }
        detached
    }
}

/// A request a handler parked: where its reply goes.
struct ParkedJob {
    token: usize,
    serial: u64,
    started: Instant,
    inflight: Option<InflightGuard>,
}

/// One worker thread.
struct Worker {
    index: usize,
    jobs: Receiver<Job>,
    queue: WorkerQueue,
    replies: Sender<Reply>,
    shared: Arc<Shared>,
    parked: HashMap<u64, ParkedJob>,
}

impl Worker {
    /// Takes jobs, completions and wake-ups until the job queue closes and nothing is
    /// parked (or its handler's parked requests all passed their deadlines).
    fn run(mut self, handler: &dyn Handler, henvs: Arc<HenvTable>) {
        let (completions_tx, completions) = completion::channel();
        let env = WorkerEnv {
            completions: completions_tx,
            henvs,
            index: self.index,
            log: self.shared.log.clone(),
            metrics: self.shared.metrics.clone(),
        };
        let mut state = handler.worker(&env);
        let mut done = Vec::new();
        let mut jobs_open = true;
        loop {
            if !jobs_open && self.parked.is_empty() {
                break;
            }
            let wake = match guarded(&mut state, handler, &env, |s| s.next_wake()) {
                Some(w) => w,
                None => {
                    self.fail_parked();
                    None
                }
            };
            let timeout = wake
                .map_or(IDLE_TICK, |w| w.saturating_duration_since(Instant::now()))
                .min(IDLE_TICK);
            let never = crossbeam_channel::never();
            let jobs = if jobs_open { &self.jobs } else { &never };
            let ok = crossbeam_channel::select! {
                recv(jobs) -> job => match job {
                    Ok(job) => {
                        self.queue.taken();
                        self.start(&mut state, handler, &env, job);
                        self.queue.done(self.index);
                        true
                    }
                    Err(_) => {
                        jobs_open = false;
                        true
                    }
                },
                recv(completions) -> c => match c {
                    Ok(c) => guarded(&mut state, handler, &env, |s| s.complete(c, &mut done)).is_some(),
                    Err(_) => true,
                },
                default(timeout) => {
                    // (a whole tick without a job or anything parked: housekeeping)
                    wake.is_some() || guarded(&mut state, handler, &env, |s| s.idle()).is_some()
                }
            };
            let ok = ok
                && (wake.is_none_or(|w| w > Instant::now())
                    || guarded(&mut state, handler, &env, |s| {
                        s.poll(Instant::now(), &mut done)
                    })
                    .is_some());
            if !ok {
                // (the handler panicked: its parked requests are lost with its state)
                done.clear();
                self.fail_parked();
            }
            if !self.deliver(&mut done) {
                break;
            }
        }
    }

    fn start(
        &mut self,
        state: &mut Box<dyn WorkerHandler>,
        handler: &dyn Handler,
        env: &WorkerEnv,
        job: Job,
    ) {
        self.shared.emit(&Event::Dequeued);
        if Instant::now() >= job.request.deadline {
            // The loop has already answered 504; running it now would only waste the worker.
            return;
        }
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| state.start(&job.request)));
        let response = match outcome {
            Ok(Started::Done(response)) => response,
            Ok(Started::Parked) => {
                self.parked.insert(
                    job.request.id,
                    ParkedJob {
                        token: job.token,
                        serial: job.serial,
                        started,
                        inflight: job.inflight,
                    },
                );
                return;
            }
            Err(panic) => {
                let what = panic_message(&*panic);
                self.shared.log.error(
                    "handler panicked; worker state rebuilt",
                    &[
                        ("request_id", Field::U64(job.request.id)),
                        ("panic", Field::Str(&what)),
                    ],
                );
                *state = handler.worker(env);
                self.fail_parked();
                Response::error(500, "internal server error")
            }
        };
        self.shared.emit(&Event::HandlerDone {
            duration: started.elapsed(),
            henv: state.henv(),
        });
        drop(job.inflight); // (before the reply: the client's next request may come at once)
        self.reply(job.token, job.serial, job.request.id, response);
    }

    /// Sends the responses of parked requests that ended. `false` when the loop is gone.
    fn deliver(&mut self, done: &mut Vec<Finished>) -> bool {
        for f in done.drain(..) {
            let Some(p) = self.parked.remove(&f.request_id) else {
                continue;
            };
            self.shared.emit(&Event::HandlerDone {
                duration: p.started.elapsed(),
                henv: f.henv.as_deref(),
            });
            drop(p.inflight);
            if !self.reply(p.token, p.serial, f.request_id, f.response) {
                return false;
            }
        }
        true
    }

    /// Answers every parked request with 500 (their handler state was lost).
    fn fail_parked(&mut self) {
        for (id, p) in std::mem::take(&mut self.parked) {
            drop(p.inflight);
            self.reply(
                p.token,
                p.serial,
                id,
                Response::error(500, "internal server error"),
            );
        }
    }

    fn reply(&self, token: usize, serial: u64, request_id: u64, response: Response) -> bool {
        let reply = Reply {
            token,
            serial,
            request_id,
            response,
        };
        if self.replies.send(reply).is_err() {
            return false;
        }
        self.shared.reply_queued();
        true
    }
}

/// Runs `f` on the handler state; a panic rebuilds the state (logged) and yields `None`.
fn guarded<T>(
    state: &mut Box<dyn WorkerHandler>,
    handler: &dyn Handler,
    env: &WorkerEnv,
    f: impl FnOnce(&mut Box<dyn WorkerHandler>) -> T,
) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(|| f(state))) {
        Ok(v) => Some(v),
        Err(panic) => {
            env.log.error(
                "handler panicked; worker state rebuilt",
                &[("panic", Field::Str(&panic_message(&*panic)))],
            );
            *state = handler.worker(env);
            None
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// A parsed `GET path` for `host` with id `id` and a deadline `timeout` away, for unit tests.
#[cfg(test)]
pub(crate) fn test_request(id: u64, host: &str, path: &str, timeout: Duration) -> Request {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let (head, _) = crate::http::parse_head(raw.as_bytes(), &crate::http::Limits::default())
        .expect("a valid head")
        .expect("a complete head");
    let now = Instant::now();
    Request {
        id,
        head,
        body: Vec::new(),
        peer: ([127, 0, 0, 1], 1).into(),
        client_ip: [127, 0, 0, 1].into(),
        secure: false,
        received_at: now,
        deadline: now + timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        let payload = catch_unwind(|| panic!("static message")).unwrap_err();
        assert_eq!(panic_message(&*payload), "static message");
        let n = 7;
        let payload = catch_unwind(|| panic!("formatted {n}")).unwrap_err();
        assert_eq!(panic_message(&*payload), "formatted 7");
        let payload = catch_unwind(|| std::panic::panic_any(42u8)).unwrap_err();
        assert_eq!(panic_message(&*payload), "unknown panic");
    }
}
