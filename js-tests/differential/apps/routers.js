// Routers and sub-apps: mounting, baseUrl/originalUrl/url, mergeParams, param callbacks.
const express = require('express');

const app = express();

const api = express.Router();

api.use((req, res, next) => {
  res.set('X-Test-Api', 'v1');
  next();
});

api.get('/', (req, res) => {
  res.json({ baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl, path: req.path });
});

api.get('/info', (req, res) => {
  res.json({ baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl, path: req.path });
});

// nested router with mergeParams
const comments = express.Router({ mergeParams: true });
comments.get('/', (req, res) => res.json({ post: req.params.postId, all: true }));
comments.get('/:commentId', (req, res) => res.json(req.params));

const posts = express.Router();
posts.param('postId', (req, res, next, id) => {
  if (!/^\d+$/.test(id)) return res.status(400).json({ error: 'bad post id' });
  req.post = { id: Number(id), title: 'Post ' + id };
  next();
});
posts.get('/:postId', (req, res) => res.json(req.post));
posts.use('/:postId/comments', comments);

api.use('/posts', posts);

// a router that bails out with next('router')
const gated = express.Router();
gated.use((req, res, next) => {
  if (req.query.skip) return next('router');
  next();
});
gated.get('/', (req, res) => res.send('inside gated'));
app.use('/gated', gated);
app.get('/gated', (req, res) => res.send('after gated router'));

app.use('/api/v1', api);

// strict + case sensitive router
const strict = express.Router({ strict: true, caseSensitive: true });
strict.get('/Exact/', (req, res) => res.send('with slash'));
strict.get('/Exact', (req, res) => res.send('without slash'));
app.use('/strict', strict);

// app.param with an array of names
app.param(['a', 'b'], (req, res, next, value, name) => {
  req.seen = (req.seen || []).concat(name + '=' + value);
  next();
});
app.get('/pair/:a/:b', (req, res) => res.json(req.seen));

// sub-application with its own settings
const admin = express();
admin.set('json spaces', 2);
admin.get('/', (req, res) => {
  res.json({ mountpath: admin.mountpath, baseUrl: req.baseUrl, appIsAdmin: req.app === admin, path: admin.path() });
});
admin.get('/settings', (req, res) => {
  res.json({ env: req.app.get('env'), inherited: req.app.get('title') });
});
app.set('title', 'Main App');
app.use('/admin', admin);

app.get('/after-admin', (req, res) => {
  res.json({ appIsMain: req.app === app, baseUrl: req.baseUrl });
});

// middleware mounted at a path sees the stripped url
app.use('/mw', (req, res, next) => {
  if (req.url === '/stop') return res.json({ url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl });
  next();
});
app.get('/mw/pass', (req, res) => res.json({ url: req.url, baseUrl: req.baseUrl }));

module.exports = app;
