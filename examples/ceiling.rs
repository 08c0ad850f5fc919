//! Architecture ceiling for HBF's HTTP front end.
//!
//! This is the smallest honest HTTP/1.1 server we can build from the same
//! parts HBF uses (a single edge-triggered `mio` poll loop + `httparse`), with
//! no routing, no worker pool, no storage and no JavaScript. Every request gets
//! the same tiny JSON body. `stress/bench_health.sh` benchmarks HBF's `/health`
//! against it, so the ratio HBF/ceiling tells how much throughput HBF's own
//! layers cost on top of the bare event loop.
//!
//! Supports keep-alive, `Connection: close`, HTTP/1.0 and pipelining.
//!
//! Run: `cargo run --release --example ceiling -- 127.0.0.1:5310`
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
const MAX_REQUEST: usize = 64 * 1024;
const RESP_KEEP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";
const RESP_KEEP_10: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: keep-alive\r\n\r\n{\"status\":\"ok\"}";
const RESP_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"status\":\"ok\"}";
const RESP_BAD: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct Conn {
    stream: TcpStream,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    /// Set once a response that ends the connection has been queued.
    closing: bool,
}

/// True if a comma-separated header value contains `token` (case-insensitive).
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses every complete request in `rbuf`, queueing one response per request.
fn parse_requests(c: &mut Conn) {
    let mut start = 0;
    while !c.closing && start < c.rbuf.len() {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let head_len = match req.parse(&c.rbuf[start..]) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => break,
            Err(_) => {
                c.wbuf.extend_from_slice(RESP_BAD);
                c.closing = true;
                break;
            }
        };
        let (mut close, mut keep, mut body_len, mut bad) = (false, false, 0usize, false);
        for h in req.headers.iter() {
            if h.name.eq_ignore_ascii_case("connection") {
                close |= has_token(h.value, "close");
                keep |= has_token(h.value, "keep-alive");
            } else if h.name.eq_ignore_ascii_case("content-length") {
                match std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                {
                    Some(n) => body_len = n,
                    None => bad = true,
                }
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                bad = true; // chunked bodies are out of scope for the ceiling
            }
        }
        if bad || body_len > MAX_REQUEST {
            c.wbuf.extend_from_slice(RESP_BAD);
            c.closing = true;
            break;
        }
        if c.rbuf.len() - start < head_len + body_len {
            break; // body not fully received yet; re-parse when more arrives
        }
        start += head_len + body_len;
        let http10 = req.version == Some(0);
        if close || (http10 && !keep) {
            c.wbuf.extend_from_slice(RESP_CLOSE);
            c.closing = true;
        } else {
            c.wbuf
                .extend_from_slice(if http10 { RESP_KEEP_10 } else { RESP_KEEP });
        }
    }
    c.rbuf.drain(..start);
    if !c.closing && c.rbuf.len() > MAX_REQUEST {
        c.wbuf.extend_from_slice(RESP_BAD);
        c.closing = true;
    }
}

/// Drives one connection as far as it can go without blocking.
/// Returns `false` when the connection should be dropped.
fn drive(c: &mut Conn) -> bool {
    let mut buf = [0u8; 16 * 1024];
    let mut eof = false;
    while !c.closing {
        match c.stream.read(&mut buf) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => {
                c.rbuf.extend_from_slice(&buf[..n]);
                parse_requests(c);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    while !c.wbuf.is_empty() {
        match c.stream.write(&c.wbuf) {
            Ok(0) => return false,
            Ok(n) => {
                c.wbuf.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    !(eof || c.closing)
}

/// Accepts every pending connection (edge-triggered: until `WouldBlock`).
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    conns: &mut HashMap<Token, Conn>,
    next: &mut usize,
) -> io::Result<()> {
    loop {
        let (mut stream, _) = match listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => {
                eprintln!("accept: {e}"); // e.g. EMFILE; retried on the next event
                return Ok(());
            }
        };
        let _ = stream.set_nodelay(true); // fails only if the peer already left
        let token = Token(*next);
        *next += 1;
        let interest = Interest::READABLE | Interest::WRITABLE;
        poll.registry().register(&mut stream, token, interest)?;
        let (rbuf, wbuf, closing) = (Vec::new(), Vec::new(), false);
        conns.insert(
            token,
            Conn {
                stream,
                rbuf,
                wbuf,
                closing,
            },
        );
    }
}

fn main() -> io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5310".into())
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!("ceiling listening on http://{}", listener.local_addr()?);

    let mut conns: HashMap<Token, Conn> = HashMap::new();
    let mut next = 1usize;
    let mut events = Events::with_capacity(1024);
    loop {
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => other?,
        }
        for ev in events.iter() {
            let token = ev.token();
            if token == LISTENER {
                accept_all(&listener, &poll, &mut conns, &mut next)?;
            } else if let Some(c) = conns.get_mut(&token) {
                // Edge-triggered: drain readable/writable state on every event.
                if !drive(c) || (c.closing && c.wbuf.is_empty()) {
                    if let Some(mut c) = conns.remove(&token) {
                        let _ = poll.registry().deregister(&mut c.stream);
                    }
                }
            }
        }
    }
}
