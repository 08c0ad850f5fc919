'use strict';
// Differential test of outbound HTTP with real npm clients (node-fetch 2, axios) used from an
// Express app, HBF against Node:
//   1. start the local upstream (tests/fetch_upstream/upstream.py);
//   2. bundle app.js + cases.js + node_modules into one server.js (esbuild; express and Node's
//      built-ins stay external) and serve it with the real `hbf` binary (--fetch_allow_private:
//      the upstream is on loopback);
//   3. run the cases under Node and in HBF (POST /run): every result must be equal.
// Usage: (npm ci here first)  HBF_BIN=target/debug/hbf node js-tests/fetch/run.js
// Prints "fetch-differential: N compared, M failed" and exits non-zero on failure.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert');

const DIR = __dirname;
const ROOT = path.join(DIR, '..', '..');
const HBF = process.env.HBF_BIN || path.join(ROOT, 'target', 'debug', 'hbf');

function waitFor(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let log = '';
    const on = (d) => {
      log += d;
      const m = pattern.exec(log);
      if (m) resolve(Number(m[1]));
    };
    child.stdout && child.stdout.on('data', on);
    child.stderr && child.stderr.on('data', on);
    child.on('exit', (code) => reject(new Error(`${what} exited ${code}: ${log}`)));
  });
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-fetch-diff-'));
  const children = [];
  try {
    const up = spawn('python3', [path.join(ROOT, 'tests', 'fetch_upstream', 'upstream.py')], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.push(up);
    const upPort = await waitFor(up, /^(\d+)/m, 'upstream');
    const base = `http://127.0.0.1:${upPort}`;

    const src = path.join(work, 'src');
    fs.mkdirSync(src);
    execFileSync(path.join(DIR, 'node_modules', '.bin', 'esbuild'), [path.join(DIR, 'app.js'), '--bundle',
      '--platform=node', '--format=cjs', '--external:express', '--log-level=warning',
      `--outfile=${path.join(src, 'server.js')}`], { stdio: 'inherit' });
    const storage = path.join(work, 'henvs');
    execFileSync(HBF, ['import', src, '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
    const hbf = spawn(HBF, ['serve', '--port', '0', '--storage_dir', storage, '--workers', '1',
      '--access_log', 'false', '--qjs_timeout_ms', '30000', '--fetch_allow_private', '--dev'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(hbf);
    const port = await waitFor(hbf, /"addr":"127\.0\.0\.1:(\d+)"/, 'hbf');

    const { run } = require('./cases');
    const node = JSON.parse(JSON.stringify(await run(base)));
    const r = await fetch(`http://127.0.0.1:${port}/run`, { method: 'POST', headers: { host: 'localhost', 'content-type': 'application/json' }, body: JSON.stringify({ base }) });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`HBF /run answered ${r.status}: ${text}`);
    const ours = JSON.parse(text);
    let compared = 0;
    const failures = [];
    for (const name of Object.keys(node)) {
      compared++;
      try { assert.deepStrictEqual(ours[name], node[name]); } catch {
        failures.push(`${name}\n    node: ${JSON.stringify(node[name])}\n    hbf:  ${JSON.stringify(ours[name])}`);
      }
    }
    for (const f of failures) console.log(`FAIL ${f}`);
    console.log(`fetch-differential: ${compared} compared, ${failures.length} failed`);
    process.exitCode = failures.length ? 1 : 0;
  } finally {
    for (const c of children) c.kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
