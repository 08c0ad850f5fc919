// hbf:auth — users and sessions for app code. Native functions come from the host as
// `__hbf_auth_native` (hashPassword, verifyPassword, createSession); this file adds the
// Express middleware. `req.user` ({id, username, email, role} or null) is set by HBF from a
// valid Bearer token or session cookie before the app sees the request.
(function () {
  "use strict";
  const native = globalThis.__hbf_auth_native;
  delete globalThis.__hbf_auth_native;
  Object.defineProperty(globalThis, "__hbf_auth_current_user", { configurable: true, value: native.currentUser });
  __hbf_define("hbf:auth", function (exports, require, module) {
    const RANK = { owner: 3, admin: 2, user: 1 };
    function deny(res, status, message) {
      res.status(status).json({ error: message, status: status });
    }
    const auth = {
      /** Argon2id PHC string of a password (the henv's parameters). Slow by design. */
      hashPassword(password) { return native.hashPassword(String(password)); },
      /** Whether a password matches a PHC string from hashPassword (constant-time). */
      verifyPassword(password, hash) { return native.verifyPassword(String(password), String(hash)); },
      /** A new session for an enabled user: { token, expires_at }. */
      createSession(userId) { return native.createSession(Number(userId)); },
      /** Middleware: 401 unless the request has a signed-in user. */
      requireUser() {
        return function requireUser(req, res, next) {
          if (req.user) return next();
          deny(res, 401, "sign in required");
        };
      },
      /**
       * Middleware: 401 without a user, 403 unless the user's role is `role` or above
       * (owner > admin > user). `role` may also be an array of accepted roles.
       */
      requireRole(role) {
        const accepted = Array.isArray(role) ? role.map(String) : null;
        const need = accepted ? 0 : (RANK[String(role)] || Infinity);
        return function requireRole(req, res, next) {
          if (!req.user) return deny(res, 401, "sign in required");
          const ok = accepted ? accepted.includes(req.user.role) : (RANK[req.user.role] || 0) >= need;
          if (ok) return next();
          deny(res, 403, "forbidden");
        };
      },
    };
    module.exports = auth;
    module.exports.default = auth;
  });
})();

// `req.user` for express.js requests: read once per request from the host (a getter on the
// request prototypes, replaced by an own property on first read or assignment, so apps that
// set req.user themselves, as passport does, keep working).
Object.defineProperty(globalThis, "__hbf_define_user_getter", {
  configurable: true,
  value: function (express) {
    const currentUser = globalThis.__hbf_auth_current_user;
    const own = (req, value) => Object.defineProperty(req, "user", { value, writable: true, configurable: true, enumerable: true });
    const desc = {
      configurable: true,
      get() { const u = currentUser(); own(this, u); return u; },
      set(v) { own(this, v); },
    };
    for (let p = express.request; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      Object.defineProperty(p, "user", desc);
    }
    delete globalThis.__hbf_define_user_getter;
    delete globalThis.__hbf_auth_current_user;
  },
});
