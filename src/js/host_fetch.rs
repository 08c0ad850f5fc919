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

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use rquickjs::{Array, Ctx, Exception, Function, Object, TypedArray, Value};

use super::completion::{Completer, CompletionFn};
use super::host::HostEnv;
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
    deadline: Instant,
    subrequests: u32,
    /// Engine ids started by this request and not yet ended.
    active: HashSet<u64>,
}

/// One runtime's link to the engine. Its completions travel on the worker's channel: every
/// delivery is armed with a `Completer` from `HostEnv::completer()` (see `super::completion`).
pub struct FetchEnv {
    outbound: Arc<Outbound>,
    /// The henv's policy, as of the last request started.
    settings: RefCell<FetchSettings>,
    /// In-flight inbound requests that had a turn in this runtime, by request id.
    requests: RefCell<HashMap<u64, RequestScope>>,
    /// Event queues of the outbound requests in flight, for arming their next delivery.
    deliveries: RefCell<HashMap<u64, Arc<Mutex<Delivery>>>>,
}

impl FetchEnv {
    pub fn new(outbound: Arc<Outbound>, settings: &FetchSettings) -> Rc<FetchEnv> {
        Rc::new(FetchEnv {
            outbound,
            settings: RefCell::new(settings.clone()),
            requests: RefCell::default(),
            deliveries: RefCell::default(),
        })
    }

    /// The henv's current policy (read when a request starts).
    pub fn set_settings(&self, settings: &FetchSettings) {
        *self.settings.borrow_mut() = settings.clone();
    }

    /// The turn of `request_id` (0: none) runs now, until `deadline` (called by
    /// `Scopes::enter` for every turn).
    pub fn enter(&self, request_id: u64, deadline: Instant) {
        if request_id != 0 {
            self.requests
                .borrow_mut()
                .entry(request_id)
                .or_insert_with(|| RequestScope {
                    deadline,
                    subrequests: 0,
                    active: HashSet::new(),
                });
        }
    }

    /// The request ended (called by `Scopes::close`): what it started and did not finish is
    /// aborted (its cancel flag is already set), and its armed deliveries are given back.
    pub fn end_request(&self, request_id: u64) {
        let Some(scope) = self.requests.borrow_mut().remove(&request_id) else {
            return;
        };
        if scope.active.is_empty() {
            return;
        }
        let engine = self.outbound.engine().ok();
        for id in scope.active {
            let delivery = self.deliveries.borrow_mut().remove(&id);
            if let Some(delivery) = delivery {
                Delivery::release(&delivery);
            }
            if let Some(engine) = &engine {
                engine.abort(id);
            }
        }
    }

    fn start(&self, spec: FetchSpec, host: &HostEnv) -> Result<u64, String> {
        let config = &self.outbound.config;
        let s = self.settings.borrow().clone();
        if !policy::host_allowed(&s.allow_hosts, &spec.host) {
            return Err(format!(
                "{} is not in this app's fetch_allow_hosts",
                spec.host
            ));
        }
        let request_id = host.scopes.current();
        let mut requests = self.requests.borrow_mut();
        let Some(scope) = requests.get_mut(&request_id) else {
            return Err(
                "fetch() runs only for a request (not while server.js loads, nor after the request ended)"
                    .into(),
            );
        };
        let cap = s
            .max_subrequests
            .map_or(config.max_subrequests, |n| n.min(config.max_subrequests));
        if scope.subrequests >= cap {
            return Err(format!(
                "too many outbound requests for one request (limit {cap})"
            ));
        }
        let engine = self.outbound.engine()?;
        // One outstanding operation per armed delivery; its cancel flag is the request's.
        let completer = host
            .completer()
            .ok_or("fetch() needs a worker to deliver its response")?;
        scope.subrequests += 1;
        let req = OutboundRequest {
            method: spec.method,
            https: spec.https,
            host: spec.host,
            port: spec.port,
            target: spec.target,
            headers: spec.headers,
            body: spec.body,
            henv: host.log_ctx.borrow().henv.clone(),
            request_id,
            deadline: scope.deadline,
            insecure_tls: s.insecure_tls,
            max_response_bytes: s.max_response_bytes.map_or(config.max_response_bytes, |n| {
                n.min(config.max_response_bytes)
            }),
            max_conns: s.max_connections.map_or(config.max_conns_per_henv, |n| {
                n.min(config.max_conns_per_henv)
            }),
            cancel: Some(completer.cancelled.clone()),
        };
        let delivery = Arc::new(Mutex::new(Delivery::default()));
        let shared = delivery.clone();
        let make_sink = move |id: u64| -> crate::outbound::Sink {
            Box::new(move |event: OutboundEvent| Delivery::push(&shared, id, event))
        };
        let id = match engine.submit(req, make_sink) {
            Ok(id) => id,
            Err(e) => {
                completer.complete(Box::new(|_| {})); // (its operation is over)
                return Err(e.to_string());
            }
        };
        scope.active.insert(id);
        drop(requests);
        self.deliveries.borrow_mut().insert(id, delivery.clone());
        Delivery::arm(&delivery, id, ticket(completer));
        Ok(id)
    }

    /// Lets request `id` deliver its next batch of events (one completion), from a turn of
    /// the request that started it.
    fn arm(&self, id: u64, host: &HostEnv) {
        let Some(delivery) = self.deliveries.borrow().get(&id).cloned() else {
            return;
        };
        if let Some(completer) = host.completer() {
            Delivery::arm(&delivery, id, ticket(completer));
        }
    }

    /// The request `id` ended (its last event was dispatched).
    fn ended(&self, id: u64) {
        let delivery = self.deliveries.borrow_mut().remove(&id);
        if let Some(delivery) = delivery {
            Delivery::release(&delivery);
        }
        for scope in self.requests.borrow_mut().values_mut() {
            scope.active.remove(&id);
        }
    }
}

/// Sends one completion to the runtime (`false` when its worker is gone).
type Ticket = Box<dyn FnOnce(CompletionFn) -> bool + Send>;

fn ticket(completer: Completer) -> Ticket {
    Box::new(move |run| completer.complete(run))
}

/// The events of one outbound request on their way to the runtime. The engine pushes events
/// on its thread; the runtime arms one ticket at a time (at the start, then after each batch
/// it ran); an armed ticket carries every event queued so far as one completion. So each
/// completion is one operation in the worker's accounting, and a body streams as a few
/// batches, not one completion per chunk. (Bytes are bounded by the engine's credit.)
#[derive(Default)]
struct Delivery {
    events: Vec<OutboundEvent>,
    ticket: Option<Ticket>,
    /// Released: nothing more is delivered.
    closed: bool,
}

impl Delivery {
    fn push(shared: &Mutex<Delivery>, id: u64, event: OutboundEvent) {
        let Ok(mut d) = shared.lock() else { return };
        if d.closed {
            return;
        }
        d.events.push(event);
        if let Some(ticket) = d.ticket.take() {
            let events = std::mem::take(&mut d.events);
            drop(d);
            ticket(Box::new(move |ctx| dispatch(ctx, id, events)));
        }
    }

    /// The request is over for the runtime: an armed ticket completes with nothing to run
    /// (the operation it counts is over), and later events are dropped.
    fn release(shared: &Mutex<Delivery>) {
        let Ok(mut d) = shared.lock() else { return };
        d.events.clear();
        d.closed = true;
        if let Some(ticket) = d.ticket.take() {
            drop(d);
            ticket(Box::new(|_| {}));
        }
    }

    fn arm(shared: &Mutex<Delivery>, id: u64, ticket: Ticket) {
        let Ok(mut d) = shared.lock() else { return };
        if d.closed || d.ticket.is_some() {
            drop(d); // (released, or armed already: this operation is over at once)
            ticket(Box::new(|_| {}));
            return;
        }
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
pub fn install<'js>(ctx: &Ctx<'js>, host: &Object<'js>, henv: &HostEnv) -> rquickjs::Result<()> {
    let Some(env) = henv.fetch.clone() else {
        return Ok(()); // an embedding without outbound access: fetch() rejects
    };
    let (e, h) = (env.clone(), henv.clone());
    host.set(
        "fetchStart",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, spec: Object<'js>| -> rquickjs::Result<f64> {
                let spec = read_spec(&ctx, &spec)?;
                e.start(spec, &h)
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
    let (e, h) = (env.clone(), henv.clone());
    host.set(
        "fetchArm",
        Function::new(ctx.clone(), move |id: f64| e.arm(id as u64, &h))?,
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
