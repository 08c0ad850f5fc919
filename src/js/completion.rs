//! Work that finished away from the worker (an outbound `fetch`, later a WebSocket message or
//! a drained stream) and must continue in a henv's JavaScript runtime, on the worker that owns
//! that runtime.
//!
//! # Protocol for producers
//!
//! 1. **Start**, in a host function, on the worker, while JavaScript runs: call
//!    `HostEnv::completer()` (clone the `Rc<Completions>` into the host function's closure
//!    when installing it) to get a `Completer`. It records the henv, the runtime's id and the
//!    request whose turn is running (see `super::scope`), and counts one outstanding
//!    operation. Return a promise to JavaScript and keep its resolve/reject functions in the
//!    runtime (e.g. in a JS-side map keyed by an operation id), never in the `Completer`: it
//!    crosses threads and must hold only `Send` data.
//! 2. **Work** off the worker (the outbound I/O thread, the event loop). `Completer::cancelled()`
//!    turns true when the request ended (answered, failed, or past its deadline): stop then
//!    and release what the operation holds.
//! 3. **Complete** exactly once, success or failure alike: `Completer::complete(run)`. The
//!    worker runs `run` inside the runtime as a turn of the request that started the
//!    operation (its user, principal, log id and deadline bound), then the promise jobs it
//!    queued, then answers any request whose response ended. A completion whose runtime is
//!    gone (rebuilt after an error, evicted, or replaced by new code) or whose request has
//!    ended is dropped unrun. A `Completer` dropped without completing counts as outstanding
//!    forever (requests then end at their deadline, not with "app never sent a response").
//!
//! `run` receives the context only: it finds the JavaScript values it needs (the resolver
//! stored at step 1) through globals or the `hbf:host` object, and must not block.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

/// The code to run in the runtime's context. It captures only `Send` data (bytes, numbers,
/// strings) and makes the JavaScript values it needs when it runs.
pub type CompletionFn = Box<dyn for<'js> FnOnce(&rquickjs::Ctx<'js>) + Send>;

/// One piece of work for a runtime.
pub struct Completion {
    /// The henv whose runtime must run it.
    pub henv: String,
    /// The generation of that runtime (each runtime built gets a new one); a completion for
    /// another generation is dropped.
    pub runtime_id: u64,
    /// The request that started the operation (0: none); its state is bound while `run` runs.
    pub request: u64,
    pub run: CompletionFn,
}

/// The sending side, cloned into every producer.
#[derive(Clone)]
pub struct CompletionSender {
    tx: Sender<Completion>,
}

impl CompletionSender {
    /// Queues `completion` for its worker. `false` when the worker is gone (shutdown).
    pub fn send(&self, completion: Completion) -> bool {
        self.tx.send(completion).is_ok()
    }
}

/// A worker's completion channel (unbounded: each entry answers an operation the worker
/// itself started, and those are capped where they start).
pub fn channel() -> (CompletionSender, Receiver<Completion>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (CompletionSender { tx }, rx)
}

/// One started operation's way back to its runtime (see the protocol above). `Send`.
pub struct Completer {
    pub(crate) sender: CompletionSender,
    pub(crate) henv: String,
    pub(crate) runtime_id: u64,
    pub(crate) request: u64,
    pub(crate) cancelled: Arc<AtomicBool>,
}

impl Completer {
    /// The request that started the operation ended: its result would be dropped.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Sends the completion to the runtime's worker. `false` when the worker is gone.
    pub fn complete(self, run: CompletionFn) -> bool {
        self.sender.send(Completion {
            henv: self.henv,
            runtime_id: self.runtime_id,
            request: self.request,
            run,
        })
    }
}
