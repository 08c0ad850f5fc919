// hbf:db on Node: the same API as HBF's module, over better-sqlite3 (prepared statements
// cached per SQL text, WAL, synchronous=NORMAL — the settings HBF uses).
const Database = require('better-sqlite3');

// (busy_timeout first: both cluster workers open the new file at once, and switching it to
// WAL needs a lock the other may hold)
const db = new Database(process.env.BENCH_DB, { timeout: 5000 });
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

const cache = new Map();
function stmt(sql) {
  let s = cache.get(sql);
  if (!s) { s = db.prepare(sql); cache.set(sql, s); }
  return s;
}
const args = (p) => (p === undefined || p === null ? [] : Array.isArray(p) ? p : [p]);

module.exports = {
  query: (sql, p) => { const s = stmt(sql); return s.reader ? s.all(...args(p)) : (s.run(...args(p)), []); },
  get: (sql, p) => stmt(sql).get(...args(p)) ?? null,
  execute: (sql, p) => {
    const r = stmt(sql).run(...args(p));
    return { rows_affected: r.changes, last_insert_id: Number(r.lastInsertRowid) };
  },
  transaction: (fn) => db.transaction(fn)(),
};
