//! The built-in Node modules (`src/js/lib/node/`) in a real app: `require('buffer')`,
//! `node:events`, the `Buffer` and `process` globals, Buffers sent as bodies, `express.raw()`,
//! streams piped into a Writable, `process.nextTick` ordering — stored in a real henv, served
//! over real HTTP. (Their behaviour case by case is compared with Node in
//! `js-tests/builtins/`, run by tests/js.rs.)

mod common;

use common::apps::{put_file, start_app_server};
use common::TempDir;
use hbf::henv;

const APP: &str = r#"
const express = require('express');
const { Buffer: B } = require('buffer');
const EventEmitter = require('node:events');
const { Readable, Writable, pipeline } = require('stream');
const http = require('http');
const app = express();
app.get('/buffer', (req, res) => res.send(Buffer.from('x')));
app.get('/png', (req, res) => res.type('png').send(B.from('89504e470d0a1a0a', 'hex')));
app.post('/raw', express.raw({ type: '*/*' }), (req, res) => {
  res.json({ isBuffer: Buffer.isBuffer(req.body), hex: req.body.toString('hex'), same: B === Buffer });
});
app.post('/stream', (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => res.send('got ' + Buffer.concat(chunks).toString('base64')));
});
app.post('/readable', (req, res) => {
  let text = '';
  req.on('readable', () => { let c; while ((c = req.read()) !== null) text += c; });
  req.on('end', () => res.send('read ' + text));
});
app.post('/pipe', (req, res) => {
  const parts = [];
  req.pipe(new Writable({ write(c, e, cb) { parts.push(String(c)); cb(); } })).on('finish', () => res.send(parts.join('|')));
});
app.post('/upper', (req, res) => {
  const { Transform } = require('stream');
  res.type('text');
  pipeline(req, new Transform({ transform(c, e, cb) { cb(null, String(c).toUpperCase()); } }), res, (err) => {
    if (err) console.error(err);
  });
});
app.get('/events', (req, res) => {
  const e = new EventEmitter();
  const seen = [];
  e.once('x', (v) => seen.push(v));
  e.emit('x', 1); e.emit('x', 2);
  res.json({ seen, instance: req instanceof http.IncomingMessage });
});
app.get('/pipeline', (req, res) => {
  const out = [];
  pipeline(Readable.from(['a', 'b', 'c']), new Writable({ objectMode: true, write(c, e, cb) { out.push(c); cb(); } }),
    (err) => res.json({ err: err ? err.message : null, out }));
});
app.get('/ticks', async (req, res) => {
  const order = [];
  setTimeout(() => order.push('timeout'), 0);
  Promise.resolve().then(() => order.push('promise'));
  process.nextTick(() => order.push('tick'));
  order.push('sync');
  await new Promise((r) => setTimeout(r, 5));
  res.json({ order, platform: process.platform, env: process.env.NODE_ENV, api: process.env.API_URL });
});
app.get('/missing', (req, res) => {
  try { require('child_process').spawn('ls'); } catch (e) { return res.status(501).json({ code: e.code, message: e.message }); }
  res.send('no');
});
module.exports = app;
"#;

#[test]
fn an_app_uses_node_builtins() {
    let dir = TempDir::new("builtins");
    put_file(dir.path(), "server.js", APP.as_bytes());
    // process.env: NODE_ENV plus the henv's `env` setting
    let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
    conn.execute(
        "INSERT INTO _hbf_config (key, value) VALUES ('env', '{\"API_URL\":\"https://api.test\"}')",
        [],
    )
    .unwrap();
    drop(conn);
    let app = start_app_server(dir, false, |_| {});

    let r = app.get("/buffer");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"x"[..]));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));

    let r = app.get("/png");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.body, b"\x89PNG\r\n\x1a\n");

    let r = app.request(
        "POST",
        "/raw",
        &[("Content-Type", "application/octet-stream")],
        b"\x00\x01\xff",
    );
    assert_eq!(
        r.json(),
        serde_json::json!({ "isBuffer": true, "hex": "0001ff", "same": true })
    );

    let r = app.request(
        "POST",
        "/stream",
        &[("Content-Type", "text/plain")],
        b"hello",
    );
    assert_eq!(r.text(), "got aGVsbG8=");

    let r = app.request(
        "POST",
        "/readable",
        &[("Content-Type", "text/plain")],
        b"abc",
    );
    assert_eq!(r.text(), "read abc");

    let r = app.request("POST", "/pipe", &[("Content-Type", "text/plain")], b"body");
    assert_eq!(r.text(), "body");

    let r = app.request(
        "POST",
        "/upper",
        &[("Content-Type", "text/plain")],
        b"shout",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "SHOUT"));

    let r = app.get("/events");
    assert_eq!(
        r.json(),
        serde_json::json!({ "seen": [1], "instance": true })
    );

    let r = app.get("/pipeline");
    assert_eq!(
        r.json(),
        serde_json::json!({ "err": null, "out": ["a", "b", "c"] })
    );

    let r = app.get("/ticks");
    assert_eq!(
        r.json(),
        serde_json::json!({ "order": ["sync", "promise", "tick", "timeout"], "platform": "linux", "env": "production", "api": "https://api.test" })
    );

    let r = app.get("/missing");
    assert_eq!(r.status, 501);
    assert_eq!(
        r.json(),
        serde_json::json!({ "code": "ERR_HBF_UNAVAILABLE", "message": "child_process.spawn is not available in HBF" })
    );
}
