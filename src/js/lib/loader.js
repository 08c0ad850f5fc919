// CommonJS module registry for app code: require('express'), require('hbf:db'), ...
// Modules are registered by the host as factories `(exports, require, module, __filename,
// __dirname) => void` and instantiated once per context, on first require.
(function () {
  "use strict";
  const factories = new Map();
  const cache = new Map();
  function require(name) {
    if (typeof name !== "string") throw new TypeError("require() expects a module name string");
    const key = name.startsWith("node:") ? name.slice(5) : name;
    const cached = cache.get(key);
    if (cached) return cached.exports;
    let factory = factories.get(key);
    if (!factory && key !== "hbf:host" && factories.has("hbf:host")) {
      // A built-in module (src/js/builtins.rs), compiled once per process, made on first use.
      const builtin = require("hbf:host").builtin(key);
      if (typeof builtin === "function") factories.set(key, (factory = builtin));
    }
    if (!factory) {
      const err = new Error("Cannot find module '" + name + "'");
      err.code = "MODULE_NOT_FOUND";
      throw err;
    }
    const module = { id: key, exports: {}, loaded: false };
    cache.set(key, module);
    try {
      factory.call(module.exports, module.exports, require, module, "/" + key, "/");
    } catch (e) {
      cache.delete(key);
      throw e;
    }
    module.loaded = true;
    return module.exports;
  }
  Object.defineProperty(globalThis, "__hbf_define", {
    value: function define(name, factory) { factories.set(name, factory); },
  });
  Object.defineProperty(globalThis, "require", { value: require, writable: true, configurable: true });
})();
