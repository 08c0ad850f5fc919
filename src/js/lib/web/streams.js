// Web globals: ReadableStream, WritableStream, TransformStream, TextEncoderStream,
// TextDecoderStream, ByteLengthQueuingStrategy, CountQueuingStrategy (WHATWG Streams subset).
// Installed lazily as globals by prelude.js on first use.
// What it implements: default readers and writers, queuing strategies (highWaterMark, size),
// pull-based sources with backpressure, cancel/abort/error propagation, tee, pipeTo,
// pipeThrough, async iteration, ReadableStream.from. Leaves out: BYOB readers (a `type: "bytes"`
// source is accepted and read with a default reader), transferable streams.
"use strict";

const kState = Symbol("streamState");
// Internal hook for fetch.js: called with each chunk as a reader takes it (backpressure credit).
const kOnDequeue = Symbol("onDequeue");

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}
const quietly = p => { p.catch(() => {}); return p; };

function strategyOf(strategy, defaultHwm) {
  const s = strategy || {};
  const hwm = s.highWaterMark === undefined ? defaultHwm : Number(s.highWaterMark);
  if (Number.isNaN(hwm) || hwm < 0) throw new RangeError("highWaterMark must be a non-negative number");
  const size = typeof s.size === "function" ? s.size : () => 1;
  return { hwm, size };
}

// ------------------------------------------------------------------ ReadableStream
class ReadableStreamDefaultController {
  #st;
  constructor(key, st) { if (key !== kState) throw new TypeError("Illegal constructor"); this.#st = st; }
  get desiredSize() {
    const st = this.#st;
    if (st.state === "errored") return null;
    if (st.state === "closed") return 0;
    return st.hwm - st.queueSize;
  }
  enqueue(chunk) {
    const st = this.#st;
    if (st.closeRequested || st.state !== "readable") throw new TypeError("Cannot enqueue into a closed or errored stream");
    if (st.reads.length > 0) {
      const r = st.reads.shift();
      if (st[kOnDequeue]) st[kOnDequeue](chunk);
      r.resolve({ value: chunk, done: false });
    } else {
      let size = 1;
      try { size = st.size(chunk); } catch (e) { readableError(st, e); throw e; }
      st.queue.push({ chunk, size });
      st.queueSize += size;
    }
    pullIfNeeded(st);
  }
  close() {
    const st = this.#st;
    if (st.closeRequested || st.state !== "readable") throw new TypeError("The stream is already closing or closed");
    st.closeRequested = true;
    if (st.queue.length === 0) readableClose(st);
  }
  error(e) { readableError(this.#st, e); }
}

function readableClose(st) {
  if (st.state !== "readable") return;
  st.state = "closed";
  for (const r of st.reads) r.resolve({ value: undefined, done: true });
  st.reads = [];
  if (st.reader) st.reader._closed.resolve();
}

function readableError(st, e) {
  if (st.state !== "readable") return;
  st.state = "errored";
  st.storedError = e;
  st.queue = []; st.queueSize = 0;
  for (const r of st.reads) r.reject(e);
  st.reads = [];
  if (st.reader) st.reader._closed.reject(e);
}

function pullIfNeeded(st) {
  if (!st.started || st.state !== "readable" || st.closeRequested || !st.source.pull) return;
  const desired = st.hwm - st.queueSize;
  if (!(st.reads.length > 0 || desired > 0)) return;
  if (st.pulling) { st.pullAgain = true; return; }
  st.pulling = true;
  Promise.resolve().then(() => st.source.pull.call(st.source, st.controller)).then(() => {
    st.pulling = false;
    if (st.pullAgain) { st.pullAgain = false; pullIfNeeded(st); }
  }, e => readableError(st, e));
}

function readableCancel(st, reason) {
  if (st.state === "closed") return Promise.resolve();
  if (st.state === "errored") return Promise.reject(st.storedError);
  st.queue = []; st.queueSize = 0;
  readableClose(st);
  const cancel = st.source.cancel;
  return Promise.resolve().then(() => cancel ? cancel.call(st.source, reason) : undefined).then(() => undefined);
}

function readFrom(st) {
  if (st.queue.length > 0) {
    const { chunk, size } = st.queue.shift();
    st.queueSize -= size;
    if (st.queueSize < 1e-9) st.queueSize = 0;
    if (st[kOnDequeue]) st[kOnDequeue](chunk);
    if (st.closeRequested && st.queue.length === 0) readableClose(st);
    else pullIfNeeded(st);
    return Promise.resolve({ value: chunk, done: false });
  }
  if (st.state === "closed") return Promise.resolve({ value: undefined, done: true });
  if (st.state === "errored") return Promise.reject(st.storedError);
  const d = deferred();
  st.reads.push(d);
  pullIfNeeded(st);
  return d.promise;
}

class ReadableStreamDefaultReader {
  #st;
  constructor(stream) {
    if (!(stream instanceof ReadableStream)) throw new TypeError("ReadableStreamDefaultReader needs a ReadableStream");
    const st = stream[kState];
    if (st.reader) throw new TypeError("ReadableStream is locked");
    this.#st = st;
    Object.defineProperty(this, "_closed", { value: deferred(), writable: true });
    quietly(this._closed.promise);
    st.reader = this;
    if (st.state === "closed") this._closed.resolve();
    else if (st.state === "errored") this._closed.reject(st.storedError);
  }
  get closed() { return this._closed.promise; }
  read() {
    if (!this.#st) return Promise.reject(new TypeError("The reader has been released"));
    return readFrom(this.#st);
  }
  cancel(reason) {
    if (!this.#st) return Promise.reject(new TypeError("The reader has been released"));
    return readableCancel(this.#st, reason);
  }
  releaseLock() {
    const st = this.#st;
    if (!st) return;
    const err = new TypeError("The reader was released");
    for (const r of st.reads) r.reject(err);
    st.reads = [];
    if (st.state === "readable") {
      this._closed = deferred();
      quietly(this._closed.promise);
      this._closed.reject(err);
    }
    st.reader = null;
    this.#st = null;
  }
}

class ReadableStream {
  constructor(source = {}, strategy = undefined) {
    if (source === null) throw new TypeError("ReadableStream: source must be an object");
    const { hwm, size } = strategyOf(strategy, 1);
    const st = {
      state: "readable", queue: [], queueSize: 0, hwm, size, reads: [], reader: null,
      source, started: false, pulling: false, pullAgain: false, closeRequested: false,
      storedError: undefined, controller: null,
    };
    Object.defineProperty(this, kState, { value: st });
    st.controller = new ReadableStreamDefaultController(kState, st);
    let start;
    try { start = source.start ? source.start.call(source, st.controller) : undefined; } catch (e) { readableError(st, e); throw e; }
    Promise.resolve(start).then(() => { st.started = true; pullIfNeeded(st); }, e => readableError(st, e));
  }
  get locked() { return !!this[kState].reader; }
  cancel(reason) {
    if (this.locked) return Promise.reject(new TypeError("Cannot cancel a locked stream"));
    return readableCancel(this[kState], reason);
  }
  getReader(options = undefined) {
    if (options && options.mode !== undefined && options.mode !== "byob") throw new TypeError("Invalid reader mode");
    if (options && options.mode === "byob") throw new TypeError("BYOB readers are not supported");
    return new ReadableStreamDefaultReader(this);
  }
  tee() {
    const reader = this.getReader();
    let c1, c2, canceled1 = false, canceled2 = false, reason1, reason2;
    const cancelBoth = deferred();
    const pull = () => reader.read().then(({ value, done }) => {
      if (done) { if (!canceled1) c1.close(); if (!canceled2) c2.close(); return; }
      if (!canceled1) c1.enqueue(value);
      if (!canceled2) c2.enqueue(value);
    }, e => { c1.error(e); c2.error(e); });
    const done = () => { if (canceled1 && canceled2) cancelBoth.resolve(reader.cancel([reason1, reason2])); return cancelBoth.promise; };
    const b1 = new ReadableStream({ start(c) { c1 = c; }, pull, cancel(r) { canceled1 = true; reason1 = r; return done(); } });
    const b2 = new ReadableStream({ start(c) { c2 = c; }, pull, cancel(r) { canceled2 = true; reason2 = r; return done(); } });
    return [b1, b2];
  }
  async pipeTo(dest, options = {}) {
    if (!(dest instanceof WritableStream)) throw new TypeError("pipeTo: destination must be a WritableStream");
    const { preventClose = false, preventAbort = false, preventCancel = false, signal } = options || {};
    const reader = this.getReader();
    const writer = dest.getWriter();
    let aborted = false;
    const onAbort = () => { aborted = true; };
    if (signal) { if (signal.aborted) onAbort(); else signal.addEventListener("abort", onAbort, { once: true }); }
    try {
      for (;;) {
        if (aborted) throw signal.reason;
        const { value, done } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
      if (!preventClose) await writer.close();
    } catch (e) {
      if (!preventAbort) await writer.abort(e).catch(() => {});
      if (!preventCancel) await reader.cancel(e).catch(() => {});
      throw e;
    } finally {
      if (signal) signal.removeEventListener("abort", onAbort);
      reader.releaseLock();
      writer.releaseLock();
    }
  }
  pipeThrough(transform, options = {}) {
    if (!transform || !(transform.writable instanceof WritableStream) || !(transform.readable instanceof ReadableStream)) {
      throw new TypeError("pipeThrough: argument must be a { writable, readable } pair");
    }
    quietly(this.pipeTo(transform.writable, options));
    return transform.readable;
  }
  values(options = {}) {
    const reader = this.getReader();
    const preventCancel = !!(options && options.preventCancel);
    return {
      next() { return reader.read().then(r => { if (r.done) reader.releaseLock(); return r; }); },
      async return(value) {
        if (!preventCancel) await reader.cancel(value);
        reader.releaseLock();
        return { value, done: true };
      },
      [Symbol.asyncIterator]() { return this; },
    };
  }
  [Symbol.asyncIterator](options) { return this.values(options); }
  static from(iterable) {
    if (iterable instanceof ReadableStream) return iterable;
    const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    return new ReadableStream({
      async pull(c) {
        const { value, done } = await it.next();
        if (done) c.close(); else c.enqueue(value);
      },
      async cancel(r) { if (typeof it.return === "function") await it.return(r); },
    }, { highWaterMark: 0 });
  }
  get [Symbol.toStringTag]() { return "ReadableStream"; }
}

// ------------------------------------------------------------------ WritableStream
class WritableStreamDefaultController {
  #st;
  constructor(key, st) { if (key !== kState) throw new TypeError("Illegal constructor"); this.#st = st; }
  error(e) { writableError(this.#st, e); }
  get signal() { return this.#st.abortController.signal; }
}

function writableError(st, e) {
  if (st.state !== "writable") return;
  st.state = "errored";
  st.storedError = e;
  if (st.writer) st.writer._closed.reject(e);
}

class WritableStreamDefaultWriter {
  #st;
  constructor(stream) {
    const st = stream[kState];
    if (st.writer) throw new TypeError("WritableStream is locked");
    this.#st = st;
    st.writer = this;
    Object.defineProperty(this, "_closed", { value: deferred(), writable: true });
    quietly(this._closed.promise);
    if (st.state === "closed") this._closed.resolve();
    else if (st.state === "errored") this._closed.reject(st.storedError);
  }
  get closed() { return this._closed.promise; }
  get ready() { return Promise.resolve(); }
  get desiredSize() { const st = this.#st; return st.state === "writable" ? Math.max(0, st.hwm - st.pending) : st.state === "closed" ? 0 : null; }
  write(chunk) {
    const st = this.#st;
    if (!st) return Promise.reject(new TypeError("The writer has been released"));
    if (st.state !== "writable" || st.closing) return Promise.reject(st.storedError || new TypeError("The stream is closed"));
    st.pending++;
    const p = st.chain.then(() => {
      if (st.state === "errored") throw st.storedError;
      return st.sink.write ? st.sink.write.call(st.sink, chunk, st.controller) : undefined;
    }).then(() => { st.pending--; }, e => { st.pending--; writableError(st, e); throw e; });
    st.chain = p.catch(() => {});
    return p;
  }
  close() {
    const st = this.#st;
    if (!st) return Promise.reject(new TypeError("The writer has been released"));
    if (st.state !== "writable" || st.closing) return Promise.reject(new TypeError("The stream is closed or closing"));
    st.closing = true;
    const p = st.chain.then(() => {
      if (st.state === "errored") throw st.storedError;
      return st.sink.close ? st.sink.close.call(st.sink) : undefined;
    }).then(() => { st.state = "closed"; if (st.writer) st.writer._closed.resolve(); }, e => { writableError(st, e); throw e; });
    st.chain = p.catch(() => {});
    return p;
  }
  abort(reason) {
    const st = this.#st;
    if (!st) return Promise.reject(new TypeError("The writer has been released"));
    return writableAbort(st, reason);
  }
  releaseLock() {
    const st = this.#st;
    if (!st) return;
    st.writer = null;
    this.#st = null;
  }
}

function writableAbort(st, reason) {
  if (st.state !== "writable") return Promise.resolve();
  st.abortController.abort(reason);
  writableError(st, reason);
  return Promise.resolve(st.sink.abort ? st.sink.abort.call(st.sink, reason) : undefined).then(() => undefined);
}

class WritableStream {
  constructor(sink = {}, strategy = undefined) {
    const { hwm } = strategyOf(strategy, 1);
    const st = { state: "writable", sink, hwm, pending: 0, writer: null, closing: false, storedError: undefined,
      chain: Promise.resolve(), controller: null, abortController: new AbortController() };
    Object.defineProperty(this, kState, { value: st });
    st.controller = new WritableStreamDefaultController(kState, st);
    let start;
    try { start = sink.start ? sink.start.call(sink, st.controller) : undefined; } catch (e) { writableError(st, e); throw e; }
    st.chain = Promise.resolve(start).catch(e => writableError(st, e));
  }
  get locked() { return !!this[kState].writer; }
  getWriter() { return new WritableStreamDefaultWriter(this); }
  abort(reason) {
    if (this.locked) return Promise.reject(new TypeError("Cannot abort a locked stream"));
    return writableAbort(this[kState], reason);
  }
  close() {
    if (this.locked) return Promise.reject(new TypeError("Cannot close a locked stream"));
    const w = this.getWriter();
    return w.close().finally(() => w.releaseLock());
  }
  get [Symbol.toStringTag]() { return "WritableStream"; }
}

// ------------------------------------------------------------------ TransformStream
class TransformStream {
  constructor(transformer = {}, writableStrategy = undefined, readableStrategy = undefined) {
    let rc;
    const readable = new ReadableStream({
      start(c) { rc = c; },
      cancel(reason) { if (transformer.cancel) return transformer.cancel(reason); },
    }, readableStrategy || { highWaterMark: 0 });
    const controller = {
      enqueue: chunk => rc.enqueue(chunk),
      error: e => { rc.error(e); },
      terminate: () => { try { rc.close(); } catch {} },
      get desiredSize() { return rc.desiredSize; },
    };
    const started = Promise.resolve(transformer.start ? transformer.start(controller) : undefined);
    const writable = new WritableStream({
      write(chunk) {
        return started.then(() => transformer.transform ? transformer.transform(chunk, controller) : controller.enqueue(chunk));
      },
      close() {
        return started.then(() => transformer.flush ? transformer.flush(controller) : undefined).then(() => controller.terminate());
      },
      abort(reason) { rc.error(reason); },
    }, writableStrategy);
    this.readable = readable;
    this.writable = writable;
  }
  get [Symbol.toStringTag]() { return "TransformStream"; }
}

class TextEncoderStream extends TransformStream {
  constructor() {
    const enc = new TextEncoder();
    let pending = "";
    super({
      transform(chunk, c) {
        let s = pending + `${chunk}`;
        pending = "";
        const last = s.charCodeAt(s.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) { pending = s.slice(-1); s = s.slice(0, -1); }
        if (s) c.enqueue(enc.encode(s));
      },
      flush(c) { if (pending) c.enqueue(enc.encode(pending)); },
    });
  }
  get encoding() { return "utf-8"; }
}

class TextDecoderStream extends TransformStream {
  constructor(label = "utf-8", options = {}) {
    const dec = new TextDecoder(label, options);
    super({
      transform(chunk, c) { const s = dec.decode(chunk, { stream: true }); if (s) c.enqueue(s); },
      flush(c) { const s = dec.decode(); if (s) c.enqueue(s); },
    });
    this.encoding = dec.encoding;
  }
}

class ByteLengthQueuingStrategy {
  constructor({ highWaterMark }) { this.highWaterMark = highWaterMark; }
  size(chunk) { return chunk.byteLength; }
}
class CountQueuingStrategy {
  constructor({ highWaterMark }) { this.highWaterMark = highWaterMark; }
  size() { return 1; }
}

module.exports = {
  ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController,
  WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
  TransformStream, TextEncoderStream, TextDecoderStream, ByteLengthQueuingStrategy, CountQueuingStrategy,
  kOnDequeue, kState,
};
