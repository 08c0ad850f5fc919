// The starter app `hbf init` puts in a new henv. It is an ordinary Express app: the same file
// runs under Node + Express 5, except for `hbf:db`, HBF's handle on this henv's SQLite file.
const express = require('express');
const db = require('hbf:db');

db.execute(`CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT (unixepoch())
)`);
// HBF's table permissions are default deny for visitors ('anon') and signed-in users: this
// starter lets anyone use the notes API. (Module-level code runs as the app owner.)
db.execute(`INSERT OR IGNORE INTO _hbf_table_permissions
  (role, table_name, can_select, can_insert, can_update, can_delete)
  VALUES ('anon', 'notes', 1, 1, 1, 1), ('user', 'notes', 1, 1, 1, 1)`);

const app = express();
app.use(express.json());
app.use(express.static('www'));

app.get('/hello', (req, res) => {
  res.type('text').send(`Hello from HBF, ${req.query.name || 'world'}!`);
});

// A server-rendered page: views/notes.ejs with the layout parts in views/partials/ (EJS is
// built in; `res.render` looks in views/). Request data is HTML-escaped by `<%= %>`.
app.set('view engine', 'ejs');
app.get('/notes', (req, res) => {
  const rows = db.query('SELECT id, title, body, created_at FROM notes ORDER BY id DESC LIMIT 100');
  res.render('notes', { title: 'Notes', notes: rows });
});

app.get('/api/info', (req, res) => {
  res.json({ host: req.hostname, time: new Date().toISOString(), notes: db.get('SELECT COUNT(*) AS n FROM notes').n });
});

const notes = express.Router();

notes.get('/', (req, res) => {
  res.json(db.query('SELECT id, title, body, created_at FROM notes ORDER BY id DESC LIMIT 100'));
});

notes.get('/:id', (req, res) => {
  const note = db.get('SELECT id, title, body, created_at FROM notes WHERE id = ?', [Number(req.params.id)]);
  if (!note) return res.status(404).json({ error: 'note not found' });
  res.json(note);
});

notes.post('/', (req, res) => {
  const { title, body = '' } = req.body || {};
  if (typeof title !== 'string' || title.trim() === '') {
    return res.status(400).json({ error: 'title is required' });
  }
  const { last_insert_id } = db.execute('INSERT INTO notes (title, body) VALUES (?, ?)', [title.trim(), String(body)]);
  res.status(201).json(db.get('SELECT id, title, body, created_at FROM notes WHERE id = ?', [last_insert_id]));
});

notes.put('/:id', (req, res) => {
  const { title, body = '' } = req.body || {};
  if (typeof title !== 'string' || title.trim() === '') {
    return res.status(400).json({ error: 'title is required' });
  }
  const { rows_affected } = db.execute('UPDATE notes SET title = ?, body = ? WHERE id = ?',
    [title.trim(), String(body), Number(req.params.id)]);
  if (rows_affected === 0) return res.status(404).json({ error: 'note not found' });
  res.json(db.get('SELECT id, title, body, created_at FROM notes WHERE id = ?', [Number(req.params.id)]));
});

notes.delete('/:id', (req, res) => {
  const { rows_affected } = db.execute('DELETE FROM notes WHERE id = ?', [Number(req.params.id)]);
  if (rows_affected === 0) return res.status(404).json({ error: 'note not found' });
  res.status(204).end();
});

app.use('/api/notes', notes);

module.exports = app;
