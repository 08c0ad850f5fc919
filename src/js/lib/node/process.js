'use strict';
// node:process — the `process` object (also the lazy global `process`): an EventEmitter with
// env, nextTick, cwd() '/', platform 'linux', arch, version/versions (a Node 20 string plus
// `hbf`), release, argv/execArgv, pid/ppid, title, hrtime/hrtime.bigint, uptime, memoryUsage,
// cpuUsage, resourceUsage, emitWarning (logged once per warning through console.warn, and
// emitted as 'warning'), umask, features, config, stdout/stderr (write goes to the log),
// stdin (an empty stream), exit/abort/kill/chdir/setuid… (throw a clear HBF error).
// env: NODE_ENV is 'production' (HBF's Express runs in production mode; 'development' under
// `hbf serve --dev`); the henv setting
// `env` (a JSON object in _hbf_config, set with `hbf sql`) adds variables.
// Left out: signals, IPC (send/disconnect), real resource figures (the sandbox has none
// worth reporting: memoryUsage gives the JS heap's limit-free estimate of 0s).

const EventEmitter = require('events');

const process = new EventEmitter();
const perf = globalThis.performance;
const now = perf && typeof perf.now === 'function' ? () => perf.now() : () => Date.now();
const started = now();

function unavailable(name) {
  return function () {
    const e = new Error(`process.${name} is not available in HBF`);
    e.code = 'ERR_HBF_UNAVAILABLE';
    throw e;
  };
}

function loadEnv() {
  let dev = false;
  try { dev = require('hbf:host').dev === true; } catch { /* no host (tests) */ }
  const env = { NODE_ENV: dev ? 'development' : 'production' };
  try {
    const row = require('hbf:db').system.get("SELECT value FROM _hbf_config WHERE key = 'env'");
    const extra = row && JSON.parse(row.value);
    if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
      for (const k of Object.keys(extra)) env[k] = String(extra[k]);
    }
  } catch { /* no database (tests) or no such row */ }
  return env;
}

function hrtime(prev) {
  const ns = Math.round(now() * 1e6);
  let sec = Math.floor(ns / 1e9), nsec = ns % 1e9;
  if (prev !== undefined) {
    if (!Array.isArray(prev)) {
      const e = new TypeError(`The "time" argument must be an instance of Array. Received ${typeof prev}`);
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    sec -= prev[0]; nsec -= prev[1];
    if (nsec < 0) { sec--; nsec += 1e9; }
  }
  return [sec, nsec];
}
hrtime.bigint = () => BigInt(Math.round(now() * 1e6));

const warned = new Set();
function emitWarning(warning, type, code, ctor) {
  let detail;
  if (type !== null && typeof type === 'object' && !Array.isArray(type)) {
    ({ type, code, detail } = type);
  }
  if (typeof warning === 'string') {
    const w = new Error(warning);
    w.name = String(type || 'Warning');
    if (code !== undefined) w.code = code;
    if (detail !== undefined) w.detail = detail;
    warning = w;
  } else if (!(warning instanceof Error)) {
    const e = new TypeError(`The "warning" argument must be of type string or an instance of Error. Received ${typeof warning}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  if (warning.name === 'DeprecationWarning' && process.noDeprecation) return;
  queueMicrotask(() => {
    process.emit('warning', warning);
    const key = `${warning.name}:${warning.code}:${warning.message}`;
    if (warned.has(key)) return;
    warned.add(key);
    console.warn(`(hbf) ${warning.code ? `[${warning.code}] ` : ''}${warning.name}: ${warning.message}` +
      (warning.detail ? `\n${warning.detail}` : ''));
  });
}

function nextTick(fn, ...args) {
  if (typeof fn !== 'function') {
    const e = new TypeError(`The "callback" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  queueMicrotask(args.length ? () => fn(...args) : fn);
}

function logStream(level, fd) {
  const s = new EventEmitter();
  let line = '';
  s.write = function write(chunk, encoding, cb) {
    if (typeof encoding === 'function') cb = encoding;
    line += typeof chunk === 'string' ? chunk : require('buffer').Buffer.from(chunk).toString();
    const nl = line.lastIndexOf('\n');
    if (nl >= 0) {
      const text = line.slice(0, nl);
      line = line.slice(nl + 1);
      if (level === 'error') console.error(text); else console.log(text);
    }
    if (typeof cb === 'function') queueMicrotask(cb);
    return true;
  };
  s.end = function end(chunk, encoding, cb) { if (chunk != null && typeof chunk !== 'function') s.write(chunk, encoding); if (typeof chunk === 'function') chunk(); else if (typeof cb === 'function') cb(); };
  Object.assign(s, { fd, isTTY: false, writable: true, columns: 80, rows: 24, _isStdio: true });
  s.cork = s.uncork = () => {};
  s.hasColors = () => false;
  s.getColorDepth = () => 1;
  return s;
}

let env;
Object.assign(process, {
  title: 'hbf',
  version: 'v20.19.0',
  versions: Object.freeze({ node: '20.19.0', hbf: '0.1.0', quickjs: 'quickjs-ng', modules: '115', uv: '0.0.0', v8: '0.0.0' }),
  release: Object.freeze({ name: 'node', lts: 'Iron' }),
  arch: 'x64',
  platform: 'linux',
  argv: ['/usr/bin/hbf', '/server.js'],
  argv0: 'hbf',
  execArgv: [],
  execPath: '/usr/bin/hbf',
  exitCode: undefined,
  pid: 1,
  ppid: 0,
  config: Object.freeze({ variables: Object.freeze({}) }),
  features: Object.freeze({ inspector: false, debug: false, uv: false, ipv6: true, tls_alpn: false, tls_sni: false, tls_ocsp: false, tls: false, cached_builtins: true }),
  noDeprecation: false,
  throwDeprecation: false,
  traceDeprecation: false,
  browser: false,
  nextTick,
  emitWarning,
  hrtime,
  cwd: () => '/',
  uptime: () => (now() - started) / 1000,
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({ userCPUTime: 0, systemCPUTime: 0, maxRSS: 0 }),
  umask: () => 0o22,
  getuid: () => 1000, geteuid: () => 1000, getgid: () => 1000, getegid: () => 1000, getgroups: () => [],
  binding: unavailable('binding'),
  dlopen: unavailable('dlopen'),
  chdir: unavailable('chdir'),
  kill: unavailable('kill'),
  abort: unavailable('abort'),
  setuid: unavailable('setuid'),
  setgid: unavailable('setgid'),
  exit(code) {
    const e = new Error(`process.exit(${code === undefined ? '' : code}) is not available in HBF: a henv cannot stop the server; ` +
      'answer the request with an error status instead');
    e.code = 'ERR_HBF_UNAVAILABLE';
    throw e;
  },
  reallyExit: unavailable('reallyExit'),
  stdout: logStream('info', 1),
  stderr: logStream('error', 2),
});
Object.defineProperty(process, 'env', {
  enumerable: true,
  configurable: true,
  get() { return env || (env = loadEnv()); },
  set(v) { env = v; },
});
Object.defineProperty(process, 'stdin', {
  enumerable: true,
  configurable: true,
  get() {
    const { Readable } = require('stream');
    const stdin = new Readable({ read() { this.push(null); } });
    stdin.fd = 0;
    stdin.isTTY = false;
    Object.defineProperty(process, 'stdin', { value: stdin, enumerable: true, configurable: true, writable: true });
    return stdin;
  },
});
Object.defineProperty(process, Symbol.toStringTag, { value: 'process', configurable: true });

module.exports = process;
