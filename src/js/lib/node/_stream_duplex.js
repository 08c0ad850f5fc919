'use strict';
// node:stream's Duplex (also _stream_duplex): a Readable that is also a Writable (Writable's
// methods mixed in, `instanceof Writable` holds), allowHalfOpen, readable/writable options,
// Duplex.from for the common inputs (a stream, an async iterable, a function).

const Readable = require('_stream_readable');
const Writable = require('_stream_writable');

function Duplex(options) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  // Readable's constructor makes the readable state (and runs _construct for both sides);
  // the writable state is made here, so Writable's constructor is not run.
  this._writableState = new Writable.WritableState(options, this, true);
  Readable.call(this, options);
  if (options) {
    this.allowHalfOpen = options.allowHalfOpen !== false;
    if (options.readable === false) {
      this._readableState.readable = false;
      this._readableState.ended = true;
      this._readableState.endEmitted = true;
    }
    if (options.writable === false) {
      this._writableState.writable = false;
      this._writableState.ending = true;
      this._writableState.ended = true;
      this._writableState.finished = true;
    }
    if (typeof options.write === 'function') this._write = options.write;
    if (typeof options.writev === 'function') this._writev = options.writev;
    if (typeof options.final === 'function') this._final = options.final;
  } else {
    this.allowHalfOpen = true;
  }
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);
for (const method of Object.keys(Writable.prototype)) {
  if (!Duplex.prototype[method] || method === 'write' || method === 'end' || method === 'cork' || method === 'uncork' || method === 'setDefaultEncoding' || method === '_write') {
    Duplex.prototype[method] = Writable.prototype[method];
  }
}
Duplex.prototype._writev = null;
Duplex.prototype.destroy = function (err, cb) {
  Writable.prototype.destroy.call(this, err, cb);
  return this;
};
for (const name of ['writable', 'writableHighWaterMark', 'writableObjectMode', 'writableBuffer', 'writableLength',
  'writableFinished', 'writableCorked', 'writableEnded', 'writableNeedDrain']) {
  Object.defineProperty(Duplex.prototype, name, Object.getOwnPropertyDescriptor(Writable.prototype, name));
}
Object.defineProperty(Duplex.prototype, 'destroyed', {
  configurable: true,
  get() {
    if (this._readableState === undefined || this._writableState === undefined) return false;
    return this._readableState.destroyed && this._writableState.destroyed;
  },
  set(value) {
    if (this._readableState && this._writableState) {
      this._readableState.destroyed = value;
      this._writableState.destroyed = value;
    }
  },
});

Duplex.from = function from(body) {
  if (body instanceof Duplex) return body;
  if (body instanceof Readable) return body;
  if (typeof body === 'function') {
    const { PassThrough } = require('stream');
    const input = new PassThrough({ objectMode: true });
    const output = Readable.from(body(input));
    return Duplex.fromPair(input, output);
  }
  if (body && (typeof body[Symbol.asyncIterator] === 'function' || typeof body[Symbol.iterator] === 'function')) return Readable.from(body);
  if (body && typeof body.then === 'function') {
    return new Duplex({ objectMode: true, writable: false, read() { body.then((v) => { if (v != null) this.push(v); this.push(null); }, (e) => this.destroy(e)); } });
  }
  const { invalidArgType } = require('hbf:node-errors');
  throw invalidArgType('body', ['Stream', 'Iterable', 'AsyncIterable', 'Function', 'Promise'], body);
};
Duplex.fromPair = function (writable, readable) {
  const d = new Duplex({
    objectMode: true,
    write(chunk, enc, cb) { if (writable.write(chunk, enc)) cb(); else writable.once('drain', cb); },
    final(cb) { writable.end(); cb(); },
    read() { readable.resume(); },
  });
  readable.on('data', (chunk) => { if (!d.push(chunk)) readable.pause(); });
  readable.on('end', () => d.push(null));
  readable.on('error', (e) => d.destroy(e));
  writable.on('error', (e) => d.destroy(e));
  return d;
};

module.exports = Duplex;
