// net, os, http, timers/promises, async_hooks, diagnostics_channel, punycode, process and the
// unavailable modules (run under Node and HBF; see ../run.js). Values that describe the machine
// (os.cpus(), process.pid, ...) differ by design and are not compared.
const net = require('net');
t('isIP', () => ['127.0.0.1', '256.1.1.1', '::1', '::ffff:1.2.3.4', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', 'x', '', '01.2.3.4', '1.2.3'].map((a) => [net.isIP(a), net.isIPv4(a), net.isIPv6(a)]));
t('BlockList', () => { const b = new net.BlockList(); b.addAddress('10.0.0.1'); b.addRange('192.168.0.10', '192.168.0.20'); b.addSubnet('8592:757c:efae:4e45::', 64, 'ipv6'); b.addSubnet('172.16.0.0', 12); return [b.check('10.0.0.1'), b.check('10.0.0.2'), b.check('192.168.0.15'), b.check('192.168.0.21'), b.check('8592:757c:efae:4e45:1::', 'ipv6'), b.check('172.31.255.255'), b.check('::ffff:10.0.0.1', 'ipv6'), b.rules]; });
t('net sockets unavailable', () => { try { net.createServer(); return 'no error'; } catch (e) { return e.name; } });
const os = require('os');
t('os', () => [os.EOL, os.platform(), os.type(), typeof os.cpus().length, typeof os.totalmem(), os.endianness(), typeof os.constants.signals.SIGTERM, os.constants.signals.SIGINT, os.devNull]);
const http = require('http');
t('http', () => [http.STATUS_CODES[404], http.STATUS_CODES[418], http.METHODS.includes('PATCH'), typeof http.Agent, typeof http.IncomingMessage, http.maxHeaderSize]);
t('http validateHeaderName', () => { try { http.validateHeaderName('bad name'); } catch (e) { return e; } });
t('timers/promises', async () => { const tp = require('timers/promises'); const v = await tp.setTimeout(1, 'value'); const w = await tp.setImmediate('imm'); const got = []; for await (const x of tp.setInterval(1, 'i')) { got.push(x); if (got.length === 2) break; } return [v, w, got]; });
t('timers/promises abort', async () => { const tp = require('timers/promises'); const ac = new AbortController(); const p = tp.setTimeout(1000, 'x', { signal: ac.signal }); ac.abort(); try { await p; } catch (e) { return [e.name, e.code]; } });
t('timers', () => { const timers = require('timers'); const t1 = timers.setTimeout(() => {}, 10); const r = [typeof t1.ref, typeof t1.unref, t1.hasRef(), typeof t1[Symbol.toPrimitive]]; timers.clearTimeout(t1); return r; });
t('AsyncLocalStorage sync and timers', async () => {
  const { AsyncLocalStorage } = require('async_hooks');
  const als = new AsyncLocalStorage();
  const seen = [];
  await new Promise((done) => als.run({ id: 1 }, () => {
    seen.push(als.getStore());
    setTimeout(() => { seen.push(als.getStore()); done(); }, 1);
    Promise.resolve().then(() => seen.push(als.getStore()));
  }));
  seen.push(als.getStore());
  return seen;
});
t('AsyncResource', () => { const { AsyncResource, AsyncLocalStorage } = require('async_hooks'); const als = new AsyncLocalStorage(); let r; als.run('s', () => { r = new AsyncResource('X'); }); return [r.runInAsyncScope(() => als.getStore()), als.getStore()]; });
t('diagnostics_channel', () => { const dc = require('diagnostics_channel'); const ch = dc.channel('hbf-test'); const got = []; const fn = (m, name) => got.push([m, name]); const before = ch.hasSubscribers; dc.subscribe('hbf-test', fn); ch.publish({ a: 1 }); const mid = dc.hasSubscribers('hbf-test'); dc.unsubscribe('hbf-test', fn); ch.publish({ a: 2 }); return [before, mid, got, ch.hasSubscribers]; });
t('tracingChannel', () => { const dc = require('diagnostics_channel'); const tc = dc.tracingChannel('hbf-trace'); const ev = []; tc.subscribe({ start: () => ev.push('start'), end: () => ev.push('end'), error: () => ev.push('error') }); const r = tc.traceSync(() => 42, {}); try { tc.traceSync(() => { throw new Error('x'); }); } catch { ev.push('caught'); } return [r, ev]; });
t('punycode', () => { const p = require('punycode'); return [p.encode('mañana'), p.decode('maana-pta'), p.toASCII('mañana.com'), p.toUnicode('xn--maana-pta.com'), p.ucs2.decode('𝄞a')]; });
t('process basics', () => [typeof process.nextTick, process.platform, typeof process.hrtime.bigint(), process.hrtime([0, 0]).length, typeof process.memoryUsage().heapUsed, process.cwd() === '/' || process.cwd().startsWith('/'), typeof process.emitWarning, process.listenerCount('x'), typeof process.on]);
t('unavailable modules load', () => ['child_process', 'worker_threads', 'cluster', 'dgram', 'http2', 'dns', 'module', 'v8', 'vm', 'readline', 'perf_hooks', 'constants', 'tty', 'https'].map((m) => typeof require(m)));
t('probes', () => [require('worker_threads').isMainThread, require('cluster').isPrimary, require('tty').isatty(1), typeof require('perf_hooks').performance.now(), require('module').builtinModules.includes('fs'), typeof require('module').createRequire, require('module').isBuiltin('node:path')]);
t('node: prefix', () => [require('node:buffer') === require('buffer'), require('node:path') === require('path'), require('node:stream/promises') === require('stream/promises'), require('node:util').types === require('util/types')]);
t('tracePromise/traceCallback', async () => { const dc = require('diagnostics_channel'); const tc = dc.tracingChannel('hbf-trace2'); const ev = []; tc.subscribe({ start: () => ev.push('start'), end: () => ev.push('end'), asyncStart: (c) => ev.push('asyncStart ' + c.result), asyncEnd: () => ev.push('asyncEnd'), error: (c) => ev.push('error ' + c.error.message) }); const v = await tc.tracePromise(async () => 7, {}); try { await tc.tracePromise(async () => { throw new Error('no'); }, {}); } catch { ev.push('rejected'); } await new Promise((r) => tc.traceCallback((cb) => setTimeout(() => cb(null, 'cbv'), 1), -1, {}, undefined, () => r())); return [v, ev]; });
