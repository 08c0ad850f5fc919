// The built-in module `hbf:templates`: EJS rendering for code that is not an Express view
// (`render(source, data, options)` or `render({ file }, data, options)`), and the template
// preview the admin UI calls (`POST /_api/templates/preview`, authorised by the host in
// src/api/templates.rs before it reaches this runtime; rendered under the request deadline
// like any handler). Always HBF's built-in EJS engine, whatever node_modules holds.
"use strict";
const ejs = require("hbf:ejs");

// `/views/x.ejs` for `views/x.ejs` or `/views/x.ejs`.
function filePath(file) {
  const p = String(file);
  return p.startsWith("/") ? p : "/" + p;
}

// Renders a template source string, or `{ file }` (a henv path), with `data`; returns the
// text (a promise with `async: true`). Template errors are thrown as EJS throws them.
function render(source, data, options) {
  const opts = Object.assign({}, options);
  if (source && typeof source === "object" && typeof source.file === "string") {
    let out, error;
    ejs.renderFile(filePath(source.file), data || {}, opts, (e, s) => {
      error = e;
      out = s;
    });
    if (error) throw error;
    return out;
  }
  if (typeof source !== "string") {
    throw new TypeError("hbf:templates render(): give a template source string or { file: 'views/x.ejs' }");
  }
  return ejs.render(source, data || {}, opts);
}

let preview = null;

// The Express app that answers POST /_api/templates/preview:
//   { "source": "<p><%= x %></p>" | "file": "views/x.ejs" | "document": "pages/x", "data": { ... } }
//   → 200 { "html": "..." } | 400 (bad request) | 404 (no such file)
//   | 422 { "error": "template error", "message", "file", "line", "column" }
function previewApp(express) {
  if (preview) return preview;
  preview = express();
  preview.post("/_api/templates/preview", express.json({ limit: "1mb" }), async (req, res) => {
    const b = req.body;
    if (!b || typeof b !== "object" || (typeof b.source !== "string" && typeof b.file !== "string" && typeof b.document !== "string")) {
      return res.status(400).json({ error: 'send JSON with "source" (a template string), "file" (a template path) or "document" (a text/ejs document id), and "data"' });
    }
    if (b.data !== undefined && (typeof b.data !== "object" || b.data === null || Array.isArray(b.data))) {
      return res.status(400).json({ error: '"data" must be a JSON object' });
    }
    let source = b.source;
    if (typeof b.document === "string") {
      // a text/ejs document, read as the caller (an owner or admin)
      const doc = require("hbf:documents").get(b.document);
      if (!doc) return res.status(404).json({ error: "no such document " + b.document });
      if (doc.type !== "text/ejs") return res.status(400).json({ error: "document " + b.document + " is " + doc.type + ", not text/ejs" });
      source = String(doc.content);
    }
    try {
      const html = await render(typeof b.file === "string" ? { file: b.file } : source, b.data || {}, {});
      res.json({ html });
    } catch (e) {
      if (e && e.code === "ENOENT") return res.status(404).json({ error: "no such template file " + filePath(b.file) });
      res.status(422).json({
        error: "template error",
        name: e && e.name,
        message: String(e && e.message),
        file: e && e.templateFile,
        line: e && e.templateLine,
        column: e && e.templateColumn,
      });
    }
  });
  return preview;
}

module.exports = { render, previewApp, ejs };
