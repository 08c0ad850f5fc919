// Routing: params, optional groups, wildcards, regexps, arrays, next('route'), app.route().
const express = require('express');

const app = express();

app.get('/', (req, res) => {
  res.send('<h1>Home</h1>');
});

app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id, path: req.path, query: req.query });
});

app.get('/users/:userId/books/:bookId', (req, res) => {
  res.json(req.params);
});

app.get('/flights/:from-:to', (req, res) => {
  res.json({ from: req.params.from, to: req.params.to });
});

app.get('/files{/:name}', (req, res) => {
  res.json({ name: req.params.name ?? null });
});

app.get('/assets/*filepath', (req, res) => {
  res.json({ filepath: req.params.filepath });
});

app.get('/docs{/*rest}', (req, res) => {
  res.json({ rest: req.params.rest ?? [] });
});

app.get('/literal\\(paren\\)', (req, res) => res.send('parens'));

app.get(/^\/regex\/(\d+)$/, (req, res) => {
  res.json({ n: req.params[0] });
});

app.get(/^\/named\/(?<slug>[a-z-]+)$/, (req, res) => {
  res.json(req.params);
});

app.get(['/alias-a', '/alias-b'], (req, res) => {
  res.send('alias:' + req.path);
});

function loadUser(req, res, next) {
  if (req.params.id === 'admin') return next('route');
  req.user = { name: 'user-' + req.params.id };
  next();
}

app.get('/profile/:id', loadUser, (req, res) => {
  res.send(req.user.name);
});

app.get('/profile/:id', (req, res) => {
  res.send('admin profile');
});

app.get('/chain', [
  (req, res, next) => { res.locals.steps = ['a']; next(); },
  (req, res, next) => { res.locals.steps.push('b'); next(); },
], (req, res) => {
  res.locals.steps.push('c');
  res.json(res.locals.steps);
});

app.route('/book')
  .get((req, res) => res.send('get a book'))
  .post((req, res) => res.status(201).send('add a book'))
  .put((req, res) => res.send('update the book'));

app.all('/any', (req, res) => {
  res.send('any ' + req.method);
});

app.get('/search', (req, res) => {
  res.json({ q: req.query.q, tags: req.query.tags, page: Number(req.query.page || 1) });
});

app.get('/encoded/:value', (req, res) => {
  res.json({ value: req.params.value });
});

app.get('/CaseSensitive', (req, res) => res.send('case'));

app.delete('/items/:id', (req, res) => {
  res.status(204).end();
});

module.exports = app;
