// Express views: layouts and includes, locals precedence, lookup (extension, index in a
// directory, several view directories), the missing-view error, callback forms, app.render,
// a template error, and an npm engine (hbs) beside the default ejs.
const express = require('express');
const path = require('path');
const app = express();
const VIEWS = path.join(__dirname, 'views');
app.set('views', [VIEWS, path.join(__dirname, 'more')]);
app.set('view engine', 'ejs');
app.engine('hbs', require('hbs').__express);
app.locals.site = 'My <Site>';
app.locals.who = 'app.locals';
app.locals.only = 'app-only';

const hide = (s) => String(s).split(VIEWS).join('VIEWS').split(path.join(__dirname, 'more')).join('MORE');

app.get('/', (req, res) => res.render('index', { title: 'Home', items: ['a', '<b>', 'c'] }));
app.get('/res-locals', (req, res) => { res.locals.who = 'res.locals'; res.render('who'); });
app.get('/render-locals', (req, res) => { res.locals.who = 'res.locals'; res.render('who', { who: 'render' }); });
app.get('/app-locals', (req, res) => res.render('who'));
app.get('/ext', (req, res) => res.render('index.ejs', { title: 'Ext', items: [] }));
app.get('/dir', (req, res) => res.render('blog', { posts: ['p1', 'p2'] }));
app.get('/second-dir', (req, res) => res.render('extra', { n: 7 }));
app.get('/missing', (req, res) => res.render('nope'));
app.get('/missing-cb', (req, res) => res.render('nope', (err) => res.status(404).type('text').send(hide(err.message))));
app.get('/cb', (req, res) => res.render('index', { title: 'CB', items: [1] }, (err, html) => res.type('text').send(html.toUpperCase())));
app.get('/cb-only', (req, res) => res.render('who', (err, html) => res.send('[' + html + ']')));
app.get('/app-render', (req, res) => app.render('who', { who: 'app.render' }, (err, html) => res.type('text').send(html)));
app.get('/runtime-error', (req, res) => res.render('broken'));
app.get('/runtime-error-cb', (req, res) => res.render('broken', (err) => res.status(500).type('text').send(err.name + ' ' + hide(err.message).split('\n').slice(0, 5).join('|'))));
app.get('/hbs', (req, res) => res.render('card.hbs', { name: '<x>', tags: ['t1', 't2'] }));
app.get('/query', (req, res) => res.render('who', { who: req.query.who }));
module.exports = app;
