// The views benchmark app (stress/bench_views.sh): one page rendered from a 50-line EJS
// template with a loop over 20 rows, the same file under HBF (built-in ejs) and under
// Node + Express 5 + the ejs package.
const express = require('express');
const path = require('path');
const app = express();
app.set('views', path.join(__dirname, 'views'));
app.set('view engine', 'ejs');
app.locals.site = 'Bench & Co';
const rows = Array.from({ length: 20 }, (_, i) => ({
  id: i + 1,
  name: 'Item <' + (i + 1) + '>',
  price: (i * 3.5 + 1).toFixed(2),
  tags: ['a', 'b', i % 2 ? 'odd' : 'even'],
  stock: i % 7,
}));
app.get('/page', (req, res) => res.render('page', { title: 'Catalogue', user: req.query.user || 'guest', rows }));
app.get('/hello', (req, res) => res.send('hello'));
module.exports = app;
