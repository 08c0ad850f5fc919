//! One QuickJS runtime + context running one henv's app on one worker thread.
//!
//! Built once and reused across requests (module-level state persists per worker, as in
//! Cloudflare Workers); thrown away after an interrupt, out-of-memory or internal error, or
//! when the app's code changes. Requests run with a deadline enforced by the interrupt handler.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rquickjs::promise::PromiseState;
use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Function, Module, Object, Persistent, Promise,
    Runtime, Value,
};

use super::completion::Completion;
use super::host::{self, HostEnv, LogContext};
use super::scope::{Binding, Scopes};
use super::{convert, Bytecode};
use crate::http::{Request, Response};

/// Why a request could not be answered by the app.
#[derive(Debug, thiserror::Error)]
pub enum JsError {
    #[error("app did not answer before its deadline")]
    Deadline,
    /// The request's deadline passed while it waited (no JavaScript was running): the
    /// runtime is kept.
    #[error("app did not answer before its deadline (the request was waiting)")]
    Expired,
    #[error("app ran out of memory")]
    OutOfMemory,
    #[error("app never sent a response")]
    NoResponse,
    #[error("{message}")]
    Exception { message: String, stack: String },
    #[error("JavaScript engine error: {0}")]
    Engine(String),
}

impl JsError {
    /// Whether the runtime must be discarded after this error.
    pub fn poisons_runtime(&self) -> bool {
        matches!(
            self,
            JsError::Deadline | JsError::OutOfMemory | JsError::Engine(_)
        )
    }
}

/// A live runtime for one henv's app.
pub struct AppRuntime {
    // Field order matters: persistent handles must drop before the context and runtime.
    app: Persistent<Object<'static>>,
    /// `express.__serve`.
    serve: Persistent<Function<'static>>,
    timers: Persistent<Object<'static>>,
    /// `__hbf_timers.clearOwner`, called once a request is over.
    clear_owner: Persistent<Function<'static>>,
    /// `express.__release`, called once a request is over.
    release: Persistent<Function<'static>>,
    /// Requests whose response has not ended yet, with their `__serve` promise.
    parked: RefCell<Vec<Parked>>,
    strings: RefCell<convert::StringCache>,
    context: Context,
    runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
    /// Set by the interrupt handler when it stopped running JavaScript.
    interrupted: Rc<Cell<bool>>,
    /// Set by `abandon`: the runtime must not serve again.
    lost: Cell<bool>,
    pub log_ctx: Rc<RefCell<LogContext>>,
    /// Which request each turn runs for.
    pub scopes: Rc<Scopes>,
    /// The generation of this runtime (`Completion::runtime_id`).
    pub id: u64,
    /// Hash of the server.js this runtime runs.
    pub code_hash: String,
    /// Clock origin for JS timers.
    epoch: Instant,
    /// The GC threshold last set, and the garbage allowed on top of the live heap.
    gc_threshold: Cell<usize>,
    gc_slack: usize,
    gc_cap: usize,
}

/// A request waiting in the runtime (timers, completions, other requests' work).
struct Parked {
    request_id: u64,
    deadline: Instant,
    promise: Persistent<Promise<'static>>,
}

/// What starting a request in the runtime led to.
pub enum Step {
    /// Answered (or failed) in the first turn.
    Done(Result<Response, JsError>),
    /// The response did not end yet: the request is parked until a later turn settles it.
    Parked,
}

/// A request that ended in a later turn, with its response or error.
pub type Settled = (u64, Result<Response, JsError>);

/// What a runtime is built from.
pub struct AppSource<'a> {
    pub code_hash: String,
    pub express: &'a Bytecode,
    pub mem_limit_bytes: usize,
    pub henv: &'a str,
}

impl AppRuntime {
    /// Builds a runtime, installs the host, runs the prelude, express and server.js.
    pub fn build(
        source: &AppSource<'_>,
        env: HostEnv,
        startup_deadline: Instant,
    ) -> Result<AppRuntime, JsError> {
        let runtime = Runtime::new().map_err(engine)?;
        runtime.set_memory_limit(source.mem_limit_bytes);
        runtime.set_max_stack_size(1024 * 1024);
        // Collect cycles every few MiB of allocation rather than every 256 KiB: request garbage
        // is short-lived and freed by reference counting; the cycle collector's cost is per run
        // (see `tune_gc`).
        // (4 MiB at most: garbage counts in `--js_max_memory_mb` until it is collected)
        let gc_slack = (source.mem_limit_bytes / 16).clamp(1 << 20, 4 << 20);
        runtime.set_gc_threshold(gc_slack);
        let deadline = Rc::new(Cell::new(Some(startup_deadline)));
        let interrupted = Rc::new(Cell::new(false));
        let (watch, flag) = (deadline.clone(), interrupted.clone());
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let stop = watch.get().is_some_and(|d| Instant::now() >= d);
            if stop {
                flag.set(true);
            }
            stop
        })));
        // require()/import over the henv's files (src/js/modules).
        let modules = super::modules::ModuleHost::new(env.conn.clone());
        runtime.set_loader(
            super::modules::EsmResolver(modules.clone()),
            super::modules::EsmLoader(modules.clone()),
        );
        let context = Context::full(&runtime).map_err(engine)?;
        let log_ctx = env.log_ctx.clone();
        let (scopes, id) = (env.scopes.clone(), env.runtime_id);
        let (app, serve, timers, clear_owner, release) = context.with(|ctx| -> Result<_, JsError> {
            let host_obj = host::install(&ctx, &env).map_err(engine)?;
            super::modules::install(&ctx, &host_obj, &modules).map_err(engine)?;
            let libs = library_bytecode()?;
            run_module(&ctx, &libs[0])?; // loader.js
            let bind_host: Function = ctx
                .eval("(function (host) { __hbf_define('hbf:host', function (e, r, module) { module.exports = host; }); })")
                .map_err(engine)?;
            bind_host.call::<_, ()>((host_obj,)).catch(&ctx).map_err(|e| caught(&ctx, e))?;
            for lib in &libs[1..] {
                run_module(&ctx, lib)?; // db.js, auth.js, prelude.js
            }
            let define: Function = ctx.globals().get("__hbf_define").map_err(engine)?;
            let express = load_commonjs(&ctx, source.express)?;
            define.call::<_, ()>(("express", express)).catch(&ctx).map_err(|e| caught(&ctx, e))?;
            eval_script(&ctx, "auth-user.js", "__hbf_define_user_getter(require('express'))")?;
            let app = super::modules::load_main(&ctx, &modules)?;
            drain_jobs(&ctx);
            let Some(app) = app.into_object().filter(|o| o.is_function()) else {
                return Err(JsError::Exception {
                    message: "server.js must set module.exports (or export default) to an express() app".into(),
                    stack: String::new(),
                });
            };
            let require: Function = ctx.globals().get("require").map_err(engine)?;
            let express_mod: Object = require.call(("express",)).catch(&ctx).map_err(|e| caught(&ctx, e))?;
            let serve: Function = express_mod.get("__serve").map_err(engine)?;
            let timers: Object = ctx.globals().get("__hbf_timers").map_err(engine)?;
            // Timers started while server.js loaded belong to no request: they never run.
            timers.get::<_, Function>("clear").and_then(|f| f.call::<_, ()>(())).map_err(engine)?;
            let release: Function = express_mod.get("__release").map_err(engine)?;
            let clear_owner: Function = timers.get("clearOwner").map_err(engine)?;
            Ok((
                Persistent::save(&ctx, app),
                Persistent::save(&ctx, serve),
                Persistent::save(&ctx, timers),
                Persistent::save(&ctx, clear_owner),
                Persistent::save(&ctx, release),
            ))
        })?;
        deadline.set(None);
        Ok(AppRuntime {
            app,
            serve,
            timers,
            clear_owner,
            release,
            parked: RefCell::default(),
            strings: RefCell::default(),
            context,
            runtime,
            deadline,
            interrupted,
            lost: Cell::new(false),
            log_ctx,
            scopes,
            id,
            code_hash: source.code_hash.clone(),
            epoch: Instant::now(),
            gc_threshold: Cell::new(gc_slack),
            gc_slack,
            gc_cap: source.mem_limit_bytes / 4 * 3,
        })
    }

    /// Runs one request through the app to its end, waiting (sleeping) for its timers: for
    /// callers without a worker loop (benchmarks, `isolation: "request"`).
    pub fn handle(
        &mut self,
        req: &Request,
        hostname: &str,
        binding: Binding,
    ) -> Result<Response, JsError> {
        let id = binding.request_id;
        match self.start(req, hostname, binding) {
            Step::Done(result) => return result,
            Step::Parked => {}
        }
        let mut done = Vec::new();
        loop {
            self.advance(Instant::now(), &mut done);
            if let Some(i) = done.iter().position(|(r, _)| *r == id) {
                return done.swap_remove(i).1;
            }
            match self.next_wake() {
                Some(at) => std::thread::sleep(at.saturating_duration_since(Instant::now())),
                None => return Err(JsError::NoResponse),
            }
        }
    }

    /// Starts one request (its first turn): `Done` when the app answered or failed in it,
    /// else the request is parked and a later `advance`/`complete` reports it.
    pub fn start(&mut self, req: &Request, hostname: &str, binding: Binding) -> Step {
        let id = binding.request_id;
        self.scopes.open(binding);
        let deadline = self.scopes.enter(id);
        self.deadline.set(Some(deadline));
        let (step, gc_threshold) = self.context.with(|ctx| {
            let step = match self.run(&ctx, req, hostname) {
                Ok(out) => match out.as_promise() {
                    Some(p) if p.state() == PromiseState::Pending => {
                        self.parked.borrow_mut().push(Parked {
                            request_id: id,
                            deadline,
                            promise: Persistent::save(&ctx, p.clone()),
                        });
                        Step::Parked
                    }
                    Some(p) => Step::Done(self.finish(&ctx, id, Some(p.clone()))),
                    None => {
                        self.finish(&ctx, id, None).ok();
                        Step::Done(response(&out))
                    }
                },
                Err(e) => {
                    self.finish(&ctx, id, None).ok();
                    Step::Done(Err(e))
                }
            };
            (step, super::ffi::gc_threshold(&ctx))
        });
        self.deadline.set(None);
        self.scopes.leave();
        self.tune_gc(gc_threshold);
        step
    }

    /// Moves parked requests on at `now`: runs due timers (each as a turn of its owner),
    /// answers parked requests past their deadline with `Expired` (their timers cleared, the
    /// runtime kept), and reports every request that ended into `done`.
    pub fn advance(&mut self, now: Instant, done: &mut Vec<Settled>) {
        if self.parked.borrow().is_empty() {
            return;
        }
        self.context.with(|ctx| {
            if let Err(e) = self.run_timers(&ctx) {
                return self.abandon(&e, done);
            }
            self.collect(&ctx, now, done);
        });
    }

    /// Runs a completion as a turn of the request that started its operation, then reports
    /// the requests that ended. A completion for an ended request is dropped unrun.
    pub fn complete(&mut self, completion: Completion, done: &mut Vec<Settled>) {
        self.scopes.operation_done();
        if !self.scopes.is_live(completion.request) {
            return;
        }
        let deadline = self.scopes.enter(completion.request);
        self.deadline.set(Some(deadline));
        self.context.with(|ctx| {
            (completion.run)(&ctx);
            drain_jobs(&ctx);
            self.deadline.set(None);
            self.scopes.leave();
            if self.interrupted.get() {
                return self.abandon(&JsError::Deadline, done);
            }
            self.collect(&ctx, Instant::now(), done);
        });
    }

    /// The earliest instant `advance` has work: a timer due or a parked request's deadline.
    pub fn next_wake(&self) -> Option<Instant> {
        let parked = self.parked.borrow();
        let earliest = parked.iter().map(|p| p.deadline).min()?;
        let timer = self.context.with(|ctx| -> Option<Instant> {
            let timers = self.timers.clone().restore(&ctx).ok()?;
            let delay: f64 = timers
                .get::<_, Function>("nextDelay")
                .and_then(|f| f.call((self.now_ms(),)))
                .ok()?;
            (delay >= 0.0).then(|| Instant::now() + Duration::from_secs_f64(delay / 1000.0))
        });
        match timer {
            Some(t) => Some(t.min(earliest)),
            // Nothing left that could move a parked request on: `collect` answers them now.
            // (due already: the runtime's birth is in the past)
            None if !self.scopes.has_outstanding() => Some(self.epoch),
            None => Some(earliest),
        }
    }

    /// Whether running JavaScript had to be interrupted: the runtime must be discarded
    /// (its parked requests were already answered by `abandon`).
    pub fn broken(&self) -> bool {
        self.interrupted.get() || self.lost.get()
    }

    /// Requests parked in this runtime.
    pub fn parked(&self) -> usize {
        self.parked.borrow().len()
    }

    fn now_ms(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64() * 1000.0
    }

    /// Runs the timers due now, one turn each (its owner bound, then its promise jobs).
    /// `Err` only when running JavaScript had to be interrupted (the runtime is lost).
    fn run_timers<'js>(&self, ctx: &Ctx<'js>) -> Result<(), JsError> {
        let timers = self.timers.clone().restore(ctx).map_err(engine)?;
        let peek: Function = timers.get("peek").map_err(engine)?;
        let run_head: Function = timers.get("runHead").map_err(engine)?;
        let limit: f64 = timers
            .get::<_, Function>("seq")
            .and_then(|f| f.call(()))
            .map_err(engine)?;
        loop {
            let owner: f64 = peek.call((self.now_ms(), limit)).map_err(engine)?;
            if owner < 0.0 {
                return Ok(());
            }
            let deadline = self.scopes.enter(owner as u64);
            self.deadline.set(Some(deadline));
            let ran = run_head
                .call::<_, ()>(())
                .catch(ctx)
                .map_err(|e| caught(ctx, e));
            drain_jobs(ctx);
            self.deadline.set(None);
            self.scopes.leave();
            if owner == 0.0 {
                // (a timer started by a turn of no live request: it does not repeat)
                let _ = timers
                    .get::<_, Function>("clearOwner")
                    .and_then(|f| f.call::<_, ()>((0.0,)));
            }
            if self.interrupted.get() {
                return Err(JsError::Deadline);
            }
            if let Err(e) = ran {
                if e.poisons_runtime() {
                    return Err(e);
                }
            }
        }
    }

    /// Reports parked requests whose promise settled, or whose deadline passed, or that can
    /// never be answered (nothing left that could run: no timer, no outstanding completion).
    fn collect<'js>(&self, ctx: &Ctx<'js>, now: Instant, done: &mut Vec<Settled>) {
        let stuck = !self.scopes.has_outstanding() && {
            let timers = self.timers.clone().restore(ctx).ok();
            let delay: f64 = timers
                .and_then(|t| t.get::<_, Function>("nextDelay").ok())
                .and_then(|f| f.call((self.now_ms(),)).ok())
                .unwrap_or(-1.0);
            delay < 0.0
        };
        let mut i = 0;
        loop {
            let (id, promise, deadline) = {
                let parked = self.parked.borrow();
                let Some(p) = parked.get(i) else { break };
                (p.request_id, p.promise.clone().restore(ctx), p.deadline)
            };
            let Ok(promise) = promise else {
                self.parked.borrow_mut().swap_remove(i);
                done.push((id, Err(JsError::Engine("lost a parked request".into()))));
                continue;
            };
            let result = match promise.state() {
                PromiseState::Pending if now >= deadline => Some(Err(JsError::Expired)),
                PromiseState::Pending if stuck => Some(Err(JsError::NoResponse)),
                PromiseState::Pending => None,
                _ => Some(Ok(())),
            };
            match result {
                None => i += 1,
                Some(r) => {
                    self.parked.borrow_mut().swap_remove(i);
                    // The jobs its end runs belong to it (or, past its deadline, to nobody).
                    let turn = if r.is_ok() { id } else { 0 };
                    self.deadline.set(Some(self.scopes.enter(turn)));
                    let settled = self.finish(ctx, id, Some(promise));
                    self.deadline.set(None);
                    self.scopes.leave();
                    done.push((id, r.and(settled)));
                    if self.interrupted.get() {
                        return self.abandon(&JsError::Deadline, done);
                    }
                }
            }
        }
    }

    /// Ends a request in the runtime: its jobs run, its timers are cleared, its req/res are
    /// released, its binding closed. Returns the response of a settled promise.
    fn finish<'js>(
        &self,
        ctx: &Ctx<'js>,
        id: u64,
        promise: Option<Promise<'js>>,
    ) -> Result<Response, JsError> {
        // Jobs the response left (e.g. 'finish' listeners of an async response) run now,
        // still under the deadline, not in the next request.
        drain_jobs(ctx);
        let result = match &promise {
            Some(p) => match p.state() {
                PromiseState::Resolved => p
                    .result::<Value>()
                    .unwrap_or_else(|| Ok(Value::new_undefined(ctx.clone())))
                    .map_err(engine)
                    .and_then(|v| response(&v)),
                PromiseState::Rejected => match p.result::<Value>().map(|r| r.catch(ctx)) {
                    Some(Err(e)) => Err(caught(ctx, e)),
                    _ => Err(JsError::Engine("promise rejected without a reason".into())),
                },
                PromiseState::Pending => Err(JsError::NoResponse),
            },
            None => Err(JsError::NoResponse),
        };
        // Timers never outlive their request; req, res and the router's state are freed.
        if self.scopes.close(id) {
            if let Ok(clear) = self.clear_owner.clone().restore(ctx) {
                let _ = clear.call::<_, ()>((id as f64,));
            }
        }
        if let Ok(release) = self.release.clone().restore(ctx) {
            let arg = promise.map_or_else(|| Value::new_undefined(ctx.clone()), |p| p.into_value());
            let _ = release.call::<_, ()>((arg,));
        }
        result
    }

    /// Running JavaScript had to be stopped (or the engine failed): every parked request
    /// fails, the one whose deadline passed with 504, the others with 500.
    pub fn abandon(&self, e: &JsError, done: &mut Vec<Settled>) {
        self.lost.set(true);
        let now = Instant::now();
        for p in self.parked.borrow_mut().drain(..) {
            self.scopes.close(p.request_id);
            let err = if now >= p.deadline {
                JsError::Deadline
            } else {
                JsError::Engine(format!("the app's runtime was reset: {e}"))
            };
            done.push((p.request_id, Err(err)));
        }
    }

    /// After a collection QuickJS sets the next threshold to 1.5 × the heap in use: with a
    /// small app heap, a collection every few hundred KiB of request garbage (req, res and
    /// their closures form cycles, which only the collector frees), each run costing in
    /// proportion to the whole heap. Allow `gc_slack` bytes of garbage instead, up to
    /// `gc_cap` (so garbage alone never reaches the memory limit).
    fn tune_gc(&self, current: usize) {
        if current == self.gc_threshold.get() {
            return;
        }
        let live = current / 3 * 2;
        let next = live
            .saturating_add(self.gc_slack)
            .min(self.gc_cap)
            .max(current);
        self.runtime.set_gc_threshold(next);
        self.gc_threshold.set(next);
    }

    /// The first turn of a request: `__serve` and the jobs it queued. Its value is the
    /// rawRes, or a promise of it.
    fn run<'js>(
        &self,
        ctx: &Ctx<'js>,
        req: &Request,
        hostname: &str,
    ) -> Result<Value<'js>, JsError> {
        let serve = self.serve.clone().restore(ctx).map_err(engine)?;
        let app = self.app.clone().restore(ctx).map_err(engine)?;
        let args = {
            let mut strings = self.strings.borrow_mut();
            convert::request_args(ctx, &mut strings, app.into_value(), req, hostname)
                .map_err(engine)?
        };
        let out: Value = serve
            .call_arg(args)
            .catch(ctx)
            .map_err(|e| caught(ctx, e))?;
        // `__serve` answers at once when the app responded synchronously; the jobs left are
        // the response's 'finish'/'close' events and the like.
        drain_jobs(ctx);
        if self.interrupted.get() {
            return Err(JsError::Deadline);
        }
        Ok(out)
    }

    /// Bytes the runtime's heap uses now.
    pub fn memory_used(&self) -> usize {
        usize::try_from(self.runtime.memory_usage().memory_used_size).unwrap_or(0)
    }
}

/// The `Response` for a rawRes value.
fn response(value: &Value<'_>) -> Result<Response, JsError> {
    convert::response_from_js(value).map_err(|message| JsError::Exception {
        message,
        stack: String::new(),
    })
}

/// Runs pending promise jobs (microtasks) until none is left or the interrupt fires.
fn drain_jobs(ctx: &Ctx<'_>) {
    while ctx.execute_pending_job() {}
}

fn eval_script(ctx: &Ctx<'_>, name: &str, source: &str) -> Result<(), JsError> {
    let mut opts = rquickjs::context::EvalOptions::default();
    opts.global = true;
    opts.strict = false;
    opts.filename = Some(name.to_owned());
    ctx.eval_with_options::<(), _>(source, opts)
        .catch(ctx)
        .map_err(|e| caught(ctx, e))
}

/// The embedded library scripts (loader, db, auth, prelude) as module bytecode, compiled once
/// per process: parsing them from source was most of the cost of building a runtime, which
/// every cold henv pays.
fn library_bytecode() -> Result<&'static [Vec<u8>], JsError> {
    static LIBS: OnceLock<Result<Vec<Vec<u8>>, String>> = OnceLock::new();
    let libs = LIBS.get_or_init(|| {
        [
            ("loader.js", super::LOADER_JS),
            ("db.js", super::DB_JS),
            ("auth.js", super::AUTH_JS),
            ("documents.js", super::DOCUMENTS_JS),
            ("prelude.js", super::PRELUDE_JS),
        ]
        .iter()
        .map(|(name, source)| compile_module(name, source).map_err(|e| format!("{name}: {e}")))
        .collect()
    });
    libs.as_deref().map_err(|e| JsError::Engine(e.clone()))
}

/// Runs one library module's bytecode to completion.
fn run_module(ctx: &Ctx<'_>, bytecode: &[u8]) -> Result<(), JsError> {
    let module = super::ffi::load_module(ctx, bytecode)
        .catch(ctx)
        .map_err(|e| caught(ctx, e))?;
    let (_module, promise) = module.eval().catch(ctx).map_err(|e| caught(ctx, e))?;
    drain_jobs(ctx);
    promise
        .finish::<()>()
        .catch(ctx)
        .map_err(|e| caught(ctx, e))
}

/// Compiles a source file as an ES module (strict) to bytecode.
fn compile_module(name: &str, source: &str) -> Result<Vec<u8>, JsError> {
    let runtime = Runtime::new().map_err(engine)?;
    let context = Context::full(&runtime).map_err(engine)?;
    context.with(|ctx| {
        let module = Module::declare(ctx.clone(), name, source)
            .catch(&ctx)
            .map_err(|e| caught(&ctx, e))?;
        module
            .write(rquickjs::module::WriteOptions::default())
            .map_err(engine)
    })
}

/// Evaluates module bytecode whose default export is a CommonJS factory; returns it.
fn load_commonjs<'js>(ctx: &Ctx<'js>, bytecode: &Bytecode) -> Result<Function<'js>, JsError> {
    let module = super::ffi::load_module(ctx, &bytecode.bytes)
        .catch(ctx)
        .map_err(|e| caught(ctx, e))?;
    let (module, promise) = module.eval().catch(ctx).map_err(|e| caught(ctx, e))?;
    drain_jobs(ctx);
    promise
        .finish::<()>()
        .catch(ctx)
        .map_err(|e| caught(ctx, e))?;
    module.get("default").catch(ctx).map_err(|e| caught(ctx, e))
}

/// Like `load_commonjs`, for use while JavaScript is running (a `require` of a built-in):
/// it runs no pending promise jobs, so the app's microtask order is not disturbed. The
/// wrapper module has no top-level `await`, so its evaluation settles at once.
pub(super) fn instantiate_commonjs<'js>(
    ctx: &Ctx<'js>,
    bytecode: &Bytecode,
) -> Result<Function<'js>, JsError> {
    let module = super::ffi::load_module(ctx, &bytecode.bytes)
        .catch(ctx)
        .map_err(|e| caught(ctx, e))?;
    let (module, promise) = module.eval().catch(ctx).map_err(|e| caught(ctx, e))?;
    match promise.result::<()>() {
        Some(r) => r.catch(ctx).map_err(|e| caught(ctx, e))?,
        None => return Err(JsError::Engine("module evaluation did not settle".into())),
    }
    module.get("default").catch(ctx).map_err(|e| caught(ctx, e))
}

/// Compiles a CommonJS source to module bytecode. The wrapper keeps line numbers unchanged.
pub fn compile_commonjs(name: &str, source: &str) -> Result<Vec<u8>, JsError> {
    let runtime = Runtime::new().map_err(engine)?;
    let context = Context::full(&runtime).map_err(engine)?;
    let wrapped = format!(
        "export default function (exports, require, module, __filename, __dirname) {{{source}\n}}"
    );
    context.with(|ctx| {
        let module = Module::declare(ctx.clone(), name, wrapped)
            .catch(&ctx)
            .map_err(|e| caught(&ctx, e))?;
        module
            .write(rquickjs::module::WriteOptions::default())
            .map_err(engine)
    })
}

fn engine(e: rquickjs::Error) -> JsError {
    JsError::Engine(e.to_string())
}

/// `caught`, for the module loader.
pub(crate) fn caught_error(ctx: &Ctx<'_>, e: CaughtError<'_>) -> JsError {
    caught(ctx, e)
}

/// Turns a caught JS error into a `JsError`, recognising interrupts and out-of-memory.
fn caught(_ctx: &Ctx<'_>, e: CaughtError<'_>) -> JsError {
    match e {
        CaughtError::Exception(ex) => {
            let message = ex.message().unwrap_or_default();
            let stack = ex.stack().unwrap_or_default();
            classify(message, stack)
        }
        CaughtError::Value(v) => {
            let message = v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| format!("{v:?}"));
            classify(message, String::new())
        }
        CaughtError::Error(rquickjs::Error::Allocation) => JsError::OutOfMemory,
        CaughtError::Error(e) => JsError::Engine(e.to_string()),
    }
}

fn classify(message: String, stack: String) -> JsError {
    if message == "interrupted" {
        JsError::Deadline
    } else if message == "out of memory" {
        JsError::OutOfMemory
    } else {
        JsError::Exception { message, stack }
    }
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
