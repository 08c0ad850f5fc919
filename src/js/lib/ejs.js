// The built-in `ejs` module: an EJS-compatible template engine (the `ejs` npm package's tags,
// options and API: compile / render / renderFile, include, custom delimiters, whitespace
// trimming, strict mode), written for HBF. Templates are files of the henv (`/` is its root).
// A template is compiled once per content version: files by their content hash from the
// henv's files table (an edit is seen on the next render, never a stale template), strings
// by their text; the compiled function is shared by every request of the runtime. An app's
// own node_modules/ejs wins over this module (loader.js).
//
// Errors: a runtime error is rethrown with EJS's context block (`file:LINE` and the lines
// around it, ` >> ` marking the line); syntax errors keep EJS's message. Both carry
// `templateFile`, `templateLine` and `templateColumn` so the server can log where it was.
"use strict";
const pathMod = require("path");
const host = require("hbf:host");

const ejs = exports;
const BOM = /^\uFEFF/;
const JS_IDENTIFIER = /^[a-zA-Z_$][0-9a-zA-Z_$]*$/;
const HTML_RULES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
const HTML_CHARS = /[&<>'"]/g;
const MAX_COMPILED = 1000; // compiled template bodies kept per runtime
const MAX_INCLUDE_DEPTH = 64; // nested include() calls before an include cycle is reported

const HTML_ANY = /[&<>'"]/; // (no `g`: no lastIndex state)

function encodeChar(c) {
  return HTML_RULES[c] || c;
}

// ejs's escapeXML; text with nothing to escape (the usual case) is returned without a replace.
function escapeXML(markup) {
  if (markup == undefined) return "";
  const s = String(markup);
  return HTML_ANY.test(s) ? s.replace(HTML_CHARS, encodeChar) : s;
}

function hasOwn(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function copyInto(to, from) {
  from = from || {};
  for (const p in from) {
    if (!hasOwn(from, p) || p === "__proto__" || p === "constructor") continue;
    to[p] = from[p];
  }
  return to;
}

// Options that may come in the data object (ejs 3's render without options, and renderFile
// for Express, which also passes `cache`).
const OPTS_IN_DATA = ["delimiter", "scope", "context", "debug", "compileDebug", "client", "_with", "rmWhitespace",
  "strict", "filename", "async"];
const OPTS_IN_DATA_EXPRESS = OPTS_IN_DATA.concat("cache");

function copyFromList(to, from, list) {
  from = from || {};
  for (const p of list) {
    if (typeof from[p] !== "undefined" && hasOwn(from, p)) to[p] = from[p];
  }
}

function escapeRegExpChars(s) {
  return s ? String(s).replace(/[|\\{}()[\]^$+*?.]/g, "\\$&") : "";
}

// ejs.cache: filename → template function, used when `cache: true` (Express's `view cache`).
ejs.cache = {
  _data: {},
  set(key, val) { this._data[key] = val; },
  get(key) { return this._data[key]; },
  remove(key) { delete this._data[key]; },
  reset() { this._data = {}; },
};
ejs.fileLoader = null; // set by the app to read templates another way (as in ejs)
ejs.localsName = "locals";
ejs.promiseImpl = Promise;
ejs.escapeXML = escapeXML;
ejs.VERSION = "3.1.10"; // the ejs release whose behaviour this follows
ejs.name = "ejs";

// Compiled bodies by (options, text or file hash); a Map kept in insertion order.
const compiled = new Map();
function remember(key, fn) {
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value);
  compiled.set(key, fn);
}

function fileHash(filename) {
  return ejs.fileLoader ? undefined : host.templateHash(String(filename));
}

function readTemplate(filename) {
  if (ejs.fileLoader) return String(ejs.fileLoader(filename)).replace(BOM, "");
  const text = host.templateText(String(filename));
  if (text === undefined) {
    const err = new Error("ENOENT: no such file or directory, open '" + filename + "'");
    err.errno = -2;
    err.code = "ENOENT";
    err.syscall = "open";
    err.path = filename;
    throw err;
  }
  return text.replace(BOM, "");
}

function exists(filename) {
  if (ejs.fileLoader) return require("fs").existsSync(filename);
  return host.templateHash(String(filename)) !== undefined;
}

ejs.resolveInclude = function resolveInclude(name, filename, isDir) {
  let p = pathMod.resolve(isDir ? filename : pathMod.dirname(filename), name);
  if (!pathMod.extname(name)) p += ".ejs";
  return p;
};

function resolvePaths(name, dirs) {
  for (const d of dirs) {
    const p = ejs.resolveInclude(name, d, true);
    if (exists(p)) return p;
  }
  return undefined;
}

function includePath(name, options) {
  let found;
  if (/^[A-Za-z]+:\\|^\//.test(name)) {
    name = name.replace(/^\/*/, "");
    if (Array.isArray(options.root)) found = resolvePaths(name, options.root);
    else found = ejs.resolveInclude(name, options.root || "/", true);
  } else {
    if (options.filename) {
      const p = ejs.resolveInclude(name, options.filename);
      if (exists(p)) found = p;
    }
    if (!found && Array.isArray(options.views)) found = resolvePaths(name, options.views);
    if (!found && typeof options.includer !== "function") {
      throw new Error('Could not find the include file "' + options.escapeFunction(name) + '"');
    }
  }
  return found;
}

// The template function for `options` (its filename) and `template` (read from the file
// when omitted), from ejs.cache or the per-content cache.
function handleCache(options, template) {
  const filename = options.filename;
  const hasTemplate = arguments.length > 1;
  let hash;
  if (!hasTemplate) {
    if (!filename) throw new Error("Internal EJS error: no file name or template provided");
    hash = fileHash(filename);
  }
  if (options.cache) {
    if (!filename) throw new Error("cache option requires a filename");
    const fn = ejs.cache.get(filename);
    if (fn && (hasTemplate || fn.contentHash === undefined || fn.contentHash === hash)) return fn;
  }
  let fn;
  if (!hasTemplate && hash !== undefined) {
    // a file compiled before (same content, same options): no read, no parse
    const t = new Template(undefined, options);
    const body = compiled.get(t.cacheKey(hash));
    if (body !== undefined) fn = t.wrap(body, hash);
  }
  if (fn === undefined) {
    if (!hasTemplate) template = readTemplate(filename);
    fn = ejs.compile(template, options, hash);
  }
  if (options.cache) ejs.cache.set(filename, fn);
  return fn;
}

function includeFile(name, options) {
  const opts = copyInto(Object.create(null), options);
  opts.filename = includePath(name, opts);
  if (typeof options.includer === "function") {
    const r = options.includer(name, opts.filename);
    if (r) {
      if (r.filename) opts.filename = r.filename;
      if (r.template || r.template === "") return handleCache(opts, r.template);
    }
  }
  return handleCache(opts);
}

// Prefixes an error thrown while rendering with EJS's `file:LINE` context block.
function rethrow(err, str, flnm, lineno, esc) {
  if (err === null || typeof err !== "object") throw err;
  if (err.includeCycle && err.templateLine !== undefined) throw err; // one context block is enough
  const lines = str.split("\n");
  const start = Math.max(lineno - 3, 0);
  const end = Math.min(lines.length, lineno + 3);
  const filename = esc(flnm);
  const context = lines
    .slice(start, end)
    .map((line, i) => {
      const curr = i + start + 1;
      return (curr == lineno ? " >> " : "    ") + curr + "| " + line;
    })
    .join("\n");
  err.path = filename;
  err.message = (filename || "ejs") + ":" + lineno + "\n" + context + "\n\n" + err.message;
  if (err.templateLine === undefined) placeError(err, flnm, lineno, undefined, str); // innermost wins
  throw err;
}

function placeError(err, file, line, column, text) {
  try {
    Object.defineProperty(err, "templateLine", { value: line, configurable: true, writable: true });
    Object.defineProperty(err, "templateColumn", { value: column, configurable: true, writable: true });
    Object.defineProperty(err, "templateFile", { value: file || "ejs", configurable: true, writable: true });
    Object.defineProperty(err, "templateSource", { value: text, configurable: true, writable: true });
  } catch (_) {
    // a frozen error keeps its message only
  }
}

// [line, column] of the tag around `index` in the template text.
function lineColumnAt(text, index) {
  let line = 1, lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return [line, index - lineStart + 1];
}

// Where in the template a generated source position is: the error's line in the compiled
// body (from its stack) mapped back through the chunk table the compiler kept.
function sourcePosition(err, chunks, bodyOffset) {
  const m = /<input>:(\d+)(?::(\d+))?|anonymous[^\n]*?:(\d+):(\d+)/.exec(String(err && err.stack));
  const ln = err && typeof err.lineNumber === "number" ? err.lineNumber : m ? Number(m[1] || m[3]) : NaN;
  if (!Number.isFinite(ln)) return undefined;
  const genLine = ln - bodyOffset;
  let best;
  for (const c of chunks) {
    if (c.genLine <= genLine) best = c;
    else break;
  }
  return best;
}

function Template(text, options) {
  const opts = Object.create(null);
  const o = options && typeof options === "object" ? options : {};
  this.templateText = text;
  this.mode = null;
  this.truncate = false;
  this.currentLine = 1;
  this.source = "";
  this.genLine = 0;
  this.chunks = []; // { genLine, index } of every tag body, for error positions
  opts.escapeFunction = o.escape || o.escapeFunction || escapeXML;
  opts.compileDebug = o.compileDebug !== false;
  opts.debug = !!o.debug;
  opts.filename = o.filename;
  opts.openDelimiter = o.openDelimiter || ejs.openDelimiter || "<";
  opts.closeDelimiter = o.closeDelimiter || ejs.closeDelimiter || ">";
  opts.delimiter = o.delimiter || ejs.delimiter || "%";
  opts.strict = o.strict || false;
  opts.context = o.context || o.scope; // (`scope`: the old name)
  opts.cache = o.cache || false;
  opts.rmWhitespace = o.rmWhitespace;
  opts.root = o.root;
  opts.includer = o.includer;
  opts.outputFunctionName = o.outputFunctionName;
  opts.localsName = o.localsName || ejs.localsName || "locals";
  opts.views = o.views;
  opts.async = o.async;
  opts.destructuredLocals = o.destructuredLocals;
  opts.legacyInclude = o.legacyInclude !== undefined ? !!o.legacyInclude : true;
  opts.unsafePrototypeLocals = !!o.unsafePrototypeLocals;
  opts._with = opts.strict ? false : o._with !== undefined ? o._with : true;
  this.opts = opts;
  const d = opts.delimiter, op = opts.openDelimiter, cl = opts.closeDelimiter;
  this.tags = {
    eval: op + d, evalSlurp: op + d + "_", escaped: op + d + "=", raw: op + d + "-",
    comment: op + d + "#", literalOpen: op + d + d, close: d + cl, closeTrim: "-" + d + cl,
    closeSlurp: "_" + d + cl, literalClose: d + d + cl,
  };
}

// The tag pattern (made only when a template is parsed, not on a cache hit).
Object.defineProperty(Template.prototype, "regex", {
  get() {
    const t = this.tags;
    const re = new RegExp("(" + [t.literalOpen, t.literalClose, t.escaped, t.raw, t.evalSlurp, t.comment, t.eval,
      t.close, t.closeTrim, t.closeSlurp].map(escapeRegExpChars).join("|") + ")");
    Object.defineProperty(this, "regex", { value: re });
    return re;
  },
});

// The options that shape the compiled body (the cache key beside the content).
function optionsKey(opts) {
  return [opts.delimiter, opts.openDelimiter, opts.closeDelimiter, opts.strict, opts._with, opts.localsName,
    !!opts.rmWhitespace, !!opts.async, opts.compileDebug, opts.outputFunctionName || "", opts.filename || "",
    (opts.destructuredLocals || []).join(","), opts.legacyInclude].join("\u0001");
}

Template.modes = { EVAL: "eval", ESCAPED: "escaped", RAW: "raw", COMMENT: "comment", LITERAL: "literal" };

Template.prototype.emit = function emit(code) {
  this.source += code + "\n";
  this.genLine += 1 + countNewlines(code);
};

Template.prototype.generateSource = function generateSource() {
  const opts = this.opts;
  const t = this.tags;
  if (opts.rmWhitespace) {
    this.templateText = this.templateText.replace(/[\r\n]+/g, "\n").replace(/^\s+|\s+$/gm, "");
  }
  // (as ejs 3.1: spaces are slurped around `<%_` and `_%>` whatever the delimiters)
  this.templateText = this.templateText.replace(/[ \t]*<%_/gm, "<%_").replace(/_%>[ \t]*/gm, "_%>");
  const parts = this.parseTemplateText();
  let index = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.indexOf(t.eval) === 0 && part.indexOf(t.literalOpen) !== 0) {
      const closing = parts[i + 2];
      if (!(closing == t.close || closing == t.closeTrim || closing == t.closeSlurp)) {
        const err = new Error('Could not find matching close tag for "' + part + '".');
        const [line, column] = lineColumnAt(this.templateText, index);
        placeError(err, opts.filename, line, column, this.templateText);
        throw err;
      }
    }
    this.index = index;
    this.scanLine(part);
    index += part.length;
  }
};

Template.prototype.parseTemplateText = function parseTemplateText() {
  let str = this.templateText;
  const out = [];
  let m = this.regex.exec(str);
  while (m) {
    if (m.index !== 0) {
      out.push(str.substring(0, m.index));
      str = str.slice(m.index);
    }
    out.push(m[0]);
    str = str.slice(m[0].length);
    m = this.regex.exec(str);
  }
  if (str) out.push(str);
  return out;
};

Template.prototype.addOutput = function addOutput(text) {
  if (this.truncate) {
    text = text.replace(/^(?:\r\n|\r|\n)/, "");
    this.truncate = false;
  }
  if (!text) return;
  const lit = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/"/g, '\\"');
  this.emit('    ; __append("' + lit + '")');
};

function stripSemi(s) {
  return s.replace(/;(\s*$)/, "$1");
}

function countNewlines(s) {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

Template.prototype.scanLine = function scanLine(line) {
  const t = this.tags;
  const M = Template.modes;
  const newlines = countNewlines(line);
  switch (line) {
    case t.eval:
    case t.evalSlurp:
      this.mode = M.EVAL;
      break;
    case t.escaped:
      this.mode = M.ESCAPED;
      break;
    case t.raw:
      this.mode = M.RAW;
      break;
    case t.comment:
      this.mode = M.COMMENT;
      break;
    case t.literalOpen:
      this.mode = M.LITERAL;
      this.emit("    ; __append(" + JSON.stringify(t.eval) + ")");
      break;
    case t.literalClose:
      this.mode = M.LITERAL;
      this.emit("    ; __append(" + JSON.stringify(t.close) + ")");
      break;
    case t.close:
    case t.closeTrim:
    case t.closeSlurp:
      if (this.mode == M.LITERAL) this.addOutput(line);
      this.mode = null;
      this.truncate = line.indexOf("-") === 0 || line.indexOf("_") === 0;
      break;
    default:
      if (!this.mode) {
        this.addOutput(line);
        break;
      }
      if (this.mode !== M.COMMENT && this.mode !== M.LITERAL) {
        if (line.lastIndexOf("//") > line.lastIndexOf("\n")) line += "\n";
        this.chunks.push({ genLine: this.genLine, index: this.index });
      }
      switch (this.mode) {
        case M.EVAL: {
          const legacy = this.opts.legacyInclude && /^\s*include\s+(\S+)/.exec(line);
          if (legacy) {
            // ejs 2's `<% include file %>`: the file, with the same data, in place.
            this.emit("    ; __append(include(" + JSON.stringify(legacy[1]) + "))");
          } else {
            this.emit("    ; " + line);
          }
          break;
        }
        case M.ESCAPED:
          this.emit("    ; __append(escapeFn(" + stripSemi(line) + "))");
          break;
        case M.RAW:
          this.emit("    ; __append(" + stripSemi(line) + ")");
          break;
        case M.LITERAL:
          this.addOutput(line);
          break;
      }
  }
  if (this.opts.compileDebug && newlines) {
    this.currentLine += newlines;
    this.emit("    ; __line = " + this.currentLine);
  }
};

let includeDepth = 0;

// The compiled body of a file version (by its hash) or a source text, if compiled before.
Template.prototype.cacheKey = function cacheKey(hash) {
  return (hash !== undefined ? "#" + hash : "$" + this.templateText) + "\u0002" + optionsKey(this.opts);
};

Template.prototype.compile = function compile(hash) {
  const key = this.cacheKey(hash);
  let body = compiled.get(key);
  if (body === undefined) {
    body = this.compileBody();
    remember(key, body);
  }
  return this.wrap(body, hash);
};

// The template function over a compiled body: include(), the locals, error placement.
Template.prototype.wrap = function wrap(body, hash) {
  const opts = this.opts;
  const escapeFn = opts.escapeFunction;
  const fn = body.fn;
  const self = this;
  const wrapped = function anonymous(data) {
    const include = function (path, includeData) {
      let d = copyInto(Object.create(null), data);
      if (includeData) d = copyInto(d, includeData);
      if (includeDepth >= MAX_INCLUDE_DEPTH) {
        const err = new Error("EJS include depth " + MAX_INCLUDE_DEPTH + ' exceeded including "' + path + '" (an include cycle?)');
        err.includeCycle = true;
        throw err;
      }
      const template = includeFile(path, opts);
      includeDepth++;
      try {
        const out = template(d);
        if (out && typeof out.then === "function") return out.finally(() => includeDepth--);
        includeDepth--;
        return out;
      } catch (e) {
        includeDepth--;
        throw e;
      }
    };
    const locals = data || Object.create(null); // (ejs 3.1 hands the data object itself)
    try {
      const out = fn.apply(opts.context, [locals, escapeFn, include, rethrow]);
      if (out && typeof out.then === "function") return out.catch((e) => { throw self.place(e, body); });
      return out;
    } catch (e) {
      throw self.place(e, body);
    }
  };
  if (opts.filename) {
    const base = pathMod.basename(opts.filename, pathMod.extname(opts.filename));
    Object.defineProperty(wrapped, "name", { value: base, configurable: true });
  }
  if (hash !== undefined) Object.defineProperty(wrapped, "contentHash", { value: hash });
  return wrapped;
};

// Adds the template column (and the line, when compileDebug was off) to a render error.
Template.prototype.place = function place(err, body) {
  if (err === null || typeof err !== "object") return err;
  if (err.templateColumn !== undefined) return err;
  const at = sourcePosition(err, body.chunks, body.offset);
  if (at !== undefined) {
    const [line, column] = lineColumnAt(body.text, at.index);
    const sameLine = err.templateLine === undefined || err.templateLine === line;
    placeError(err, this.opts.filename, err.templateLine !== undefined ? err.templateLine : line,
      sameLine ? column : undefined, body.text);
  } else if (err.templateLine === undefined) {
    placeError(err, this.opts.filename, undefined, undefined, body.text);
  }
  return err;
};

// The compiled body: `new Function` over the generated source, plus the position table.
Template.prototype.compileBody = function compileBody() {
  const opts = this.opts;
  let prepended = "", appended = "";
  this.generateSource();
  prepended += '  var __output = "";\n  function __append(s) { if (s !== undefined && s !== null) __output += s }\n';
  if (opts.outputFunctionName) {
    if (!JS_IDENTIFIER.test(opts.outputFunctionName)) throw new Error("outputFunctionName is not a valid JS identifier.");
    prepended += "  var " + opts.outputFunctionName + " = __append;\n";
  }
  if (opts.localsName && !JS_IDENTIFIER.test(opts.localsName)) throw new Error("localsName is not a valid JS identifier.");
  if (opts.destructuredLocals && opts.destructuredLocals.length) {
    let s = "  var __locals = (" + opts.localsName + " || {}),\n";
    opts.destructuredLocals.forEach((name, i) => {
      if (!JS_IDENTIFIER.test(name)) throw new Error("destructuredLocals[" + i + "] is not a valid JS identifier.");
      if (i > 0) s += ",\n  ";
      s += name + " = __locals." + name;
    });
    prepended += s + ";\n";
  }
  if (opts._with !== false) {
    prepended += "  with (" + opts.localsName + " || {}) {\n";
    appended += "  }\n";
  }
  appended += "  return __output;\n";
  const sanitizedFilename = opts.filename ? JSON.stringify(opts.filename) : "undefined";
  let src, head;
  if (opts.compileDebug) {
    head = "var __line = 1\n  , __lines = " + JSON.stringify(this.templateText) + "\n  , __filename = " +
      sanitizedFilename + ";\ntry {\n" + prepended;
    src = head + this.source + appended + "} catch (e) {\n  rethrow(e, __lines, __filename, __line, escapeFn);\n}\n";
  } else {
    head = prepended;
    src = head + this.source + appended;
  }
  if (opts.strict) {
    src = '"use strict";\n' + src;
    head = '"use strict";\n' + head;
  }
  if (opts.debug) console.log(src);
  // (Function wraps the body as `(function anonymous(args\n) {\n` + body: two lines.)
  const offset = 2 + countNewlines(head) + 1;
  let fn;
  try {
    const Ctor = opts.async ? Object.getPrototypeOf(async function () {}).constructor : Function;
    fn = new Ctor(opts.localsName + ", escapeFn, include, rethrow", src);
  } catch (e) {
    if (e instanceof SyntaxError) {
      const at = sourcePosition(e, this.chunks, offset);
      if (at !== undefined) placeError(e, opts.filename, ...lineColumnAt(this.templateText, at.index), this.templateText);
      else placeError(e, opts.filename, undefined, undefined, this.templateText);
      if (opts.filename) e.message += " in " + opts.filename;
      e.message += " while compiling ejs\n\n";
      e.message += "If the above error is not helpful, you may want to try EJS-Lint:\n";
      e.message += "https://github.com/RyanZim/EJS-Lint";
      if (!opts.async) {
        e.message += "\n";
        e.message += "Or, if you meant to create an async function, pass `async: true` as an option.";
      }
    }
    throw e;
  }
  return { fn, chunks: this.chunks, offset, text: this.templateText };
};

ejs.Template = Template;

ejs.compile = function compile(template, opts, hash) {
  if (opts && opts.scope) {
    if (!opts.context) opts.context = opts.scope;
    delete opts.scope;
  }
  return new Template(template, opts).compile(typeof hash === "string" ? hash : undefined);
};

ejs.render = function render(template, d, o) {
  const data = d || Object.create(null);
  const opts = o || Object.create(null);
  if (arguments.length == 2) copyFromList(opts, data, OPTS_IN_DATA);
  return handleCache(opts, template)(data);
};

function tryHandleCache(options, data, cb) {
  if (!cb) {
    return new ejs.promiseImpl((resolve, reject) => {
      try {
        resolve(handleCache(options)(data));
      } catch (e) {
        reject(e);
      }
    });
  }
  let result;
  try {
    result = handleCache(options)(data);
  } catch (e) {
    return cb(e);
  }
  cb(null, result);
}

ejs.renderFile = function renderFile(...args) {
  const filename = args.shift();
  const opts = { filename };
  let cb, data;
  if (typeof args[args.length - 1] === "function") cb = args.pop();
  if (args.length) {
    data = args.shift();
    if (args.length) {
      copyInto(opts, args.pop());
    } else {
      // Express: options from its settings, then from the data
      if (data.settings) {
        if (data.settings.views) opts.views = data.settings.views;
        if (data.settings["view cache"]) opts.cache = true;
        if (data.settings["view options"]) copyInto(opts, data.settings["view options"]);
      }
      copyFromList(opts, data, OPTS_IN_DATA_EXPRESS);
    }
    opts.filename = filename;
  } else {
    data = Object.create(null);
  }
  return tryHandleCache(opts, data, cb);
};

ejs.__express = ejs.renderFile;

ejs.clearCache = function clearCache() {
  ejs.cache.reset();
  compiled.clear();
};
