//! Work that finished away from the worker (an outbound `fetch`, later a WebSocket message or
//! a drained stream) and must continue in a henv's JavaScript runtime, on the worker that owns
//! that runtime.
//!
//! Producers (the outbound I/O thread, the event loop) hold a `CompletionSender`; the worker
//! receives `Completion`s beside its jobs and runs each in the context of the runtime it
//! names, then runs the promise jobs it queued. A completion whose runtime is gone (rebuilt
//! after an error, evicted, or replaced by new code) is dropped unrun.

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
