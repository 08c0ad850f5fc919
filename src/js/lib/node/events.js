'use strict';
// node:events — EventEmitter as Node has it: on/once/off, prepend*, listeners/rawListeners,
// listenerCount, eventNames, setMaxListeners with the MaxListenersExceededWarning, the 'error'
// rule (throws ERR_UNHANDLED_ERROR when nobody listens), errorMonitor, captureRejections
// (a rejected promise from a listener goes to 'error' / Symbol.for('nodejs.rejection')),
// events.once / events.on (async iterator, with AbortSignal), getEventListeners,
// setMaxListeners, listenerCount, addAbortListener, and EventTarget/Event/CustomEvent when the
// engine lacks them (a small standard-shaped implementation).
// Left out: domains, the NodeEventTarget extras, EventEmitterAsyncResource.

const kCapture = Symbol('kCapture');
const kRejection = Symbol.for('nodejs.rejection');
const errorMonitor = Symbol('events.errorMonitor');
let defaultMaxListeners = 10;

function invalidArgType(name, expected, actual) {
  const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`);
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}
function describe(v) {
  if (v == null) return String(v);
  if (typeof v === 'function') return `function ${v.name}`;
  if (typeof v === 'object') {
    if (v.constructor && v.constructor.name) return `an instance of ${v.constructor.name}`;
    return 'an instance of Object';
  }
  let shown = String(v);
  if (typeof v === 'string') { if (shown.length > 28) shown = shown.slice(0, 25) + '...'; shown = `'${shown}'`; }
  if (typeof v === 'bigint') shown += 'n';
  return `type ${typeof v} (${shown})`;
}
function checkListener(listener) {
  if (typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
}
function checkMax(n, name) {
  if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
    const e = new RangeError(`The value of "${name}" is out of range. It must be a non-negative number. Received ${typeof n === 'number' ? n : describe(n)}`);
    e.code = 'ERR_OUT_OF_RANGE';
    throw e;
  }
}

function EventEmitter(opts) { EventEmitter.init.call(this, opts); }
EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;

EventEmitter.init = function (opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = Object.create(null);
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  if (opts && opts.captureRejections !== undefined) {
    if (typeof opts.captureRejections !== 'boolean') throw invalidArgType('options.captureRejections', 'of type boolean', opts.captureRejections);
    this[kCapture] = opts.captureRejections;
  } else {
    this[kCapture] = EventEmitter.prototype[kCapture];
  }
};
EventEmitter.prototype[kCapture] = false;

Object.defineProperty(EventEmitter, 'captureRejections', {
  enumerable: true,
  get() { return EventEmitter.prototype[kCapture]; },
  set(v) {
    if (typeof v !== 'boolean') throw invalidArgType('EventEmitter.captureRejections', 'of type boolean', v);
    EventEmitter.prototype[kCapture] = v;
  },
});
Object.defineProperty(EventEmitter, 'defaultMaxListeners', {
  enumerable: true,
  get() { return defaultMaxListeners; },
  set(n) { checkMax(n, 'defaultMaxListeners'); defaultMaxListeners = n; },
});

EventEmitter.prototype.setMaxListeners = function setMaxListeners(n) {
  if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
    if (typeof n !== 'number') throw invalidArgType('setMaxListeners', 'number', n);
    const e = new RangeError(`The value of "setMaxListeners" is out of range. It must be >= 0. Received ${n}`);
    e.code = 'ERR_OUT_OF_RANGE';
    throw e;
  }
  this._maxListeners = n;
  return this;
};
function maxOf(that) { return that._maxListeners === undefined ? defaultMaxListeners : that._maxListeners; }
EventEmitter.prototype.getMaxListeners = function getMaxListeners() { return maxOf(this); };

function addCatch(that, promise, type, args) {
  try {
    const then = promise.then;
    if (typeof then === 'function') {
      then.call(promise, undefined, (err) => {
        // delivered on the next tick, outside the promise chain, as Node does
        queueMicrotask(() => emitUnhandledRejectionOrErr(that, err, type, args));
      });
    }
  } catch (err) {
    that.emit('error', err);
  }
}
function emitUnhandledRejectionOrErr(ee, err, type, args) {
  if (typeof ee[kRejection] === 'function') {
    ee[kRejection](err, type, ...args);
  } else {
    const prev = ee[kCapture];
    try {
      ee[kCapture] = false;
      ee.emit('error', err);
    } finally {
      ee[kCapture] = prev;
    }
  }
}

EventEmitter.prototype.emit = function emit(type, ...args) {
  let doError = type === 'error';
  const events = this._events;
  if (events !== undefined) {
    if (doError && events[errorMonitor] !== undefined) this.emit(errorMonitor, ...args);
    doError = doError && events.error === undefined;
  } else if (!doError) return false;

  if (doError) {
    const er = args.length > 0 ? args[0] : undefined;
    if (er instanceof Error) throw er;
    let shown;
    try { shown = require('util').inspect(er); } catch { shown = String(er); }
    const err = new Error('Unhandled error. (' + shown + ')');
    err.code = 'ERR_UNHANDLED_ERROR';
    err.context = er;
    throw err;
  }
  const handler = events[type];
  if (handler === undefined) return false;
  if (typeof handler === 'function') {
    const result = handler.apply(this, args);
    if (result !== undefined && result !== null && this[kCapture]) addCatch(this, result, type, args);
  } else {
    const listeners = handler.slice();
    for (let i = 0; i < listeners.length; ++i) {
      const result = listeners[i].apply(this, args);
      if (result !== undefined && result !== null && this[kCapture]) addCatch(this, result, type, args);
    }
  }
  return true;
};

function addListener(target, type, listener, prepend) {
  checkListener(listener);
  let events = target._events;
  if (events === undefined) {
    events = target._events = Object.create(null);
    target._eventsCount = 0;
  } else {
    if (events.newListener !== undefined) {
      target.emit('newListener', type, listener.listener ? listener.listener : listener);
      events = target._events;
    }
  }
  let existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    ++target._eventsCount;
  } else {
    if (typeof existing === 'function') {
      existing = events[type] = prepend ? [listener, existing] : [existing, listener];
    } else if (prepend) {
      existing.unshift(listener);
    } else {
      existing.push(listener);
    }
    const m = maxOf(target);
    if (m > 0 && existing.length > m && !existing.warned) {
      existing.warned = true;
      const name = target.constructor && target.constructor.name || 'EventEmitter';
      const w = new Error(`Possible EventEmitter memory leak detected. ${existing.length} ${String(type)} listeners ` +
        `added to [${name}]. MaxListeners is ${m}. Use emitter.setMaxListeners() to increase limit`);
      w.name = 'MaxListenersExceededWarning';
      w.emitter = target;
      w.type = type;
      w.count = existing.length;
      process.emitWarning(w);
    }
  }
  return target;
}
EventEmitter.prototype.addListener = function addListener_(type, listener) { return addListener(this, type, listener, false); };
EventEmitter.prototype.on = EventEmitter.prototype.addListener;
EventEmitter.prototype.prependListener = function prependListener(type, listener) { return addListener(this, type, listener, true); };

function onceWrapper(...args) {
  if (!this.fired) {
    this.target.removeListener(this.type, this.wrapFn);
    this.fired = true;
    return this.listener.apply(this.target, args);
  }
}
function onceWrap(target, type, listener) {
  const state = { fired: false, wrapFn: undefined, target, type, listener };
  const wrapped = onceWrapper.bind(state);
  wrapped.listener = listener;
  state.wrapFn = wrapped;
  return wrapped;
}
EventEmitter.prototype.once = function once(type, listener) {
  checkListener(listener);
  this.on(type, onceWrap(this, type, listener));
  return this;
};
EventEmitter.prototype.prependOnceListener = function prependOnceListener(type, listener) {
  checkListener(listener);
  this.prependListener(type, onceWrap(this, type, listener));
  return this;
};

EventEmitter.prototype.removeListener = function removeListener(type, listener) {
  checkListener(listener);
  const events = this._events;
  if (events === undefined) return this;
  const list = events[type];
  if (list === undefined) return this;
  if (list === listener || list.listener === listener) {
    this._eventsCount -= 1;
    if (this._eventsCount === 0) this._events = Object.create(null);
    else delete events[type];
    if (events.removeListener !== undefined) this.emit('removeListener', type, list.listener || listener);
  } else if (typeof list !== 'function') {
    let position = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) { position = i; break; }
    }
    if (position < 0) return this;
    if (position === 0) list.shift(); else list.splice(position, 1);
    if (list.length === 1) events[type] = list[0];
    if (events.removeListener !== undefined) this.emit('removeListener', type, listener);
  }
  return this;
};
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;

EventEmitter.prototype.removeAllListeners = function removeAllListeners(type) {
  const events = this._events;
  if (events === undefined) return this;
  if (events.removeListener === undefined) {
    if (arguments.length === 0) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    } else if (events[type] !== undefined) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete events[type];
    }
    return this;
  }
  if (arguments.length === 0) {
    for (const key of Reflect.ownKeys(events)) {
      if (key === 'removeListener') continue;
      this.removeAllListeners(key);
    }
    this.removeAllListeners('removeListener');
    this._events = Object.create(null);
    this._eventsCount = 0;
    return this;
  }
  const listeners = events[type];
  if (typeof listeners === 'function') {
    this.removeListener(type, listeners);
  } else if (listeners !== undefined) {
    for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
  }
  return this;
};

function listenersOf(target, type, unwrap) {
  const events = target._events;
  if (events === undefined) return [];
  const l = events[type];
  if (l === undefined) return [];
  if (typeof l === 'function') return unwrap ? [l.listener || l] : [l];
  return unwrap ? l.map((x) => x.listener || x) : l.slice();
}
EventEmitter.prototype.listeners = function listeners(type) { return listenersOf(this, type, true); };
EventEmitter.prototype.rawListeners = function rawListeners(type) { return listenersOf(this, type, false); };
function listenerCount(type, listener) {
  const events = this._events;
  if (events !== undefined) {
    const l = events[type];
    if (typeof l === 'function') return listener == null || l === listener || l.listener === listener ? 1 : 0;
    if (l !== undefined) {
      if (listener == null) return l.length;
      return l.filter((x) => x === listener || x.listener === listener).length;
    }
  }
  return 0;
}
EventEmitter.prototype.listenerCount = listenerCount;
EventEmitter.listenerCount = (emitter, type) =>
  typeof emitter.listenerCount === 'function' ? emitter.listenerCount(type) : listenerCount.call(emitter, type);
EventEmitter.prototype.eventNames = function eventNames() {
  return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};

// ---------------------------------------------------------------- helpers on the module
function abortError(signal) {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  if (signal && signal.reason !== undefined) e.cause = signal.reason;
  return e;
}
function isEventTarget(t) { return t && typeof t.addEventListener === 'function' && typeof t.on !== 'function'; }

function once(emitter, name, options = {}) {
  const signal = options ? options.signal : undefined;
  if (signal && signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    if (isEventTarget(emitter)) {
      const listener = (...args) => { if (signal) signal.removeEventListener('abort', onAbort); resolve(args); };
      const onAbort = () => { emitter.removeEventListener(name, listener); reject(abortError(signal)); };
      emitter.addEventListener(name, listener, { once: true });
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
      return;
    }
    const errorListener = (err) => {
      emitter.removeListener(name, resolver);
      if (signal) signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    const resolver = (...args) => {
      if (name !== 'error') emitter.removeListener('error', errorListener);
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve(args);
    };
    const onAbort = () => {
      emitter.removeListener(name, resolver);
      emitter.removeListener('error', errorListener);
      reject(abortError(signal));
    };
    emitter.once(name, resolver);
    if (name !== 'error') emitter.once('error', errorListener);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

function on(emitter, event, options = {}) {
  const signal = options ? options.signal : undefined;
  if (signal && signal.aborted) throw abortError(signal);
  const unconsumed = [];
  const pending = [];
  let error = null;
  let finished = false;
  const closeEvents = (options && options.close) || [];
  const eventHandler = (...args) => {
    const p = pending.shift();
    if (p) p.resolve({ value: args, done: false }); else unconsumed.push(args);
  };
  const errorHandler = (err) => {
    finished = true;
    const p = pending.shift();
    if (p) p.reject(err); else error = err;
    iterator.return();
  };
  const closeHandler = () => {
    finished = true;
    const p = pending.shift();
    if (p) p.resolve({ value: undefined, done: true });
  };
  const abortListener = () => errorHandler(abortError(signal));
  const add = (n, f) => (isEventTarget(emitter) ? emitter.addEventListener(n, f) : emitter.on(n, f));
  const remove = (n, f) => (isEventTarget(emitter) ? emitter.removeEventListener(n, f) : emitter.removeListener(n, f));
  add(event, eventHandler);
  if (event !== 'error' && !isEventTarget(emitter)) add('error', errorHandler);
  for (const c of closeEvents) add(c, closeHandler);
  if (signal) signal.addEventListener('abort', abortListener, { once: true });
  const cleanup = () => {
    remove(event, eventHandler);
    if (!isEventTarget(emitter)) remove('error', errorHandler);
    for (const c of closeEvents) remove(c, closeHandler);
    if (signal) signal.removeEventListener('abort', abortListener);
  };
  const iterator = {
    next() {
      const value = unconsumed.shift();
      if (value) return Promise.resolve({ value, done: false });
      if (error) { const p = Promise.reject(error); error = null; return p; }
      if (finished) { cleanup(); return Promise.resolve({ value: undefined, done: true }); }
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    return() {
      cleanup();
      finished = true;
      for (const p of pending) p.resolve({ value: undefined, done: true });
      pending.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      error = err;
      cleanup();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() { return this; },
  };
  return iterator;
}

function getEventListeners(target, type) {
  if (typeof target.listeners === 'function') return target.listeners(type);
  if (target instanceof EventTargetImpl) return target._listenersFor(type);
  return [];
}
function setMaxListeners(n = defaultMaxListeners, ...targets) {
  checkMax(n, 'n');
  if (targets.length === 0) defaultMaxListeners = n;
  for (const t of targets) if (typeof t.setMaxListeners === 'function') t.setMaxListeners(n);
}
function getMaxListeners(target) { return typeof target.getMaxListeners === 'function' ? target.getMaxListeners() : defaultMaxListeners; }
function addAbortListener(signal, listener) {
  if (signal === undefined) throw invalidArgType('signal', 'an instance of AbortSignal', signal);
  checkListener(listener);
  if (signal.aborted) {
    queueMicrotask(() => listener());
  } else {
    signal.addEventListener('abort', listener, { once: true });
  }
  return { [Symbol.dispose || Symbol.for('nodejs.dispose')]() { signal.removeEventListener('abort', listener); } };
}

// ---------------------------------------------------------------- EventTarget / Event (fallback)
class EventImpl {
  constructor(type, init) {
    if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
    this.type = String(type);
    this.bubbles = !!(init && init.bubbles);
    this.cancelable = !!(init && init.cancelable);
    this.composed = !!(init && init.composed);
    this.defaultPrevented = false;
    this.timeStamp = Date.now();
    this.target = null;
    this.currentTarget = null;
    this.eventPhase = 0;
    this.isTrusted = false;
    this._stop = false;
  }
  preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
  stopPropagation() {}
  stopImmediatePropagation() { this._stop = true; }
  get returnValue() { return !this.defaultPrevented; }
  get srcElement() { return this.target; }
  composedPath() { return this.currentTarget ? [this.currentTarget] : []; }
}
class CustomEventImpl extends EventImpl {
  constructor(type, init) { super(type, init); this.detail = init && init.detail !== undefined ? init.detail : null; }
}
class EventTargetImpl {
  constructor() { Object.defineProperty(this, '_listeners', { value: new Map() }); }
  _listenersFor(type) { return (this._listeners.get(type) || []).map((l) => l.fn); }
  addEventListener(type, fn, options) {
    if (fn == null) return;
    const once = typeof options === 'object' && options !== null && !!options.once;
    const capture = typeof options === 'boolean' ? options : !!(options && options.capture);
    let list = this._listeners.get(type);
    if (!list) this._listeners.set(type, (list = []));
    if (list.some((l) => l.fn === fn && l.capture === capture)) return;
    const entry = { fn, once, capture };
    list.push(entry);
    const signal = options && options.signal;
    if (signal) signal.addEventListener('abort', () => this.removeEventListener(type, fn, options), { once: true });
  }
  removeEventListener(type, fn, options) {
    const capture = typeof options === 'boolean' ? options : !!(options && options.capture);
    const list = this._listeners.get(type);
    if (!list) return;
    const i = list.findIndex((l) => l.fn === fn && l.capture === capture);
    if (i >= 0) list.splice(i, 1);
  }
  dispatchEvent(event) {
    if (!(event instanceof EventImpl) && !(typeof Event === 'function' && event instanceof Event)) {
      throw invalidArgType('event', 'an instance of Event', event);
    }
    const list = this._listeners.get(event.type);
    try { event.target = this; event.currentTarget = this; event.eventPhase = 2; } catch { /* read-only in a native Event */ }
    if (list) {
      for (const l of list.slice()) {
        if (l.once) this.removeEventListener(event.type, l.fn, { capture: l.capture });
        try {
          if (typeof l.fn === 'function') l.fn.call(this, event); else l.fn.handleEvent(event);
        } catch (err) {
          queueMicrotask(() => { throw err; });
        }
        if (event._stop) break;
      }
    }
    try { event.currentTarget = null; event.eventPhase = 0; } catch { /* native */ }
    return !event.defaultPrevented;
  }
}

module.exports = EventEmitter;
Object.assign(EventEmitter, {
  EventEmitter,
  once,
  on,
  getEventListeners,
  getMaxListeners,
  setMaxListeners,
  listenerCount: EventEmitter.listenerCount,
  addAbortListener,
  errorMonitor,
  captureRejectionSymbol: kRejection,
  usingDomains: false,
  EventTarget: typeof EventTarget === 'function' ? EventTarget : EventTargetImpl,
  Event: typeof Event === 'function' ? Event : EventImpl,
  CustomEvent: typeof CustomEvent === 'function' ? CustomEvent : CustomEventImpl,
});
