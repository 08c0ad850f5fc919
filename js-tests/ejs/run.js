'use strict';
// The EJS differential suite, two parts:
//  1. templates (cases.js): every case rendered by the real `ejs` package under this Node and
//     by HBF's built-in `ejs` inside a real `hbf` server — the same output, or for an error
//     the same kind of error and the same template line;
//  2. Express views (apps/<name>/: server.js, views/, requests.json): the same app under real
//     Node + Express 5 + ejs/hbs and under `hbf` (imported with node_modules minus `ejs`, so
//     the built-in engine is the one tested) — identical status, content type and body.
//   HBF_BIN=target/debug/hbf node js-tests/ejs/run.js
// Installs the npm packages (package-lock.json) into ./node_modules on first use.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('../differential/lib');
const { startServer: start, stopServer: stop, copyDir } = lib;
const { FILES, cases, runCase } = require('./cases');

const DIR = __dirname;
const HBF = process.env.HBF_BIN || path.join(DIR, '..', '..', 'target', 'debug', 'hbf');

function writeFiles(root, files) {
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
}

// Imports `src` as the henv of `localhost` and serves it; resolves with { child, port }.
async function serveHbf(work, src) {
  const storage = path.join(work, 'henvs');
  execFileSync(HBF, ['import', src, '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
  execFileSync(HBF, ['sql', "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('security_headers', 'false')",
    '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
  return start(HBF, ['serve', '--port', '0', '--storage_dir', storage, '--access_log', 'false', '--workers', '1',
    '--builtin_bare_paths', 'false'], /"addr":"127\.0\.0\.1:(\d+)"/, 'stderr');
}

const SERVER = `const express = require('express');
const ejs = require('ejs');
const { cases, runCase } = require('./cases.js');
const app = express();
app.get('/cases', async (req, res) => {
  const out = [];
  for (const c of cases) out.push(await runCase(ejs, c, ''));
  res.json(out);
});
module.exports = app;
`;

function same(a, b) {
  if (a.error || b.error) {
    if (!a.error || !b.error) return false;
    return a.error.name === b.error.name && a.error.line === b.error.line && a.error.code === b.error.code;
  }
  return a.out === b.out;
}

async function templates(work) {
  const nodeRoot = path.join(work, 'node');
  writeFiles(nodeRoot, FILES);
  const realEjs = require(path.join(DIR, 'node_modules', 'ejs'));
  const expected = [];
  for (const c of cases) expected.push(await runCase(realEjs, c, nodeRoot));
  const src = path.join(work, 'tsrc');
  writeFiles(src, Object.assign({ 'server.js': SERVER }, FILES));
  fs.copyFileSync(path.join(DIR, 'cases.js'), path.join(src, 'cases.js'));
  const hbf = await serveHbf(path.join(work, 't'), src);
  let actual;
  try {
    const r = await lib.send(hbf.port, { method: 'GET', path: '/cases' });
    actual = JSON.parse(r.body);
  } finally {
    await stop(hbf.child);
  }
  const results = [];
  cases.forEach((c, i) => {
    const e = c.known !== undefined ? { out: c.known } : expected[i];
    const a = actual[i];
    const label = 'template: ' + c.name + (c.known !== undefined ? ' (known difference: ejs 3 dropped it)' : '');
    results.push({ label, problems: same(a, e) ? [] : [JSON.stringify(a) + ' != ' + JSON.stringify(e)] });
  });
  return results;
}

async function views(work, name) {
  const appDir = path.join(DIR, 'apps', name);
  const requests = JSON.parse(fs.readFileSync(path.join(appDir, 'requests.json'), 'utf8'));
  const node = await start(process.execPath, [path.join(DIR, '..', 'modules', 'node-host.js'), appDir], /^(\d+)\n/, 'stdout');
  const expected = [];
  try {
    for (const r of requests) expected.push(await lib.send(node.port, r));
  } finally {
    await stop(node.child);
  }
  const src = path.join(work, name, 'src');
  copyDir(appDir, src, (n) => n === 'requests.json');
  copyDir(path.join(DIR, 'node_modules'), path.join(src, 'node_modules'), (n) => n === 'ejs' || n === 'express');
  const hbf = await serveHbf(path.join(work, name), src);
  const out = [];
  try {
    for (let i = 0; i < requests.length; i++) {
      const a = await lib.send(hbf.port, requests[i]);
      const e = expected[i];
      const problems = [];
      if (a.status !== e.status) problems.push('status ' + a.status + ' != ' + e.status);
      const ct = (x) => x.headers['content-type'];
      if (ct(a) !== ct(e)) problems.push('content-type ' + ct(a) + ' != ' + ct(e));
      if (a.body !== e.body) problems.push('body ' + JSON.stringify(a.body).slice(0, 600) + ' != ' + JSON.stringify(e.body).slice(0, 600));
      out.push({ label: name + ': ' + requests[i].method + ' ' + requests[i].path, problems });
    }
  } finally {
    await stop(hbf.child);
  }
  return out;
}

async function main() {
  if (!lib.ensurePackages(DIR)) {
    console.log('SKIP: npm packages not installed and `npm ci` failed (no registry?)');
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-ejs-'));
  let passed = 0, failed = 0;
  try {
    const all = await templates(work);
    for (const app of fs.readdirSync(path.join(DIR, 'apps')).sort()) all.push(...(await views(work, app)));
    for (const r of all) {
      if (r.problems.length) { failed++; console.log('FAIL ' + r.label); for (const p of r.problems) console.log('    ' + p); }
      else passed++;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log('ejs differential: ' + passed + ' passed, ' + failed + ' failed');
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e.stack); process.exit(1); });
