'use strict';
// node:zlib — gzip/gunzip, deflate/inflate, deflateRaw/inflateRaw, unzip and brotli over
// HBF's Rust codecs (src/js/zlib_codec.rs: flate2 on miniz_oxide, brotli): the *Sync
// functions, the callback forms (util.promisify works on them), the Transform stream classes
// (createGzip() …) with flush(), reset() and close(), `constants`, Node's option checks and
// errors (Z_DATA_ERROR "incorrect header check", Z_BUF_ERROR "unexpected end of file").
// Output is capped by maxOutputLength (default buffer.kMaxLength) and, always, by the app's
// JavaScript memory limit, so a decompression bomb fails with a RangeError instead of
// exhausting the worker.
// Differences from Node: windowBits, memLevel and strategy are validated but the codec always
// uses a 32 KiB window and the default strategy (miniz_oxide); params() only calls back;
// dictionaries are not supported; compressed bytes differ from Node's zlib (the formats and
// round trips are the same); brotli errors say "Decompression failed" with code
// ERR_BROTLI_DECOMPRESSION_FAILED instead of the decoder's own code.

const host = require('hbf:host');
const { Buffer, kMaxLength } = require('buffer');
const Transform = require('_stream_transform');
const { withCode, invalidArgType, outOfRange, validateFunction } = require('hbf:node-errors');

const constants = Object.freeze({
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0, ZLIB_VERNUM: 4865,
  DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
  BROTLI_DECODE: 8, BROTLI_ENCODE: 9,
  Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15,
  Z_MIN_CHUNK: 64, Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384,
  Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
  Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2, BROTLI_OPERATION_EMIT_METADATA: 3,
  BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2, BROTLI_DEFAULT_MODE: 0,
  BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11, BROTLI_DEFAULT_QUALITY: 11,
  BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10, BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30,
  BROTLI_DEFAULT_WINDOW: 22, BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16, BROTLI_MAX_INPUT_BLOCK_BITS: 24,
  BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4, BROTLI_PARAM_SIZE_HINT: 5, BROTLI_PARAM_LARGE_WINDOW: 6,
  BROTLI_PARAM_NPOSTFIX: 7, BROTLI_PARAM_NDIRECT: 8,
  BROTLI_DECODER_RESULT_ERROR: 0, BROTLI_DECODER_RESULT_SUCCESS: 1, BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2,
  BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3, BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0,
  BROTLI_DECODER_PARAM_LARGE_WINDOW: 1, BROTLI_DECODER_NO_ERROR: 0, BROTLI_DECODER_SUCCESS: 1,
  BROTLI_DECODER_NEEDS_MORE_INPUT: 2, BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3,
});
const C = constants;

// ---------------------------------------------------------------- limits
let memoryLimit; // the runtime's, asked once
function outputCap(maxOutputLength) {
  if (memoryLimit === undefined) memoryLimit = host.zlibMemoryLimit();
  const max = maxOutputLength === undefined ? kMaxLength : maxOutputLength;
  return memoryLimit != null && memoryLimit < max ? { limit: memoryLimit, memory: true } : { limit: max, memory: false };
}

function push(handle, chunk, flush, cap) {
  try {
    return host.zlibPush(handle, chunk, flush, cap.limit);
  } catch (e) {
    if (cap.memory && e && e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw withCode(RangeError, 'ERR_BUFFER_TOO_LARGE',
        `Cannot create a Buffer larger than ${cap.limit} bytes: the output would exceed the app's JavaScript memory limit (--qjs_mem_mb)`);
    }
    throw e;
  }
}

// ---------------------------------------------------------------- options
function checkRange(opts, name, min, max, def) {
  const v = opts[name];
  if (v === undefined || v === null || Number.isNaN(v)) return def;
  if (typeof v !== 'number') throw invalidArgType(`options.${name}`, 'number', v);
  if (!Number.isFinite(v) && !(max === Infinity && v === Infinity)) throw outOfRange(`options.${name}`, 'a finite number', v);
  if (v < min || v > max) throw outOfRange(`options.${name}`, `>= ${min} and <= ${max}`, v);
  return v;
}

const FLUSH_KIND = { 0: 0, 1: 2, 2: 2, 3: 2, 4: 4, 5: 2 };
const BROTLI_FLUSH_KIND = { 0: 0, 1: 2, 2: 4, 3: 2 };

// Node's checks, then what the host codec takes.
function parseOptions(mode, opts) {
  if (opts === undefined || opts === null) opts = {};
  if (typeof opts !== 'object') throw invalidArgType('options', 'Object', opts);
  const brotli = mode.startsWith('brotli');
  const flushes = brotli ? [C.BROTLI_OPERATION_PROCESS, C.BROTLI_OPERATION_EMIT_METADATA] : [C.Z_NO_FLUSH, C.Z_BLOCK];
  const flush = checkRange(opts, 'flush', flushes[0], flushes[1], brotli ? C.BROTLI_OPERATION_PROCESS : C.Z_NO_FLUSH);
  const finishFlush = checkRange(opts, 'finishFlush', flushes[0], flushes[1], brotli ? C.BROTLI_OPERATION_FINISH : C.Z_FINISH);
  const chunkSize = checkRange(opts, 'chunkSize', C.Z_MIN_CHUNK, Infinity, C.Z_DEFAULT_CHUNK);
  const maxOutputLength = checkRange(opts, 'maxOutputLength', 1, kMaxLength, kMaxLength);
  const kinds = brotli ? BROTLI_FLUSH_KIND : FLUSH_KIND;
  const out = { flush: kinds[flush], finishFlush: kinds[finishFlush], chunkSize, maxOutputLength, codec: {} };
  if (brotli) {
    const params = opts.params || {};
    if (typeof params !== 'object') throw invalidArgType('options.params', 'Object', params);
    for (const key of Object.keys(params)) {
      const id = Number(key), v = params[key];
      if (!Number.isInteger(id) || id < 0 || id > 8) throw withCode(RangeError, 'ERR_BROTLI_INVALID_PARAM', `${key} is not a valid Brotli parameter`);
      if (typeof v !== 'number' && typeof v !== 'boolean') throw invalidArgType('options.params[key]', 'number', v);
      if (id === C.BROTLI_PARAM_QUALITY) out.codec.quality = Math.max(0, Math.min(11, v | 0));
      if (id === C.BROTLI_PARAM_LGWIN) out.codec.lgwin = Math.max(10, Math.min(24, v | 0));
    }
  } else {
    const inflate = mode === 'inflate' || mode === 'gunzip' || mode === 'unzip' || mode === 'inflateRaw';
    checkRange(opts, 'windowBits', inflate && opts.windowBits === 0 ? 0 : C.Z_MIN_WINDOWBITS, C.Z_MAX_WINDOWBITS, C.Z_DEFAULT_WINDOWBITS);
    out.codec.level = checkRange(opts, 'level', C.Z_MIN_LEVEL, C.Z_MAX_LEVEL, C.Z_DEFAULT_COMPRESSION);
    checkRange(opts, 'memLevel', C.Z_MIN_MEMLEVEL, C.Z_MAX_MEMLEVEL, C.Z_DEFAULT_MEMLEVEL);
    checkRange(opts, 'strategy', C.Z_DEFAULT_STRATEGY, C.Z_FIXED, C.Z_DEFAULT_STRATEGY);
    if (opts.dictionary !== undefined) {
      throw withCode(Error, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'zlib dictionaries are not supported in HBF');
    }
  }
  return out;
}

function inputBytes(buffer) {
  if (typeof buffer === 'string') return Buffer.from(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView', 'ArrayBuffer'], buffer);
}

const asBuffer = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

// ---------------------------------------------------------------- one-shot forms
function syncFn(mode) {
  return function (buffer, opts) {
    const data = inputBytes(buffer);
    const o = parseOptions(mode, opts);
    const handle = host.zlibNew(mode, o.codec);
    return asBuffer(push(handle, data, o.finishFlush, outputCap(o.maxOutputLength)));
  };
}

function callbackFn(sync) {
  return function (buffer, opts, callback) {
    if (typeof opts === 'function') { callback = opts; opts = {}; }
    validateFunction(callback, 'callback');
    let result, error = null;
    try { result = sync(buffer, opts); } catch (e) { error = e; }
    Promise.resolve().then(() => (error ? callback(error) : callback(null, result)));
  };
}

// ---------------------------------------------------------------- streams
const kFlushMarker = Symbol('kFlushMarker');

class ZlibBase extends Transform {
  constructor(mode, opts) {
    const o = parseOptions(mode, opts);
    super({ ...(opts || {}), readableHighWaterMark: o.chunkSize, writableHighWaterMark: o.chunkSize, objectMode: false });
    this._mode = mode;
    this._opts = o;
    this._handle = host.zlibNew(mode, o.codec);
    this._cap = outputCap(undefined);
    this.bytesWritten = 0;
    this._closed = false;
  }
  _run(chunk, flush) {
    const out = push(this._handle, chunk, flush, this._cap);
    if (out.byteLength > 0) this.push(asBuffer(out));
  }
  _transform(chunk, encoding, callback) {
    try {
      if (chunk && chunk[kFlushMarker] !== undefined) {
        this._run(new Uint8Array(0), chunk[kFlushMarker]);
      } else {
        const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : inputBytes(chunk);
        this.bytesWritten += data.byteLength;
        this._run(data, this._opts.flush);
      }
    } catch (e) {
      callback(e);
      return;
    }
    callback();
  }
  _flush(callback) {
    try { this._run(new Uint8Array(0), this._opts.finishFlush); } catch (e) { callback(e); return; }
    callback();
  }
  // flush([kind,] callback): everything written so far comes out (Z_FULL_FLUSH by default).
  flush(kind, callback) {
    if (typeof kind === 'function' || kind === undefined) { callback = kind; kind = this._mode.startsWith('brotli') ? C.BROTLI_OPERATION_FLUSH : C.Z_FULL_FLUSH; }
    if (this.writableFinished || this.destroyed) {
      if (callback) Promise.resolve().then(callback);
      return;
    }
    const marker = Buffer.alloc(0);
    marker[kFlushMarker] = (this._mode.startsWith('brotli') ? BROTLI_FLUSH_KIND : FLUSH_KIND)[kind] ?? 2;
    this.write(marker, callback ? () => callback() : undefined);
  }
  params(level, strategy, callback) {
    // The codec cannot change level mid-stream (miniz_oxide); accepted for compatibility.
    if (callback) Promise.resolve().then(callback);
  }
  reset() { host.zlibReset(this._handle); }
  close(callback) {
    if (callback) this.once('close', callback);
    this._closed = true;
    this.destroy();
  }
  _processChunk(chunk, flushFlag, cb) {
    const kind = (this._mode.startsWith('brotli') ? BROTLI_FLUSH_KIND : FLUSH_KIND)[flushFlag] ?? 0;
    const out = asBuffer(push(this._handle, inputBytes(chunk), kind, this._cap));
    if (typeof cb === 'function') { Promise.resolve().then(() => cb(null, out)); return undefined; }
    return out;
  }
}

const MODES = {
  Deflate: 'deflate', Inflate: 'inflate', Gzip: 'gzip', Gunzip: 'gunzip', DeflateRaw: 'deflateRaw',
  InflateRaw: 'inflateRaw', Unzip: 'unzip', BrotliCompress: 'brotliCompress', BrotliDecompress: 'brotliDecompress',
};

module.exports = { constants, codes: Object.freeze({ Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1,
  Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  '0': 'Z_OK', '1': 'Z_STREAM_END', '2': 'Z_NEED_DICT', '-1': 'Z_ERRNO', '-2': 'Z_STREAM_ERROR',
  '-3': 'Z_DATA_ERROR', '-4': 'Z_MEM_ERROR', '-5': 'Z_BUF_ERROR', '-6': 'Z_VERSION_ERROR' }) };

// Without the `brotli-compress` cargo feature only decompression exists, and the compress
// names are absent (not throwing), so middleware that probes for them falls back to gzip.
if (!host.zlibBrotliCompress) delete MODES.BrotliCompress;

for (const [Name, mode] of Object.entries(MODES)) {
  // Classes callable without `new`, as Node's are.
  const Class = { [Name]: class extends ZlibBase { constructor(opts) { super(mode, opts); } } }[Name];
  const factory = function (opts) { return new Class(opts); };
  const Callable = new Proxy(Class, { apply: (target, self, args) => new Class(...args) });
  module.exports[Name] = Callable;
  module.exports[`create${Name}`] = factory;
  const sync = syncFn(mode);
  module.exports[`${mode}Sync`] = sync;
  module.exports[mode] = callbackFn(sync);
}

// zlib.Z_* and the other constants on the module itself, as Node keeps them (deprecated).
for (const [k, v] of Object.entries(constants)) {
  if (!k.startsWith('BROTLI_') && !(k in module.exports)) Object.defineProperty(module.exports, k, { value: v, enumerable: true });
}
