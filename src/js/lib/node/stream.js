'use strict';
// node:stream — the legacy Stream constructor (module.exports, as in Node) carrying Readable,
// Writable, Duplex, Transform, PassThrough, finished (end-of-stream detection with
// ERR_STREAM_PREMATURE_CLOSE), pipeline (streams, async iterables and async generator
// functions; callback form here, promise form in stream/promises), addAbortSignal, the
// isReadable/isWritable/isErrored/isDisturbed helpers, get/setDefaultHighWaterMark, promises.
// Left out: compose, duplexPair, the Web stream converters.

const base = require('hbf:node-stream-base');
const Readable = require('_stream_readable');
const Writable = require('_stream_writable');
const Duplex = require('_stream_duplex');
const Transform = require('_stream_transform');
const PassThrough = require('_stream_passthrough');
const { withCode, invalidArgType, abortError } = require('hbf:node-errors');
const { Stream, errors, nextTick } = base;

const isReadableNodeStream = (obj) => !!(obj && typeof obj.pipe === 'function' && typeof obj.on === 'function' &&
  (!obj._writableState || (obj._readableState && obj._readableState.readable !== false)) && (!obj._writableState || obj._readableState));
const isWritableNodeStream = (obj) => !!(obj && typeof obj.write === 'function' && typeof obj.on === 'function' &&
  (!obj._readableState || (obj._writableState && obj._writableState.writable !== false)));
const isNodeStream = (obj) => !!(obj && (obj._readableState || obj._writableState ||
  (typeof obj.write === 'function' && typeof obj.on === 'function') || (typeof obj.pipe === 'function' && typeof obj.on === 'function')));
const isIterable = (obj, isAsync) => {
  if (obj == null) return false;
  if (isAsync === true) return typeof obj[Symbol.asyncIterator] === 'function';
  if (isAsync === false) return typeof obj[Symbol.iterator] === 'function';
  return typeof obj[Symbol.asyncIterator] === 'function' || typeof obj[Symbol.iterator] === 'function';
};

function isReadableFinished(stream) {
  const r = stream._readableState;
  return !!(r && r.endEmitted);
}
function isWritableFinished(stream) {
  const w = stream._writableState;
  return !!(w && w.finished);
}

// ---------------------------------------------------------------- finished
function finished(stream, options, callback) {
  if (arguments.length === 2) { callback = options; options = {}; }
  else if (options == null) options = {};
  if (typeof callback !== 'function') throw invalidArgType('callback', 'Function', callback);
  let called = false;
  const done = (...args) => { if (!called) { called = true; callback.apply(stream, args); } };
  const rState = stream._readableState;
  const wState = stream._writableState;
  const readable = options.readable !== undefined ? options.readable : isReadableNodeStream(stream);
  const writable = options.writable !== undefined ? options.writable : isWritableNodeStream(stream);
  let writableFinished = isWritableFinished(stream) || (wState && wState.writable === false && !wState.ending ? true : false);
  let readableFinished = isReadableFinished(stream);
  if (wState && wState.writable === false) writableFinished = true;
  if (rState && rState.readable === false) readableFinished = true;

  const onlegacyfinish = () => { if (!stream.writable) onfinish(); };
  const onfinish = () => {
    writableFinished = true;
    if (stream.destroyed) willEmitClose = false;
    if (willEmitClose && (!stream.readable || readable)) return;
    if (!readable || readableFinished) done.call(stream);
  };
  const onend = () => {
    readableFinished = true;
    if (stream.destroyed) willEmitClose = false;
    if (willEmitClose && (!stream.writable || writable)) return;
    if (!writable || writableFinished) done.call(stream);
  };
  const onerror = (err) => { done.call(stream, err); };
  let closed = (wState && wState.closed) || (rState && rState.closed);
  const onclose = () => {
    closed = true;
    const errored = (wState && wState.errored) || (rState && rState.errored);
    if (errored && typeof errored !== 'boolean') return done.call(stream, errored);
    if (readable && !readableFinished && isReadableNodeStream(stream)) {
      if (!isReadableFinished(stream)) return done.call(stream, errors.prematureClose());
    }
    if (writable && !writableFinished) {
      if (!isWritableFinished(stream)) return done.call(stream, errors.prematureClose());
    }
    done.call(stream);
  };
  let willEmitClose = ((wState && wState.autoDestroy && wState.emitClose && wState.closed === false) ||
    (rState && rState.autoDestroy && rState.emitClose && rState.closed === false)) && isNodeStream(stream);
  const onrequest = () => { stream.req.on('finish', onfinish); };

  if (stream.setHeader && typeof stream.abort === 'function') {
    stream.on('complete', onfinish);
    if (!willEmitClose) stream.on('abort', onclose);
    if (stream.req) onrequest(); else stream.on('request', onrequest);
  } else if (writable && !wState) {
    stream.on('end', onlegacyfinish);
    stream.on('close', onlegacyfinish);
  }
  if (!willEmitClose && typeof stream.aborted === 'boolean') stream.on('aborted', onclose);
  stream.on('end', onend);
  stream.on('finish', onfinish);
  if (options.error !== false) stream.on('error', onerror);
  stream.on('close', onclose);

  if (closed) {
    nextTick(onclose);
  } else if ((wState && wState.errorEmitted) || (rState && rState.errorEmitted)) {
    if (!willEmitClose) nextTick(onclose);
  } else if (!readable && (!willEmitClose || stream.readable) && writableFinished) {
    nextTick(onclose);
  } else if (!writable && (!willEmitClose || stream.writable) && readableFinished) {
    nextTick(onclose);
  } else if (rState && stream.req && stream.aborted) {
    nextTick(onclose);
  }

  const cleanup = () => {
    callback = () => {};
    stream.removeListener('aborted', onclose);
    stream.removeListener('complete', onfinish);
    stream.removeListener('abort', onclose);
    stream.removeListener('request', onrequest);
    if (stream.req) stream.req.removeListener('finish', onfinish);
    stream.removeListener('end', onlegacyfinish);
    stream.removeListener('close', onlegacyfinish);
    stream.removeListener('finish', onfinish);
    stream.removeListener('end', onend);
    stream.removeListener('error', onerror);
    stream.removeListener('close', onclose);
  };
  if (options.signal && !closed) {
    const abort = () => {
      const endCallback = callback;
      cleanup();
      endCallback.call(stream, abortError(options.signal.reason));
    };
    if (options.signal.aborted) nextTick(abort);
    else {
      options.signal.addEventListener('abort', abort, { once: true });
      const original = callback;
      callback = (...args) => { options.signal.removeEventListener('abort', abort); original.apply(stream, args); };
    }
  }
  return cleanup;
}

// ---------------------------------------------------------------- pipeline
function destroyer(stream, reading, writing) {
  let finishedFlag = false;
  stream.on('close', () => { finishedFlag = true; });
  const cleanup = finished(stream, { readable: reading, writable: writing }, (err) => { finishedFlag = !err; });
  return {
    destroy: (err) => {
      if (finishedFlag) return;
      finishedFlag = true;
      if (typeof stream.destroy === 'function') stream.destroy(err || errors.prematureClose());
    },
    cleanup,
  };
}

function pipelineImpl(streams, callback, opts) {
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  if (streams.length < 2) throw withCode(TypeError, 'ERR_MISSING_ARGS', 'The "streams" argument must be specified');
  const outerSignal = opts && opts.signal;
  let error;
  let value;
  const destroys = [];
  let finishCount = 0;
  let finalCalled = false;
  function finish(err) { finishImpl(err, --finishCount === 0); }
  function finishImpl(err, final) {
    if (err && (!error || error.code === 'ERR_STREAM_PREMATURE_CLOSE')) error = err;
    if (!error && !final) return;
    while (destroys.length) destroys.shift()(error);
    if (final && !finalCalled) {
      finalCalled = true;
      nextTick(callback, error, value);
    }
  }
  function abort() { finishImpl(abortError(outerSignal && outerSignal.reason), true); }
  if (outerSignal) {
    if (outerSignal.aborted) nextTick(abort);
    else outerSignal.addEventListener('abort', abort, { once: true });
  }
  let ret;
  for (let i = 0; i < streams.length; i++) {
    const stream = streams[i];
    const reading = i < streams.length - 1;
    const writing = i > 0;
    const end = reading || !opts || opts.end !== false;
    const isLastStream = i === streams.length - 1;
    if (isNodeStream(stream)) {
      if (end) {
        const { destroy, cleanup } = destroyer(stream, reading, writing);
        destroys.push(destroy);
        if (isReadableNodeStream(stream) && isLastStream) destroys.push(cleanup);
      }
      const onError = (err) => {
        if (err && err.name !== 'AbortError' && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') finish(err);
      };
      stream.on('error', onError);
      destroys.push(() => stream.removeListener('error', onError));
    }
    if (i === 0) {
      if (typeof stream === 'function') {
        ret = stream({ signal: outerSignal });
        if (!isIterable(ret)) throw withCode(TypeError, 'ERR_INVALID_RETURN_VALUE', 'Expected an Iterable, AsyncIterable or Stream to be returned from the "source" function.');
      } else if (isIterable(stream) || isReadableNodeStream(stream)) {
        ret = stream;
      } else {
        ret = Duplex.from(stream);
      }
    } else if (typeof stream === 'function') {
      ret = isReadableNodeStream(ret) ? ret : Readable.from(ret);
      ret = stream(ret, { signal: outerSignal });
      if (reading) {
        if (!isIterable(ret, true)) throw withCode(TypeError, 'ERR_INVALID_RETURN_VALUE', `Expected an AsyncIterable to be returned from the "transform[${i - 1}]" function.`);
      } else {
        const pt = new PassThrough({ objectMode: true });
        const then = ret && ret.then;
        if (typeof then === 'function') {
          finishCount++;
          then.call(ret, (val) => {
            value = val;
            if (val != null) pt.write(val);
            if (end) pt.end();
            nextTick(finish);
          }, (err) => {
            pt.destroy(err);
            nextTick(finish, err);
          });
        } else if (isIterable(ret, true)) {
          finishCount++;
          pumpToNode(ret, pt, finish, { end });
        } else {
          throw withCode(TypeError, 'ERR_INVALID_RETURN_VALUE', 'Expected an AsyncIterable or Promise to be returned from the "destination" function.');
        }
        ret = pt;
        const { destroy, cleanup } = destroyer(ret, false, true);
        destroys.push(destroy);
        if (isLastStream) destroys.push(cleanup);
      }
    } else if (isNodeStream(stream)) {
      if (isReadableNodeStream(ret)) {
        finishCount += 2;
        const cleanup = pipe(ret, stream, finish, { end });
        if (isReadableNodeStream(stream) && isLastStream) destroys.push(cleanup);
      } else if (isIterable(ret)) {
        finishCount++;
        pumpToNode(ret, stream, finish, { end });
      } else {
        throw invalidArgType('val', ['Readable', 'Iterable', 'AsyncIterable'], ret);
      }
      ret = stream;
    } else {
      ret = Duplex.from(stream);
    }
  }
  if ((outerSignal && outerSignal.aborted)) nextTick(abort);
  return ret;
}

function pipe(src, dst, finish, { end }) {
  let ended = false;
  dst.on('close', () => { if (!ended) finish(errors.prematureClose()); });
  src.pipe(dst, { end: false });
  if (end) {
    const endFn = () => { ended = true; dst.end(); };
    if (isReadableFinished(src)) nextTick(endFn);
    else src.once('end', endFn);
    finished(dst, { readable: false, writable: true }, finish);
  } else {
    finish();
  }
  finished(src, { readable: true, writable: false }, (err) => {
    const rState = src._readableState;
    if (err && err.code === 'ERR_STREAM_PREMATURE_CLOSE' && rState && rState.ended && !rState.errored && !rState.errorEmitted) {
      src.once('end', finish).once('error', finish);
    } else {
      finish(err);
    }
  });
  return finished(dst, { readable: false, writable: true }, finish);
}

async function pumpToNode(iterable, writable, finish, { end }) {
  let error;
  let onresolve = null;
  const resume = (err) => {
    if (err) error = err;
    if (onresolve) { const cb = onresolve; onresolve = null; cb(); }
  };
  const wait = () => new Promise((resolve, reject) => {
    if (error) reject(error);
    else onresolve = () => { if (error) reject(error); else resolve(); };
  });
  writable.on('drain', resume);
  const cleanup = finished(writable, { readable: false }, resume);
  try {
    if (writable.writableNeedDrain) await wait();
    for await (const chunk of iterable) {
      if (!writable.write(chunk)) await wait();
    }
    if (end) {
      writable.end();
      await wait();
    }
    finish();
  } catch (err) {
    finish(error !== err ? (error || err) : err);
  } finally {
    cleanup();
    writable.off('drain', resume);
  }
}

function pipeline(...streams) {
  const callback = streams.length && typeof streams[streams.length - 1] === 'function' ? streams.pop() : null;
  if (callback === null) throw invalidArgType('streams[stream.length - 1]', 'Function', streams[streams.length - 1]);
  return pipelineImpl(streams, callback);
}

const promises = {
  pipeline(...streams) {
    return new Promise((resolve, reject) => {
      let signal, end;
      const lastArg = streams[streams.length - 1];
      if (lastArg && typeof lastArg === 'object' && !isNodeStream(lastArg) && !isIterable(lastArg)) {
        const options = streams.pop();
        signal = options.signal;
        end = options.end;
      }
      pipelineImpl(streams, (err, value) => { if (err) reject(err); else resolve(value); }, { signal, end });
    });
  },
  finished(stream, opts) {
    return new Promise((resolve, reject) => {
      finished(stream, opts, (err) => { if (err) reject(err); else resolve(); });
    });
  },
};

Object.assign(Stream, {
  Stream,
  Readable,
  Writable,
  Duplex,
  Transform,
  PassThrough,
  finished,
  pipeline,
  promises,
  addAbortSignal: Readable.addAbortSignal,
  getDefaultHighWaterMark: base.getDefaultHighWaterMark,
  setDefaultHighWaterMark: base.setDefaultHighWaterMark,
  isReadable: (s) => !!(s && s.readable && !(s._readableState && (s._readableState.destroyed || s._readableState.errored))),
  isWritable: (s) => !!(s && s.writable && !(s._writableState && (s._writableState.destroyed || s._writableState.errored))),
  isErrored: (s) => !!(s && ((s._readableState && s._readableState.errored) || (s._writableState && s._writableState.errored))),
  isDisturbed: (s) => !!(s && s._readableState && (s._readableState.dataEmitted || s._readableState.endEmitted || s._readableState.destroyed)),
  _isUint8Array: (v) => v instanceof Uint8Array,
  _uint8ArrayToBuffer: (c) => require('buffer').Buffer.from(c.buffer, c.byteOffset, c.byteLength),
});
Object.defineProperty(finished, Symbol.for('nodejs.util.promisify.custom'), { value: promises.finished });
Object.defineProperty(pipeline, Symbol.for('nodejs.util.promisify.custom'), { value: promises.pipeline });

module.exports = Stream;
