'use strict';
// The module differential suite: each app under apps/<name>/ (several files, JSON modules, ES
// modules, require cycles, real npm packages from ./node_modules) answers the same requests
// under real Node + Express 5 and under the real `hbf` binary (the app directory, with
// node_modules for apps that use packages, imported with `hbf import`). Status, headers and
// bodies must be identical; a request marked `"gap"` names what HBF still lacks and is
// reported, not compared.
//   HBF_BIN=target/debug/hbf node js-tests/modules/run.js [app...]
// Installs the npm packages (package-lock.json) into ./node_modules on first use.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('../differential/lib');
const { startServer: start, stopServer: stop, copyDir } = lib;

const DIR = __dirname;
const HBF = process.env.HBF_BIN || path.join(DIR, '..', '..', 'target', 'debug', 'hbf');
// Headers that differ by nature (connection handling, clocks, the server's own).
// X-Powered-By: HBF never sends it (README, "Differences from Node").
const IGNORED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'server', 'x-request-id', 'x-powered-by']);

function record(spec, status, pairs, body) {
  const headers = {};
  for (const [raw, value] of pairs) {
    const name = raw.toLowerCase();
    if (IGNORED.has(name)) continue;
    if (name === 'set-cookie') (headers[name] = headers[name] || []).push(value);
    else headers[name] = headers[name] === undefined ? value : headers[name] + ', ' + value;
  }
  const sorted = {};
  for (const k of Object.keys(headers).sort()) sorted[k] = headers[k];
  return { status, headers: sorted, body: Buffer.from(body).toString('utf8') };
}

const send = (port, spec) => lib.send(port, spec, record);

// Spawns a server process and resolves with { child, port } once `match` finds the port.

async function runApp(name) {
  const appDir = path.join(DIR, 'apps', name);
  const spec = JSON.parse(fs.readFileSync(path.join(appDir, 'requests.json'), 'utf8'));
  const requests = spec.requests;
  const node = await start(process.execPath, [path.join(DIR, 'node-host.js'), appDir], /^(\d+)\n/, 'stdout');
  const expected = [];
  try {
    for (const r of requests) expected.push(r.gap ? null : await send(node.port, r));
  } finally {
    await stop(node.child);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-modules-'));
  try {
    const src = path.join(work, 'src');
    copyDir(appDir, src, (n) => n === 'requests.json');
    if (spec.npm) copyDir(path.join(DIR, 'node_modules'), path.join(src, 'node_modules'));
    const storage = path.join(work, 'henvs');
    execFileSync(HBF, ['import', src, '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
    execFileSync(HBF, ['sql', "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('security_headers', 'false')",
      '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
    const hbf = await start(HBF, ['serve', '--port', '0', '--storage_dir', storage, '--access_log', 'false',
      '--workers', '1', '--builtin_bare_paths', 'false', '--admin_bind', ''], /"addr":"127\.0\.0\.1:(\d+)"/, 'stderr');
    const out = [];
    try {
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i];
        const label = name + ': ' + r.method + ' ' + r.path;
        if (r.gap) { out.push({ label, gap: r.gap }); continue; }
        const actual = await send(hbf.port, r);
        const e = expected[i];
        const problems = [];
        // HBF frames every response with Content-Length; Node streams some chunked.
        if (e.headers['content-length'] === undefined) delete actual.headers['content-length'];
        // A 204 never carries Content-Length from HBF (RFC 9110 §8.6); Node passes on the
        // `Content-Length: 0` that cors sets.
        if (e.status === 204 && actual.status === 204) delete e.headers['content-length'];
        if (actual.status !== e.status) problems.push('status ' + actual.status + ' != ' + e.status);
        for (const h of new Set([...Object.keys(e.headers), ...Object.keys(actual.headers)])) {
          if (JSON.stringify(e.headers[h]) !== JSON.stringify(actual.headers[h])) {
            problems.push(h + ': ' + JSON.stringify(actual.headers[h]) + ' != ' + JSON.stringify(e.headers[h]));
          }
        }
        if (actual.body !== e.body) problems.push('body ' + JSON.stringify(actual.body).slice(0, 400) + ' != ' + JSON.stringify(e.body).slice(0, 400));
        out.push({ label, problems });
      }
    } finally {
      await stop(hbf.child);
    }
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  if (!lib.ensurePackages(DIR)) {
    console.log('SKIP: npm packages not installed and `npm ci` failed (no registry?)');
    return;
  }
  const only = process.argv.slice(2);
  const apps = fs.readdirSync(path.join(DIR, 'apps')).filter((a) => !only.length || only.includes(a)).sort();
  let passed = 0, failed = 0, gaps = 0;
  for (const app of apps) {
    for (const r of await runApp(app)) {
      if (r.gap) { gaps++; console.log('GAP  ' + r.label + ' (' + r.gap + ')'); }
      else if (r.problems.length) { failed++; console.log('FAIL ' + r.label); for (const p of r.problems) console.log('    ' + p); }
      else passed++;
    }
  }
  console.log('modules differential: ' + passed + ' passed, ' + failed + ' failed, ' + gaps + ' known gaps');
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e.stack); process.exit(1); });
