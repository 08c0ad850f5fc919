// express.static: assets, index.html, conditional GET, ranges, HEAD, fallthrough.
const express = require('express');

const app = express();

app.use(express.static('public'));
app.use('/assets', express.static('public', { maxAge: '1d' }));

app.get('/dynamic', (req, res) => res.send('dynamic route after static'));

app.post('/hello.txt', (req, res) => res.send('POST falls through static'));

module.exports = app;
