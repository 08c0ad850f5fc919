//! The TLS handshake pool: full-handshake crypto (ECDHE, the certificate signature, ticket
//! sealing — about 2 ms of CPU each) runs here, on `--tls_handshake_threads` threads, never on
//! the event loop.
//!
//! A connection in `Handshake` whose socket is ready hands its mbed TLS `Session` to the pool
//! and stays parked in `Handshake` (its socket still registered, its deadline still running);
//! a pool thread runs one non-blocking handshake step and sends the session back with the
//! outcome, waking the loop. The loop gives it back to the connection only if the slot still
//! holds the same connection (serial); otherwise the session is dropped (the connection timed
//! out or closed meanwhile). Readiness that arrives while the session is away is remembered by
//! the connection and answered by another step when the session returns, so no edge-triggered
//! event is lost.
//!
//! The queue is bounded (`--tls_handshake_queue`): when it is full, the connection whose step
//! does not fit is closed (`hbf_handshakes_total{result="overload"}`). So a handshake flood
//! costs at most the pool's threads of CPU plus a bounded queue, and plain HTTP and established
//! TLS connections keep the loop to themselves.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::tls::{Handshake, Session};
use crate::server::Shared;

/// One handshake step to run.
struct Job {
    token: usize,
    serial: u64,
    session: Box<Session>,
}

/// A step that ran: the session goes back to connection `token` if it is still `serial`.
pub(crate) struct Done {
    pub token: usize,
    pub serial: u64,
    pub session: Box<Session>,
    pub outcome: Handshake,
}

/// The pool's threads and its two channels.
pub(crate) struct HandshakePool {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
}

impl HandshakePool {
    /// Starts `threads` threads (at least one) behind a queue of `queue` steps.
    pub fn start(threads: usize, queue: usize, shared: Arc<Shared>) -> io::Result<HandshakePool> {
        let (jobs, inbox) = crossbeam_channel::bounded::<Job>(queue.max(1));
        let (outbox, done) = crossbeam_channel::unbounded();
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let inbox = inbox.clone();
            let outbox = outbox.clone();
            let shared = shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("hbf-tls-{i}"))
                .spawn(move || {
                    for mut job in inbox {
                        let outcome = job.session.handshake();
                        let done = Done {
                            token: job.token,
                            serial: job.serial,
                            session: job.session,
                            outcome,
                        };
                        if outbox.send(done).is_err() {
                            return; // the loop is gone
                        }
                        let _ = shared.waker.wake();
                    }
                })?;
            handles.push(handle);
        }
        Ok(HandshakePool {
            jobs: Some(jobs),
            done,
            threads: handles,
        })
    }

    /// Queues a step for connection `token`; gives the session back when the queue is full.
    pub fn submit(
        &self,
        token: usize,
        serial: u64,
        session: Box<Session>,
    ) -> Result<(), Box<Session>> {
        let Some(jobs) = &self.jobs else {
            return Err(session);
        };
        jobs.try_send(Job {
            token,
            serial,
            session,
        })
        .map_err(|e| match e {
            TrySendError::Full(job) | TrySendError::Disconnected(job) => job.session,
        })
    }

    /// Steps that have run since the last call.
    pub fn completed(&self) -> impl Iterator<Item = Done> + '_ {
        self.done.try_iter()
    }

    /// Stops the threads after the steps already queued (each is short and non-blocking).
    pub fn stop(&mut self) {
        self.jobs = None;
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}
