//! One outbound request/response over one client connection: the state machine the I/O
//! thread drives on readiness events (connect → TLS handshake → send → response head → body).
//!
//! Pure HTTP framing on the response side: httparse for the head, `http::ChunkedDecoder` for
//! chunked bodies, Content-Length, or read-until-close. No JavaScript, no policy decisions
//! beyond the limits the request carries.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use mio::net::TcpStream;

use super::tls::ClientTls;
use super::{OutboundError, OutboundEvent, OutboundRequest};
use crate::http::{ChunkedDecoder, Limits};

/// A client connection's byte stream.
pub(super) enum Transport {
    Plain(Arc<TcpStream>),
    Tls(Box<ClientTls>, Arc<TcpStream>),
}

impl Transport {
    pub fn socket(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) | Transport::Tls(_, s) => s,
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => (&**s).read(buf),
            Transport::Tls(t, _) => t.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => (&**s).write(buf),
            Transport::Tls(t, _) => t.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Identifies connections that may serve each other's requests.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Origin {
    pub https: bool,
    pub host: String,
    pub port: u16,
    pub insecure: bool,
}

impl Origin {
    pub fn of(req: &OutboundRequest) -> Origin {
        Origin {
            https: req.https,
            host: req.host.to_ascii_lowercase(),
            port: req.port,
            insecure: req.insecure_tls,
        }
    }
}

/// A connected (and, for https, handshaken) connection.
pub(super) struct Conn {
    pub transport: Transport,
    pub addr: SocketAddr,
}

/// How the response body ends.
pub(super) enum Framing {
    Length(u64),
    Chunked(Box<ChunkedDecoder>),
    UntilClose,
}

/// Where the exchange is.
pub(super) enum Phase {
    /// Waiting for the resolver.
    Resolving,
    /// TCP connect in progress to `addr`; `rest` are the addresses to try next.
    Connecting { rest: Vec<SocketAddr> },
    /// TLS handshake in progress.
    Handshake,
    /// Writing the request; `off` bytes of `out` are sent.
    Sending { out: Vec<u8>, off: usize },
    /// Reading the response head into `buf`.
    Head { buf: Vec<u8> },
    /// Reading the body.
    Body { framing: Framing, received: u64 },
}

/// What a drive step ended with.
pub(super) enum Step {
    /// Needs readiness (or credit) to go on.
    Wait,
    /// Finished; the connection is given back when it may be reused.
    Done(Option<Conn>),
    /// A reused keep-alive connection turned out closed before any response byte: retry on
    /// a new connection.
    Stale,
    Failed(OutboundError),
}

/// One request in flight.
pub(super) struct Exchange {
    pub req: Box<OutboundRequest>,
    pub sink: super::Sink,
    pub phase: Phase,
    pub conn: Option<Conn>,
    /// The connection came from the keep-alive pool.
    pub reused: bool,
    /// The response allows the connection to be reused.
    pub keep_alive: bool,
    pub started: Instant,
    /// When the current phase gives up (connect, or silence while reading).
    pub phase_deadline: Instant,
    /// Body bytes delivered and not yet credited back by the consumer.
    pub unconsumed: usize,
    pub status: u16,
    pub body_bytes: u64,
}

const READ_CHUNK: usize = 16 * 1024;

impl Exchange {
    /// The serialized request head and body.
    pub fn encode(req: &OutboundRequest) -> Result<Vec<u8>, OutboundError> {
        let bad = |what: &str| Err(OutboundError::Protocol(format!("invalid request {what}")));
        if req.method.is_empty() || !req.method.bytes().all(is_tchar) {
            return bad("method");
        }
        if !req.target.starts_with('/') || req.target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return bad("target");
        }
        let mut out = Vec::with_capacity(256 + req.body.len());
        let host = if req.host.contains(':') {
            format!("[{}]", req.host)
        } else {
            req.host.clone()
        };
        let default_port = if req.https { 443 } else { 80 };
        let authority = if req.port == default_port {
            host
        } else {
            format!("{host}:{}", req.port)
        };
        out.extend_from_slice(
            format!(
                "{} {} HTTP/1.1\r\nHost: {authority}\r\n",
                req.method, req.target
            )
            .as_bytes(),
        );
        for (name, value) in &req.headers {
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return bad("header name");
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return bad("header value");
            }
            let lower = name.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection" | "keep-alive"
            ) {
                continue; // the engine frames the message itself
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let needs_length = !req.body.is_empty()
            || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE");
        if needs_length {
            out.extend_from_slice(format!("Content-Length: {}\r\n", req.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&req.body);
        Ok(out)
    }

    /// The connection is up: TLS next, or straight to sending.
    pub fn connected(&mut self, tls: Option<ClientTls>) -> Result<(), OutboundError> {
        if let (Some(t), Some(conn)) = (tls, self.conn.as_mut()) {
            let sock = match &conn.transport {
                Transport::Plain(s) => s.clone(),
                Transport::Tls(_, s) => s.clone(),
            };
            conn.transport = Transport::Tls(Box::new(t), sock);
            self.phase = Phase::Handshake;
            return Ok(());
        }
        self.start_sending()
    }

    pub fn start_sending(&mut self) -> Result<(), OutboundError> {
        let out = Exchange::encode(&self.req)?;
        self.phase = Phase::Sending { out, off: 0 };
        Ok(())
    }

    /// Advances as far as the socket (and the consumer's credit) allows. `buffer_bytes` is
    /// the backpressure threshold; `max_head` bounds the response head.
    pub fn drive(&mut self, buffer_bytes: usize, max_head: usize) -> Step {
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Step::Wait; // resolving or connecting: the engine handles those
            };
            match &mut self.phase {
                Phase::Resolving | Phase::Connecting { .. } => return Step::Wait,
                Phase::Handshake => {
                    let Transport::Tls(tls, _) = &mut conn.transport else {
                        return Step::Failed(OutboundError::Protocol("TLS state lost".into()));
                    };
                    match tls.handshake() {
                        Ok(true) => {
                            if let Err(e) = self.start_sending() {
                                return Step::Failed(e);
                            }
                        }
                        Ok(false) => return Step::Wait,
                        Err(reason) => {
                            return Step::Failed(OutboundError::Tls {
                                host: self.req.host.clone(),
                                reason,
                            })
                        }
                    }
                }
                Phase::Sending { out, off } => {
                    while *off < out.len() {
                        match conn.transport.write(&out[*off..]) {
                            Ok(0) => return self.closed_early(),
                            Ok(n) => *off += n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Wait,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                if self.reused {
                                    return Step::Stale;
                                }
                                return Step::Failed(OutboundError::Io(e.to_string()));
                            }
                        }
                    }
                    self.phase = Phase::Head {
                        buf: Vec::with_capacity(1024),
                    };
                }
                Phase::Head { buf } => {
                    let mut chunk = [0u8; READ_CHUNK];
                    match conn.transport.read(&mut chunk) {
                        Ok(0) => {
                            if buf.is_empty() {
                                return self.closed_early();
                            }
                            return Step::Failed(OutboundError::Protocol(
                                "connection closed inside the response head".into(),
                            ));
                        }
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Wait,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            if buf.is_empty() && self.reused {
                                return Step::Stale;
                            }
                            return Step::Failed(OutboundError::Io(e.to_string()));
                        }
                    }
                    let buf = std::mem::take(buf);
                    match self.parse_head(&buf, max_head) {
                        Ok(None) => self.phase = Phase::Head { buf },
                        Ok(Some(rest)) => {
                            if let Some(step) = self.body_bytes_in(&buf[rest..]) {
                                return step;
                            }
                        }
                        Err(e) => return Step::Failed(e),
                    }
                }
                Phase::Body { .. } => {
                    if self.unconsumed >= buffer_bytes {
                        return Step::Wait; // backpressure: credit resumes reading
                    }
                    let mut chunk = vec![0u8; READ_CHUNK];
                    match conn.transport.read(&mut chunk) {
                        Ok(0) => return self.body_eof(),
                        Ok(n) => {
                            if let Some(step) = self.body_bytes_in(&chunk[..n]) {
                                return step;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Wait,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Step::Failed(OutboundError::Io(e.to_string())),
                    }
                }
            }
        }
    }

    fn closed_early(&self) -> Step {
        if self.reused {
            Step::Stale
        } else {
            Step::Failed(OutboundError::Protocol(
                "the server closed the connection without a response".into(),
            ))
        }
    }

    /// Parses a complete head from `buf`: `Ok(Some(len))` with the head length (the body
    /// starts there), `Ok(None)` when more bytes are needed. Interim 1xx heads are skipped.
    fn parse_head(&mut self, buf: &[u8], max_head: usize) -> Result<Option<usize>, OutboundError> {
        let mut start = 0;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 128];
            let mut resp = httparse::Response::new(&mut headers);
            let len = match resp.parse(&buf[start..]) {
                Ok(httparse::Status::Complete(len)) => len,
                Ok(httparse::Status::Partial) => {
                    if buf.len() - start > max_head {
                        return Err(OutboundError::Protocol(format!(
                            "response head larger than {max_head} bytes"
                        )));
                    }
                    return Ok(None);
                }
                Err(e) => return Err(OutboundError::Protocol(format!("response head: {e}"))),
            };
            let status = resp.code.unwrap_or(0);
            if (100..200).contains(&status) && status != 101 {
                start += len;
                continue; // 100 Continue, 103 Early Hints: the real head follows
            }
            let reason = resp.reason.unwrap_or("").to_owned();
            let mut list = Vec::with_capacity(resp.headers.len());
            let mut length: Option<u64> = None;
            let mut chunked = false;
            let mut close = resp.version == Some(0);
            for h in resp.headers.iter() {
                let value = String::from_utf8_lossy(h.value).into_owned();
                if h.name.eq_ignore_ascii_case("content-length") {
                    let n: u64 = value
                        .trim()
                        .parse()
                        .map_err(|_| OutboundError::Protocol("invalid Content-Length".into()))?;
                    if length.is_some_and(|l| l != n) {
                        return Err(OutboundError::Protocol(
                            "conflicting Content-Length headers".into(),
                        ));
                    }
                    length = Some(n);
                } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value
                        .rsplit(',')
                        .next()
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("chunked"));
                    if !chunked {
                        close = true;
                    }
                } else if h.name.eq_ignore_ascii_case("connection") {
                    close |= value
                        .split(',')
                        .any(|v| v.trim().eq_ignore_ascii_case("close"));
                }
                list.push((h.name.to_owned(), value));
            }
            let no_body = self.req.method == "HEAD" || status == 204 || status == 304;
            let framing = if no_body {
                Framing::Length(0)
            } else if chunked {
                let limits = Limits {
                    max_body: self.req.max_response_bytes,
                    max_chunk_line: 4096,
                    max_trailer_bytes: 16 * 1024,
                    ..Limits::default()
                };
                Framing::Chunked(Box::new(ChunkedDecoder::new(&limits)))
            } else if let Some(n) = length {
                if n > self.req.max_response_bytes {
                    return Err(OutboundError::TooLarge(self.req.max_response_bytes));
                }
                Framing::Length(n)
            } else {
                close = true;
                Framing::UntilClose
            };
            self.keep_alive = !close;
            self.status = status;
            (self.sink)(OutboundEvent::Head {
                status,
                reason,
                headers: list,
            });
            self.phase = Phase::Body {
                framing,
                received: 0,
            };
            return Ok(Some(start + len));
        }
    }

    /// Feeds body bytes; `Some(step)` when the exchange ended.
    fn body_bytes_in(&mut self, bytes: &[u8]) -> Option<Step> {
        let Phase::Body { framing, received } = &mut self.phase else {
            return None;
        };
        let max = self.req.max_response_bytes;
        let (data, done) = match framing {
            Framing::Length(n) => {
                let take = (*n - *received).min(bytes.len() as u64) as usize;
                *received += take as u64;
                (bytes[..take].to_vec(), *received == *n)
            }
            Framing::UntilClose => {
                *received += bytes.len() as u64;
                if *received > max {
                    return Some(Step::Failed(OutboundError::TooLarge(max)));
                }
                (bytes.to_vec(), false)
            }
            Framing::Chunked(dec) => {
                let mut out = Vec::new();
                if let Err(e) = dec.decode(bytes, &mut out) {
                    return Some(Step::Failed(match e {
                        crate::http::ChunkError::BodyTooLarge(_) => OutboundError::TooLarge(max),
                        e => OutboundError::Protocol(format!("chunked body: {e}")),
                    }));
                }
                *received += out.len() as u64;
                (out, dec.is_done())
            }
        };
        if !data.is_empty() {
            self.unconsumed += data.len();
            self.body_bytes += data.len() as u64;
            (self.sink)(OutboundEvent::Data(data));
        }
        if done {
            (self.sink)(OutboundEvent::End);
            let reuse = self.keep_alive;
            let conn = self.conn.take().filter(|_| reuse);
            return Some(Step::Done(conn));
        }
        None
    }

    fn body_eof(&mut self) -> Step {
        match &self.phase {
            Phase::Body {
                framing: Framing::UntilClose,
                ..
            } => {
                (self.sink)(OutboundEvent::End);
                Step::Done(None)
            }
            _ => Step::Failed(OutboundError::Protocol(
                "connection closed before the end of the response body".into(),
            )),
        }
    }

    /// Name of the phase, for timeout errors.
    pub fn phase_name(&self) -> &'static str {
        match self.phase {
            Phase::Resolving => "dns",
            Phase::Connecting { .. } | Phase::Handshake => "connect",
            Phase::Sending { .. } => "send",
            Phase::Head { .. } => "response head",
            Phase::Body { .. } => "response body",
        }
    }
}

/// RFC 9110 token characters (method and header names).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
