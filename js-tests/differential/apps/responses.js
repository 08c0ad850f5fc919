// Response helpers: send() type inference, json settings, ETag/304, HEAD/OPTIONS,
// sendStatus, headers, attachment, links, jsonp.
const express = require('express');

const app = express();
app.set('json spaces', 0);

app.get('/text', (req, res) => res.send('hello world'));
app.get('/html-typed', (req, res) => res.type('text/html; charset=ISO-8859-1').send('<b>x</b>'));
app.get('/object', (req, res) => res.send({ a: 1, nested: { b: [true, null] } }));
app.get('/array', (req, res) => res.send([1, 'two']));
app.get('/number', (req, res) => res.json(42));
app.get('/null', (req, res) => res.send(null));
app.get('/bool', (req, res) => res.send(false));
app.get('/buffer', (req, res) => res.send(new Uint8Array([104, 105])));
app.get('/empty', (req, res) => res.send());
app.get('/end', (req, res) => res.end('raw end'));
app.get('/write', (req, res) => { res.write('part1,'); res.end('part2'); });
app.get('/json-undefined', (req, res) => res.json(undefined));
app.get('/escape', (req, res) => {
  req.app.set('json escape', true);
  res.json({ html: '<script>&</script>' });
  req.app.set('json escape', false);
});
app.get('/spaces', (req, res) => {
  req.app.set('json spaces', 2);
  res.json({ a: [1, 2] });
  req.app.set('json spaces', 0);
});
app.get('/replacer', (req, res) => {
  req.app.set('json replacer', (k, v) => (k === 'secret' ? undefined : v));
  res.json({ user: 'x', secret: 'y' });
  req.app.set('json replacer', undefined);
});
app.get('/status/:code', (req, res) => res.sendStatus(Number(req.params.code)));
app.get('/created', (req, res) => res.status(201).json({ id: 1 }));
app.get('/no-content', (req, res) => res.status(204).send('ignored'));
app.get('/reset', (req, res) => res.status(205).send('ignored'));
app.get('/headers', (req, res) => {
  res.set('X-Test-One', 'one');
  res.set({ 'X-Test-Two': 2, 'Content-Type': 'application/xml' });
  res.append('X-Test-Multi', 'a');
  res.append('X-Test-Multi', ['b', 'c']);
  res.header('Link', '<https://example.com>; rel="home"');
  res.links({ next: '/page/2', last: '/page/9' });
  res.send('<ok/>');
});
app.get('/types/:t', (req, res) => {
  res.type(req.params.t).send('typed ' + res.get('Content-Type'));
});
app.get('/download', (req, res) => {
  res.attachment('reports/annual report 2024.pdf').send('%PDF');
});
app.get('/download-unicode', (req, res) => {
  res.attachment('résumé.txt').send('cv');
});
app.get('/attachment-bare', (req, res) => res.attachment().send('data'));
app.get('/jsonp', (req, res) => res.jsonp({ user: 'tobi' }));
app.get('/etag-fixed', (req, res) => {
  res.set('ETag', '"v1"');
  res.send('versioned');
});
app.get('/fresh', (req, res) => {
  res.set('ETag', '"abc"');
  res.json({ fresh: req.fresh, stale: req.stale });
});
app.get('/no-etag', (req, res) => {
  req.app.set('etag', false);
  res.send('no etag here');
  req.app.set('etag', 'weak');
});
app.get('/strong', (req, res) => {
  req.app.set('etag', 'strong');
  res.send('strong etag');
  req.app.set('etag', 'weak');
});
app.post('/echo-method', (req, res) => res.send(req.method));
app.get('/headers-sent', (req, res) => {
  res.set('X-Test-Before', String(res.headersSent));
  res.send('x');
});
app.get('/locals', (req, res) => {
  req.app.locals.site = 'Demo';
  res.locals.user = 'tobi';
  res.json({ site: req.app.locals.site, user: res.locals.user, hasSettings: typeof req.app.locals.settings === 'object' });
});
app.get('/query-parser', (req, res) => res.json(req.query));
app.get('/unicode', (req, res) => res.send('héllo wörld ✓ 🎉'));
app.get('/setting', (req, res) => res.json({ env: app.get('env'), etag: app.get('etag'), qp: app.get('query parser'), enabled: app.enabled('etag'), disabled: app.disabled('trust proxy') }));
app.get('/render', (req, res) => res.render('index'));

module.exports = app;
