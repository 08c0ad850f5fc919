// hbf:db — the henv's SQLite database for app code. Native functions come from the host as
// `__hbf_db_native` (query, execute); this file adds the JS-facing API and transactions.
// `db` runs as the request's user (permissions and row policies apply; as the owner while
// server.js loads); `db.system` is the same API as the app owner (never secrets).
(function () {
  "use strict";
  const native = globalThis.__hbf_db_native;
  delete globalThis.__hbf_db_native;
  __hbf_define("hbf:db", function (exports, require, module) {
    let depth = 0;
    const params = (p) => (p === undefined || p === null ? [] : p);
    const handle = (system) => ({
      /** Rows as objects. */
      query(sql, p) { return native.query(String(sql), params(p), -1, system); },
      /** First row or null. */
      get(sql, p) { const rows = native.query(String(sql), params(p), 1, system); return rows.length ? rows[0] : null; },
      /** { rows_affected, last_insert_id } */
      execute(sql, p) { return native.execute(String(sql), params(p), system); },
    });
    // BEGIN/COMMIT run as the handle's principal: FTS5 writes its pending index segments at
    // COMMIT, and those internal writes must be authorized as the writer (the owner for
    // db.system), not as the request's user.
    const transaction = (system, self) => function (fn) {
      if (typeof fn !== "function") throw new TypeError("db.transaction expects a function");
      const name = "hbf_sp_" + depth;
      native.execute(depth === 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT " + name, [], system);
      depth++;
      let result;
      try {
        result = fn(self());
        if (result && typeof result.then === "function") {
          throw new TypeError("db.transaction callback must be synchronous (it returned a promise)");
        }
      } catch (e) {
        depth--;
        if (depth === 0) native.execute("ROLLBACK", [], system);
        else { native.execute("ROLLBACK TO " + name, [], system); native.execute("RELEASE " + name, [], system); }
        throw e;
      }
      depth--;
      native.execute(depth === 0 ? "COMMIT" : "RELEASE " + name, [], system);
      return result;
    };
    const db = {
      ...handle(false),
      /** Runs fn(db) in a transaction (a savepoint when nested); rolls back if it throws. */
      transaction: transaction(false, () => db),
    };
    /** The owner's handle: the same API, every app and _hbf_* table (never secrets). */
    db.system = Object.freeze({
      ...handle(true),
      transaction: transaction(true, () => db.system),
    });
    module.exports = db;
    module.exports.default = db;
  });
})();
