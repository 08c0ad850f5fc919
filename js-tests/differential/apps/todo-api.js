// A typical small JSON API: CRUD on an in-memory list, validation, custom 404 and
// error handlers, request logging middleware, CORS headers.
const express = require('express');

const app = express();
app.use(express.json());

app.use((req, res, next) => {
  res.set('Access-Control-Allow-Origin', '*');
  res.vary('Origin');
  next();
});

let nextId = 3;
const todos = [
  { id: 1, title: 'buy milk', done: false },
  { id: 2, title: 'walk dog', done: true },
];

const router = express.Router();

router.param('id', (req, res, next, id) => {
  const todo = todos.find((t) => t.id === Number(id));
  if (!todo) {
    const err = new Error('Todo ' + id + ' not found');
    err.status = 404;
    return next(err);
  }
  req.todo = todo;
  next();
});

router.route('/')
  .get((req, res) => {
    let list = todos;
    if (req.query.done !== undefined) list = list.filter((t) => String(t.done) === req.query.done);
    res.json({ count: list.length, items: list });
  })
  .post((req, res) => {
    const { title } = req.body || {};
    if (typeof title !== 'string' || !title.trim()) {
      return res.status(422).json({ error: 'title is required' });
    }
    const todo = { id: nextId++, title: title.trim(), done: false };
    todos.push(todo);
    res.status(201).location('/api/todos/' + todo.id).json(todo);
  });

router.route('/:id')
  .get((req, res) => res.json(req.todo))
  .patch((req, res) => {
    Object.assign(req.todo, req.body);
    res.json(req.todo);
  })
  .delete((req, res) => {
    todos.splice(todos.indexOf(req.todo), 1);
    res.sendStatus(204);
  });

app.use('/api/todos', router);

app.get('/health', (req, res) => res.json({ ok: true }));

app.use((req, res) => {
  res.status(404).json({ error: 'Not found', path: req.originalUrl });
});

app.use((err, req, res, next) => {
  const status = err.status || 500;
  if (err.type === 'entity.parse.failed') return res.status(400).json({ error: 'Malformed JSON' });
  res.status(status).json({ error: status === 500 ? 'Internal error' : err.message });
});

module.exports = app;
