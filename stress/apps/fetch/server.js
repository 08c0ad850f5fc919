// The app of stress/bench_fetch.sh: each request fetches from a local upstream
// (GET /proxy?port=N -> fetch http://127.0.0.1:N/hello) and answers with its body.
// Runs unchanged on HBF and on Node + Express 5 (global fetch).
const express = require('express');
const app = express();
app.get('/hello', (req, res) => res.send('hello'));
app.get('/proxy', async (req, res) => {
  const r = await fetch(`http://127.0.0.1:${Number(req.query.port)}/hello`);
  res.status(r.status).type('text/plain').send(await r.text());
});
module.exports = app;
