//! The event loop: one thread, one `mio::Poll`, the listener and every connection.
//!
//! The loop accepts, hands readiness to each connection's state machine (`conn.rs`), routes
//! complete requests (built-ins answered here, the rest queued for a worker), delivers worker
//! replies, and enforces every deadline with a coarse sweep. It never blocks and never runs
//! application code. Sockets are registered once for read and write, edge-triggered; the
//! connection's state decides what it does with each event.
//!
//! There are up to two listeners: plain HTTP (`--port`) and HTTPS (`--tls_port`). A TLS
//! connection differs only in its `Transport` and in starting in the `Handshake` state, whose
//! crypto runs on the handshake pool (`handshake.rs`).

mod conn;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzzing;
mod handshake;
mod limiter;
mod proxy;
mod tls;

pub use proxy::IpNet;
pub use tls::TlsError;
pub(crate) use tls::TlsState;

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::Receiver;
use mio::net::{TcpListener, TcpStream};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::builtin::{self, Snapshot};
use crate::http::{Limits, Request, RequestHead, Response};
use crate::observe::{rss_bytes, Event, Field};
use crate::server::{Shared, WAKER};
use crate::worker::{Dispatch, DispatchError, Job, Pool, Reply};
use conn::{Admission, Conn, Ctx, Progress};
use handshake::HandshakePool;
use limiter::PerIp;
use tls::Transport;

const LISTENER: Token = Token(usize::MAX - 2);
const TLS_LISTENER: Token = Token(usize::MAX - 3);
/// The operator listener (`--admin_bind`): built-ins only, never a worker.
const ADMIN_LISTENER: Token = Token(usize::MAX - 4);
/// How often deadlines are checked; timeouts fire within this much of their value.
const SWEEP_EVERY: Duration = Duration::from_millis(50);
/// Connections being refused (503/429 then lingering close) at once; beyond, refused
/// connections are closed without a reply. They do not count against `--max_conn`.
const REJECT_SLACK: usize = 256;

/// The loop's state. Fields are split so a connection can be borrowed mutably alongside
/// the rest.
pub(crate) struct EventLoop {
    poll: Poll,
    listener: Option<TcpListener>,
    tls_listener: Option<TcpListener>,
    admin_listener: Option<TcpListener>,
    /// The bound HTTPS port (for redirects).
    tls_port: Option<u16>,
    conns: Slab<Conn>,
    /// Connections in `conns` that were refused at accept (the rest hold `--max_conn` slots).
    refusing: usize,
    jobs: Option<Dispatch>,
    replies: Receiver<Reply>,
    /// Where TLS handshake steps run (TLS on and `--tls_handshake_threads` > 0).
    handshakes: Option<HandshakePool>,
    shared: Arc<Shared>,
    limits: Limits,
    per_ip: PerIp,
    scratch: Vec<u8>,
    date: DateCache,
    snapshot: Snapshot,
    next_serial: u64,
    accept_paused_until: Option<Instant>,
    stop_deadline: Option<Instant>,
    next_sweep: Instant,
    next_snapshot: Instant,
    sweep_tokens: Vec<usize>,
}

impl EventLoop {
    pub fn new(
        poll: Poll,
        [mut listener, mut tls_listener, mut admin_listener]: [Option<TcpListener>; 3],
        jobs: Dispatch,
        replies: Receiver<Reply>,
        shared: Arc<Shared>,
    ) -> io::Result<Self> {
        if let Some(l) = &mut listener {
            poll.registry().register(l, LISTENER, Interest::READABLE)?;
        }
        if let Some(l) = &mut admin_listener {
            poll.registry()
                .register(l, ADMIN_LISTENER, Interest::READABLE)?;
        }
        let mut tls_port = None;
        if let Some(l) = &mut tls_listener {
            poll.registry()
                .register(l, TLS_LISTENER, Interest::READABLE)?;
            tls_port = Some(l.local_addr()?.port());
        }
        let c = &shared.config;
        let now = Instant::now();
        let handshakes = match (&shared.tls, c.tls_handshake_threads) {
            (Some(_), threads) if threads > 0 => Some(HandshakePool::start(
                threads,
                c.tls_handshake_queue,
                shared.clone(),
            )?),
            _ => None,
        };
        Ok(EventLoop {
            handshakes,
            limits: c.limits(),
            per_ip: PerIp::new(c.max_conn_per_ip, c.rate_limit_rps, c.rate_limit_burst),
            conns: Slab::with_capacity(c.max_conn.min(1024)),
            refusing: 0,
            poll,
            listener,
            tls_listener,
            admin_listener,
            tls_port,
            jobs: Some(jobs),
            replies,
            scratch: vec![0; 64 * 1024],
            date: DateCache::new(),
            snapshot: Snapshot {
                uptime: Duration::ZERO,
                rss_bytes: rss_bytes(),
            },
            next_serial: 0,
            accept_paused_until: None,
            stop_deadline: None,
            next_sweep: now + SWEEP_EVERY,
            next_snapshot: now + Duration::from_secs(1),
            sweep_tokens: Vec::new(),
            shared,
        })
    }

    /// Runs until a graceful stop completes; then stops the workers.
    pub fn run(mut self, pool: Pool) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let result = loop {
            if let Err(e) = self.poll.poll(&mut events, self.poll_timeout()) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                break Err(e);
            }
            let now = Instant::now();
            self.date.refresh();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(now, Listener::Plain),
                    TLS_LISTENER => self.accept(now, Listener::Tls),
                    ADMIN_LISTENER => self.accept(now, Listener::Admin),
                    WAKER => {}
                    Token(t) => self.drive(t, now),
                }
            }
            self.deliver_replies(now);
            self.deliver_handshakes(now);
            if self.shared.stop.load(Ordering::SeqCst) && self.stop_deadline.is_none() {
                self.begin_stop(now);
            }
            if self.accept_paused_until.is_some_and(|t| now >= t) {
                self.accept_paused_until = None;
                self.accept(now, Listener::Plain);
                self.accept(now, Listener::Tls);
                self.accept(now, Listener::Admin);
            }
            if now >= self.next_sweep {
                self.sweep(now);
            }
            if let Some(deadline) = self.stop_deadline {
                if self.conns.is_empty() || now >= deadline {
                    break Ok(());
                }
            }
        };
        self.finish(pool);
        result
    }

    fn poll_timeout(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut wake: Option<Instant> = None;
        let mut consider = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        if !self.conns.is_empty() || self.stop_deadline.is_some() {
            consider(self.next_sweep);
        }
        if let Some(t) = self.accept_paused_until {
            consider(t);
        }
        if let Some(t) = self.stop_deadline {
            consider(t);
        }
        wake.map(|t| t.saturating_duration_since(now))
    }

    /// Accepts until the backlog is empty, the descriptor limit is hit, or we are stopping.
    fn accept(&mut self, now: Instant, which: Listener) {
        if self.accept_paused_until.is_some() {
            return;
        }
        loop {
            let listener = match which {
                Listener::Plain => &self.listener,
                Listener::Tls => &self.tls_listener,
                Listener::Admin => &self.admin_listener,
            };
            let Some(listener) = listener else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => self.admit_connection(stream, peer, now, which),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                    // Out of descriptors: existing connections keep being served; retry later.
                    let kind = if e.raw_os_error() == Some(libc::EMFILE) {
                        "emfile"
                    } else {
                        "enfile"
                    };
                    self.shared.emit(&Event::AcceptError { kind });
                    self.shared.log.warn(
                        "accept paused: out of file descriptors",
                        &[("error", Field::Str(&e.to_string()))],
                    );
                    self.accept_paused_until =
                        Some(now + Duration::from_millis(self.shared.config.accept_backoff_ms));
                    return;
                }
                Err(e) => {
                    // ECONNABORTED and friends concern one connection, not the listener.
                    self.shared.emit(&Event::AcceptError { kind: "other" });
                    self.shared
                        .log
                        .debug("accept failed", &[("error", Field::Str(&e.to_string()))]);
                }
            }
        }
    }

    fn admit_connection(
        &mut self,
        mut stream: TcpStream,
        peer: SocketAddr,
        now: Instant,
        which: Listener,
    ) {
        let tls = matches!(which, Listener::Tls);
        let _ = stream.set_nodelay(true);
        let max_conn = self.shared.config.max_conn;
        // Refusals in flight do not hold slots: counting them would let a flood of new
        // connections keep the server refusing while its admitted connections sit idle.
        let admitted = self.conns.len() - self.refusing;
        let refusal = if admitted >= max_conn {
            Some((
                "max_conn",
                Response::error(503, "server at connection limit").with_header("Retry-After", "1"),
            ))
        } else if !self.per_ip.open(peer.ip()) {
            Some((
                "per_ip",
                Response::error(429, "too many connections from your address")
                    .with_header("Retry-After", "1"),
            ))
        } else {
            None
        };
        if let Some((reason, _)) = &refusal {
            // A TLS client cannot read a plain-text refusal: close at once.
            if tls || self.refusing >= REJECT_SLACK {
                // Too many refusals in flight already: drop without a word.
                self.shared.emit(&Event::ConnectionRejected { reason });
                return;
            }
        }
        self.next_serial += 1;
        let serial = self.next_serial;
        let entry = self.conns.vacant_entry();
        let token = entry.key();
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.shared.log.warn(
                "cannot register connection",
                &[("error", Field::Str(&e.to_string()))],
            );
            if refusal.is_none() {
                self.per_ip.close(peer.ip());
            }
            return;
        }
        let conn = match refusal {
            Some((reason, resp)) => {
                self.shared.emit(&Event::ConnectionRejected { reason });
                let mut admission = NoAdmission;
                let ctx = Ctx {
                    now,
                    shared: &self.shared,
                    limits: &self.limits,
                    date: self.date.get(),
                    stopping: true,
                    scratch: &mut self.scratch,
                    admission: &mut admission,
                };
                Conn::rejected(stream, peer, serial, &resp, &ctx)
            }
            None => {
                let transport = match (tls, &self.shared.tls) {
                    (true, Some(state)) => Transport::Tls(Box::new(state.current().stream(stream))),
                    _ => Transport::Plain(stream),
                };
                let config = &self.shared.config;
                let mut conn = Conn::new(
                    transport,
                    peer,
                    serial,
                    now,
                    config.header_timeout(),
                    config.tls_handshake_timeout(),
                );
                conn.counted_per_ip = self.per_ip.counts_connections();
                conn.operator = matches!(which, Listener::Admin);
                conn
            }
        };
        if conn.refused_at_accept {
            self.refusing += 1;
        }
        entry.insert(conn);
        self.shared.emit(&Event::ConnectionOpened);
    }

    /// Steps connection `token` until it waits, closes, or produces a request.
    fn drive(&mut self, token: usize, now: Instant) {
        let progress = {
            let Some(conn) = self.conns.get_mut(token) else {
                return;
            };
            let mut admission = LoopAdmission {
                per_ip: &mut self.per_ip,
                jobs: self.jobs.as_ref(),
                shared: &self.shared,
                now,
            };
            let mut ctx = Ctx {
                now,
                shared: &self.shared,
                limits: &self.limits,
                date: self.date.get(),
                stopping: self.stop_deadline.is_some(),
                scratch: &mut self.scratch,
                admission: &mut admission,
            };
            conn.on_ready(&mut ctx)
        };
        self.follow(token, progress, now);
    }

    /// Acts on what a connection step asked for until the connection waits: routes complete
    /// requests (a pipelined one may follow an answer), parks handshakes, closes.
    fn follow(&mut self, token: usize, mut progress: Progress, now: Instant) {
        loop {
            progress = match progress {
                Progress::Idle => return,
                Progress::Close => return self.close(token),
                Progress::Handshake(session) => return self.park_handshake(token, session),
                Progress::Request {
                    id,
                    head,
                    body,
                    received_at,
                } => match self.route(token, id, head, body, received_at, now) {
                    Some(resp) => self.with_conn(token, now, |conn, ctx| conn.respond(resp, ctx)),
                    None => return,
                },
            };
        }
    }

    /// Sends connection `token`'s handshake step to the pool; closes it when the pool's queue
    /// is full (a handshake flood is shed here, not on the loop's CPU).
    fn park_handshake(&mut self, token: usize, session: Box<tls::Session>) {
        let Some(serial) = self.conns.get(token).map(|c| c.serial) else {
            return;
        };
        let refused = match &self.handshakes {
            Some(pool) => pool.submit(token, serial, session).is_err(),
            None => true,
        };
        if refused {
            self.shared.emit(&Event::Handshake {
                result: "overload",
                duration: Duration::ZERO,
            });
            self.close(token);
        }
    }

    /// Gives sessions back from the handshake pool to their connections; sessions of
    /// connections that timed out or closed meanwhile are dropped.
    fn deliver_handshakes(&mut self, now: Instant) {
        let Some(pool) = &self.handshakes else {
            return;
        };
        let done: Vec<handshake::Done> = pool.completed().collect();
        for step in done {
            if self
                .conns
                .get(step.token)
                .is_none_or(|c| c.serial != step.serial)
            {
                continue;
            }
            let progress = self.with_conn(step.token, now, |conn, ctx| {
                conn.handshake_returned(step.session, step.outcome, ctx)
            });
            self.follow(step.token, progress, now);
        }
    }

    /// Runs `f` on connection `token` with a fresh context.
    fn with_conn(
        &mut self,
        token: usize,
        now: Instant,
        f: impl FnOnce(&mut Conn, &mut Ctx<'_>) -> Progress,
    ) -> Progress {
        let Some(conn) = self.conns.get_mut(token) else {
            return Progress::Idle;
        };
        let mut admission = LoopAdmission {
            per_ip: &mut self.per_ip,
            jobs: self.jobs.as_ref(),
            shared: &self.shared,
            now,
        };
        let mut ctx = Ctx {
            now,
            shared: &self.shared,
            limits: &self.limits,
            date: self.date.get(),
            stopping: self.stop_deadline.is_some(),
            scratch: &mut self.scratch,
            admission: &mut admission,
        };
        f(conn, &mut ctx)
    }

    /// Answers built-ins here; queues everything else for a worker. `Some` is an immediate
    /// response; `None` means a worker has it.
    fn route(
        &mut self,
        token: usize,
        id: u64,
        head: RequestHead,
        body: Vec<u8>,
        received_at: Instant,
        now: Instant,
    ) -> Option<Response> {
        let conn = self.conns.get(token)?;
        let config = &self.shared.config;
        let surface = match conn.operator {
            true => builtin::Surface::Operator,
            false => builtin::Surface::Public {
                bare_paths: config.builtin_bare_paths,
                metrics_token: config.metrics_token.as_deref(),
            },
        };
        if let Some(resp) = builtin::answer(&head, surface, &self.shared.metrics, &self.snapshot) {
            return Some(resp);
        }
        let deadline = now + self.shared.config.handler_timeout();
        let mut request = Request {
            id,
            head,
            body,
            peer: conn.peer,
            client_ip: conn.peer.ip().to_canonical(),
            secure: conn.secure(),
            received_at,
            deadline,
        };
        let serial = conn.serial;
        let trusted = &self.shared.config.trust_proxy;
        if !trusted.is_empty() && proxy::trusted(trusted, conn.peer.ip()) {
            apply_forwarded(&mut request, trusted);
        }
        if !request.secure && self.shared.config.redirect_http_to_https {
            return Some(self.redirect_to_https(&request));
        }
        let job = Job {
            token,
            serial,
            request,
            inflight: None,
        };
        let Some(jobs) = &mut self.jobs else {
            return Some(self.overload("shutting_down", "server is shutting down"));
        };
        match jobs.send(job) {
            Ok(()) => {
                self.shared.emit(&Event::Queued);
                if let Some(conn) = self.conns.get_mut(token) {
                    conn.set_handler_deadline(deadline);
                }
                None
            }
            Err(DispatchError::HenvBusy) => Some(self.overload(
                "henv_busy",
                "app busy: too many requests in flight for this app",
            )),
            Err(DispatchError::QueueFull) => {
                Some(self.overload("queue_full", "server busy: worker queue full"))
            }
            Err(DispatchError::Disconnected) => {
                Some(self.overload("shutting_down", "server is shutting down"))
            }
        }
    }

    /// A 503 for a request that was not queued (counted by `reason`).
    fn overload(&self, reason: &'static str, message: &str) -> Response {
        self.shared.emit(&Event::Overload { reason });
        Response::error(503, message).with_header("Retry-After", "1")
    }

    /// 308 to the same target on the HTTPS listener.
    fn redirect_to_https(&self, req: &Request) -> Response {
        let host = req.head.host.as_deref().map_or_else(
            || self.shared.config.bind.to_string(),
            |h| strip_port(h).to_owned(),
        );
        let port = match self.tls_port {
            Some(443) | None => String::new(),
            Some(p) => format!(":{p}"),
        };
        let target = if req.head.target.starts_with('/') {
            req.head.target.clone()
        } else {
            // absolute-form or `*`: rebuild from the path and query
            match &req.head.query {
                Some(q) => format!("{}?{q}", req.head.path),
                None => req.head.path.clone(),
            }
        };
        let location = format!("https://{host}{port}{target}");
        Response::json(
            308,
            &serde_json::json!({ "error": "use https", "status": 308, "location": location }),
        )
        .with_header("Location", location)
    }

    /// Hands worker replies to their connections; replies for connections that timed out or
    /// closed meanwhile are dropped.
    fn deliver_replies(&mut self, now: Instant) {
        self.shared.collecting_replies();
        while let Ok(reply) = self.replies.try_recv() {
            let current = self.conns.get(reply.token).is_some_and(|c| {
                c.serial == reply.serial && c.handling_request() == Some(reply.request_id)
            });
            if !current {
                continue;
            }
            let progress = self.with_conn(reply.token, now, |conn, ctx| {
                conn.respond(reply.response, ctx)
            });
            // A pipelined request may follow immediately.
            self.follow(reply.token, progress, now);
        }
    }

    fn close(&mut self, token: usize) {
        if let Some(conn) = self.conns.try_remove(token) {
            if let Some(socket) = conn.transport.socket() {
                let fd = socket.as_raw_fd();
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
            if conn.counted_per_ip {
                self.per_ip.close(conn.peer.ip());
            }
            if conn.refused_at_accept {
                self.refusing -= 1;
            }
            self.shared.emit(&Event::ConnectionClosed);
        }
    }

    /// Fires every passed deadline; refreshes the once-a-second snapshot.
    fn sweep(&mut self, now: Instant) {
        self.next_sweep = now + SWEEP_EVERY;
        if now >= self.next_snapshot {
            self.next_snapshot = now + Duration::from_secs(1);
            self.snapshot = Snapshot {
                uptime: now - self.shared.started_at,
                rss_bytes: rss_bytes(),
            };
            self.per_ip.forget_idle(now);
        }
        let mut expired = std::mem::take(&mut self.sweep_tokens);
        expired.clear();
        expired.extend(
            self.conns
                .iter()
                .filter(|(_, c)| c.deadline().is_some_and(|d| d <= now))
                .map(|(t, _)| t),
        );
        for &token in &expired {
            let progress = self.with_conn(token, now, |conn, ctx| conn.on_timeout(ctx));
            match progress {
                Progress::Close => self.close(token),
                Progress::Idle => {}
                Progress::Request { .. } | Progress::Handshake(_) => {
                    unreachable!("a timeout never completes a request or a handshake step")
                }
            }
        }
        self.sweep_tokens = expired;
    }

    /// Stops accepting and closes idle connections; busy ones finish (with `Connection: close`).
    fn begin_stop(&mut self, now: Instant) {
        self.stop_deadline = Some(now + self.shared.config.shutdown_timeout());
        for mut listener in [
            self.listener.take(),
            self.tls_listener.take(),
            self.admin_listener.take(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        self.accept_paused_until = None;
        let idle: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.is_idle())
            .map(|(t, _)| t)
            .collect();
        for token in idle {
            self.close(token);
        }
        self.shared.log.info(
            "stopping",
            &[
                ("open_connections", Field::U64(self.conns.len() as u64)),
                (
                    "timeout_ms",
                    Field::U64(self.shared.config.shutdown_timeout_ms),
                ),
            ],
        );
    }

    /// Closes what is left and stops the workers.
    fn finish(mut self, pool: Pool) {
        let left: Vec<usize> = self.conns.iter().map(|(t, _)| t).collect();
        for token in left {
            self.close(token);
        }
        self.jobs = None; // closing the channel lets idle workers exit
        if let Some(handshakes) = &mut self.handshakes {
            handshakes.stop();
        }
        let deadline = Instant::now()
            + Duration::from_millis(self.shared.config.shutdown_timeout_ms.min(1_000));
        let detached = pool.join_until(deadline);
        if detached > 0 {
            self.shared.log.warn(
                "workers still busy at stop; detached",
                &[("workers", Field::U64(detached as u64))],
            );
        }
        self.shared.log.info("stopped", &[]);
    }
}

/// The listener a connection came from.
#[derive(Clone, Copy, Debug)]
enum Listener {
    Plain,
    Tls,
    Admin,
}

/// Applies what a trusted proxy says about the client to `req`.
fn apply_forwarded(req: &mut Request, trusted: &[IpNet]) {
    let headers = req
        .head
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()));
    let fwd = proxy::read_forwarded(headers, req.peer.ip(), trusted);
    if let Some(ip) = fwd.client_ip {
        req.client_ip = ip;
    }
    if let Some(secure) = fwd.secure {
        req.secure = secure;
    }
    if let Some(host) = fwd.host {
        req.head.host = Some(host);
    }
}

/// `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.split(':').next().unwrap_or(host)
}

/// Admission as the loop applies it: the per-IP rate limit, and room in the worker queue
/// before promising `100 Continue`.
struct LoopAdmission<'a> {
    per_ip: &'a mut PerIp,
    jobs: Option<&'a Dispatch>,
    shared: &'a Shared,
    now: Instant,
}

impl Admission for LoopAdmission<'_> {
    fn admit(&mut self, head: &RequestHead, peer: std::net::IpAddr) -> Option<Response> {
        if let Err(retry_after) = self.per_ip.take_request(peer, self.now) {
            self.shared.emit(&Event::RateLimited);
            return Some(
                Response::error(429, "too many requests from your address")
                    .with_header("Retry-After", retry_after.to_string()),
            );
        }
        if head.expect_continue && self.jobs.is_none_or(|j| j.is_full()) {
            self.shared.emit(&Event::Overload {
                reason: "queue_full",
            });
            return Some(
                Response::error(503, "server busy: worker queue full")
                    .with_header("Retry-After", "1"),
            );
        }
        None
    }
}

/// For refused connections, which never reach a head.
struct NoAdmission;

impl Admission for NoAdmission {
    fn admit(&mut self, _: &RequestHead, _: std::net::IpAddr) -> Option<Response> {
        None
    }
}

/// The `Date` header value, formatted once per second.
struct DateCache {
    second: u64,
    value: String,
}

impl DateCache {
    fn new() -> Self {
        let mut d = DateCache {
            second: u64::MAX,
            value: String::new(),
        };
        d.refresh();
        d
    }

    fn refresh(&mut self) {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if second != self.second {
            self.second = second;
            self.value = httpdate::fmt_http_date(now);
        }
    }

    fn get(&self) -> &str {
        &self.value
    }
}
