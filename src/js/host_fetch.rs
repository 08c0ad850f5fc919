//! Host functions behind `fetch()` and `http.request` (`require('hbf:host').fetchStart` …):
//! the bridge from a runtime to the outbound engine (`crate::outbound`).
//!
//! `fetchStart` checks the henv's policy that needs no network (scheme, host allowlist, the
//! per-request subrequest cap), then submits the request. The engine reports on its I/O thread
//! into a `Delivery`; the runtime arms one delivery at a time, and an armed delivery sends every
//! event queued so far as one `Completion`, which calls the JavaScript dispatcher
//! (`__hbf_outbound.dispatch`, defined by `lib/web/fetch.js`) once per event with `(id, kind,
//! ...)`: `"head", status, reason, [[name, value], ...]`, `"data", Uint8Array`, `"end"`, or
//! `"error", kind, message`; then with `(id, "more")` unless the request ended, on which the
//! dispatcher arms the next delivery (`fetchArm`). Body bytes are credited back
//! (`fetchCredit`) as JavaScript reads them, which is the engine's backpressure.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crossbeam_channel::Receiver;
use rquickjs::{Array, Ctx, Exception, Function, Object, TypedArray, Value};

use super::completion::{self, Completion, CompletionSender};
use crate::henv::settings::FetchSettings;
use crate::observe::{Logger, Metrics};
use crate::outbound::{
    policy, Engine, OutboundConfig, OutboundError, OutboundEvent, OutboundRequest,
};

/// The outbound engine of a server, started on the first `fetch()`, shared by all workers.
pub struct Outbound {
    pub config: OutboundConfig,
    metrics: Arc<Metrics>,
    log: Arc<Logger>,
    engine: OnceLock<Result<Arc<Engine>, String>>,
}

impl Outbound {
    pub fn new(config: OutboundConfig, metrics: Arc<Metrics>, log: Arc<Logger>) -> Self {
        Outbound {
            config,
            metrics,
            log,
            engine: OnceLock::new(),
        }
    }

    fn engine(&self) -> Result<Arc<Engine>, String> {
        self.engine
            .get_or_init(|| {
                Engine::start(self.config.clone(), self.metrics.clone(), self.log.clone())
                    .map_err(|e| format!("cannot start the outbound engine: {e}"))
            })
            .clone()
    }
}

/// What one inbound request has used.
struct RequestScope {
    deadline: Option<Instant>,
    subrequests: u32,
    /// Engine ids started by this request and not yet ended.
    active: HashSet<u64>,
    /// Set when the request ends; the engine drops what is still in flight.
    cancel: Arc<AtomicBool>,
}

impl RequestScope {
    fn new(deadline: Option<Instant>) -> RequestScope {
        RequestScope {
            deadline,
            subrequests: 0,
            active: HashSet::new(),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Requests made outside any inbound request (module load) are counted under this id.
const DETACHED: u64 = 0;

/// One runtime's link to the engine and its completion channel.
pub struct FetchEnv {
    outbound: Arc<Outbound>,
    henv: String,
    /// The generation of the runtime, stamped on every completion.
    runtime_id: u64,
    tx: CompletionSender,
    /// Set when the channel is this runtime's own (`new`); `None` when the worker owns it.
    rx: Option<Receiver<Completion>>,
    /// The henv's policy, as of the last request.
    settings: RefCell<FetchSettings>,
    /// In-flight inbound requests, by request id, and the one whose turn is running.
    requests: RefCell<HashMap<u64, RequestScope>>,
    current: Cell<u64>,
    /// Event queues of the outbound requests in flight, for arming their next delivery.
    deliveries: RefCell<HashMap<u64, Arc<Mutex<Delivery>>>>,
}

impl FetchEnv {
    /// A runtime with its own completion channel (waited on by `AppRuntime::settle`).
    pub fn new(outbound: Arc<Outbound>, henv: &str, settings: &FetchSettings) -> Rc<FetchEnv> {
        let (tx, rx) = completion::channel();
        Rc::new(FetchEnv::make(outbound, henv, settings, 0, tx, Some(rx)))
    }

    /// A runtime whose completions go to its worker's channel (`sender`), stamped with `henv`
    /// and `runtime_id` so the worker routes them to this runtime or drops them.
    pub fn with_sender(
        outbound: Arc<Outbound>,
        henv: &str,
        settings: &FetchSettings,
        runtime_id: u64,
        sender: CompletionSender,
    ) -> Rc<FetchEnv> {
        Rc::new(FetchEnv::make(
            outbound, henv, settings, runtime_id, sender, None,
        ))
    }

    fn make(
        outbound: Arc<Outbound>,
        henv: &str,
        settings: &FetchSettings,
        runtime_id: u64,
        tx: CompletionSender,
        rx: Option<Receiver<Completion>>,
    ) -> FetchEnv {
        FetchEnv {
            outbound,
            henv: henv.to_owned(),
            runtime_id,
            tx,
            rx,
            settings: RefCell::new(settings.clone()),
            requests: RefCell::default(),
            current: Cell::new(DETACHED),
            deliveries: RefCell::default(),
        }
    }

    /// The completions for this runtime, when the channel is its own.
    pub fn completions(&self) -> Option<&Receiver<Completion>> {
        self.rx.as_ref()
    }

    /// A new inbound request starts: its deadline, a fresh subrequest count, the henv's
    /// current policy. Its turn runs now.
    pub fn begin_request(&self, request_id: u64, deadline: Instant, settings: &FetchSettings) {
        *self.settings.borrow_mut() = settings.clone();
        self.requests
            .borrow_mut()
            .insert(request_id, RequestScope::new(Some(deadline)));
        self.current.set(request_id);
    }

    /// The turn of `request_id` runs now (a runtime interleaving requests calls this per turn).
    pub fn enter(&self, request_id: u64) {
        self.current.set(request_id);
    }

    /// The request ended: what it started and did not finish is cancelled.
    pub fn end_request(&self, request_id: u64) {
        if self.current.get() == request_id {
            self.current.set(DETACHED);
        }
        let Some(scope) = self.requests.borrow_mut().remove(&request_id) else {
            return;
        };
        scope.cancel.store(true, Ordering::Relaxed);
        if scope.active.is_empty() {
            return;
        }
        let mut deliveries = self.deliveries.borrow_mut();
        let engine = self.outbound.engine().ok();
        for id in scope.active {
            deliveries.remove(&id);
            if let Some(engine) = &engine {
                engine.abort(id);
            }
        }
    }

    fn start(&self, spec: FetchSpec) -> Result<u64, String> {
        let config = &self.outbound.config;
        let s = self.settings.borrow().clone();
        if !policy::host_allowed(&s.allow_hosts, &spec.host) {
            return Err(format!(
                "{} is not in this app's fetch_allow_hosts",
                spec.host
            ));
        }
        let request_id = self.current.get();
        let mut requests = self.requests.borrow_mut();
        let scope = requests
            .entry(request_id)
            .or_insert_with(|| RequestScope::new(None));
        let cap = s
            .max_subrequests
            .map_or(config.max_subrequests, |n| n.min(config.max_subrequests));
        if scope.subrequests >= cap {
            return Err(format!(
                "too many outbound requests for one request (limit {cap})"
            ));
        }
        scope.subrequests += 1;
        let engine = self.outbound.engine()?;
        let req = OutboundRequest {
            method: spec.method,
            https: spec.https,
            host: spec.host,
            port: spec.port,
            target: spec.target,
            headers: spec.headers,
            body: spec.body,
            henv: self.henv.clone(),
            request_id,
            deadline: scope
                .deadline
                .unwrap_or_else(|| Instant::now() + config.read_timeout),
            insecure_tls: s.insecure_tls,
            max_response_bytes: s.max_response_bytes.map_or(config.max_response_bytes, |n| {
                n.min(config.max_response_bytes)
            }),
            max_conns: s.max_connections.map_or(config.max_conns_per_henv, |n| {
                n.min(config.max_conns_per_henv)
            }),
            cancel: Some(scope.cancel.clone()),
        };
        let delivery = Arc::new(Mutex::new(Delivery::default()));
        let shared = delivery.clone();
        let make_sink = move |id: u64| -> crate::outbound::Sink {
            Box::new(move |event: OutboundEvent| Delivery::push(&shared, id, event))
        };
        let id = engine.submit(req, make_sink).map_err(|e| e.to_string())?;
        scope.active.insert(id);
        drop(requests);
        self.deliveries.borrow_mut().insert(id, delivery);
        self.arm(id);
        Ok(id)
    }

    /// Lets request `id` deliver its next batch of events (one completion).
    fn arm(&self, id: u64) {
        let Some(delivery) = self.deliveries.borrow().get(&id).cloned() else {
            return;
        };
        let (tx, henv, runtime_id) = (self.tx.clone(), self.henv.clone(), self.runtime_id);
        // (With the async worker this ticket becomes `HostEnv::completer()`: one outstanding
        // operation per delivery.)
        let ticket: Ticket = Box::new(move |run| {
            tx.send(Completion {
                henv,
                runtime_id,
                run,
            })
        });
        Delivery::arm(&delivery, id, ticket);
    }

    /// Whether outbound requests of this runtime are still to report.
    pub fn awaiting(&self) -> bool {
        self.requests
            .borrow()
            .values()
            .any(|s| !s.active.is_empty())
    }

    /// The request `id` ended (its last event was dispatched).
    fn ended(&self, id: u64) {
        self.deliveries.borrow_mut().remove(&id);
        for scope in self.requests.borrow_mut().values_mut() {
            scope.active.remove(&id);
        }
    }
}

/// Sends one completion to the runtime (`false` when its worker is gone).
type Ticket = Box<dyn FnOnce(super::completion::CompletionFn) -> bool + Send>;

/// The events of one outbound request on their way to the runtime. The engine pushes events
/// on its thread; the runtime arms one ticket at a time (at the start, then after each batch
/// it ran); an armed ticket carries every event queued so far as one completion. So each
/// completion is one operation in the worker's accounting, and a body streams as a few
/// batches, not one completion per chunk. (Bytes are bounded by the engine's credit.)
#[derive(Default)]
struct Delivery {
    events: Vec<OutboundEvent>,
    ticket: Option<Ticket>,
}

impl Delivery {
    fn push(shared: &Mutex<Delivery>, id: u64, event: OutboundEvent) {
        let Ok(mut d) = shared.lock() else { return };
        d.events.push(event);
        if let Some(ticket) = d.ticket.take() {
            let events = std::mem::take(&mut d.events);
            drop(d);
            ticket(Box::new(move |ctx| dispatch(ctx, id, events)));
        }
    }

    fn arm(shared: &Mutex<Delivery>, id: u64, ticket: Ticket) {
        let Ok(mut d) = shared.lock() else { return };
        if d.events.is_empty() {
            d.ticket = Some(ticket);
            return;
        }
        let events = std::mem::take(&mut d.events);
        drop(d);
        ticket(Box::new(move |ctx| dispatch(ctx, id, events)));
    }
}

/// What `fetchStart` receives.
struct FetchSpec {
    method: String,
    https: bool,
    host: String,
    port: u16,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Calls the JavaScript dispatcher with a batch of engine events, then with `"more"` when
/// the request goes on (the dispatcher arms the next delivery).
fn dispatch(ctx: &Ctx<'_>, id: u64, events: Vec<OutboundEvent>) {
    let last = events
        .last()
        .is_some_and(|e| matches!(e, OutboundEvent::End | OutboundEvent::Error(_)));
    for event in events {
        if let Err(rquickjs::Error::Exception) = try_dispatch(ctx, id, event) {
            let _ = ctx.catch(); // the dispatcher reports errors to the fetch's own promises
        }
    }
    if !last {
        let more = ctx
            .globals()
            .get::<_, Object>("__hbf_outbound")
            .and_then(|hook| hook.get::<_, Function>("dispatch"))
            .and_then(|f| f.call::<_, ()>((id as f64, "more")));
        if let Err(rquickjs::Error::Exception) = more {
            let _ = ctx.catch();
        }
    }
}

fn try_dispatch<'js>(ctx: &Ctx<'js>, id: u64, event: OutboundEvent) -> rquickjs::Result<()> {
    let hook: Object = ctx.globals().get("__hbf_outbound")?;
    let f: Function = hook.get("dispatch")?;
    let id = id as f64;
    match event {
        OutboundEvent::Head {
            status,
            reason,
            headers,
        } => {
            let list = Array::new(ctx.clone())?;
            for (i, (n, v)) in headers.into_iter().enumerate() {
                let pair = Array::new(ctx.clone())?;
                pair.set(0, n)?;
                pair.set(1, v)?;
                list.set(i, pair)?;
            }
            f.call::<_, ()>((id, "head", status, reason, list))
        }
        OutboundEvent::Data(bytes) => {
            let arr = TypedArray::<u8>::new(ctx.clone(), bytes)?;
            f.call::<_, ()>((id, "data", arr))
        }
        OutboundEvent::End => f.call::<_, ()>((id, "end")),
        OutboundEvent::Error(e) => {
            let kind = match e {
                OutboundError::Aborted => "abort",
                OutboundError::Timeout(_) => "timeout",
                ref other => other.kind(), // dns, denied, connect, tls, too_large, ...
            };
            f.call::<_, ()>((id, "error", kind, e.to_string()))
        }
    }
}

/// Adds `fetchStart`, `fetchCredit`, `fetchAbort`, `fetchArm` and `fetchEnded` to the host object.
pub fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Object<'js>,
    env: Option<Rc<FetchEnv>>,
) -> rquickjs::Result<()> {
    let Some(env) = env else {
        return Ok(()); // an embedding without outbound access: fetch() rejects
    };
    let e = env.clone();
    host.set(
        "fetchStart",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, spec: Object<'js>| -> rquickjs::Result<f64> {
                let spec = read_spec(&ctx, &spec)?;
                e.start(spec)
                    .map(|id| id as f64)
                    .map_err(|m| Exception::throw_type(&ctx, &m))
            },
        )?,
    )?;
    let e = env.clone();
    host.set(
        "fetchCredit",
        Function::new(ctx.clone(), move |id: f64, bytes: f64| {
            if let Ok(engine) = e.outbound.engine() {
                engine.credit(id as u64, bytes as usize);
            }
        })?,
    )?;
    let e = env.clone();
    host.set(
        "fetchAbort",
        Function::new(ctx.clone(), move |id: f64| {
            e.ended(id as u64);
            if let Ok(engine) = e.outbound.engine() {
                engine.abort(id as u64);
            }
        })?,
    )?;
    let e = env.clone();
    host.set(
        "fetchArm",
        Function::new(ctx.clone(), move |id: f64| e.arm(id as u64))?,
    )?;
    host.set(
        "fetchEnded",
        Function::new(ctx.clone(), move |id: f64| env.ended(id as u64))?,
    )?;
    Ok(())
}

fn read_spec<'js>(ctx: &Ctx<'js>, spec: &Object<'js>) -> rquickjs::Result<FetchSpec> {
    let bad = |what: &str| Exception::throw_type(ctx, &format!("fetchStart: {what}"));
    let headers_arr: Array = spec.get("headers")?;
    let mut headers = Vec::with_capacity(headers_arr.len());
    for pair in headers_arr.iter::<Array>() {
        let pair = pair?;
        headers.push((pair.get::<String>(0)?, pair.get::<String>(1)?));
    }
    let body: Value = spec.get("body")?;
    let body = if body.is_undefined() || body.is_null() {
        Vec::new()
    } else {
        super::convert::bytes_of(&body).ok_or_else(|| bad("body must be bytes"))?
    };
    let port: f64 = spec.get("port")?;
    if !(1.0..=65535.0).contains(&port) {
        return Err(bad("port out of range"));
    }
    Ok(FetchSpec {
        method: spec.get("method")?,
        https: spec.get("https")?,
        host: spec.get("host")?,
        port: port as u16,
        target: spec.get("target")?,
        headers,
        body,
    })
}
