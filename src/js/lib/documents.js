// hbf:documents — the henv's documents (ids like "pages/home", typed content, tags, edges,
// full-text search) for app code: the same implementation as /_api/documents. The module
// acts as the request's user (table permissions and row policies on `nodes`, `tags`,
// `edges` apply; as the owner while server.js loads); `documents.system` as the owner.
// Errors are Errors with `status` (the HTTP status the API would answer) and code HBF_DOCS.
// Also defines `__hbf_serve_document`, the default-serving hook of express.js's final
// handler (a document by path before the 404).
(function () {
  "use strict";
  const native = globalThis.__hbf_docs_native;
  delete globalThis.__hbf_docs_native;
  const call = (system) => (op, args) => JSON.parse(native.call(op, JSON.stringify(args || {}), system));
  const api = (system) => {
    const c = call(system);
    return {
      /** The document {id, type, version, etag, tags, meta, content (string or Uint8Array), ...} or null. */
      get(id) { return native.get(String(id), system); },
      /** Metadata only (throws status 404 if missing). */
      meta(id) { return c("meta", { id: String(id) }); },
      /** Creates or replaces; opts: {type, tags, ifMatch, ifNoneMatch}. Returns the envelope (+ created). */
      put(id, content, opts) { return JSON.parse(native.put(String(id), content, JSON.stringify(opts || {}), system)); },
      /** Patch {content?, meta?, tags?, type?}; opts: {ifMatch}. */
      patch(id, patch, opts) { return c("patch", { id: String(id), patch, ...(opts || {}) }); },
      /** Deletes; opts: {ifMatch}. */
      remove(id, opts) { return c("remove", { id: String(id), ...(opts || {}) }); },
      /** {data: [envelope], next_cursor}; opts: {prefix, tag, type, sort, order, limit, offset, cursor}. */
      list(opts) { return c("list", opts); },
      /** {total, data: [{id, type, title, score, snippet}]}; opts: {tag, type, prefix, limit, offset, highlight, escape, snippet_tokens}. */
      search(q, opts) { return c("search", { ...(opts || {}), q: String(q) }); },
      /** Adds an edge id -rel-> to. */
      link(id, to, rel, props) { return c("link", { id: String(id), to: String(to), rel: String(rel), props }); },
      /** Removes edges from id (to and rel optional filters); returns how many. */
      unlink(id, to, rel) { return c("unlink", { id: String(id), to: to == null ? undefined : String(to), rel: rel == null ? undefined : String(rel) }); },
      /** Documents one edge away; opts: {direction: out|in|both, rel}. */
      neighbours(id, opts) { return c("neighbours", { id: String(id), ...(opts || {}) }); },
      /** {nodes, edges} within opts.depth (default 2); opts: {depth, direction, rel}. */
      traverse(id, opts) { return c("traverse", { id: String(id), ...(opts || {}) }); },
      /** [{tag, count}] of readable documents, under opts.prefix. */
      tags(opts) { return c("tags", opts); },
    };
  };
  __hbf_define("hbf:documents", function (exports, require, module) {
    const documents = api(false);
    documents.system = Object.freeze(api(true));
    module.exports = Object.freeze(Object.assign(documents, { default: documents }));
  });
  // Default serving: called by express.js's final handler instead of its 404 when a
  // document matches the path. Returns true if it answered.
  const serveDocument = function (req, res) {
    const path = String(req.originalUrl || req.url || "/").split("?")[0];
    const inm = req.headers && req.headers["if-none-match"];
    const r = inm === undefined || inm === null
      ? native.serveDefault(String(req.method), path)
      : native.serveDefault(String(req.method), path, String(inm));
    if (!r) return false;
    res.statusCode = r.status;
    for (const k of Object.keys(r.headers)) res.setHeader(k, r.headers[k]);
    res.setHeader("Content-Length", r.body.length);
    if (req.method === "HEAD" || r.status === 304) res.end();
    else res.end(r.body);
    return true;
  };
  Object.defineProperty(globalThis, "__hbf_serve_document", { value: serveDocument, enumerable: false });
})();
