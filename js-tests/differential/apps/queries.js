// Query parsing: the default "simple" parser and the "extended" (qs) parser in a sub-app.
const express = require('express');

const app = express();
app.get('/simple', (req, res) => res.json({ query: req.query, path: req.path }));

const extended = express();
extended.set('query parser', 'extended');
extended.get('/', (req, res) => res.json(req.query));
app.use('/extended', extended);

const off = express();
off.set('query parser', false);
off.get('/', (req, res) => res.json({ query: req.query, keys: Object.keys(req.query).length }));
app.use('/off', off);

const custom = express();
custom.set('query parser', (str) => ({ raw: str ?? null }));
custom.get('/', (req, res) => res.json(req.query));
app.use('/custom', custom);

module.exports = app;
