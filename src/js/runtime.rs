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

use super::host::{self, HostEnv, LogContext};
use super::{convert, Bytecode};
use crate::http::{Request, Response};

/// Why a request could not be answered by the app.
#[derive(Debug, thiserror::Error)]
pub enum JsError {
    #[error("app did not answer before its deadline")]
    Deadline,
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
    /// Called after every request: clears its timers, then `express.__release`.
    after_request: Persistent<Function<'static>>,
    strings: RefCell<convert::StringCache>,
    context: Context,
    runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
    pub log_ctx: Rc<RefCell<LogContext>>,
    /// Hash of the server.js this runtime runs.
    pub code_hash: String,
    /// Clock origin for JS timers.
    epoch: Instant,
    /// The GC threshold last set, and the garbage allowed on top of the live heap.
    gc_threshold: Cell<usize>,
    gc_slack: usize,
    gc_cap: usize,
}

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
        let watch = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            watch.get().is_some_and(|d| Instant::now() >= d)
        })));
        // require()/import over the henv's files (src/js/modules).
        let modules = super::modules::ModuleHost::new(env.conn.clone());
        runtime.set_loader(
            super::modules::EsmResolver(modules.clone()),
            super::modules::EsmLoader(modules.clone()),
        );
        let context = Context::full(&runtime).map_err(engine)?;
        let log_ctx = env.log_ctx.clone();
        let (app, serve, timers, after_request) = context.with(|ctx| -> Result<_, JsError> {
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
            let make_after: Function = ctx
                .eval("(function (clear, release) { return function () { clear(); release(); }; })")
                .map_err(engine)?;
            let after_request: Function = make_after
                .call((
                    timers.get::<_, Function>("clear").map_err(engine)?,
                    express_mod.get::<_, Function>("__release").map_err(engine)?,
                ))
                .map_err(engine)?;
            Ok((
                Persistent::save(&ctx, app),
                Persistent::save(&ctx, serve),
                Persistent::save(&ctx, timers),
                Persistent::save(&ctx, after_request),
            ))
        })?;
        deadline.set(None);
        Ok(AppRuntime {
            app,
            serve,
            timers,
            after_request,
            strings: RefCell::default(),
            context,
            runtime,
            deadline,
            log_ctx,
            code_hash: source.code_hash.clone(),
            epoch: Instant::now(),
            gc_threshold: Cell::new(gc_slack),
            gc_slack,
            gc_cap: source.mem_limit_bytes / 4 * 3,
        })
    }

    /// Runs one request through the app, until it responds, fails or passes its deadline.
    pub fn handle(&mut self, req: &Request, hostname: &str) -> Result<Response, JsError> {
        self.deadline.set(Some(req.deadline));
        let (result, gc_threshold) = self.context.with(|ctx| {
            let result = self.run(&ctx, req, hostname);
            // Jobs the response left (e.g. 'finish' listeners of an async response) run now,
            // still under the deadline, not in the next request.
            drain_jobs(&ctx);
            self.deadline.set(None);
            // Timers never outlive their request; req, res and the router's state are freed.
            if let Ok(after) = self.after_request.clone().restore(&ctx) {
                let _ = after.call::<_, ()>(());
            }
            (result, super::ffi::gc_threshold(&ctx))
        });
        self.tune_gc(gc_threshold);
        result
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

    fn run<'js>(&self, ctx: &Ctx<'js>, req: &Request, hostname: &str) -> Result<Response, JsError> {
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
        if self.deadline_passed() {
            return Err(JsError::Deadline);
        }
        match out.as_promise() {
            Some(promise) => self.settle(ctx, promise.clone()),
            None => response(&out),
        }
    }

    /// Waits for the response promise, running jobs and timers until it settles.
    fn settle<'js>(&self, ctx: &Ctx<'js>, promise: Promise<'js>) -> Result<Response, JsError> {
        loop {
            match promise.state() {
                PromiseState::Pending => {}
                PromiseState::Resolved => {
                    let value: Value = promise
                        .result()
                        .unwrap_or_else(|| Ok(Value::new_undefined(ctx.clone())))
                        .map_err(engine)?;
                    return response(&value);
                }
                PromiseState::Rejected => {
                    return match promise.result::<Value>().map(|r| r.catch(ctx)) {
                        Some(Err(e)) => Err(caught(ctx, e)),
                        _ => Err(JsError::Engine("promise rejected without a reason".into())),
                    };
                }
            }
            // Pending: only timers can move it on.
            let timers = self.timers.clone().restore(ctx).map_err(engine)?;
            let now_ms = self.epoch.elapsed().as_secs_f64() * 1000.0;
            let delay: f64 = timers
                .get::<_, Function>("nextDelay")
                .and_then(|f| f.call((now_ms,)))
                .map_err(engine)?;
            if delay < 0.0 {
                return Err(JsError::NoResponse);
            }
            let wake = Instant::now() + Duration::from_secs_f64(delay / 1000.0);
            let until = self.deadline.get().map_or(wake, |d| d.min(wake));
            std::thread::sleep(until.saturating_duration_since(Instant::now()));
            if self.deadline_passed() {
                return Err(JsError::Deadline);
            }
            let now_ms = self.epoch.elapsed().as_secs_f64() * 1000.0;
            let run: Function = timers.get("runDue").map_err(engine)?;
            run.call::<_, f64>((now_ms,))
                .catch(ctx)
                .map_err(|e| caught(ctx, e))?;
            drain_jobs(ctx);
            if self.deadline_passed() {
                return Err(JsError::Deadline);
            }
        }
    }

    fn deadline_passed(&self) -> bool {
        self.deadline.get().is_some_and(|d| Instant::now() >= d)
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
