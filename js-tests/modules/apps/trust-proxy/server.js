// Every kind of `trust proxy` value Express accepts, one mounted app each, answering what
// Express computes from the connection and the X-Forwarded-* headers.
const express = require('express');

const app = express();
const settings = {
  none: false,
  all: true,
  hops1: 1,
  hops2: 2,
  loopback: 'loopback',
  list: 'loopback, 10.0.0.0/8',
  array: ['127.0.0.1', '192.168.0.0/16', '10.0.0.2'],
  uniquelocal: 'uniquelocal, loopback',
  linklocal: 'linklocal',
  netmask: '127.0.0.0/255.0.0.0',
  mapped: '::ffff:127.0.0.1',
  fn: (addr, i) => addr === '127.0.0.1' || i < 1,
};
const report = (req, res) => res.json({
  ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure,
  hostname: req.hostname, subdomains: req.subdomains,
});
for (const [name, value] of Object.entries(settings)) {
  const sub = express();
  sub.set('trust proxy', value);
  sub.get('/', report);
  app.use('/' + name, sub);
}
const offset = express();
offset.set('trust proxy', true);
offset.set('subdomain offset', 1);
offset.get('/', report);
app.use('/offset', offset);
app.get('/bad', (req, res) => {
  try {
    express().set('trust proxy', '10.0.0.0/33');
    res.send('accepted');
  } catch (e) {
    res.status(500).json({ name: e.name, message: e.message });
  }
});
module.exports = app;
