'use strict';
// node:diagnostics_channel — channel(name), hasSubscribers, subscribe/unsubscribe (on a
// channel and by name), publish (a throwing subscriber is reported on the next tick and does
// not stop the others), bindStore/unbindStore/runStores with AsyncLocalStorage, and
// tracingChannel (start/end/asyncStart/asyncEnd/error with traceSync, tracePromise,
// traceCallback). Channels are kept while they have subscribers, as in Node.

const { validateFunction } = require('hbf:node-errors');

const channels = new Map();

class Channel {
  constructor(name) {
    this.name = name;
    this._subscribers = [];
    this._stores = new Map();
  }
  get hasSubscribers() { return this._subscribers.length > 0 || this._stores.size > 0; }
  subscribe(subscription) {
    validateFunction(subscription, 'subscription');
    this._subscribers = [...this._subscribers, subscription];
    channels.set(this.name, this);
  }
  unsubscribe(subscription) {
    const index = this._subscribers.indexOf(subscription);
    if (index === -1) return false;
    this._subscribers = this._subscribers.filter((s) => s !== subscription);
    return true;
  }
  publish(data) {
    for (const onMessage of this._subscribers) {
      try {
        onMessage(data, this.name);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    }
  }
  bindStore(store, transform) {
    this._stores.set(store, transform);
    channels.set(this.name, this);
  }
  unbindStore(store) { return this._stores.delete(store); }
  runStores(data, fn, thisArg, ...args) {
    let run = () => {
      this.publish(data);
      return Reflect.apply(fn, thisArg, args);
    };
    for (const [store, transform] of this._stores) {
      const next = run;
      run = () => {
        let value = data;
        if (typeof transform === 'function') {
          try { value = transform(data); } catch (err) { queueMicrotask(() => { throw err; }); return next(); }
        }
        return store.run(value, next);
      };
    }
    return run();
  }
}

function channel(name) {
  const existing = channels.get(name);
  if (existing) return existing;
  if (typeof name !== 'string' && typeof name !== 'symbol') {
    throw require('hbf:node-errors').invalidArgType('channel', ['string', 'symbol'], name);
  }
  const ch = new Channel(name);
  channels.set(name, ch);
  return ch;
}
function hasSubscribers(name) {
  const ch = channels.get(name);
  return ch ? ch.hasSubscribers : false;
}

const traceEvents = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];
class TracingChannel {
  constructor(nameOrChannels) {
    for (const ev of traceEvents) {
      this[ev] = typeof nameOrChannels === 'string' ? channel(`tracing:${nameOrChannels}:${ev}`) : nameOrChannels[ev];
    }
  }
  get hasSubscribers() { return traceEvents.some((ev) => this[ev].hasSubscribers); }
  subscribe(handlers) { for (const ev of traceEvents) if (handlers[ev]) this[ev].subscribe(handlers[ev]); }
  unsubscribe(handlers) {
    let done = true;
    for (const ev of traceEvents) if (handlers[ev] && !this[ev].unsubscribe(handlers[ev])) done = false;
    return done;
  }
  // Runs fn inside the start channel's stores, publishing 'error' if it throws and 'end' after;
  // `settle` turns its result into what the caller gets.
  #traced(fn, context, thisArg, args, settle) {
    const { start, end, error } = this;
    return start.runStores(context, () => {
      try {
        return settle(Reflect.apply(fn, thisArg, args));
      } catch (err) {
        context.error = err;
        error.publish(context);
        throw err;
      } finally {
        end.publish(context);
      }
    });
  }
  traceSync(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    return this.#traced(fn, context, thisArg, args, (result) => { context.result = result; return result; });
  }
  tracePromise(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const { asyncStart, asyncEnd, error } = this;
    const settled = () => { asyncStart.publish(context); asyncEnd.publish(context); };
    const reject = (err) => { context.error = err; error.publish(context); settled(); return Promise.reject(err); };
    const resolve = (result) => { context.result = result; settled(); return result; };
    return this.#traced(fn, context, thisArg, args,
      (promise) => (promise instanceof Promise ? promise : Promise.resolve(promise)).then(resolve, reject));
  }
  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const { asyncStart, asyncEnd, error } = this;
    const callback = args.at(position);
    validateFunction(callback, 'callback');
    function wrappedCallback(err, res) {
      if (err) { context.error = err; error.publish(context); } else context.result = res;
      asyncStart.runStores(context, () => {
        try { return Reflect.apply(callback, this, arguments); } finally { asyncEnd.publish(context); }
      });
    }
    args.splice(position, 1, wrappedCallback);
    return this.#traced(fn, context, thisArg, args, (result) => result);
  }
}

module.exports = {
  channel,
  hasSubscribers,
  subscribe(name, fn) { channel(name).subscribe(fn); },
  unsubscribe(name, fn) { return channel(name).unsubscribe(fn); },
  tracingChannel: (nameOrChannels) => new TracingChannel(nameOrChannels),
  Channel,
};
