// The CommonJS module system of an app, as Node's: require() of the henv's files (resolved by
// the host with Node's algorithm, src/js/modules/resolve.rs; compiled once per content hash),
// require.cache, require.resolve, module/exports/__filename/__dirname, circular requires
// with partial exports. Node's built-in modules (src/js/builtins.rs, also as `node:NAME`)
// and HBF's own (`hbf:*`, `express`) win over files and node_modules, as core modules do
// in Node. Files live under `/` (the henv root): `/server.js`, `/lib/x.js`.
(function () {
  "use strict";
  const factories = new Map(); // hbf:* and express, registered by the runtime
  const builtins = new Map(); // instantiated built-in modules, by name
  const cache = Object.create(null); // require.cache, by filename ("/lib/x.js")
  let host = null;
  // Built-ins that are npm packages, not Node core modules: node_modules wins (views helper).
  const YIELDING = new Set(["ejs"]);
  let mainModule;

  function theHost() {
    if (host === null) host = loadBuiltin("hbf:host");
    return host;
  }

  function isBuiltin(name) {
    if (factories.has(name)) return true;
    return factories.has("hbf:host") && theHost().isBuiltin(name);
  }

  function loadBuiltin(key) {
    const cached = builtins.get(key);
    if (cached) return cached.exports;
    let factory = factories.get(key);
    if (!factory && key !== "hbf:host" && factories.has("hbf:host")) {
      // A built-in module (src/js/builtins.rs), compiled once per process, made on first use.
      const builtin = theHost().builtin(key);
      if (typeof builtin === "function") factories.set(key, (factory = builtin));
    }
    if (!factory) throw notFound(key, null);
    const module = { id: key, exports: {}, loaded: false };
    builtins.set(key, module);
    try {
      factory.call(module.exports, module.exports, rootRequire, module, key, "/");
    } catch (e) {
      builtins.delete(key);
      throw e;
    }
    module.loaded = true;
    return module.exports;
  }

  function notFound(request, parent) {
    const from = parent && parent.filename ? parent.filename.slice(1) : "/";
    const err = new Error("Cannot find module '" + request + "' from '" + from + "'");
    err.code = "MODULE_NOT_FOUND";
    err.requireStack = parent && parent.filename ? [parent.filename] : [];
    return err;
  }

  function dirname(filename) {
    const i = filename.lastIndexOf("/");
    return i <= 0 ? "/" : filename.slice(0, i);
  }

  function Module(id, filename, parent) {
    this.id = id;
    this.path = dirname(filename);
    this.exports = {};
    this.filename = filename;
    this.loaded = false;
    this.children = [];
    this.paths = nodeModulePaths(this.path);
    Object.defineProperty(this, "parent", { value: parent, writable: true, configurable: true });
  }
  Module.prototype.require = function (id) {
    return requireFrom(id, this);
  };
  Object.defineProperty(Module, "builtinModules", {
    enumerable: true,
    get: function () {
      const names = factories.has("hbf:host") ? theHost().builtinNames() : [];
      return names.filter((n) => !n.startsWith("hbf:") && !YIELDING.has(n)).concat(["module"]).sort();
    },
  });
  Module.isBuiltin = function (name) {
    if (YIELDING.has(name)) return false;
    return isBuiltin(name.startsWith("node:") ? name.slice(5) : name);
  };
  Module._cache = cache;
  Module.Module = Module;
  Module.createRequire = function (filename) {
    const f = String(filename).replace(/^file:\/\//, "");
    const m = new Module(f, f.startsWith("/") ? f : "/" + f, null);
    return makeRequire(m);
  };

  function nodeModulePaths(dir) {
    const parts = dir.split("/").filter(Boolean);
    const out = [];
    for (let i = parts.length; i >= 0; i--) {
      if (i > 0 && parts[i - 1] === "node_modules") continue;
      out.push("/" + parts.slice(0, i).concat("node_modules").join("/"));
    }
    return out;
  }

  // { builtin: name } or { path, format }.
  function resolveFrom(request, parent, isImport) {
    if (typeof request !== "string") {
      const err = new TypeError('The "id" argument must be of type string. Received ' + (request === null ? "null" : typeof request));
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    if (request === "") {
      const err = new TypeError("The argument 'id' must be a non-empty string. Received ''");
      err.code = "ERR_INVALID_ARG_VALUE";
      throw err;
    }
    if (request.startsWith("node:")) {
      const key = request.slice(5);
      if (isBuiltin(key)) return { builtin: key };
      const err = new Error("No such built-in module: " + request);
      err.code = "ERR_UNKNOWN_BUILTIN_MODULE";
      throw err;
    }
    const from = parent && parent.filename ? parent.filename.slice(1) : "";
    if (YIELDING.has(request) && factories.has("hbf:host")) {
      // not a Node core module: the app's own node_modules copy wins over the built-in
      try {
        const r = theHost().resolveModule(request, from, !!isImport);
        return { path: r[0], format: r[1] };
      } catch (e) {
        if (!e || e.code !== "MODULE_NOT_FOUND") throw e;
        return { builtin: request };
      }
    }
    if (isBuiltin(request)) return { builtin: request };
    if (!factories.has("hbf:host")) throw notFound(request, parent);
    const r = theHost().resolveModule(request, from, !!isImport);
    return { path: r[0], format: r[1] };
  }

  function requireFrom(request, parent) {
    const r = resolveFrom(request, parent, false);
    if (r.builtin !== undefined) return loadBuiltin(r.builtin);
    return loadFile(r.path, r.format, parent, false);
  }

  function loadFile(path, format, parent, isMain) {
    const filename = "/" + path;
    const cached = cache[filename];
    if (cached !== undefined) {
      if (parent && parent.children && !parent.children.includes(cached)) parent.children.push(cached);
      return cached.exports;
    }
    if (format === "module") return requireEsm(path, parent);
    const module = new Module(isMain ? "." : filename, filename, parent || null);
    if (isMain) mainModule = module;
    cache[filename] = module;
    if (parent && parent.children) parent.children.push(module);
    let threw = true;
    try {
      if (format === "json") {
        const text = theHost().readModuleText(path);
        try {
          module.exports = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
        } catch (e) {
          e.message = filename + ": " + e.message;
          throw e;
        }
      } else {
        const factory = theHost().compileModule(path);
        if (factory === null) {
          // ES module syntax in a .js file (Node's syntax detection): load it as one.
          delete cache[filename];
          threw = false;
          return requireEsm(path, parent);
        }
        factory.call(module.exports, module.exports, makeRequire(module), module, filename, module.path);
      }
      threw = false;
    } finally {
      if (threw) {
        delete cache[filename];
        if (parent && parent.children) {
          const i = parent.children.indexOf(module);
          if (i >= 0) parent.children.splice(i, 1);
        }
      }
    }
    module.loaded = true;
    return module.exports;
  }

  // require() of an ES module (Node 20.19+): its namespace object, cached like a module.
  function requireEsm(path, parent) {
    const filename = "/" + path;
    const cached = cache[filename];
    if (cached !== undefined) return cached.exports;
    const module = new Module(filename, filename, parent || null);
    module.exports = theHost().requireEsm(path);
    module.loaded = true;
    cache[filename] = module;
    return module.exports;
  }

  const extensions = Object.create(null);
  extensions[".js"] = function () {};
  extensions[".json"] = function () {};
  extensions[".node"] = function () {};

  function makeRequire(module) {
    const require = function require(id) {
      return requireFrom(id, module);
    };
    require.resolve = function resolve(request) {
      const r = resolveFrom(request, module, false);
      return r.builtin !== undefined ? request : "/" + r.path;
    };
    require.resolve.paths = function paths(request) {
      if (isBuiltin(request.startsWith("node:") ? request.slice(5) : request)) return null;
      return module.paths.slice();
    };
    Object.defineProperty(require, "main", {
      get: function () { return mainModule; },
      enumerable: true,
    });
    require.cache = cache;
    require.extensions = extensions;
    return require;
  }

  const root = new Module("/", "/index.js", null);
  const rootRequire = makeRequire(root);
  // `module` built-in: what packages reach with require('module').
  factories.set("module", function (e, r, module) { module.exports = Module; });

  // QuickJS-NG's V8-style CallSite (Error.prepareStackTrace) lacks methods that npm packages
  // call (depd, used by http-errors, body-parser, morgan...): add them with V8's answers for
  // code that is not eval'd.
  (function completeCallSite() {
    if (typeof Error.captureStackTrace !== "function") return;
    const prep = Error.prepareStackTrace;
    let sites;
    Error.prepareStackTrace = function (e, s) { return s; };
    try {
      const o = {};
      Error.captureStackTrace(o);
      sites = o.stack;
    } finally {
      Error.prepareStackTrace = prep;
    }
    const proto = Array.isArray(sites) && sites.length ? Object.getPrototypeOf(sites[0]) : null;
    if (!proto) return;
    const add = {
      isEval() { return false; },
      getEvalOrigin() { return undefined; },
      getThis() { return undefined; },
      getTypeName() { return null; },
      getMethodName() { return null; },
      isToplevel() { return true; },
      isAsync() { return false; },
      isPromiseAll() { return false; },
      getPromiseIndex() { return null; },
      getScriptNameOrSourceURL() { return this.getFileName(); },
      getScriptHash() { return ""; },
      getEnclosingColumnNumber() { return null; },
      getEnclosingLineNumber() { return null; },
      getPosition() { return 0; },
      toString() {
        const file = (this.getFileName() || "<anonymous>") + ":" + this.getLineNumber() + ":" + this.getColumnNumber();
        const name = this.getFunctionName();
        return name ? name + " (" + file + ")" : file;
      },
    };
    for (const k of Object.keys(add)) {
      if (typeof proto[k] !== "function") Object.defineProperty(proto, k, { value: add[k], writable: true, configurable: true });
    }
  })();

  Object.defineProperty(globalThis, "__hbf_define", {
    value: function define(name, factory) { factories.set(name, factory); },
  });
  // The app's server.js (or another main file), run as the main module.
  Object.defineProperty(globalThis, "__hbf_main", {
    value: function main(path) {
      return loadFile(path, "commonjs", null, true);
    },
  });
  // For the ES module loader (src/js/modules/esm.rs): what a built-in, CommonJS or JSON
  // module exports, as `import` sees it.
  Object.defineProperty(globalThis, "__hbf_esm_exports", {
    value: function esmExports(kind, name) {
      if (kind === "builtin") return loadBuiltin(name.startsWith("node:") ? name.slice(5) : name);
      return loadFile(name, kind, null, false);
    },
  });
  Object.defineProperty(globalThis, "require", { value: rootRequire, writable: true, configurable: true });
})();
