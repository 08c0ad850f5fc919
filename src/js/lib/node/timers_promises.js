'use strict';
// node:timers/promises — setTimeout(delay, value, { signal }), setImmediate(value, { signal })
// and setInterval(delay, value) as an async iterator, with AbortSignal support
// (AbortError, code ABORT_ERR). scheduler.wait / scheduler.yield.

const { abortError, invalidArgType } = require('hbf:node-errors');

function withSignal(options, start) {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArgType('options', 'Object', options);
  const signal = options && options.signal;
  if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw invalidArgType('options.signal', 'AbortSignal', signal);
  if (signal && signal.aborted) return Promise.reject(abortError(signal.reason));
  return new Promise((resolve, reject) => {
    let onAbort;
    const id = start((value) => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
    if (signal) {
      onAbort = () => { globalThis.clearTimeout(id); reject(abortError(signal.reason)); };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

function setTimeout(delay, value, options) {
  return withSignal(options, (done) => globalThis.setTimeout(() => done(value), delay));
}
function setImmediate(value, options) {
  return withSignal(options, (done) => globalThis.setImmediate(() => done(value)));
}
async function* setInterval(delay, value, options) {
  const signal = options && options.signal;
  if (signal && signal.aborted) throw abortError(signal.reason);
  let pending = 0;
  let wake = null;
  const id = globalThis.setInterval(() => { pending++; if (wake) { const w = wake; wake = null; w(); } }, delay);
  let onAbort;
  const aborted = signal ? new Promise((resolve, reject) => {
    onAbort = () => reject(abortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  }) : null;
  try {
    for (;;) {
      if (pending === 0) {
        const tick = new Promise((resolve) => { wake = resolve; });
        await (aborted ? Promise.race([tick, aborted]) : tick);
      }
      for (; pending > 0; pending--) yield value;
    }
  } finally {
    globalThis.clearInterval(id);
    if (signal) signal.removeEventListener('abort', onAbort);
  }
}

module.exports = {
  setTimeout,
  setImmediate,
  setInterval,
  scheduler: { wait: (delay, options) => setTimeout(delay, undefined, options), yield: () => setImmediate() },
};
