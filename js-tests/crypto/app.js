'use strict';
// The app run.js bundles (with cases.js, jose and jsonwebtoken) into an HBF server.js.
const express = require('express');
const zlib = require('zlib');
const { run } = require('./cases');

const app = express();
// POST /run { peer }: the cases, checking the peer's artifacts.
app.post('/run', express.json({ limit: '8mb' }), async (req, res) => res.json(await run(req.body)));
// body-parser-style inflation of compressed request bodies.
app.post('/echo', express.json(), (req, res) => res.json({ body: req.body }));
app.post('/echo-text', express.text({ limit: '1kb' }), (req, res) => res.json({ length: req.body.length }));
// A decompression bomb sent raw: gunzipSync must stop at the memory limit.
app.post('/bomb', express.raw({ limit: '8mb' }), (req, res) => {
  try {
    res.json({ length: zlib.gunzipSync(req.body).length });
  } catch (e) {
    res.status(413).json({ name: e.name, code: e.code, message: e.message });
  }
});
// Streaming: gzip a generated body through createGzip, as compression middleware does.
app.get('/stream-gzip', (req, res) => {
  const gz = zlib.createGzip();
  const chunks = [];
  gz.on('data', (c) => chunks.push(c));
  gz.on('end', () => res.set('Content-Encoding', 'gzip').type('text/plain').send(Buffer.concat(chunks)));
  for (let i = 0; i < 100; i++) gz.write(`line ${i}\n`);
  gz.end();
});
// Body-parser errors as JSON, to compare their status, type and message.
app.use((err, req, res, next) => res.status(err.status || 500).json({ type: err.type, message: err.message }));
module.exports = app;
