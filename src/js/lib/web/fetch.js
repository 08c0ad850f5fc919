// Web globals: fetch, Headers, Request, Response (WHATWG Fetch, server-side profile like
// Node's undici: no CORS, no cookies jar, no forbidden headers, no cache).
// Installed lazily as globals by prelude.js on first use. Requests are performed by the
// server's outbound engine (src/outbound/) through require('hbf:host').fetchStart; its events
// come back through __hbf_outbound.dispatch (see src/js/host_fetch.rs).
// Leaves out: request bodies streamed while sending (a ReadableStream body is read fully
// first), `keepalive`, `integrity`, `duplex` other than "half", data: and blob: URLs.
"use strict";

const host = require("hbf:host");
const { ReadableStream, kOnDequeue, kState } = require("hbf:web/streams");
const { Blob, FormData, encodeMultipart, parseForm, blobBytes, concat } = require("hbf:web/blob");
const { AbortSignal } = require("hbf:web/events");

const enc = s => new TextEncoder().encode(s);
const dec = b => new TextDecoder().decode(b);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// ------------------------------------------------------------------ Headers
const kGuard = Symbol("guard");
const kList = Symbol("list");

function normalizeValue(v) { return `${v}`.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ""); }
function checkName(name) {
  if (!TOKEN.test(name)) throw new TypeError(`Headers: invalid header name "${name}"`);
  return name.toLowerCase();
}
function checkValue(value) {
  if (/[\0\r\n]/.test(value)) throw new TypeError(`Headers: invalid header value "${value}"`);
  return value;
}

class Headers {
  constructor(init = undefined) {
    Object.defineProperty(this, kList, { value: [], writable: true });
    Object.defineProperty(this, kGuard, { value: "none", writable: true });
    if (init === undefined || init === null) return;
    if (init instanceof Headers) { for (const [n, v] of init[kList]) this[kList].push([n, v]); return; }
    if (typeof init !== "object") throw new TypeError("Headers: init must be an object or iterable");
    if (typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("Headers: each header pair must have a name and a value");
        this.append(p[0], p[1]);
      }
    } else {
      for (const k of Object.keys(init)) this.append(k, init[k]);
    }
  }
  #mutable() { if (this[kGuard] === "immutable") throw new TypeError("Headers are immutable"); }
  append(name, value) {
    this.#mutable();
    this[kList].push([checkName(`${name}`), checkValue(normalizeValue(value))]);
  }
  set(name, value) {
    this.#mutable();
    const n = checkName(`${name}`), v = checkValue(normalizeValue(value));
    const i = this[kList].findIndex(e => e[0] === n);
    if (i < 0) { this[kList].push([n, v]); return; }
    this[kList][i] = [n, v];
    this[kList] = this[kList].filter((e, j) => j <= i || e[0] !== n);
  }
  delete(name) { this.#mutable(); const n = checkName(`${name}`); this[kList] = this[kList].filter(e => e[0] !== n); }
  get(name) {
    const n = checkName(`${name}`);
    const vals = this[kList].filter(e => e[0] === n).map(e => e[1]);
    return vals.length ? vals.join(", ") : null;
  }
  has(name) { const n = checkName(`${name}`); return this[kList].some(e => e[0] === n); }
  getSetCookie() { return this[kList].filter(e => e[0] === "set-cookie").map(e => e[1]); }
  *entries() {
    const names = [...new Set(this[kList].map(e => e[0]))].sort();
    for (const n of names) {
      if (n === "set-cookie") { for (const v of this.getSetCookie()) yield [n, v]; }
      else yield [n, this.get(n)];
    }
  }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return "Headers"; }
}

// ------------------------------------------------------------------ bodies
const kBody = Symbol("body");

/** BodyInit → { bytes | stream, type }. */
function extractBody(init) {
  if (init === null || init === undefined) return null;
  if (typeof init === "string") return { bytes: enc(init), type: "text/plain;charset=UTF-8" };
  if (init instanceof URLSearchParams) return { bytes: enc(init.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (init instanceof Blob) return { bytes: blobBytes(init), type: init.type || null };
  if (init instanceof FormData) { const m = encodeMultipart(init); return { bytes: m.bytes, type: m.type }; }
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init)) return { bytes: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), type: null };
  if (init instanceof ReadableStream) return { stream: init, type: null };
  if (typeof init === "object" && typeof init[Symbol.asyncIterator] === "function") return { stream: ReadableStream.from(init), type: null };
  return { bytes: enc(`${init}`), type: "text/plain;charset=UTF-8" };
}

async function readAll(stream) {
  const reader = stream.getReader();
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new TypeError("Received non-Uint8Array chunk");
    chunks.push(value);
  }
  reader.releaseLock();
  return chunks.length === 1 ? chunks[0] : concat(chunks);
}

function streamOf(bytes) {
  return new ReadableStream({ start(c) { if (bytes.length) c.enqueue(bytes.slice()); c.close(); } });
}

// Shared by Request and Response: the Body mixin over this[kBody] = { bytes?, stream?, used }.
const BodyMixin = {
  get body() {
    const b = this[kBody];
    if (!b) return null;
    if (!b.stream) b.stream = streamOf(b.bytes);
    return b.stream;
  },
  get bodyUsed() {
    const b = this[kBody];
    return !!b && (!!b.used || (!!b.stream && b.stream.locked));
  },
  async arrayBuffer() { const u = await consume(this); return u.buffer.byteLength === u.length ? u.buffer : u.slice().buffer; },
  async bytes() { return consume(this); },
  async text() { return dec(await consume(this)); },
  async json() { return JSON.parse(dec(await consume(this))); },
  async blob() { const u = await consume(this); return new Blob([u], { type: this.headers.get("content-type") || "" }); },
  async formData() { const u = await consume(this); return parseForm(u, this.headers.get("content-type")); },
};

async function consume(owner) {
  const b = owner[kBody];
  if (!b) return new Uint8Array(0);
  if (b.used || (b.stream && b.stream.locked)) throw new TypeError("Body is unusable: Body has already been read");
  b.used = true;
  if (b.bytes && !b.stream) return b.bytes;
  return readAll(b.stream);
}

function mixBody(cls) {
  for (const key of Object.keys(Object.getOwnPropertyDescriptors(BodyMixin))) {
    Object.defineProperty(cls.prototype, key, Object.getOwnPropertyDescriptor(BodyMixin, key));
  }
}

function cloneBody(b) {
  if (!b) return null;
  if (b.used) throw new TypeError("Response.clone: Body has already been consumed.");
  if (b.bytes && !b.stream) return { bytes: b.bytes };
  const [s1, s2] = b.stream.tee();
  b.stream = s1;
  return { stream: s2 };
}

// ------------------------------------------------------------------ Request
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
const kSignal = Symbol("signal");

function parseUrl(input) {
  try { return new URL(`${input}`); } catch {
    throw new TypeError(`Failed to parse URL from ${input}`);
  }
}

class Request {
  constructor(input, init = {}) {
    if (arguments.length === 0) throw new TypeError("Request constructor: 1 argument required");
    init = init || {};
    let base = input instanceof Request ? input : null;
    const url = base ? base.url : parseUrl(input).href;
    if (!base && (/^[a-z]+:\/\/[^/]*@/i.test(url))) throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`);
    let method = init.method !== undefined ? `${init.method}` : base ? base.method : "GET";
    if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
    const upper = method.toUpperCase();
    if (METHODS.includes(upper)) method = upper;
    if (["CONNECT", "TRACE", "TRACK"].includes(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
    this.url = url;
    this.method = method;
    this.headers = new Headers(init.headers !== undefined ? init.headers : base ? base.headers : undefined);
    this.redirect = init.redirect || (base ? base.redirect : "follow");
    if (!["follow", "error", "manual"].includes(this.redirect)) throw new TypeError(`Invalid redirect mode: ${this.redirect}`);
    this.credentials = init.credentials || (base ? base.credentials : "same-origin");
    this.mode = init.mode || (base ? base.mode : "cors");
    this.cache = init.cache || (base ? base.cache : "default");
    this.referrer = init.referrer !== undefined ? `${init.referrer}` : "about:client";
    this.referrerPolicy = init.referrerPolicy || "";
    this.integrity = init.integrity || "";
    this.keepalive = !!init.keepalive;
    this.destination = "";
    this.duplex = "half";
    const signal = init.signal !== undefined ? init.signal : base ? base.signal : null;
    if (signal !== null && signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("Request: signal must be an AbortSignal");
    }
    Object.defineProperty(this, kSignal, { value: signal || new AbortController().signal });
    let body = null;
    if (init.body !== undefined && init.body !== null) {
      if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
      body = extractBody(init.body);
      if (body.type && !this.headers.has("content-type")) this.headers.set("content-type", body.type);
    } else if (base && init.body === undefined) {
      body = cloneBody(base[kBody]);
    }
    Object.defineProperty(this, kBody, { value: body, writable: true });
  }
  get signal() { return this[kSignal]; }
  clone() {
    if (this.bodyUsed) throw new TypeError("Request.clone: Body has already been consumed.");
    const r = new Request(this, { signal: this[kSignal] });
    return r;
  }
  get [Symbol.toStringTag]() { return "Request"; }
}
mixBody(Request);

// ------------------------------------------------------------------ Response
const REDIRECTS = [301, 302, 303, 307, 308];
const kType = Symbol("type");

class Response {
  constructor(body = null, init = {}) {
    init = init || {};
    const status = init.status !== undefined ? Number(init.status) : 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    }
    this.status = status;
    this.statusText = init.statusText !== undefined ? `${init.statusText}` : "";
    this.headers = new Headers(init.headers);
    this.url = "";
    this.redirected = false;
    Object.defineProperty(this, kType, { value: "default", writable: true });
    let b = null;
    if (body !== null && body !== undefined) {
      if ([204, 205, 304].includes(status)) throw new TypeError("Response constructor: Invalid response status code " + status);
      b = extractBody(body);
      if (b.type && !this.headers.has("content-type")) this.headers.set("content-type", b.type);
    }
    Object.defineProperty(this, kBody, { value: b, writable: true });
  }
  get ok() { return this.status >= 200 && this.status <= 299; }
  get type() { return this[kType]; }
  clone() {
    const r = new Response(null, { status: this.status === 0 ? 200 : this.status, statusText: this.statusText, headers: this.headers });
    r.status = this.status;
    r.url = this.url;
    r.redirected = this.redirected;
    r[kType] = this[kType];
    r[kBody] = cloneBody(this[kBody]);
    r.headers[kGuard] = this.headers[kGuard];
    return r;
  }
  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Value is not JSON serializable");
    const r = new Response(text, init);
    r.headers.set("content-type", "application/json");
    return r;
  }
  static redirect(url, status = 302) {
    if (!REDIRECTS.includes(status)) throw new RangeError(`Invalid status code ${status}`);
    const r = new Response(null, { status });
    r.headers.set("location", parseUrl(url).href);
    r.headers[kGuard] = "immutable";
    return r;
  }
  static error() {
    const r = new Response(null, { status: 200 });
    r.status = 0;
    r[kType] = "error";
    r.headers[kGuard] = "immutable";
    return r;
  }
  get [Symbol.toStringTag]() { return "Response"; }
}
mixBody(Response);

// ------------------------------------------------------------------ fetch
// Engine id → the handlers of one outbound request (see host_fetch.rs for the events).
const pending = new Map();
Object.defineProperty(globalThis, "__hbf_outbound", {
  enumerable: false, writable: false, configurable: false,
  value: Object.freeze({
    dispatch(id, kind, a, b, c) {
      const h = pending.get(id);
      if (!h) return;
      if (kind === "more") { host.fetchArm(id); return; }
      try {
        if (kind === "head") h.head(a, b, c);
        else if (kind === "data") h.data(a);
        else if (kind === "end") { pending.delete(id); host.fetchEnded(id); h.end(); }
        else if (kind === "error") { pending.delete(id); host.fetchEnded(id); h.error(a, b); }
      } catch (e) {
        // An app's 'response'/'data' listener threw: report it as Node reports an uncaught exception.
        console.error("Uncaught exception in an outbound response handler:", e);
      }
    },
  }),
});

/**
 * Starts one outbound request (spec as host.fetchStart takes it) and routes its events to
 * `handlers` ({ head(status, reason, [[name, value]...]), data(Uint8Array), end(), error(kind,
 * message) }). Returns the engine id; throws the host's TypeError when policy refuses it.
 * Shared with node's http client (lib/node/http_client.js).
 */
function startOutbound(spec, handlers) {
  if (typeof host.fetchStart !== 'function') {
    // (no worker-kept runtime to deliver to, e.g. isolation: "request")
    throw new TypeError('outbound requests are not available in this runtime');
  }
  const id = host.fetchStart(spec);
  pending.set(id, handlers);
  return id;
}

/** Stops request `id`; its handlers are not called again. */
function stopOutbound(id) {
  pending.delete(id);
  host.fetchAbort(id);
}

/** The consumer took `n` bytes of request `id`'s body. */
function creditOutbound(id, n) { host.fetchCredit(id, n); }

function networkError(message, cause) {
  const err = new TypeError("fetch failed");
  err.cause = cause instanceof Error ? cause : new Error(message);
  return err;
}

/** One hop: resolves to a Response whose body streams from the engine. */
function send(url, method, headers, bytes, signal) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      reject(networkError(`fetch: unsupported URL scheme ${u.protocol}`));
      return;
    }
    const https = u.protocol === "https:";
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    let id;
    let controller = null, settled = false;
    const onAbort = () => {
      stopOutbound(id);
      if (!settled) { settled = true; reject(signal.reason); }
      else if (controller) { try { controller.error(signal.reason); } catch {} }
    };
    const done = () => signal.removeEventListener("abort", onAbort);
    const handlers = {
      head(status, statusText, list) {
        const body = new ReadableStream({
          start(c) { controller = c; },
          cancel() { stopOutbound(id); done(); },
        }, { highWaterMark: 0 });
        body[kState][kOnDequeue] = chunk => creditOutbound(id, chunk.length);
        const r = new Response(null, { status: 200 });
        r.status = status;
        r.statusText = statusText;
        for (const [n, v] of list) r.headers[kList].push([n.toLowerCase(), v]);
        r.headers[kGuard] = "immutable";
        r.url = url;
        r[kType] = "basic";
        r[kBody] = method === "HEAD" || status === 204 || status === 304 ? null : { stream: body };
        settled = true;
        resolve(r);
      },
      data(chunk) { if (controller) controller.enqueue(chunk); },
      end() { done(); if (controller) { try { controller.close(); } catch {} } },
      error(kind, message) {
        done();
        const err = networkError(message);
        if (kind === "timeout") err.cause.name = "TimeoutError";
        if (!settled) { settled = true; reject(err); }
        else if (controller) { try { controller.error(err); } catch {} }
      },
    };
    try {
      id = startOutbound({
        method, https, host: hostname, port: u.port ? Number(u.port) : https ? 443 : 80,
        target: (u.pathname || "/") + u.search, headers, body: bytes,
      }, handlers);
    } catch (e) {
      reject(networkError(e.message, e));
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function discard(response) {
  if (response.body) response.body.cancel().catch(() => {});
}

async function fetch(input, init = undefined) {
  const request = new Request(input, init);
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  let method = request.method;
  let bytes = request[kBody] ? await consume(request) : undefined;
  const headers = request.headers;
  if (!headers.has("accept")) headers.set("accept", "*/*");
  if (!headers.has("user-agent")) headers.set("user-agent", "hbf");
  if (!headers.has("accept-language")) headers.set("accept-language", "*");
  let url = request.url;
  for (let hops = 0; ; hops++) {
    const list = [];
    for (const [n, v] of headers[kList]) list.push([n, v]);
    const response = await send(url, method, list, bytes, signal);
    const location = response.headers.get("location");
    if (!REDIRECTS.includes(response.status) || location === null || request.redirect === "manual") {
      response.redirected = hops > 0;
      return response;
    }
    if (request.redirect === "error") {
      discard(response);
      throw networkError("unexpected redirect");
    }
    if (hops >= 20) {
      discard(response);
      throw networkError("redirect count exceeded");
    }
    let next;
    try { next = new URL(location, url); } catch (e) { discard(response); throw networkError(`invalid redirect location ${location}`, e); }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      discard(response);
      throw networkError("URL scheme must be a HTTP(S) scheme");
    }
    discard(response);
    if ((response.status === 303 && method !== "GET" && method !== "HEAD") ||
        ((response.status === 301 || response.status === 302) && method === "POST")) {
      method = "GET";
      bytes = undefined;
      for (const n of ["content-type", "content-length", "content-encoding", "content-language", "content-location"]) headers.delete(n);
    }
    if (new URL(url).origin !== next.origin) {
      for (const n of ["authorization", "cookie", "proxy-authorization", "host"]) headers.delete(n);
    }
    url = next.href;
  }
}

module.exports = { fetch, Headers, Request, Response, startOutbound, stopOutbound, creditOutbound };
