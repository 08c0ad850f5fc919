// An ES module app: import/export, CommonJS interop both ways, JSON, dynamic import().
import express from 'express';
import { createRequire } from 'node:module';
import { double, NAME } from './lib/math.js';
import legacy from './lib/legacy.cjs';
import { helper } from './lib/legacy.cjs';

const require = createRequire(import.meta.url);
const data = require('./lib/data.json');

const app = express();
app.get('/math', (req, res) => res.json({ four: double(2), name: NAME }));
app.get('/cjs', (req, res) => res.json({ kind: legacy.kind, helper: helper('x'), same: legacy.helper === helper }));
app.get('/json', (req, res) => res.json(data));
app.get('/dynamic', async (req, res) => {
  const mod = await import('./lib/late.js');
  res.json({ value: mod.default, named: mod.named, keys: Object.keys(mod).sort() });
});
app.get('/require-esm', (req, res) => {
  try {
    const ns = require('./lib/math.js');
    res.json({ four: ns.double(2), keys: Object.keys(ns).sort() });
  } catch (e) {
    res.status(500).json({ code: e.code });
  }
});
export default app;
