'use strict';
// hbf:node-stream-base — what node:stream's classes share: the legacy Stream constructor (an
// EventEmitter with the old pipe()), the default highWaterMarks, the destroy machinery
// (destroy → _destroy → 'error' then 'close' on the next tick; errorOrDestroy for autoDestroy
// streams), and the stream error codes. Internal to the built-ins.

const EE = require('events');
const { withCode, invalidArgType } = require('hbf:node-errors');

// process.nextTick without loading node:process (both are one microtask in HBF).
const nextTick = (fn, ...args) => queueMicrotask(() => fn(...args));

let defaultHwm = 16 * 1024;
const getDefaultHighWaterMark = (objectMode) => (objectMode ? 16 : defaultHwm);
function setDefaultHighWaterMark(objectMode, value) {
  if (!objectMode) defaultHwm = value;
}
function getHighWaterMark(state, options, duplexKey, isDuplex) {
  let hwm = options.highWaterMark;
  if (hwm == null && isDuplex) hwm = options[duplexKey];
  if (hwm != null) {
    if (!Number.isInteger(hwm) || hwm < 0) {
      const name = isDuplex ? `options.${duplexKey}` : 'options.highWaterMark';
      throw withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The property '${name}' is invalid. Received ${hwm}`);
    }
    return Math.floor(hwm);
  }
  return getDefaultHighWaterMark(state.objectMode);
}

const errors = {
  prematureClose: () => withCode(Error, 'ERR_STREAM_PREMATURE_CLOSE', 'Premature close'),
  writeAfterEnd: () => withCode(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end'),
  destroyed: (name) => withCode(Error, 'ERR_STREAM_DESTROYED', `Cannot call ${name} after a stream was destroyed`),
  alreadyFinished: (name) => withCode(Error, 'ERR_STREAM_ALREADY_FINISHED', `Cannot call ${name} after a stream was finished`),
  nullValues: () => withCode(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream'),
  pushAfterEof: () => withCode(Error, 'ERR_STREAM_PUSH_AFTER_EOF', 'stream.push() after EOF'),
  unshiftAfterEnd: () => withCode(Error, 'ERR_STREAM_UNSHIFT_AFTER_END_EVENT', 'stream.unshift() after end event'),
  notImplemented: (name) => withCode(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${name} method is not implemented`),
  multipleCallback: () => withCode(Error, 'ERR_MULTIPLE_CALLBACK', 'Callback called multiple times'),
  invalidChunk: (chunk) => invalidArgType('chunk', ['string', 'Buffer', 'TypedArray', 'DataView'], chunk),
  cannotPipe: () => withCode(Error, 'ERR_STREAM_CANNOT_PIPE', 'Cannot pipe, not readable'),
  missingArgs: (name) => withCode(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`),
};

// Legacy Stream: an EventEmitter with Node's old pipe().
function Stream(opts) { EE.call(this, opts); }
Object.setPrototypeOf(Stream.prototype, EE.prototype);
Object.setPrototypeOf(Stream, EE);
Stream.prototype.pipe = function (dest, options) {
  const source = this;
  function ondata(chunk) { if (dest.writable && dest.write(chunk) === false && source.pause) source.pause(); }
  source.on('data', ondata);
  function ondrain() { if (source.readable && source.resume) source.resume(); }
  dest.on('drain', ondrain);
  if (!dest._isStdio && (!options || options.end !== false)) {
    source.on('end', onend);
    source.on('close', onclose);
  }
  let didOnEnd = false;
  function onend() { if (didOnEnd) return; didOnEnd = true; dest.end(); }
  function onclose() { if (didOnEnd) return; didOnEnd = true; if (typeof dest.destroy === 'function') dest.destroy(); }
  function onerror(er) { cleanup(); if (EE.listenerCount(this, 'error') === 0) this.emit('error', er); }
  source.prependListener('error', onerror);
  dest.prependListener('error', onerror);
  function cleanup() {
    source.removeListener('data', ondata);
    dest.removeListener('drain', ondrain);
    source.removeListener('end', onend);
    source.removeListener('close', onclose);
    source.removeListener('error', onerror);
    dest.removeListener('error', onerror);
    source.removeListener('end', cleanup);
    source.removeListener('close', cleanup);
    dest.removeListener('close', cleanup);
  }
  source.on('end', cleanup);
  source.on('close', cleanup);
  dest.on('close', cleanup);
  dest.emit('pipe', source);
  return dest;
};

// ---------------------------------------------------------------- destroy
function destroy(err, cb) {
  const r = this._readableState;
  const w = this._writableState;
  const s = w || r;
  if ((w && w.destroyed) || (r && r.destroyed)) {
    if (typeof cb === 'function') cb();
    return this;
  }
  if (err) {
    if (w && !w.errored) w.errored = err;
    if (r && !r.errored) r.errored = err;
  }
  if (w) w.destroyed = true;
  if (r) r.destroyed = true;
  const self = this;
  let called = false;
  const onDestroy = (er) => {
    if (called) return;
    called = true;
    if (er) {
      if (w && !w.errored) w.errored = er;
      if (r && !r.errored) r.errored = er;
    }
    if (w) w.closed = true;
    if (r) r.closed = true;
    if (typeof cb === 'function') cb(er);
    if (er) nextTick(emitErrorCloseNT, self, er);
    else nextTick(emitCloseNT, self);
  };
  try {
    if (s.constructed === false) {
      self.once('construct-done', function (er) { self._destroy(err || er || null, onDestroy); });
    } else {
      self._destroy(err || null, onDestroy);
    }
  } catch (e) {
    onDestroy(e);
  }
  return this;
}
function emitErrorCloseNT(self, err) { emitErrorNT(self, err); emitCloseNT(self); }
function emitCloseNT(self) {
  const r = self._readableState, w = self._writableState;
  if (w) w.closeEmitted = true;
  if (r) r.closeEmitted = true;
  if ((w && w.emitClose) || (r && r.emitClose)) self.emit('close');
}
function emitErrorNT(self, err) {
  const r = self._readableState, w = self._writableState;
  if ((w && w.errorEmitted) || (r && r.errorEmitted)) return;
  if (w) w.errorEmitted = true;
  if (r) r.errorEmitted = true;
  self.emit('error', err);
}
function errorOrDestroy(stream, err, sync) {
  const r = stream._readableState, w = stream._writableState;
  if ((w && w.destroyed) || (r && r.destroyed)) return;
  if ((r && r.autoDestroy) || (w && w.autoDestroy)) stream.destroy(err);
  else if (err) {
    if (w && !w.errored) w.errored = err;
    if (r && !r.errored) r.errored = err;
    if (sync) nextTick(emitErrorNT, stream, err);
    else emitErrorNT(stream, err);
  }
}
function undestroy() {
  const r = this._readableState, w = this._writableState;
  if (r) Object.assign(r, { constructed: true, closed: false, closeEmitted: false, destroyed: false, errored: null,
    errorEmitted: false, reading: false, ended: r.readable === false, endEmitted: r.readable === false });
  if (w) Object.assign(w, { constructed: true, destroyed: false, closed: false, closeEmitted: false, errored: null,
    errorEmitted: false, finalCalled: false, prefinished: false, ended: w.writable === false, ending: w.writable === false,
    finished: w.writable === false });
}
// Runs _construct (if any) before the first _read/_write.
function construct(stream, cb) {
  if (typeof stream._construct !== 'function') return;
  const r = stream._readableState, w = stream._writableState;
  if (r) r.constructed = false;
  if (w) w.constructed = false;
  stream.once('construct-done', cb);
  nextTick(() => {
    let called = false;
    const done = (err) => {
      if (called) { errorOrDestroy(stream, errors.multipleCallback()); return; }
      called = true;
      if (r) r.constructed = true;
      if (w) w.constructed = true;
      nextTick(() => stream.emit('construct-done', err));
      if (err) errorOrDestroy(stream, err, true);
    };
    try { stream._construct(done); } catch (err) { done(err); }
  });
}

module.exports = {
  Stream, errors, nextTick, getDefaultHighWaterMark, setDefaultHighWaterMark, getHighWaterMark,
  destroy, undestroy, errorOrDestroy, construct,
};
