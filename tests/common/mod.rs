//! Helpers shared by the black-box integration tests.
//!
//! - `start(tweak)`: a real server on an ephemeral loopback port with `TestHandler` plugged in
//!   (an ordinary embedder, not a mock) and a throwaway storage directory.
//! - `Client`: a raw TCP client that writes bytes and reads responses with a deadline, using
//!   `parse_response`, a minimal and strict HTTP/1.x response parser.
//! - Process probes: open descriptors, threads and resident memory of the test process.
//!
//! Every read has a generous deadline (`IO_TIMEOUT`) so the suite passes on a loaded CI machine;
//! a test only ever waits that long when the server misbehaves.
#![allow(dead_code)]

pub mod apps;
pub mod docs;
pub mod ledger;
pub mod proc;
pub mod tls;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hbf::http::{Request, Response};
use hbf::{Config, Handler, Server, ServerHandle, WorkerEnv, WorkerHandler};

/// Longest a test waits for any single network event.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Test handler
// ---------------------------------------------------------------------------------------------

/// What the test handler has seen, shared with the test.
#[derive(Default)]
pub struct Probe {
    /// Handler calls begun.
    pub started: AtomicUsize,
    /// Handler calls that returned (panics excluded).
    pub finished: AtomicUsize,
}

impl Probe {
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }
}

/// Routes for the tests:
/// - `/hello` → 200 `hello`
/// - `/sleep?ms=N` → sleeps N ms, then 200 `slept N`
/// - `/echo` → 200 with the request body; method, path, query, host and transfer-encoding in
///   `X-Method`, `X-Path`, `X-Query`, `X-Host`, `X-Transfer-Encoding`
/// - `/big?bytes=N` → 200 with N bytes of `x`
/// - `/nocontent` → 204 (the handler also sets a body, which must never be sent)
/// - `/panic` → panics
/// - `/whoami` → JSON `{peer, client_ip, secure, protocol, host}` as the handler sees them
/// - anything else → JSON 404
#[derive(Clone, Default)]
pub struct TestHandler {
    pub probe: Arc<Probe>,
}

impl Handler for TestHandler {
    fn worker(&self, _env: &WorkerEnv) -> Box<dyn WorkerHandler> {
        Box::new(TestWorker {
            probe: self.probe.clone(),
        })
    }
}

struct TestWorker {
    probe: Arc<Probe>,
}

impl WorkerHandler for TestWorker {
    fn handle(&mut self, req: &Request) -> Response {
        self.probe.started.fetch_add(1, Ordering::SeqCst);
        let resp = route(req);
        self.probe.finished.fetch_add(1, Ordering::SeqCst);
        resp
    }
}

fn route(req: &Request) -> Response {
    match req.path() {
        "/hello" => Response::text(200, "hello"),
        "/sleep" => {
            let ms: u64 = query_param(req, "ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(100);
            std::thread::sleep(Duration::from_millis(ms));
            Response::text(200, format!("slept {ms}"))
        }
        "/echo" => Response::new(200)
            .with_header("Content-Type", "application/octet-stream")
            .with_header("X-Method", req.method())
            .with_header("X-Path", req.path())
            .with_header("X-Query", req.head.query.clone().unwrap_or_default())
            .with_header("X-Host", req.head.host.clone().unwrap_or_default())
            .with_header(
                "X-Transfer-Encoding",
                req.header("transfer-encoding").unwrap_or("").to_owned(),
            )
            .with_body(req.body.clone()),
        "/big" => {
            let n: usize = query_param(req, "bytes")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            Response::new(200).with_body(vec![b'x'; n])
        }
        "/nocontent" => Response::new(204)
            .with_header("X-Nocontent", "yes")
            .with_body(b"this body must never be sent".to_vec()),
        "/panic" => panic!("test handler panics on purpose"),
        "/whoami" => Response::json(
            200,
            &serde_json::json!({
                "peer": req.peer.to_string(),
                "client_ip": req.client_ip.to_string(),
                "secure": req.secure,
                "protocol": req.protocol(),
                "host": req.head.host,
            }),
        ),
        _ => Response::error(404, "no such test route"),
    }
}

fn query_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.head
        .query
        .as_deref()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/// A directory removed (with its contents) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("hbf-it-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server with the test handler. Dropping it stops the server (gracefully) first,
/// then removes its storage directory.
pub struct TestServer {
    pub handle: ServerHandle,
    pub addr: SocketAddr,
    pub probe: Arc<Probe>,
    pub dir: TempDir,
}

impl TestServer {
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    pub fn metrics(&self) -> &hbf::Metrics {
        self.handle.metrics()
    }

    /// A client of the operator listener (`/metrics`, the full `/health`).
    pub fn admin(&self) -> Client {
        Client::connect(self.handle.admin_addr().expect("operator listener is on"))
    }

    /// Stops the server and waits for its event loop to exit.
    pub fn stop_and_wait(self) -> io::Result<()> {
        self.handle.stop();
        self.handle.wait()
    }
}

/// The configuration every test starts from: ephemeral port, two workers, quiet logs.
pub fn test_config(dir: &Path) -> Config {
    Config {
        workers: 2,
        access_log: false,
        ..Config::ephemeral(dir)
    }
}

/// Starts a server with `tweak` applied to `test_config` and the test handler plugged in.
pub fn start(tweak: impl FnOnce(&mut Config)) -> TestServer {
    let dir = TempDir::new("srv");
    let mut config = test_config(dir.path());
    tweak(&mut config);
    let handler = TestHandler::default();
    let probe = handler.probe.clone();
    let handle = Server::new(config)
        .handler(handler)
        .start()
        .expect("server starts");
    let addr = handle.local_addr();
    TestServer {
        handle,
        addr,
        probe,
        dir,
    }
}

/// A server with the default test configuration.
pub fn start_default() -> TestServer {
    start(|_| {})
}

/// Polls `cond` until it holds or `timeout` passes; returns whether it held. For waiting on
/// server-side state, never for asserting speed.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and responses
// ---------------------------------------------------------------------------------------------

/// `GET path HTTP/1.1` with a Host header.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// `GET path HTTP/1.1` with `Connection: close`.
pub fn get_close(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").into_bytes()
}

/// `POST path HTTP/1.1` with a Content-Length body.
pub fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// A parsed response.
#[derive(Clone, Debug)]
pub struct Resp {
    pub version: String,
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    /// Whether the server announced it closes the connection.
    pub fn says_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// Asserts this is a JSON error response `{"error": "...", ...}` with `status`.
    pub fn assert_json_error(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "unexpected response: {self:?} body {:?}",
            self.text()
        );
        let ct = self.header("content-type").unwrap_or("");
        assert!(
            ct.starts_with("application/json"),
            "error Content-Type is {ct:?}"
        );
        let v = self.json();
        let msg = v.get("error").and_then(|e| e.as_str());
        assert!(
            msg.is_some_and(|m| !m.is_empty()),
            "no \"error\" string in {v}"
        );
    }
}

fn status_has_no_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// Parses one response from the start of `buf`.
///
/// `head_only` means it answers a HEAD request (no body whatever the headers say). `eof` means no
/// more bytes will come, which completes a body delimited by the end of the connection.
/// Returns `Ok(None)` when more bytes are needed, `Ok(Some((resp, consumed)))`, or an error
/// describing malformed framing (every line must end in CRLF).
pub fn parse_response(
    buf: &[u8],
    head_only: bool,
    eof: bool,
) -> Result<Option<(Resp, usize)>, String> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = &buf[..head_end];
    let head = std::str::from_utf8(head).map_err(|_| "response head is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    if status_line.contains(['\r', '\n']) {
        return Err(format!("bare CR/LF in status line {status_line:?}"));
    }
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("").to_owned();
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| (s.len() == 3).then(|| s.parse().ok()).flatten())
        .ok_or_else(|| format!("bad status code in {status_line:?}"))?;
    let reason = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    for line in lines {
        if line.contains(['\r', '\n']) {
            return Err(format!("bare CR/LF in header line {line:?}"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line without colon: {line:?}"))?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(format!("bad header name in {line:?}"));
        }
        headers.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
    }
    let mut resp = Resp {
        version,
        status,
        reason,
        headers,
        body: Vec::new(),
    };
    let body_start = head_end + 4;
    if head_only || status_has_no_body(status) {
        return Ok(Some((resp, body_start)));
    }
    let lengths = resp.header_all("content-length");
    if lengths.len() > 1 {
        return Err(format!("several Content-Length headers: {lengths:?}"));
    }
    if resp.has_header("transfer-encoding") {
        return Err("the server never sends Transfer-Encoding".into());
    }
    match lengths.first() {
        Some(v) => {
            let len: usize = v.parse().map_err(|_| format!("bad Content-Length {v:?}"))?;
            if buf.len() < body_start + len {
                return Ok(None);
            }
            resp.body = buf[body_start..body_start + len].to_vec();
            Ok(Some((resp, body_start + len)))
        }
        None if eof => {
            resp.body = buf[body_start..].to_vec();
            Ok(Some((resp, buf.len())))
        }
        None => Ok(None),
    }
}

/// Parses every response in `buf` (e.g. the output of `curl -i`), skipping nothing.
pub fn parse_all(mut buf: &[u8]) -> Vec<Resp> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        match parse_response(buf, false, true) {
            Ok(Some((resp, n))) => {
                out.push(resp);
                buf = &buf[n..];
            }
            Ok(None) => panic!("incomplete response in {:?}", String::from_utf8_lossy(buf)),
            Err(e) => panic!("{e} in {:?}", String::from_utf8_lossy(buf)),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Raw TCP client
// ---------------------------------------------------------------------------------------------

/// How reading until the end of the connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// Orderly close (FIN).
    Eof,
    /// The server reset the connection.
    Reset,
}

/// A raw TCP client. Bytes read but not yet consumed by a parsed response stay in `buf`.
pub struct Client {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl Client {
    /// Connects (panics on failure) with `IO_TIMEOUT` read and write timeouts.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// Writes all of `bytes` (panics on failure).
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("write failed: {e}"));
    }

    /// Writes all of `bytes`, tolerating a server that refuses the request and stops reading
    /// part-way (its response is what the test checks).
    pub fn send_lenient(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// Closes our write side (the server sees EOF after what was sent).
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads once into `buf` with a deadline. `Ok(0)` is EOF.
    fn read_more(&mut self, deadline: Instant) -> io::Result<usize> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "read timed out"))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one response within `timeout`.
    pub fn try_read_response(&mut self, head_only: bool, timeout: Duration) -> io::Result<Resp> {
        let deadline = Instant::now() + timeout;
        let mut eof = false;
        loop {
            match parse_response(&self.buf, head_only, eof) {
                Ok(Some((resp, n))) => {
                    self.buf.drain(..n);
                    return Ok(resp);
                }
                Ok(None) if eof => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "connection closed before a complete response; got {:?}",
                            String::from_utf8_lossy(&self.buf)
                        ),
                    ))
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            match self.read_more(deadline) {
                Ok(0) => eof = true,
                Ok(_) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "{e}; buffered so far: {:?}",
                            String::from_utf8_lossy(&self.buf)
                        ),
                    ))
                }
            }
        }
    }

    /// Reads one response (to a non-HEAD request); panics if none arrives within `IO_TIMEOUT`.
    pub fn read_response(&mut self) -> Resp {
        self.try_read_response(false, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("no response: {e}"))
    }

    /// Reads one response to a HEAD request.
    pub fn read_head_response(&mut self) -> Resp {
        self.try_read_response(true, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("no response: {e}"))
    }

    /// Sends `raw` and reads one response.
    pub fn request(&mut self, raw: &[u8]) -> Resp {
        self.send(raw);
        self.read_response()
    }

    /// Reads until the server closes the connection (or `IO_TIMEOUT` passes, which panics).
    /// Returns every byte received after what was already consumed, and how it ended.
    pub fn read_to_end(&mut self) -> (Vec<u8>, End) {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            match self.read_more(deadline) {
                Ok(0) => return (std::mem::take(&mut self.buf), End::Eof),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    return (std::mem::take(&mut self.buf), End::Reset)
                }
                Err(e) => panic!(
                    "connection not closed by the server within {IO_TIMEOUT:?} ({e}); got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }

    /// Asserts the server closes the connection cleanly (FIN, not a reset that could destroy
    /// its last response) without sending anything more.
    pub fn expect_closed(&mut self) {
        let (rest, end) = self.read_to_end();
        assert_eq!(
            end,
            End::Eof,
            "the server reset the connection instead of closing it"
        );
        assert!(
            rest.is_empty(),
            "unexpected bytes before the close: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }

    /// True if nothing arrives and the connection stays open for `quiet`.
    pub fn stays_open_for(&mut self, quiet: Duration) -> bool {
        match self.read_more(Instant::now() + quiet) {
            Err(e) => e.kind() == io::ErrorKind::TimedOut,
            Ok(_) => false,
        }
    }
}

/// Sends `raw` on a fresh connection and returns the response, asserting the server then
/// closes the connection (with nothing more on it).
pub fn refused_and_closed(addr: SocketAddr, raw: &[u8]) -> Resp {
    let mut c = Client::connect(addr);
    c.send_lenient(raw);
    let resp = c.read_response();
    assert!(
        resp.says_close(),
        "a refusal must announce Connection: close: {resp:?}"
    );
    c.expect_closed();
    resp
}

// ---------------------------------------------------------------------------------------------
// Process probes
// ---------------------------------------------------------------------------------------------

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Threads of this process.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident set size of this process, in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Whether `program --version` runs (for tests that need an external client).
pub fn have_program(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
