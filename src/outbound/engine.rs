//! The outbound I/O thread: one `mio::Poll` over every outbound socket, the exchanges in a
//! slab indexed by token, the keep-alive pool, deadlines, and the commands callers send.
//!
//! Architecture invariant: nothing on this thread blocks. DNS goes to the resolver pool; sinks
//! only queue completions; policy checks are pure functions.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;

use super::exchange::{Conn, Exchange, Origin, Phase, Step, Transport};
use super::tls::Connector;
use super::{dns, policy, Command, OutboundConfig, OutboundError, OutboundEvent, Sink};
use crate::observe::{Field, Logger, Metrics};

const WAKER: Token = Token(usize::MAX);

type InFlight = Arc<Mutex<HashMap<String, usize>>>;

/// Starts the I/O thread; returns the command channel and the waker that goes with it.
pub(super) fn spawn(
    config: OutboundConfig,
    metrics: Arc<Metrics>,
    log: Arc<Logger>,
    in_flight: InFlight,
) -> std::io::Result<(Sender<Command>, Arc<Waker>)> {
    let poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let (tx, rx) = crossbeam_channel::unbounded();
    let lookups = dns::start(config.resolver_threads, tx.clone(), waker.clone())?;
    let mut io = IoLoop {
        poll,
        rx,
        lookups: Some(lookups),
        config,
        metrics,
        log,
        in_flight,
        exchanges: Slab::new(),
        by_id: HashMap::new(),
        pool: HashMap::new(),
        connector: None,
    };
    std::thread::Builder::new()
        .name("hbf-outbound".into())
        .spawn(move || io.run())?;
    Ok((tx, waker))
}

/// Gives back one in-flight slot of `henv`.
pub(super) fn release(in_flight: &InFlight, henv: &str) {
    if let Ok(mut map) = in_flight.lock() {
        if let Some(n) = map.get_mut(henv) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(henv);
            }
        }
    }
}

struct IoLoop {
    poll: Poll,
    rx: Receiver<Command>,
    lookups: Option<Sender<dns::Lookup>>,
    config: OutboundConfig,
    metrics: Arc<Metrics>,
    log: Arc<Logger>,
    in_flight: InFlight,
    /// (request id, exchange); the slab key is the token.
    exchanges: Slab<(u64, Exchange)>,
    by_id: HashMap<u64, usize>,
    pool: HashMap<Origin, Vec<(Conn, Instant)>>,
    connector: Option<Result<Arc<Connector>, String>>,
}

impl IoLoop {
    fn run(&mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()) + Duration::from_millis(1));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    self.log.error(
                        "outbound poll failed",
                        &[("error", Field::Str(&e.to_string()))],
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            for ev in events.iter() {
                if ev.token() != WAKER {
                    self.drive(ev.token().0, true);
                }
            }
            while let Ok(cmd) = self.rx.try_recv() {
                if !self.command(cmd) {
                    self.shutdown();
                    return;
                }
            }
            self.expire();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let ex = self
            .exchanges
            .iter()
            .map(|(_, (_, ex))| {
                let d = self.deadline_of(ex);
                match ex.req.cancel {
                    Some(_) => d.min(Instant::now() + super::CANCEL_POLL),
                    None => d,
                }
            })
            .min();
        let pool = self
            .pool
            .values()
            .flat_map(|v| v.iter().map(|(_, at)| *at + self.config.pool_idle))
            .min();
        match (ex, pool) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn deadline_of(&self, ex: &Exchange) -> Instant {
        let paused =
            matches!(ex.phase, Phase::Body { .. }) && ex.unconsumed >= self.config.buffer_bytes;
        if paused {
            ex.req.deadline
        } else {
            ex.phase_deadline.min(ex.req.deadline)
        }
    }

    /// Handles one command; `false` to stop.
    fn command(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Submit { id, req, sink } => self.submit(id, req, sink),
            Command::Resolved { id, result } => {
                let Some(&key) = self.by_id.get(&id) else {
                    return true; // aborted meanwhile
                };
                match result {
                    Ok(addrs) => self.connect(key, addrs),
                    Err(reason) => {
                        let host = self.exchanges[key].1.req.host.clone();
                        self.finish(key, Err(OutboundError::Dns { host, reason }));
                    }
                }
            }
            Command::Credit { id, bytes } => {
                if let Some(&key) = self.by_id.get(&id) {
                    let ex = &mut self.exchanges[key].1;
                    ex.unconsumed = ex.unconsumed.saturating_sub(bytes);
                    // (a pause does not count as the server's silence)
                    ex.phase_deadline =
                        (Instant::now() + self.config.read_timeout).min(ex.req.deadline);
                    self.drive(key, false);
                }
            }
            Command::Abort { id } => {
                if let Some(&key) = self.by_id.get(&id) {
                    self.finish(key, Err(OutboundError::Aborted));
                }
            }
            Command::Shutdown => return false,
        }
        true
    }

    fn submit(&mut self, id: u64, req: Box<super::OutboundRequest>, sink: Sink) {
        let now = Instant::now();
        let ex = Exchange {
            phase_deadline: (now + self.config.connect_timeout).min(req.deadline),
            req,
            sink,
            phase: Phase::Resolving,
            conn: None,
            reused: false,
            keep_alive: false,
            started: now,
            unconsumed: 0,
            status: 0,
            body_bytes: 0,
        };
        let key = self.exchanges.insert((id, ex));
        self.by_id.insert(id, key);
        if now >= self.exchanges[key].1.req.deadline {
            self.finish(
                key,
                Err(OutboundError::Timeout("deadline passed before sending")),
            );
            return;
        }
        self.begin(key, true);
    }

    /// Starts (or restarts) the exchange at `key`: a pooled connection, or DNS then connect.
    fn begin(&mut self, key: usize, use_pool: bool) {
        let origin = Origin::of(&self.exchanges[key].1.req);
        if use_pool {
            if let Some(conn) = self.take_pooled(&origin) {
                let fd = conn.transport.socket().as_raw_fd();
                if let Err(e) = self.poll.registry().register(
                    &mut SourceFd(&fd),
                    Token(key),
                    Interest::READABLE | Interest::WRITABLE,
                ) {
                    self.finish(key, Err(OutboundError::Io(e.to_string())));
                    return;
                }
                let ex = &mut self.exchanges[key].1;
                ex.conn = Some(conn);
                ex.reused = true;
                ex.phase_deadline =
                    (Instant::now() + self.config.read_timeout).min(ex.req.deadline);
                if let Err(e) = ex.start_sending() {
                    self.finish(key, Err(e));
                    return;
                }
                self.drive(key, false);
                return;
            }
        }
        let (id, ex) = &mut self.exchanges[key];
        ex.phase = Phase::Resolving;
        let host = ex.req.host.clone();
        let port = ex.req.port;
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.connect(key, vec![SocketAddr::new(ip, port)]);
            return;
        }
        let sent = self.lookups.as_ref().is_some_and(|l| {
            l.send(dns::Lookup {
                id: *id,
                host: host.clone(),
                port,
            })
            .is_ok()
        });
        if !sent {
            self.finish(key, Err(OutboundError::Shutdown));
        }
    }

    /// A live idle connection to `origin`, if the pool has one.
    fn take_pooled(&mut self, origin: &Origin) -> Option<Conn> {
        let list = self.pool.get_mut(origin)?;
        while let Some((conn, _)) = list.pop() {
            let mut b = [0u8; 1];
            match conn.transport.socket().peek(&mut b) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Some(conn),
                _ => continue, // closed, or unexpected bytes: drop it
            }
        }
        None
    }

    /// Connects to the first address policy admits.
    fn connect(&mut self, key: usize, addrs: Vec<SocketAddr>) {
        let allow_private = self.config.allow_private;
        let mut denied = None;
        let mut allowed: Vec<SocketAddr> = Vec::with_capacity(addrs.len());
        for a in addrs {
            match policy::address_class(a.ip()) {
                Some(class) if !allow_private => denied = Some(format!("{} is {class}", a.ip())),
                _ => allowed.push(a),
            }
        }
        if allowed.is_empty() {
            let host = self.exchanges[key].1.req.host.clone();
            let addr = denied.unwrap_or_else(|| "no address".into());
            self.finish(key, Err(OutboundError::AddressDenied { host, addr }));
            return;
        }
        allowed.reverse(); // pop() takes them in resolver order
        self.try_next_address(key, allowed);
    }

    fn try_next_address(&mut self, key: usize, mut rest: Vec<SocketAddr>) {
        let mut last_error = String::from("no address");
        while let Some(addr) = rest.pop() {
            let sock = match mio::net::TcpStream::connect(addr) {
                Ok(s) => s,
                Err(e) => {
                    last_error = format!("{addr}: {e}");
                    continue;
                }
            };
            let _ = sock.set_nodelay(true);
            let fd = sock.as_raw_fd();
            if let Err(e) = self.poll.registry().register(
                &mut SourceFd(&fd),
                Token(key),
                Interest::READABLE | Interest::WRITABLE,
            ) {
                last_error = e.to_string();
                continue;
            }
            let ex = &mut self.exchanges[key].1;
            ex.conn = Some(Conn {
                transport: Transport::Plain(Arc::new(sock)),
                addr,
            });
            ex.phase = Phase::Connecting { rest };
            ex.phase_deadline = (Instant::now() + self.config.connect_timeout).min(ex.req.deadline);
            return;
        }
        self.finish(key, Err(OutboundError::Connect(last_error)));
    }

    /// Checks a connect in progress; moves on when it completed.
    fn connect_progress(&mut self, key: usize) {
        let ex = &mut self.exchanges[key].1;
        let Some(conn) = ex.conn.as_ref() else { return };
        let sock = conn.transport.socket();
        let failed = match sock.take_error() {
            Ok(Some(e)) | Err(e) => Some(e.to_string()),
            Ok(None) => match sock.peer_addr() {
                Ok(_) => None,
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotConnected
                        || e.raw_os_error() == Some(libc::EINPROGRESS) =>
                {
                    return; // still connecting
                }
                Err(e) => Some(e.to_string()),
            },
        };
        if let Some(reason) = failed {
            let addr = conn.addr;
            let fd = sock.as_raw_fd();
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            ex.conn = None;
            let rest = match std::mem::replace(&mut ex.phase, Phase::Resolving) {
                Phase::Connecting { rest } => rest,
                _ => Vec::new(),
            };
            if rest.is_empty() {
                self.finish(
                    key,
                    Err(OutboundError::Connect(format!("{addr}: {reason}"))),
                );
            } else {
                self.try_next_address(key, rest);
            }
            return;
        }
        // Connected.
        let https = ex.req.https;
        ex.phase_deadline = (Instant::now() + self.config.connect_timeout).min(ex.req.deadline);
        let tls = if https {
            let connector = match self.connector() {
                Ok(c) => c,
                Err(reason) => {
                    let host = self.exchanges[key].1.req.host.clone();
                    self.finish(key, Err(OutboundError::Tls { host, reason }));
                    return;
                }
            };
            let ex = &mut self.exchanges[key].1;
            if ex.req.insecure_tls {
                self.log.warn(
                    "outbound TLS certificate verification is OFF for this request (henv setting fetch_insecure_tls)",
                    &[
                        ("henv", Field::Str(&ex.req.henv)),
                        ("request_id", Field::U64(ex.req.request_id)),
                        ("host", Field::Str(&ex.req.host)),
                    ],
                );
            }
            let sock = match ex.conn.as_ref().map(|c| &c.transport) {
                Some(Transport::Plain(s)) => s.clone(),
                _ => return,
            };
            Some(connector.stream(sock, &ex.req.host, ex.req.insecure_tls))
        } else {
            None
        };
        let ex = &mut self.exchanges[key].1;
        if let Err(e) = ex.connected(tls) {
            self.finish(key, Err(e));
        }
    }

    fn connector(&mut self) -> Result<Arc<Connector>, String> {
        let path = self
            .config
            .ca_file
            .clone()
            .unwrap_or_else(|| super::SYSTEM_CA_FILE.into());
        self.connector
            .get_or_insert_with(|| Connector::new(&path).map(Arc::new))
            .clone()
    }

    /// Advances the exchange at `key` after readiness (`ready`) or credit.
    fn drive(&mut self, key: usize, ready: bool) {
        let Some((_, ex)) = self.exchanges.get_mut(key) else {
            return;
        };
        if matches!(ex.phase, Phase::Connecting { .. }) {
            self.connect_progress(key);
        }
        let Some((_, ex)) = self.exchanges.get_mut(key) else {
            return;
        };
        if ready
            && matches!(
                ex.phase,
                Phase::Sending { .. } | Phase::Head { .. } | Phase::Body { .. }
            )
        {
            ex.phase_deadline = (Instant::now() + self.config.read_timeout).min(ex.req.deadline);
        }
        match ex.drive(self.config.buffer_bytes, self.config.max_head_bytes) {
            Step::Wait => {}
            Step::Done(conn) => {
                if let Some(conn) = conn {
                    let origin = Origin::of(&ex.req);
                    self.pool_conn(origin, conn);
                }
                self.finish(key, Ok(()));
            }
            Step::Stale => {
                if let Some(conn) = ex.conn.take() {
                    let fd = conn.transport.socket().as_raw_fd();
                    let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
                }
                ex.reused = false;
                self.begin(key, false);
            }
            Step::Failed(e) => self.finish(key, Err(e)),
        }
    }

    fn pool_conn(&mut self, origin: Origin, conn: Conn) {
        let fd = conn.transport.socket().as_raw_fd();
        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        let list = self.pool.entry(origin).or_default();
        if list.len() < self.config.pool_per_origin {
            list.push((conn, Instant::now()));
        }
    }

    /// Ends the exchange at `key`: reports errors to its sink, frees its slot, counts and logs.
    fn finish(&mut self, key: usize, result: Result<(), OutboundError>) {
        let Some((id, mut ex)) = self.exchanges.try_remove(key) else {
            return;
        };
        self.by_id.remove(&id);
        if let Some(conn) = ex.conn.take() {
            let fd = conn.transport.socket().as_raw_fd();
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        }
        release(&self.in_flight, &ex.req.henv);
        let elapsed = ex.started.elapsed();
        let label = match &result {
            Ok(()) => "ok",
            Err(e) => e.kind(),
        };
        self.metrics.record_outbound(label, elapsed);
        let error = result.as_ref().err().map(ToString::to_string);
        let level = match &result {
            Ok(()) if !self.config.log_requests => return,
            Ok(()) => crate::LogLevel::Info,
            Err(OutboundError::Aborted) => crate::LogLevel::Info,
            Err(_) => crate::LogLevel::Warn,
        };
        self.log.log(
            level,
            "outbound request",
            &[
                ("henv", Field::Str(&ex.req.henv)),
                ("request_id", Field::U64(ex.req.request_id)),
                ("method", Field::Str(&ex.req.method)),
                ("host", Field::Str(&ex.req.host)),
                ("port", Field::U64(u64::from(ex.req.port))),
                ("https", Field::Bool(ex.req.https)),
                ("status", Field::U64(u64::from(ex.status))),
                ("result", Field::Str(label)),
                ("bytes", Field::U64(ex.body_bytes)),
                ("duration_ms", Field::F64(elapsed.as_secs_f64() * 1000.0)),
                ("error", Field::Str(error.as_deref().unwrap_or(""))),
            ],
        );
        if let Err(e) = result {
            (ex.sink)(OutboundEvent::Error(e));
        }
    }

    fn expire(&mut self) {
        let now = Instant::now();
        let cancelled: Vec<usize> = self
            .exchanges
            .iter()
            .filter(|(_, (_, ex))| {
                ex.req
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            })
            .map(|(key, _)| key)
            .collect();
        for key in cancelled {
            self.finish(key, Err(OutboundError::Aborted));
        }
        let due: Vec<(usize, &'static str)> = self
            .exchanges
            .iter()
            .filter(|(_, (_, ex))| now >= self.deadline_of(ex))
            .map(|(key, (_, ex))| (key, ex.phase_name()))
            .collect();
        for (key, phase) in due {
            self.finish(key, Err(OutboundError::Timeout(phase)));
        }
        let idle = self.config.pool_idle;
        self.pool.retain(|_, list| {
            list.retain(|(_, at)| now < *at + idle);
            !list.is_empty()
        });
    }

    fn shutdown(&mut self) {
        let keys: Vec<usize> = self.exchanges.iter().map(|(k, _)| k).collect();
        for key in keys {
            self.finish(key, Err(OutboundError::Shutdown));
        }
        self.pool.clear();
        self.lookups = None;
    }
}
