//! One client connection as an explicit state machine.
//!
//! ```text
//! Handshake (TLS only) ──established──▶ Reading
//!            bytes                 complete request           reply / built-in
//! Reading ───────────▶ Reading ─────────────────▶ Handling ─────────────────▶ Writing
//!    ▲   (head, body)      │ bad framing → error response, close after     │
//!    │                     ▼                                               │ flushed
//! KeepAlive ◀──────────────────────────────── keep-alive ◀─────────────────┤
//!                                             close      ──▶ Closing (linger) ──▶ closed
//! ```
//! Every state carries its own data and deadline; `on_ready` is the single step function the
//! loop calls on readiness, and `on_timeout` the one it calls when the state's deadline passes.
//! Reads happen only in `Reading`/`KeepAlive`/`Closing`: while `Handling`, pipelined bytes stay
//! in the kernel buffer (TCP flow control is the backpressure), and requests are answered
//! strictly in order because the next one is parsed only after the current response is flushed.
//!
//! All socket I/O goes through `Transport` (plain TCP or TLS), so plain and TLS connections run
//! exactly the same HTTP code. TLS may need to write while reading or read while writing; the
//! transport reports that as `WouldBlock`, and since sockets are registered for both readiness
//! kinds the state simply retries on the next event of either kind.
//!
//! Size: over 800 lines on purpose: the whole state machine (every state and transition) in
//! one place is what makes it reviewable (ARCHITECTURE.md); about a third is unit tests.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::http::{
    encode_response, parse_head, BodyFraming, ChunkError, ChunkedDecoder, EncodeOptions, HeadError,
    Limits, RequestHead, Response, Version,
};
use crate::observe::{Event, Field};
use crate::server::Shared;

use super::tls::{Handshake, Session, Transport};

/// Bytes a lingering close reads and discards before giving up on a clean FIN.
const LINGER_MAX_DISCARD: usize = 1 << 20;
/// Output buffers larger than this are released after use instead of kept for reuse.
const KEEP_BUFFER_CAPACITY: usize = 64 * 1024;

/// What the loop should do after a step. (Moved once per request, never stored: the size
/// difference between variants costs nothing.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Progress {
    /// Wait for the next readiness event or deadline.
    Idle,
    /// A complete request: the connection is now `Handling` and waits for `respond`.
    Request {
        id: u64,
        head: RequestHead,
        body: Vec<u8>,
        received_at: Instant,
    },
    /// Remove and drop the connection.
    Close,
    /// Run this handshake step on the handshake pool; the connection is parked in
    /// `Handshake` until `handshake_returned`.
    Handshake(Box<Session>),
}

/// Admission checks the loop makes for a freshly parsed head (rate limits, queue room for
/// `Expect: 100-continue`). `Some(response)` refuses the request with that response.
pub(crate) trait Admission {
    fn admit(&mut self, head: &RequestHead, peer: IpAddr) -> Option<Response>;
}

/// Loop-owned context for one step.
pub(crate) struct Ctx<'a> {
    pub now: Instant,
    pub shared: &'a Shared,
    pub limits: &'a Limits,
    pub date: &'a str,
    pub stopping: bool,
    pub scratch: &'a mut [u8],
    pub admission: &'a mut dyn Admission,
}

/// How the body of the current request is delimited.
enum BodyDecoder {
    Length { remaining: u64 },
    Chunked(ChunkedDecoder),
}

/// A request whose head is parsed and whose body is being read.
struct BodyRead {
    head: RequestHead,
    id: u64,
    decoder: BodyDecoder,
    body: Vec<u8>,
    received_at: Instant,
}

/// What the access log and the encoder need to know about the request being answered.
struct Exchange {
    id: u64,
    method: String,
    path: String,
    version: Version,
    head_only: bool,
    keep_alive: bool,
    received_at: Instant,
    bytes_in: u64,
}

/// What follows a flushed write.
enum AfterWrite {
    /// Read the next request (pipelined bytes first).
    NextRequest,
    /// Half-close and linger until the peer closes.
    Close,
    /// `100 Continue` is out: read the body.
    ReadBody(Box<BodyRead>),
}

enum State {
    /// TLS handshake in progress (TLS connections only); `Reading` follows. `parked`: the
    /// session is away on the handshake pool; `missed_ready`: readiness came meanwhile.
    Handshake {
        deadline: Instant,
        parked: bool,
        missed_ready: bool,
    },
    /// Reading a request head (`body: None`) or its body. The deadline is the header deadline
    /// for the head and the idle deadline for the body.
    Reading {
        deadline: Instant,
        body: Option<Box<BodyRead>>,
    },
    /// Request handed to a worker (or to the loop's own router); no reads.
    Handling {
        exchange: Exchange,
        deadline: Instant,
    },
    /// Writing `out[pos..]`; the deadline moves on every bit of progress.
    Writing {
        out: Vec<u8>,
        pos: usize,
        deadline: Instant,
        then: AfterWrite,
        done: Option<(Exchange, u16)>,
    },
    /// Idle between requests.
    KeepAlive { deadline: Instant },
    /// Response sent, write side shut: discard input until the peer closes (lingering close),
    /// so our final response is not destroyed by a TCP reset.
    Closing { deadline: Instant, discarded: usize },
    /// Finished.
    Closed,
}

/// A client connection.
pub(crate) struct Conn {
    pub transport: Transport,
    pub peer: SocketAddr,
    /// Distinguishes this connection from earlier ones in the same slab slot.
    pub serial: u64,
    /// Whether this connection holds a slot in the per-IP table.
    pub counted_per_ip: bool,
    /// Whether this connection was refused at accept (it only gets its 503/429, then a
    /// lingering close): it does not hold one of the `--max_conn` slots.
    pub refused_at_accept: bool,
    /// Whether this connection came in on the operator listener (`--admin_bind`): only
    /// built-ins answer it, never a worker.
    pub operator: bool,
    state: State,
    inbuf: Vec<u8>,
    spare_out: Vec<u8>,
    served: u32,
    peer_closed: bool,
    /// Bytes of the current request seen so far.
    bytes_in: u64,
}

impl Conn {
    /// A new connection: waiting for its first request head, or (TLS) for the handshake, which
    /// must complete within `handshake_timeout`.
    pub fn new(
        transport: Transport,
        peer: SocketAddr,
        serial: u64,
        now: Instant,
        header_timeout: Duration,
        handshake_timeout: Duration,
    ) -> Self {
        let state = if transport.is_tls() {
            State::Handshake {
                deadline: now + handshake_timeout,
                parked: false,
                missed_ready: false,
            }
        } else {
            State::Reading {
                deadline: now + header_timeout,
                body: None,
            }
        };
        Conn {
            transport,
            peer,
            serial,
            counted_per_ip: false,
            refused_at_accept: false,
            operator: false,
            state,
            inbuf: Vec::new(),
            spare_out: Vec::new(),
            served: 0,
            peer_closed: false,
            bytes_in: 0,
        }
    }

    /// A connection refused at accept: it gets `resp`, then a lingering close.
    pub fn rejected(
        stream: mio::net::TcpStream,
        peer: SocketAddr,
        serial: u64,
        resp: &Response,
        ctx: &Ctx<'_>,
    ) -> Self {
        let transport = Transport::Plain(stream);
        let mut conn = Conn::new(
            transport,
            peer,
            serial,
            ctx.now,
            Duration::ZERO,
            Duration::ZERO,
        );
        conn.refused_at_accept = true;
        let mut out = Vec::new();
        let opts = EncodeOptions {
            version: Version::Http11,
            head_only: false,
            keep_alive: false,
            date: ctx.date,
            server_header: ctx.shared.config.server_header,
        };
        encode_response(resp, &opts, &mut out);
        conn.state = State::Writing {
            out,
            pos: 0,
            deadline: ctx.now + ctx.shared.config.write_timeout(),
            then: AfterWrite::Close,
            done: None,
        };
        conn
    }

    /// The id of the request this connection waits on a worker for, if any.
    pub fn handling_request(&self) -> Option<u64> {
        match &self.state {
            State::Handling { exchange, .. } => Some(exchange.id),
            _ => None,
        }
    }

    /// Whether the connection arrived over TLS.
    pub fn secure(&self) -> bool {
        self.transport.is_tls()
    }

    /// Whether the connection is between requests with nothing buffered (safe to close on stop).
    pub fn is_idle(&self) -> bool {
        match &self.state {
            State::KeepAlive { .. } | State::Handshake { .. } => true,
            State::Reading { body: None, .. } => self.inbuf.is_empty(),
            _ => false,
        }
    }

    /// The deadline of the current state.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Handshake { deadline, .. }
            | State::Reading { deadline, .. }
            | State::Handling { deadline, .. }
            | State::Writing { deadline, .. }
            | State::KeepAlive { deadline }
            | State::Closing { deadline, .. } => Some(*deadline),
            State::Closed => None,
        }
    }

    /// Records that a worker has the request, and until when the loop waits for it.
    pub fn set_handler_deadline(&mut self, until: Instant) {
        if let State::Handling { deadline, .. } = &mut self.state {
            *deadline = until;
        }
    }

    /// The current state's deadline has passed.
    pub fn on_timeout(&mut self, ctx: &mut Ctx<'_>) -> Progress {
        let shared = ctx.shared;
        match &self.state {
            State::Reading { body: None, .. } if self.inbuf.is_empty() && self.served == 0 => {
                // A connection that never sent a byte: nothing to answer.
                shared.emit(&Event::Timeout { kind: "header" });
                Progress::Close
            }
            State::Reading { body, .. } => {
                let kind = if body.is_some() { "body" } else { "header" };
                shared.emit(&Event::Timeout { kind });
                self.inbuf.clear();
                self.fail(ctx, 408, "request not received in time", kind);
                self.on_ready(ctx)
            }
            State::Handling { .. } => {
                shared.emit(&Event::Timeout { kind: "handler" });
                self.respond_with(
                    Response::error(504, "handler did not answer in time"),
                    false,
                    ctx,
                );
                self.on_ready(ctx)
            }
            State::Writing { .. } => {
                shared.emit(&Event::Timeout { kind: "write" });
                Progress::Close
            }
            State::KeepAlive { .. } => {
                shared.emit(&Event::Timeout { kind: "keepalive" });
                Progress::Close
            }
            State::Handshake { .. } => {
                shared.emit(&Event::Timeout { kind: "handshake" });
                shared.emit(&Event::Handshake {
                    result: "timeout",
                    duration: self.handshake_age(),
                });
                Progress::Close
            }
            State::Closing { .. } | State::Closed => Progress::Close,
        }
    }

    /// Advances the connection as far as it can go without blocking.
    pub fn on_ready(&mut self, ctx: &mut Ctx<'_>) -> Progress {
        loop {
            let step = match &mut self.state {
                State::Handshake { .. } => self.handshake(ctx),
                State::Handling { .. } => return Progress::Idle,
                State::Closed => return Progress::Close,
                State::Writing { .. } => self.flush(ctx),
                State::Closing { .. } => self.linger(ctx),
                State::KeepAlive { .. } | State::Reading { .. } => self.read_request(ctx),
            };
            match step {
                Step::Continue => continue,
                Step::Wait => return Progress::Idle,
                Step::Done(progress) => return progress,
            }
        }
    }

    /// Answers the request in `Handling` with `resp` (from a worker or the loop's router). In
    /// any other state (a late answer after a 504, say) `resp` is dropped and nothing changes.
    pub fn respond(&mut self, resp: Response, ctx: &mut Ctx<'_>) -> Progress {
        self.respond_with(resp, true, ctx);
        self.on_ready(ctx)
    }

    fn respond_with(&mut self, resp: Response, keep_alive_ok: bool, ctx: &Ctx<'_>) {
        // Check before taking the state: taking it unconditionally turned a late answer into
        // `Closed`, cutting off the response being written (found by the `conn` fuzz target).
        if !matches!(self.state, State::Handling { .. }) {
            return;
        }
        let State::Handling { exchange, .. } = std::mem::replace(&mut self.state, State::Closed)
        else {
            return;
        };
        let keep_alive = keep_alive_ok
            && exchange.keep_alive
            && !ctx.stopping
            && !self.peer_closed
            && self.served < ctx.shared.config.max_requests_per_conn;
        self.start_write(resp, exchange, keep_alive, ctx);
    }

    fn start_write(
        &mut self,
        mut resp: Response,
        exchange: Exchange,
        keep_alive: bool,
        ctx: &Ctx<'_>,
    ) {
        let hsts = ctx.shared.config.hsts_max_age;
        if hsts > 0
            && self.secure()
            && !resp
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("strict-transport-security"))
        {
            resp.headers.push((
                "Strict-Transport-Security".into(),
                format!("max-age={hsts}"),
            ));
        }
        let mut out = std::mem::take(&mut self.spare_out);
        let opts = EncodeOptions {
            version: exchange.version,
            head_only: exchange.head_only,
            keep_alive,
            date: ctx.date,
            server_header: ctx.shared.config.server_header,
        };
        encode_response(&resp, &opts, &mut out);
        self.state = State::Writing {
            out,
            pos: 0,
            deadline: ctx.now + ctx.shared.config.write_timeout(),
            then: if keep_alive {
                AfterWrite::NextRequest
            } else {
                AfterWrite::Close
            },
            done: Some((exchange, resp.status)),
        };
    }

    /// Refuses the request being read with a JSON error and closes after it.
    fn fail(&mut self, ctx: &Ctx<'_>, status: u16, message: &str, _kind: &'static str) {
        let exchange = self.exchange_for_error(ctx);
        self.start_write(Response::error(status, message), exchange, false, ctx);
    }

    /// An exchange record for a request refused before (or while) its head was understood.
    fn exchange_for_error(&mut self, ctx: &Ctx<'_>) -> Exchange {
        let (method, path, version, id, received_at) =
            match std::mem::replace(&mut self.state, State::Closed) {
                State::Reading { body: Some(b), .. } => (
                    b.head.method,
                    b.head.path,
                    b.head.version,
                    b.id,
                    b.received_at,
                ),
                _ => (
                    String::new(),
                    String::new(),
                    Version::Http11,
                    ctx.shared.next_request_id(),
                    ctx.now,
                ),
            };
        Exchange {
            id,
            method,
            path,
            version,
            head_only: false,
            keep_alive: false,
            received_at,
            bytes_in: self.bytes_in,
        }
    }

    /// Drives the TLS handshake; on success the connection waits for its first request head.
    /// With a handshake pool the step is handed to it (`Progress::Handshake`) and the
    /// connection parks; readiness while parked is only remembered.
    fn handshake(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let State::Handshake {
            parked,
            missed_ready,
            ..
        } = &mut self.state
        else {
            return Step::Done(Progress::Close);
        };
        if *parked {
            *missed_ready = true;
            return Step::Wait;
        }
        let Transport::Tls(tls) = &mut self.transport else {
            return Step::Done(Progress::Close);
        };
        if ctx.shared.config.tls_handshake_threads > 0 {
            if let Some(session) = tls.take_session() {
                *parked = true;
                *missed_ready = false;
                return Step::Done(Progress::Handshake(session));
            }
        }
        let outcome = tls.handshake();
        self.after_handshake_step(outcome, ctx)
    }

    /// The session is back from the handshake pool with the outcome of its step.
    pub fn handshake_returned(
        &mut self,
        session: Box<Session>,
        outcome: Handshake,
        ctx: &mut Ctx<'_>,
    ) -> Progress {
        let State::Handshake {
            parked,
            missed_ready,
            ..
        } = &mut self.state
        else {
            return Progress::Close;
        };
        let Transport::Tls(tls) = &mut self.transport else {
            return Progress::Close;
        };
        tls.restore_session(session, &outcome);
        *parked = false;
        let retry = std::mem::take(missed_ready);
        match self.after_handshake_step(outcome, ctx) {
            Step::Continue => self.on_ready(ctx),
            Step::Wait if retry => self.on_ready(ctx),
            Step::Wait => Progress::Idle,
            Step::Done(progress) => progress,
        }
    }

    fn after_handshake_step(&mut self, outcome: Handshake, ctx: &mut Ctx<'_>) -> Step {
        let Transport::Tls(tls) = &mut self.transport else {
            return Step::Done(Progress::Close);
        };
        match outcome {
            Handshake::Wait => Step::Wait,
            Handshake::Done => {
                let duration = tls.started.elapsed();
                ctx.shared.emit(&Event::Handshake {
                    result: "ok",
                    duration,
                });
                if ctx.shared.log.enabled(crate::config::LogLevel::Debug) {
                    ctx.shared.log.debug(
                        "tls handshake",
                        &[
                            ("peer", Field::Str(&self.peer.to_string())),
                            ("session", Field::Str(&tls.describe())),
                            ("duration_ms", Field::F64(duration.as_secs_f64() * 1000.0)),
                        ],
                    );
                }
                self.state = State::Reading {
                    deadline: ctx.now + ctx.shared.config.header_timeout(),
                    body: None,
                };
                Step::Continue
            }
            Handshake::Failed(reason) => {
                ctx.shared.emit(&Event::Handshake {
                    result: reason,
                    duration: tls.started.elapsed(),
                });
                ctx.shared.log.debug(
                    "tls handshake failed",
                    &[
                        ("peer", Field::Str(&self.peer.to_string())),
                        ("reason", Field::Str(reason)),
                    ],
                );
                Step::Done(Progress::Close)
            }
        }
    }

    fn handshake_age(&self) -> Duration {
        match &self.transport {
            Transport::Tls(t) => t.started.elapsed(),
            _ => Duration::ZERO,
        }
    }

    fn read_request(&mut self, ctx: &mut Ctx<'_>) -> Step {
        // Parse what is buffered first: pipelined requests need no new bytes.
        if !self.inbuf.is_empty() {
            match self.parse_buffered(ctx) {
                Step::Wait => {}
                other => return other,
            }
        }
        if self.peer_closed {
            return Step::Done(Progress::Close);
        }
        match self.fill(ctx) {
            Ok(0) if self.peer_closed => {
                // EOF: close; a partial request is abandoned by the client.
                Step::Done(Progress::Close)
            }
            Ok(0) => Step::Wait,
            Ok(n) => {
                self.bytes_in += n as u64;
                ctx.shared
                    .metrics
                    .bytes_in
                    .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                match &mut self.state {
                    State::KeepAlive { .. } => {
                        self.state = State::Reading {
                            deadline: ctx.now + ctx.shared.config.header_timeout(),
                            body: None,
                        };
                    }
                    State::Reading {
                        deadline,
                        body: Some(_),
                    } => {
                        *deadline = ctx.now + ctx.shared.config.body_timeout();
                    }
                    _ => {}
                }
                Step::Continue
            }
            Err(_) => Step::Done(Progress::Close),
        }
    }

    /// Reads until the socket would block, the peer closes, or enough is buffered to act on.
    fn fill(&mut self, ctx: &mut Ctx<'_>) -> io::Result<usize> {
        let cap = self.read_cap(ctx.limits);
        let mut total = 0;
        while self.inbuf.len() < cap {
            match self.transport.read(ctx.scratch) {
                Ok(0) => {
                    self.peer_closed = true;
                    break;
                }
                Ok(n) => {
                    self.inbuf.extend_from_slice(&ctx.scratch[..n]);
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// How much to buffer before parsing: a little more than the largest legal head, or the
    /// rest of a length-delimited body.
    fn read_cap(&self, limits: &Limits) -> usize {
        let head_cap = limits.max_request_line + limits.max_header_bytes + 4096;
        match &self.state {
            State::Reading { body: Some(b), .. } => match &b.decoder {
                BodyDecoder::Length { remaining } => usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .max(head_cap),
                BodyDecoder::Chunked(_) => head_cap.max(64 * 1024),
            },
            _ => head_cap,
        }
    }

    fn parse_buffered(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let reading_body = matches!(&self.state, State::Reading { body: Some(_), .. });
        if reading_body {
            return self.read_body(ctx);
        }
        if matches!(self.state, State::KeepAlive { .. }) {
            // Stray CRLFs between requests (RFC 9112 §2.2) do not start a request.
            let stray = self.inbuf.chunks(2).take_while(|c| *c == b"\r\n").count() * 2;
            if stray == self.inbuf.len() {
                self.inbuf.clear();
                return Step::Wait;
            }
        }
        match parse_head(&self.inbuf, ctx.limits) {
            Ok(None) => {
                if let State::KeepAlive { .. } = self.state {
                    self.state = State::Reading {
                        deadline: ctx.now + ctx.shared.config.header_timeout(),
                        body: None,
                    };
                }
                Step::Wait
            }
            Err(e) => {
                self.refuse_head(ctx, &e);
                Step::Continue
            }
            Ok(Some((head, len))) => {
                self.inbuf.drain(..len);
                self.bytes_in = len as u64;
                self.on_head(head, ctx)
            }
        }
    }

    fn refuse_head(&mut self, ctx: &Ctx<'_>, e: &HeadError) {
        ctx.shared.emit(&Event::ParseError { kind: e.kind() });
        ctx.shared.log.debug(
            "request refused",
            &[
                ("peer", Field::Str(&self.peer.to_string())),
                ("reason", Field::Str(e.kind())),
            ],
        );
        self.inbuf.clear();
        self.fail(ctx, e.status(), &e.to_string(), e.kind());
    }

    fn on_head(&mut self, head: RequestHead, ctx: &mut Ctx<'_>) -> Step {
        let id = ctx.shared.next_request_id();
        self.served += 1;
        if let Some(refusal) = ctx.admission.admit(&head, self.peer.ip()) {
            // The body (if any) is unread: the connection cannot be reused.
            let keep = head.framing == BodyFraming::None;
            let exchange = exchange_from(&head, id, ctx.now, self.bytes_in);
            self.state = State::Handling {
                exchange,
                deadline: ctx.now,
            };
            self.respond_with(refusal, keep, ctx);
            return Step::Continue;
        }
        let decoder = match head.framing {
            BodyFraming::None => return self.complete(head, Vec::new(), id, ctx.now),
            BodyFraming::Length(n) => BodyDecoder::Length { remaining: n },
            BodyFraming::Chunked => BodyDecoder::Chunked(ChunkedDecoder::new(ctx.limits)),
        };
        let capacity = match head.framing {
            BodyFraming::Length(n) => usize::try_from(n).unwrap_or(0).min(1 << 20),
            _ => 0,
        };
        let expect_continue = head.expect_continue;
        let read = Box::new(BodyRead {
            head,
            id,
            decoder,
            body: Vec::with_capacity(capacity),
            received_at: ctx.now,
        });
        if expect_continue {
            self.state = State::Writing {
                out: b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(),
                pos: 0,
                deadline: ctx.now + ctx.shared.config.write_timeout(),
                then: AfterWrite::ReadBody(read),
                done: None,
            };
        } else {
            self.state = State::Reading {
                deadline: ctx.now + ctx.shared.config.body_timeout(),
                body: Some(read),
            };
        }
        Step::Continue
    }

    fn read_body(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let State::Reading {
            body: Some(read), ..
        } = &mut self.state
        else {
            return Step::Wait;
        };
        let finished = match &mut read.decoder {
            BodyDecoder::Length { remaining } => {
                let take = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(self.inbuf.len());
                read.body.extend_from_slice(&self.inbuf[..take]);
                self.inbuf.drain(..take);
                *remaining -= take as u64;
                *remaining == 0
            }
            BodyDecoder::Chunked(decoder) => match decoder.decode(&self.inbuf, &mut read.body) {
                Ok(used) => {
                    self.inbuf.drain(..used);
                    decoder.is_done()
                }
                Err(e) => {
                    self.refuse_body(ctx, &e);
                    return Step::Continue;
                }
            },
        };
        if !finished {
            return Step::Wait;
        }
        let State::Reading {
            body: Some(read), ..
        } = std::mem::replace(&mut self.state, State::Closed)
        else {
            return Step::Wait;
        };
        let BodyRead {
            head,
            id,
            body,
            received_at,
            ..
        } = *read;
        self.complete(head, body, id, received_at)
    }

    fn refuse_body(&mut self, ctx: &Ctx<'_>, e: &ChunkError) {
        ctx.shared.emit(&Event::ParseError { kind: e.kind() });
        self.inbuf.clear();
        self.fail(ctx, e.status(), &e.to_string(), e.kind());
    }

    /// A whole request is in: hand it to the loop.
    fn complete(
        &mut self,
        head: RequestHead,
        body: Vec<u8>,
        id: u64,
        received_at: Instant,
    ) -> Step {
        let bytes_in = self.bytes_in + body.len() as u64;
        let exchange = exchange_from(&head, id, received_at, bytes_in);
        // The loop sets the real deadline when it dispatches; until then it answers at once.
        self.state = State::Handling {
            exchange,
            deadline: received_at,
        };
        Step::Done(Progress::Request {
            id,
            head,
            body,
            received_at,
        })
    }

    fn flush(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let State::Writing {
            out, pos, deadline, ..
        } = &mut self.state
        else {
            return Step::Wait;
        };
        while *pos < out.len() {
            match self.transport.write(&out[*pos..]) {
                Ok(0) => return Step::Done(Progress::Close),
                Ok(n) => {
                    *pos += n;
                    *deadline = ctx.now + ctx.shared.config.write_timeout();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.finish_exchange(ctx, false);
                    return Step::Done(Progress::Close);
                }
            }
        }
        self.finish_exchange(ctx, true);
        let State::Writing { mut out, then, .. } =
            std::mem::replace(&mut self.state, State::Closed)
        else {
            return Step::Wait;
        };
        if out.capacity() <= KEEP_BUFFER_CAPACITY {
            out.clear();
            self.spare_out = out;
        }
        match then {
            AfterWrite::ReadBody(read) => {
                self.state = State::Reading {
                    deadline: ctx.now + ctx.shared.config.body_timeout(),
                    body: Some(read),
                };
            }
            AfterWrite::NextRequest => {
                self.bytes_in = 0;
                if self.inbuf.capacity() > KEEP_BUFFER_CAPACITY && self.inbuf.is_empty() {
                    self.inbuf = Vec::new();
                }
                if self.inbuf.chunks(2).all(|c| c == b"\r\n") {
                    self.inbuf.clear(); // only stray CRLFs: idle, not a partial request
                }
                if ctx.stopping && self.inbuf.is_empty() {
                    // Idle now and the server is stopping: close it, as `begin_stop` closes the
                    // connections that were idle when the stop began.
                    return Step::Done(Progress::Close);
                }
                self.state = if self.inbuf.is_empty() {
                    State::KeepAlive {
                        deadline: ctx.now + ctx.shared.config.keepalive_timeout(),
                    }
                } else {
                    State::Reading {
                        deadline: ctx.now + ctx.shared.config.header_timeout(),
                        body: None,
                    }
                };
            }
            AfterWrite::Close => {
                if self.peer_closed || self.transport.shutdown_write().is_err() {
                    return Step::Done(Progress::Close);
                }
                self.inbuf = Vec::new();
                self.state = State::Closing {
                    deadline: ctx.now + Duration::from_millis(ctx.shared.config.linger_timeout_ms),
                    discarded: 0,
                };
            }
        }
        Step::Continue
    }

    /// Emits the request's completion (counters, access log) once its response is out.
    fn finish_exchange(&mut self, ctx: &Ctx<'_>, written: bool) {
        let State::Writing { done, pos, out, .. } = &mut self.state else {
            return;
        };
        let Some((exchange, status)) = done.take() else {
            return;
        };
        let bytes_out = *pos as u64;
        let shared = ctx.shared;
        let duration = exchange.received_at.elapsed();
        shared.emit(&Event::RequestDone {
            status,
            duration,
            bytes_in: exchange.bytes_in,
            bytes_out,
        });
        if shared.config.access_log && shared.log.enabled(crate::config::LogLevel::Info) {
            let peer = self.peer.to_string();
            shared.log.info(
                "request",
                &[
                    ("request_id", Field::U64(exchange.id)),
                    ("method", Field::Str(&exchange.method)),
                    ("path", Field::Str(&exchange.path)),
                    ("status", Field::U64(u64::from(status))),
                    ("duration_ms", Field::F64(duration.as_secs_f64() * 1000.0)),
                    ("bytes_in", Field::U64(exchange.bytes_in)),
                    ("bytes_out", Field::U64(bytes_out)),
                    ("peer", Field::Str(&peer)),
                    ("complete", Field::Bool(written && *pos == out.len())),
                ],
            );
        }
    }

    /// Lingering close: discard input until EOF, the deadline, or too much data.
    fn linger(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let State::Closing { discarded, .. } = &mut self.state else {
            return Step::Wait;
        };
        loop {
            match self.transport.read_raw(ctx.scratch) {
                Ok(0) => return Step::Done(Progress::Close),
                Ok(n) => {
                    *discarded += n;
                    if *discarded > LINGER_MAX_DISCARD {
                        return Step::Done(Progress::Close);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Step::Done(Progress::Close),
            }
        }
    }
}

#[allow(clippy::large_enum_variant)]
enum Step {
    Continue,
    Wait,
    Done(Progress),
}

fn exchange_from(head: &RequestHead, id: u64, received_at: Instant, bytes_in: u64) -> Exchange {
    Exchange {
        id,
        method: head.method.clone(),
        path: head.path.clone(),
        version: head.version,
        head_only: head.is_head(),
        keep_alive: head.keep_alive,
        received_at,
        bytes_in,
    }
}
