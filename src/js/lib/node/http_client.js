// Node's HTTP client (`http.request`, `http.get`, `https.request`, `https.get`) as
// ClientRequest/IncomingMessage over HBF's outbound engine — the same engine, policy and
// limits as fetch() (src/outbound/). Built on the `events`, `stream` and `buffer` built-ins.
// `http.js`/`https.js` re-export `request`, `get`, `ClientRequest`, `IncomingMessage`
// (see `forProtocol`). What npm clients (axios, got, node-fetch, follow-redirects) use is
// here; left out: agents (accepted and ignored: the engine pools connections), `upgrade` and
// `connect` events, trailers, informational (1xx) events, `createConnection`, request bodies
// streamed while sending (written chunks are sent at `end()`).
"use strict";

const EventEmitter = require("events");
const { Readable, Writable } = require("stream");
const { Buffer } = require("buffer");
const { startOutbound, stopOutbound, creditOutbound } = require("hbf:web/fetch");

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function errorWithCode(message, code) {
  const e = new Error(message);
  e.code = code;
  return e;
}

// A stand-in for the net.Socket npm clients poke at (`req.socket.setKeepAlive`, `remoteAddress`).
class FakeSocket extends EventEmitter {
  constructor() {
    super();
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.encrypted = false;
    this.writable = true;
    this.readable = true;
  }
  setKeepAlive() { return this; }
  setNoDelay() { return this; }
  setTimeout(ms, cb) { if (cb) this.once("timeout", cb); return this; }
  ref() { return this; }
  unref() { return this; }
  destroy() { return this; }
  address() { return {}; }
}

class IncomingMessage extends Readable {
  constructor(socket, id) {
    super();
    this.socket = socket;
    this.connection = socket;
    this.httpVersion = "1.1";
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.headers = {};
    this.headersDistinct = {};
    this.rawHeaders = [];
    this.trailers = {};
    this.rawTrailers = [];
    this.statusCode = 0;
    this.statusMessage = "";
    this.method = null;
    this.url = "";
    this.complete = false;
    this.aborted = false;
    this._outboundId = id;
    this._owed = 0;
  }
  _read() {
    if (this._owed > 0) {
      creditOutbound(this._outboundId, this._owed);
      this._owed = 0;
    }
  }
  _destroy(err, cb) {
    if (!this.complete) stopOutbound(this._outboundId);
    cb(err);
  }
  setTimeout(ms, cb) { if (cb) this.on("timeout", cb); return this; }
}

/** Node's rules for folding repeated response headers into `message.headers`. */
function addHeader(msg, name, value) {
  const key = name.toLowerCase();
  msg.rawHeaders.push(name, value);
  (msg.headersDistinct[key] ||= []).push(value);
  const h = msg.headers;
  if (key === "set-cookie") (h[key] ||= []).push(value);
  else if (h[key] === undefined) h[key] = value;
  else if (["content-type", "content-length", "user-agent", "referer", "host", "authorization",
    "proxy-authorization", "if-modified-since", "if-unmodified-since", "from", "location",
    "max-forwards", "retry-after", "etag", "last-modified", "server", "age", "expires"].includes(key)) {
    // first one wins, as Node does
  } else h[key] += (key === "cookie" ? "; " : ", ") + value;
}

class ClientRequest extends Writable {
  constructor(defaultProtocol, input, options, cb) {
    super({ decodeStrings: true, autoDestroy: false, emitClose: false });
    if (typeof input === "string" || input instanceof URL) {
      const u = new URL(`${input}`);
      const fromUrl = { protocol: u.protocol, hostname: u.hostname, port: u.port, path: u.pathname + u.search };
      if (u.username || u.password) fromUrl.auth = decodeURIComponent(u.username) + ":" + decodeURIComponent(u.password);
      if (typeof options === "function") { cb = options; options = {}; }
      options = Object.assign(fromUrl, options || {});
    } else {
      if (typeof options === "function") { cb = options; options = undefined; }
      options = Object.assign({}, input || {}, options || {});
    }
    const protocol = options.protocol || defaultProtocol;
    if (protocol !== "http:" && protocol !== "https:") {
      throw errorWithCode(`Protocol "${protocol}" not supported. Expected "${defaultProtocol}"`, "ERR_INVALID_PROTOCOL");
    }
    const method = (options.method || "GET").toUpperCase();
    if (!TOKEN.test(method)) throw errorWithCode(`Method must be a valid HTTP token ["${options.method}"]`, "ERR_INVALID_HTTP_TOKEN");
    let hostname = options.hostname || (options.host ? `${options.host}`.replace(/:\d+$/, "") : "localhost");
    if (hostname.startsWith("[")) hostname = hostname.slice(1, -1);
    const https = protocol === "https:";
    const path = options.path || "/";
    if (/[\u0000-\u0020]/.test(path)) throw errorWithCode("Request path contains unescaped characters", "ERR_UNESCAPED_CHARACTERS");
    this.method = method;
    this.path = path;
    this.protocol = protocol;
    this.host = hostname;
    this.port = Number(options.port || options.defaultPort || (https ? 443 : 80));
    this.aborted = false;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    this.socket = new FakeSocket();
    this.socket.encrypted = https;
    this.connection = this.socket;
    this._headers = new Map(); // lower name -> [name, value]
    this._chunks = [];
    this._id = null;
    this._timeoutMs = Number(options.timeout) || 0;
    this._timer = null;
    this._res = null;
    this.headersSent = false;
    if (options.headers) {
      if (Array.isArray(options.headers)) {
        for (let i = 0; i + 1 < options.headers.length; i += 2) this.setHeader(options.headers[i], options.headers[i + 1]);
      } else for (const k of Object.keys(options.headers)) if (options.headers[k] !== undefined) this.setHeader(k, options.headers[k]);
    }
    if (options.auth && !this.hasHeader("authorization")) {
      this.setHeader("Authorization", "Basic " + Buffer.from(`${options.auth}`).toString("base64"));
    }
    if (cb) this.once("response", cb);
    if (options.signal) {
      const signal = options.signal;
      if (signal.aborted) process.nextTick(() => this.destroy(abortError(signal.reason)));
      else signal.addEventListener("abort", () => this.destroy(abortError(signal.reason)), { once: true });
    }
    process.nextTick(() => this.emit("socket", this.socket));
  }
  setHeader(name, value) {
    if (this.headersSent) throw errorWithCode("Cannot set headers after they are sent to the client", "ERR_HTTP_HEADERS_SENT");
    if (!TOKEN.test(`${name}`)) throw errorWithCode(`Header name must be a valid HTTP token ["${name}"]`, "ERR_INVALID_HTTP_TOKEN");
    const v = Array.isArray(value) ? value.map(x => `${x}`) : `${value}`;
    if ((Array.isArray(v) ? v : [v]).some(x => /[\r\n\0]/.test(x))) throw errorWithCode(`Invalid character in header content ["${name}"]`, "ERR_INVALID_CHAR");
    this._headers.set(`${name}`.toLowerCase(), [`${name}`, v]);
    return this;
  }
  getHeader(name) { const e = this._headers.get(`${name}`.toLowerCase()); return e ? e[1] : undefined; }
  hasHeader(name) { return this._headers.has(`${name}`.toLowerCase()); }
  removeHeader(name) { this._headers.delete(`${name}`.toLowerCase()); }
  getHeaderNames() { return [...this._headers.keys()]; }
  getHeaders() { const o = Object.create(null); for (const [k, [, v]] of this._headers) o[k] = v; return o; }
  getRawHeaderNames() { return [...this._headers.values()].map(e => e[0]); }
  flushHeaders() {}
  setNoDelay() {}
  setSocketKeepAlive() {}
  setTimeout(ms, cb) {
    this._timeoutMs = Number(ms) || 0;
    if (cb) this.once("timeout", cb);
    if (this._id !== null) this._armTimer();
    return this;
  }
  _armTimer() {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    if (this._timeoutMs > 0) {
      this._timer = setTimeout(() => { this.emit("timeout"); this.socket.emit("timeout"); }, this._timeoutMs);
    }
  }
  _write(chunk, encoding, cb) {
    this._chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    cb();
  }
  _final(cb) {
    this.headersSent = true;
    const body = Buffer.concat(this._chunks);
    this._chunks = [];
    const headers = [];
    for (const [, [name, value]] of this._headers) {
      for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v]);
    }
    const handlers = {
      head: (status, reason, list) => this._onHead(status, reason, list),
      data: chunk => this._onData(chunk),
      end: () => this._onEnd(),
      error: (kind, message) => this._onError(kind, message),
    };
    try {
      this._id = startOutbound({
        method: this.method, https: this.protocol === "https:", host: this.host, port: this.port,
        target: this.path, headers, body: body.length ? new Uint8Array(body.buffer, body.byteOffset, body.length) : undefined,
      }, handlers);
    } catch (e) {
      cb(errorWithCode(e.message, "ERR_HBF_FETCH_REFUSED"));
      return;
    }
    this._armTimer();
    cb();
  }
  _onHead(status, reason, list) {
    if (this._timer) this._armTimer();
    const res = new IncomingMessage(this.socket, this._id);
    res.statusCode = status;
    res.statusMessage = reason;
    for (const [n, v] of list) addHeader(res, n, v);
    res.req = this;
    this._res = res;
    this.res = res;
    if (!this.emit("response", res)) res.resume();
  }
  _onData(chunk) {
    if (this._timer) this._armTimer();
    const res = this._res;
    if (!res) return;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (res.push(buf)) creditOutbound(this._id, buf.length);
    else res._owed += buf.length;
  }
  _onEnd() {
    if (this._timer) clearTimeout(this._timer);
    const res = this._res;
    if (!res) return;
    res.complete = true;
    res.push(null);
    this.emit("close");
  }
  _onError(kind, message) {
    if (this._timer) clearTimeout(this._timer);
    if (this.aborted && kind === "abort") return;
    const err = systemError(kind, message, this.host, this.port);
    if (this._res && !this._res.complete) {
      this._res.aborted = true;
      this._res.destroy(err);
    } else this.destroy(err);
  }
  _destroy(err, cb) {
    if (this._timer) clearTimeout(this._timer);
    if (this._id !== null && !(this._res && this._res.complete)) stopOutbound(this._id);
    if (this._res && !this._res.complete) this._res.destroy(err || errorWithCode("aborted", "ECONNRESET"));
    cb(err);
  }
  abort() {
    if (this.aborted) return;
    this.aborted = true;
    process.nextTick(() => this.emit("abort"));
    this.destroy();
  }
}

// Node's shape for socket-level failures (`connect ECONNREFUSED 127.0.0.1:1`); HBF's own
// refusals (policy, limits, TLS verification) keep HBF's message.
function systemError(kind, message, host, port) {
  let code = "ECONNRESET", syscall = "read";
  if (kind === "timeout") code = "ETIMEDOUT";
  else if (kind === "dns") { code = "ENOTFOUND"; syscall = "getaddrinfo"; }
  else if (kind === "connect") {
    syscall = "connect";
    code = /refused/i.test(message) ? "ECONNREFUSED" : /unreachable/i.test(message) ? "EHOSTUNREACH" : "ECONNRESET";
  } else if (kind !== "io" && kind !== "protocol") code = "ERR_HBF_" + kind.toUpperCase();
  const nodeMessage = syscall === "connect" ? `connect ${code} ${host}:${port}`
    : syscall === "getaddrinfo" ? `getaddrinfo ENOTFOUND ${host}` : message;
  const err = errorWithCode(code.startsWith("ERR_HBF_") ? message : nodeMessage, code);
  if (!code.startsWith("ERR_HBF_")) {
    err.syscall = syscall;
    if (syscall === "connect") { err.address = host; err.port = port; }
    else if (syscall === "getaddrinfo") err.hostname = host;
  }
  return err;
}

function abortError(reason) {
  const e = errorWithCode("The operation was aborted", "ABORT_ERR");
  e.name = "AbortError";
  e.cause = reason;
  return e;
}

/** `{ request, get }` for `http:` or `https:`. */
function forProtocol(protocol) {
  const request = (input, options, cb) => new ClientRequest(protocol, input, options, cb);
  const get = (input, options, cb) => { const req = request(input, options, cb); req.end(); return req; };
  return { request, get };
}

module.exports = { ClientRequest, IncomingMessage, forProtocol };
