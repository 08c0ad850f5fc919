// Web globals: Event, EventTarget, AbortController, AbortSignal (DOM Standard subset).
// Installed lazily as globals by prelude.js on first use. Leaves out: event phases/bubbling
// (no DOM tree), `composedPath`, CustomEvent's legacy init methods.
"use strict";

const kStop = Symbol("stopImmediate");

class Event {
  #type; #cancelable; #defaultPrevented = false; #timeStamp = Date.now();
  constructor(type, init = {}) {
    if (arguments.length === 0) throw new TypeError("Event constructor: 1 argument required");
    this.#type = `${type}`;
    this.#cancelable = !!(init && init.cancelable);
    this.bubbles = !!(init && init.bubbles);
    this.composed = !!(init && init.composed);
    this.target = null;
    this.currentTarget = null;
    this.isTrusted = false;
    this[kStop] = false;
  }
  get type() { return this.#type; }
  get cancelable() { return this.#cancelable; }
  get defaultPrevented() { return this.#defaultPrevented; }
  get timeStamp() { return this.#timeStamp; }
  get eventPhase() { return this.currentTarget ? 2 : 0; }
  preventDefault() { if (this.#cancelable) this.#defaultPrevented = true; }
  stopPropagation() {}
  stopImmediatePropagation() { this[kStop] = true; }
  get [Symbol.toStringTag]() { return "Event"; }
}

class CustomEvent extends Event {
  constructor(type, init = {}) { super(type, init); this.detail = init && init.detail !== undefined ? init.detail : null; }
}

class EventTarget {
  #listeners = new Map();
  addEventListener(type, listener, options) {
    if (listener == null) return;
    const once = typeof options === "object" && options !== null && !!options.once;
    const capture = typeof options === "boolean" ? options : !!(options && options.capture);
    const signal = options && typeof options === "object" ? options.signal : undefined;
    if (signal && signal.aborted) return;
    type = `${type}`;
    let list = this.#listeners.get(type);
    if (!list) this.#listeners.set(type, (list = []));
    if (list.some(l => l.listener === listener && l.capture === capture)) return;
    const entry = { listener, once, capture, removed: false };
    list.push(entry);
    if (signal) signal.addEventListener("abort", () => this.removeEventListener(type, listener, { capture }), { once: true });
  }
  removeEventListener(type, listener, options) {
    const capture = typeof options === "boolean" ? options : !!(options && options.capture);
    const list = this.#listeners.get(`${type}`);
    if (!list) return;
    const i = list.findIndex(l => l.listener === listener && l.capture === capture);
    if (i >= 0) { list[i].removed = true; list.splice(i, 1); }
  }
  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError("dispatchEvent: argument is not an Event");
    event.target = this;
    event.currentTarget = this;
    const list = this.#listeners.get(event.type);
    if (list) {
      for (const entry of list.slice()) {
        if (entry.removed) continue;
        if (entry.once) this.removeEventListener(event.type, entry.listener, { capture: entry.capture });
        try {
          if (typeof entry.listener === "function") entry.listener.call(this, event);
          else if (entry.listener && typeof entry.listener.handleEvent === "function") entry.listener.handleEvent(event);
        } catch (e) {
          queueMicrotask(() => { throw e; });
        }
        if (event[kStop]) break;
      }
    }
    event.currentTarget = null;
    return !event.defaultPrevented;
  }
}

const abortError = () => new DOMException("This operation was aborted", "AbortError");
const kSignalAbort = Symbol("signalAbort");

class AbortSignal extends EventTarget {
  #aborted = false; #reason = undefined;
  constructor(key) {
    if (key !== kSignalAbort) throw new TypeError("Illegal constructor");
    super();
    this.onabort = null;
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  [kSignalAbort](reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? abortError() : reason;
    const ev = new Event("abort");
    if (typeof this.onabort === "function") {
      try { this.onabort.call(this, ev); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
    this.dispatchEvent(ev);
  }
  static abort(reason) {
    const s = new AbortSignal(kSignalAbort);
    s[kSignalAbort](reason);
    return s;
  }
  static timeout(ms) {
    ms = Number(ms);
    if (!(ms >= 0)) throw new TypeError('The "delay" argument must be a non-negative number');
    const s = new AbortSignal(kSignalAbort);
    setTimeout(() => s[kSignalAbort](new DOMException("The operation was aborted due to timeout", "TimeoutError")), ms);
    return s;
  }
  static any(signals) {
    const s = new AbortSignal(kSignalAbort);
    for (const sig of signals) {
      if (!(sig instanceof AbortSignal)) throw new TypeError("AbortSignal.any: every item must be an AbortSignal");
      if (sig.aborted) { s[kSignalAbort](sig.reason); return s; }
    }
    for (const sig of signals) sig.addEventListener("abort", () => s[kSignalAbort](sig.reason), { once: true });
    return s;
  }
  get [Symbol.toStringTag]() { return "AbortSignal"; }
}

class AbortController {
  #signal = new AbortSignal(kSignalAbort);
  get signal() { return this.#signal; }
  abort(reason) { this.#signal[kSignalAbort](reason); }
  get [Symbol.toStringTag]() { return "AbortController"; }
}

module.exports = { Event, CustomEvent, EventTarget, AbortSignal, AbortController };
