// node:stream (run under Node and HBF; see ../run.js).
const { Readable, Writable, Transform, PassThrough, Duplex, pipeline, finished } = require('stream');
const sp = require('stream/promises');
t('readable events order', async () => {
  const out = [];
  const r = new Readable({ read() {} });
  r.on('data', (c) => out.push('data ' + c));
  r.on('end', () => out.push('end'));
  r.on('close', () => out.push('close'));
  r.push('a'); r.push('b'); r.push(null);
  await new Promise((res) => r.on('close', res));
  return out;
});
t('paused read()', async () => {
  const r = new Readable({ read() {} });
  r.push('abc'); r.push('def'); r.push(null);
  const out = [];
  await new Promise((res) => r.on('readable', function () { let c; while ((c = r.read(2)) !== null) out.push(String(c)); }).on('end', res));
  return out;
});
t('backpressure', async () => {
  const log = [];
  let n = 0;
  const r = new Readable({ highWaterMark: 4, read() { n++; this.push(n <= 5 ? 'xx' : null); } });
  const w = new Writable({ highWaterMark: 3, write(c, e, cb) { log.push(String(c)); setTimeout(cb, 1); } });
  await sp.pipeline(r, w);
  return [log, n];
});
t('write return and drain', async () => {
  const w = new Writable({ highWaterMark: 4, write(c, e, cb) { setTimeout(cb, 1); } });
  const rets = [w.write('ab'), w.write('cd'), w.write('ef')];
  await new Promise((r) => w.once('drain', r));
  const events = [];
  w.on('finish', () => events.push('finish'));
  w.on('close', () => events.push('close'));
  w.end('x', () => events.push('end cb'));
  await new Promise((r) => w.on('close', r));
  return [rets, events, w.writableFinished, w.destroyed];
});
t('object mode transform', async () => {
  const got = [];
  await sp.pipeline(Readable.from([1, 2, 3]), new Transform({ objectMode: true, transform(c, e, cb) { cb(null, c * 10); }, flush(cb) { this.push('done'); cb(); } }), new Writable({ objectMode: true, write(c, e, cb) { got.push(c); cb(); } }));
  return got;
});
t('async iteration', async () => { const out = []; for await (const c of Readable.from(['a', 'b'])) out.push(c); const r = new PassThrough(); r.end('xyz'); for await (const c of r) out.push(String(c)); return out; });
t('setEncoding', async () => { const r = new PassThrough(); r.setEncoding('utf8'); const out = []; r.on('data', (c) => out.push(c)); r.write(Buffer.from([0xe2])); r.write(Buffer.from([0x82, 0xac])); r.end(); await new Promise((res) => r.on('end', res)); return out; });
t('write after end', async () => { const w = new Writable({ write(c, e, cb) { cb(); } }); w.end(); const err = await new Promise((r) => { w.on('error', r); w.write('x'); }); return err; });
t('null write', () => { try { new Writable({ write() {} }).write(null); } catch (e) { return e; } });
t('invalid chunk', () => { try { new Writable({ write() {} }).write(1); } catch (e) { return e; } });
t('pipeline error', async () => { const r = new Readable({ read() { this.destroy(new Error('src failed')); } }); const w = new Writable({ write(c, e, cb) { cb(); } }); const err = await new Promise((res) => pipeline(r, w, res)); return [err, w.destroyed]; });
t('finished premature', async () => { const r = new Readable({ read() {} }); const p = new Promise((res) => finished(r, res)); r.destroy(); return await p; });
t('duplex', async () => { const d = new Duplex({ read() {}, write(c, e, cb) { this.push(String(c).toUpperCase()); cb(); }, final(cb) { this.push(null); cb(); } }); const out = []; d.on('data', (c) => out.push(String(c))); d.write('a'); d.end('b'); await new Promise((r) => d.on('end', r)); return [out, d instanceof Writable, d instanceof Readable]; });
t('pipe', async () => { const src = new PassThrough(), dst = new PassThrough(), out = []; dst.on('data', (c) => out.push(String(c))); src.pipe(dst); src.write('1'); src.end('2'); await new Promise((r) => dst.on('end', r)); return out; });
t('async generator pipeline', async () => { const out = []; await sp.pipeline(Readable.from(['a', 'b']), async function* (src) { for await (const c of src) yield c + c; }, new Writable({ objectMode: true, write(c, e, cb) { out.push(c); cb(); } })); return out; });
t('toArray', async () => await Readable.from([1, 2, 3]).toArray());
t('state', () => { const r = new Readable({ read() {} }); const w = new Writable({ write() {} }); return [r.readable, r.readableFlowing, r.readableHighWaterMark, w.writable, w.writableHighWaterMark, new Readable({ objectMode: true, read() {} }).readableHighWaterMark]; });
