'use strict';
// node:async_hooks — AsyncLocalStorage (run, exit, enterWith, getStore, disable, bind,
// snapshot) and AsyncResource (runInAsyncScope, bind, emitDestroy, asyncId), createHook
// (enable/disable do nothing), executionAsyncId, triggerAsyncId, executionAsyncResource.
// Limits (QuickJS has no async hooks): a store is seen synchronously inside run(), and in the
// callbacks of setTimeout/setInterval/setImmediate/queueMicrotask/process.nextTick and of
// promise .then/.catch/.finally registered inside it — those are wrapped once this module is
// first required. It is NOT seen after an `await` inside run() (QuickJS resumes an async
// function without a hook HBF can use): read the store before the first await, or pass it on.

let current = new Map(); // AsyncLocalStorage -> store, the frame in effect now
let nextAsyncId = 2;

function runInFrame(frame, fn, thisArg, args) {
  const prev = current;
  current = frame;
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    current = prev;
  }
}
function wrapCallback(fn) {
  if (typeof fn !== 'function' || current.size === 0) return fn;
  const frame = current;
  return function (...args) { return runInFrame(frame, fn, this, args); };
}

// Context propagation through the scheduling functions (installed once, on first require).
(function installPropagation() {
  for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']) {
    const original = globalThis[name];
    if (typeof original !== 'function') continue;
    Object.defineProperty(globalThis, name, {
      value: { [name](fn, ...rest) { return original.call(this, wrapCallback(fn), ...rest); } }[name],
      writable: true, configurable: true, enumerable: false,
    });
  }
  const then = Promise.prototype.then;
  Object.defineProperty(Promise.prototype, 'then', {
    value: function then_(onFulfilled, onRejected) {
      return then.call(this, wrapCallback(onFulfilled), wrapCallback(onRejected));
    },
    writable: true, configurable: true, enumerable: false,
  });
})();

class AsyncLocalStorage {
  #enabled = false;
  static bind(fn) { return AsyncResource.bind(fn); }
  static snapshot() {
    const frame = current;
    return (fn, ...args) => runInFrame(frame, fn, undefined, args);
  }
  disable() {
    if (this.#enabled) {
      this.#enabled = false;
      if (current.has(this)) { current = new Map(current); current.delete(this); }
    }
  }
  getStore() { return current.get(this); }
  enterWith(store) {
    this.#enabled = true;
    current = new Map(current);
    current.set(this, store);
  }
  run(store, callback, ...args) {
    this.#enabled = true;
    const frame = new Map(current);
    frame.set(this, store);
    return runInFrame(frame, callback, undefined, args);
  }
  exit(callback, ...args) {
    if (!current.has(this)) return Reflect.apply(callback, undefined, args);
    const frame = new Map(current);
    frame.delete(this);
    return runInFrame(frame, callback, undefined, args);
  }
}

class AsyncResource {
  #frame;
  #asyncId;
  #triggerId;
  constructor(type, opts = {}) {
    if (typeof type !== 'string') throw require('hbf:node-errors').invalidArgType('type', 'string', type);
    this.#frame = current;
    this.#asyncId = nextAsyncId++;
    this.#triggerId = typeof opts === 'number' ? opts : (opts && opts.triggerAsyncId) || 1;
  }
  runInAsyncScope(fn, thisArg, ...args) { return runInFrame(this.#frame, fn, thisArg, args); }
  emitDestroy() { return this; }
  asyncId() { return this.#asyncId; }
  triggerAsyncId() { return this.#triggerId; }
  bind(fn, thisArg) {
    const self = this;
    const bound = function (...args) { return self.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args); };
    Object.defineProperties(bound, {
      length: { configurable: true, value: fn.length },
      asyncResource: { configurable: true, enumerable: true, value: this },
    });
    return bound;
  }
  static bind(fn, type, thisArg) {
    return new AsyncResource(type || fn.name || 'bound-anonymous-fn').bind(fn, thisArg);
  }
}

function createHook() {
  return { enable() { return this; }, disable() { return this; } };
}

module.exports = {
  AsyncLocalStorage,
  AsyncResource,
  createHook,
  executionAsyncId: () => 1,
  triggerAsyncId: () => 0,
  executionAsyncResource: () => ({}),
  asyncWrapProviders: Object.freeze({ NONE: 0 }),
};
