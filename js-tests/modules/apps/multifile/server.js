// Relative modules, JSON modules, a directory index, require.resolve and module metadata.
const express = require('express');
const greet = require('./lib/greet');
const config = require('./data/config.json');
const util = require('./lib/util');

const app = express();
const root = __dirname;
const base = root.endsWith('/') ? root : root + '/';
const rel = (p) => (p.startsWith(base) ? p.slice(base.length) : p);
app.get('/greet/:name', (req, res) => res.send(greet(req.params.name)));
app.get('/config', (req, res) => res.json(config));
app.get('/util', (req, res) => res.json({ sum: util.sum(1, 2, 3), name: util.name }));
app.get('/meta', (req, res) => res.json({
  filename: rel(__filename),
  greetFile: rel(require.resolve('./lib/greet')),
  utilFile: rel(require.resolve('./lib/util')),
  jsonFile: rel(require.resolve('./data/config.json')),
  cached: Object.keys(require.cache).filter((k) => k.startsWith(root)).map(rel).sort(),
  loaded: module.loaded,
  childIds: module.children.map((c) => rel(c.id)).filter((id) => !id.includes('node_modules')),
}));
app.get('/missing', (req, res) => {
  try {
    require('./lib/nope');
    res.send('loaded?');
  } catch (e) {
    res.status(500).json({ code: e.code });
  }
});
app.get('/same-instance', (req, res) => res.json(require('./lib/greet') === greet));
module.exports = app;
