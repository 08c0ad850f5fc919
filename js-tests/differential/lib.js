'use strict';
// Shared by the differential runners: the app list, the requests, how a request is put on
// the wire, and how a response is recorded. Every runner (real Node + Express, the HBF
// shim, later real HBF over HTTP) must produce records through `record()`.

const fs = require('node:fs');
const path = require('node:path');

const DIR = __dirname;
const APPS_DIR = path.join(DIR, 'apps');
const REQUESTS_DIR = path.join(DIR, 'requests');
const PUBLIC_DIR = path.join(DIR, 'public');

// Response headers compared between runners (lower-case).
const SELECTED_HEADERS = [
  'content-type', 'content-length', 'location', 'allow', 'etag', 'set-cookie', 'vary',
  'content-disposition', 'content-security-policy', 'x-content-type-options', 'link',
  'cache-control', 'last-modified', 'content-range', 'accept-ranges', 'retry-after',
];
const isSelected = (name) => SELECTED_HEADERS.includes(name) || name.startsWith('x-test-');

// Fixed mtime for the static fixtures, so ETag/Last-Modified are reproducible
// (git checkouts give files fresh mtimes).
const FIXTURE_MTIME = new Date('2024-01-02T03:04:05Z');

function prepareFixtures() {
  (function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      fs.utimesSync(p, FIXTURE_MTIME, FIXTURE_MTIME);
    }
    fs.utimesSync(dir, FIXTURE_MTIME, FIXTURE_MTIME);
  })(PUBLIC_DIR);
}

function listApps() {
  return fs.readdirSync(APPS_DIR).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
}

function loadRequests(app) {
  return JSON.parse(fs.readFileSync(path.join(REQUESTS_DIR, app + '.json'), 'utf8'));
}

function requestBody(spec) {
  if (spec.bodyBase64 !== undefined) return Buffer.from(spec.bodyBase64, 'base64');
  if (spec.body !== undefined) return Buffer.from(spec.body, 'utf8');
  return undefined;
}

// The exact request headers every runner sends: a fixed Host, the spec's headers, and a
// Content-Length whenever there is a body (or the method normally carries one), so that
// "has a body" is decided identically everywhere.
function wireHeaders(spec) {
  const headers = { Host: 'localhost' };
  Object.assign(headers, spec.headers || {});
  const body = requestBody(spec);
  if (body !== undefined) headers['Content-Length'] = String(body.length);
  else if (!['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(spec.method)) headers['Content-Length'] = '0';
  return headers;
}

// status, selected headers (duplicates joined with ", ", set-cookie as a list), body text
function record(spec, status, headerPairs, bodyBuffer) {
  const headers = {};
  for (const [rawName, value] of headerPairs) {
    const name = rawName.toLowerCase();
    if (!isSelected(name)) continue;
    if (name === 'set-cookie') (headers[name] = headers[name] || []).push(String(value));
    else headers[name] = headers[name] === undefined ? String(value) : headers[name] + ', ' + value;
  }
  const sorted = {};
  for (const k of Object.keys(headers).sort()) sorted[k] = headers[k];
  return {
    request: spec.method + ' ' + spec.path + (spec.headers ? ' ' + JSON.stringify(spec.headers) : ''),
    status,
    headers: sorted,
    body: Buffer.from(bodyBuffer).toString('utf8'),
  };
}

// Sends one request spec to 127.0.0.1:port and records the response (used by the runners
// that go over HTTP: real Express and real HBF); `recordFn` replaces `record`.
function send(port, spec, recordFn = record) {
  const http = require('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: wireHeaders(spec), agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const pairs = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        resolve(recordFn(spec, res.statusCode, pairs, Buffer.concat(chunks)));
      });
    });
    req.on('error', reject);
    req.end(requestBody(spec));
  });
}

// Starts `hbf serve --port 0` (one worker, info log on stderr) and resolves with the child
// and the port it logs. `extra`: more flags.
function serveHbf(bin, storage, extra = []) {
  const { spawn } = require('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--port', '0', '--storage_dir', storage, '--log_level', 'info',
      '--access_log', 'false', '--workers', '1', '--admin_bind', '', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => {
      log += d;
      const m = /"addr":"127\.0\.0\.1:(\d+)"/.exec(log);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error('hbf exited ' + code + ': ' + log)));
  });
}

// For the runners that install npm packages and run whole servers (js-tests/modules,
// js-tests/ejs): `npm ci` in `dir` unless its node_modules is there (false if that fails);
// a server process resolved with { child, port } once `match` finds the port in `stream`;
// its stop; a recursive copy leaving out the names `skip` says.
function ensurePackages(dir) {
  if (fs.existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) return true;
  try {
    require('node:child_process').execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel', 'error'],
      { cwd: dir, stdio: 'inherit' });
    return true;
  } catch (e) {
    return false;
  }
}

function startServer(cmd, args, match, stream) {
  const { spawn } = require('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child[stream].on('data', (d) => {
      out += d;
      const m = match.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(cmd + ' exited ' + code + ': ' + out)));
  });
}

async function stopServer(child) {
  child.removeAllListeners('exit');
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}

function copyDir(from, to, skip) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (skip && skip(e.name)) continue;
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyDir(src, dst);
    else if (e.isFile()) fs.copyFileSync(src, dst);
  }
}

function writeResults(file, results) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 1) + '\n');
}

module.exports = {
  DIR, APPS_DIR, PUBLIC_DIR, SELECTED_HEADERS, FIXTURE_MTIME,
  prepareFixtures, listApps, loadRequests, requestBody, wireHeaders, record, send, writeResults, serveHbf,
  ensurePackages, startServer, stopServer, copyDir,
};
