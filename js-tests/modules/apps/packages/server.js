// Popular npm packages, each behind its own route and loaded on first use, so one package
// that cannot load shows as that route's failure only. Answers are deterministic (no
// clocks, no randomness in bodies).
const express = require('express');

const app = express();
app.use(express.json());
const lazy = (name) => {
  let m;
  return () => (m === undefined ? (m = require(name)) : m);
};
const pkg = {};
for (const n of ['bcryptjs', 'cookie', 'cookie-parser', 'cors', 'dayjs', 'debug', 'escape-html',
  'express-validator', 'he', 'helmet', 'http-errors', 'jsonwebtoken', 'lodash', 'marked',
  'mime-types', 'morgan', 'ms', 'nanoid', 'qs', 'semver', 'slugify', 'statuses', 'uuid',
  'validator', 'zod']) pkg[n] = lazy(n);

// Middleware packages, mounted on their own paths.
app.use('/cors', (req, res, next) => pkg.cors()({ origin: 'https://a.example', credentials: true })(req, res, next));
app.get('/cors/x', (req, res) => res.send('cors'));
app.use('/helmet', (req, res, next) => pkg.helmet()()(req, res, next));
app.get('/helmet/x', (req, res) => res.send('helmet'));
app.use('/cookies', (req, res, next) => pkg['cookie-parser']()()(req, res, next));
app.get('/cookies/x', (req, res) => res.json(req.cookies));
const morganLines = [];
app.use('/morgan', (req, res, next) =>
  pkg.morgan()(':method :url :status :res[content-length]', { stream: { write: (l) => morganLines.push(l) } })(req, res, next));
app.get('/morgan/x', (req, res) => res.send('logged'));
app.get('/morgan-log', (req, res) => res.json(morganLines));

app.post('/validate', (req, res, next) => {
  const { body, validationResult } = pkg['express-validator']();
  Promise.all([body('email').isEmail().run(req), body('age').isInt({ min: 18 }).run(req)]).then(() => {
    const errors = validationResult(req);
    if (!errors.isEmpty()) return res.status(400).json(errors.array().map((e) => [e.path, e.msg]));
    res.json({ ok: true });
  }, next);
});
app.get('/zod', (req, res) => {
  const { z } = pkg.zod();
  const schema = z.object({ name: z.string().min(2), n: z.coerce.number().int() });
  const r = schema.safeParse(req.query);
  res.status(r.success ? 200 : 400).json(r.success ? r.data : r.error.issues.map((i) => [i.path.join('.'), i.code]));
});
app.get('/dayjs', (req, res) => {
  const d = pkg.dayjs()('2024-02-28T12:00:00');
  res.json({ next: d.add(1, 'day').format('YYYY-MM-DD'), leap: d.add(2, 'day').format('YYYY-MM-DD'), dow: d.day() });
});
app.get('/uuid', (req, res) => {
  const u = pkg.uuid();
  res.json({ v5: u.v5('hello', u.v5.URL), valid: u.validate(u.v4()), version: u.version('6ba7b811-9dad-11d1-80b4-00c04fd430c8') });
});
app.get('/marked', (req, res) => res.type('html').send(pkg.marked().marked.parse('# Title\n\nSome *emphasis* and `code`.\n\n- a\n- b\n')));
app.get('/jwt', (req, res) => {
  const jwt = pkg.jsonwebtoken();
  const token = jwt.sign({ sub: 'u1', role: 'admin' }, 'secret', { noTimestamp: true });
  res.json({ token, payload: jwt.verify(token, 'secret'), bad: (() => { try { jwt.verify(token, 'other'); } catch (e) { return e.name + ': ' + e.message; } })() });
});
app.get('/ms', (req, res) => res.json([pkg.ms()('2 days'), pkg.ms()(60000), pkg.ms()(90061000, { long: true })]));
app.get('/lodash', (req, res) => {
  const _ = pkg.lodash();
  res.json({ chunk: _.chunk([1, 2, 3, 4, 5], 2), merged: _.merge({ a: { b: 1 } }, { a: { c: 2 } }), tpl: _.template('hi <%= name %>')({ name: 'x' }), camel: _.camelCase('Foo Bar-baz') });
});
app.get('/qs', (req, res) => res.json({ parsed: pkg.qs().parse('a[b][c]=1&d[]=2&d[]=3'), str: pkg.qs().stringify({ a: { b: [1, 2] } }) }));
app.get('/validator', (req, res) => {
  const v = pkg.validator();
  res.json([v.isEmail('a@b.co'), v.isEmail('nope'), v.isURL('https://x.dev/p?q=1'), v.escape('<a href="x">'), v.isUUID('6ba7b811-9dad-11d1-80b4-00c04fd430c8')]);
});
app.get('/nanoid', (req, res) => {
  const { nanoid, customAlphabet } = pkg.nanoid();
  res.json({ len: nanoid().length, custom: /^[ab]{8}$/.test(customAlphabet('ab', 8)()) });
});
app.get('/slugify', (req, res) => res.send(pkg.slugify()('Hello World & Friends!', { lower: true, strict: true })));
app.get('/escape-html', (req, res) => res.send(pkg['escape-html']()('<p class="x">Tom & Jerry\'s</p>')));
app.get('/http-errors', (req, res, next) => next(pkg['http-errors']()(418, 'short and stout')));
app.get('/http-errors-json', (req, res) => {
  const e = pkg['http-errors']().NotFound('gone');
  res.status(e.status).json({ name: e.name, message: e.message, expose: e.expose, status: e.statusCode });
});
app.get('/debug', (req, res) => {
  const d = pkg.debug()('hbf:test');
  d('not shown');
  res.json({ enabled: d.enabled, namespace: d.namespace });
});
app.get('/semver', (req, res) => {
  const s = pkg.semver();
  res.json([s.satisfies('1.2.3', '^1.0.0'), s.gt('2.0.0', '1.9.9'), s.coerce('v3.1').version, s.inc('1.2.3', 'minor')]);
});
app.get('/statuses', (req, res) => res.json([pkg.statuses()(404), pkg.statuses()('Not Found'), pkg.statuses().redirect[301]]));
app.get('/mime-types', (req, res) => res.json([pkg['mime-types']().lookup('x.json'), pkg['mime-types']().contentType('html'), pkg['mime-types']().extension('image/png')]));
app.get('/he', (req, res) => res.json([pkg.he().encode('föö & <bar>'), pkg.he().decode('&lt;&eacute;&#x41;&gt;')]));
app.get('/bcryptjs', (req, res) => {
  const b = pkg.bcryptjs();
  const hash = b.hashSync('password', '$2a$04$abcdefghijklmnopqrstuu');
  res.json({ hash, ok: b.compareSync('password', hash), bad: b.compareSync('nope', hash) });
});
app.get('/cookie', (req, res) => res.json({ s: pkg.cookie().serialize('a', 'b c', { httpOnly: true, path: '/' }), p: pkg.cookie().parse('x=1; y=%20z') }));
module.exports = app;
