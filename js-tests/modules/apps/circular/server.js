// Node's documented require cycle (a.js <-> b.js): partial exports, each module runs once.
const express = require('express');
const log = [];
globalThis.__cycleLog = log;
const a = require('./a.js');
const b = require('./b.js');
log.push('in main, a.done = ' + a.done + ', b.done = ' + b.done);
const app = express();
app.get('/log', (req, res) => res.json(log));
app.get('/again', (req, res) => res.json({ same: require('./a.js') === a, done: require('./b.js').done }));
module.exports = app;
