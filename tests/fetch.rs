//! `fetch()` end to end: an app on a real HBF server calls a real local upstream (Python's
//! `http.server`, plain and over TLS with the test PKI) through the outbound engine.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use common::apps::{put_file, start_app_server, AppServer};
use common::{have_program, TempDir};
use hbf::{henv, Config};
use serde_json::Value;

const UPSTREAM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fetch_upstream/upstream.py"
);

const SERVER_JS: &str = r#"
const express = require('express');
const app = express();
const q = req => req.query;
app.get('/get', async (req, res) => {
  const r = await fetch(q(req).url);
  res.json({ status: r.status, ok: r.ok, type: r.headers.get('content-type'), text: await r.text(),
    redirected: r.redirected, url: r.url, used: r.bodyUsed });
});
app.get('/post', async (req, res) => {
  const kind = q(req).kind;
  let body;
  if (kind === 'json') body = JSON.stringify({ a: 1 });
  if (kind === 'form') body = new URLSearchParams({ a: '1', b: 'two words' });
  if (kind === 'bytes') body = new Uint8Array([104, 105]);
  if (kind === 'blob') body = new Blob(['blob', 'data'], { type: 'text/x-blob' });
  if (kind === 'stream') body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('str')); c.enqueue(new TextEncoder().encode('eam')); c.close(); } });
  if (kind === 'multipart') { body = new FormData(); body.append('name', 'hbf'); body.append('file', new Blob(['xyz'], { type: 'text/plain' }), 'f.txt'); }
  const headers = kind === 'json' ? { 'content-type': 'application/json', 'x-test': 'yes' } : {};
  const r = await fetch(q(req).url, { method: 'POST', body, headers });
  res.json(await r.json());
});
app.get('/stream', async (req, res) => {
  const r = await fetch(q(req).url);
  const chunks = [];
  const dec = new TextDecoder();
  for await (const chunk of r.body) chunks.push(dec.decode(chunk));
  res.json({ chunks: chunks.join(''), cookies: r.headers.getSetCookie() });
});
app.get('/try', async (req, res) => {
  const { url, mode, method, timeout, abort } = q(req);
  const init = { redirect: mode || 'follow', method: method || 'GET' };
  if (method === 'POST') init.body = 'payload';
  if (timeout) init.signal = AbortSignal.timeout(Number(timeout));
  if (abort) { const c = new AbortController(); setTimeout(() => c.abort(), Number(abort)); init.signal = c.signal; }
  try {
    const r = await fetch(url, init);
    res.json({ status: r.status, redirected: r.redirected, url: r.url,
      location: r.headers.get('location'), body: await r.text() });
  } catch (e) {
    res.json({ error: e.name + ': ' + e.message, cause: e.cause ? e.cause.message : null });
  }
});
app.get('/len', async (req, res) => {
  const r = await fetch(q(req).url);
  const buf = await r.arrayBuffer();
  res.json({ len: buf.byteLength, status: r.status, server: r.headers.get('server') });
});
app.get('/many', async (req, res) => {
  const out = [];
  for (let i = 0; i < Number(q(req).n); i++) {
    try { const r = await fetch(q(req).url); await r.text(); out.push(r.status); }
    catch (e) { out.push(e.cause ? e.cause.message : String(e)); }
  }
  res.json(out);
});
app.get('/parallel', async (req, res) => {
  const all = await Promise.allSettled([1, 2, 3].map(() => fetch(q(req).url).then((r) => r.text())));
  res.json(all.map((r) => r.status === 'fulfilled' ? r.value : r.reason.cause.message));
});
app.get('/web', async (req, res) => {
  const h = new Headers([['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-A', ' 1 ']]);
  h.append('x-a', '2');
  const r = Response.json({ hello: 'world' }, { status: 201 });
  const c = r.clone();
  const redirect = Response.redirect('https://example.com/x', 301);
  let immutable = false;
  try { redirect.headers.set('x', 'y'); } catch { immutable = true; }
  const fd = await new Response(new URLSearchParams('a=1&a=2&b=3')).formData();
  const any = AbortSignal.any([new AbortController().signal, AbortSignal.abort('why')]);
  res.json({
    xa: h.get('x-a'), cookies: h.getSetCookie(), keys: [...h.keys()],
    json: await r.json(), clone: await c.text(), status: c.status, ct: c.headers.get('content-type'),
    location: redirect.headers.get('location'), immutable, error: Response.error().type,
    fd: fd.getAll('a'), any: [any.aborted, any.reason],
    ts: await new Response(new Blob(['ab']).stream().pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream())).text(),
    typeofs: [typeof fetch, typeof Request, typeof ReadableStream, typeof WritableStream, typeof TransformStream, typeof File],
  });
});
app.get('/streams', async (req, res) => {
  const written = [];
  const ws = new WritableStream({ write(c) { written.push(c); }, close() { written.push('closed'); } });
  const rs = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } });
  await rs.pipeThrough(new TransformStream({ transform(c, ctl) { ctl.enqueue(c * 10); } })).pipeTo(ws);
  const [a, b] = new ReadableStream({ start(c) { c.enqueue('x'); c.close(); } }).tee();
  const ra = await a.getReader().read(), rb = await b.getReader().read();
  let pulls = 0;
  const lazy = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); if (pulls === 3) c.close(); } }, { highWaterMark: 0 });
  const seen = [];
  for await (const v of lazy) seen.push(v);
  const req1 = new Request('http://x.test/a', { method: 'post', body: 'hi', headers: { 'x-a': '1' } });
  const req2 = req1.clone();
  const errored = new ReadableStream({ start(c) { c.error(new Error('bad')); } });
  let err = null;
  try { await errored.getReader().read(); } catch (e) { err = e.message; }
  // A streamed fetch body cancelled half way; the connection is not reused, later fetches work.
  let partial = '';
  if (q(req).url) {
    const r = await fetch(q(req).url);
    const reader = r.body.getReader();
    partial = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  }
  res.json({ written, tee: [ra.value, rb.value], seen, pulls,
    req: [req1.method, await req1.text(), await req2.text(), req2.headers.get('x-a'), req1.bodyUsed, req2.bodyUsed],
    err, partial });
});
app.get('/node-http', (req, res) => {
  const mod = q(req).url.startsWith('https:') ? require('https') : require('http');
  const r = mod.request(q(req).url, { method: q(req).method || 'GET', headers: { 'x-node': 'yes' } }, (up) => {
    const chunks = [];
    up.on('data', (c) => chunks.push(c));
    up.on('end', () => res.json({ status: up.statusCode, message: up.statusMessage,
      type: up.headers['content-type'], cookies: up.headers['set-cookie'] || null,
      isBuffer: Buffer.isBuffer(chunks[0] || Buffer.alloc(0)), body: Buffer.concat(chunks).toString() }));
  });
  r.on('error', (e) => res.json({ error: e.message, code: e.code }));
  if (q(req).method === 'POST') r.write('posted ');
  r.end(q(req).method === 'POST' ? 'body' : undefined);
});
app.get('/ping', (req, res) => res.json({ pong: true }));
app.use((err, req, res, next) => res.status(500).json({ err: String(err), stack: err.stack }));
module.exports = app;
"#;

/// A Python upstream (HTTP, or HTTPS with `tls = (cert, key)`); killed on drop.
struct Upstream {
    child: Child,
    port: u16,
}

impl Upstream {
    fn start(tls: Option<(&Path, &Path)>) -> Upstream {
        let mut cmd = Command::new("python3");
        cmd.arg(UPSTREAM);
        if let Some((cert, key)) = tls {
            cmd.arg(cert).arg(key);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("upstream prints its port");
        Upstream { child, port }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The plain HTTP upstream shared by the tests of this binary.
fn upstream() -> u16 {
    static UP: OnceLock<Upstream> = OnceLock::new();
    UP.get_or_init(|| Upstream::start(None)).port
}

fn app(settings: &[(&str, &str)], tweak: impl FnOnce(&mut Config)) -> AppServer {
    let dir = TempDir::new("fetch");
    put_file(dir.path(), "server.js", SERVER_JS.as_bytes());
    let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
    for (k, v) in settings {
        conn.execute(
            "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES (?1, ?2)",
            [k, v],
        )
        .unwrap();
    }
    drop(conn);
    start_app_server(dir, true, tweak)
}

fn json(server: &AppServer, path: &str) -> Value {
    let r = server.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

fn enc(s: &str) -> String {
    s.replace('%', "%25")
        .replace('?', "%3F")
        .replace('&', "%26")
        .replace('=', "%3D")
}

fn dev(c: &mut Config) {
    c.fetch_allow_private = true;
}

#[test]
fn fetch_get_post_streaming_and_web_apis() {
    if !have_program("python3") {
        return;
    }
    let up = format!("http://127.0.0.1:{}", upstream());
    let s = app(&[], dev);
    let r = json(&s, &format!("/get?url={}", enc(&format!("{up}/hello"))));
    assert_eq!(r["status"], 200);
    assert_eq!(r["text"], "hello");
    assert_eq!(r["ok"], true);
    assert_eq!(r["used"], true);
    assert_eq!(r["redirected"], false);
    let r = json(
        &s,
        &format!("/get?url={}", enc(&format!("{up}/status?code=404"))),
    );
    assert_eq!(r["status"], 404);
    assert_eq!(r["ok"], false);

    let post = |kind: &str| {
        json(
            &s,
            &format!("/post?kind={kind}&url={}", enc(&format!("{up}/echo"))),
        )
    };
    let r = post("json");
    assert_eq!(r["method"], "POST");
    assert_eq!(r["body"], r#"{"a":1}"#);
    assert_eq!(r["headers"]["content-type"], "application/json");
    assert_eq!(r["headers"]["x-test"], "yes");
    assert_eq!(r["headers"]["user-agent"], "hbf");
    let r = post("form");
    assert_eq!(r["body"], "a=1&b=two+words");
    assert_eq!(
        r["headers"]["content-type"],
        "application/x-www-form-urlencoded;charset=UTF-8"
    );
    assert_eq!(post("bytes")["body"], "hi");
    let r = post("blob");
    assert_eq!(r["body"], "blobdata");
    assert_eq!(r["headers"]["content-type"], "text/x-blob");
    assert_eq!(post("stream")["body"], "stream");
    let r = post("multipart");
    let body = r["body"].as_str().unwrap();
    assert!(r["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert!(body.contains("name=\"name\"\r\n\r\nhbf\r\n"), "{body}");
    assert!(
        body.contains("filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\nxyz\r\n"),
        "{body}"
    );

    let r = json(
        &s,
        &format!("/stream?url={}", enc(&format!("{up}/stream?n=5&gap=30"))),
    );
    assert_eq!(r["chunks"], "chunk0;chunk1;chunk2;chunk3;chunk4;");
    assert_eq!(r["cookies"], serde_json::json!(["a=1", "b=2"]));

    let r = json(&s, "/web");
    assert_eq!(r["xa"], "1, 2");
    assert_eq!(r["cookies"], serde_json::json!(["a=1", "b=2"]));
    assert_eq!(
        r["keys"],
        serde_json::json!(["set-cookie", "set-cookie", "x-a"])
    );
    assert_eq!(r["json"], serde_json::json!({"hello": "world"}));
    assert_eq!(r["clone"], r#"{"hello":"world"}"#);
    assert_eq!(r["status"], 201);
    assert_eq!(r["ct"], "application/json");
    assert_eq!(r["location"], "https://example.com/x");
    assert_eq!(r["immutable"], true);
    assert_eq!(r["error"], "error");
    assert_eq!(r["fd"], serde_json::json!(["1", "2"]));
    assert_eq!(r["any"], serde_json::json!([true, "why"]));
    assert_eq!(r["ts"], "ab");
    assert_eq!(r["typeofs"], serde_json::json!(vec!["function"; 6]));
    let r = json(
        &s,
        &format!("/streams?url={}", enc(&format!("{up}/stream?n=50&gap=20"))),
    );
    assert_eq!(r["written"], serde_json::json!([10, 20, "closed"]));
    assert_eq!(r["tee"], serde_json::json!(["x", "x"]));
    assert_eq!(r["seen"], serde_json::json!([1, 2, 3]));
    assert_eq!(r["pulls"], 3);
    assert_eq!(
        r["req"],
        serde_json::json!(["POST", "hi", "hi", "1", true, true])
    );
    assert_eq!(r["err"], "bad");
    let partial = r["partial"].as_str().unwrap();
    assert!(
        partial.starts_with("chunk0;") && !partial.contains("chunk49"),
        "{partial}"
    );
    let r = json(&s, &format!("/get?url={}", enc(&format!("{up}/hello"))));
    assert_eq!(r["text"], "hello");
    // Node's http.request over the same engine.
    let r = json(
        &s,
        &format!("/node-http?url={}", enc(&format!("{up}/stream?n=3&gap=5"))),
    );
    assert_eq!(r["status"], 200);
    assert_eq!(r["message"], "OK");
    assert_eq!(r["body"], "chunk0;chunk1;chunk2;");
    assert_eq!(r["cookies"], serde_json::json!(["a=1", "b=2"]));
    assert_eq!(r["isBuffer"], true);
    let r = json(
        &s,
        &format!("/node-http?method=POST&url={}", enc(&format!("{up}/echo"))),
    );
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["body"], "posted body");
    assert_eq!(echo["headers"]["x-node"], "yes");
    let r = json(&s, "/node-http?url=http%3A//127.0.0.1%3A1/");
    assert_eq!(r["code"], "ECONNREFUSED", "{r}");
    assert!(s.handle.metrics().labelled("outbound_requests", "ok") >= 9);
}

#[test]
fn fetch_redirect_modes_timeouts_and_abort() {
    if !have_program("python3") {
        return;
    }
    let up = format!("http://127.0.0.1:{}", upstream());
    let s = app(&[], |c| {
        dev(c);
        c.fetch_read_timeout_ms = 400;
    });
    let try_ = |url: &str, extra: &str| json(&s, &format!("/try?url={}{extra}", enc(url)));
    // follow: 302 after POST becomes GET; 307 keeps POST and its body.
    let r = try_(&format!("{up}/redirect?code=302&to=/echo"), "&method=POST");
    assert_eq!(r["status"], 200);
    assert_eq!(r["redirected"], true);
    assert_eq!(r["url"], format!("{up}/echo"));
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "GET");
    let r = try_(&format!("{up}/redirect?code=307&to=/echo"), "&method=POST");
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], "payload");
    let r = try_(&format!("{up}/redirect?code=303&to=/echo"), "&method=POST");
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "GET");
    // manual: the 3xx itself; error: a network error.
    let r = try_(&format!("{up}/redirect?code=301&to=/hello"), "&mode=manual");
    assert_eq!(r["status"], 301);
    assert_eq!(r["location"], "/hello");
    let r = try_(&format!("{up}/redirect?code=301&to=/hello"), "&mode=error");
    assert_eq!(r["error"], "TypeError: fetch failed");
    assert_eq!(r["cause"], "unexpected redirect");
    let r = try_(&format!("{up}/loop"), "");
    assert_eq!(r["cause"], "redirect count exceeded");
    // AbortSignal.timeout, AbortController, and the server's read timeout.
    let r = try_(&format!("{up}/slow?ms=1500"), "&timeout=150");
    assert_eq!(
        r["error"],
        "TimeoutError: The operation was aborted due to timeout"
    );
    let r = try_(&format!("{up}/slow?ms=1500"), "&abort=100");
    assert_eq!(r["error"], "AbortError: This operation was aborted");
    let r = try_(&format!("{up}/slow?ms=1500"), "");
    assert_eq!(r["error"], "TypeError: fetch failed");
    assert!(r["cause"].as_str().unwrap().contains("timed out"), "{r}");
    assert!(s.handle.metrics().labelled("outbound_requests", "timeout") >= 1);
}

#[test]
fn private_addresses_are_refused_by_default() {
    if !have_program("python3") {
        return;
    }
    let port = upstream();
    let s = app(&[], |_| {});
    for url in [
        format!("http://127.0.0.1:{port}/hello"),
        format!("http://localhost:{port}/hello"), // a name that resolves to loopback
        format!("http://[::1]:{port}/hello"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let r = json(&s, &format!("/try?url={}", enc(&url)));
        assert_eq!(r["error"], "TypeError: fetch failed", "{url}: {r}");
        let cause = r["cause"].as_str().unwrap();
        assert!(cause.contains("may not reach"), "{url}: {cause}");
    }
    assert!(s.handle.metrics().labelled("outbound_requests", "denied") >= 5);
}

#[test]
fn henv_policy_allowlist_redirects_subrequests_and_size() {
    if !have_program("python3") {
        return;
    }
    let port = upstream();
    let s = app(
        &[
            ("fetch_allow_hosts", r#"["localhost", "*.example.test"]"#),
            ("fetch_max_subrequests", "3"),
            ("fetch_max_response_bytes", "1000"),
            ("fetch_max_connections", "2"),
        ],
        dev,
    );
    let try_ = |url: &str| json(&s, &format!("/try?url={}", enc(url)));
    let r = try_(&format!("http://localhost:{port}/hello"));
    assert_eq!(r["body"], "hello");
    // Not on the list, directly or as a redirect target.
    let r = try_(&format!("http://127.0.0.1:{port}/hello"));
    assert!(
        r["cause"].as_str().unwrap().contains("fetch_allow_hosts"),
        "{r}"
    );
    let to = enc(&format!("http://127.0.0.1:{port}/hello"));
    let r = try_(&format!("http://localhost:{port}/redirect?to={to}"));
    assert!(
        r["cause"].as_str().unwrap().contains("fetch_allow_hosts"),
        "{r}"
    );
    // Response size cap: declared length and chunked.
    let r = try_(&format!("http://localhost:{port}/big?n=5000"));
    assert!(
        r["cause"].as_str().unwrap().contains("larger than 1000"),
        "{r}"
    );
    let r = try_(&format!("http://localhost:{port}/stream?n=200&gap=0"));
    assert!(r["error"].as_str().unwrap().contains("fetch failed"), "{r}");
    // Subrequest cap: the fourth request of one inbound request is refused.
    let url = enc(&format!("http://localhost:{port}/hello"));
    let r = json(&s, &format!("/many?n=5&url={url}"));
    assert_eq!(r[0], 200);
    assert_eq!(r[2], 200);
    assert!(
        r[3].as_str()
            .unwrap()
            .contains("too many outbound requests"),
        "{r}"
    );
    // The next inbound request starts a fresh count.
    assert_eq!(json(&s, &format!("/many?n=1&url={url}"))[0], 200);
    // At most two in flight for this henv: the third of three parallel fetches is refused.
    let slow = enc(&format!("http://localhost:{port}/slow?ms=300"));
    let r = json(&s, &format!("/parallel?url={slow}"));
    assert_eq!(r[0], "slow");
    assert_eq!(r[1], "slow");
    assert!(
        r[2].as_str()
            .unwrap()
            .contains("too many outbound requests in flight"),
        "{r}"
    );
}

#[test]
fn https_verifies_certificates_and_host_names() {
    if !have_program("python3") || !common::tls::have_openssl() {
        return;
    }
    let pki = common::tls::pki();
    let (crt, key) = pki.leaf("localhost");
    let good = Upstream::start(Some((&crt, &key)));
    let (crt, key) = pki.leaf("other.test");
    let wrong_name = Upstream::start(Some((&crt, &key)));
    let ca = pki.ca();
    let s = app(&[], |c| {
        dev(c);
        c.fetch_ca_file = Some(ca);
    });
    let try_ = |url: &str| json(&s, &format!("/try?url={}", enc(url)));
    let r = try_(&format!("https://localhost:{}/hello", good.port));
    assert_eq!(r["body"], "hello", "{r}");
    assert_eq!(r["status"], 200);
    let url = enc(&format!("https://localhost:{}/hello", good.port));
    let r = json(&s, &format!("/node-http?url={url}"));
    assert_eq!(r["body"], "hello", "{r}");
    let r = try_(&format!("https://localhost:{}/hello", wrong_name.port));
    assert!(
        r["cause"]
            .as_str()
            .unwrap()
            .contains("does not name this host"),
        "{r}"
    );
    // A server whose CA is not trusted (the default system store does not know the test CA).
    let s2 = app(&[], dev);
    let r = json(
        &s2,
        &format!(
            "/try?url={}",
            enc(&format!("https://localhost:{}/hello", good.port))
        ),
    );
    assert!(r["cause"].as_str().unwrap().contains("certificate"), "{r}");
    // Verification bypass only through the henv setting.
    let s3 = app(&[("fetch_insecure_tls", "true")], dev);
    let r = json(
        &s3,
        &format!(
            "/try?url={}",
            enc(&format!("https://localhost:{}/hello", wrong_name.port))
        ),
    );
    assert_eq!(r["body"], "hello", "{r}");
}

/// nginx on loopback (static file, `return`, keep-alive), started for this test.
struct Nginx {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Nginx {
    fn start() -> Nginx {
        let dir = TempDir::new("nginx");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display();
        std::fs::write(dir.path().join("file.txt"), "x".repeat(100_000)).unwrap();
        let conf = format!(
            "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
               server {{ listen 127.0.0.1:{port}; root {d};\n\
                 location = /hello {{ default_type text/plain; return 200 \"hello from nginx\"; }}\n\
                 location = /moved {{ return 301 /hello; }}\n\
               }}\n\
             }}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs");
        let up = common::wait_until(std::time::Duration::from_secs(5), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "nginx did not start");
        Nginx {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    /// SIGTERM to the master, which stops its workers (SIGKILL would orphan them).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

#[test]
fn fetch_from_nginx() {
    let have_nginx = Command::new("nginx")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_nginx {
        eprintln!("skipped: nginx not installed");
        return;
    }
    let nginx = Nginx::start();
    let s = app(&[], dev);
    let base = format!("http://127.0.0.1:{}", nginx.port);
    for _ in 0..3 {
        let r = json(&s, &format!("/try?url={}", enc(&format!("{base}/hello"))));
        assert_eq!(r["body"], "hello from nginx");
    }
    let r = json(&s, &format!("/try?url={}", enc(&format!("{base}/moved"))));
    assert_eq!(r["body"], "hello from nginx");
    assert_eq!(r["redirected"], true);
    let r = json(
        &s,
        &format!("/len?url={}", enc(&format!("{base}/file.txt"))),
    );
    assert_eq!(r["len"], 100_000);
    assert!(r["server"].as_str().unwrap().starts_with("nginx"));
}

/// With one worker, requests of a henv waiting on a slow upstream are parked: the worker
/// serves other requests of the same henv meanwhile, and the slow ones complete together
/// (not one after another).
#[test]
fn one_worker_serves_others_while_fetches_wait() {
    if !have_program("python3") {
        return;
    }
    const WAITING: usize = 4; // M: requests waiting on the upstream
    const OTHERS: usize = 20; // N: requests served meanwhile
    let s = app(&[], |c| {
        dev(c);
        c.workers = 1;
    });
    let slow = enc(&format!("http://127.0.0.1:{}/slow?ms=2000", upstream()));
    let slow_done = std::sync::atomic::AtomicUsize::new(0);
    let t0 = std::time::Instant::now();
    std::thread::scope(|scope| {
        let waiting: Vec<_> = (0..WAITING)
            .map(|_| {
                scope.spawn(|| {
                    let r = json(&s, &format!("/get?url={slow}"));
                    slow_done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    (r, t0.elapsed())
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(300)); // (all parked by now)
        for i in 0..OTHERS {
            assert_eq!(json(&s, "/ping")["pong"], true, "other request {i}");
        }
        let others_took = t0.elapsed();
        assert_eq!(
            slow_done.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "{OTHERS} other requests were served while the fetches waited ({others_took:?})"
        );
        for w in waiting {
            let (r, took) = w.join().unwrap();
            assert_eq!(r["status"], 200);
            assert_eq!(r["text"], "slow");
            assert!(took >= std::time::Duration::from_millis(1900), "{took:?}");
            // Serialized, the four would take 8 s: they waited side by side.
            assert!(took < std::time::Duration::from_secs(6), "{took:?}");
        }
    });
}

/// `isolation: "request"` keeps no runtime to deliver a response to: `fetch` rejects at once
/// with a clear error, rather than waiting for the request's deadline.
#[test]
fn fetch_rejects_under_request_isolation() {
    if !have_program("python3") {
        return;
    }
    let s = app(&[("isolation", r#""request""#)], dev);
    let url = enc(&format!("http://127.0.0.1:{}/hello", upstream()));
    let r = json(&s, &format!("/try?url={url}"));
    assert!(r.to_string().contains("not available"), "{r}");
}
