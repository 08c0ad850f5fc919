//! Outbound HTTP: the requests app code makes with `fetch()` / `http.request`, performed by the
//! server on a dedicated I/O thread, never by a worker.
//!
//! Why a thread of its own and not the inbound event loop: the loop must stay the inbound
//! server's (its latency is every client's latency) and must never block, while an outbound
//! request needs DNS (blocking `getaddrinfo`, done on a small resolver pool), TLS client
//! handshakes and response parsing for bodies that may be large and slow. A separate `mio::Poll`
//! keeps both loops simple and lets either be tuned without the other.
//!
//! The engine (`engine.rs`) owns every outbound socket. A caller `submit`s an
//! `OutboundRequest` with a `Sink`; the sink runs on the I/O thread with each `OutboundEvent`
//! (head, body chunks, end or error) and typically turns it into a `Completion` for the worker
//! that owns the JavaScript runtime. Bodies stream with backpressure: the engine stops reading a
//! response once `buffer_bytes` have been delivered and not yet `credit`ed back by the consumer.
//!
//! Policy (`policy.rs`): host allowlists, and the refusal of private, loopback, link-local,
//! unique-local, CGNAT and metadata addresses, checked on the address actually connected to
//! (after DNS), so neither DNS rebinding nor a redirect can reach them.

mod dns;
mod engine;
mod exchange;
pub mod policy;
mod tls;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::observe::{Logger, Metrics};

/// Process-wide settings of the outbound engine (from `Config`'s `--fetch_*` flags).
#[derive(Clone, Debug)]
pub struct OutboundConfig {
    /// Admit private, loopback, link-local and metadata addresses (development and tests).
    pub allow_private: bool,
    /// PEM bundle of trusted CAs; `None` for the system store.
    pub ca_file: Option<PathBuf>,
    /// Time to establish a connection (TCP and TLS), within the request's own deadline.
    pub connect_timeout: Duration,
    /// Longest silence while waiting for response bytes.
    pub read_timeout: Duration,
    /// Largest response body accepted (a per-henv setting may lower it).
    pub max_response_bytes: u64,
    /// Largest response head accepted.
    pub max_head_bytes: usize,
    /// Outbound requests one inbound request may make (redirect hops count).
    pub max_subrequests: u32,
    /// Outbound requests of one henv in flight at once (a per-henv setting may lower it).
    pub max_conns_per_henv: usize,
    /// Idle keep-alive connections kept per origin.
    pub pool_per_origin: usize,
    /// How long an idle pooled connection is kept.
    pub pool_idle: Duration,
    /// Bytes delivered to the consumer and not yet consumed before the engine stops reading.
    pub buffer_bytes: usize,
    /// Threads resolving host names.
    pub resolver_threads: usize,
    /// Log every outbound request at info (with `--access_log`); failures are always logged.
    pub log_requests: bool,
}

/// The system CA bundle (Debian/Ubuntu/Alpine path).
pub const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig::from_config(&crate::Config::default())
    }
}

impl OutboundConfig {
    /// The engine settings the server configuration asks for.
    pub fn from_config(c: &crate::Config) -> Self {
        OutboundConfig {
            allow_private: c.fetch_allow_private,
            ca_file: c.fetch_ca_file.clone(),
            connect_timeout: Duration::from_millis(c.fetch_connect_timeout_ms),
            read_timeout: Duration::from_millis(c.fetch_read_timeout_ms),
            max_response_bytes: c.fetch_max_response_bytes,
            max_head_bytes: 64 * 1024,
            max_subrequests: c.fetch_max_subrequests,
            max_conns_per_henv: c.fetch_max_conns_per_henv,
            pool_per_origin: 8,
            pool_idle: Duration::from_secs(30),
            buffer_bytes: 256 * 1024,
            resolver_threads: 2,
            log_requests: c.access_log,
        }
    }
}

/// One outbound HTTP/1.1 request (one hop: redirects are new requests).
#[derive(Clone, Debug)]
pub struct OutboundRequest {
    pub method: String,
    /// `http` or `https`.
    pub https: bool,
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The henv making it (for caps, logs and metrics).
    pub henv: String,
    /// The inbound request it belongs to (for logs).
    pub request_id: u64,
    /// Nothing of this request outlives it: the inbound request's deadline or an earlier one.
    pub deadline: Instant,
    /// Skip certificate verification (per-henv setting `fetch_insecure_tls`; logged each use).
    pub insecure_tls: bool,
    /// The body limit for this request.
    pub max_response_bytes: u64,
    /// Concurrent outbound requests allowed for the henv.
    pub max_conns: usize,
    /// Set by the runtime when the request that made it ended (answered, failed, past its
    /// deadline): the engine then drops the exchange as `Aborted` (checked at least every
    /// `CANCEL_POLL`).
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// How often the engine looks at cancel flags while it has work in flight.
pub const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What the engine reports about one request, in this order: `Head`, any `Data`, then `End`;
/// or `Error` at any point.
#[derive(Debug)]
pub enum OutboundEvent {
    Head {
        status: u16,
        reason: String,
        headers: Vec<(String, String)>,
    },
    Data(Vec<u8>),
    End,
    Error(OutboundError),
}

/// Receives a request's events, on the I/O thread. Must not block.
pub type Sink = Box<dyn FnMut(OutboundEvent) + Send>;

/// Why an outbound request failed. `kind()` is the metrics label.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("cannot resolve {host}: {reason}")]
    Dns { host: String, reason: String },
    #[error("{host} resolves only to addresses outbound requests may not reach ({addr}); see --fetch_allow_private")]
    AddressDenied { host: String, addr: String },
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("TLS with {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("outbound request timed out ({0})")]
    Timeout(&'static str),
    #[error("response body larger than {0} bytes")]
    TooLarge(u64),
    #[error("invalid response: {0}")]
    Protocol(String),
    #[error("connection error: {0}")]
    Io(String),
    #[error("the request was aborted")]
    Aborted,
    #[error("too many outbound requests in flight for this app (limit {0})")]
    TooManyConnections(usize),
    #[error("the outbound engine is not running")]
    Shutdown,
}

impl OutboundError {
    /// Stable label for `hbf_outbound_requests_total{result=...}`.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundError::Dns { .. } => "dns",
            OutboundError::AddressDenied { .. } => "denied",
            OutboundError::Connect(_) => "connect",
            OutboundError::Tls { .. } => "tls",
            OutboundError::Timeout(_) => "timeout",
            OutboundError::TooLarge(_) => "too_large",
            OutboundError::Protocol(_) => "protocol",
            OutboundError::Io(_) => "io",
            OutboundError::Aborted => "aborted",
            OutboundError::TooManyConnections(_) => "too_many",
            OutboundError::Shutdown => "shutdown",
        }
    }
}

/// Commands from callers (and the resolver pool) to the I/O thread.
enum Command {
    Submit {
        id: u64,
        req: Box<OutboundRequest>,
        sink: Sink,
    },
    Credit {
        id: u64,
        bytes: usize,
    },
    Abort {
        id: u64,
    },
    Resolved {
        id: u64,
        result: Result<Vec<std::net::SocketAddr>, String>,
    },
    /// The last `Engine` handle is gone: fail what is in flight and exit.
    Shutdown,
}

/// A handle on the running engine, shared by every worker. Dropping the last one stops it.
pub struct Engine {
    tx: Sender<Command>,
    waker: Arc<mio::Waker>,
    next_id: AtomicU64,
    /// In-flight requests per henv (the per-henv connection cap).
    in_flight: Arc<Mutex<std::collections::HashMap<String, usize>>>,
}

impl Engine {
    /// Starts the I/O thread and the resolver pool.
    pub fn start(
        config: OutboundConfig,
        metrics: Arc<Metrics>,
        log: Arc<Logger>,
    ) -> std::io::Result<Arc<Engine>> {
        let in_flight = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let (tx, waker) = engine::spawn(config, metrics, log, in_flight.clone())?;
        Ok(Arc::new(Engine {
            tx,
            waker,
            next_id: AtomicU64::new(1),
            in_flight,
        }))
    }

    /// Queues `req`; the sink `make_sink` builds for its id receives its events. Refused at
    /// once when the henv already has `req.max_conns` requests in flight.
    pub fn submit(
        &self,
        req: OutboundRequest,
        make_sink: impl FnOnce(u64) -> Sink,
    ) -> Result<u64, OutboundError> {
        {
            let mut map = self.in_flight.lock().map_err(|_| OutboundError::Shutdown)?;
            let n = map.entry(req.henv.clone()).or_insert(0);
            if *n >= req.max_conns {
                return Err(OutboundError::TooManyConnections(req.max_conns));
            }
            *n += 1;
        }
        let id = self.next_id.fetch_add(1, Relaxed);
        let sink = make_sink(id);
        let henv = req.henv.clone();
        let sent = self.tx.send(Command::Submit {
            id,
            req: Box::new(req),
            sink,
        });
        if sent.is_err() {
            engine::release(&self.in_flight, &henv);
            return Err(OutboundError::Shutdown);
        }
        let _ = self.waker.wake();
        Ok(id)
    }

    /// The consumer took `bytes` of request `id`'s body: reading may go on.
    pub fn credit(&self, id: u64, bytes: usize) {
        if self.tx.send(Command::Credit { id, bytes }).is_ok() {
            let _ = self.waker.wake();
        }
    }

    /// Cancels request `id`; its sink gets `Error(Aborted)` unless it already ended.
    pub fn abort(&self, id: u64) {
        if self.tx.send(Command::Abort { id }).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Shutdown);
        let _ = self.waker.wake();
    }
}

#[cfg(test)]
mod tests;
