// Body parsers: json, urlencoded (simple and extended), text, raw, limits and errors.
const express = require('express');

const app = express();

app.post('/json', express.json(), (req, res) => {
  res.json({ body: req.body, type: typeof req.body });
});

app.post('/json-loose', express.json({ strict: false }), (req, res) => {
  res.json({ body: req.body });
});

app.post('/json-small', express.json({ limit: '20b' }), (req, res) => {
  res.json({ body: req.body });
});

app.post('/json-vnd', express.json({ type: ['application/json', 'application/*+json'] }), (req, res) => {
  res.json({ body: req.body });
});

app.post('/json-reviver', express.json({ reviver: (k, v) => (typeof v === 'number' ? v * 2 : v) }), (req, res) => {
  res.json(req.body);
});

app.post('/form', express.urlencoded(), (req, res) => {
  res.json(req.body);
});

app.post('/form-extended', express.urlencoded({ extended: true }), (req, res) => {
  res.json(req.body);
});

app.post('/text', express.text(), (req, res) => {
  res.type('text').send('got ' + JSON.stringify(req.body));
});

app.post('/text-any', express.text({ type: 'text/*' }), (req, res) => {
  res.json({ body: req.body });
});

app.post('/raw', express.raw({ type: 'application/octet-stream' }), (req, res) => {
  const bytes = req.body ? Array.from(req.body) : null;
  res.json({ length: req.body ? req.body.length : null, bytes });
});

app.post('/both', express.json(), express.urlencoded({ extended: false }), (req, res) => {
  res.json({ body: req.body, is: req.is('json', 'urlencoded') });
});

app.put('/no-parser', (req, res) => {
  res.json({ hasBody: 'body' in req, body: req.body ?? null });
});

app.get('/get-with-parser', express.json(), (req, res) => {
  res.json({ body: req.body ?? 'undefined' });
});

app.post('/is', (req, res) => {
  res.json({
    json: req.is('json'),
    html: req.is('html'),
    star: req.is('application/*'),
    plusJson: req.is('+json'),
    none: req.is(),
  });
});

app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ status: err.status, type: err.type, expose: err.expose });
});

module.exports = app;
