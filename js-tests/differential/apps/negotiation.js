// Content negotiation: res.format, req.accepts*, Vary.
const express = require('express');

const app = express();

const users = [{ name: 'tobi' }, { name: 'loki' }];

app.get('/users', (req, res) => {
  res.format({
    html() { res.send('<ul>' + users.map((u) => '<li>' + u.name + '</li>').join('') + '</ul>'); },
    text() { res.send(users.map((u) => ' - ' + u.name).join('\n')); },
    json() { res.json(users); },
  });
});

app.get('/strict-format', (req, res) => {
  res.format({
    'application/json': () => res.json({ ok: true }),
    'text/csv': () => res.send('ok\ntrue'),
  });
});

app.get('/with-default', (req, res) => {
  res.format({
    json: () => res.json({ ok: 1 }),
    default: () => res.status(406).send('Not Acceptable here'),
  });
});

app.get('/accepts', (req, res) => {
  res.json({
    all: req.accepts(),
    one: req.accepts('html'),
    list: req.accepts(['json', 'text']),
    mime: req.accepts('application/json', 'text/html'),
    languages: req.acceptsLanguages(),
    lang: req.acceptsLanguages('en', 'de', 'fr-CH'),
    encodings: req.acceptsEncodings(),
    enc: req.acceptsEncodings('br', 'gzip'),
    charsets: req.acceptsCharsets(),
    charset: req.acceptsCharsets('utf-8', 'iso-8859-1'),
  });
});

app.get('/vary', (req, res) => {
  res.vary('Accept-Encoding');
  res.vary('Origin, accept-encoding');
  res.vary('User-Agent');
  res.send('varied');
});

app.get('/xhr', (req, res) => {
  res.json({ xhr: req.xhr, secure: req.secure, protocol: req.protocol, hostname: req.hostname, referer: req.get('Referrer') ?? null });
});

module.exports = app;
