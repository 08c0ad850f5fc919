// Cookies: reading req.cookies (incl. JSON cookies) and setting/clearing them.
const express = require('express');

const app = express();

app.get('/read', (req, res) => {
  res.json({ cookies: req.cookies, signed: req.signedCookies });
});

app.get('/set', (req, res) => {
  res.cookie('session', 'abc 123');
  res.cookie('prefs', { theme: 'dark', size: 3 }, { httpOnly: true });
  res.cookie('strict', 'yes', {
    path: '/admin',
    domain: 'example.com',
    secure: true,
    sameSite: 'strict',
    expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
  });
  res.cookie('lax', '1', { sameSite: 'lax', priority: 'high', partitioned: true, secure: true });
  res.cookie('none', '0', { sameSite: true });
  res.send('cookies set');
});

app.get('/clear', (req, res) => {
  res.clearCookie('session');
  res.clearCookie('prefs', { path: '/admin', maxAge: 1000 });
  res.end();
});

app.get('/counter', (req, res) => {
  const n = Number(req.cookies.count || 0) + 1;
  res.cookie('count', String(n)).json({ count: n });
});

app.get('/invalid', (req, res) => {
  res.cookie('bad name', 'x');
  res.send('unreachable');
});

app.get('/append', (req, res) => {
  res.append('Set-Cookie', 'a=1; Path=/');
  res.append('Set-Cookie', ['b=2', 'c=3']);
  res.cookie('d', '4');
  res.send('appended');
});

module.exports = app;
