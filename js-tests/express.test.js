'use strict';
// Unit tests for src/js/lib/express.js, driven through express.__handle exactly as the
// Rust side calls it. Run: node --test js-tests/

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const shim = require('./host-shim');

function setup(options) {
  const host = shim.createHost(options);
  const express = shim.loadExpress(host);
  const send = (app, spec) => shim.request(express, app, spec);
  return { host, express, send };
}

const ERROR_PAGE = (msg) => '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n' +
  '<body>\n<pre>' + msg + '</pre>\n</body>\n</html>\n';

test('module shape', async (t) => {
  const { express, host } = setup();

  await t.test('exports express() and the Express 5 surface', () => {
    assert.equal(typeof express, 'function');
    for (const k of ['json', 'urlencoded', 'text', 'raw', 'static', 'Router', 'Route', 'application', 'request', 'response', '__handle']) {
      assert.ok(express[k], k);
    }
    const app = express();
    for (const k of ['get', 'post', 'put', 'patch', 'delete', 'options', 'head', 'all', 'use', 'route', 'param', 'set', 'enable', 'disable', 'enabled', 'disabled', 'listen', 'on', 'emit']) {
      assert.equal(typeof app[k], 'function', k);
    }
    assert.equal(typeof express.Router().get, 'function');
    assert.equal(typeof new express.Router().use, 'function');
  });

  await t.test('app.listen is a no-op that still calls back', async () => {
    const app = express();
    let called = false;
    const server = app.listen(3000, () => { called = true; });
    await new Promise((r) => setImmediate(r));
    assert.equal(called, true);
    assert.equal(server.address().port, 3000);
    let closed = false;
    server.close(() => { closed = true; });
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, true);
  });

  await t.test('source uses no Node globals and requires only hbf:host, hbf:proxy-addr, node:buffer, node:zlib and the views modules', () => {
    const src = fs.readFileSync(shim.EXPRESS_JS, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    // globals only (not method names such as req.setTimeout or `setTimeout() {}` stubs)
    const globals = /(?<![.\w])(Buffer|process|setImmediate|setTimeout|TextEncoder|TextDecoder|queueMicrotask|__dirname|global)\b(?!\s*\(\)\s*\{)/g;
    assert.deepEqual([...src.matchAll(globals)].map((m) => m[0]), []);
    // (buffer: the built-in module, loaded only when a body is streamed or parsed raw; zlib:
    // only when a compressed request body arrives; hbf:proxy-addr: when the app trusts proxies;
    // hbf:express-view: on a render; hbf:templates: on a template preview)
    assert.deepEqual([...new Set([...src.matchAll(/require\(([^)]*)\)/g)].map((m) => m[1]))].sort(), ["'buffer'", "'hbf:express-view'", "'hbf:host'", "'hbf:proxy-addr'", "'hbf:templates'", "'zlib'"]);
  });

  await t.test('runs in a realm without Node globals', async () => {
    const context = shim.createIsolatedContext();
    const ex = shim.loadExpress(host, context);
    const app = ex();
    app.use(ex.json());
    app.post('/echo', (req, res) => res.cookie('a', 'b').json(req.body));
    const res = await shim.request(ex, app, { method: 'POST', url: '/echo', headers: { 'Content-Type': 'application/json' }, body: '{"x":[1]}' });
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"x":[1]}');
    assert.equal(res.header('etag'), 'W/"9-' + require('node:crypto').createHash('sha1').update('{"x":[1]}').digest('base64').slice(0, 27) + '"');
  });
});

test('__handle contract', async (t) => {
  const { express, host } = setup();

  await t.test('resolves to { status, headers: [[name, value]], body: Uint8Array }', async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.cookie('a', '1');
      res.cookie('b', '2');
      res.status(201).send('hé');
    });
    const raw = await express.__handle(app, shim.makeRawReq({ url: '/' }));
    assert.equal(raw.status, 201);
    assert.ok(raw.body instanceof Uint8Array);
    assert.deepEqual(Array.from(raw.body), [104, 0xc3, 0xa9]);
    for (const h of raw.headers) {
      assert.equal(h.length, 2);
      assert.equal(typeof h[0], 'string');
      assert.equal(typeof h[1], 'string');
    }
    assert.deepEqual(raw.headers.filter(([n]) => n === 'Set-Cookie').map(([, v]) => v), ['a=1; Path=/', 'b=2; Path=/']);
    assert.deepEqual(raw.headers.find(([n]) => n === 'Content-Length'), ['Content-Length', '3']);
  });

  await t.test('never sends X-Powered-By, even when enabled', async () => {
    const app = express();
    app.enable('x-powered-by');
    app.get('/', (req, res) => res.send('x'));
    const raw = await express.__handle(app, shim.makeRawReq({ url: '/' }));
    assert.ok(!raw.headers.some(([n]) => n.toLowerCase() === 'x-powered-by'));
    assert.equal(app.enabled('x-powered-by'), true);
  });

  await t.test('a bare Router or handler function is served too', async () => {
    const router = express.Router();
    router.get('/r', (req, res) => res.send('router'));
    assert.equal((await shim.request(express, router, { url: '/r' })).text, 'router');
    assert.equal((await shim.request(express, router, { url: '/x' })).status, 404);
    const fn = (req, res) => res.end('fn ' + req.url);
    assert.equal((await shim.request(express, fn, { url: '/any?q' })).text, 'fn /any?q');
  });

  await t.test('errors thrown outside handlers are logged', async () => {
    const app = express();
    app.get('/', () => { throw new Error('logged boom'); });
    const before = host.logs.length;
    const res = await shim.request(express, app, { url: '/' });
    assert.equal(res.status, 500);
    await new Promise((r) => setImmediate(r));
    assert.ok(host.logs.slice(before).some(([level, msg]) => level === 'error' && msg.includes('logged boom')));
  });
});

test('routing', async (t) => {
  const { express, send } = setup();
  const app = express();
  app.get('/users/:id', (req, res) => res.json(req.params));
  app.get('/files{/:name}', (req, res) => res.json({ name: req.params.name ?? null }));
  app.get('/assets/*path', (req, res) => res.json(req.params.path));
  app.get('/flights/:from-:to', (req, res) => res.json(req.params));
  app.get('/q\\?', (req, res) => res.send('escaped'));
  app.get(/^\/re\/(\d+)\/(?<word>\w+)$/, (req, res) => res.json(req.params));
  app.get(['/a', '/b'], (req, res) => res.send(req.path));
  app.post('/users', (req, res) => res.status(201).send('created'));
  app.get('/name/:"quoted name"', (req, res) => res.json(req.params));

  await t.test('named params', async () => {
    assert.equal((await send(app, { url: '/users/42' })).text, '{"id":"42"}');
    assert.equal((await send(app, { url: '/users/42/' })).text, '{"id":"42"}', 'trailing slash is loose by default');
    assert.equal((await send(app, { url: '/USERS/42' })).text, '{"id":"42"}', 'case-insensitive by default');
    assert.equal((await send(app, { url: '/users/a%20b' })).text, '{"id":"a b"}');
  });

  await t.test('optional groups, wildcards, multiple params per segment', async () => {
    assert.equal((await send(app, { url: '/files' })).text, '{"name":null}');
    assert.equal((await send(app, { url: '/files/x.txt' })).text, '{"name":"x.txt"}');
    assert.equal((await send(app, { url: '/assets/a/b%20c/d' })).text, '["a","b c","d"]');
    assert.equal((await send(app, { url: '/assets/' })).status, 404);
    assert.equal((await send(app, { url: '/flights/LAX-SFO' })).text, '{"from":"LAX","to":"SFO"}');
    assert.equal((await send(app, { url: '/q?' })).status, 404, '? starts the query string');
    assert.equal((await send(app, { url: '/q%3F' })).status, 404);
  });

  await t.test('quoted names, regexps, arrays', async () => {
    assert.equal((await send(app, { url: '/name/zzz' })).text, '{"quoted name":"zzz"}');
    assert.equal((await send(app, { url: '/re/7/hi' })).text, '{"0":"7","word":"hi"}');
    assert.equal((await send(app, { url: '/a' })).text, '/a');
    assert.equal((await send(app, { url: '/b' })).text, '/b');
  });

  await t.test('bad percent-encoding in a param is a 400', async () => {
    const res = await send(app, { url: '/users/%E0%A4%A' });
    assert.equal(res.status, 400);
    assert.equal(res.text, ERROR_PAGE('Bad Request'));
  });

  await t.test('invalid Express 5 paths throw at registration', () => {
    assert.throws(() => app.get('/old/:id?', () => {}), /Unexpected \? at index 8: \/old\/:id\?; visit https:\/\/git.new\/pathToRegexpError/);
    assert.throws(() => app.get('/old/*', () => {}), /Missing parameter name at index 6/);
    assert.throws(() => app.get('/x/{:a', () => {}), /Unexpected end at index 6, expected }/);
    assert.throws(() => app.get('/:a:b', () => {}), /Missing text before "b" param/);
    assert.throws(() => app.get('/x', 'not a function'), /argument handler must be a function/);
  });

  await t.test('unmatched routes get finalhandler\'s 404', async () => {
    const res = await send(app, { url: '/nope/<x>?a=1' });
    assert.equal(res.status, 404);
    assert.equal(res.text, ERROR_PAGE('Cannot GET /nope/%3Cx%3E'));
    assert.equal(res.header('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.header('content-security-policy'), "default-src 'none'");
    assert.equal(res.header('x-content-type-options'), 'nosniff');
    assert.equal(res.header('content-length'), String(Buffer.byteLength(res.text)));
    assert.equal((await send(app, { method: 'PUT', url: '/users' })).text, ERROR_PAGE('Cannot PUT /users'));
  });

  await t.test('strict and case sensitive routing settings', async () => {
    const strict = express();
    strict.enable('strict routing');
    strict.enable('case sensitive routing');
    strict.get('/dir/', (req, res) => res.send('slash'));
    strict.get('/Dir', (req, res) => res.send('Dir'));
    assert.equal((await send(strict, { url: '/dir/' })).text, 'slash');
    assert.equal((await send(strict, { url: '/dir' })).status, 404);
    assert.equal((await send(strict, { url: '/Dir' })).text, 'Dir');
    assert.equal((await send(strict, { url: '/DIR' })).status, 404);
  });
});

test('handler flow', async (t) => {
  const { express, send } = setup();

  await t.test('multiple handlers, arrays, next("route"), app.route, app.all', async () => {
    const app = express();
    const a = (req, res, next) => { res.locals.s = ['a']; next(); };
    const b = (req, res, next) => { res.locals.s.push('b'); next(); };
    app.get('/x', [a, [b]], (req, res, next) => (req.query.skip ? next('route') : res.json(res.locals.s)));
    app.get('/x', (req, res) => res.send('second route'));
    app.route('/r').get((req, res) => res.send('get')).post((req, res) => res.send('post'));
    app.all('/all', (req, res) => res.send(req.method));
    assert.equal((await send(app, { url: '/x' })).text, '["a","b"]');
    assert.equal((await send(app, { url: '/x?skip=1' })).text, 'second route');
    assert.equal((await send(app, { method: 'POST', url: '/r' })).text, 'post');
    assert.equal((await send(app, { method: 'PATCH', url: '/all' })).text, 'PATCH');
    assert.equal((await send(app, { method: 'DELETE', url: '/r' })).status, 404);
  });

  await t.test('next("router") leaves the router', async () => {
    const app = express();
    const r = express.Router();
    r.use((req, res, next) => next('router'));
    r.get('/', (req, res) => res.send('inside'));
    app.use('/r', r);
    app.get('/r', (req, res) => res.send('outside'));
    assert.equal((await send(app, { url: '/r' })).text, 'outside');
  });

  await t.test('errors skip to 4-argument handlers; those can pass them on', async () => {
    const app = express();
    app.get('/e', (req, res, next) => next(new Error('one')));
    app.get('/e', (req, res) => res.send('skipped'));
    app.use((req, res, next) => res.send('skipped too'));
    app.use((err, req, res, next) => next(new Error(err.message + ' two')));
    app.use((err, req, res, next) => res.status(500).send(err.message));
    assert.equal((await send(app, { url: '/e' })).text, 'one two');
  });

  await t.test('sync throws, async rejections and falsy rejections reach error handlers', async () => {
    const app = express();
    app.get('/sync', () => { throw new Error('sync'); });
    app.get('/async', async () => { await null; throw new Error('async'); });
    app.get('/falsy', () => Promise.reject(undefined));
    app.get('/string', (req, res, next) => next('a string'));
    app.use(async (err, req, res, next) => {
      await null;
      res.status(500).json({ message: err instanceof Error ? err.message : err });
    });
    assert.equal((await send(app, { url: '/sync' })).text, '{"message":"sync"}');
    assert.equal((await send(app, { url: '/async' })).text, '{"message":"async"}');
    assert.equal((await send(app, { url: '/falsy' })).text, '{"message":"Rejected promise"}');
    assert.equal((await send(app, { url: '/string' })).text, '{"message":"a string"}');
  });

  await t.test('a rejected error handler falls through to the default handler', async () => {
    const app = express();
    app.get('/', () => { throw new Error('a'); });
    app.use(async (err) => { throw new Error('b'); });
    const res = await send(app, { url: '/' });
    assert.equal(res.status, 500);
    assert.equal(res.text, ERROR_PAGE('Internal Server Error'));
  });

  await t.test('deep synchronous middleware stacks do not overflow', async () => {
    const app = express();
    for (let i = 0; i < 1000; i++) app.use((req, res, next) => next());
    app.get('/', (req, res) => res.send('deep'));
    assert.equal((await send(app, { url: '/' })).text, 'deep');
  });
});

test('routers and sub-apps', async (t) => {
  const { express, send } = setup();

  await t.test('baseUrl, url and originalUrl while mounted and after', async () => {
    const app = express();
    const api = express.Router();
    api.get('/items/:id', (req, res, next) => {
      res.locals.inner = { baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl, path: req.path };
      next();
    });
    app.use('/api', api);
    app.use((req, res) => res.json({ ...res.locals.inner, after: { baseUrl: req.baseUrl, url: req.url } }));
    const out = (await send(app, { url: '/api/items/3?x=1' })).json();
    assert.deepEqual(out, {
      baseUrl: '/api', url: '/items/3?x=1', originalUrl: '/api/items/3?x=1', path: '/items/3',
      after: { baseUrl: '', url: '/api/items/3?x=1' },
    });
  });

  await t.test('mounted middleware sees "/" for the mount point itself', async () => {
    const app = express();
    app.use('/m', (req, res) => res.json({ url: req.url, baseUrl: req.baseUrl }));
    assert.equal((await send(app, { url: '/m' })).text, '{"url":"/","baseUrl":"/m"}');
    assert.equal((await send(app, { url: '/m/?q=1' })).text, '{"url":"/?q=1","baseUrl":"/m"}');
    assert.equal((await send(app, { url: '/mm' })).status, 404);
  });

  await t.test('mergeParams and router.param/app.param', async () => {
    const app = express();
    const calls = [];
    const inner = express.Router({ mergeParams: true });
    inner.get('/:child', (req, res) => res.json(req.params));
    const outer = express.Router();
    outer.param('parent', (req, res, next, val, name) => { calls.push(name + '=' + val); next(); });
    outer.use('/:parent', (req, res, next) => next());
    outer.use('/:parent/kids', inner);
    app.use('/p', outer);
    app.param(['x', 'y'], (req, res, next, val) => { req.sum = (req.sum || 0) + Number(val); next(); });
    app.get('/sum/:x/:y', (req, res) => res.json(req.sum));
    assert.equal((await send(app, { url: '/p/7/kids/9' })).text, '{"parent":"7","child":"9"}');
    assert.deepEqual(calls, ['parent=7'], 'param callback runs once per value per request');
    assert.equal((await send(app, { url: '/sum/2/3' })).text, '5');
  });

  await t.test('param callbacks can reject or end the request', async () => {
    const app = express();
    app.param('id', async (req, res, next, id) => {
      if (id === 'bad') throw Object.assign(new Error('bad id'), { status: 422 });
      if (id === 'stop') return res.status(404).send('no such id');
      req.item = { id };
      next();
    });
    app.get('/items/:id', (req, res) => res.json(req.item));
    assert.equal((await send(app, { url: '/items/1' })).text, '{"id":"1"}');
    assert.equal((await send(app, { url: '/items/bad' })).status, 422);
    assert.equal((await send(app, { url: '/items/stop' })).text, 'no such id');
  });

  await t.test('sub-apps: settings inheritance, req.app, mountpath, mount event', async () => {
    const app = express();
    const admin = express();
    let mountedOn = null;
    admin.on('mount', (parent) => { mountedOn = parent; });
    admin.get('/', (req, res) => res.json({
      title: req.app.get('title'), same: req.app === admin, baseUrl: req.baseUrl, mountpath: admin.mountpath, path: admin.path(),
    }));
    app.set('title', 'Main');
    app.use('/admin', admin);
    app.get('/after', (req, res) => res.json({ same: req.app === app }));
    assert.equal(mountedOn, app);
    assert.deepEqual((await send(app, { url: '/admin' })).json(), { title: 'Main', same: true, baseUrl: '/admin', mountpath: '/admin', path: '/admin' });
    assert.equal((await send(app, { url: '/after' })).text, '{"same":true}');
    assert.equal((await send(app, { url: '/admin/zzz' })).text, ERROR_PAGE('Cannot GET /admin/zzz'));
  });
});

test('HEAD and OPTIONS', async (t) => {
  const { express, send } = setup();
  const app = express();
  app.get('/thing', (req, res) => res.send('thing body'));
  app.post('/thing', (req, res) => res.send('posted'));
  app.put('/other', (req, res) => res.send('x'));
  app.delete('/other', (req, res) => res.send('x'));
  app.options('/custom', (req, res) => res.set('Allow', 'NOTHING').sendStatus(204));

  await t.test('HEAD runs the GET handler without a body', async () => {
    const res = await send(app, { method: 'HEAD', url: '/thing' });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.header('content-length'), '10');
  });

  await t.test('automatic OPTIONS lists the allowed methods', async () => {
    const res = await send(app, { method: 'OPTIONS', url: '/thing' });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'GET, HEAD, POST');
    assert.equal(res.header('allow'), 'GET, HEAD, POST');
    assert.equal(res.header('content-type'), 'text/plain');
    assert.equal(res.header('x-content-type-options'), 'nosniff');
    assert.equal((await send(app, { method: 'OPTIONS', url: '/other' })).text, 'DELETE, PUT');
    assert.equal((await send(app, { method: 'OPTIONS', url: '/custom' })).status, 204);
    assert.equal((await send(app, { method: 'OPTIONS', url: '/none' })).status, 404);
  });
});

test('default error handler (finalhandler)', async (t) => {
  const { express, send } = setup();

  await t.test('production hides messages; status and headers come from the error', async () => {
    const app = express();
    app.get('/plain', () => { throw new Error('secret detail'); });
    app.get('/status', (req, res, next) => next(Object.assign(new Error('x'), { status: 403 })));
    app.get('/statusCode', (req, res, next) => next(Object.assign(new Error('x'), { statusCode: 410 })));
    app.get('/headers', (req, res, next) => next(Object.assign(new Error('x'), { status: 429, headers: { 'Retry-After': '5' } })));
    app.get('/res-status', (req, res, next) => { res.status(503); next(new Error('x')); });
    app.get('/out-of-range', (req, res, next) => next(Object.assign(new Error('x'), { status: 200 })));
    let res = await send(app, { url: '/plain' });
    assert.equal(res.status, 500);
    assert.equal(res.text, ERROR_PAGE('Internal Server Error'));
    assert.equal(app.get('env'), 'production');
    assert.equal((await send(app, { url: '/status' })).text, ERROR_PAGE('Forbidden'));
    assert.equal((await send(app, { url: '/statusCode' })).status, 410);
    res = await send(app, { url: '/headers' });
    assert.equal(res.status, 429);
    assert.equal(res.header('retry-after'), '5');
    assert.equal((await send(app, { url: '/res-status' })).status, 503);
    assert.equal((await send(app, { url: '/out-of-range' })).status, 500);
    res = await send(app, { method: 'HEAD', url: '/plain' });
    assert.equal(res.status, 500);
    assert.equal(res.body.length, 0);
  });

  await t.test('development shows the stack, HTML-escaped', async () => {
    const app = express();
    app.set('env', 'development');
    app.get('/', () => { throw new Error('<dev> detail'); });
    const res = await send(app, { url: '/' });
    assert.equal(res.status, 500);
    assert.match(res.text, /<pre>Error: &lt;dev&gt; detail<br> &nbsp; &nbsp;at /);
  });

  await t.test('invalid status codes and broken error headers still produce a response', async () => {
    const app = express();
    app.get('/status', (req, res) => { res.statusCode = 42; res.end('x'); });
    app.get('/headers', (req, res, next) => next(Object.assign(new Error('x'), { status: 400, headers: { 'X-Bad': 'a\nb' } })));
    assert.equal((await send(app, { url: '/status' })).status, 500);
    const res = await send(app, { url: '/headers' });
    assert.equal(res.status, 500);
    assert.equal(res.text, 'Internal Server Error');
  });

  await t.test('errors after the response has ended do not change it', async () => {
    const app = express();
    app.get('/', (req, res) => { res.send('ok'); throw new Error('late'); });
    const res = await send(app, { url: '/' });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
  });
});

test('body parsers', async (t) => {
  const { express, send } = setup();
  const app = express();
  const echo = (req, res) => res.json({ body: req.body === undefined ? '<undefined>' : req.body });
  app.post('/json', express.json(), echo);
  app.post('/json-loose', express.json({ strict: false }), echo);
  app.post('/json-limit', express.json({ limit: '10b' }), echo);
  app.post('/json-reviver', express.json({ reviver: (k, v) => (k === 'd' ? new Date(v).getUTCFullYear() : v) }), echo);
  app.post('/json-type', express.json({ type: (req) => req.headers['x-json'] === '1' }), echo);
  app.post('/json-verify', express.json({ verify: (req, res, buf) => { if (buf[0] !== 123) throw new Error('no'); } }), echo);
  app.post('/form', express.urlencoded(), echo);
  app.post('/form-ext', express.urlencoded({ extended: true }), echo);
  app.post('/form-limit', express.urlencoded({ parameterLimit: 2 }), echo);
  app.post('/form-depth', express.urlencoded({ extended: true, depth: 1 }), echo);
  app.post('/text', express.text(), echo);
  app.post('/raw', express.raw(), (req, res) => res.json({ isBytes: req.body instanceof Uint8Array, bytes: Array.from(req.body) }));
  app.post('/raw-big', express.raw({ limit: '1kb' }), (req, res) => res.json(req.body.length));
  app.use((err, req, res, next) => res.status(err.status).json({ status: err.status, type: err.type, message: err.message, expose: err.expose, hasBody: 'body' in err }));
  const json = (url, body, headers = {}) => send(app, { method: 'POST', url, headers: { 'Content-Type': 'application/json', ...headers }, body });

  await t.test('json', async () => {
    assert.deepEqual((await json('/json', '{"a":[1,{"b":null}]}')).json(), { body: { a: [1, { b: null }] } });
    assert.deepEqual((await json('/json', '')).json(), { body: {} });
    assert.deepEqual((await json('/json', '\ufeff[1]')).json(), { body: [1] });
    assert.deepEqual((await json('/json-loose', '"str"')).json(), { body: 'str' });
    assert.deepEqual((await json('/json-reviver', '{"d":"2020-05-05T00:00:00Z"}')).json(), { body: { d: 2020 } });
    assert.deepEqual((await json('/json-type', '[2]', { 'Content-Type': 'text/plain', 'X-Json': '1' })).json(), { body: [2] });
    assert.deepEqual((await json('/json', '[3]', { 'Content-Type': 'application/json; charset=UTF-8' })).json(), { body: [3] });
  });

  await t.test('json: only matching types, and only requests with a body', async () => {
    assert.deepEqual((await json('/json', '{"a":1}', { 'Content-Type': 'text/plain' })).json(), { body: '<undefined>' });
    assert.deepEqual((await send(app, { method: 'POST', url: '/json' })).json(), { body: '<undefined>' });
  });

  await t.test('json errors: parse 400, strict 400, too large 413, charset 415, encoding 415, verify 403', async () => {
    let out = (await json('/json', '{"a":')).json();
    assert.equal(out.status, 400);
    assert.equal(out.type, 'entity.parse.failed');
    assert.equal(out.expose, true);
    assert.equal(out.hasBody, true);
    out = (await json('/json', ' "hello"')).json();
    assert.equal(out.type, 'entity.parse.failed');
    assert.match(out.message, /"/);
    assert.deepEqual((await json('/json-limit', '{"aaaaaaaaa":1}')).json(),
      { status: 413, type: 'entity.too.large', message: 'request entity too large', expose: true, hasBody: false });
    assert.deepEqual((await json('/json', '{}', { 'Content-Type': 'application/json; charset=latin1' })).json(),
      { status: 415, type: 'charset.unsupported', message: 'unsupported charset "LATIN1"', expose: true, hasBody: false });
    out = (await json('/json', '{}', { 'Content-Encoding': 'compress' })).json();
    assert.equal(out.status, 415);
    assert.equal(out.type, 'encoding.unsupported');
    out = (await json('/json', '{}', { 'Content-Encoding': 'gzip' })).json(); // not gzip data
    assert.equal(out.status, 400);
    assert.equal(out.message, 'incorrect header check');
    out = (await json('/json-verify', '[1]')).json();
    assert.equal(out.status, 403);
    assert.equal(out.type, 'entity.verify.failed');
  });

  await t.test('urlencoded: simple by default, extended on request', async () => {
    const form = (url, body, ct = 'application/x-www-form-urlencoded') => send(app, { method: 'POST', url, headers: { 'Content-Type': ct }, body });
    assert.deepEqual((await form('/form', 'a=1&a=2&b=x+y&c[d]=e&f')).json(), { body: { a: ['1', '2'], b: 'x y', 'c[d]': 'e', f: '' } });
    assert.deepEqual((await form('/form-ext', 'u[name]=t&u[tags][]=a&u[tags][]=b&n[0]=x')).json(), { body: { u: { name: 't', tags: ['a', 'b'] }, n: ['x'] } });
    assert.deepEqual((await form('/form', 'name=caf%E9', 'application/x-www-form-urlencoded; charset=iso-8859-1')).json(), { body: { name: 'café' } });
    assert.deepEqual((await form('/form', '')).json(), { body: {} });
    let out = (await form('/form-limit', 'a=1&b=2&c=3')).json();
    assert.equal(out.status, 413);
    assert.equal(out.type, 'parameters.too.many');
    out = (await form('/form-depth', 'a[b][c]=1')).json();
    assert.equal(out.status, 400);
    assert.equal(out.type, 'querystring.parse.rangeError');
  });

  await t.test('text and raw', async () => {
    const post = (url, body, ct) => send(app, { method: 'POST', url, headers: { 'Content-Type': ct }, body });
    assert.deepEqual((await post('/text', 'héllo', 'text/plain')).json(), { body: 'héllo' });
    assert.deepEqual((await post('/text', new Uint8Array([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=iso-8859-1')).json(), { body: 'café' });
    assert.equal((await post('/text', 'x', 'text/plain; charset=klingon')).json().status, 415);
    assert.deepEqual((await post('/raw', new Uint8Array([0, 255, 7]), 'application/octet-stream')).json(), { isBytes: true, bytes: [0, 255, 7] });
    assert.equal((await post('/raw-big', new Uint8Array(1024), 'application/octet-stream')).text, '1024');
    assert.equal((await post('/raw-big', new Uint8Array(1025), 'application/octet-stream')).status, 413);
  });

  await t.test('a body is parsed once: later parsers and stream readers see it consumed', async () => {
    const a = express();
    a.use(express.json(), express.text({ type: '*/*' }));
    a.post('/', (req, res) => res.json({ body: req.body, ended: req.readableEnded, read: req.read() }));
    assert.equal((await send(a, { method: 'POST', url: '/', headers: { 'Content-Type': 'application/json' }, body: '[1]' })).text, '{"body":[1],"ended":true,"read":null}');
  });

  await t.test('option validation', () => {
    assert.throws(() => express.json({ limit: 'lots' }), /option limit "lots" is invalid/);
    assert.throws(() => express.urlencoded({ parameterLimit: 0 }), /parameterLimit must be a positive number/);
    assert.throws(() => express.json({ verify: 'x' }), /option verify must be function/);
  });
});

test('request streams', async (t) => {
  const { express, send } = setup();
  await t.test('data/end events and async iteration deliver the raw body', async () => {
    const app = express();
    app.post('/events', (req, res) => {
      const parts = [];
      req.setEncoding('utf8');
      req.on('data', (c) => parts.push(c));
      req.on('end', () => res.send('got:' + parts.join('')));
    });
    app.post('/iter', async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(...c);
      res.json(chunks);
    });
    assert.equal((await send(app, { method: 'POST', url: '/events', body: 'abc' })).text, 'got:abc');
    assert.equal((await send(app, { method: 'POST', url: '/iter', body: new Uint8Array([1, 2]) })).text, '[1,2]');
  });
});

test('express.static via host.serveStatic', async (t) => {
  const { express, send, host } = setup({
    assets: {
      public: { '/index.html': '<h1>home</h1>', '/app.js': 'console.log(1)', '/docs/index.html': 'docs' },
      other: { '/x.txt': 'other root' },
    },
  });
  const calls = [];
  const real = host.serveStatic;
  host.serveStatic = (root, pathname, req) => { calls.push([root, pathname, req.method]); return real(root, pathname, req); };
  const app = express();
  app.use(express.static('public'));
  app.use('/o', express.static('other', { maxAge: 60000 }));
  app.use('/strict', express.static('other', { fallthrough: false }));
  app.get('/dynamic', (req, res) => res.send('dynamic'));
  app.post('/app.js', (req, res) => res.send('post'));

  await t.test('serves files, indexes, HEAD, 304 and ranges', async () => {
    let res = await send(app, { url: '/app.js' });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'console.log(1)');
    assert.equal(res.header('content-type'), 'text/javascript; charset=utf-8');
    assert.deepEqual(calls.at(-1), ['public', '/app.js', 'GET']);
    assert.equal((await send(app, { url: '/' })).text, '<h1>home</h1>');
    assert.equal((await send(app, { url: '/docs/' })).text, 'docs');
    res = await send(app, { method: 'HEAD', url: '/app.js' });
    assert.equal(res.body.length, 0);
    assert.equal(res.header('content-length'), '14');
    const etag = (await send(app, { url: '/app.js' })).header('etag');
    res = await send(app, { url: '/app.js', headers: { 'If-None-Match': etag } });
    assert.equal(res.status, 304);
    assert.equal(res.body.length, 0);
    res = await send(app, { url: '/app.js', headers: { Range: 'bytes=0-6' } });
    assert.equal(res.status, 206);
    assert.equal(res.text, 'console');
  });

  await t.test('falls through to later routes; honours mount path and maxAge', async () => {
    assert.equal((await send(app, { url: '/dynamic' })).text, 'dynamic');
    assert.equal((await send(app, { method: 'POST', url: '/app.js' })).text, 'post');
    const res = await send(app, { url: '/o/x.txt' });
    assert.equal(res.text, 'other root');
    assert.deepEqual(calls.at(-1), ['other', '/x.txt', 'GET']);
    assert.equal(res.header('cache-control'), 'public, max-age=60');
    assert.equal((await send(app, { url: '/missing.txt' })).status, 404);
  });

  await t.test('dot-files are hidden unless allowed; index: false', async () => {
    const { express: ex, send: s2 } = setup({ assets: { pub: { '/.env': 'SECRET=1', '/.well-known/a.txt': 'wk', '/index.html': 'idx' } } });
    const a = ex();
    a.use('/ignore', ex.static('pub'));
    a.use('/allow', ex.static('pub', { dotfiles: 'allow' }));
    a.use('/deny', ex.static('pub', { dotfiles: 'deny', fallthrough: false }));
    a.use('/noindex', ex.static('pub', { index: false }));
    assert.equal((await s2(a, { url: '/ignore/.env' })).status, 404);
    assert.equal((await s2(a, { url: '/ignore/%2Eenv' })).status, 404);
    assert.equal((await s2(a, { url: '/allow/.well-known/a.txt' })).text, 'wk');
    assert.equal((await s2(a, { url: '/deny/.env' })).status, 403);
    assert.equal((await s2(a, { url: '/ignore/' })).text, 'idx');
    assert.equal((await s2(a, { url: '/noindex/' })).status, 404);
  });

  await t.test('fallthrough: false answers 404 / 405 itself', async () => {
    assert.equal((await send(app, { url: '/strict/nope' })).text, ERROR_PAGE('Not Found'));
    const res = await send(app, { method: 'POST', url: '/strict/x.txt' });
    assert.equal(res.status, 405);
    assert.equal(res.header('allow'), 'GET, HEAD');
  });

  await t.test('res.sendFile and res.download use the same host call', async () => {
    const a = express();
    a.get('/file', (req, res) => res.sendFile('app.js', { root: 'public' }));
    a.get('/abs', (req, res) => res.sendFile('/x.txt', { root: 'other' }));
    a.get('/dl', (req, res) => res.download('/x.txt', 'report.txt', { root: 'other' }));
    a.get('/missing', (req, res) => res.sendFile('nope.txt', { root: 'public' }));
    a.get('/missing-cb', (req, res) => res.sendFile('nope.txt', { root: 'public' }, (err) => res.status(200).send('cb:' + err.status)));
    assert.equal((await send(a, { url: '/file' })).text, 'console.log(1)');
    assert.equal((await send(a, { url: '/abs' })).text, 'other root');
    const dl = await send(a, { url: '/dl' });
    assert.equal(dl.header('content-disposition'), 'attachment; filename=report.txt');
    assert.equal(dl.text, 'other root');
    assert.equal((await send(a, { url: '/missing' })).status, 404);
    assert.equal((await send(a, { url: '/missing-cb' })).text, 'cb:404');
    assert.throws(() => a.handle && express.response.sendFile.call({ req: {} }, 'relative.txt'), /path must be absolute or specify root/);
  });
});

test('request properties', async (t) => {
  const { express, send } = setup();
  const app = express();
  app.get('/info', (req, res) => res.json({
    method: req.method, path: req.path, url: req.url, originalUrl: req.originalUrl, query: req.query,
    host: req.host, hostname: req.hostname, ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure,
    subdomains: req.subdomains, xhr: req.xhr, referer: req.get('Referrer'), ua: req.header('user-agent'),
    sameRes: req.res === res && res.req === req, app: req.app === app,
  }));
  app.get('/cookies', (req, res) => res.json({ cookies: req.cookies, signed: req.signedCookies }));
  app.get('/cookie-assign', (req, res) => { req.cookies = { replaced: true }; res.json(req.cookies); });

  await t.test('url, query, headers, connection facts from the host', async () => {
    const out = (await send(app, {
      url: '/info?a=1&a=2&b=%20c', protocol: 'https', ip: '10.0.0.1', ips: ['1.2.3.4'],
      headers: { Host: 'a.b.example.com:8080', 'X-Requested-With': 'XMLHttpRequest', Referer: '/prev', 'User-Agent': 'ua' },
    })).json();
    assert.deepEqual(out, {
      method: 'GET', path: '/info', url: '/info?a=1&a=2&b=%20c', originalUrl: '/info?a=1&a=2&b=%20c', query: { a: ['1', '2'], b: ' c' },
      host: 'a.b.example.com:8080', hostname: 'a.b.example.com', ip: '10.0.0.1', ips: [], protocol: 'https', secure: true,
      subdomains: ['b', 'a'], xhr: true, referer: '/prev', ua: 'ua', sameRes: true, app: true,
    });
  });

  await t.test('query parser settings', async () => {
    const mk = (setting) => {
      const a = express();
      if (setting !== undefined) a.set('query parser', setting);
      a.get('/', (req, res) => res.json(req.query));
      return a;
    };
    const q = '/?a[b]=1&a[c][]=2&x=1&x=2';
    assert.equal((await send(mk(), { url: q })).text, '{"a[b]":"1","a[c][]":"2","x":["1","2"]}');
    assert.equal((await send(mk('extended'), { url: q })).text, '{"a":{"b":"1","c":["2"]},"x":["1","2"]}');
    assert.equal((await send(mk(false), { url: q })).text, '{}');
    assert.equal((await send(mk((s) => ({ raw: s })), { url: q })).text, '{"raw":"a[b]=1&a[c][]=2&x=1&x=2"}');
    assert.throws(() => mk('bogus'), /unknown value for query parser function: bogus/);
  });

  await t.test('cookies are parsed lazily, JSON cookies decoded, assignable', async () => {
    assert.deepEqual((await send(app, { url: '/cookies', headers: { Cookie: ['a=1; b=x%20y', 'j=j%3A%5B1%5D; z=j:0'] } })).json(),
      { cookies: { a: '1', b: 'x y', j: [1], z: 'j:0' }, signed: {} });
    assert.deepEqual((await send(app, { url: '/cookies' })).json(), { cookies: {}, signed: {} });
    assert.deepEqual((await send(app, { url: '/cookie-assign', headers: { Cookie: 'a=1' } })).json(), { replaced: true });
  });

  await t.test('is() and accepts*()', async () => {
    const a = express();
    a.all('/', (req, res) => res.json({
      is: [req.is('json'), req.is('application/*'), req.is(['html', '+json']), req.is('text')],
      accepts: [req.accepts('html', 'json'), req.accepts(['json', 'html']), req.accepts('png'), req.accepts()],
      enc: [req.acceptsEncodings('br', 'gzip'), req.acceptsEncodings('identity'), req.acceptsEncodings()],
      lang: [req.acceptsLanguages('en', 'fr'), req.acceptsLanguages()],
      cs: [req.acceptsCharsets('utf-8'), req.acceptsCharsets()],
    }));
    const out = (await send(a, {
      method: 'POST', url: '/', body: '{}',
      headers: {
        'Content-Type': 'application/merge-patch+json', Accept: 'application/json;q=0.9, text/html',
        'Accept-Encoding': 'gzip;q=0.8, br', 'Accept-Language': 'fr-FR, en;q=0.5', 'Accept-Charset': 'utf-8',
      },
    })).json();
    assert.deepEqual(out, {
      is: [false, 'application/merge-patch+json', 'application/merge-patch+json', false],
      accepts: ['html', 'html', false, ['text/html', 'application/json']],
      enc: ['br', 'identity', ['br', 'gzip', 'identity']],
      lang: ['fr', ['fr-FR', 'en']],
      cs: ['utf-8', ['utf-8']],
    });
    const none = (await send(a, { url: '/' })).json();
    assert.deepEqual(none.is, [null, null, null, null]);
    assert.deepEqual(none.accepts, ['html', 'json', 'png', ['*/*']]);
  });

  await t.test('fresh/stale and range', async () => {
    const a = express();
    a.get('/', (req, res) => {
      res.set('ETag', '"x"');
      res.set('X-Range', JSON.stringify(req.range(100)));
      res.status(200).json({ fresh: req.fresh, stale: req.stale });
    });
    let res = await send(a, { url: '/', headers: { 'If-None-Match': '"y", "x"', Range: 'bytes=0-9,90-' } });
    assert.equal(res.status, 304);
    res = await send(a, { url: '/', headers: { Range: 'bytes=-10' } });
    assert.equal(res.text, '{"fresh":false,"stale":true}');
    assert.equal(res.header('x-range'), '[{"start":90,"end":99}]');
  });
});

test('response helpers', async (t) => {
  const { express, send } = setup();

  await t.test('send() type inference, Content-Length and ETag', async () => {
    const app = express();
    app.get('/s', (req, res) => res.send('<p>x</p>'));
    app.get('/o', (req, res) => res.send({ a: 1 }));
    app.get('/n', (req, res) => res.send(null));
    app.get('/b', (req, res) => res.send(new Uint8Array([1, 2, 3])));
    app.get('/ab', (req, res) => res.send(new Uint16Array([1])));
    app.get('/typed', (req, res) => res.type('text/plain; charset=ascii').send('x'));
    let res = await send(app, { url: '/s' });
    assert.equal(res.header('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.header('content-length'), '8');
    assert.equal(res.header('etag'), 'W/"8-' + require('node:crypto').createHash('sha1').update('<p>x</p>').digest('base64').slice(0, 27) + '"');
    assert.equal((await send(app, { url: '/o' })).header('content-type'), 'application/json; charset=utf-8');
    res = await send(app, { url: '/n' });
    assert.equal(res.header('content-type'), undefined);
    assert.equal(res.header('etag'), 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"');
    res = await send(app, { url: '/b' });
    assert.equal(res.header('content-type'), 'application/octet-stream');
    assert.deepEqual(Array.from(res.body), [1, 2, 3]);
    assert.equal((await send(app, { url: '/ab' })).body.length, 2);
    assert.equal((await send(app, { url: '/typed' })).header('content-type'), 'text/plain; charset=utf-8');
  });

  await t.test('etag settings: off, strong, custom; 304 when fresh', async () => {
    const app = express();
    app.get('/', (req, res) => res.send('body'));
    const tag = (await send(app, { url: '/' })).header('etag');
    assert.match(tag, /^W\/"4-/);
    assert.equal((await send(app, { url: '/', headers: { 'If-None-Match': tag } })).status, 304);
    assert.equal((await send(app, { method: 'POST', url: '/', headers: { 'If-None-Match': tag } })).status, 404);
    app.set('etag', 'strong');
    assert.match((await send(app, { url: '/' })).header('etag'), /^"4-/);
    app.set('etag', (body) => '"len' + body.length + '"');
    assert.equal((await send(app, { url: '/' })).header('etag'), '"len4"');
    app.disable('etag');
    assert.equal((await send(app, { url: '/' })).header('etag'), undefined);
    assert.throws(() => app.set('etag', 'medium'), /unknown value for etag function: medium/);
  });

  await t.test('json settings and jsonp', async () => {
    const app = express();
    app.set('json spaces', 1);
    app.set('json replacer', (k, v) => (k === 'hide' ? undefined : v));
    app.set('json escape', true);
    app.get('/', (req, res) => res.json({ a: '<&>', hide: 1 }));
    app.get('/p', (req, res) => res.jsonp([1]));
    assert.equal((await send(app, { url: '/' })).text, '{\n "a": "\\u003c\\u0026\\u003e"\n}');
    const res = await send(app, { url: '/p?callback=my.cb' });
    assert.equal(res.text, "/**/ typeof my.cb === 'function' && my.cb([\n 1\n]);");
    assert.equal(res.header('content-type'), 'text/javascript; charset=utf-8');
  });

  await t.test('status, sendStatus and status validation', async () => {
    const app = express();
    app.get('/s/:c', (req, res) => res.sendStatus(Number(req.params.c)));
    app.get('/bad', (req, res) => res.status('200'));
    app.get('/range', (req, res) => res.status(99));
    app.use((err, req, res, next) => res.status(500).send(err.name + ': ' + err.message));
    let res = await send(app, { url: '/s/201' });
    assert.equal(res.status, 201);
    assert.equal(res.text, 'Created');
    assert.equal(res.header('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await send(app, { url: '/s/599' })).text, '599');
    res = await send(app, { url: '/s/204' });
    assert.equal(res.text, '');
    assert.equal(res.header('content-type'), undefined);
    assert.equal((await send(app, { url: '/bad' })).text, 'TypeError: Invalid status code: "200". Status code must be an integer.');
    assert.equal((await send(app, { url: '/range' })).text, 'RangeError: Invalid status code: 99. Status code must be greater than 99 and less than 1000.');
  });

  await t.test('set/get/append/type/links/vary/attachment', async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.set({ 'X-A': 1, 'Content-Type': 'json' });
      res.append('X-List', 'a').append('X-List', ['b', 'c']);
      res.links({ next: '/2', alt: ['/x', '/y'] });
      res.vary('Accept').vary(['Origin', 'accept']);
      res.header('X-Got', String(res.get('x-a')));
      res.attachment('dir/résumé final.pdf');
      res.end();
    });
    const res = await send(app, { url: '/' });
    assert.equal(res.header('x-a'), '1');
    assert.equal(res.header('x-got'), '1');
    assert.deepEqual(res.header('x-list'), ['a', 'b', 'c']);
    assert.equal(res.header('link'), '</2>; rel="next", </x>; rel="alt", </y>; rel="alt"');
    assert.equal(res.header('vary'), 'Accept, Origin');
    assert.equal(res.header('content-type'), 'application/pdf');
    assert.equal(res.header('content-disposition'), 'attachment; filename="r?sum? final.pdf"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9%20final.pdf');
    const app2 = express();
    app2.get('/:t', (req, res) => res.type(req.params.t).end());
    const ct = async (t2) => (await send(app2, { url: '/' + encodeURIComponent(t2) })).header('content-type');
    assert.equal(await ct('html'), 'text/html; charset=utf-8');
    assert.equal(await ct('.css'), 'text/css; charset=utf-8');
    assert.equal(await ct('png'), 'image/png');
    assert.equal(await ct('file.webmanifest'), 'application/manifest+json; charset=utf-8');
    assert.equal(await ct('nope'), 'application/octet-stream');
    assert.equal(await ct('application/vnd.x+json'), 'application/vnd.x+json');
  });

  await t.test('redirect and location', async () => {
    const app = express();
    app.get('/r', (req, res) => res.redirect('/to?a=<b> c'));
    app.get('/r301', (req, res) => res.redirect(301, 'https://example.com/ü'));
    let res = await send(app, { url: '/r' });
    assert.equal(res.status, 302);
    assert.equal(res.header('location'), '/to?a=%3Cb%3E%20c');
    assert.equal(res.text, 'Found. Redirecting to /to?a=%3Cb%3E%20c');
    assert.equal(res.header('vary'), 'Accept');
    res = await send(app, { url: '/r301', headers: { Accept: 'text/html' } });
    assert.equal(res.status, 301);
    assert.equal(res.text, '<!DOCTYPE html><head><title>Moved Permanently</title></head><body><p>Moved Permanently. Redirecting to https://example.com/%C3%BC</p></body>');
    res = await send(app, { url: '/r', headers: { Accept: 'application/json' } });
    assert.equal(res.text, '');
    assert.equal(res.header('content-length'), '0');
    res = await send(app, { method: 'HEAD', url: '/r' });
    assert.equal(res.body.length, 0);
  });

  await t.test('format: picks by Accept, falls back to default, else 406', async () => {
    const app = express();
    app.get('/', (req, res) => res.format({ 'text/plain': () => res.send('text'), json: () => res.json('json') }));
    app.use((err, req, res, next) => res.status(err.status).json({ status: err.status, types: err.types, message: err.message }));
    assert.equal((await send(app, { url: '/', headers: { Accept: 'application/json' } })).text, '"json"');
    const res = await send(app, { url: '/', headers: { Accept: 'text/*' } });
    assert.equal(res.text, 'text');
    assert.equal(res.header('content-type'), 'text/plain; charset=utf-8');
    assert.deepEqual((await send(app, { url: '/', headers: { Accept: 'image/*' } })).json(),
      { status: 406, types: ['text/plain', 'application/json'], message: 'Not Acceptable' });
  });

  await t.test('cookie and clearCookie', async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.cookie('name', 'tobi ferret', { domain: 'example.com', path: '/admin', secure: true, httpOnly: true, sameSite: 'lax', priority: 'low', partitioned: true });
      res.cookie('obj', { a: 1 });
      res.cookie('ttl', '1', { maxAge: 90000 });
      res.clearCookie('old', { maxAge: 5 });
      res.end();
    });
    app.get('/bad', (req, res) => res.cookie('x', 'y', { sameSite: 'sometimes' }));
    app.get('/signed', (req, res) => res.cookie('x', 'y', { signed: true }));
    app.use((err, req, res, next) => res.status(500).send(err.message));
    const res = await send(app, { url: '/' });
    const cookies = res.header('set-cookie');
    assert.equal(cookies[0], 'name=tobi%20ferret; Domain=example.com; Path=/admin; HttpOnly; Secure; Partitioned; Priority=Low; SameSite=Lax');
    assert.equal(cookies[1], 'obj=j%3A%7B%22a%22%3A1%7D; Path=/');
    assert.match(cookies[2], /^ttl=1; Max-Age=90; Path=\/; Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
    assert.equal(cookies[3], 'old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    assert.equal((await send(app, { url: '/bad' })).text, 'option sameSite is invalid');
    assert.equal((await send(app, { url: '/signed' })).text, 'cookieParser("secret") required for signed cookies');
  });

  await t.test('write/end, headersSent, setHeader after send throws', async () => {
    const app = express();
    app.get('/w', (req, res) => {
      res.setHeader('X-Before', String(res.headersSent));
      res.write('a');
      res.write(new Uint8Array([98]));
      res.end('c');
    });
    app.get('/twice', (req, res, next) => {
      res.send('first');
      try { res.send('second'); } catch (e) { res.locals.code = e.code; }
      if (res.locals.code !== 'ERR_HTTP_HEADERS_SENT') throw new Error('expected ERR_HTTP_HEADERS_SENT');
    });
    app.get('/writehead', (req, res) => { res.writeHead(202, { 'X-Y': 'z' }); res.end('ok'); });
    let res = await send(app, { url: '/w' });
    assert.equal(res.text, 'abc');
    assert.equal(res.header('x-before'), 'false');
    assert.equal(res.header('content-length'), undefined, 'streamed responses get framing from the host');
    assert.equal((await send(app, { url: '/twice' })).text, 'first');
    res = await send(app, { url: '/writehead' });
    assert.equal(res.status, 202);
    assert.equal(res.header('x-y'), 'z');
  });

  await t.test('end()/write() send the head through a wrapped writeHead (on-headers)', async () => {
    const app = express();
    // What on-headers (express-session, response-time) does: wrap writeHead, set headers there.
    app.use((req, res, next) => {
      const prev = res.writeHead;
      res.writeHead = function (status) {
        this.setHeader('X-Hooked', String(this._header === null) + ':' + status);
        return prev.apply(this, arguments);
      };
      next();
    });
    app.get('/send', (req, res) => res.status(201).send('body'));
    app.get('/write', (req, res) => { res.write('a'); res.end('b'); });
    app.get('/implicit', (req, res) => {
      res._implicitHeader();
      res.end(String(Boolean(res._header)) + String(res.headersSent));
    });
    let res = await send(app, { url: '/send' });
    assert.equal(res.status, 201);
    assert.equal(res.header('x-hooked'), 'true:201');
    assert.equal(res.header('content-length'), '4', 'Content-Length stays implicit');
    res = await send(app, { url: '/write' });
    assert.equal(res.text, 'ab');
    assert.equal(res.header('x-hooked'), 'true:200');
    res = await send(app, { url: '/implicit' });
    assert.equal(res.text, 'truetrue');
    assert.equal(res.header('x-hooked'), 'true:200');
  });

  await t.test('finish event, locals, app.locals', async () => {
    const app = express();
    let finished = false;
    app.locals.title = 'T';
    app.use((req, res, next) => { res.on('finish', () => { finished = true; }); next(); });
    app.get('/', (req, res) => { res.locals.user = 'u'; res.json({ t: req.app.locals.title, u: res.locals.user }); });
    assert.equal((await send(app, { url: '/' })).text, '{"t":"T","u":"u"}');
    await new Promise((r) => setImmediate(r));
    assert.equal(finished, true);
  });

  await t.test('render without a view engine or a view file fails as Express does', async () => {
    const app = express();
    app.get('/', (req, res) => res.render('index', { a: 1 }));
    app.get('/ext', (req, res) => res.render('index.tpl'));
    app.engine('tpl', (file, opts, cb) => cb(null, 'never'));
    app.use((err, req, res, next) => res.status(500).send(err.message));
    assert.equal((await send(app, { url: '/' })).text, 'No default engine was specified and no extension was provided.');
    assert.equal((await send(app, { url: '/ext' })).text, 'Failed to lookup view "index.tpl" in views directory "/views"');
    let seen;
    app.render('x.tpl', (err) => { seen = err.message; });
    assert.equal(seen, 'Failed to lookup view "x.tpl" in views directory "/views"');
  });
});

test('settings', async (t) => {
  const { express } = setup();
  await t.test('set/get/enable/disable and defaults', () => {
    const app = express();
    assert.equal(app.get('env'), 'production');
    assert.equal(app.get('etag'), 'weak');
    assert.equal(app.get('query parser'), 'simple');
    assert.equal(app.get('trust proxy'), false);
    assert.equal(app.get('jsonp callback name'), 'callback');
    assert.equal(app.set('json spaces', 2), app);
    assert.equal(app.get('json spaces'), 2);
    app.enable('trust proxy');
    assert.equal(app.enabled('trust proxy'), true);
    assert.equal(typeof app.get('trust proxy fn'), 'function');
    app.disable('trust proxy');
    assert.equal(app.disabled('trust proxy'), true);
    assert.equal(app.locals.settings, app.settings);
  });
});
