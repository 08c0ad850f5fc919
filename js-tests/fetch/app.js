'use strict';
// The app run.js bundles (with cases.js, node-fetch and axios) into an HBF server.js.
// Modules axios, form-data and node-fetch load but these cases never use (fs, tls; zlib and
// crypto where an older build lacks them) get stand-ins when HBF has no such module.
function standIn(name, exports) {
  try { require(name); } catch {
    globalThis.__hbf_define(name, (e, r, module) => { module.exports = exports; });
  }
}
const unavailable = () => { throw new Error('not available in this test'); };
standIn('zlib', { constants: { Z_SYNC_FLUSH: 2, BROTLI_OPERATION_FLUSH: 1 }, createGunzip: unavailable,
  createInflate: unavailable, createInflateRaw: unavailable, createBrotliDecompress: unavailable, createUnzip: unavailable });
standIn('crypto', { randomBytes: (n) => Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(n))),
  randomUUID: () => globalThis.crypto.randomUUID() });
standIn('tls', { connect: unavailable, createSecureContext: unavailable });
standIn('fs', { stat: (p, cb) => cb(new Error('no fs')), statSync: unavailable, createReadStream: unavailable, promises: {} });
const express = require('express');
const { run } = require('./cases');

const app = express();
app.post('/run', express.json(), async (req, res) => res.json(await run(req.body.base)));
module.exports = app;
