// Overload app for the stress scripts (stress/*.sh): a body sink, a slow handler, an endless
// one, and a small SQLite read/write workload for the soak. Not an example of good style.
const express = require('express');
const db = require('hbf:db');

db.execute(`CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL, at INTEGER NOT NULL)`);
// Table permissions are default deny: visitors may read, add and prune events.
db.system.execute(`INSERT OR IGNORE INTO _hbf_table_permissions
  (role, table_name, can_select, can_insert, can_delete) VALUES ('anon', 'events', 1, 1, 1)`);

const app = express();

app.get('/hello', (req, res) => res.send('ok'));

// Body sink: answers the number of bytes received (any content type, up to 64 MiB here; the
// server's --max_body_bytes applies first).
app.post('/len', express.raw({ type: () => true, limit: '64mb' }), (req, res) => {
  const body = req.body;
  res.json({ len: body && body.length !== undefined ? body.length : 0 });
});

// Busy-waits ?ms= milliseconds (default 200) on the worker: worker saturation.
app.get('/busy', (req, res) => {
  const ms = Math.min(Number(req.query.ms) || 200, 10000);
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  res.json({ ms, spins: n });
});

// Never returns: the handler deadline (--qjs_timeout_ms) must interrupt it.
app.get('/spin', () => {
  for (;;) { /* spin */ }
});

// Soak workload: reads by key, writes that keep the table at about 5,000 rows.
app.get('/soak/read', (req, res) => {
  const k = Number(req.query.k) || 0;
  const rows = db.query('SELECT id, k, v, at FROM events WHERE k = ? ORDER BY id DESC LIMIT 10', [k]);
  const n = db.get('SELECT COUNT(*) AS n FROM events').n;
  res.json({ k, n, rows });
});

app.post('/soak/write', express.json(), (req, res) => {
  const k = Number(req.body && req.body.k) || 0;
  const v = String((req.body && req.body.v) || '').slice(0, 200);
  const r = db.execute('INSERT INTO events (k, v, at) VALUES (?, ?, ?)', [k, v, Date.now()]);
  db.execute('DELETE FROM events WHERE id <= ?', [Number(r.last_insert_id) - 5000]);
  res.status(201).json({ k });
});

module.exports = app;
