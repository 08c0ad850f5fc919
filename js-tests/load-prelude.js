"use strict";
// Loads src/js/lib/prelude.js into a fresh vm context that looks like a bare QuickJS-NG global:
// only ECMAScript built-ins plus atob/btoa/queueMicrotask/performance. The host shim stands in for
// the Rust side (host.log/encodeUtf8/decodeUtf8/randomBytes) and creates its values in the
// context's realm, as the real host does.
const vm = require("node:vm");
const fs = require("node:fs");
const path = require("node:path");
const nodeCrypto = require("node:crypto");

const PRELUDE_PATH = path.join(__dirname, "..", "src", "js", "lib", "prelude.js");

function loadPrelude() {
  const ctx = vm.createContext({});
  // V8 puts its own console on every context; QuickJS-NG has none worth keeping.
  vm.runInContext("delete globalThis.console", ctx);
  const realm = vm.runInContext("({ Uint8Array, TypeError })", ctx);
  const logs = [];
  const calls = { encodeUtf8: 0, decodeUtf8: 0, randomBytes: 0 };
  const toRealmBytes = src => {
    const out = new realm.Uint8Array(src.length);
    out.set(src);
    return out;
  };
  const host = {
    log(level, message) {
      if (typeof level !== "string" || typeof message !== "string") throw new Error("host.log: bad arguments");
      logs.push({ level, message });
    },
    encodeUtf8(str) {
      calls.encodeUtf8++;
      if (typeof str !== "string" || !str.isWellFormed()) throw new Error("host.encodeUtf8: expected a well-formed string");
      return toRealmBytes(Buffer.from(str, "utf8"));
    },
    decodeUtf8(bytes, fatal) {
      calls.decodeUtf8++;
      if (!(bytes instanceof realm.Uint8Array) || typeof fatal !== "boolean") throw new Error("host.decodeUtf8: bad arguments");
      try {
        return new TextDecoder("utf-8", { fatal, ignoreBOM: true }).decode(bytes);
      } catch (e) {
        throw new realm.TypeError(e.message);
      }
    },
    randomBytes(n) {
      calls.randomBytes++;
      return toRealmBytes(nodeCrypto.randomBytes(n));
    },
  };
  Object.assign(ctx, {
    atob: (s) => atob(s),
    btoa: (s) => btoa(s),
    queueMicrotask: (fn) => queueMicrotask(fn),
    performance: { now: () => performance.now(), timeOrigin: performance.timeOrigin },
    __hbf_host: host,
  });
  vm.runInContext(fs.readFileSync(PRELUDE_PATH, "utf8"), ctx, { filename: "prelude.js" });
  return {
    ctx,
    logs,
    calls,
    run: (code) => vm.runInContext(code, ctx),
  };
}

module.exports = { loadPrelude, PRELUDE_PATH };
