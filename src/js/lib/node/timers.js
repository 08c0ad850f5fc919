'use strict';
// node:timers — setTimeout/setInterval/setImmediate and their clear* functions (the globals:
// they return Timeout objects with ref/unref/hasRef/refresh/close), and timers.promises.
// Left out: the deprecated enroll/unenroll/active. unref() has no effect: a henv's timers
// end with the request that made them, or run while the runtime lives.

module.exports = {
  setTimeout: (...args) => globalThis.setTimeout(...args),
  clearTimeout: (t) => globalThis.clearTimeout(t),
  setInterval: (...args) => globalThis.setInterval(...args),
  clearInterval: (t) => globalThis.clearInterval(t),
  setImmediate: (...args) => globalThis.setImmediate(...args),
  clearImmediate: (t) => globalThis.clearImmediate(t),
};
Object.defineProperty(module.exports, 'promises', { enumerable: true, get() { return require('timers/promises'); } });
