// Write-load app of the crash, backup and replication checks (tests/crash.rs, tests/backup.rs,
// stress/crash.sh, stress/litestream.sh, stress/two_nodes.sh). Every POST /tx is one
// transaction that writes three rows (a debit, a document in `nodes`, which feeds the FTS index
// `nodes_fts`, and a credit): after any crash either all three are there or none. The data API
// (`/_api/tables/items`) is the second writer.
const express = require('express');
const db = require('hbf:db');

db.execute(`CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY, tx TEXT NOT NULL, side TEXT NOT NULL, amount INTEGER NOT NULL,
  UNIQUE (tx, side))`);
db.execute(`CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT NOT NULL)`);
// Visitors may add and read items through the data API (default deny otherwise).
db.system.execute(`INSERT OR IGNORE INTO _hbf_table_permissions
  (role, table_name, can_select, can_insert) VALUES ('anon', 'items', 1, 1)`);

const app = express();
app.use(express.json());

app.post('/tx', (req, res) => {
  const { tx, amount, pad } = req.body;
  if (typeof tx !== 'string' || !Number.isInteger(amount)) {
    return res.status(400).json({ error: 'tx (string) and amount (integer) are required' });
  }
  db.system.transaction((d) => {
    d.execute('INSERT INTO ledger (tx, side, amount) VALUES (?, ?, ?)', [tx, 'debit', -amount]);
    d.execute("INSERT INTO nodes (type, body) VALUES ('entry', ?)",
      [JSON.stringify({ name: tx, content: `transfer ${tx} of ${amount} ${pad || ''}` })]);
    d.execute('INSERT INTO ledger (tx, side, amount) VALUES (?, ?, ?)', [tx, 'credit', amount]);
  });
  res.status(201).json({ tx });
});

app.get('/tx/:tx', (req, res) => {
  const rows = db.system.query('SELECT side, amount FROM ledger WHERE tx = ? ORDER BY side', [req.params.tx]);
  res.json({ tx: req.params.tx, rows });
});

app.get('/count', (req, res) => {
  res.json({
    ledger: db.system.get('SELECT COUNT(*) AS n FROM ledger').n,
    items: db.system.get('SELECT COUNT(*) AS n FROM items').n,
  });
});

module.exports = app;
