'use strict';
// node:buffer — Buffer as Node 20 has it: a Uint8Array subclass with every Node encoding
// (utf8/utf-8, utf16le/ucs2/ucs-2/utf-16le, latin1/binary, ascii, base64, base64url, hex),
// from/alloc/allocUnsafe/allocUnsafeSlow/concat/byteLength/compare/isBuffer/isEncoding/of/
// copyBytesFrom, (U)Int8/16/32 LE/BE, variable-width (U)IntLE/BE, BigInt64, float/double reads
// and writes, slice/subarray/equals/compare/indexOf/lastIndexOf/includes/fill/copy/toJSON/
// toString/write/swap16/32/64, the deprecated Buffer() constructor, SlowBuffer, kMaxLength,
// constants, INSPECT_MAX_BYTES, atob/btoa, isUtf8/isAscii, and Node's error codes and messages.
// base64 and hex go through Rust host functions (src/js/host_buffer.rs), UTF-8 through the
// host's encodeUtf8/decodeUtf8.
// Left out: the 8 KiB allocation pool (every Buffer owns its ArrayBuffer: buf.buffer.byteLength
// equals buf.length for fresh buffers), transcode (throws), resolveObjectURL. Blob and File are
// the web globals when the fetch work provides them.

const host = require('hbf:host');
const { withCode, invalidArgType, outOfRange, invalidArgValue } = require('hbf:node-errors');

const kMaxLength = 2 ** 32;
const kStringMaxLength = 2 ** 29 - 24;
const constants = Object.freeze({ MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength });
let INSPECT_MAX_BYTES = 50;
const customInspect = Symbol.for('nodejs.util.inspect.custom');
const wellFormed = typeof String.prototype.toWellFormed === 'function'
  ? (s) => s.toWellFormed()
  : (s) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const LONE_SURROGATE = /[\uD800-\uDFFF]/;

class FastBuffer extends Uint8Array {
  // (the constructor Uint8Array gives: (length) or (arrayBuffer, byteOffset, length))
}

const unknownEncoding = (enc) => withCode(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${enc}`);
const outOfBounds = (name) => withCode(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS',
  name ? `"${name}" is outside of buffer bounds` : 'Attempt to access memory outside buffer bounds');
const isUint8Array = (v) => v instanceof Uint8Array;
function isAnyArrayBuffer(v) {
  if (v instanceof ArrayBuffer) return true;
  return typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer;
}
function validateNumber(v, name) { if (typeof v !== 'number') throw invalidArgType(name, 'number', v); }
function validateOffset(value, name, min = 0, max = kMaxLength) {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}
const bytesOf = (u8) => new FastBuffer(u8.buffer, u8.byteOffset, u8.length);

// ---------------------------------------------------------------- encodings
function utf8Bytes(str) {
  return host.encodeUtf8(LONE_SURROGATE.test(str) ? wellFormed(str) : str);
}
function latin1Bytes(str) {
  const out = new FastBuffer(str.length);
  for (let i = 0; i < str.length; i++) out[i] = str.charCodeAt(i);
  return out;
}
function ucs2Bytes(str) {
  const out = new FastBuffer(str.length * 2);
  for (let i = 0, j = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    out[j++] = c & 0xff;
    out[j++] = c >>> 8;
  }
  return out;
}
function latin1Slice(buf, start, end) {
  let out = '';
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + 8192)));
  }
  return out;
}
function asciiSlice(buf, start, end) {
  for (let i = start; i < end; i++) {
    if (buf[i] > 127) {
      const copy = Uint8Array.prototype.slice.call(buf, start, end);
      for (let j = 0; j < copy.length; j++) copy[j] &= 0x7f;
      return latin1Slice(copy, 0, copy.length);
    }
  }
  return latin1Slice(buf, start, end);
}
function ucs2Slice(buf, start, end) {
  let out = '';
  const n = start + ((end - start) & ~1);
  for (let i = start; i < n; i += 16384) {
    const stop = Math.min(n, i + 16384);
    const units = new Array((stop - i) >>> 1);
    for (let j = i, k = 0; j < stop; j += 2, k++) units[k] = buf[j] | (buf[j + 1] << 8);
    out += String.fromCharCode.apply(null, units);
  }
  return out;
}
function base64ByteLength(str, bytes) {
  if (str.charCodeAt(bytes - 1) === 0x3D) bytes--;
  if (bytes > 1 && str.charCodeAt(bytes - 1) === 0x3D) bytes--;
  return (bytes * 3) >>> 2;
}
const utf8Slice = (buf, start, end) => host.decodeUtf8(start === 0 && end === buf.length ? buf : buf.subarray(start, end), false);

// Writes `bytes` into buf at offset, at most `length` bytes; returns how many were written.
function writeBytes(buf, bytes, offset, length) {
  const n = Math.min(bytes.length, length, buf.length - offset);
  if (n <= 0) return 0;
  Uint8Array.prototype.set.call(buf, n === bytes.length ? bytes : bytes.subarray(0, n), offset);
  return n;
}
// Like writeBytes for UTF-8, never writing part of a character.
function writeUtf8(buf, str, offset, length) {
  const bytes = utf8Bytes(str);
  let n = Math.min(bytes.length, length, buf.length - offset);
  if (n <= 0) return 0;
  if (n < bytes.length) {
    while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
  }
  return writeBytes(buf, bytes, offset, n);
}

function makeOps(encoding, encodingVal, byteLength, encode, slice, write) {
  return {
    encoding, encodingVal, byteLength, encode, slice,
    write: write || ((buf, str, offset, len) => writeBytes(buf, encode(str), offset, len)),
    indexOf: (buf, val, byteOffset, dir) => indexOfBytes(buf, encode(val), byteOffset, dir, encodingVal),
  };
}
const OPS = {
  utf8: makeOps('utf8', 1, (s) => host.utf8Length(s), utf8Bytes, utf8Slice, writeUtf8),
  ucs2: makeOps('utf16le', 3, (s) => s.length * 2, ucs2Bytes, ucs2Slice,
    (buf, str, offset, len) => writeBytes(buf, ucs2Bytes(str), offset, Math.min(len, buf.length - offset) & ~1)),
  latin1: makeOps('latin1', 4, (s) => s.length, latin1Bytes, latin1Slice),
  ascii: makeOps('ascii', 0, (s) => s.length, latin1Bytes, asciiSlice),
  base64: makeOps('base64', 5, (s) => base64ByteLength(s, s.length), (s) => bytesOf(host.base64Decode(s)),
    (buf, start, end) => host.base64Encode(buf.subarray(start, end), false)),
  base64url: makeOps('base64url', 6, (s) => base64ByteLength(s, s.length), (s) => bytesOf(host.base64Decode(s)),
    (buf, start, end) => host.base64Encode(buf.subarray(start, end), true)),
  hex: makeOps('hex', 2, (s) => s.length >>> 1, (s) => bytesOf(host.hexDecode(s)),
    (buf, start, end) => host.hexEncode(buf.subarray(start, end))),
};
function normalizeEncoding(enc) {
  if (enc == null || enc === 'utf8' || enc === 'utf-8') return 'utf8';
  return slowCases(enc);
}
function slowCases(enc) {
  switch (String(enc).toLowerCase()) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    case 'latin1': case 'binary': return 'latin1';
    case 'base64': return 'base64';
    case 'base64url': return 'base64url';
    case 'hex': return 'hex';
    case 'ascii': return 'ascii';
    case '': return 'utf8';
    default: return undefined;
  }
}
function getEncodingOps(encoding) {
  encoding += '';
  switch (encoding.toLowerCase()) {
    case 'utf8': case 'utf-8': return OPS.utf8;
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return OPS.ucs2;
    case 'latin1': case 'binary': return OPS.latin1;
    case 'base64': return OPS.base64;
    case 'base64url': return OPS.base64url;
    case 'hex': return OPS.hex;
    case 'ascii': return OPS.ascii;
    default: return undefined;
  }
}

// ---------------------------------------------------------------- construction
function Buffer(arg, encodingOrOffset, length) {
  if (typeof arg === 'number') {
    if (typeof encodingOrOffset === 'string') throw invalidArgType('string', 'string', arg);
    return Buffer.alloc(arg);
  }
  return Buffer.from(arg, encodingOrOffset, length);
}
Buffer.prototype = FastBuffer.prototype;
Object.defineProperty(FastBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });
Object.setPrototypeOf(Buffer, Uint8Array);
Object.defineProperty(Buffer, Symbol.species, { get() { return FastBuffer; }, configurable: true });
Buffer.poolSize = 8 * 1024;

Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === 'string') return fromString(value, encodingOrOffset);
  if (typeof value === 'object' && value !== null) {
    if (isAnyArrayBuffer(value)) return fromArrayBuffer(value, encodingOrOffset, length);
    const valueOf = value.valueOf && value.valueOf();
    if (valueOf != null && valueOf !== value && (typeof valueOf === 'string' || typeof valueOf === 'object')) {
      return from(valueOf, encodingOrOffset, length);
    }
    const b = fromObject(value);
    if (b) return b;
    if (typeof value[Symbol.toPrimitive] === 'function') {
      const primitive = value[Symbol.toPrimitive]('string');
      if (typeof primitive === 'string') return fromString(primitive, encodingOrOffset);
    }
  }
  throw invalidArgType('first argument', ['string', 'Buffer', 'ArrayBuffer', 'Array', 'Array-like Object'], value);
};
function fromString(string, encoding) {
  let ops;
  if (typeof encoding !== 'string' || encoding.length === 0) {
    if (string.length === 0) return new FastBuffer();
    ops = OPS.utf8;
  } else {
    ops = getEncodingOps(encoding);
    if (ops === undefined) throw unknownEncoding(encoding);
    if (string.length === 0) return new FastBuffer();
  }
  const bytes = ops.encode(string);
  return bytes instanceof FastBuffer ? bytes : bytesOf(bytes);
}
function fromArrayBuffer(obj, byteOffset, length) {
  if (byteOffset === undefined) byteOffset = 0;
  else {
    byteOffset = +byteOffset;
    if (Number.isNaN(byteOffset)) byteOffset = 0;
  }
  const maxLength = obj.byteLength - byteOffset;
  if (maxLength < 0) throw outOfBounds('offset');
  if (length === undefined) length = maxLength;
  else {
    length = +length;
    if (length > 0) {
      if (length > maxLength) throw outOfBounds('length');
    } else length = 0;
  }
  return new FastBuffer(obj, byteOffset, length);
}
function fromArrayLike(obj) {
  if (obj.length <= 0) return new FastBuffer();
  if (isUint8Array(obj)) return new FastBuffer(Uint8Array.prototype.slice.call(obj).buffer);
  return new FastBuffer(obj);
}
function fromObject(obj) {
  if (obj.length !== undefined || isAnyArrayBuffer(obj.buffer)) {
    if (typeof obj.length !== 'number') return new FastBuffer();
    return fromArrayLike(obj);
  }
  if (obj.type === 'Buffer' && Array.isArray(obj.data)) return fromArrayLike(obj.data);
  return undefined;
}
Buffer.of = function of(...items) { return new FastBuffer(items); };
Buffer.copyBytesFrom = function copyBytesFrom(view, offset, length) {
  if (!ArrayBuffer.isView(view) || view instanceof DataView) {
    throw invalidArgType('view', ['TypedArray'], view);
  }
  const viewLength = view.length;
  if (viewLength === 0) return Buffer.alloc(0);
  if (offset !== undefined || length !== undefined) {
    if (offset !== undefined) { validateOffset(offset, 'offset', 0); if (offset >= viewLength) return new FastBuffer(); } else offset = 0;
    let end;
    if (length !== undefined) { validateOffset(length, 'length', 0); end = offset + length; } else end = viewLength;
    view = view.subarray(offset, end);
  }
  return new FastBuffer(new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice().buffer);
};

function assertSize(size) { validateNumber(size, 'size'); if (!(size >= 0 && size <= kMaxLength)) throw outOfRange('size', `>= 0 && <= ${kMaxLength}`, size); }
Buffer.alloc = function alloc(size, fill, encoding) {
  assertSize(size);
  if (fill !== undefined && fill !== 0 && size > 0) return fill_(new FastBuffer(size), fill, 0, size, encoding);
  return new FastBuffer(size);
};
Buffer.allocUnsafe = function allocUnsafe(size) { assertSize(size); return new FastBuffer(size); };
Buffer.allocUnsafeSlow = function allocUnsafeSlow(size) { assertSize(size); return new FastBuffer(size); };
function SlowBuffer(size) { assertSize(size); return new FastBuffer(size); }
SlowBuffer.prototype = FastBuffer.prototype;
Object.setPrototypeOf(SlowBuffer, Uint8Array);

Buffer.isBuffer = function isBuffer(b) { return b instanceof Buffer; };
Buffer.isEncoding = function isEncoding(encoding) {
  return typeof encoding === 'string' && encoding.length !== 0 && normalizeEncoding(encoding) !== undefined;
};

Buffer.byteLength = function byteLength(string, encoding) {
  if (typeof string !== 'string') {
    if (ArrayBuffer.isView(string) || isAnyArrayBuffer(string)) return string.byteLength;
    throw invalidArgType('string', ['string', 'Buffer', 'ArrayBuffer'], string);
  }
  if (string.length === 0) return 0;
  if (encoding) {
    const ops = getEncodingOps(encoding);
    if (ops) return ops.byteLength(string);
  }
  return host.utf8Length(string);
};

function compareBytes(a, b, aStart, aEnd, bStart, bEnd) {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i], y = b[bStart + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  const la = aEnd - aStart, lb = bEnd - bStart;
  return la < lb ? -1 : la > lb ? 1 : 0;
}
Buffer.compare = function compare(buf1, buf2) {
  if (!isUint8Array(buf1)) throw invalidArgType('buf1', ['Buffer', 'Uint8Array'], buf1);
  if (!isUint8Array(buf2)) throw invalidArgType('buf2', ['Buffer', 'Uint8Array'], buf2);
  if (buf1 === buf2) return 0;
  return compareBytes(buf1, buf2, 0, buf1.length, 0, buf2.length);
};

Buffer.concat = function concat(list, length) {
  if (!Array.isArray(list)) throw invalidArgType('list', 'Array', list);
  if (list.length === 0) return new FastBuffer();
  if (length === undefined) {
    length = 0;
    for (let i = 0; i < list.length; i++) if (list[i].length) length += list[i].length;
  } else validateOffset(length, 'length');
  const buffer = new FastBuffer(length);
  let pos = 0;
  for (let i = 0; i < list.length; i++) {
    const buf = list[i];
    if (!isUint8Array(buf)) throw invalidArgType(`list[${i}]`, ['Buffer', 'Uint8Array'], list[i]);
    pos += copyActual(buf, buffer, pos, 0, buf.length);
  }
  return buffer;
};

// ---------------------------------------------------------------- instance methods
const proto = FastBuffer.prototype;

Object.defineProperty(proto, 'parent', { enumerable: true, configurable: true, get() { return this instanceof FastBuffer ? this.buffer : undefined; } });
Object.defineProperty(proto, 'offset', { enumerable: true, configurable: true, get() { return this instanceof FastBuffer ? this.byteOffset : undefined; } });

proto.toString = function toString(encoding, start, end) {
  if (arguments.length === 0) return utf8Slice(this, 0, this.length);
  const len = this.length;
  if (start <= 0) start = 0;
  else if (start >= len) return '';
  else start = Math.trunc(start) || 0;
  if (end === undefined || end > len) end = len;
  else end = Math.trunc(end) || 0;
  if (end <= start) return '';
  if (encoding === undefined) return utf8Slice(this, start, end);
  const ops = getEncodingOps(encoding);
  if (ops === undefined) throw unknownEncoding(encoding);
  return ops.slice(this, start, end);
};
proto.toLocaleString = proto.toString;
proto.equals = function equals(otherBuffer) {
  if (!isUint8Array(otherBuffer)) throw invalidArgType('otherBuffer', ['Buffer', 'Uint8Array'], otherBuffer);
  if (this === otherBuffer) return true;
  const len = this.byteLength;
  if (len !== otherBuffer.byteLength) return false;
  return len === 0 || compareBytes(this, otherBuffer, 0, len, 0, len) === 0;
};
proto.compare = function compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
  if (!isUint8Array(target)) throw invalidArgType('target', ['Buffer', 'Uint8Array'], target);
  if (arguments.length === 1) return compareBytes(this, target, 0, this.length, 0, target.length);
  if (targetStart === undefined) targetStart = 0; else validateOffset(targetStart, 'targetStart');
  if (targetEnd === undefined) targetEnd = target.length; else validateOffset(targetEnd, 'targetEnd', 0, target.length);
  if (sourceStart === undefined) sourceStart = 0; else validateOffset(sourceStart, 'sourceStart');
  if (sourceEnd === undefined) sourceEnd = this.length; else validateOffset(sourceEnd, 'sourceEnd', 0, this.length);
  if (sourceStart >= sourceEnd) return targetStart >= targetEnd ? 0 : -1;
  if (targetStart >= targetEnd) return 1;
  return compareBytes(this, target, sourceStart, sourceEnd, targetStart, targetEnd);
};

function adjustOffset(offset, length) {
  offset = Math.trunc(offset);
  if (offset === 0 || Number.isNaN(offset)) return 0;
  if (offset < 0) { offset += length; return offset > 0 ? offset : 0; }
  if (offset < length) return offset;
  return length;
}
proto.slice = function slice(start, end) {
  const srcLength = this.length;
  start = adjustOffset(start, srcLength);
  end = end !== undefined ? adjustOffset(end, srcLength) : srcLength;
  return new FastBuffer(this.buffer, this.byteOffset + start, end > start ? end - start : 0);
};
proto.subarray = proto.slice;

function toInteger(n, defaultVal) {
  n = +n;
  if (!Number.isNaN(n) && n >= Number.MIN_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER) return n % 1 === 0 ? n : Math.floor(n);
  return defaultVal;
}
function copyActual(source, target, targetStart, sourceStart, sourceEnd) {
  if (sourceEnd - sourceStart > target.byteLength - targetStart) sourceEnd = sourceStart + target.byteLength - targetStart;
  let nb = sourceEnd - sourceStart;
  const sourceLen = source.byteLength - sourceStart;
  if (nb > sourceLen) nb = sourceLen;
  if (nb <= 0) return 0;
  const src = new Uint8Array(source.buffer, source.byteOffset + sourceStart, nb);
  const dst = target instanceof Uint8Array ? target : new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  Uint8Array.prototype.set.call(dst, src, targetStart);
  return nb;
}
proto.copy = function copy(target, targetStart, sourceStart, sourceEnd) {
  if (!ArrayBuffer.isView(this)) throw invalidArgType('source', ['Buffer', 'Uint8Array'], this);
  if (!ArrayBuffer.isView(target)) throw invalidArgType('target', ['Buffer', 'Uint8Array'], target);
  if (targetStart === undefined) targetStart = 0;
  else {
    targetStart = Number.isInteger(targetStart) ? targetStart : toInteger(targetStart, 0);
    if (targetStart < 0) throw outOfRange('targetStart', '>= 0', targetStart);
  }
  if (sourceStart === undefined) sourceStart = 0;
  else {
    sourceStart = Number.isInteger(sourceStart) ? sourceStart : toInteger(sourceStart, 0);
    if (sourceStart < 0 || sourceStart > this.byteLength) throw outOfRange('sourceStart', `>= 0 && <= ${this.byteLength}`, sourceStart);
  }
  if (sourceEnd === undefined) sourceEnd = this.byteLength;
  else {
    sourceEnd = Number.isInteger(sourceEnd) ? sourceEnd : toInteger(sourceEnd, 0);
    if (sourceEnd < 0) throw outOfRange('sourceEnd', '>= 0', sourceEnd);
  }
  if (targetStart >= target.byteLength || sourceStart >= sourceEnd) return 0;
  return copyActual(this, target, targetStart, sourceStart, sourceEnd);
};

function fill_(buf, value, offset, end, encoding) {
  let bytes;
  if (typeof value === 'string') {
    if (offset === undefined || typeof offset === 'string') { encoding = offset; offset = 0; end = buf.length; }
    else if (typeof end === 'string') { encoding = end; end = buf.length; }
    const normalized = normalizeEncoding(encoding);
    if (normalized === undefined) {
      if (typeof encoding !== 'string') throw invalidArgType('encoding', 'string', encoding);
      throw unknownEncoding(encoding);
    }
    if (value.length === 0) value = 0;
    else if (value.length === 1) {
      if (normalized === 'utf8') { const code = value.charCodeAt(0); if (code < 128) value = code; }
      else if (normalized === 'latin1') value = value.charCodeAt(0);
    }
    if (typeof value === 'string') {
      bytes = getEncodingOps(normalized).encode(value);
      if (bytes.length === 0) throw invalidArgValue('value', value);
    }
  } else if (isUint8Array(value)) {
    bytes = value;
  } else if (ArrayBuffer.isView(value)) {
    bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else if (typeof value === 'boolean') value = Number(value);
  else if (typeof value !== 'number') value = Number(value) >>> 0;
  if (offset === undefined) { offset = 0; end = buf.length; }
  else {
    validateOffset(offset, 'offset');
    if (end === undefined) end = buf.length; else validateOffset(end, 'end', 0, buf.length);
    if (offset >= end) return buf;
  }
  if (bytes === undefined) {
    if (offset > end || end - offset + offset > buf.byteLength) throw outOfBounds();
    Uint8Array.prototype.fill.call(buf, value, offset, end);
    return buf;
  }
  if (bytes.length === 0) throw invalidArgValue('value', value);
  if (end > buf.length) throw outOfBounds();
  const n = bytes.length;
  let i = offset;
  const first = Math.min(n, end - i);
  Uint8Array.prototype.set.call(buf, first === n ? bytes : bytes.subarray(0, first), i);
  i += first;
  // double the filled region until done
  while (i < end) {
    const len = Math.min(i - offset, end - i);
    Uint8Array.prototype.copyWithin.call(buf, i, offset, offset + len);
    i += len;
  }
  return buf;
}
proto.fill = function fill(value, offset, end, encoding) { return fill_(this, value, offset, end, encoding); };

proto.write = function write(string, offset, length, encoding) {
  if (typeof string !== 'string') throw withCode(TypeError, 'ERR_INVALID_ARG_TYPE', 'argument must be a string');
  if (offset === undefined) return writeUtf8(this, string, 0, this.length);
  if (length === undefined && typeof offset === 'string') {
    encoding = offset;
    length = this.length;
    offset = 0;
  } else {
    validateOffset(offset, 'offset', 0, this.length);
    const remaining = this.length - offset;
    if (length === undefined) length = remaining;
    else if (typeof length === 'string') { encoding = length; length = remaining; }
    else {
      validateOffset(length, 'length', 0, this.length);
      if (length > remaining) length = remaining;
    }
  }
  if (!encoding || encoding === 'utf8') return writeUtf8(this, string, offset, length);
  const ops = getEncodingOps(encoding);
  if (ops === undefined) throw unknownEncoding(encoding);
  return ops.write(this, string, offset, length);
};

proto.toJSON = function toJSON() {
  if (this.length > 0) {
    const data = new Array(this.length);
    for (let i = 0; i < this.length; ++i) data[i] = this[i];
    return { type: 'Buffer', data };
  }
  return { type: 'Buffer', data: [] };
};

function swap(b, n, m) { const i = b[n]; b[n] = b[m]; b[m] = i; }
proto.swap16 = function swap16() {
  const len = this.length;
  if (len % 2 !== 0) throw withCode(RangeError, 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of 16-bits');
  for (let i = 0; i < len; i += 2) swap(this, i, i + 1);
  return this;
};
proto.swap32 = function swap32() {
  const len = this.length;
  if (len % 4 !== 0) throw withCode(RangeError, 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of 32-bits');
  for (let i = 0; i < len; i += 4) { swap(this, i, i + 3); swap(this, i + 1, i + 2); }
  return this;
};
proto.swap64 = function swap64() {
  const len = this.length;
  if (len % 8 !== 0) throw withCode(RangeError, 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of 64-bits');
  for (let i = 0; i < len; i += 8) { swap(this, i, i + 7); swap(this, i + 1, i + 6); swap(this, i + 2, i + 5); swap(this, i + 3, i + 4); }
  return this;
};

// ---------------------------------------------------------------- search
function indexOfOffset(length, offset, needleLength, isForward) {
  if (offset < 0) {
    if (offset + length >= 0) return length + offset;
    if (isForward || needleLength === 0) return 0;
    return -1;
  }
  if (offset + needleLength <= length) return offset;
  if (needleLength === 0) return length;
  if (isForward) return -1;
  return length - 1;
}
function indexOfBytes(buf, needle, byteOffset, dir, encodingVal) {
  const hlen = buf.length, nlen = needle.length;
  const offset = indexOfOffset(hlen, Math.trunc(byteOffset), nlen, dir);
  if (nlen === 0) return offset;
  if (hlen === 0 || offset <= -1) return -1;
  if ((dir && nlen + offset > hlen) || nlen > hlen) return -1;
  const step = encodingVal === 3 ? 2 : 1; // utf16le matches whole code units
  const first = needle[0];
  if (dir) {
    for (let i = offset; i <= hlen - nlen; i++) {
      if (buf[i] !== first || (step === 2 && i % 2 !== 0)) continue;
      let j = 1;
      while (j < nlen && buf[i + j] === needle[j]) j++;
      if (j === nlen) return i;
    }
  } else {
    for (let i = Math.min(offset, hlen - nlen); i >= 0; i--) {
      if (buf[i] !== first || (step === 2 && i % 2 !== 0)) continue;
      let j = 1;
      while (j < nlen && buf[i + j] === needle[j]) j++;
      if (j === nlen) return i;
    }
  }
  return -1;
}
function bidirectionalIndexOf(buffer, val, byteOffset, encoding, dir) {
  if (typeof byteOffset === 'string') { encoding = byteOffset; byteOffset = undefined; }
  else if (byteOffset > 0x7fffffff) byteOffset = 0x7fffffff;
  else if (byteOffset < -0x80000000) byteOffset = -0x80000000;
  byteOffset = +byteOffset;
  if (Number.isNaN(byteOffset)) byteOffset = dir ? 0 : (buffer.length || buffer.byteLength);
  dir = !!dir;
  if (typeof val === 'number') {
    const needle = (val >>> 0) & 0xff;
    const offset = indexOfOffset(buffer.length, Math.trunc(byteOffset), 1, dir);
    if (offset <= -1 || buffer.length === 0) return -1;
    return dir ? Uint8Array.prototype.indexOf.call(buffer, needle, offset)
      : Uint8Array.prototype.lastIndexOf.call(buffer, needle, offset);
  }
  const ops = encoding === undefined ? OPS.utf8 : getEncodingOps(encoding);
  if (typeof val === 'string') {
    if (ops === undefined) throw unknownEncoding(encoding);
    return ops.indexOf(buffer, val, byteOffset, dir);
  }
  if (isUint8Array(val)) return indexOfBytes(buffer, val, byteOffset, dir, ops === undefined ? 1 : ops.encodingVal);
  throw invalidArgType('value', ['number', 'string', 'Buffer', 'Uint8Array'], val);
}
proto.indexOf = function indexOf(val, byteOffset, encoding) { return bidirectionalIndexOf(this, val, byteOffset, encoding, true); };
proto.lastIndexOf = function lastIndexOf(val, byteOffset, encoding) { return bidirectionalIndexOf(this, val, byteOffset, encoding, false); };
proto.includes = function includes(val, byteOffset, encoding) { return this.indexOf(val, byteOffset, encoding) !== -1; };

// Encoding-specific slices and writes, as Node has them on the prototype.
for (const [name, ops] of [['utf8', OPS.utf8], ['ucs2', OPS.ucs2], ['utf16le', OPS.ucs2], ['latin1', OPS.latin1],
  ['ascii', OPS.ascii], ['base64', OPS.base64], ['base64url', OPS.base64url], ['hex', OPS.hex]]) {
  proto[`${name}Slice`] = function (start = 0, end = this.length) { return ops.slice(this, start, end); };
  proto[`${name}Write`] = function (string, offset = 0, length = this.length - offset) {
    if (offset > this.length) throw outOfBounds('offset');
    return ops.write(this, string, offset, length);
  };
}

proto[customInspect] = function inspect(recurseTimes, ctx) {
  const max = INSPECT_MAX_BYTES;
  const actualMax = Math.min(max, this.length);
  const remaining = this.length - max;
  let str = host.hexEncode(this.subarray(0, actualMax)).replace(/(.{2})/g, '$1 ').trim();
  if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
  const keys = Object.keys(this).filter((k) => !/^\d+$/.test(k));
  if (keys.length && ctx) {
    const util = require('util');
    const extras = keys.map((k) => `${k}: ${util.inspect(this[k], { ...ctx, breakLength: Infinity, compact: true })}`);
    str += `${str ? ', ' : ''}${extras.join(', ')}`;
  }
  return `<${this.constructor.name} ${str}>`;
};

// ---------------------------------------------------------------- numbers
function boundsError(value, length, type) {
  if (Math.floor(value) !== value) {
    validateNumber(value, type || 'offset');
    throw outOfRange(type || 'offset', 'an integer', value);
  }
  if (length < 0) throw outOfBounds();
  throw outOfRange(type || 'offset', `>= ${type ? 1 : 0} and <= ${length}`, value);
}
function checkBounds(buf, offset, byteLength) {
  validateNumber(offset, 'offset');
  if (buf[offset] === undefined || buf[offset + byteLength] === undefined) boundsError(offset, buf.length - (byteLength + 1));
}
function checkInt(value, min, max, buf, offset, byteLength) {
  if (value > max || value < min) {
    const n = typeof min === 'bigint' ? 'n' : '';
    let range;
    if (byteLength > 3) {
      if (min === 0 || min === 0n) range = `>= 0${n} and < 2${n} ** ${(byteLength + 1) * 8}${n}`;
      else range = `>= -(2${n} ** ${(byteLength + 1) * 8 - 1}${n}) and < 2${n} ** ${(byteLength + 1) * 8 - 1}${n}`;
    } else range = `>= ${min}${n} and <= ${max}${n}`;
    throw outOfRange('value', range, value);
  }
  checkBounds(buf, offset, byteLength);
}
// Reads `width` bytes as an unsigned integer (little-endian when le) after Node's checks.
function readUnsigned(buf, offset, width, le) {
  validateNumber(offset, 'offset');
  const first = buf[offset], last = buf[offset + width - 1];
  if (first === undefined || last === undefined) boundsError(offset, buf.length - width);
  let v = 0;
  if (le) for (let i = width - 1; i >= 0; i--) v = v * 256 + buf[offset + i];
  else for (let i = 0; i < width; i++) v = v * 256 + buf[offset + i];
  return v;
}
function readSigned(buf, offset, width, le) {
  const v = readUnsigned(buf, offset, width, le);
  const limit = 2 ** (width * 8 - 1);
  return v >= limit ? v - limit * 2 : v;
}
function writeInteger(buf, value, offset, width, min, max, le) {
  value = +value;
  if (width === 1) {
    validateNumber(offset, 'offset');
    if (value > max || value < min) throw outOfRange('value', `>= ${min} and <= ${max}`, value);
    if (buf[offset] === undefined) boundsError(offset, buf.length - 1);
    buf[offset] = value;
    return offset + 1;
  }
  checkInt(value, min, max, buf, offset, width - 1);
  let v = Math.trunc(value);
  if (Number.isNaN(v)) v = 0;
  if (v < 0) v += 2 ** (width * 8);
  for (let i = 0; i < width; i++) {
    const byte = v % 256;
    buf[le ? offset + i : offset + width - 1 - i] = byte;
    v = (v - byte) / 256;
  }
  return offset + width;
}
const W = { 1: 'UInt8', 2: 'UInt16', 4: 'UInt32' };
for (const width of [1, 2, 4]) {
  const max = 2 ** (width * 8) - 1, smax = 2 ** (width * 8 - 1) - 1, smin = -(2 ** (width * 8 - 1));
  for (const [suffix, le] of width === 1 ? [['', true]] : [['LE', true], ['BE', false]]) {
    const u = `${W[width]}${suffix}`, s = u.slice(1);
    proto[`read${u}`] = function (offset = 0) { return readUnsigned(this, offset, width, le); };
    proto[`read${s}`] = function (offset = 0) { return readSigned(this, offset, width, le); };
    proto[`write${u}`] = function (value, offset = 0) { return writeInteger(this, value, offset, width, 0, max, le); };
    proto[`write${s}`] = function (value, offset = 0) { return writeInteger(this, value, offset, width, smin, smax, le); };
  }
}
function variableWidth(byteLength) {
  if (byteLength >= 1 && byteLength <= 6 && Number.isInteger(byteLength)) return true;
  boundsError(byteLength, 6, 'byteLength');
  return false;
}
for (const [suffix, le] of [['LE', true], ['BE', false]]) {
  proto[`readUInt${suffix}`] = function (offset, byteLength) {
    if (offset === undefined) throw invalidArgType('offset', 'number', offset);
    variableWidth(byteLength);
    return readUnsigned(this, offset, byteLength, le);
  };
  proto[`readInt${suffix}`] = function (offset, byteLength) {
    if (offset === undefined) throw invalidArgType('offset', 'number', offset);
    variableWidth(byteLength);
    return readSigned(this, offset, byteLength, le);
  };
  proto[`writeUInt${suffix}`] = function (value, offset, byteLength) {
    variableWidth(byteLength);
    return writeInteger(this, value, offset, byteLength, 0, 2 ** (byteLength * 8) - 1, le);
  };
  proto[`writeInt${suffix}`] = function (value, offset, byteLength) {
    variableWidth(byteLength);
    return writeInteger(this, value, offset, byteLength, -(2 ** (byteLength * 8 - 1)), 2 ** (byteLength * 8 - 1) - 1, le);
  };
}

for (const [suffix, le] of [['LE', true], ['BE', false]]) {
  proto[`readBigUInt64${suffix}`] = function (offset = 0) {
    validateNumber(offset, 'offset');
    if (this[offset] === undefined || this[offset + 7] === undefined) boundsError(offset, this.length - 8);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this[le ? offset + 7 - i : offset + i]);
    return v;
  };
  proto[`readBigInt64${suffix}`] = function (offset = 0) {
    const v = this[`readBigUInt64${suffix}`](offset);
    return BigInt.asIntN(64, v);
  };
  const write = function (signed) {
    return function (value, offset = 0) {
      const min = signed ? -(2n ** 63n) : 0n, max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
      checkInt(value, min, max, this, offset, 7);
      let v = BigInt.asUintN(64, value);
      for (let i = 0; i < 8; i++) {
        this[le ? offset + i : offset + 7 - i] = Number(v & 0xffn);
        v >>= 8n;
      }
      return offset + 8;
    };
  };
  proto[`writeBigUInt64${suffix}`] = write(false);
  proto[`writeBigInt64${suffix}`] = write(true);
}

const f32 = new Float32Array(1), f32b = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1), f64b = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
for (const [name, arr, bytes, width] of [['Float', f32, f32b, 4], ['Double', f64, f64b, 8]]) {
  for (const [suffix, le] of [['LE', true], ['BE', false]]) {
    const native = le === littleEndian;
    proto[`read${name}${suffix}`] = function (offset = 0) {
      validateNumber(offset, 'offset');
      if (this[offset] === undefined || this[offset + width - 1] === undefined) boundsError(offset, this.length - width);
      for (let i = 0; i < width; i++) bytes[native ? i : width - 1 - i] = this[offset + i];
      return arr[0];
    };
    proto[`write${name}${suffix}`] = function (value, offset = 0) {
      value = +value;
      checkBounds(this, offset, width - 1);
      arr[0] = value;
      for (let i = 0; i < width; i++) this[offset + i] = bytes[native ? i : width - 1 - i];
      return offset + width;
    };
  }
}
// The lower-case aliases Node has (readUint8 = readUInt8, ...).
for (const key of Object.getOwnPropertyNames(proto)) {
  if (/^(read|write)(Big)?UInt/.test(key)) proto[key.replace('UInt', 'Uint')] = proto[key];
}

// ---------------------------------------------------------------- module
function isUtf8(input) {
  if (!ArrayBuffer.isView(input) && !isAnyArrayBuffer(input)) throw invalidArgType('input', ['ArrayBuffer', 'Buffer', 'TypedArray'], input);
  const bytes = isAnyArrayBuffer(input) ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  try { host.decodeUtf8(bytes, true); return true; } catch { return false; }
}
function isAscii(input) {
  if (!ArrayBuffer.isView(input) && !isAnyArrayBuffer(input)) throw invalidArgType('input', ['ArrayBuffer', 'Buffer', 'TypedArray'], input);
  const bytes = isAnyArrayBuffer(input) ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}
function transcode() { throw withCode(Error, 'ERR_HBF_UNAVAILABLE', 'buffer.transcode is not available in HBF'); }
function resolveObjectURL() { return undefined; }

module.exports = {
  Buffer,
  SlowBuffer,
  transcode,
  isUtf8,
  isAscii,
  kMaxLength,
  kStringMaxLength,
  btoa: globalThis.btoa,
  atob: globalThis.atob,
  constants,
  resolveObjectURL,
};
Object.defineProperty(module.exports, 'INSPECT_MAX_BYTES', {
  enumerable: true, configurable: true,
  get() { return INSPECT_MAX_BYTES; },
  set(v) { if (typeof v !== 'number' || v < 0) throw invalidArgType('INSPECT_MAX_BYTES', 'number', v); INSPECT_MAX_BYTES = v; },
});
for (const name of ['Blob', 'File']) {
  Object.defineProperty(module.exports, name, { enumerable: true, configurable: true, get() { return globalThis[name]; } });
}
