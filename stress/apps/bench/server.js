// Benchmark app: the same file runs on HBF and (with hbf:db mapped to better-sqlite3) on
// Node + Express 5. See stress/bench_apps.sh.
const express = require('express');
const db = require('hbf:db');

db.execute(`CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, created_at INTEGER NOT NULL)`);
// HBF: table permissions are default deny; visitors may read users (no-op on Node).
if (db.system) {
  db.system.execute(`INSERT OR IGNORE INTO _hbf_table_permissions (role, table_name, can_select)
    VALUES ('anon', 'users', 1)`);
}
if (db.get('SELECT COUNT(*) AS n FROM users').n < 10000) {
  db.transaction(() => {
    db.execute('DELETE FROM users');
    for (let i = 1; i <= 10000; i++) {
      db.execute('INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)',
        [i, `user ${i}`, `user${i}@example.com`, 1700000000 + i]);
    }
  });
}

const app = express();
app.use(express.json());

app.get('/hello', (req, res) => res.send('Hello, world!'));

app.get('/json', (req, res) => res.json({ message: 'Hello, world!', n: 42, ok: true }));

app.get('/users/:id', (req, res) => {
  const user = db.get('SELECT id, name, email, created_at FROM users WHERE id = ?', [Number(req.params.id)]);
  if (!user) return res.status(404).json({ error: 'not found' });
  res.json(user);
});

app.post('/echo', (req, res) => res.json(req.body));

module.exports = app;
