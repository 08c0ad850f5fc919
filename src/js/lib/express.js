'use strict';
/*
 * HBF's Express 5 compatible layer.
 *
 * Size: one file of ~3,300 lines because it is compiled to one bytecode blob and its parts
 * share private helpers; issue 18 splits it along Express's own boundaries (application,
 * router, request, response, body parsers, static), as express_view.js already is.
 *
 * Apps written for Express 5 run unchanged: `require('express')` resolves to this module.
 * It re-implements the parts of express@5, router@2, path-to-regexp@8, finalhandler@2,
 * body-parser@2, cookie, accepts/negotiator, type-is, vary, fresh, etag and
 * content-disposition that an app can observe, in plain ECMAScript (QuickJS-NG has no
 * Node APIs). Everything that touches the outside world goes through `hbf:host`.
 *
 * Entry point for the Rust side (one call per request):
 *   express.__serve(app, method, url, headers, rawHeaders, body, ip, protocol, hostname,
 *                   httpVersion) -> rawRes | Promise<rawRes>
 *     headers: lower-case names, duplicates joined (cookie with "; ", set-cookie an array);
 *     rawHeaders: [name, value, ...]; body: Uint8Array or null (empty); httpVersion: "1.1"/"1.0"
 *   rawRes: { status, headers: [name, value, name, value, ...] (Set-Cookie may repeat),
 *             body: Uint8Array | string (a string is sent as its UTF-8) }
 *   __serve returns rawRes itself when the response ended synchronously (the usual case; the
 *   host then runs the pending jobs, e.g. 'finish' listeners), else a promise that resolves
 *   when it ends. rawRes.headers may carry Content-Length (for HEAD: the length of the GET
 *   body) as Express computes it; the host owns framing.
 * For tests and tools: express.__handle(app, rawReq) -> Promise<{ status, headers: [[name,
 * value], ...], body: Uint8Array }>, rawReq being { method, url, headers, rawHeaders, body,
 * ip, ips, protocol, hostname, httpVersion }.
 *
 * UTF-8 below: lone surrogates count as U+FFFD, as in Node's Buffer.from(str).
 * Host functions used (require('hbf:host')), and nothing else:
 *   sha1Base64(bytes: Uint8Array | string) -> string ETags (first 27 chars, like `etag`); a
 *                                                    string is hashed as its UTF-8
 *   utf8Length(str) -> number                        byte length of str's UTF-8
 *   jsonText(value) -> string | undefined            JSON.stringify(value) when value is plain
 *                                                    data (which it reads calling nothing), else
 *                                                    undefined
 *   encodeUtf8(str) -> Uint8Array                    str is always well-formed UTF-16
 *   decodeUtf8(bytes: Uint8Array) -> string          non-fatal: U+FFFD for bad sequences, keeps a BOM
 *   serveStatic(root, pathname, { method, headers }) -> null | { status, headers: [[n, v]], body }
 *                                                    pathname is still percent-encoded
 *   log(level, message)                              only 'error' is used
 *
 * Body parsers inflate gzip/deflate/br request bodies with require('zlib'), loaded only when a
 * compressed body arrives.
 *
 * The one deliberate difference from Express: X-Powered-By is never sent (HBF policy).
 */

const host = require('hbf:host');

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const EMPTY = new Uint8Array(0);

// Synchronous next() calls in a row before yielding to the job queue. Express uses 100;
// QuickJS frames are much larger than V8's (~3.5 KB per layer here) and HBF allows 1 MiB of
// stack, so yield twice as often.
const MAX_SYNC_LAYERS = 50;

// Deferred call (a microtask), standing in for Node's setImmediate. Errors escaping a
// deferred call would otherwise vanish, so they are logged.
// (queueMicrotask where the engine has it, as QuickJS-NG does: no promise per job)
const resolved = Promise.resolve();
const enqueueJob = typeof globalThis.queueMicrotask === 'function' ? globalThis.queueMicrotask : (job) => { resolved.then(job); };
function defer(fn, ...args) {
  enqueueJob(() => {
    try {
      const ret = fn(...args);
      if (isPromise(ret)) ret.then(null, logError);
    } catch (err) { logError(err); }
  });
}

function logError(err) {
  try {
    const where = err && err.templateFile !== undefined ? viewLib().describeTemplateError(err) : '';
    host.log('error', where + (stackOf(err) || String(err)));
  } catch (e) { /* logging must never throw */ }
}

// V8's err.stack starts with "Name: message"; QuickJS's holds only the frames.
// Express shows err.stack (logs, development error pages), so give it V8's shape.
function stackOf(err) {
  const stack = err && err.stack;
  if (typeof stack !== 'string' || !stack) return undefined;
  let head;
  try { head = String(err); } catch (e) { return stack; }
  return stack.startsWith(head) ? stack : head + '\n' + stack.replace(/\n+$/, '');
}

function isPromise(v) {
  return !!v && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
}

// The host encoder expects well-formed UTF-16: lone surrogates become U+FFFD first,
// which is what Node's Buffer.from(str) produces for them.
const SURROGATE_RE = /[\uD800-\uDFFF]/;
function utf8Encode(str) {
  let s = String(str);
  if (SURROGATE_RE.test(s)) s = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return host.encodeUtf8(s);
}
function utf8Decode(bytes) { return host.decodeUtf8(bytes); }

// UTF-8 length of a JS string without allocating (lone surrogates count as U+FFFD: 3 bytes).
function byteLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Turn a body chunk (string with a Node encoding name, typed array, ArrayBuffer) into bytes.
function toBytes(chunk, encoding) {
  if (chunk == null) return EMPTY;
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  const s = String(chunk);
  switch (String(encoding || 'utf8').toLowerCase()) {
    case 'latin1': case 'binary': case 'ascii': {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
      return out;
    }
    case 'hex': {
      const out = new Uint8Array(s.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16) || 0;
      return out;
    }
    case 'base64': case 'base64url': {
      const clean = s.replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, '');
      const out = [];
      for (let i = 0, bits = 0, acc = 0; i < clean.length; i++) {
        acc = (acc << 6) | B64.indexOf(clean[i]); bits += 6;
        if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
      }
      return new Uint8Array(out);
    }
    default: return utf8Encode(s);
  }
}

function concatBytes(chunks) {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0];
  let len = 0;
  for (const c of chunks) len += c.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out;
}

// Decode request bytes in a charset. Only what iconv-lite commonly sees in practice;
// undefined means "unsupported" (body parsers answer 415 like body-parser does).
function decodeCharset(bytes, charset) {
  switch (charset === 'utf-8' ? charset : String(charset).toLowerCase()) {
    case 'utf-8': case 'utf8': {
      const s = utf8Decode(bytes);
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s; // iconv-lite strips the BOM
    }
    case 'iso-8859-1': case 'latin1': case 'binary': case 'us-ascii': case 'ascii': case 'windows-1252': {
      let s = '';
      for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
      return s;
    }
    case 'utf-16le': case 'utf16le': case 'ucs2': case 'ucs-2': case 'utf-16': {
      let s = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
    }
    default: return undefined;
  }
}

// Node's path.posix.basename / extname, enough for file names in headers.
function basename(p) {
  const s = String(p).replace(/\/+$/, '');
  return s.slice(s.lastIndexOf('/') + 1);
}
function extname(p) {
  const base = basename(p);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
}

const STATUS_CODES = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked',
  424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates',
  507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended',
  511: 'Network Authentication Required',
};

function escapeHtml(str) {
  return String(str).replace(/["'&<>]/g, (c) => ({ '"': '&quot;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;' })[c]);
}

// encodeurl: percent-encode what is not allowed in a URL, leaving existing escapes alone.
function encodeUrl(url) {
  return String(url)
    .replace(/([\uD800-\uDBFF][\uDC00-\uDFFF])|[\uD800-\uDFFF]/g, (_, pair) => pair || '\uFFFD')
    .replace(/(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]+|%+(?![0-9A-Fa-f]{2})){1,1024}/g, encodeURI);
}

// http-errors, reduced: an Error carrying status/statusCode/expose (+ extra props).
function toIdentifier(str) {
  return str.split(' ').map((t) => t.slice(0, 1).toUpperCase() + t.slice(1)).join('').replace(/[^ _0-9a-z]/gi, '');
}
const kHttpError = Symbol('httpError');
function createError(status, msgOrErr, props) {
  if (typeof status !== 'number' || (!STATUS_CODES[status] && (status < 400 || status >= 600))) status = 500;
  let err;
  if (msgOrErr instanceof Error) {
    // wrapping an existing error (e.g. a SyntaxError): it gets status and expose
    err = msgOrErr;
    status = err.status || err.statusCode || status;
    if (!err[kHttpError] || err.status !== status) {
      err.expose = status < 500;
      err.status = err.statusCode = status;
    }
  } else {
    const message = msgOrErr != null ? String(msgOrErr) : STATUS_CODES[status] || 'Error';
    err = new Error(message);
    const name = toIdentifier(STATUS_CODES[status] || (status < 500 ? 'Client Error' : 'Server Error'));
    // http-errors keeps these on the prototype: invisible to JSON.stringify/Object.keys.
    Object.defineProperty(err, 'name', { value: name.endsWith('Error') ? name : name + 'Error', configurable: true, writable: true });
    Object.defineProperty(err, 'message', { value: message, enumerable: true, configurable: true, writable: true });
    for (const k of ['status', 'statusCode']) Object.defineProperty(err, k, { value: status, configurable: true, writable: true });
    Object.defineProperty(err, 'expose', { value: status < 500, configurable: true, writable: true });
    err[kHttpError] = true;
  }
  for (const k in props || {}) if (k !== 'status' && k !== 'statusCode') err[k] = props[k];
  return err;
}

// Minimal EventEmitter, mixed into apps, requests and responses.
const Emitter = {
  on(name, fn) {
    const ev = this._events || (this._events = Object.create(null));
    (ev[name] || (ev[name] = [])).push(fn);
    if (typeof this._onListen === 'function') this._onListen(name);
    return this;
  },
  once(name, fn) {
    const self = this;
    function wrapper(...args) { self.off(name, wrapper); return fn.apply(self, args); }
    wrapper.listener = fn;
    return this.on(name, wrapper);
  },
  off(name, fn) {
    const list = this._events && this._events[name];
    if (list) {
      const i = list.findIndex((l) => l === fn || l.listener === fn);
      if (i !== -1) list.splice(i, 1);
    }
    return this;
  },
  emit(name, ...args) {
    const list = this._events && this._events[name];
    if (!list || list.length === 0) return false;
    for (const fn of list.slice()) fn.apply(this, args);
    return true;
  },
  listeners(name) { return ((this._events && this._events[name]) || []).map((l) => l.listener || l); },
  listenerCount(name) { return (this._events && this._events[name] || []).length; },
  removeAllListeners(name) {
    if (!this._events) return this;
    if (name === undefined) this._events = Object.create(null); else delete this._events[name];
    return this;
  },
};
Emitter.addListener = Emitter.on;
Emitter.removeListener = Emitter.off;
Emitter.prependListener = Emitter.on;

// ---------------------------------------------------------------------------
// MIME types (the common ones; mime-db has ~1000, apps use these)
// ---------------------------------------------------------------------------

const MIME_TABLE = [
  'text/html html htm shtml', 'text/plain txt text conf def list log in ini', 'text/css css',
  'text/javascript js mjs', 'application/json json map', 'application/ld+json jsonld',
  'application/manifest+json webmanifest', 'application/xml xml xsl xsd rng', 'text/csv csv',
  'text/markdown md markdown', 'text/yaml yaml yml', 'text/calendar ics ifb', 'text/vcard vcard',
  'text/jsx jsx', 'text/cache-manifest appcache manifest', 'application/xhtml+xml xhtml xht',
  'application/atom+xml atom', 'application/rss+xml rss', 'application/xslt+xml xslt',
  'application/xml-dtd dtd', 'application/toml toml', 'application/sql sql',
  'application/pdf pdf', 'application/rtf rtf', 'application/postscript ai eps ps',
  'application/wasm wasm', 'application/octet-stream bin dms lrf mar so dist distz pkg bpk dump elc deploy buffer',
  'application/zip zip', 'application/gzip gz', 'application/x-tar tar', 'application/x-bzip2 bz2 boz',
  'application/x-7z-compressed 7z', 'application/vnd.rar rar', 'application/java-archive jar war ear',
  'application/x-sh sh', 'application/x-httpd-php php', 'application/epub+zip epub',
  'application/msword doc dot', 'application/vnd.ms-excel xls xlm xla xlc xlt xlw',
  'application/vnd.ms-powerpoint ppt pps pot',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation pptx',
  'application/vnd.oasis.opendocument.text odt', 'application/vnd.oasis.opendocument.spreadsheet ods',
  'application/vnd.ms-fontobject eot', 'application/x-shockwave-flash swf',
  'application/x-x509-ca-cert der crt pem', 'application/x-pkcs12 p12 pfx', 'application/pkix-cert cer',
  'image/png png', 'image/apng apng', 'image/jpeg jpeg jpg jpe', 'image/gif gif', 'image/svg+xml svg svgz',
  'image/webp webp', 'image/avif avif', 'image/bmp bmp dib', 'image/tiff tif tiff', 'image/heic heic',
  'image/heif heif', 'image/jxl jxl', 'image/vnd.microsoft.icon ico', 'image/vnd.adobe.photoshop psd',
  'font/woff woff', 'font/woff2 woff2', 'font/ttf ttf', 'font/otf otf', 'font/collection ttc',
  'audio/mpeg mpga mp2 mp2a mp3 m2a m3a', 'audio/wav wav', 'audio/ogg oga ogg spx opus', 'audio/webm weba',
  'audio/mp4 m4a mp4a', 'audio/aac aac', 'audio/x-flac flac', 'audio/midi mid midi kar rmi',
  'video/mp4 mp4 mp4v mpg4', 'video/webm webm', 'video/ogg ogv', 'video/mpeg mpeg mpg mpe m1v m2v',
  'video/quicktime qt mov', 'video/x-msvideo avi', 'video/x-matroska mkv mk3d mks', 'video/3gpp 3gp 3gpp',
  'video/mp2t ts m2t m2ts mts', 'video/x-flv flv',
  'model/gltf+json gltf', 'model/gltf-binary glb', 'model/obj obj', 'model/stl stl',
  'application/x-www-form-urlencoded', 'multipart/form-data',
];
const MIME_BY_EXT = Object.create(null);
for (const line of MIME_TABLE) {
  const [type, ...exts] = line.split(' ');
  for (const e of exts) MIME_BY_EXT[e] = type;
}
// Non-text types whose mime-db entry carries a charset (res.type/res.set add it).
const CHARSET_TYPES = new Set(['application/json', 'application/javascript', 'application/manifest+json',
  'application/elm+json', 'application/fhir+json', 'application/fhir+xml', 'application/cda+xml',
  'application/beep+xml', 'application/hl7v2+xml', 'application/pidf+xml', 'application/pidf-diff+xml',
  'application/im-iscomposing+xml', 'application/vnd.syncml+xml', 'application/vnd.wap.wbxml']);

function mimeLookup(path) {
  if (!path || typeof path !== 'string') return false;
  const ext = extname('x.' + path).toLowerCase().slice(1);
  return (ext && MIME_BY_EXT[ext]) || false;
}
function mimeCharset(type) {
  const m = /^\s*([^;\s]*)(?:;|\s|$)/.exec(type);
  if (!m) return false;
  const t = m[1].toLowerCase();
  return CHARSET_TYPES.has(t) || t.startsWith('text/') ? 'UTF-8' : false;
}
// mime-types' contentType(): extension or type -> full header value with charset.
// (remembered: res.type() and res.set('Content-Type') ask for the same few types)
const contentTypes = new Map();
function mimeContentType(str) {
  if (!str || typeof str !== 'string') return false;
  let ct = contentTypes.get(str);
  if (ct === undefined) {
    ct = computeContentType(str);
    if (contentTypes.size < 256) contentTypes.set(str, ct);
  }
  return ct;
}
function computeContentType(str) {
  let mime = str.indexOf('/') === -1 ? mimeLookup(str) : str;
  if (!mime) return false;
  if (mime.indexOf('charset') === -1) {
    const cs = mimeCharset(mime);
    if (cs) mime += '; charset=' + cs.toLowerCase();
  }
  return mime;
}

// ---------------------------------------------------------------------------
// Content-Type parsing (content-type@2: lenient, never throws on parse)
// ---------------------------------------------------------------------------

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TYPE_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const isOWS = (c) => c === 32 || c === 9;

// Parse "type; a=b; c="d"" from `start`, stopping at `stop` (',' for Accept lists).
// Returns { type (lowercased), parameters, index (where it stopped) }.
function parseMediaType(header, start = 0, stop = -1) {
  const len = header.length;
  const skipWs = (i) => { while (i < len && isOWS(header.charCodeAt(i))) i++; return i; };
  const trimEnd = (s, e) => { while (e > s && isOWS(header.charCodeAt(e - 1))) e--; return e; };
  const skipValue = (i) => { while (i < len) { const c = header.charCodeAt(i); if (c === 59 || c === stop) break; i++; } return i; };
  let i = skipWs(start);
  const ts = i;
  i = skipValue(i);
  const type = header.slice(ts, trimEnd(ts, i)).toLowerCase();
  const parameters = Object.create(null);
  param: while (i < len) {
    if (header.charCodeAt(i) === stop) break;
    i = skipWs(i + 1);
    const ks = i;
    while (i < len) {
      const c = header.charCodeAt(i);
      if (c === stop) break param;
      if (c === 59) continue param;
      if (c === 61) {
        const key = header.slice(ks, trimEnd(ks, i)).toLowerCase();
        i = skipWs(i + 1);
        if (i < len && header.charCodeAt(i) === 34) {
          let value = '';
          i++;
          while (i < len) {
            const d = header.charCodeAt(i++);
            if (d === 34) { i = skipValue(i); break; }
            if (d === 92 && i < len) { value += header[i++]; continue; }
            value += String.fromCharCode(d);
          }
          if (parameters[key] === undefined) parameters[key] = value;
          continue param;
        }
        const vs = i;
        i = skipValue(i);
        if (parameters[key] === undefined) parameters[key] = header.slice(vs, trimEnd(vs, i));
        continue param;
      }
      i++;
    }
  }
  return { type, parameters, index: i };
}

function formatMediaType({ type, parameters }) {
  if (!type || !TYPE_RE.test(type)) throw new TypeError('Invalid type: ' + type);
  let out = type;
  for (const k of Object.keys(parameters || {})) {
    if (!TOKEN_RE.test(k)) throw new TypeError('Invalid parameter name: ' + k);
    const v = String(parameters[k]);
    if (TOKEN_RE.test(v)) out += '; ' + k + '=' + v;
    else if (/^[\u0009\u0020-\u007e\u0080-\u00ff]*$/.test(v)) out += '; ' + k + '="' + v.replace(/[\\"]/g, '\\$&') + '"';
    else throw new TypeError('Invalid parameter value: ' + v);
  }
  return out;
}

// (remembered for utf-8, which res.send() sets on every text response)
const utf8Types = new Map();
function setCharset(type, charset) {
  if (!type || !charset) return type;
  const remember = charset === 'utf-8' && typeof type === 'string';
  if (remember) {
    const hit = utf8Types.get(type);
    if (hit !== undefined) return hit;
  }
  const parsed = parseMediaType(type);
  parsed.parameters.charset = charset;
  const out = formatMediaType(parsed);
  if (remember && utf8Types.size < 256) utf8Types.set(type, out);
  return out;
}

// ---------------------------------------------------------------------------
// type-is
// ---------------------------------------------------------------------------

function hasBody(req) {
  return req.headers['transfer-encoding'] !== undefined || !isNaN(req.headers['content-length']);
}

function normalizeTypeIs(type) {
  if (typeof type !== 'string') return false;
  if (type === 'urlencoded') return 'application/x-www-form-urlencoded';
  if (type === 'multipart') return 'multipart/*';
  if (type[0] === '+') return '*/*' + type;
  return type.indexOf('/') === -1 ? mimeLookup(type) : type;
}

function mimeMatch(expected, actual) {
  if (expected === false) return false;
  if (expected === actual) return true; // actual is a checked type/subtype, without '*'
  const a = actual.split('/');
  const e = expected.split('/');
  if (a.length !== 2 || e.length !== 2) return false;
  if (e[0] !== '*' && e[0] !== a[0]) return false;
  if (e[1].slice(0, 2) === '*+') return e[1].length <= a[1].length + 1 && e[1].slice(1) === a[1].slice(1 - e[1].length);
  return e[1] === '*' || e[1] === a[1];
}

// typeis(contentTypeHeader, types): the matching type, the actual type when types is
// empty, or false.
const MEDIA_TYPE_RE = /^ *([A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126})\/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}) *$/;
// Content-Type header -> its checked, lower-case type/subtype or false (remembered).
const mediaTypes = new Map();
function mediaTypeOf(str) {
  let val = mediaTypes.get(str);
  if (val === undefined) {
    val = parseMediaType(str).type;
    if (!MEDIA_TYPE_RE.test(val)) val = false;
    if (mediaTypes.size < 256) mediaTypes.set(str, val);
  }
  return val;
}
// Content-Type header -> its charset parameter, as given (remembered).
const mediaCharsets = new Map();
function charsetOf(str) {
  let cs = mediaCharsets.get(str);
  if (cs === undefined) {
    cs = parseMediaType(str).parameters.charset;
    if (mediaCharsets.size < 256) mediaCharsets.set(str, cs === undefined ? null : cs);
  }
  return cs === null ? undefined : cs;
}

function typeIs(value, types) {
  if (!value) return false;
  const val = mediaTypeOf(String(value));
  if (val === false) return false;
  if (!types || !types.length) return val;
  for (const type of types) {
    if (mimeMatch(normalizeTypeIs(type), val)) return type[0] === '+' || type.indexOf('*') !== -1 ? val : type;
  }
  return false;
}

function typeOfRequest(req, types) {
  if (!hasBody(req)) return null;
  return typeIs(req.headers['content-type'], types);
}

// ---------------------------------------------------------------------------
// Content negotiation (accepts / negotiator)
// ---------------------------------------------------------------------------

function parseAcceptList(header) {
  const out = [];
  let i = 0;
  while (i < header.length) {
    let start = i;
    while (isOWS(header.charCodeAt(start))) start++;
    const p = parseMediaType(header, start, 44);
    p.type = header.slice(start, start + p.type.length); // keep the original casing
    out.push(p);
    i = p.index + 1;
  }
  return out;
}

const qOf = (p) => (p.parameters.q ? parseFloat(p.parameters.q) : 1);

function splitMedia(parsed, i) {
  const slash = parsed.type.indexOf('/');
  if (slash === -1) return null;
  const params = Object.assign(Object.create(null), parsed.parameters);
  const q = qOf(parsed);
  delete params.q;
  return { type: parsed.type.slice(0, slash), subtype: parsed.type.slice(slash + 1), params, q, i };
}

function specifyMedia(type, spec, index) {
  const p = splitMedia(parseMediaType(type), 0);
  if (!p) return null;
  let s = 0;
  if (spec.type.toLowerCase() === p.type.toLowerCase()) s |= 4;
  else if (spec.type !== '*') return null;
  if (spec.subtype.toLowerCase() === p.subtype.toLowerCase()) s |= 2;
  else if (spec.subtype !== '*') return null;
  const keys = Object.keys(spec.params);
  if (keys.length > 0) {
    if (keys.every((k) => spec.params[k] === '*' || (spec.params[k] || '').toLowerCase() === (p.params[k] || '').toLowerCase())) s |= 1;
    else return null;
  }
  return { i: index, o: spec.i, q: spec.q, s };
}

function specifyLanguage(lang, spec, index) {
  const p = splitLanguage(parseMediaType(lang), 0);
  if (!p) return null;
  let s = 0;
  if (spec.full.toLowerCase() === p.full.toLowerCase()) s |= 4;
  else if (spec.prefix.toLowerCase() === p.full.toLowerCase()) s |= 2;
  else if (spec.full.toLowerCase() === p.prefix.toLowerCase()) s |= 1;
  else if (spec.full !== '*') return null;
  return { i: index, o: spec.i, q: spec.q, s };
}
function splitLanguage(parsed, i) {
  if (!parsed.type) return null;
  const h = parsed.type.indexOf('-');
  return { prefix: h === -1 ? parsed.type : parsed.type.slice(0, h), suffix: h === -1 ? undefined : parsed.type.slice(h + 1), q: qOf(parsed), i, full: parsed.type };
}
function specifyToken(value, spec, index) {
  let s = 0;
  if (spec.token.toLowerCase() === value.toLowerCase()) s |= 1;
  else if (spec.token !== '*') return null;
  return { i: index, o: spec.i, q: spec.q, s };
}

const compareSpecs = (a, b) => (b.q - a.q) || (b.s - a.s) || (a.o - b.o) || (a.i - b.i) || 0;

// Shared negotiator core: rank `provided` against the parsed `accepts`.
function negotiate(accepts, provided, specify, fullName) {
  if (!provided) return accepts.filter((a) => a.q > 0).sort(compareSpecs).map(fullName);
  const priorities = provided.map((type, index) => {
    let best = { o: -1, q: 0, s: 0, i: index };
    for (const spec of accepts) {
      const r = specify(type, spec, index);
      if (r && (best.s - r.s || best.q - r.q || best.o - r.o) < 0) best = r;
    }
    return best;
  });
  return priorities.filter((p) => p.q > 0).sort(compareSpecs).map((p) => provided[priorities.indexOf(p)]);
}

function preferredMediaTypes(accept, provided) {
  const accepts = parseAcceptList(accept === undefined ? '*/*' : accept || '').map(splitMedia).filter(Boolean);
  return negotiate(accepts, provided, specifyMedia, (s) => s.type + '/' + s.subtype);
}
function preferredLanguages(accept, provided) {
  const accepts = parseAcceptList(accept === undefined ? '*' : accept || '').map(splitLanguage).filter(Boolean);
  return negotiate(accepts, provided, specifyLanguage, (s) => s.full);
}
function preferredTokens(accept, provided, isEncoding) {
  const accepts = parseAcceptList(accept).filter((p) => p.type).map((p, i) => ({ token: p.type, q: qOf(p), i }));
  if (isEncoding && !accepts.some((a) => specifyToken('identity', a))) {
    // identity is acceptable unless refused, at the lowest listed quality
    const minQ = accepts.reduce((m, a) => Math.min(m, a.q || 1), 1);
    accepts.push({ token: 'identity', q: minQ, i: accepts.length });
  }
  return negotiate(accepts, provided, specifyToken, (s) => s.token);
}

function flatArgs(args) {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : Array.from(args);
}

// ---------------------------------------------------------------------------
// Cookies (cookie@0.7 + cookie-parser's JSON cookies)
// ---------------------------------------------------------------------------

function parseCookies(str) {
  const obj = {};
  const len = str.length;
  if (len < 2) return obj;
  let index = 0;
  const trim = (s) => s.replace(/^[ \t]+|[ \t]+$/g, '');
  while (index < len) {
    const eq = str.indexOf('=', index);
    if (eq === -1) break;
    let end = str.indexOf(';', index);
    if (end === -1) end = len;
    else if (eq > end) { index = str.lastIndexOf(';', eq - 1) + 1; continue; }
    const key = trim(str.slice(index, eq));
    if (!hasOwn(obj, key)) {
      let val = trim(str.slice(eq + 1, end));
      if (val.length >= 2 && val[0] === '"' && val[val.length - 1] === '"') val = val.slice(1, -1);
      try { obj[key] = val.indexOf('%') !== -1 ? decodeURIComponent(val) : val; } catch (e) { obj[key] = val; }
    }
    index = end + 1;
  }
  return obj;
}

function jsonCookies(obj) {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (typeof v === 'string' && v.slice(0, 2) === 'j:') {
      let parsed;
      try { parsed = JSON.parse(v.slice(2)); } catch (e) { /* not JSON: keep the string */ }
      if (parsed) obj[k] = parsed; // cookie-parser keeps the string for falsy JSON values
    }
  }
  return obj;
}

function serializeCookie(name, val, opt) {
  const enc = (opt && opt.encode) || encodeURIComponent;
  if (typeof enc !== 'function') throw new TypeError('option encode is invalid');
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new TypeError('argument name is invalid');
  const value = enc(val);
  if (!/^("?)[\u0021\u0023-\u002B\u002D-\u003A\u003C-\u005B\u005D-\u007E]*\1$/.test(value)) throw new TypeError('argument val is invalid');
  let str = name + '=' + value;
  if (!opt) return str;
  if (opt.maxAge != null) {
    const maxAge = Math.floor(opt.maxAge);
    if (!isFinite(maxAge)) throw new TypeError('option maxAge is invalid');
    str += '; Max-Age=' + maxAge;
  }
  if (opt.domain) {
    if (!/^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(opt.domain)) throw new TypeError('option domain is invalid');
    str += '; Domain=' + opt.domain;
  }
  if (opt.path) {
    if (!/^[\u0020-\u003A\u003D-\u007E]*$/.test(opt.path)) throw new TypeError('option path is invalid');
    str += '; Path=' + opt.path;
  }
  if (opt.expires) {
    const e = opt.expires;
    if (Object.prototype.toString.call(e) !== '[object Date]' || isNaN(e.valueOf())) throw new TypeError('option expires is invalid');
    str += '; Expires=' + e.toUTCString();
  }
  if (opt.httpOnly) str += '; HttpOnly';
  if (opt.secure) str += '; Secure';
  if (opt.partitioned) str += '; Partitioned';
  if (opt.priority) {
    const p = typeof opt.priority === 'string' ? opt.priority.toLowerCase() : opt.priority;
    const name2 = { low: 'Low', medium: 'Medium', high: 'High' }[p];
    if (!name2) throw new TypeError('option priority is invalid');
    str += '; Priority=' + name2;
  }
  if (opt.sameSite) {
    const s = typeof opt.sameSite === 'string' ? opt.sameSite.toLowerCase() : opt.sameSite;
    const name3 = s === true ? 'Strict' : { lax: 'Lax', strict: 'Strict', none: 'None' }[s];
    if (!name3) throw new TypeError('option sameSite is invalid');
    str += '; SameSite=' + name3;
  }
  return str;
}

// content-disposition@2 create(): attachment; filename="..." (+ filename* for non-ASCII)
function contentDisposition(filename, options) {
  const type = (options && options.type) || 'attachment';
  let out = type;
  if (filename === undefined) return out;
  const fallback = options && options.fallback !== undefined ? options.fallback : true;
  const ascii = /^[\x20-\x7e]*$/;
  const ext = (s) => "UTF-8''" + encodeURIComponent(s).replace(/[\x00-\x20"'()*,/:;<=>?@[\\\]{}\x7f]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  let params;
  if (typeof fallback === 'string') {
    if (!ascii.test(fallback)) throw new TypeError('Fallback must be valid US-ASCII: ' + fallback);
    params = fallback === filename ? { filename } : { filename: fallback, 'filename*': ext(filename) };
  } else if (ascii.test(filename) && !/%[0-9A-Fa-f]{2}/.test(filename)) {
    params = { filename };
  } else if (fallback === false) {
    params = { 'filename*': ext(filename) };
  } else {
    params = { filename: filename.replace(/[^\x20-\x7e]/g, '?'), 'filename*': ext(filename) };
  }
  for (const k of Object.keys(params)) {
    const v = params[k];
    out += '; ' + k + '=' + (/^[!#$%&'*+.0-9A-Z^_`a-z|~-]+$/.test(v) ? v : '"' + v.replace(/[\\"]/g, '\\$&') + '"');
  }
  return out;
}

// ---------------------------------------------------------------------------
// vary, etag, fresh
// ---------------------------------------------------------------------------

function parseTokenList(str) {
  const list = [];
  let start = 0, end = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 0x20) { if (start === end) start = end = i + 1; }
    else if (c === 0x2c) { list.push(str.substring(start, end)); start = end = i + 1; }
    else end = i + 1;
  }
  list.push(str.substring(start, end));
  return list;
}

function varyAppend(header, field) {
  const fields = Array.isArray(field) ? field : parseTokenList(String(field));
  for (const f of fields) if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(f)) throw new TypeError('field argument contains an invalid header name');
  if (header === '*') return header;
  let val = header;
  const vals = parseTokenList(header.toLowerCase());
  if (fields.indexOf('*') !== -1 || vals.indexOf('*') !== -1) return '*';
  for (const f of fields) {
    const lf = f.toLowerCase();
    if (vals.indexOf(lf) === -1) { vals.push(lf); val = val ? val + ', ' + f : f; }
  }
  return val;
}

// body: bytes, or text (hashed by the host as UTF-8), of `len` bytes
function entityTag(body, len) {
  if (len === 0) return '"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return '"' + len.toString(16) + '-' + host.sha1Base64(body).substring(0, 27) + '"';
}
const weakETag = (body) => { const b = toBytes(body); return 'W/' + entityTag(b, b.length); };
const strongETag = (body) => { const b = toBytes(body); return entityTag(b, b.length); };

function fresh(reqHeaders, resHeaders) {
  const modifiedSince = reqHeaders['if-modified-since'];
  const noneMatch = reqHeaders['if-none-match'];
  if (!modifiedSince && !noneMatch) return false;
  const cc = reqHeaders['cache-control'];
  if (cc && /(?:^|,)\s*?no-cache\s*?(?:,|$)/.test(cc)) return false;
  if (noneMatch) {
    if (noneMatch === '*') return true;
    const etag = resHeaders.etag;
    if (!etag) return false;
    return parseTokenList(noneMatch).some((m) => m === etag || m === 'W/' + etag || 'W/' + m === etag);
  }
  const lastModified = resHeaders['last-modified'];
  return !!lastModified && Date.parse(lastModified) <= Date.parse(modifiedSince);
}

// ---------------------------------------------------------------------------
// Query strings: Node's querystring ("simple") and a qs-compatible parser ("extended")
// ---------------------------------------------------------------------------

// querystring.unescape: decodeURIComponent, or a byte-wise fallback for bad escapes.
function unescapeLenient(s) {
  try { return decodeURIComponent(s); } catch (e) { /* fall through */ }
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && /^[0-9a-fA-F]{2}$/.test(s.substr(i + 1, 2))) {
      bytes.push(parseInt(s.substr(i + 1, 2), 16)); i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of utf8Encode(s[i])) bytes.push(b);
  }
  return utf8Decode(new Uint8Array(bytes));
}

function parseSimpleQuery(str) {
  const obj = Object.create(null);
  if (typeof str !== 'string' || str.length === 0) return obj;
  const parts = str.split('&');
  let count = 0;
  for (const part of parts) {
    if (part.length === 0) continue;
    if (++count > 1000) break; // querystring's maxKeys
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawVal = eq === -1 ? '' : part.slice(eq + 1);
    const key = unescapeLenient(rawKey.replace(/\+/g, ' '));
    const val = unescapeLenient(rawVal.replace(/\+/g, ' '));
    if (!(key in obj)) obj[key] = val;
    else if (Array.isArray(obj[key])) obj[key].push(val);
    else obj[key] = [obj[key], val];
  }
  return obj;
}

// qs.parse, covering what apps observe: brackets, arrays (with qs' limits), depth,
// duplicate keys combining into arrays, '+' as space, tolerant decoding.
function qsParse(str, opts = {}) {
  const o = {
    depth: opts.depth !== undefined ? opts.depth : 5,
    arrayLimit: opts.arrayLimit !== undefined ? opts.arrayLimit : 20,
    parameterLimit: opts.parameterLimit !== undefined ? opts.parameterLimit : 1000,
    strictDepth: !!opts.strictDepth,
    charset: opts.charset === 'iso-8859-1' ? 'iso-8859-1' : 'utf-8',
  };
  if (!str) return {};
  const decode = (s) => {
    const plus = s.replace(/\+/g, ' ');
    if (plus.indexOf('%') === -1) return plus;
    if (o.charset === 'iso-8859-1') return plus.replace(/%[0-9a-f]{2}/gi, (m) => String.fromCharCode(parseInt(m.slice(1), 16)));
    try { return decodeURIComponent(plus); } catch (e) { return plus; }
  };
  // Arrays longer than arrayLimit turn into index-keyed objects ("overflow"), as in qs.
  const overflowed = new WeakSet();
  const toObject = (arr) => {
    const r = {};
    arr.forEach((v, i) => { if (v !== undefined) r[i] = v; });
    overflowed.add(r);
    return r;
  };
  const combine = (a, b) => {
    if (overflowed.has(a)) {
      let n = Math.max(-1, ...Object.keys(a).map(Number).filter((k) => k >= 0));
      for (const v of [].concat(b)) a[++n] = v;
      return a;
    }
    const r = [].concat(a, b);
    return r.length > o.arrayLimit ? toObject(r) : r;
  };
  // 1. flat key -> value(s)
  const temp = Object.create(null);
  const parts = String(str).replace(/%5B/gi, '[').replace(/%5D/gi, ']').split('&', o.parameterLimit === Infinity ? undefined : o.parameterLimit);
  for (const part of parts) {
    const be = part.indexOf(']=');
    const pos = be === -1 ? part.indexOf('=') : be + 1;
    const emptyBracket = pos > 1 && part.slice(pos - 2, pos) === '[]';
    const key = decode(pos === -1 ? part : part.slice(0, pos));
    let val = pos === -1 ? '' : decode(part.slice(pos + 1));
    if (emptyBracket && Array.isArray(val)) val = [val];
    if (hasOwn(temp, key)) temp[key] = combine(temp[key], val);
    else temp[key] = val;
  }
  // 2. expand bracket keys and merge
  const splitKey = (key) => {
    if (o.depth <= 0) return [key];
    const segs = [];
    const first = key.indexOf('[');
    const parent = first >= 0 ? key.slice(0, first) : key;
    if (parent) segs.push(parent);
    let open = first, collected = 0;
    while (open >= 0 && collected < o.depth) {
      let level = 1, i = open + 1, close = -1;
      while (i < key.length && close < 0) {
        const c = key[i];
        if (c === '[') level++;
        else if (c === ']' && --level === 0) close = i;
        i++;
      }
      if (close < 0) { segs.push('[' + key.slice(open) + ']'); return segs; }
      segs.push(key.slice(open, close + 1));
      collected++;
      open = key.indexOf('[', close + 1);
    }
    if (open >= 0) {
      if (o.strictDepth) throw new RangeError('Input depth exceeded depth option of ' + o.depth + ' and strictDepth is true');
      segs.push('[' + key.slice(open) + ']');
    }
    return segs;
  };
  const build = (chain, val) => {
    let leaf = val;
    for (let i = chain.length - 1; i >= 0; i--) {
      const root = chain[i];
      let obj;
      if (root === '[]') obj = overflowed.has(leaf) ? leaf : combine([], leaf);
      else {
        obj = {};
        const clean = root[0] === '[' && root[root.length - 1] === ']' ? root.slice(1, -1) : root;
        const index = parseInt(clean, 10);
        if (!isNaN(index) && root !== clean && String(index) === clean && index >= 0 && index < o.arrayLimit) {
          obj = []; obj[index] = leaf;
        } else if (clean !== '__proto__') obj[clean] = leaf;
      }
      leaf = obj;
    }
    return leaf;
  };
  const isObj = (v) => v !== null && typeof v === 'object';
  const merge = (target, source) => {
    if (!source) return target;
    if (!isObj(source)) {
      if (Array.isArray(target)) {
        if (target.filter(() => true).length >= o.arrayLimit) return toObject(target.concat(source));
        target.push(source);
        return target;
      }
      return [target, source]; // qs' strictMerge: a conflict becomes a pair
    }
    if (!isObj(target)) return combine(target, source);
    let mt = target;
    if (Array.isArray(target) && !Array.isArray(source)) mt = toObject(target);
    if (Array.isArray(target) && Array.isArray(source)) {
      source.forEach((item, i) => {
        if (hasOwn(target, i)) {
          if (isObj(target[i]) && isObj(item)) target[i] = merge(target[i], item);
          else target.push(item);
        } else target[i] = item;
      });
      return target.filter(() => true).length > o.arrayLimit ? toObject(target) : target;
    }
    for (const k of Object.keys(source)) mt[k] = hasOwn(mt, k) ? merge(mt[k], source[k]) : source[k];
    return mt;
  };
  let obj = {};
  for (const key of Object.keys(temp)) {
    if (!key) continue;
    obj = merge(obj, build(splitKey(key), temp[key]));
  }
  // 3. compact sparse arrays (a[1]=x -> ['x'])
  const compact = (v) => {
    if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compact);
    if (isObj(v)) { for (const k of Object.keys(v)) v[k] = compact(v[k]); }
    return v;
  };
  return compact(obj);
}

function compileQueryParser(val) {
  if (typeof val === 'function') return val;
  switch (val) {
    case true: case 'simple': return parseSimpleQuery;
    case false: return undefined;
    case 'extended': return (str) => qsParse(str, { allowPrototypes: true });
    default: throw new TypeError('unknown value for query parser function: ' + val);
  }
}

function compileETag(val) {
  if (typeof val === 'function') return val;
  switch (val) {
    case true: case 'weak': return weakETag;
    case false: return undefined;
    case 'strong': return strongETag;
    default: throw new TypeError('unknown value for etag function: ' + val);
  }
}

// 'trust proxy' as Express compiles it (src/js/lib/proxy_addr.js, loaded on first use).
let proxyAddr;
const proxyAddrLib = () => proxyAddr || (proxyAddr = require('hbf:proxy-addr'));
function compileTrust(val) {
  if (val === false || val === undefined) return trustNone;
  return proxyAddrLib().compileTrust(val);
}
function trustNone() { return false; }

// ---------------------------------------------------------------------------
// URL helpers (parseurl)
// ---------------------------------------------------------------------------

// req[kReq], the hidden request state, is an array (see routerHandle): whether the host made
// it (then the peer's ip, ips, protocol and hostname follow), the body and whether it was read,
// the parsed url and originalUrl, and the parsed cookies.
const kReq = Symbol('req');
const Q_HOST = 0, Q_IP = 1, Q_IPS = 2, Q_PROTOCOL = 3, Q_HOSTNAME = 4, Q_BODY = 5, Q_BODY_READ = 6,
  Q_PARSED = 7, Q_PARSED_ORIGINAL = 8, Q_COOKIES = 9, Q_ROUTERS = 10;
// The state of a request not made by the host (an app's own call to app.handle()).
function reqState(req) {
  let st = req[kReq];
  if (st === undefined) req[kReq] = st = [false, undefined, undefined, undefined, undefined, EMPTY, false, undefined, undefined, undefined];
  return st;
}

const URL_ORIGIN_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/;

function parseUrlString(str) {
  let rest = String(str);
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const m = rest.charCodeAt(0) === 47 ? null : URL_ORIGIN_RE.exec(rest); // "/..." has no origin
  if (m) rest = rest.slice(m[0].length);
  const q = rest.indexOf('?');
  const pathname = q === -1 ? rest : rest.slice(0, q);
  // [pathname, search, query, raw] (an array: see routerHandle)
  return [m && pathname === '' ? '/' : pathname, q === -1 ? null : rest.slice(q), q === -1 ? null : rest.slice(q + 1), str];
}
const P_PATHNAME = 0, P_QUERY = 2, P_RAW = 3;

function parseUrl(req) {
  if (req.url === undefined) return undefined;
  const st = reqState(req);
  const cached = st[Q_PARSED];
  if (cached && cached[P_RAW] === req.url) return cached;
  return (st[Q_PARSED] = parseUrlString(req.url));
}
function parseOriginalUrl(req) {
  if (typeof req.originalUrl !== 'string') return parseUrl(req);
  const st = reqState(req);
  const cached = st[Q_PARSED_ORIGINAL];
  if (cached && cached[P_RAW] === req.originalUrl) return cached;
  return (st[Q_PARSED_ORIGINAL] = parseUrlString(req.originalUrl));
}

// ---------------------------------------------------------------------------
// path-to-regexp@8 (the Express 5 path syntax)
// ---------------------------------------------------------------------------

const ID_START = /^[$_\p{ID_Start}]$/u;
const ID_CONTINUE = /^[$\u200c\u200d\p{ID_Continue}]$/u;

class PathError extends TypeError {
  constructor(message, originalPath) {
    super(message + (originalPath ? ': ' + originalPath : '') + '; visit https://git.new/pathToRegexpError for info');
    this.originalPath = originalPath;
  }
}

// Tokens: {type:'text', value} | {type:'param'|'wildcard', name} | {type:'group', tokens}
// Nested `{...}` groups a route pattern may have: each level is a JS call frame here (and the
// later expansion recurses as deep), so a deeper pattern is refused with a PathError rather
// than overflowing the stack.
const MAX_GROUP_DEPTH = 32;

function parsePath(str) {
  const chars = [...str];
  let i = 0;
  let depth = 0;
  function until(end) {
    const out = [];
    let text = '';
    const flush = () => { if (text) { out.push({ type: 'text', value: text }); text = ''; } };
    while (i < chars.length) {
      const c = chars[i++];
      if (c === end) { flush(); return out; }
      if (c === '\\') {
        if (i === chars.length) throw new PathError('Unexpected end after \\ at index ' + i, str);
        text += chars[i++];
        continue;
      }
      if (c === ':' || c === '*') {
        let name = '';
        if (ID_START.test(chars[i] || '')) {
          do name += chars[i++]; while (ID_CONTINUE.test(chars[i] || ''));
        } else if (chars[i] === '"') {
          let quoteStart = i;
          while (i < chars.length) {
            if (chars[++i] === '"') { i++; quoteStart = 0; break; }
            if (chars[i] === '\\') i++;
            name += chars[i];
          }
          if (quoteStart) throw new PathError('Unterminated quote at index ' + quoteStart, str);
        }
        if (!name) throw new PathError('Missing parameter name at index ' + i, str);
        flush();
        out.push({ type: c === ':' ? 'param' : 'wildcard', name });
        continue;
      }
      if (c === '{') {
        if (++depth > MAX_GROUP_DEPTH) throw new PathError('Too many nested groups at index ' + (i - 1), str);
        flush();
        out.push({ type: 'group', tokens: until('}') });
        depth--;
        continue;
      }
      if ('}()[]+?!'.includes(c)) throw new PathError('Unexpected ' + c + ' at index ' + (i - 1), str);
      text += c;
    }
    if (end) throw new PathError('Unexpected end at index ' + i + ', expected ' + end, str);
    flush();
    return out;
  }
  return until('');
}

const escapeRe = (s) => s.replace(/[.+*?^${}()[\]|/\\]/g, '\\$&');

// A character class (or lookahead) matching one char that does not start `a` or `b`,
// which keeps a capture from swallowing the text that must follow it.
function negate(a, b) {
  if (b.length > a.length) return negate(b, a);
  if (a === b) b = '';
  if (b.length > 1) return '(?:(?!' + escapeRe(a) + '|' + escapeRe(b) + ')[^])';
  if (a.length > 1) return '(?:(?!' + escapeRe(a) + ')[^' + escapeRe(b) + '])';
  return '[^' + escapeRe(a + b) + ']';
}

// Every optional-group combination becomes one flat token sequence (an alternative).
function expandGroups(tokens, index, acc, emit) {
  while (index < tokens.length) {
    const t = tokens[index++];
    if (t.type === 'group') {
      const len = acc.length;
      expandGroups(t.tokens, 0, acc, (seq) => expandGroups(tokens, index, seq, emit));
      acc.length = len;
      continue;
    }
    acc.push(t);
  }
  emit(acc);
}

function sequenceSource(tokens, keys, originalPath) {
  let out = '', backtrack = '', wildcardBacktrack = '', prev = 0, segment = 0;
  const inSegmentLater = (from, type) => {
    for (let j = from; j < tokens.length; j++) {
      if (tokens[j].type === type) return true;
      if (tokens[j].type === 'text' && tokens[j].value.includes('/')) break;
    }
    return false;
  };
  const textAfter = (from) => {
    let s = '';
    for (let j = from; j < tokens.length && tokens[j].type === 'text'; j++) s += tokens[j].value;
    return s;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'text') {
      out += escapeRe(t.value);
      backtrack += t.value;
      if (prev === 2) wildcardBacktrack += t.value;
      if (t.value.includes('/')) segment = 0;
      continue;
    }
    if (prev && !backtrack) throw new PathError('Missing text before "' + t.name + '" ' + t.type, originalPath);
    if (t.type === 'param') {
      if (segment & 2) out += '(' + negate('/', backtrack) + '+)';
      else if (inSegmentLater(i + 1, 'wildcard')) out += '(' + negate('/', textAfter(i + 1)) + '+)';
      else if (segment & 1) out += '(' + negate('/', backtrack) + '+|' + escapeRe(backtrack) + ')';
      else out += '(' + negate('/', '') + '+)';
      segment |= prev = 1;
    } else {
      if (segment & 2) out += '(' + negate(backtrack, '') + '+)';
      else if (wildcardBacktrack) out += '(' + negate(wildcardBacktrack, '') + '+|' + negate('/', '') + '+)';
      else out += '([^]+)';
      wildcardBacktrack = '';
      segment |= prev = 2;
    }
    keys.push(t);
    backtrack = '';
  }
  return out;
}

function pathToRegexp(path, { end = true, sensitive = false, trailing = true } = {}) {
  const keys = [];
  const sources = [];
  const tokens = parsePath(path);
  expandGroups(tokens, 0, [], (seq) => {
    if (sources.length >= 256) throw new PathError('Too many path combinations', path);
    sources.push(sequenceSource(seq, keys, path));
  });
  let pattern = '^(?:' + sources.join('|') + ')';
  if (trailing) pattern += '(?:\\/$)?';
  pattern += end ? '$' : '(?=\\/|$)';
  // For cheap pre-checks (stringMatcher): every match starts with the leading text; a path
  // that is all text matches only that text (in some case) and maybe a trailing slash; and
  // text + one :param is a common shape to match without the regexp.
  const first = tokens[0];
  const lead = first && first.type === 'text' ? first.value : '';
  const ascii = /^[\x00-\x7f]*/.exec(lead)[0];
  const second = tokens[1];
  return {
    regexp: new RegExp(pattern, sensitive ? '' : 'i'),
    keys,
    lead: ascii,
    prefix: sensitive ? ascii : ascii.toLowerCase(),
    exact: end && tokens.length === 1 && lead ? lead : undefined,
    param: end && tokens.length === 2 && lead && ascii === lead && second.type === 'param' ? second.name : undefined,
  };
}

// Route params are URI-decoded; a bad escape is a 400 (router's decodeParam).
function decodeParam(val) {
  if (typeof val !== 'string' || val.length === 0 || val.indexOf('%') === -1) return val;
  try {
    return decodeURIComponent(val);
  } catch (err) {
    if (err instanceof URIError) {
      err.message = "Failed to decode param '" + val + "'";
      err.status = err.statusCode = 400;
    }
    throw err;
  }
}

// A match is [path, params, keys] (an array: see routerHandle). Keys of a layer without
// params (read-only, shared):
const M_PATH = 0, M_PARAMS = 1, M_KEYS = 2;
const NO_KEYS = Object.freeze([]);

// Could `input` match a pattern whose text starts with `lead` (ASCII; `prefix` is it in lower
// case unless `sensitive`)? The case-insensitive regexp matches ASCII letters in either case
// and every other character only as itself, so a false here means that it cannot match.
// (Built-in string functions: a character loop in JS costs far more in QuickJS.)
function mayStartWith(input, lead, prefix, sensitive) {
  if (input.startsWith(lead)) return true;
  if (sensitive) return false;
  const n = prefix.length;
  return input.length >= n && input.slice(0, n).toLowerCase() === prefix;
}

function stringMatcher(path, opts) {
  const { regexp, keys, lead, prefix, exact, param } = pathToRegexp(path, { end: opts.end, sensitive: opts.sensitive, trailing: !opts.strict });
  const sensitive = Boolean(opts.sensitive);
  const trailing = !opts.strict;
  const hasKeys = keys.length !== 0;
  function matched(m) {
    const params = Object.create(null);
    for (let i = 1; i < m.length; i++) {
      if (m[i] === undefined) continue;
      const key = keys[i - 1];
      params[key.name] = key.type === 'wildcard' ? m[i].split('/').map(decodeParam) : decodeParam(m[i]);
    }
    return [m[0], params, hasKeys ? Object.keys(params) : NO_KEYS];
  }
  if (exact !== undefined) {
    // A plain path: the same text matches at once; only the same length (or one more, for a
    // trailing slash) can match in another case.
    const n = exact.length;
    return function match(input) {
      if (input === exact) return [input, Object.create(null), NO_KEYS];
      const len = input.length;
      if (len !== n && len !== n + 1) return false;
      const m = regexp.exec(input);
      return m ? matched(m) : false;
    };
  }
  if (param !== undefined) {
    // "text:param": after the text as written, the regexp takes one or more characters other
    // than '/' (then maybe a trailing slash), so check just that.
    const n = lead.length;
    const paramKeys = Object.freeze([param]);
    return function match(input) {
      if (!input.startsWith(lead)) {
        if (!mayStartWith(input, lead, prefix, sensitive)) return false;
        const m = regexp.exec(input); // the text in another case
        return m ? matched(m) : false;
      }
      let end = input.length;
      if (trailing && end > n + 1 && input.charCodeAt(end - 1) === 47) end--;
      if (end === n) return false;
      const value = input.slice(n, end);
      if (value.indexOf('/') !== -1) return false;
      const params = Object.create(null);
      params[param] = decodeParam(value);
      return [input, params, paramKeys];
    };
  }
  return function match(input) {
    if (prefix.length !== 0 && !mayStartWith(input, lead, prefix, sensitive)) return false;
    const m = regexp.exec(input);
    return m ? matched(m) : false;
  };
}

function regexpMatcher(re) {
  const keys = [];
  const groupRe = /\((?:\?<(.*?)>)?(?!\?)/g;
  let name = 0, m;
  while ((m = groupRe.exec(re.source))) keys.push(m[1] || name++);
  return function match(p) {
    const found = re.exec(p);
    if (!found) return false;
    const params = {};
    for (let i = 1; i < found.length; i++) {
      const val = decodeParam(found[i]);
      if (val !== undefined) params[keys[i - 1]] = val;
    }
    return [found[0], params, Object.keys(params)];
  };
}

// ---------------------------------------------------------------------------
// Router: Layer, Route, Router (router@2)
// ---------------------------------------------------------------------------

const METHODS = ['acl', 'bind', 'checkout', 'connect', 'copy', 'delete', 'get', 'head', 'link', 'lock',
  'm-search', 'merge', 'mkactivity', 'mkcalendar', 'mkcol', 'move', 'notify', 'options', 'patch', 'post',
  'propfind', 'proppatch', 'purge', 'put', 'query', 'rebind', 'report', 'search', 'source', 'subscribe',
  'trace', 'unbind', 'unlink', 'unlock', 'unsubscribe'];

// Non-strict routing ignores trailing slashes in the declared path.
function loosen(path) {
  if (path instanceof RegExp || path === '/') return path;
  return Array.isArray(path) ? path.map(loosen) : String(path).replace(/\/+$/, '');
}

function Layer(path, options, fn) {
  if (!(this instanceof Layer)) return new Layer(path, options, fn);
  const opts = options || {};
  this.handle = fn;
  this.name = fn.name || '<anonymous>';
  this.rawPath = Array.isArray(path) ? path.flat(Infinity) : path;
  this.slash = path === '/' && opts.end === false;
  const matcher = (p) => (p instanceof RegExp ? regexpMatcher(p) : stringMatcher(opts.strict ? p : loosen(p), opts));
  this.matchers = Array.isArray(this.rawPath) ? this.rawPath.map(matcher) : [matcher(path)];
}

// Run a handler; a thrown error or a rejected promise goes to next (Express 5).
// (Fixed arities rather than an argument array: this runs for every layer of every request.)
function settle(ret, next) {
  if (isPromise(ret)) ret.then(null, (err) => next(err || new Error('Rejected promise')));
}
function invoke4(fn, a, b, c, next) {
  try { settle(fn(a, b, c, next), next); } catch (err) { next(err); }
}
function invokeParam(fn, req, res, next, val, key) {
  try { settle(fn(req, res, next, val, key), next); } catch (err) { next(err); }
}

Layer.prototype.handleError = function handleError(error, req, res, next) {
  if (this.handle.length !== 4) return next(error);
  invoke4(this.handle, error, req, res, next);
};

Layer.prototype.handleRequest = function handleRequest(req, res, next) {
  const fn = this.handle;
  if (fn.length > 3) return next();
  // (as invoke4, inlined: this runs for every layer of every request)
  try {
    const ret = fn(req, res, next);
    if (ret && (typeof ret === 'object' || typeof ret === 'function') && typeof ret.then === 'function') {
      ret.then(null, (err) => next(err || new Error('Rejected promise')));
    }
  } catch (err) {
    next(err);
  }
  return undefined;
};

Layer.prototype.match = function match(path) {
  let m, i = 0;
  if (path != null) {
    if (this.slash) return ['', {}, NO_KEYS];
    const matchers = this.matchers;
    while (!m && i < matchers.length) m = matchers[i++](path);
  }
  return m || false;
};

function Route(path) {
  this.path = path;
  this.stack = [];
  this.methods = Object.create(null);
}

// method.toLowerCase(), remembered for the few method names a server sees.
const lowerMethods = Object.create(null);
let lowerMethodCount = 0;
function lowerMethod(method) {
  if (typeof method !== 'string') return method;
  let lc = lowerMethods[method];
  if (lc === undefined) {
    lc = method.toLowerCase();
    if (lowerMethodCount < 64) { lowerMethods[method] = lc; lowerMethodCount++; }
  }
  return lc;
}

Route.prototype._handlesMethod = function _handlesMethod(method) {
  if (this.methods._all) return true;
  let name = typeof method === 'string' ? lowerMethods[method] : undefined;
  if (name === undefined) name = lowerMethod(method);
  if (name === 'head' && !this.methods.head) name = 'get';
  return Boolean(this.methods[name]);
};

Route.prototype._methods = function _methods() {
  const methods = Object.keys(this.methods).filter((m) => m !== '_all').map((m) => m.toUpperCase());
  if (this.methods.get && !this.methods.head) methods.push('HEAD');
  return methods;
};

Route.prototype.dispatch = function dispatch(req, res, done) {
  const stack = this.stack;
  if (stack.length === 0) return done();
  let method = typeof req.method === 'string' ? lowerMethods[req.method] : undefined;
  if (method === undefined) method = lowerMethod(req.method);
  if (method === 'head' && !this.methods.head) method = 'get';
  req.route = this;
  if (stack.length === 1 && (!stack[0].method || stack[0].method === method)) {
    // One handler (the common case): after it, this route's next(err) would do exactly what
    // the router's `done` does with err (next('route') included), so hand that on as is.
    stack[0].handleRequest(req, res, done);
    return undefined;
  }
  let idx = 0, sync = 0;
  const next = (err) => {
    if (err && err === 'route') return done();
    if (err && err === 'router') return done(err);
    if (idx >= stack.length) return done(err);
    if (++sync > MAX_SYNC_LAYERS) return defer(next, err);
    let layer, match;
    while (match !== true && idx < stack.length) {
      layer = stack[idx++];
      match = !layer.method || layer.method === method;
    }
    if (match !== true) return done(err);
    if (err) layer.handleError(err, req, res, next);
    else layer.handleRequest(req, res, next);
    sync = 0;
    return undefined;
  };
  next();
  return undefined;
};

function addRouteHandlers(route, method, args) {
  const callbacks = Array.prototype.flat.call(args, Infinity);
  if (callbacks.length === 0) throw new TypeError('argument handler is required');
  for (const fn of callbacks) {
    if (typeof fn !== 'function') throw new TypeError('argument handler must be a function');
    const layer = Layer('/', {}, fn);
    layer.method = method;
    if (method) route.methods[method] = true; else route.methods._all = true;
    route.stack.push(layer);
  }
  return route;
}

Route.prototype.all = function all(...handlers) { return addRouteHandlers(this, undefined, handlers); };
for (const m of METHODS) {
  Route.prototype[m] = function (...handlers) { return addRouteHandlers(this, m, handlers); };
}

function Router(options) {
  if (!(this instanceof Router)) return new Router(options);
  const opts = options || {};
  function router(req, res, next) { router.handle(req, res, next); }
  Object.setPrototypeOf(router, Router.prototype);
  router.caseSensitive = opts.caseSensitive;
  router.mergeParams = opts.mergeParams;
  router.params = {};
  router.strict = opts.strict;
  router.stack = [];
  return router;
}
// Routers are functions (so they can be mounted); keep call/apply/bind reachable.
Object.setPrototypeOf(Router.prototype, Function.prototype);

Router.prototype.param = function param(name, fn) {
  if (!name) throw new TypeError('argument name is required');
  if (typeof name !== 'string') throw new TypeError('argument name must be a string');
  if (!fn) throw new TypeError('argument fn is required');
  if (typeof fn !== 'function') throw new TypeError('argument fn must be a function');
  (this.params[name] || (this.params[name] = [])).push(fn);
  return this;
};

Router.prototype.handle = function handle(req, res, callback) {
  if (!callback) throw new TypeError('argument callback is required');
  routerHandle(this, req, res, callback, undefined);
};
const routerHandleMethod = Router.prototype.handle;

// One router.handle() call in progress: its state is an array (QuickJS makes an array far
// faster than an object with as many properties, or a closure capturing as many variables),
// and `next` the only closure. Without a callback, the end of the stack goes to `app`'s final
// handler.
const R_ROUTER = 0, R_REQ = 1, R_RES = 2, R_CALLBACK = 3, R_APP = 4, R_STACK = 5, R_IDX = 6,
  R_METHODS = 7, R_REMOVED = 8, R_SLASH_ADDED = 9, R_SYNC = 10, R_PROTOHOST = 11,
  R_PARAM_CALLED = 12, R_PARENT_PARAMS = 13, R_BASE_URL = 14, R_NEXT = 15, R_SAVED_NEXT = 16;

function routerHandle(router, req, res, callback, app) {
  const url = req.url;
  const d = [
    router, req, res, callback, app, router.stack,
    0, // index of the next layer
    undefined, // OPTIONS: the methods of the matching routes
    '', // mount path removed from req.url
    false, // slash added to req.url
    0, // synchronous next() calls in a row
    typeof url === 'string' && url.charCodeAt(0) === 47 ? '' : getProtohost(url) || '', // ("/..." has none)
    undefined, // app.param() calls (created when a param callback first runs)
    req.params, // restored, with baseUrl and next, when handing back
    req.baseUrl,
    undefined, // next
    req.next,
  ];
  const next = (err) => { routerStep(d, err); };
  d[R_NEXT] = next;
  req.next = next;
  // (remembered on the request, so `release` can break the state <-> next cycle)
  const qs = req[kReq];
  if (qs !== undefined && qs[0] === true) {
    const seen = qs[Q_ROUTERS];
    if (seen === undefined) qs[Q_ROUTERS] = d;
    else if (seen.length !== 0 && Array.isArray(seen[0])) seen.push(d);
    else qs[Q_ROUTERS] = [seen, d];
  }
  // For OPTIONS, answer with the allowed methods if nothing else responds.
  if (req.method === 'OPTIONS') d[R_METHODS] = [];
  req.baseUrl = d[R_BASE_URL] || '';
  req.originalUrl = req.originalUrl || req.url;
  routerStep(d, undefined); // next()
}

function routerStep(d, err) {
  const req = d[R_REQ];
  if (req === undefined) return; // released: the request is over
  let layerError = err === 'route' ? null : err;
  // undo the slash added for mounted middleware, then the stripped mount path
  if (d[R_SLASH_ADDED]) {
    const pathIsRoot = req.url === '/' || req.url.startsWith('/?');
    if (pathIsRoot || (d[R_REMOVED].endsWith('/') && req.url[0] === '/')) req.url = req.url.slice(1);
    d[R_SLASH_ADDED] = false;
  }
  if (d[R_REMOVED].length !== 0) {
    req.baseUrl = d[R_BASE_URL] || '';
    req.url = d[R_PROTOHOST] + d[R_REMOVED] + req.url.slice(d[R_PROTOHOST].length);
    d[R_REMOVED] = '';
  }
  const stack = d[R_STACK];
  if (layerError === 'router') { defer(routerDone, d, null); return; }
  if (d[R_IDX] >= stack.length) { defer(routerDone, d, layerError); return; }
  if (++d[R_SYNC] > MAX_SYNC_LAYERS) { defer(d[R_NEXT], err); return; }
  const qs = req[kReq];
  const parsed = qs !== undefined ? qs[Q_PARSED] : undefined; // (getPathname, when cached)
  const path = parsed !== undefined && parsed[P_RAW] === req.url && parsed[P_RAW] !== undefined ? parsed[P_PATHNAME] : getPathname(req);
  if (path == null) { routerDone(d, layerError); return; }

  let layer, match, route;
  while (!match && d[R_IDX] < stack.length) {
    layer = stack[d[R_IDX]++];
    route = layer.route;
    try {
      // (layer.match, inlined: it runs for every layer of every request)
      if (layer.slash) match = ['', {}, NO_KEYS];
      else {
        const matchers = layer.matchers;
        match = matchers.length === 1 ? matchers[0](path) : layer.match(path);
      }
    } catch (e) {
      layerError = layerError || e;
      match = false;
    }
    if (!match || !route) continue;
    if (layerError) { match = false; continue; }
    const hasMethod = route._handlesMethod(req.method);
    if (!hasMethod && req.method === 'OPTIONS' && d[R_METHODS]) d[R_METHODS].push(...route._methods());
    if (!hasMethod && req.method !== 'HEAD') match = false;
  }
  if (!match) { routerDone(d, layerError); return; }
  if (route) req.route = route;
  const router = d[R_ROUTER];
  req.params = router.mergeParams ? mergeParams(match[M_PARAMS], d[R_PARENT_PARAMS]) : match[M_PARAMS];
  const layerPath = match[M_PATH];
  const keys = match[M_KEYS];
  if (keys.length !== 0 && hasParamCallbacks(router.params, keys)) {
    if (d[R_PARAM_CALLED] === undefined) d[R_PARAM_CALLED] = {};
    processParams(router.params, layer, keys, d[R_PARAM_CALLED], req, d[R_RES], (e) => {
      routerProceed(d, e, layer, route, layerError, layerPath, path);
    });
    return;
  }
  // The common case: no app.param() callback applies, go straight on (routerProceed, with
  // a route layer's handler, handleRequest and dispatch wrapper, inlined).
  const next = d[R_NEXT];
  if (!route) routerTrimPrefix(d, layer, layerError, layerPath, path);
  else if (layer.handle !== layer[kDispatch]) layer.handleRequest(req, d[R_RES], next);
  else {
    try { layer[kRoute].dispatch(req, d[R_RES], next); } catch (e) { next(e); }
  }
  d[R_SYNC] = 0;
}

// The end of the stack (or 'router'): the allowed methods for OPTIONS, else hand back.
function routerDone(d, err) {
  const methods = d[R_METHODS];
  if (methods !== undefined && !err && methods.length !== 0) {
    try { sendOptionsResponse(d[R_RES], methods); } catch (e) { return routerFinish(d, e); }
    return undefined;
  }
  return routerFinish(d, err);
}

// Restore baseUrl, next and params, then call the callback (or the app's final handler).
function routerFinish(d, err) {
  const req = d[R_REQ];
  req.baseUrl = d[R_BASE_URL];
  req.next = d[R_SAVED_NEXT];
  req.params = d[R_PARENT_PARAMS];
  const callback = d[R_CALLBACK];
  if (callback !== undefined) return callback(err);
  return finalCallback(d[R_APP], req, d[R_RES])(err);
}

function routerProceed(d, e, layer, route, layerError, layerPath, path) {
  const next = d[R_NEXT];
  if (e) next(layerError || e);
  else if (route) layer.handleRequest(d[R_REQ], d[R_RES], next);
  else routerTrimPrefix(d, layer, layerError, layerPath, path);
  d[R_SYNC] = 0;
}

function routerTrimPrefix(d, layer, layerError, layerPath, path) {
  const req = d[R_REQ];
  const next = d[R_NEXT];
  if (layerPath.length !== 0) {
    if (layerPath !== path.substring(0, layerPath.length)) { next(layerError); return; }
    const c = path[layerPath.length];
    if (c && c !== '/') { next(layerError); return; }
    // mounted middleware sees the URL relative to its mount point
    const protohost = d[R_PROTOHOST];
    const removed = layerPath;
    d[R_REMOVED] = removed;
    req.url = protohost + req.url.slice(protohost.length + removed.length);
    if (!protohost && req.url[0] !== '/') { req.url = '/' + req.url; d[R_SLASH_ADDED] = true; }
    req.baseUrl = (d[R_BASE_URL] || '') + (removed[removed.length - 1] === '/' ? removed.slice(0, -1) : removed);
  }
  if (layerError) layer.handleError(layerError, req, d[R_RES], next);
  else layer.handleRequest(req, d[R_RES], next);
}

// Whether processParams would run any app.param() callback for these keys.
function hasParamCallbacks(params, keys) {
  if (!keys || keys.length === 0) return false;
  if (keys.length === 1) return Boolean(params[keys[0]]);
  for (let i = 0; i < keys.length; i++) if (params[keys[i]]) return true;
  return false;
}

Router.prototype.use = function use(handler, ...rest) {
  let offset = 0, path = '/';
  const all = [handler, ...rest];
  if (typeof handler !== 'function') {
    let arg = handler;
    while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
    if (typeof arg !== 'function') { offset = 1; path = handler; }
  }
  const callbacks = all.slice(offset).flat(Infinity);
  if (callbacks.length === 0) throw new TypeError('argument handler is required');
  for (const fn of callbacks) {
    if (typeof fn !== 'function') throw new TypeError('argument handler must be a function');
    const layer = new Layer(path, { sensitive: this.caseSensitive, strict: false, end: false }, fn);
    layer.route = undefined;
    this.stack.push(layer);
  }
  return this;
};

// A route's layer: its handler (to call it directly while it is unchanged) and route.
const kDispatch = Symbol('dispatch');
const kRoute = Symbol('route');

Router.prototype.route = function route(path) {
  const r = new Route(path);
  const layer = new Layer(path, { sensitive: this.caseSensitive, strict: this.strict, end: true }, function handle(req, res, next) {
    r.dispatch(req, res, next);
  });
  layer[kDispatch] = layer.handle;
  layer[kRoute] = r;
  layer.route = r;
  this.stack.push(layer);
  return r;
};

for (const m of METHODS.concat('all')) {
  Router.prototype[m] = function (path, ...handlers) {
    const r = this.route(path);
    r[m](...handlers);
    return this;
  };
}

function getPathname(req) {
  try { return parseUrl(req)[P_PATHNAME]; } catch (e) { return undefined; }
}

function getProtohost(url) {
  if (typeof url !== 'string' || url.length === 0 || url[0] === '/') return undefined;
  const q = url.indexOf('?');
  const pathLength = q !== -1 ? q : url.length;
  const fqdn = url.substring(0, pathLength).indexOf('://');
  return fqdn !== -1 ? url.substring(0, url.indexOf('/', 3 + fqdn)) : undefined;
}

// mergeParams: parent params first, child wins; numeric (regexp) params are shifted.
function mergeParams(params, parent) {
  if (typeof parent !== 'object' || !parent) return params;
  const obj = Object.assign({}, parent);
  if (!(0 in params) || !(0 in parent)) return Object.assign(obj, params);
  let i = 0, o = 0;
  while (i in params) i++;
  while (o in parent) o++;
  for (i--; i >= 0; i--) {
    params[i + o] = params[i];
    if (i < o) delete params[i];
  }
  return Object.assign(obj, params);
}

// app.param()/router.param() callbacks: once per param value per request.
function processParams(params, layer, keys, called, req, res, done) {
  if (!keys || keys.length === 0) return done();
  let i = 0, paramIndex = 0, key, paramVal, paramCallbacks, paramCalled;
  function param(err) {
    if (err) return done(err);
    if (i >= keys.length) return done();
    paramIndex = 0;
    key = keys[i++];
    paramVal = req.params[key];
    paramCallbacks = params[key];
    paramCalled = called[key];
    if (paramVal === undefined || !paramCallbacks) return param();
    if (paramCalled && (paramCalled.match === paramVal || (paramCalled.error && paramCalled.error !== 'route'))) {
      req.params[key] = paramCalled.value;
      return param(paramCalled.error);
    }
    called[key] = paramCalled = { error: null, match: paramVal, value: paramVal };
    paramCallback();
  }
  function paramCallback(err) {
    const fn = paramCallbacks[paramIndex++];
    paramCalled.value = req.params[key];
    if (err) { paramCalled.error = err; param(err); return; }
    if (!fn) return param();
    invokeParam(fn, req, res, paramCallback, paramVal, key);
  }
  param();
}

function sendOptionsResponse(res, methods) {
  const allow = [...new Set(methods)].sort().join(', ');
  res.setHeader('Allow', allow);
  res.setHeader('Content-Length', byteLength(allow));
  res.setHeader('Content-Type', 'text/plain');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(allow);
}

// ---------------------------------------------------------------------------
// Node-like request/response bases (what http.IncomingMessage/ServerResponse give)
// ---------------------------------------------------------------------------

const kRes = Symbol('res');

const IncomingMessage = Object.create(Emitter);

// The body is already complete in memory. It is handed out once, to whichever reader
// comes first: a body parser, a 'data' listener, or async iteration.
IncomingMessage._takeBody = function () {
  const st = reqState(this);
  if (st[Q_BODY_READ]) return EMPTY;
  st[Q_BODY_READ] = true;
  return st[Q_BODY] || EMPTY;
};
// A body chunk as a stream reader gets it: text with setEncoding, else a Node Buffer (node:buffer
// is made on the first streamed read, so apps that never stream the body do not load it).
function bodyChunk(req, body) { return req._encoding ? decodeCharset(body, req._encoding) : asBuffer(body); }
function asBuffer(bytes) {
  return require('buffer').Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
IncomingMessage._flow = function () {
  if (this._flowing || reqState(this)[Q_BODY_READ]) return;
  this._flowing = true;
  defer(() => {
    // a 'readable' reader (and no 'data' one) is told once, and takes the body with read()
    if (this.listenerCount('data') === 0 && this.listenerCount('readable') > 0) this.emit('readable');
    const body = this._takeBody();
    if (body.length) this.emit('data', bodyChunk(this, body));
    this.emit('end');
    this.emit('close');
  });
};
IncomingMessage._onListen = function (name) {
  if (name === 'data' || name === 'readable') this._flow();
};
IncomingMessage.resume = function () { this._flow(); return this; };
IncomingMessage.pause = function () { return this; };
IncomingMessage.read = function () { return reqState(this)[Q_BODY_READ] ? null : bodyChunk(this, this._takeBody()); };
// req.pipe(dest[, { end }]), as Readable's: the body is written to dest, then dest.end().
IncomingMessage.pipe = function (dest, options) {
  this.on('data', (chunk) => { dest.write(chunk); });
  if (!options || options.end !== false) this.once('end', () => { dest.end(); });
  if (typeof dest.emit === 'function') dest.emit('pipe', this);
  return dest;
};
IncomingMessage.setEncoding = function (enc) { this._encoding = enc; return this; };
IncomingMessage.unpipe = function () { return this; };
IncomingMessage.setTimeout = function () { return this; };
IncomingMessage.destroy = function () { return this; };
IncomingMessage[Symbol.asyncIterator] = async function* () {
  const body = this._takeBody();
  if (body.length) yield bodyChunk(this, body);
};
Object.defineProperty(IncomingMessage, 'complete', { get() { return true; }, configurable: true });
Object.defineProperty(IncomingMessage, 'readableEnded', { get() { const st = this[kReq]; return !!(st && st[Q_BODY_READ]); }, configurable: true });

function headersSentError() {
  const e = new Error('Cannot set headers after they are sent to the client');
  e.code = 'ERR_HTTP_HEADERS_SENT';
  return e;
}

// Lower-case forms of valid header names, remembered (a server sees few distinct names).
const headerKeys = new Map();
const INVALID_HEADER_CHAR_RE = /[^\t\x20-\x7e\x80-\xff]/;

// Validates a header (as Node's setHeader does) and returns the lower-case name.
function checkHeader(name, value) {
  let key = typeof name === 'string' ? headerKeys.get(name) : undefined;
  if (key === undefined) {
    if (typeof name !== 'string' || !TOKEN_RE.test(name)) {
      const e = new TypeError('Header name must be a valid HTTP token ["' + name + '"]');
      e.code = 'ERR_INVALID_HTTP_TOKEN';
      throw e;
    }
    key = name.toLowerCase();
    if (headerKeys.size < 1024) headerKeys.set(name, key);
  }
  if (value === undefined) {
    const e = new TypeError('Invalid value "undefined" for header "' + name + '"');
    e.code = 'ERR_HTTP_INVALID_HEADER_VALUE';
    throw e;
  }
  if (Array.isArray(value)) {
    for (const v of value) checkHeaderValue(name, v);
  } else if (typeof value !== 'number') {
    checkHeaderValue(name, value);
  }
  return key;
}
// Header values already checked (most repeat: types, lengths, cache policies), remembered.
const validHeaderValues = new Set();
function checkHeaderValue(name, v) {
  if (typeof v === 'string' && validHeaderValues.has(v)) return;
  const str = String(v);
  if (INVALID_HEADER_CHAR_RE.test(str)) {
    const e = new TypeError('Invalid character in header content ["' + name + '"]');
    e.code = 'ERR_INVALID_CHAR';
    throw e;
  }
  if (typeof v === 'string' && validHeaderValues.size < 1024) validHeaderValues.add(v);
}

const ServerResponse = Object.create(Emitter);

// res[kRes], the response state, is an array (see routerHandle): the headers (a Map of
// lower-case name -> [name, value]), the body chunks written (or null), whether the headers are
// sent, and whether explicitly (writeHead/write: no implicit Content-Length), whether it ended,
// the rawRes once ended, and the resolve function when __serve had to return a promise.
const S_HEADERS = 0, S_CHUNKS = 1, S_SENT = 2, S_EXPLICIT = 3, S_FINISHED = 4, S_RESULT = 5, S_RESOLVE = 6;

ServerResponse.setHeader = function (name, value) {
  const st = this[kRes];
  if (st[S_SENT]) throw headersSentError();
  st[S_HEADERS].set(checkHeader(name, value), [name, value]);
  return this;
};
ServerResponse.appendHeader = function (name, value) {
  const prev = this.getHeader(name);
  if (prev === undefined) return this.setHeader(name, value);
  return this.setHeader(name, [].concat(prev, value));
};
// String(name).toLowerCase(), from the cache when the name was set before.
function headerKey(name) {
  const key = typeof name === 'string' ? headerKeys.get(name) : undefined;
  return key !== undefined ? key : String(name).toLowerCase();
}
ServerResponse.getHeader = function (name) {
  const h = this[kRes][S_HEADERS].get(headerKey(name));
  return h ? h[1] : undefined;
};
ServerResponse.getHeaders = function () {
  const out = Object.create(null);
  for (const [k, [, v]] of this[kRes][S_HEADERS]) out[k] = v;
  return out;
};
ServerResponse.getHeaderNames = function () { return [...this[kRes][S_HEADERS].keys()]; };
ServerResponse.hasHeader = function (name) { return this[kRes][S_HEADERS].has(headerKey(name)); };
ServerResponse.removeHeader = function (name) {
  const st = this[kRes];
  if (st[S_SENT]) throw headersSentError();
  st[S_HEADERS].delete(headerKey(name));
};
ServerResponse.writeHead = function (statusCode, reason, headers) {
  const st = this[kRes];
  if (st[S_SENT]) throw headersSentError();
  if (typeof reason !== 'string') { headers = reason; reason = undefined; }
  this.statusCode = statusCode;
  if (reason !== undefined) this.statusMessage = reason;
  if (Array.isArray(headers)) {
    if (headers.length && Array.isArray(headers[0])) for (const [k, v] of headers) this.appendHeader(k, v);
    else for (let i = 0; i + 1 < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
  } else if (headers) {
    for (const k of Object.keys(headers)) if (headers[k] !== undefined) this.setHeader(k, headers[k]);
  }
  st[S_SENT] = true; // as in Node: framing is decided now, no implicit Content-Length
  if (!implicitHead) st[S_EXPLICIT] = true;
  return this;
};
// Node's write()/end() send the head through `this.writeHead(this.statusCode)`
// (_implicitHeader), so a wrapped writeHead (on-headers: express-session's Set-Cookie,
// response-time) runs as the head goes out. HBF calls it only when writeHead was replaced;
// the Content-Length stays implicit then.
let implicitHead = false;
ServerResponse._implicitHeader = function () {
  implicitHead = true;
  try { this.writeHead(this.statusCode); } finally { implicitHead = false; }
};
function headHook(res, st) {
  if (!st[S_SENT] && res.writeHead !== ServerResponse.writeHead) res._implicitHeader();
}
ServerResponse.write = function (chunk, encoding, cb) {
  const st = this[kRes];
  if (st[S_FINISHED]) return false;
  if (typeof encoding === 'function') { cb = encoding; encoding = undefined; }
  headHook(this, st);
  st[S_SENT] = true;
  st[S_EXPLICIT] = true;
  if (chunk != null) (st[S_CHUNKS] || (st[S_CHUNKS] = [])).push(toBytes(chunk, encoding));
  if (typeof cb === 'function') defer(cb);
  return true;
};
// Text the host may take as it is (it encodes strings as UTF-8, as toBytes would: see the
// header). Measuring and encoding text there costs far less than in JS.
const isUtf8Text = (chunk, encoding) =>
  typeof chunk === 'string' && (!encoding || encoding === 'utf8' || encoding === 'utf-8');
// 'finish' and 'close' come in a microtask after end(), as Node emits them asynchronously.
// Ended responses wait here as [res, cb, ...]: one job for all, and no closure per response.
let finishing = [];
function flushFinishing() {
  const list = finishing;
  finishing = [];
  for (let i = 0; i < list.length; i += 2) finishResponse(list[i], list[i + 1]);
}
function finishResponse(res, cb) {
  try {
    if (res._events !== undefined || res.emit !== Emitter.emit) { // (else nobody listens)
      res.emit('finish');
      res.emit('close');
    }
    if (typeof cb === 'function') cb();
  } catch (err) {
    logError(err);
  }
}
ServerResponse.end = function (chunk, encoding, cb) {
  if (typeof chunk === 'function') { cb = chunk; chunk = undefined; }
  if (typeof encoding === 'function') { cb = encoding; encoding = undefined; }
  return endResponse(this, chunk, encoding, cb, -1);
};
// end(); `textLength`: the UTF-8 length of chunk when res.send() knows it is text, else -1.
function endResponse(res, chunk, encoding, cb, textLength) {
  const st = res[kRes];
  if (st[S_FINISHED]) { if (typeof cb === 'function') defer(cb); return res; }
  headHook(res, st);
  const status = res.statusCode;
  if (typeof status !== 'number' || status % 1 !== 0 || status < 100 || status > 999) { // (!isInteger)
    // Node throws here too; from a handler this becomes next(err) and a 500
    const e = new RangeError('Invalid status code: ' + status);
    e.code = 'ERR_HTTP_INVALID_STATUS_CODE';
    throw e;
  }
  let body;
  let text = false; // body is a string, for the host to encode
  if (st[S_CHUNKS] === null && (textLength >= 0 || (typeof chunk === 'string' && isUtf8Text(chunk, encoding)))) {
    body = chunk;
    text = true;
  } else {
    if (chunk != null) (st[S_CHUNKS] || (st[S_CHUNKS] = [])).push(toBytes(chunk, encoding));
    body = st[S_CHUNKS] === null ? EMPTY : concatBytes(st[S_CHUNKS]);
  }
  const req = res.req;
  // Node sends no body for HEAD, 204, 304 and 1xx, and only then adds Content-Length itself
  const bodyAllowed = !(req && req.method === 'HEAD') && status !== 204 && status !== 304 && !(status >= 100 && status < 200);
  if (!st[S_EXPLICIT] && bodyAllowed && !st[S_HEADERS].has('content-length') && !st[S_HEADERS].has('transfer-encoding')) {
    const len = !text ? body.length : textLength >= 0 ? textLength : host.utf8Length(body);
    st[S_HEADERS].set('content-length', ['Content-Length', len]);
  }
  st[S_SENT] = true;
  st[S_FINISHED] = true;
  const headers = [];
  for (const h of st[S_HEADERS].values()) {
    const name = h[0], value = h[1];
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) headers.push(name, String(value[i]));
    else headers.push(name, String(value));
  }
  const raw = [status, headers, bodyAllowed ? body : EMPTY]; // rawRes
  st[S_RESULT] = raw;
  if (st[S_RESOLVE] !== undefined) st[S_RESOLVE](raw);
  if (finishing.length === 0) enqueueJob(flushFinishing);
  finishing.push(res, cb);
  return res;
}
ServerResponse.flushHeaders = function () { this[kRes][S_SENT] = true; this[kRes][S_EXPLICIT] = true; };
ServerResponse.setTimeout = function () { return this; };
ServerResponse.cork = ServerResponse.uncork = function () {};
for (const [name, get] of Object.entries({
  headersSent() { return this[kRes][S_SENT]; },
  // Node's head text once sent, else null; packages test it for "headers sent"
  _header() { return this[kRes][S_SENT] ? 'HTTP/1.1' : null; },
  finished() { return this[kRes][S_FINISHED]; },
  writableEnded() { return this[kRes][S_FINISHED]; },
  writableFinished() { return this[kRes][S_FINISHED]; },
})) Object.defineProperty(ServerResponse, name, { get, configurable: true });

// ---------------------------------------------------------------------------
// express.request
// ---------------------------------------------------------------------------

const request = Object.create(IncomingMessage);

function defineGetter(obj, name, get, set) {
  Object.defineProperty(obj, name, { configurable: true, enumerable: true, get, set });
}

request.get = request.header = function header(name) {
  if (!name) throw new TypeError('name argument is required to req.get');
  if (typeof name !== 'string') throw new TypeError('name must be a string to req.get');
  const lc = name.toLowerCase();
  if (lc === 'referer' || lc === 'referrer') return this.headers.referrer || this.headers.referer;
  return this.headers[lc];
};

request.accepts = function (...types) {
  const list = flatArgs(types);
  if (list.length === 0) return preferredMediaTypes(this.headers.accept);
  if (!this.headers.accept) return list[0];
  const mimes = list.map((t) => (t.indexOf('/') === -1 ? mimeLookup(t) : t));
  const first = preferredMediaTypes(this.headers.accept, mimes.filter((m) => typeof m === 'string'))[0];
  return first ? list[mimes.indexOf(first)] : false;
};
request.acceptsEncodings = function (...encodings) {
  const list = flatArgs(encodings);
  const all = preferredTokens(this.headers['accept-encoding'] || '', list.length ? list : undefined, true);
  return list.length ? all[0] || false : all;
};
request.acceptsCharsets = function (...charsets) {
  const list = flatArgs(charsets);
  const h = this.headers['accept-charset'];
  const all = preferredTokens(h === undefined ? '*' : h || '', list.length ? list : undefined, false);
  return list.length ? all[0] || false : all;
};
request.acceptsLanguages = function (...langs) {
  const list = flatArgs(langs);
  const all = preferredLanguages(this.headers['accept-language'], list.length ? list : undefined);
  return list.length ? all[0] || false : all;
};

// range-parser: parse the Range header against a resource size.
request.range = function range(size, options) {
  const str = this.get('Range');
  if (!str) return undefined;
  const eq = str.indexOf('=');
  if (eq === -1) return -2;
  const ranges = [];
  ranges.type = str.slice(0, eq);
  for (const part of str.slice(eq + 1).split(',')) {
    const [a, b] = part.split('-');
    let start = parseInt(a, 10), end = parseInt(b, 10);
    if (isNaN(start)) { start = size - end; end = size - 1; }
    else if (isNaN(end)) end = size - 1;
    if (end > size - 1) end = size - 1;
    if (isNaN(start) || isNaN(end) || start > end || start < 0) continue;
    ranges.push({ start, end });
  }
  if (ranges.length < 1) return -1;
  if (options && options.combine) {
    const ordered = ranges.map((r, index) => ({ ...r, index })).sort((x, y) => x.start - y.start);
    const merged = [];
    for (const r of ordered) {
      const last = merged[merged.length - 1];
      if (last && r.start <= last.end + 1) { last.end = Math.max(last.end, r.end); last.index = Math.min(last.index, r.index); }
      else merged.push(r);
    }
    const out = merged.sort((x, y) => x.index - y.index).map(({ start, end }) => ({ start, end }));
    out.type = ranges.type;
    return out;
  }
  return ranges;
};

request.is = function is(...types) {
  return typeOfRequest(this, flatArgs(types));
};

defineGetter(request, 'query', function query() {
  const parse = setting(this.app, 'query parser fn');
  if (!parse) return Object.create(null);
  return parse(parseUrl(this)[P_QUERY]);
});
// (the peer as the host saw it, from the request state when the host made it)
const hostState = (req) => { const st = req[kReq]; return st !== undefined && st[Q_HOST] ? st : undefined; };
// The connection as HBF saw it (after --trust_proxy): remoteAddress, encrypted, Host.
const peerAddr = (req) => { const raw = hostState(req); return raw ? raw[Q_IP] : req.socket && req.socket.remoteAddress; };
const trustFn = (req) => (req.app && setting(req.app, 'trust proxy fn')) || trustNone;
// X-Forwarded-For entries nearest first, less those HBF's --trust_proxy already used.
function forwardedFor(req) {
  const raw = hostState(req);
  if (raw && Array.isArray(raw[Q_IPS])) return raw[Q_IPS].slice().reverse();
  const h = req.headers['x-forwarded-for'];
  return h ? proxyAddrLib().parseForwarded(String(h)) : [];
}
function addrChain(req, trust) {
  return proxyAddrLib().addresses(peerAddr(req), forwardedFor(req), trust);
}
defineGetter(request, 'protocol', function protocol() {
  const raw = hostState(this);
  const proto = (raw && raw[Q_PROTOCOL]) || (this.socket && this.socket.encrypted ? 'https' : 'http');
  const trust = trustFn(this);
  if (trust === trustNone || !trust(peerAddr(this), 0)) return proto;
  const header = this.get('X-Forwarded-Proto') || proto;
  const i = header.indexOf(',');
  return i !== -1 ? header.substring(0, i).trim() : header.trim();
});
defineGetter(request, 'secure', function secure() { return this.protocol === 'https'; });
defineGetter(request, 'ip', function ip() {
  const trust = trustFn(this);
  if (trust === trustNone) return peerAddr(this);
  const addrs = addrChain(this, trust);
  return addrs[addrs.length - 1];
});
defineGetter(request, 'ips', function ips() {
  const trust = trustFn(this);
  if (trust === trustNone) return [];
  const addrs = addrChain(this, trust);
  addrs.reverse().pop();
  return addrs;
});
defineGetter(request, 'subdomains', function subdomains() {
  const hostname = this.hostname;
  if (!hostname) return [];
  const offset = this.app.get('subdomain offset');
  const isIP = /^(\d{1,3}\.){3}\d{1,3}$/.test(hostname) || hostname.indexOf(':') !== -1;
  return (isIP ? [hostname] : hostname.split('.').reverse()).slice(offset);
});
defineGetter(request, 'path', function path() { return parseUrl(this)[P_PATHNAME]; });
defineGetter(request, 'host', function host_() { return this.get('Host') || undefined; });
defineGetter(request, 'hostname', function hostname() {
  const trust = trustFn(this);
  let h = trust !== trustNone && trust(peerAddr(this), 0) ? this.get('X-Forwarded-Host') : undefined;
  if (h && h.indexOf(',') !== -1) h = h.substring(0, h.indexOf(',')).trimEnd();
  if (!h) {
    const raw = hostState(this);
    if (raw && typeof raw[Q_HOSTNAME] === 'string' && raw[Q_HOSTNAME]) return raw[Q_HOSTNAME];
    h = this.host;
  }
  if (!h) return undefined;
  const offset = h[0] === '[' ? h.indexOf(']') + 1 : 0;
  const i = h.indexOf(':', offset);
  return i !== -1 ? h.substring(0, i) : h;
});
defineGetter(request, 'fresh', function () {
  const method = this.method;
  const res = this.res;
  const status = res.statusCode;
  if (method !== 'GET' && method !== 'HEAD' && method !== 'QUERY') return false;
  if ((status >= 200 && status < 300) || status === 304) {
    const headers = this.headers;
    // not a conditional request: never fresh (what fresh() answers first)
    if (!headers['if-modified-since'] && !headers['if-none-match']) return false;
    return fresh(headers, { etag: res.get('ETag'), 'last-modified': res.get('Last-Modified') });
  }
  return false;
});
defineGetter(request, 'stale', function stale() { return !this.fresh; });
defineGetter(request, 'xhr', function xhr() {
  return String(this.get('X-Requested-With') || '').toLowerCase() === 'xmlhttprequest';
});
// cookie-parser built in: parsed lazily, assignable like a plain property.
defineGetter(request, 'cookies', function cookies() {
  const st = reqState(this);
  if (st[Q_COOKIES] === undefined) {
    const header = this.headers.cookie;
    st[Q_COOKIES] = header ? jsonCookies(parseCookies(String(header))) : Object.create(null);
  }
  return st[Q_COOKIES];
}, function (v) { reqState(this)[Q_COOKIES] = v; });
defineGetter(request, 'signedCookies', function signedCookies() {
  if (this._signedCookies === undefined) this._signedCookies = Object.create(null);
  return this._signedCookies;
}, function (v) { this._signedCookies = v; });

// ---------------------------------------------------------------------------
// express.response
// ---------------------------------------------------------------------------

// res.locals, an empty null-prototype object made when first read (most requests never do);
// shared by every app the response passes through, as Express's `if (!res.locals)` does.
Object.defineProperty(ServerResponse, 'locals', {
  configurable: true,
  enumerable: false,
  get() {
    if (this === ServerResponse || !hasOwn(this, kRes)) return undefined;
    const locals = Object.create(null);
    Object.defineProperty(this, 'locals', { configurable: true, enumerable: true, writable: true, value: locals });
    return locals;
  },
  set(v) { Object.defineProperty(this, 'locals', { configurable: true, enumerable: true, writable: true, value: v }); },
});

const response = Object.create(ServerResponse);

response.status = function status(code) {
  if (!Number.isInteger(code)) throw new TypeError('Invalid status code: ' + JSON.stringify(code) + '. Status code must be an integer.');
  if (code < 100 || code > 999) throw new RangeError('Invalid status code: ' + JSON.stringify(code) + '. Status code must be greater than 99 and less than 1000.');
  this.statusCode = code;
  return this;
};

response.links = function links(obj) {
  let link = this.get('Link') || '';
  if (link) link += ', ';
  return this.set('Link', link + Object.keys(obj).map((rel) =>
    (Array.isArray(obj[rel]) ? obj[rel] : [obj[rel]]).map((l) => '<' + l + '>; rel="' + rel + '"').join(', ')).join(', '));
};

// Whether res has HBF's own header methods, so that res.send() and res.json() may work on its
// header map directly: the same effect as their calls through res.get/set/type/getHeader/
// setHeader, minus a dozen calls per response.
function plainHeaders(res) {
  return res.setHeader === ServerResponse.setHeader && res.getHeader === ServerResponse.getHeader &&
    res.set === builtinSet && res.get === builtinGet && res.type === builtinType;
}

response.send = function send(body) {
  let chunk = body;
  let encoding;
  const req = this.req;
  const app = this.app;
  const st = this[kRes];
  // With plainHeaders, the header map directly (res.getHeader and res.setHeader, given the
  // lower-case name and a value known to be valid).
  const headers = plainHeaders(this) ? st[S_HEADERS] : undefined;
  switch (typeof chunk) {
    case 'string': {
      encoding = 'utf8';
      let type;
      if (headers) { const h = headers.get('content-type'); type = h ? h[1] : undefined; }
      else type = this.get('Content-Type');
      // (setCharset's and mimeContentType's answers are valid headers, which res.set keeps)
      const ct = typeof type === 'string' ? setCharset(type, 'utf-8') : undefined;
      if (!headers) {
        if (ct !== undefined) setField(this, 'Content-Type', ct);
        else this.type('html');
      } else {
        if (st[S_SENT]) throw headersSentError();
        headers.set('content-type', ['Content-Type', ct !== undefined ? ct : mimeContentType('html')]);
      }
      break;
    }
    case 'boolean': case 'number': case 'object':
      if (chunk === null) chunk = '';
      else if (ArrayBuffer.isView(chunk)) { if (!this.get('Content-Type')) this.type('bin'); }
      else return this.json(chunk);
      break;
  }
  const etagFn = app.settings['etag fn']; // (app.get(), as setting() does)
  const generateETag = !(headers ? headers.get('etag') : this.get('ETag')) && typeof etagFn === 'function';
  const builtinETag = etagFn === weakETag || etagFn === strongETag;
  let len;
  let text = false;
  if (chunk !== undefined) {
    // Text stays a string when only HBF's own end() and ETag functions see it (they and the
    // host take it as it is); others get bytes, as Express gives them a Buffer.
    if (typeof chunk === 'string' && this.end === ServerResponse.end && (!generateETag || builtinETag) &&
        (!encoding || encoding === 'utf8')) {
      text = true;
      len = host.utf8Length(chunk);
    } else {
      chunk = toBytes(chunk, encoding);
      len = chunk.length;
    }
    encoding = undefined;
    if (!headers) {
      if (!this.get('Transfer-Encoding')) setField(this, 'Content-Length', len);
    } else if (!headers.get('transfer-encoding')) {
      if (st[S_SENT]) throw headersSentError();
      headers.set('content-length', ['Content-Length', String(len)]);
    }
  }
  if (generateETag && len !== undefined) {
    if (builtinETag) {
      const etag = (etagFn === weakETag ? 'W/' : '') + entityTag(chunk, len);
      if (!headers) setField(this, 'ETag', etag);
      else {
        if (st[S_SENT]) throw headersSentError();
        headers.set('etag', ['ETag', etag]);
      }
    } else {
      const etag = etagFn(chunk, encoding);
      if (etag) setField(this, 'ETag', etag);
    }
  }
  if (req.fresh) this.status(304);
  if (this.statusCode === 204 || this.statusCode === 304) {
    this.removeHeader('Content-Type');
    this.removeHeader('Content-Length');
    this.removeHeader('Transfer-Encoding');
    chunk = '';
  }
  if (this.statusCode === 205) {
    setField(this, 'Content-Length', '0');
    this.removeHeader('Transfer-Encoding');
    chunk = '';
  }
  if (req.method === 'HEAD') this.end();
  else if (text) endResponse(this, chunk, undefined, undefined, chunk === '' ? 0 : len);
  else this.end(chunk, encoding);
  return this;
};

function stringify(value, replacer, spaces, escape) {
  let json;
  if (replacer || spaces) json = JSON.stringify(value, replacer, spaces);
  else {
    json = host.jsonText(value); // (plain data, much faster than the engine's JSON.stringify)
    if (json === undefined) json = JSON.stringify(value);
  }
  if (escape && typeof json === 'string') {
    json = json.replace(/[<>&]/g, (c) => ({ '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' })[c]);
  }
  return json;
}

response.json = function json(obj) {
  const settings = this.app.settings; // (app.get(), as setting() does)
  const body = stringify(obj, settings['json replacer'], settings['json spaces'], settings['json escape']);
  if (plainHeaders(this)) {
    const st = this[kRes];
    const h = st[S_HEADERS].get('content-type');
    if (!(h && h[1])) { // (res.get('Content-Type'), then res.set('Content-Type', 'application/json'))
      if (st[S_SENT]) throw headersSentError();
      st[S_HEADERS].set('content-type', ['Content-Type', mimeContentType('application/json')]);
    }
  } else if (!this.get('Content-Type')) {
    setField(this, 'Content-Type', 'application/json');
  }
  return this.send(body);
};

response.jsonp = function jsonp(obj) {
  const app = this.app;
  let body = stringify(obj, app.get('json replacer'), app.get('json spaces'), app.get('json escape'));
  let callback = this.req.query[app.get('jsonp callback name')];
  if (!this.get('Content-Type')) {
    this.set('X-Content-Type-Options', 'nosniff');
    this.set('Content-Type', 'application/json');
  }
  if (Array.isArray(callback)) callback = callback[0];
  if (typeof callback === 'string' && callback.length !== 0) {
    this.set('X-Content-Type-Options', 'nosniff');
    this.set('Content-Type', 'text/javascript');
    callback = callback.replace(/[^[\]\w$.]/g, '');
    if (body === undefined) body = '';
    else if (typeof body === 'string') body = body.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    // the /**/ guards against "Rosetta Flash" JSONP abuse
    body = '/**/ typeof ' + callback + " === 'function' && " + callback + '(' + body + ');';
  }
  return this.send(body);
};

response.sendStatus = function sendStatus(statusCode) {
  const body = STATUS_CODES[statusCode] || String(statusCode);
  this.status(statusCode);
  this.type('txt');
  return this.send(body);
};

// Files come from the henv's assets through the host (no filesystem in the sandbox).
response.sendFile = function sendFile(path, options, callback) {
  let done = callback;
  let opts = options || {};
  const req = this.req;
  const next = req.next;
  if (!path) throw new TypeError('path argument is required to res.sendFile');
  if (typeof path !== 'string') throw new TypeError('path must be a string to res.sendFile');
  if (typeof options === 'function') { done = options; opts = {}; }
  if (!opts.root && path[0] !== '/') throw new TypeError('path must be absolute or specify root to res.sendFile');
  const finish = (err) => {
    if (done) return done(err);
    if (err) next(err);
  };
  serveAsset(this, opts.root || '/', encodeURI(path[0] === '/' ? path : '/' + path), opts).then((ok) => {
    if (!ok) {
      const err = createError(404, 'ENOENT: no such file or directory', { code: 'ENOENT', path });
      finish(err);
    } else finish();
  }, finish);
};

response.download = function download(path, filename, options, callback) {
  let done = callback, name = filename, opts = options || null;
  if (typeof filename === 'function') { done = filename; name = null; opts = null; }
  else if (typeof options === 'function') { done = options; opts = null; }
  if (typeof filename === 'object' && (typeof options === 'function' || options === undefined)) { name = null; opts = filename; }
  const headers = { 'Content-Disposition': contentDisposition(basename(name || path)) };
  if (opts && opts.headers) {
    for (const k of Object.keys(opts.headers)) if (k.toLowerCase() !== 'content-disposition') headers[k] = opts.headers[k];
  }
  opts = Object.assign(Object.create(opts), { headers });
  return this.sendFile(opts.root ? path : (path[0] === '/' ? path : '/' + path), opts, done);
};

response.contentType = response.type = function contentType(type) {
  const ct = type.indexOf('/') === -1 ? mimeContentType(type) || 'application/octet-stream' : type;
  return setField(this, 'Content-Type', ct);
};
const builtinType = response.type;

response.format = function format(obj) {
  const req = this.req;
  const next = req.next;
  const keys = Object.keys(obj).filter((v) => v !== 'default');
  const key = keys.length > 0 ? req.accepts(keys) : false;
  this.vary('Accept');
  if (key) {
    this.set('Content-Type', normalizeType(key).value);
    obj[key](req, this, next);
  } else if (obj.default) {
    obj.default(req, this, next);
  } else {
    next(createError(406, undefined, { types: keys.map((k) => normalizeType(k).value) }));
  }
  return this;
};

// express' utils.normalizeType: "json" -> application/json; "text/html;q=.5" -> text/html
function normalizeType(type) {
  if (type.indexOf('/') === -1) return { value: mimeLookup(type) || 'application/octet-stream', params: {} };
  const semi = type.indexOf(';');
  return { value: (semi === -1 ? type : type.slice(0, semi)).trim(), params: {} };
}

response.attachment = function attachment(filename) {
  const name = filename !== undefined ? basename(filename) : undefined;
  if (name) this.type(extname(name));
  this.set('Content-Disposition', contentDisposition(name));
  return this;
};

response.append = function append(field, val) {
  const prev = this.get(field);
  let value = val;
  if (prev) {
    value = Array.isArray(prev) ? prev.concat(val) : Array.isArray(val) ? [prev].concat(val) : [prev, val];
  }
  return this.set(field, value);
};

response.set = response.header = function header(field, val) {
  if (arguments.length === 2) return setFieldValue(this, field, val);
  for (const key in field) this.set(key, field[key]);
  return this;
};
const builtinSet = response.set;

// res.set(field, value) for HBF's own calls: the public res.set needs an arguments object
// (its one-argument form), so call the implementation directly unless res.set was replaced.
function setField(res, field, val) {
  return res.set === builtinSet ? setFieldValue(res, field, val) : res.set(field, val);
}
function setFieldValue(res, field, val) {
  let value = Array.isArray(val) ? val.map(String) : String(val);
  if ((typeof field === 'string' ? headerKey(field) : field.toLowerCase()) === 'content-type') {
    if (Array.isArray(value)) throw new TypeError('Content-Type cannot be set to an Array');
    value = mimeContentType(value);
  }
  res.setHeader(field, value);
  return res;
}

response.get = function get(field) { return this.getHeader(field); };
const builtinGet = response.get;

response.clearCookie = function clearCookie(name, options) {
  const opts = { path: '/', ...options, expires: new Date(1) };
  delete opts.maxAge;
  return this.cookie(name, '', opts);
};

response.cookie = function cookie(name, value, options) {
  const opts = { ...options };
  const secret = this.req.secret;
  if (opts.signed && !secret) throw new Error('cookieParser("secret") required for signed cookies');
  if (opts.signed) throw new Error('signed cookies are not supported by HBF yet');
  const val = typeof value === 'object' ? 'j:' + JSON.stringify(value) : String(value);
  if (opts.maxAge != null) {
    const maxAge = opts.maxAge - 0;
    if (!isNaN(maxAge)) {
      opts.expires = new Date(Date.now() + maxAge);
      opts.maxAge = Math.floor(maxAge / 1000);
    }
  }
  if (opts.path == null) opts.path = '/';
  this.append('Set-Cookie', serializeCookie(name, String(val), opts));
  return this;
};

response.location = function location(url) {
  return this.set('Location', encodeUrl(url));
};

response.redirect = function redirect(url) {
  let address = url;
  let body;
  let status = 302;
  if (arguments.length === 2) { status = arguments[0]; address = arguments[1]; }
  address = this.location(address).get('Location');
  this.format({
    text() { body = STATUS_CODES[status] + '. Redirecting to ' + address; },
    html() {
      const u = escapeHtml(address);
      body = '<!DOCTYPE html><head><title>' + STATUS_CODES[status] + '</title></head>' +
        '<body><p>' + STATUS_CODES[status] + '. Redirecting to ' + u + '</p></body>';
    },
    default() { body = ''; },
  });
  this.status(status);
  this.set('Content-Length', byteLength(body));
  if (this.req.method === 'HEAD') this.end();
  else this.end(body);
};

response.vary = function vary(field) {
  if (!field) throw new TypeError('field argument is required');
  const cur = this.getHeader('Vary') || '';
  const header = Array.isArray(cur) ? cur.join(', ') : String(cur);
  const val = varyAppend(header, field);
  if (val) this.setHeader('Vary', val);
  return this;
};

// Views (src/js/lib/express_view.js: Express's View lookup, app.render, res.render).
let viewsLib = null;
const viewLib = () => viewsLib || (viewsLib = require('hbf:express-view'));

response.render = function render(view, options, callback) {
  viewLib().resRender(this, view, options, callback);
};

// ---------------------------------------------------------------------------
// finalhandler: the default 404 / error responses
// ---------------------------------------------------------------------------

function errorDocument(message) {
  const body = escapeHtml(message).replaceAll('\n', '<br>').replaceAll('  ', ' &nbsp;');
  return '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n' +
    '<body>\n<pre>' + body + '</pre>\n</body>\n</html>\n';
}

function finalhandler(req, res, options) {
  const respond = respondDefault(req, res, options || {});
  return function (err) {
    try {
      respond(err);
    } catch (e) {
      // e.g. an invalid value in err.headers: never leave the request hanging
      logError(e);
      if (res.finished) return;
      const st = res[kRes];
      st[S_HEADERS].clear();
      st[S_SENT] = false;
      st[S_EXPLICIT] = false;
      res.statusCode = 500;
      res.end('Internal Server Error');
    }
  };
}

function respondDefault(req, res, opts) {
  const env = opts.env || 'production';
  return function (err) {
    let headers, msg, status;
    if (!err && res.headersSent) return; // a response is in flight: not a 404
    if (err) {
      status = errorStatus(err);
      if (status === undefined) {
        const s = res.statusCode;
        status = typeof s !== 'number' || s < 400 || s > 599 ? 500 : s;
      } else if (err.headers && typeof err.headers === 'object') {
        headers = { ...err.headers };
      }
      if (env !== 'production') {
        msg = stackOf(err);
        if (!msg && typeof err.toString === 'function') msg = err.toString();
      }
      msg = msg || STATUS_CODES[status];
    } else {
      if (typeof __hbf_serve_document === 'function' && __hbf_serve_document(req, res)) return; // default serving (hbf:documents)
      status = 404;
      let name;
      try { name = parseOriginalUrl(req)[P_PATHNAME]; } catch (e) { name = 'resource'; }
      msg = 'Cannot ' + req.method + ' ' + encodeUrl(name);
    }
    if (err && opts.onerror) defer(opts.onerror, err, req, res);
    if (res.headersSent) {
      // too late for an error page: finish what was written (Node would reset the socket)
      if (!res.finished) res.end();
      return;
    }
    const body = errorDocument(msg);
    res.statusCode = status;
    res.statusMessage = STATUS_CODES[status];
    res.removeHeader('Content-Encoding');
    res.removeHeader('Content-Language');
    res.removeHeader('Content-Range');
    for (const [k, v] of Object.entries(headers || {})) res.setHeader(k, v);
    res.setHeader('Content-Security-Policy', "default-src 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', byteLength(body));
    if (!err) res.setHeader('X-HBF-Unmatched', '1'); // no route matched: HBF's aliases may answer (never sent)
    if (req.method === 'HEAD') res.end();
    else res.end(body, 'utf8');
  };
}

function errorStatus(err) {
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 600) return err.status;
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600) return err.statusCode;
  return undefined;
}

// ---------------------------------------------------------------------------
// express.application
// ---------------------------------------------------------------------------

const application = Object.create(null);
const trustProxyDefault = Symbol('trustProxyDefault');

application.init = function init() {
  let router = null;
  this.cache = Object.create(null);
  this.engines = Object.create(null);
  this.settings = Object.create(null);
  this.defaultConfiguration();
  // created lazily so 'case sensitive routing'/'strict routing' set before the first route apply
  Object.defineProperty(this, 'router', {
    configurable: true,
    enumerable: true,
    get() {
      if (router === null) {
        router = new Router({ caseSensitive: this.enabled('case sensitive routing'), strict: this.enabled('strict routing') });
      }
      return router;
    },
  });
};

application.defaultConfiguration = function defaultConfiguration() {
  // HBF runs apps in production mode (apps may app.set('env', ...)); `hbf serve --dev` in
  // development mode, as Express without NODE_ENV=production: error details, no view cache.
  const env = hbfDevMode() ? 'development' : 'production';
  this.enable('x-powered-by'); // kept for app.get(); the header itself is never sent
  this.set('etag', 'weak');
  this.set('env', env);
  this.set('query parser', 'simple');
  this.set('subdomain offset', 2);
  this.set('trust proxy', false);
  Object.defineProperty(this.settings, trustProxyDefault, { configurable: true, value: true });
  this.on('mount', function onmount(parent) {
    if (this.settings[trustProxyDefault] === true && typeof parent.settings['trust proxy fn'] === 'function') {
      delete this.settings['trust proxy'];
      delete this.settings['trust proxy fn'];
    }
    // a mounted app inherits its parent's prototypes and settings
    Object.setPrototypeOf(this.request, parent.request);
    Object.setPrototypeOf(this.response, parent.response);
    Object.setPrototypeOf(this.engines, parent.engines);
    Object.setPrototypeOf(this.settings, parent.settings);
  });
  this.locals = Object.create(null);
  this.mountpath = '/';
  this.locals.settings = this.settings;
  this.set('jsonp callback name', 'callback');
  this.set('views', '/views'); // the henv's views/ ('view': express_view.js's View, on first use)
  if (env === 'production') this.enable('view cache');
};

function hbfDevMode() {
  try { return require('hbf:host').dev === true; } catch (e) { return false; } // (no host: tests)
}

application.handle = function handle(req, res, callback) {
  req.res = res;
  res.req = req;
  Object.setPrototypeOf(req, this.request);
  Object.setPrototypeOf(res, this.response);
  // (res.locals: made on first read, see ServerResponse)
  const router = this.router;
  // without a callback the router ends in this app's final handler, built only if reached
  if (router.handle === routerHandleMethod) routerHandle(router, req, res, callback, callback ? undefined : this);
  else router.handle(req, res, callback || finalCallback(this, req, res));
};

function finalCallback(app, req, res) {
  const env = setting(app, 'env');
  return finalhandler(req, res, { env, onerror: (err) => { if (setting(app, 'env') !== 'test') logError(err); } });
}

// app.get(setting) without the two calls (each building an arguments object) it makes.
function setting(app, name) { return app.settings[name]; }

application.use = function use(fn, ...rest) {
  let offset = 0, path = '/';
  const all = [fn, ...rest];
  if (typeof fn !== 'function') {
    let arg = fn;
    while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
    if (typeof arg !== 'function') { offset = 1; path = fn; }
  }
  const fns = all.slice(offset).flat(Infinity);
  if (fns.length === 0) throw new TypeError('app.use() requires a middleware function');
  const router = this.router;
  for (const f of fns) {
    if (!f || !f.handle || !f.set) { router.use(path, f); continue; }
    // a sub-app: mount it, and restore this app's req/res prototypes when it hands back
    f.mountpath = path;
    f.parent = this;
    router.use(path, function mounted_app(req, res, next) {
      const orig = req.app;
      f.handle(req, res, (err) => {
        Object.setPrototypeOf(req, orig.request);
        Object.setPrototypeOf(res, orig.response);
        next(err);
      });
    });
    f.emit('mount', this);
  }
  return this;
};

application.route = function route(path) { return this.router.route(path); };

application.engine = function engine(ext, fn) {
  if (typeof fn !== 'function') throw new Error('callback function required');
  this.engines[ext[0] !== '.' ? '.' + ext : ext] = fn;
  return this;
};

application.param = function param(name, fn) {
  if (Array.isArray(name)) { for (const n of name) this.param(n, fn); return this; }
  this.router.param(name, fn);
  return this;
};

application.set = function set(setting, val) {
  if (arguments.length === 1) return this.settings[setting];
  this.settings[setting] = val;
  switch (setting) {
    case 'etag': this.set('etag fn', compileETag(val)); break;
    case 'query parser': this.set('query parser fn', compileQueryParser(val)); break;
    case 'trust proxy':
      this.set('trust proxy fn', compileTrust(val));
      Object.defineProperty(this.settings, trustProxyDefault, { configurable: true, value: false });
      break;
  }
  return this;
};

application.path = function path() { return this.parent ? this.parent.path() + this.mountpath : ''; };
application.enabled = function enabled(setting) { return Boolean(this.set(setting)); };
application.disabled = function disabled(setting) { return !this.set(setting); };
application.enable = function enable(setting) { return this.set(setting, true); };
application.disable = function disable(setting) { return this.set(setting, false); };

for (const m of METHODS) {
  application[m] = function (path, ...handlers) {
    if (m === 'get' && arguments.length === 1) return this.set(path); // app.get(setting)
    const r = this.route(path);
    r[m](...handlers);
    return this;
  };
}

application.all = function all(path, ...handlers) {
  const r = this.route(path);
  for (const m of METHODS) r[m](...handlers);
  return this;
};

application.render = function render(name, options, callback) {
  viewLib().appRender(this, name, options, callback);
};

// HBF owns the socket: listen() only reports success, so `app.listen(port, cb)` apps run as-is.
application.listen = function listen(...args) {
  const cb = args.find((a) => typeof a === 'function');
  const port = typeof args[0] === 'number' ? args[0] : 0;
  const server = Object.assign(Object.create(Emitter), {
    listening: true,
    address: () => ({ address: '0.0.0.0', family: 'IPv4', port }),
    close(fn) { this.listening = false; if (typeof fn === 'function') defer(fn); return this; },
    closeAllConnections() {},
    closeIdleConnections() {},
    setTimeout() { return this; },
    ref() { return this; },
    unref() { return this; },
  });
  if (cb) defer(cb);
  return server;
};

// ---------------------------------------------------------------------------
// Body parsers (body-parser@2 semantics over the already-buffered body)
// ---------------------------------------------------------------------------

function parseBytes(val) {
  if (typeof val === 'number' && !isNaN(val)) return val;
  if (typeof val !== 'string') return null;
  const m = /^((-|\+)?(\d+(?:\.\d+)?)) *(kb|mb|gb|tb|pb)$/i.exec(val);
  const map = { b: 1, kb: 1 << 10, mb: 1 << 20, gb: 1 << 30, tb: Math.pow(1024, 4), pb: Math.pow(1024, 5) };
  const n = m ? parseFloat(m[1]) : parseInt(val, 10);
  if (isNaN(n)) return null;
  return Math.floor(map[m ? m[4].toLowerCase() : 'b'] * n);
}

function parserOptions(options, defaultType) {
  const limit = options == null || options.limit == null ? 102400 : parseBytes(options.limit);
  if (limit === null) throw new TypeError('option limit "' + String(options.limit) + '" is invalid');
  const verify = (options && options.verify) || false;
  if (verify !== false && typeof verify !== 'function') throw new TypeError('option verify must be function');
  const type = (options && options.type) || defaultType;
  const types = Array.isArray(type) ? type : [type];
  // For one type name, whether a Content-Type matches is remembered per header value.
  const matches = typeof type === 'string' ? new Map() : undefined;
  function shouldParse(req) {
    if (matches === undefined) return Boolean(typeOfRequest(req, types));
    if (!hasBody(req)) return false;
    const ct = req.headers['content-type'];
    if (typeof ct !== 'string') return Boolean(typeIs(ct, types));
    let m = matches.get(ct);
    if (m === undefined) {
      m = Boolean(typeIs(ct, types));
      if (matches.size < 64) matches.set(ct, m);
    }
    return m;
  }
  return {
    inflate: !options || options.inflate !== false,
    limit,
    verify,
    defaultCharset: (options && options.defaultCharset) || 'utf-8',
    shouldParse: typeof type === 'function' ? type : shouldParse,
  };
}

const INFLATE = { gzip: 'gunzipSync', deflate: 'inflateSync', br: 'brotliDecompressSync' };

function readBody(req, res, next, parse, opts) {
  if (reqState(req)[Q_BODY_READ]) return next(); // an earlier parser (or a stream reader) had it
  if (!('body' in req)) req.body = undefined;
  if (!hasBody(req)) return next();
  if (!opts.shouldParse(req)) return next();
  let encoding = null;
  if (!opts.skipCharset) {
    const ct = req.headers['content-type'];
    const cs = ct ? charsetOf(String(ct)) : undefined;
    encoding = (cs && cs.toLowerCase()) || opts.defaultCharset;
    if (opts.isValidCharset && !opts.isValidCharset(encoding)) {
      return next(createError(415, 'unsupported charset "' + encoding.toUpperCase() + '"', { charset: encoding, type: 'charset.unsupported' }));
    }
  }
  const ce = req.headers['content-encoding'];
  const contentEncoding = ce ? String(ce).toLowerCase() : 'identity';
  let body;
  if (contentEncoding !== 'identity') {
    // body-parser's inflation: gzip, deflate and br bodies (node:zlib, loaded on first use),
    // the limit applying to the inflated size; other encodings are 415.
    const method = opts.inflate === false ? undefined : INFLATE[contentEncoding];
    if (!method) {
      const msg = opts.inflate === false ? 'content encoding unsupported' : 'unsupported content encoding "' + contentEncoding + '"';
      return next(createError(415, msg, { encoding: contentEncoding, type: 'encoding.unsupported' }));
    }
    try {
      body = require('zlib')[method](req._takeBody(), { maxOutputLength: opts.limit + 1 });
    } catch (err) {
      if (err && err.code === 'ERR_BUFFER_TOO_LARGE') {
        return next(createError(413, 'request entity too large', { limit: opts.limit, type: 'entity.too.large' }));
      }
      return next(createError(400, err));
    }
  } else {
    body = req._takeBody();
  }
  if (body.length > opts.limit) {
    return next(createError(413, 'request entity too large', { expected: body.length, length: body.length, limit: opts.limit, type: 'entity.too.large' }));
  }
  if (opts.verify) {
    try {
      opts.verify(req, res, asBuffer(body), encoding);
    } catch (err) {
      return next(createError(403, err, { body, type: err.type || 'entity.verify.failed' }));
    }
  }
  let str = body;
  try {
    if (encoding !== null) {
      str = decodeCharset(body, encoding);
      if (str === undefined) {
        return next(createError(415, 'unsupported charset "' + encoding.toUpperCase() + '"', { charset: encoding.toLowerCase(), type: 'charset.unsupported' }));
      }
    }
    req.body = parse(str, encoding);
  } catch (err) {
    return next(createError(400, err, { body: str, type: err.type || 'entity.parse.failed' }));
  }
  next();
}

const JSON_FIRST_RE = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/;

function json(options) {
  const opts = parserOptions(options, 'application/json');
  opts.isValidCharset = (cs) => cs.slice(0, 4) === 'utf-';
  const reviver = options && options.reviver;
  const strict = !options || options.strict !== false;
  function parse(body) {
    if (body.length === 0) return {}; // empty JSON body: a common client mistake, body-parser allows it
    if (strict) {
      const c = body.charCodeAt(0); // (no regexp when the body starts at once)
      const first = c !== 32 && c !== 9 && c !== 10 && c !== 13 && body.length !== 0 ? body[0] : (JSON_FIRST_RE.exec(body) || [])[1];
      if (first !== '{' && first !== '[') throw strictSyntaxError(body, first);
    }
    return JSON.parse(body, reviver);
  }
  return function jsonParser(req, res, next) { readBody(req, res, next, parse, opts); };
}

// The engine's own JSON.parse message, pointing at the first offending character.
function strictSyntaxError(str, char) {
  const index = char ? str.indexOf(char) : -1;
  const partial = index !== -1 ? str.substring(0, index) + '#'.repeat(str.length - index) : '';
  try {
    JSON.parse(partial);
  } catch (e) {
    e.message = e.message.replace(/#+/g, (p) => str.substring(index, index + p.length));
    return e;
  }
  return new SyntaxError('strict violation');
}

function urlencoded(options) {
  const opts = parserOptions(options, 'application/x-www-form-urlencoded');
  if (opts.defaultCharset !== 'utf-8' && opts.defaultCharset !== 'iso-8859-1') {
    throw new TypeError('option defaultCharset must be either utf-8 or iso-8859-1');
  }
  opts.isValidCharset = (cs) => cs === 'utf-8' || cs === 'iso-8859-1';
  const extended = Boolean(options && options.extended);
  let parameterLimit = options && options.parameterLimit !== undefined ? options.parameterLimit : 1000;
  const depth = extended ? (options && options.depth !== undefined ? options.depth : 32) : 0;
  if (isNaN(parameterLimit) || parameterLimit < 1) throw new TypeError('option parameterLimit must be a positive number');
  if (isNaN(depth) || depth < 0) throw new TypeError('option depth must be a zero or a positive number');
  if (isFinite(parameterLimit)) parameterLimit = parameterLimit | 0;
  function parse(body, charset) {
    if (!body.length) return {};
    let count = 0, index = -1;
    do {
      if (++count > parameterLimit) throw createError(413, 'too many parameters', { type: 'parameters.too.many' });
      index = body.indexOf('&', index + 1);
    } while (index !== -1);
    try {
      return qsParse(body, {
        arrayLimit: extended ? Math.max(100, count) : count, depth, charset, parameterLimit, strictDepth: true,
      });
    } catch (err) {
      if (err instanceof RangeError) throw createError(400, 'The input exceeded the depth', { type: 'querystring.parse.rangeError' });
      throw err;
    }
  }
  return function urlencodedParser(req, res, next) { readBody(req, res, next, parse, opts); };
}

function text(options) {
  const opts = parserOptions(options, 'text/plain');
  return function textParser(req, res, next) { readBody(req, res, next, (s) => s, opts); };
}

function raw(options) {
  const opts = parserOptions(options, 'application/octet-stream');
  opts.skipCharset = true;
  return function rawParser(req, res, next) { readBody(req, res, next, asBuffer, opts); };
}

// ---------------------------------------------------------------------------
// Static assets (serve-static over host.serveStatic)
// ---------------------------------------------------------------------------

// Ask the host for an asset and, if it has one, write it to `res`. Resolves to true/false.
async function serveAsset(res, root, pathname, opts) {
  const req = res.req;
  let found = host.serveStatic(root, pathname, { method: req.method, headers: req.headers });
  if (isPromise(found)) found = await found;
  if (!found) return false;
  res.statusCode = found.status || 200;
  const seen = new Set();
  for (const [name, value] of found.headers || []) {
    const lc = String(name).toLowerCase();
    if (seen.has(lc)) res.appendHeader(name, value); else res.setHeader(name, value);
    seen.add(lc);
  }
  if (opts) {
    if (opts.cacheControl === false) res.removeHeader('Cache-Control');
    else if (opts.maxAge != null) { // serve-static's maxAge replaces the host's default
      const secs = Math.floor(Math.min(Math.max(0, typeof opts.maxAge === 'string' ? parseMs(opts.maxAge) : opts.maxAge), 31536000000) / 1000);
      res.setHeader('Cache-Control', 'public, max-age=' + secs + (opts.immutable ? ', immutable' : ''));
    }
    if (opts.headers) for (const k of Object.keys(opts.headers)) res.setHeader(k, opts.headers[k]);
    if (typeof opts.setHeaders === 'function') opts.setHeaders(res, pathname, undefined);
  }
  res.end(found.body || EMPTY);
  return true;
}

// ms("1d"), enough for maxAge strings
function parseMs(str) {
  const m = /^(-?(?:\d+)?\.?\d+) *(ms|s|m|h|d|w|y)?$/i.exec(String(str));
  if (!m) return 0;
  const mult = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000, y: 31557600000 }[(m[2] || 'ms').toLowerCase()];
  return parseFloat(m[1]) * mult;
}

function serveStatic(root, options) {
  if (!root) throw new TypeError('root path required');
  if (typeof root !== 'string') throw new TypeError('root path must be a string');
  const opts = Object.assign({}, options);
  const fallthrough = opts.fallthrough !== false;
  return function serveStatic(req, res, next) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (fallthrough) return next();
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.setHeader('Content-Length', '0');
      res.end();
      return undefined;
    }
    const pathname = parseUrl(req)[P_PATHNAME];
    // serve-static options the host cannot see: dot-files are hidden unless allowed,
    // and `index: false` turns off directory indexes
    let decoded;
    try { decoded = decodeURIComponent(pathname); } catch (e) { decoded = pathname; }
    const dotfile = /(^|\/)\.[^/]/.test(decoded);
    if ((dotfile && opts.dotfiles !== 'allow') || (opts.index === false && pathname.endsWith('/'))) {
      return next(fallthrough ? undefined : createError(dotfile && opts.dotfiles === 'deny' ? 403 : 404));
    }
    return serveAsset(res, root, pathname, opts).then((ok) => {
      if (!ok) next(fallthrough ? undefined : createError(404));
    }, next);
  };
}

// ---------------------------------------------------------------------------
// express() and the HBF entry point
// ---------------------------------------------------------------------------

// Every app made by express(), for __serve.
const applications = new WeakSet();

function createApplication() {
  const app = function (req, res, next) { app.handle(req, res, next); };
  applications.add(app);
  for (const src of [Emitter, application]) for (const k of Object.keys(src)) app[k] = src[k];
  app.request = Object.create(request, { app: { configurable: true, enumerable: true, writable: true, value: app } });
  app.response = Object.create(response, { app: { configurable: true, enumerable: true, writable: true, value: app } });
  app.init();
  return app;
}

function express() { return createApplication(); }

Object.assign(express, {
  application, request, response, Router, Route,
  json, raw, text, urlencoded, static: serveStatic,
});
// The status texts, for node:http's STATUS_CODES (one table).
Object.defineProperty(express, '__STATUS_CODES', { value: STATUS_CODES });

// Bare routers or handler functions exported instead of an app get a wrapping app.
const wrappers = new WeakMap();

function appFor(app) {
  if (app && typeof app.handle === 'function' && typeof app.set === 'function') return app;
  let target = wrappers.get(app);
  if (!target) {
    target = createApplication();
    if (typeof app === 'function') target.use(app);
    if (app && typeof app === 'object') wrappers.set(app, target);
    else if (typeof app === 'function') wrappers.set(app, target);
  }
  return target;
}

// req.socket's prototype: a connection that stays open while the request runs, with the
// EventEmitter and socket methods middleware calls (on-finished listens for 'close' on it; it
// never fires: HBF answers when the handler ends).
const socketMethods = {
  readable: true, writable: true, destroyed: false,
  destroy() {}, setTimeout() { return this; }, setNoDelay() { return this; }, setKeepAlive() { return this; },
  ref() { return this; }, unref() { return this; }, address() { return {}; },
  on() { return this; }, once() { return this; }, off() { return this; }, addListener() { return this; },
  removeListener() { return this; }, prependListener() { return this; }, emit() { return false; },
  listenerCount() { return 0; },
};

// Node's request fields for HTTP/1.1, shadowed per request for other versions; req.socket and
// req.connection (one object) are made when first read.
Object.assign(IncomingMessage, { httpVersion: '1.1', httpVersionMajor: 1, httpVersionMinor: 1 });
function requestSocket(req) {
  const st = req[kReq];
  const socket = { __proto__: socketMethods, remoteAddress: st && st[Q_IP], encrypted: Boolean(st) && st[Q_PROTOCOL] === 'https' };
  Object.defineProperty(req, 'socket', { configurable: true, enumerable: true, writable: true, value: socket });
  Object.defineProperty(req, 'connection', { configurable: true, enumerable: true, writable: true, value: socket });
  return socket;
}
for (const name of ['socket', 'connection']) {
  Object.defineProperty(IncomingMessage, name, {
    configurable: true,
    enumerable: false,
    get() { return this === IncomingMessage || !hasOwn(this, kReq) ? undefined : requestSocket(this); },
    set(v) { Object.defineProperty(this, name, { configurable: true, enumerable: true, writable: true, value: v }); },
  });
}

// QuickJS frees an object shape (its property layout) with the last object using it, so the
// objects made for a request, which die with it, would have the next request build their
// shapes again, one property at a time. While the first requests run, empty look-alikes of
// req.params (the one such object left: HBF's own state is in arrays) are kept for every
// prefix of their properties, which keeps the shapes alive.
let warmRequests = 64;
let shapeBudget = 1024;
const shapeKeepers = [];
const shapeSignatures = new Map(); // prototype -> Set of key lists seen
function retainShapes(obj) {
  if (shapeBudget <= 0 || obj === null || typeof obj !== 'object' || Array.isArray(obj)) return;
  const proto = Object.getPrototypeOf(obj);
  const keys = Object.getOwnPropertyNames(obj);
  if (Object.getOwnPropertySymbols(obj).length !== 0) return; // (their order is unknown)
  const signature = keys.join('\n');
  let seen = shapeSignatures.get(proto);
  if (!seen) shapeSignatures.set(proto, (seen = new Set()));
  if (seen.has(signature)) return;
  seen.add(signature);
  for (let n = 0; n <= keys.length && shapeBudget > 0; n++, shapeBudget--) {
    const o = Object.create(proto);
    for (let i = 0; i < n; i++) {
      const d = Object.getOwnPropertyDescriptor(obj, keys[i]);
      if ('value' in d) d.value = undefined;
      Object.defineProperty(o, keys[i], d);
    }
    shapeKeepers.push(o);
  }
}

// The Node-like request, with the app's request prototype at once (app.handle would set it
// anyway; changing an object's prototype later is slow in QuickJS). An object literal, which
// defines its properties without looking for setters along the (long) prototype chain; it
// ends with those app.handle() and the router set, in their order, before any app code runs.
function toRequest(proto, method, url, headers, rawHeaders, body, ip, protocol, hostname, httpVersion, ips) {
  const req = {
    __proto__: proto,
    // (the url parsed at once: the router needs it, and parseUrl finds it here)
    [kReq]: [true, ip, ips, protocol, hostname, body == null ? EMPTY : toBytes(body), false, parseUrlString(url || '/'), undefined, undefined, undefined],
    method: typeof method === 'string' && method ? method : String(method || 'GET'),
    url: url || '/',
    headers,
    rawHeaders,
    res: undefined,
    next: undefined,
    baseUrl: undefined,
    originalUrl: undefined,
    params: undefined,
  };
  // HTTP/1.1 and the socket come from IncomingMessage (fewer properties to define per request)
  if (httpVersion && httpVersion !== '1.1') {
    const parts = String(httpVersion).split('.').map(Number);
    req.httpVersion = String(httpVersion);
    req.httpVersionMajor = parts[0] || 1;
    req.httpVersionMinor = parts[1] || 0;
  }
  return req;
}

function toResponse(req, proto) {
  return {
    __proto__: proto,
    [kRes]: [new Map(), null, false, false, false, undefined, undefined],
    statusCode: 200,
    statusMessage: undefined,
    req,
  };
}

// The request being served, for `release`.
let currentReq, currentRes;

// Once a request is over (its response sent, its jobs run, its timers cleared), break the
// cycles between req, res and the router's state, so reference counting frees them at once:
// left to the cycle collector, they made it run every few hundred requests, walking the
// whole heap each time. Router callbacks called after this do nothing.
// `pending` is the promise __serve returned for a response that did not end at once (its
// request may interleave with others, so it is not the current one any more).
const pendingPairs = new WeakMap();
function release(pending) {
  let req = currentReq, res = currentRes;
  if (pending !== undefined) {
    const pair = pendingPairs.get(pending);
    if (pair === undefined) return;
    pendingPairs.delete(pending);
    [req, res] = pair;
  } else {
    currentReq = currentRes = undefined;
  }
  if (req === undefined) return;
  const st = req[kReq];
  const seen = st !== undefined ? st[Q_ROUTERS] : undefined;
  if (seen !== undefined) {
    st[Q_ROUTERS] = undefined;
    if (seen.length !== 0 && Array.isArray(seen[0])) for (const d of seen) releaseRouterState(d);
    else releaseRouterState(seen);
  }
  if (req.res === res) req.res = undefined;
  if (res.req === req) res.req = undefined;
  req.next = undefined;
}
function releaseRouterState(d) {
  d[R_NEXT] = undefined;
  d[R_REQ] = undefined;
  d[R_RES] = undefined;
}

let lastApp, lastTarget, lastIsApp; // (the host serves the same export every time)
function serve(app, method, url, headers, rawHeaders, body, ip, protocol, hostname, httpVersion, ips) {
  // a template preview, already authorised by the host (src/api/templates.rs)
  if (method === 'POST' && url.split('?')[0] === '/_api/templates/preview') app = require('hbf:templates').previewApp(express);
  if (app !== lastApp || lastApp === undefined) {
    lastTarget = appFor(app);
    lastIsApp = applications.has(lastTarget);
    lastApp = app;
  }
  const target = lastTarget;
  const isApp = lastIsApp;
  const req = toRequest(isApp ? target.request : IncomingMessage, method, url, headers, rawHeaders, body, ip, protocol, hostname, httpVersion, ips);
  const res = toResponse(req, isApp ? target.response : ServerResponse);
  currentReq = req;
  currentRes = res;
  try {
    target.handle(req, res);
  } catch (err) {
    // only reachable if the app's own handle() throws synchronously
    finalhandler(req, res, { env: 'production', onerror: logError })(err);
  }
  const st = res[kRes];
  if (warmRequests > 0) {
    warmRequests--;
    retainShapes(req.params);
  }
  if (st[S_RESULT] !== undefined) return st[S_RESULT];
  // The request waits (timers, I/O) and others may run meanwhile: req.user is read now, while
  // this request's user is the bound one, and release() will need this pair, not the current.
  void req.user;
  currentReq = currentRes = undefined;
  const pending = new Promise((resolve) => { st[S_RESOLVE] = resolve; });
  pendingPairs.set(pending, [req, res]);
  return pending;
}

/**
 * The host's entry point: serve one request (arguments as in the header comment). Returns the
 * rawRes when the response ended synchronously, else a promise of it.
 */
express.__serve = serve;

/** The host's call once a request is over (see `release`; the promise __serve returned, if any). */
express.__release = release;

/**
 * Serve one request described by a rawReq object ({ method, url, headers, rawHeaders, body,
 * ip, ips, protocol, hostname, httpVersion }; header names in any case). `app` is the app
 * module's export (an express() app, a Router, or a (req, res, next) function). Resolves with
 * { status, headers: [[name, value]...], body: Uint8Array } once the response has ended.
 */
express.__handle = function __handle(app, rawReq) {
  return new Promise((resolve) => {
    const raw = rawReq || {};
    const headers = {};
    for (const k of Object.keys(raw.headers || {})) headers[k.toLowerCase()] = raw.headers[k];
    let rawHeaders;
    if (Array.isArray(raw.rawHeaders)) rawHeaders = raw.rawHeaders.slice();
    else {
      rawHeaders = [];
      for (const k of Object.keys(headers)) for (const v of [].concat(headers[k])) rawHeaders.push(k, String(v));
    }
    resolve(serve(app, raw.method, raw.url, headers, rawHeaders, raw.body, raw.ip, raw.protocol, raw.hostname, raw.httpVersion, raw.ips));
  }).then(([status, headers, body]) => {
    const pairs = [];
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
    return { status, headers: pairs, body: typeof body === 'string' ? utf8Encode(body) : body };
  });
};

module.exports = express;
