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

use crossbeam_channel::{Receiver, Sender};

use crate::http::{Request, Response};
use crate::observe::{Event, Field, Logger, Metrics};
use crate::server::Shared;

/// The seam between the network core and application code: builds one `WorkerHandler` per
/// worker thread. Implemented by the JavaScript runtime and by embedders.
pub trait Handler: Send + Sync + 'static {
    /// Called on each worker thread before it takes its first job (and again after a
    /// handler panicked, to start from fresh state).
    fn worker(&self, env: &WorkerEnv) -> Box<dyn WorkerHandler>;
}

/// What a worker thread's handler may use from the server.
#[derive(Clone)]
pub struct WorkerEnv {
    /// 0-based index of the worker thread.
    pub index: usize,
    /// The server's logger.
    pub log: Arc<Logger>,
    /// The server's counters (handlers update `active_henvs`, `db_connections`).
    pub metrics: Arc<Metrics>,
}

/// Per-thread request handling. Not `Send`: it may hold thread-bound state.
pub trait WorkerHandler {
    /// Produces the response for one request. `req.deadline` is when the loop gives up and
    /// answers 504; a handler should stop by then.
    fn handle(&mut self, req: &Request) -> Response;

    /// The henv (hash) the last `handle` call served, for per-henv metrics.
    fn henv(&self) -> Option<&str> {
        None
    }

    /// Called about once a second while no request arrives (housekeeping such as closing
    /// idle connections).
    fn idle(&mut self) {}
}

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
    /// Starts `count` workers taking jobs from `jobs`.
    pub(crate) fn start(
        count: usize,
        handler: Arc<dyn Handler>,
        jobs: Receiver<Job>,
        replies: Sender<Reply>,
        shared: Arc<Shared>,
    ) -> std::io::Result<Pool> {
        let (exited_tx, exited) = crossbeam_channel::bounded(count);
        let mut threads = Vec::with_capacity(count);
        for index in 0..count {
            let (handler, jobs, replies, shared, exited_tx) = (
                handler.clone(),
                jobs.clone(),
                replies.clone(),
                shared.clone(),
                exited_tx.clone(),
            );
            let thread = std::thread::Builder::new()
                .name(format!("hbf-worker-{index}"))
                .spawn(move || {
                    run_worker(index, &*handler, &jobs, &replies, &shared);
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

fn run_worker(
    index: usize,
    handler: &dyn Handler,
    jobs: &Receiver<Job>,
    replies: &Sender<Reply>,
    shared: &Shared,
) {
    let env = WorkerEnv {
        index,
        log: shared.log.clone(),
        metrics: shared.metrics.clone(),
    };
    let mut state = handler.worker(&env);
    loop {
        let job = match jobs.recv_timeout(IDLE_TICK) {
            Ok(job) => job,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                if catch_unwind(AssertUnwindSafe(|| state.idle())).is_err() {
                    state = handler.worker(&env);
                }
                continue;
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        shared.emit(&Event::Dequeued);
        if Instant::now() >= job.request.deadline {
            // The loop has already answered 504; running it now would only waste the worker.
            continue;
        }
        let started = Instant::now();
        let response = match catch_unwind(AssertUnwindSafe(|| state.handle(&job.request))) {
            Ok(response) => response,
            Err(panic) => {
                let what = panic_message(&*panic);
                shared.log.error(
                    "handler panicked; worker state rebuilt",
                    &[
                        ("request_id", Field::U64(job.request.id)),
                        ("panic", Field::Str(&what)),
                    ],
                );
                state = handler.worker(&env);
                Response::error(500, "internal server error")
            }
        };
        shared.emit(&Event::HandlerDone {
            duration: started.elapsed(),
            henv: state.henv(),
        });
        let reply = Reply {
            token: job.token,
            serial: job.serial,
            request_id: job.request.id,
            response,
        };
        if replies.send(reply).is_err() {
            break;
        }
        shared.reply_queued();
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
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
