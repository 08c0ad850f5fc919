// Express 5's views for express.js (the built-in module `hbf:express-view`): the `View`
// lookup (extension from `view engine`, `index` in a directory, several view directories),
// `app.render` and `res.render`, with app.locals < res.locals < render locals merged as
// Express merges them. Views are files of the henv; the default `views` setting is `/views`.
// `ejs` is the built-in engine (an app's node_modules/ejs wins); any engine with an
// `__express` function or registered with `app.engine(ext, fn)` works.
"use strict";
const path = require("path");
const fs = require("fs");

function View(name, options) {
  const opts = options || {};
  this.defaultEngine = opts.defaultEngine;
  this.ext = path.extname(name);
  this.name = name;
  this.root = opts.root;
  if (!this.ext && !this.defaultEngine) {
    throw new Error("No default engine was specified and no extension was provided.");
  }
  let fileName = name;
  if (!this.ext) {
    this.ext = this.defaultEngine[0] !== "." ? "." + this.defaultEngine : this.defaultEngine;
    fileName += this.ext;
  }
  if (!opts.engines[this.ext]) {
    const mod = this.ext.slice(1);
    const fn = require(mod).__express;
    if (typeof fn !== "function") throw new Error('Module "' + mod + '" does not provide a view engine.');
    opts.engines[this.ext] = fn;
  }
  this.engine = opts.engines[this.ext];
  this.path = this.lookup(fileName);
}

View.prototype.lookup = function lookup(name) {
  const roots = [].concat(this.root);
  let found;
  for (let i = 0; i < roots.length && !found; i++) {
    const loc = path.resolve(roots[i], name);
    found = this.resolve(path.dirname(loc), path.basename(loc));
  }
  return found;
};

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (e) {
    return false;
  }
}

View.prototype.resolve = function resolve(dir, file) {
  const ext = this.ext;
  let p = path.join(dir, file);
  if (isFile(p)) return p;
  p = path.join(dir, path.basename(file, ext), "index" + ext);
  if (isFile(p)) return p;
  return undefined;
};

// Renders with the engine; the callback is always called asynchronously, as Express does.
View.prototype.render = function render(options, callback) {
  let sync = true;
  this.engine(this.path, options, function onRender(...args) {
    if (!sync) return callback.apply(this, args);
    const self = this;
    process.nextTick(() => callback.apply(self, args));
  });
  sync = false;
};

function appRender(app, name, options, callback) {
  let done = callback;
  let opts = options;
  if (typeof options === "function") {
    done = options;
    opts = {};
  }
  const renderOptions = Object.assign({}, app.locals, opts._locals, opts);
  if (renderOptions.cache == null) renderOptions.cache = app.enabled("view cache");
  let view = renderOptions.cache ? app.cache[name] : undefined;
  if (!view) {
    const ViewClass = app.get("view") || View;
    view = new ViewClass(name, { defaultEngine: app.get("view engine"), root: app.get("views"), engines: app.engines });
    if (!view.path) {
      const root = view.root;
      const dirs = Array.isArray(root) && root.length > 1
        ? 'directories "' + root.slice(0, -1).join('", "') + '" or "' + root[root.length - 1] + '"'
        : 'directory "' + root + '"';
      const err = new Error('Failed to lookup view "' + name + '" in views ' + dirs);
      err.view = view;
      return done(err);
    }
    if (renderOptions.cache) app.cache[name] = view;
  }
  try {
    view.render(renderOptions, done);
  } catch (err) {
    done(err);
  }
}

function resRender(res, view, options, callback) {
  const req = res.req;
  let done = callback;
  let opts = options || {};
  if (typeof options === "function") {
    done = options;
    opts = {};
  }
  opts._locals = res.locals;
  done = done || function (err, str) {
    if (err) return req.next(err);
    res.send(str);
  };
  req.app.render(view, opts, done);
}

// The head of the log line of a template error (set by the built-in ejs: templateFile,
// templateLine, templateColumn): where it is, and EJS's context block when the message does
// not already hold one (syntax errors).
function describeTemplateError(err) {
  if (!err || typeof err !== "object" || err.templateFile === undefined) return "";
  const line = err.templateLine;
  let head = "template error in " + err.templateFile;
  if (line !== undefined) head += " at line " + line + (err.templateColumn !== undefined ? ", column " + err.templateColumn : "");
  head += "\n";
  const msg = String(err.message);
  if (line !== undefined && typeof err.templateSource === "string" && !/^[^\n]*:\d+\n/.test(msg)) {
    const lines = err.templateSource.split("\n");
    const start = Math.max(line - 3, 0);
    const end = Math.min(lines.length, line + 3);
    const block = lines.slice(start, end).map((l, i) => (i + start + 1 === line ? " >> " : "    ") + (i + start + 1) + "| " + l);
    head += err.templateFile + ":" + line + "\n" + block.join("\n") + "\n\n";
  }
  return head;
}

module.exports = { View, appRender, resRender, describeTemplateError };
