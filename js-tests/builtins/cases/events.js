// EventEmitter behaviour (run under Node and HBF; see ../run.js).
const EventEmitter = require('events');
const { once, on, errorMonitor } = require('node:events');
t('order and once', () => {
  const e = new EventEmitter(), out = [];
  e.on('x', (a) => out.push('on' + a));
  e.prependListener('x', () => out.push('first'));
  e.once('x', () => out.push('once'));
  e.prependOnceListener('x', () => out.push('ponce'));
  e.emit('x', 1); e.emit('x', 2);
  return [out, e.listenerCount('x'), e.eventNames(), e.rawListeners('x').length];
});
t('error without listener', () => { const e = new EventEmitter(); try { e.emit('error', new Error('boom')); } catch (err) { return err; } });
t('error non-Error', () => { const e = new EventEmitter(); try { e.emit('error', 'str'); } catch (err) { return [err.code, err.message]; } });
t('errorMonitor', () => { const e = new EventEmitter(), out = []; e.on(errorMonitor, (er) => out.push('mon ' + er.message)); e.on('error', (er) => out.push('err ' + er.message)); e.emit('error', new Error('x')); return out; });
t('removeListener during emit', () => { const e = new EventEmitter(), out = []; const b = () => out.push('b'); e.on('x', () => { out.push('a'); e.off('x', b); }); e.on('x', b); e.emit('x'); e.emit('x'); return out; });
t('newListener/removeListener events', () => { const e = new EventEmitter(), out = []; e.on('newListener', (n) => out.push('new ' + String(n))); e.on('removeListener', (n) => out.push('rm ' + n)); const f = () => {}; e.on('a', f); e.off('a', f); e.removeAllListeners(); return out; });
t('listener type error', () => { try { new EventEmitter().on('x', 1); } catch (e) { return e; } });
t('maxListeners', () => { const e = new EventEmitter(); e.setMaxListeners(1); try { e.setMaxListeners(-1); } catch (err) { return [e.getMaxListeners(), err]; } });
t('events.once', async () => { const e = new EventEmitter(); setTimeout(() => e.emit('go', 1, 2), 1); return await once(e, 'go'); });
t('events.once error', async () => { const e = new EventEmitter(); setTimeout(() => e.emit('error', new Error('bad')), 1); try { await once(e, 'go'); } catch (err) { return err; } });
t('events.on', async () => { const e = new EventEmitter(); setTimeout(() => { e.emit('d', 1); e.emit('d', 2); e.emit('d', 3); }, 1); const got = []; for await (const [v] of on(e, 'd')) { got.push(v); if (v === 3) break; } return [got, e.listenerCount('d')]; });
t('captureRejections', async () => { const e = new EventEmitter({ captureRejections: true }); const p = new Promise((r) => e.on('error', (err) => r(err.message))); e.on('x', async () => { throw new Error('rejected'); }); e.emit('x'); return await p; });
t('inheritance', () => { function A() { EventEmitter.call(this); } require('util').inherits(A, EventEmitter); const a = new A(); let got; a.on('x', function () { got = this === a; }); a.emit('x'); return [got, a instanceof EventEmitter, EventEmitter.defaultMaxListeners, typeof EventEmitter.EventEmitter]; });
t('EventTarget', () => { const et = new EventTarget(); const out = []; et.addEventListener('x', (ev) => out.push(ev.type), { once: true }); et.dispatchEvent(new Event('x')); et.dispatchEvent(new Event('x')); return out; });
