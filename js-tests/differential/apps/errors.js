// Errors: sync throws, async rejections, next(err), error middleware chains,
// default 404/500 pages (production env), error status and headers.
const express = require('express');

const app = express();

app.get('/sync-throw', () => {
  throw new Error('boom');
});

app.get('/async-reject', async () => {
  await Promise.resolve();
  throw new Error('async boom');
});

app.get('/reject-falsy', () => Promise.reject(null));

app.get('/next-err', (req, res, next) => {
  const err = new Error('not allowed');
  err.status = 403;
  next(err);
});

app.get('/status-code', (req, res, next) => {
  const err = new Error('teapot');
  err.statusCode = 418;
  next(err);
});

app.get('/bad-status', (req, res, next) => {
  const err = new Error('weird');
  err.status = 302;
  next(err);
});

app.get('/res-status', (req, res, next) => {
  res.status(503);
  next(new Error('down'));
});

app.get('/with-headers', (req, res, next) => {
  const err = new Error('slow down');
  err.status = 429;
  err.headers = { 'Retry-After': '120' };
  next(err);
});

app.get('/string-error', (req, res, next) => next('just a string'));

app.get('/handled/:kind', (req, res, next) => {
  const err = new Error('handled ' + req.params.kind);
  err.status = req.params.kind === 'client' ? 400 : 500;
  next(err);
});

app.get('/after-send', (req, res) => {
  res.send('first');
  throw new Error('too late');
});

app.get('/after-send-async', async (req, res) => {
  res.send('done');
  await null;
  throw new Error('too late async');
});

// error middleware: first one only handles /handled, second re-throws, third answers
app.use('/handled', (err, req, res, next) => {
  if (err.status === 400) return res.status(400).json({ message: err.message });
  next(err);
});

app.use('/handled', (err, req, res, next) => {
  throw new Error('rethrown: ' + err.message);
});

app.use('/handled', (err, req, res, next) => {
  res.status(500).type('text').send(err.message);
});

app.get('/async-handled', async (req, res) => {
  throw Object.assign(new Error('nope'), { status: 422, code: 'E_NOPE' });
});

app.use('/async-handled', async (err, req, res, next) => {
  await Promise.resolve();
  res.status(err.status).json({ code: err.code });
});

app.get('/skip-normal', (req, res, next) => next(new Error('skip')));
app.get('/skip-normal', (req, res) => res.send('never reached'));

// a normal middleware is skipped while an error is pending
app.use('/skip-normal', (req, res, next) => res.send('also never reached'));

app.get('/bad-param/:id', (req, res) => res.send(req.params.id));

app.get('/missing-route-after', (req, res, next) => next());

module.exports = app;
