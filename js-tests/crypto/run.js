'use strict';
// Differential test of HBF's crypto, WebCrypto and zlib against real Node, with the real jose
// and jsonwebtoken packages:
//   1. bundle app.js + cases.js + node_modules into one server.js (esbuild; HBF's own
//      built-ins and express stay external) and serve it with the real `hbf` binary;
//   2. run the cases under Node and in HBF (POST /run): deterministic vectors must be equal;
//   3. each side checks the other's artifacts (signatures, JWTs, ciphertexts, compressed
//      data): every check must pass;
//   4. request-level checks: compressed request bodies through express.json(), 415 for
//      unknown encodings, a decompression bomb, a gzip response made by a stream.
// Usage: (npm ci here first)  HBF_BIN=target/debug/hbf node js-tests/crypto/run.js
// Prints "crypto-differential: N compared, M failed" and exits non-zero on failure.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const assert = require('node:assert');

const DIR = __dirname;
const HBF = process.env.HBF_BIN || path.join(DIR, '..', '..', 'target', 'debug', 'hbf');

function bundle(outFile) {
  const esbuild = path.join(DIR, 'node_modules', '.bin', 'esbuild');
  execFileSync(esbuild, [path.join(DIR, 'app.js'), '--bundle', '--platform=node', '--format=cjs',
    '--external:express', '--log-level=warning', `--outfile=${outFile}`], { stdio: 'inherit' });
}

function serve(storage) {
  return new Promise((resolve, reject) => {
    const child = spawn(HBF, ['serve', '--port', '0', '--storage_dir', storage, '--workers', '1',
      '--access_log', 'false', '--qjs_timeout_ms', '60000', '--admin_bind', ''], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => {
      log += d;
      const m = /"addr":"127\.0\.0\.1:(\d+)"/.exec(log);
      if (m) resolve({ child, port: Number(m[1]), log: () => log });
    });
    child.on('exit', (code) => reject(new Error(`hbf exited ${code}: ${log}`)));
  });
}

let compared = 0;
const failures = [];
// The first place two JSON values differ, as "path: node … / hbf …".
function firstDiff(a, b, at = '') {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  const cut = (v) => { const t = JSON.stringify(v); return t && t.length > 300 ? `${t.slice(0, 300)}…` : t; };
  return a === b ? null : `${at || '(value)'}\n    node: ${cut(b)}\n    hbf:  ${cut(a)}`;
}
function same(name, a, b) {
  compared++;
  const expected = b === undefined ? b : JSON.parse(JSON.stringify(b)); // as it crossed HTTP
  try { assert.deepStrictEqual(a, expected); } catch { failures.push(`${name}: ${firstDiff(a, expected)}`); }
}
function truthy(name, v) {
  compared++;
  if (v !== true) failures.push(`${name}: ${JSON.stringify(v)}`);
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-crypto-'));
  const src = path.join(work, 'src');
  fs.mkdirSync(src);
  bundle(path.join(src, 'server.js'));
  const storage = path.join(work, 'henvs');
  execFileSync(HBF, ['import', src, '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
  const { child, port, log } = await serve(storage);
  const url = (p) => `http://127.0.0.1:${port}${p}`;
  const post = (p, body, headers) => fetch(url(p), { method: 'POST', body, headers: { host: 'localhost', ...headers } });
  try {
    const { run } = require('./cases');
    const node = await run({});
    const hbfRes = await post('/run', JSON.stringify({ peer: node.made }), { 'content-type': 'application/json' });
    const hbf = await hbfRes.json();
    const nodeChecks = (await run({ peer: hbf.made })).checks;
    // 2. vectors
    for (const [section, v] of Object.entries(node.vectors)) {
      for (const [name, value] of Object.entries(v)) same(`${section}.${name}`, hbf.vectors[section] && hbf.vectors[section][name], value);
      for (const name of Object.keys(hbf.vectors[section] || {})) if (!(name in v)) same(`${section}.${name}`, hbf.vectors[section][name], undefined);
    }
    // 3. cross checks: Node's artifacts checked in HBF, HBF's in Node
    same('hbf made artifacts', typeof hbf.made.failed, 'undefined');
    for (const [name, ok] of Object.entries(node.checks)) truthy(`(unused) ${name}`, ok);
    for (const [name, ok] of Object.entries(hbf.checks)) truthy(`HBF checks Node's ${name}`, ok);
    for (const [name, ok] of Object.entries(nodeChecks)) truthy(`Node checks HBF's ${name}`, ok);
    truthy('HBF ran every check', Object.keys(hbf.checks).length >= 20);
    // 4. request bodies: HBF answers as real Express 5 + body-parser (app.js run by Node)
    const nodeServer = await new Promise((resolve) => { const srv = require('./app').listen(0, '127.0.0.1', () => resolve(srv)); });
    const nodePost = (p, body, headers) => fetch(`http://127.0.0.1:${nodeServer.address().port}${p}`, { method: 'POST', body, headers });
    const json = JSON.stringify({ hello: 'wörld', n: [1, 2, 3] });
    const bodies = [
      ['express.json() with Content-Encoding: gzip', '/echo', zlib.gzipSync(json), 'application/json', 'gzip'],
      ['express.json() with Content-Encoding: deflate', '/echo', zlib.deflateSync(json), 'application/json', 'deflate'],
      ['express.json() with Content-Encoding: br', '/echo', zlib.brotliCompressSync(json), 'application/json', 'br'],
      ['express.json() with Content-Encoding: identity', '/echo', json, 'application/json', 'identity'],
      ['unknown Content-Encoding', '/echo', json, 'application/json', 'compress'],
      ['corrupt gzip body', '/echo', Buffer.from('not gzip'), 'application/json', 'gzip'],
      ['truncated gzip body', '/echo', zlib.gzipSync(json).subarray(0, 15), 'application/json', 'gzip'],
      ['inflated body over the limit', '/echo-text', zlib.gzipSync('x'.repeat(5000)), 'text/plain', 'gzip'],
      ['inflated body under the limit', '/echo-text', zlib.gzipSync('x'.repeat(500)), 'text/plain', 'gzip'],
    ];
    try {
      for (const [name, p, body, type, enc] of bodies) {
        const headers = { 'content-type': type, 'content-encoding': enc };
        const [h, n] = await Promise.all([post(p, body, headers), nodePost(p, body, headers)]);
        same(name, [h.status, await h.json()], [n.status, await n.json()]);
      }
    } finally {
      nodeServer.close();
    }
    // A 256 MiB gzip bomb (256 KiB on the wire) must stop at the 64 MiB memory limit, cleanly.
    let r = await post('/bomb', zlib.gzipSync(Buffer.alloc(256 << 20), { level: 9 }), { 'content-type': 'application/octet-stream' });
    const bomb = await r.json();
    same('decompression bomb', [r.status, bomb.name, bomb.code, /memory limit/.test(bomb.message)], [413, 'RangeError', 'ERR_BUFFER_TOO_LARGE', true]);
    r = await fetch(url('/stream-gzip'), { headers: { host: 'localhost' } }); // fetch gunzips it
    same('createGzip response', [r.headers.get('content-encoding'), (await r.text()).split('\n').length], ['gzip', 101]);
  } catch (e) {
    process.stderr.write(`hbf log:\n${log().split('\n').slice(-8).join('\n')}\n`);
    throw e.cause || e;
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
    await new Promise((res) => child.on('exit', res));
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const f of failures) process.stdout.write(`FAIL ${f}\n`);
  process.stdout.write(`crypto-differential: ${compared} compared, ${failures.length} failed\n`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
