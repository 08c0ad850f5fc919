'use strict';
// Test-side stand-in for HBF's `hbf:host` object and CommonJS loader, so that
// src/js/lib/express.js can be exercised under Node exactly as QuickJS will run it:
// loaded from source with a private `require` that knows only 'hbf:host' and 'express'.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const EXPRESS_JS = path.join(__dirname, '..', 'src', 'js', 'lib', 'express.js');
const PROXY_ADDR_JS = path.join(__dirname, '..', 'src', 'js', 'lib', 'proxy_addr.js');
const EXPRESS_VIEW_JS = path.join(__dirname, '..', 'src', 'js', 'lib', 'express_view.js');

const TYPES = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', txt: 'text/plain; charset=utf-8',
  css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', json: 'application/json; charset=utf-8',
  png: 'image/png', jpg: 'image/jpeg', svg: 'image/svg+xml', ico: 'image/vnd.microsoft.icon',
};

/**
 * createHost({ assets, dirs, now }):
 *   assets: { [root]: { '/file/path': string | Uint8Array } }   in-memory henv assets
 *   dirs:   { [root]: '/abs/dir' }                              assets read from disk (differential runs)
 * Returns the host object plus `logs` (every host.log call) for assertions.
 */
function createHost(options = {}) {
  const assets = options.assets || {};
  const dirs = options.dirs || {};
  const mtime = options.mtime || new Date('2024-01-01T00:00:00Z');
  const logs = [];
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  function lookup(root, rel) {
    if (dirs[root]) {
      const file = path.join(dirs[root], rel);
      try {
        const st = fs.statSync(file);
        if (st.isDirectory()) return lookup(root, path.posix.join(rel, 'index.html'));
        return { body: new Uint8Array(fs.readFileSync(file)), mtime: st.mtime, name: file };
      } catch (e) {
        return null;
      }
    }
    const files = assets[root];
    if (!files) return null;
    let f = files[rel];
    if (f === undefined && files[path.posix.join(rel, 'index.html')] !== undefined) {
      rel = path.posix.join(rel, 'index.html');
      f = files[rel];
    }
    if (f === undefined) return null;
    return { body: typeof f === 'string' ? encoder.encode(f) : f, mtime, name: rel };
  }

  const host = {
    logs,
    sha1Base64(bytes) {
      // a string stands for its UTF-8 bytes (express.js passes ASCII text as it is)
      if (typeof bytes === 'string') return crypto.createHash('sha1').update(bytes, 'utf8').digest('base64');
      // (the module may live in another realm: check the shape, not instanceof)
      if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') throw new TypeError('sha1Base64 expects a Uint8Array');
      return crypto.createHash('sha1').update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest('base64');
    },
    encodeUtf8(str) { return encoder.encode(str); },
    // UTF-8 length of a string, a lone surrogate counting as U+FFFD (as Buffer.byteLength)
    utf8Length(str) { return Buffer.byteLength(String(str), 'utf8'); },
    // HBF's fast path for plain data; undefined makes express.js use JSON.stringify
    jsonText() { return undefined; },
    decodeUtf8(bytes) {
      if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') throw new TypeError('decodeUtf8 expects a Uint8Array');
      return decoder.decode(bytes);
    },
    log(level, message) { logs.push([level, message]); },
    // Mirrors what `send` does for a file: type, length, weak ETag from size+mtime,
    // Last-Modified, conditional GET, single byte ranges, HEAD.
    serveStatic(root, pathname, req) {
      let rel;
      try { rel = decodeURIComponent(pathname); } catch (e) { return null; }
      if (rel.split('/').includes('..') || rel.includes('\0')) return null;
      const f = lookup(root, rel.endsWith('/') ? rel + 'index.html' : rel);
      if (!f) return null;
      const ext = path.extname(f.name).slice(1).toLowerCase();
      const etag = 'W/"' + f.body.length.toString(16) + '-' + f.mtime.getTime().toString(16) + '"';
      const lastModified = f.mtime.toUTCString();
      const headers = [
        ['Accept-Ranges', 'bytes'],
        ['Cache-Control', 'public, max-age=0'],
        ['Last-Modified', lastModified],
        ['ETag', etag],
      ];
      const inm = req.headers['if-none-match'];
      if (inm && (inm === '*' || inm.split(/\s*,\s*/).some((t) => t === etag || 'W/' + t === etag || t === 'W/' + etag))) {
        return { status: 304, headers, body: new Uint8Array(0) };
      }
      headers.push(['Content-Type', TYPES[ext] || 'application/octet-stream']);
      let body = f.body;
      let status = 200;
      const range = req.headers.range;
      const m = range && /^bytes=(\d*)-(\d*)$/.exec(range);
      if (m) {
        let start = m[1] === '' ? body.length - Number(m[2]) : Number(m[1]);
        let end = m[1] === '' || m[2] === '' ? body.length - 1 : Math.min(Number(m[2]), body.length - 1);
        if (start < 0) start = 0;
        if (start > end || start >= body.length) {
          return { status: 416, headers: [['Content-Range', 'bytes */' + body.length]], body: new Uint8Array(0) };
        }
        status = 206;
        headers.push(['Content-Range', 'bytes ' + start + '-' + end + '/' + body.length]);
        body = body.subarray(start, end + 1);
      }
      headers.push(['Content-Length', String(body.length)]);
      return { status, headers, body: req.method === 'HEAD' ? new Uint8Array(0) : body };
    },
  };
  return host;
}

// A realm with nothing but ECMAScript built-ins and `console`, like HBF's QuickJS context:
// no Buffer, process, setImmediate, setTimeout, TextEncoder, URL, ...
function createIsolatedContext() {
  const context = vm.createContext({ console });
  for (const name of ['Buffer', 'process', 'setImmediate', 'setTimeout', 'TextEncoder', 'URL', 'require']) {
    if (vm.runInContext('typeof ' + name, context) !== 'undefined') throw new Error(name + ' leaked into the isolated context');
  }
  return context;
}

// The tiny CommonJS loader: evaluate a file as a function of (exports, require, module).
// With `context` (from createIsolatedContext) the code runs in that realm.
function loadModule(file, requireFn, context) {
  const src = fs.readFileSync(file, 'utf8');
  const code = '(function (exports, require, module, __filename, __dirname) {' + src + '\n})';
  const wrapper = context ? vm.runInContext(code, context, { filename: file }) : vm.runInThisContext(code, { filename: file });
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, requireFn, module, file, path.dirname(file));
  return module.exports;
}

function loadExpress(host, context) {
  return loadModule(EXPRESS_JS, (name) => {
    if (name === 'hbf:host') return host;
    if (name === 'hbf:proxy-addr') return loadModule(PROXY_ADDR_JS, () => { throw new Error('proxy_addr.js requires nothing'); }, context);
    // (HBF's built-in node:buffer; Node's own stands in, made when a body is streamed)
    if (name === 'buffer') return require('node:buffer');
    if (name === 'zlib') return require('node:zlib'); // stands in for HBF's zlib built-in
    // views (express_view.js): Node's path; no view files here (every stat fails)
    if (name === 'hbf:express-view') {
      return loadModule(EXPRESS_VIEW_JS, (n) => {
        if (n === 'path') return require('node:path').posix;
        if (n === 'fs') return { statSync(p) { const e = new Error('ENOENT: ' + p); e.code = 'ENOENT'; throw e; } };
        throw new Error('express_view.js may only require path and fs here, not ' + n);
      }, context);
    }
    throw new Error('express.js may only require hbf:host, hbf:proxy-addr, hbf:express-view, buffer and zlib, not ' + name);
  }, context);
}

// Load an app file whose `require('express')` gets the HBF implementation.
function loadApp(file, express, context) {
  const cache = new Map();
  function load(f) {
    if (cache.has(f)) return cache.get(f);
    const exportsHolder = {};
    cache.set(f, exportsHolder);
    const out = loadModule(f, (name) => {
      if (name === 'express') return express;
      if (name.startsWith('./') || name.startsWith('../')) {
        let target = path.resolve(path.dirname(f), name);
        if (!target.endsWith('.js')) target += '.js';
        return load(target);
      }
      throw new Error('module not available in HBF: ' + name);
    }, context);
    cache.set(f, out);
    return out;
  }
  return load(file);
}

/**
 * Build the rawReq the Rust side hands to express.__handle, from a simple description:
 * { method, url, headers: { Name: value | [values] }, body: string | Uint8Array }.
 * Header joining follows the contract: lower-case names, duplicates joined with ", ",
 * except set-cookie (array) and cookie (joined with "; ").
 */
function makeRawReq(spec = {}) {
  const headers = {};
  const rawHeaders = [];
  const body = spec.body === undefined ? new Uint8Array(0)
    : typeof spec.body === 'string' ? new TextEncoder().encode(spec.body) : spec.body;
  const given = Object.assign({ Host: 'localhost' }, spec.headers || {});
  if (spec.body !== undefined && !Object.keys(given).some((k) => /^(content-length|transfer-encoding)$/i.test(k))) {
    given['Content-Length'] = String(body.length);
  }
  for (const [name, value] of Object.entries(given)) {
    for (const v of [].concat(value)) {
      rawHeaders.push(name, String(v));
      const lc = name.toLowerCase();
      if (lc === 'set-cookie') (headers[lc] = headers[lc] || []).push(String(v));
      else if (headers[lc] === undefined) headers[lc] = String(v);
      else headers[lc] += (lc === 'cookie' ? '; ' : ', ') + v;
    }
  }
  const hostHeader = headers.host || '';
  return {
    method: spec.method || 'GET',
    url: spec.url || '/',
    headers,
    rawHeaders,
    body,
    ip: spec.ip || '127.0.0.1',
    ips: spec.ips || [],
    protocol: spec.protocol || 'http',
    hostname: hostHeader.replace(/:\d+$/, ''),
    httpVersion: spec.httpVersion || '1.1',
  };
}

// Run one request; returns { status, headers (array), header(name), text, json(), body }.
async function request(express, app, spec) {
  const raw = await express.__handle(app, makeRawReq(spec));
  const text = new TextDecoder().decode(raw.body);
  return {
    status: raw.status,
    headers: raw.headers,
    body: raw.body,
    text,
    header(name) {
      const all = raw.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
      return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
    },
    json() { return JSON.parse(text); },
  };
}

module.exports = { createHost, createIsolatedContext, loadModule, loadExpress, loadApp, makeRawReq, request, EXPRESS_JS, PROXY_ADDR_JS };
