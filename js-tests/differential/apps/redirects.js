// Redirects and Location: default 302, explicit status, encoding, content negotiation of the body.
const express = require('express');

const app = express();

app.get('/old', (req, res) => res.redirect('/new'));
app.get('/moved', (req, res) => res.redirect(301, '/permanent'));
app.post('/submit', (req, res) => res.redirect(303, '/thanks?id=1'));
app.get('/external', (req, res) => res.redirect('https://example.com/a path?q=<x>&y="1"'));
app.get('/relative', (req, res) => res.redirect('../up'));
app.get('/unicode', (req, res) => res.redirect('/café/ünïcode'));
app.get('/encoded', (req, res) => res.redirect('/already%20encoded/%zz'));
app.get('/back', (req, res) => res.redirect('back'));
app.get('/temp', (req, res) => res.redirect(307, '/other'));
app.get('/location', (req, res) => {
  res.location('/somewhere else').status(201).json({ created: true });
});

module.exports = app;
