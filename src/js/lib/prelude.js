"use strict";
// HBF prelude: web globals that QuickJS-NG lacks. Runs once per context, before app code.
// Size: over 800 lines because every global it defines shares the captured intrinsics below
// (so app code that overwrites globals cannot break them); heavier globals already live apart
// and load lazily (src/js/lib/web/, src/js/lib/node/).
// The host object arrives as globalThis.__hbf_host and is kept only in this closure.
// Host contract (implemented in Rust):
//   host.log(level, message)      level: "info" | "warn" | "error" | "debug"
//   host.encodeUtf8(str)          -> Uint8Array; str is always well-formed (no lone surrogates)
//   host.decodeUtf8(bytes, fatal) -> string; bytes is a Uint8Array (may be a subarray view);
//                                    U+FFFD per maximal subpart when !fatal, TypeError when fatal;
//                                    must NOT strip a leading BOM
//   host.randomBytes(n)           -> Uint8Array of n CSPRNG bytes
(function () {
  const host = globalThis.__hbf_host;
  delete globalThis.__hbf_host;
  for (const fn of ["log", "encodeUtf8", "decodeUtf8", "randomBytes"]) {
    if (!host || typeof host[fn] !== "function") throw new Error(`HBF prelude: host.${fn} is missing`);
  }
  // Capture what we depend on, so app code that overwrites globals cannot break us.
  const perf = globalThis.performance;
  const now = perf && typeof perf.now === "function" ? () => perf.now() : () => Date.now();
  const enqueueMicrotask = globalThis.queueMicrotask;
  const { getPrototypeOf, getOwnPropertyDescriptor, defineProperty, freeze } = Object;
  const objToString = Object.prototype.toString;
  const getter = (proto, key) => getOwnPropertyDescriptor(proto, key).get;
  const TypedArrayProto = getPrototypeOf(Uint8Array.prototype);
  const taName = getter(TypedArrayProto, Symbol.toStringTag); // brand-checked: undefined for non-TypedArrays
  const abByteLength = getter(ArrayBuffer.prototype, "byteLength");
  const TYPED = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array };
  if (typeof Float16Array === "function") TYPED.Float16Array = Float16Array;

  const define = (name, value) =>
    defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  // brand(fn, v): does fn.call(v) succeed? Used for spoof-proof type checks (toStringTag can lie).
  const brand = (fn, v, ...args) => { try { fn.call(v, ...args); return true; } catch { return false; } };
  const isArrayBuffer = v => brand(abByteLength, v);
  const MAP_SIZE = getter(Map.prototype, "size"), SET_SIZE = getter(Set.prototype, "size");
  const isMap = v => brand(MAP_SIZE, v);
  const isSet = v => brand(SET_SIZE, v);
  const isDate = v => brand(Date.prototype.getTime, v);
  const RE_SOURCE = getter(RegExp.prototype, "source"), RE_FLAGS = getter(RegExp.prototype, "flags");
  const isRegExp = v => v !== RegExp.prototype && brand(RE_SOURCE, v);
  const isError = typeof Error.isError === "function" ? Error.isError
    : v => v !== null && typeof v === "object" && objToString.call(v) === "[object Error]";
  const TYPE_VALUEOF = { Number: Number.prototype.valueOf, String: String.prototype.valueOf,
    Boolean: Boolean.prototype.valueOf, BigInt: BigInt.prototype.valueOf, Symbol: Symbol.prototype.valueOf };
  // classify(v): the built-in kind of object v ("Object" for plain and unknown ones). toString's tag
  // picks the candidate cheaply and one brand check confirms it, so a spoofed Symbol.toStringTag only
  // degrades to "Object" (and failing brand checks, i.e. costly exceptions, stay rare).
  const BRANDS = { Date: isDate, RegExp: isRegExp, ArrayBuffer: isArrayBuffer, Map: isMap, Set: isSet, Error: isError,
    WeakMap: v => brand(WeakMap.prototype.has, v, {}), WeakSet: v => brand(WeakSet.prototype.has, v, {}),
    WeakRef: v => typeof WeakRef === "function" && brand(WeakRef.prototype.deref, v), Promise: v => v instanceof Promise };
  for (const t in TYPE_VALUEOF) BRANDS[t] = v => brand(TYPE_VALUEOF[t], v);
  function classify(v) {
    if (Array.isArray(v)) return "Array";
    if (ArrayBuffer.isView(v)) return taName.call(v) === undefined ? "DataView" : "TypedArray";
    let tag;
    try { tag = objToString.call(v).slice(8, -1); } catch { return "Object"; }
    if (Object.hasOwn(BRANDS, tag) && BRANDS[tag](v)) return tag;
    return isError(v) ? "Error" : "Object";
  }
  // WebIDL DOMString/USVString conversion: template literals throw on Symbols like WebIDL does.
  const toStr = v => `${v}`;
  const toUSV = String.prototype.toWellFormed
    ? v => String.prototype.toWellFormed.call(`${v}`)
    : v => `${v}`.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  const needArgs = (got, n, what) => {
    if (got < n) throw new TypeError(`${what}: ${n} argument${n > 1 ? "s" : ""} required, but only ${got} present`);
  };

  // ---------------------------------------------------------------- DOMException (minimal)
  const DOM_CODES = { IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19,
    AbortError: 20, TimeoutError: 23, DataCloneError: 25, QuotaExceededError: 22 };
  let DOMExceptionCtor = globalThis.DOMException;
  if (typeof DOMExceptionCtor !== "function") {
    DOMExceptionCtor = class DOMException extends Error {
      constructor(message = "", name = "Error") {
        super(toStr(message));
        defineProperty(this, "name", { value: toStr(name), writable: true, configurable: true });
      }
      get code() { return DOM_CODES[this.name] || 0; }
    };
    define("DOMException", DOMExceptionCtor);
  }
  const domError = (message, name) => new DOMExceptionCtor(message, name);

  // ---------------------------------------------------------------- inspect / format
  // A compact, single-line take on Node's util.inspect: never invokes getters, survives Proxies and
  // throwing toStringTag getters, detects cycles (<ref *1> ... [Circular *1]) and stops at maxDepth.
  const META = [];
  for (let i = 0; i < 0x20; i++) META[i] = "\\x" + i.toString(16).toUpperCase().padStart(2, "0");
  Object.assign(META, { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 39: "\\'", 92: "\\\\" });
  for (let i = 0x7f; i <= 0x9f; i++) META[i] = "\\x" + i.toString(16).toUpperCase();
  const ESCAPE_RE = /[\x00-\x1f\x27\x5c\x7f-\x9f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  function quote(s) {
    let q = "'";
    if (s.includes("'")) {
      if (!s.includes('"')) q = '"';
      else if (!s.includes("`") && !s.includes("${")) q = "`";
    }
    const esc = s.replace(ESCAPE_RE, c => {
      const n = c.charCodeAt(0);
      if (n === 39 && q !== "'") return c;
      return n < 0xa0 ? META[n] : "\\u" + n.toString(16);
    });
    return q + esc + q;
  }
  const MAX_ITEMS = 100, MAX_STRING = 10000;
  const fmtNumber = n => (Object.is(n, -0) ? "-0" : String(n));
  const fmtKey = k => (typeof k === "symbol" ? `[${k.toString()}]` : /^[a-zA-Z_][a-zA-Z_0-9]*$/.test(k) ? k : quote(k));
  function fmtPrimitive(v, top) {
    switch (typeof v) {
      case "string":
        if (top) return v;
        return v.length > MAX_STRING ? `${quote(v.slice(0, MAX_STRING))}... ${v.length - MAX_STRING} more characters` : quote(v);
      case "number": return fmtNumber(v);
      case "bigint": return `${v}n`;
      case "symbol": return v.toString();
      default: return String(v); // undefined, boolean, null
    }
  }
  function ctorName(v) {
    for (let o = v; o !== null; o = getPrototypeOf(o)) {
      const d = getOwnPropertyDescriptor(o, "constructor");
      if (d && typeof d.value === "function" && typeof d.value.name === "string" && d.value.name !== "") return d.value.name;
    }
    return null;
  }
  function fnBase(f) {
    let src = "";
    try { src = Function.prototype.toString.call(f); } catch { /* native or revoked */ }
    const name = typeof f.name === "string" ? f.name : "";
    if (src.startsWith("class") && /^class\b/.test(src)) {
      const sup = getPrototypeOf(f);
      return `[class ${name || "(anonymous)"}${typeof sup === "function" && sup.name ? ` extends ${sup.name}` : ""}]`;
    }
    const kind = ctorName(f) || "Function";
    return `[${kind}${name ? `: ${name}` : " (anonymous)"}]`;
  }
  function inspectValue(v, ctx, depth, top) {
    if (v === null || (typeof v !== "object" && typeof v !== "function")) return fmtPrimitive(v, top);
    if (ctx.stack.includes(v)) {
      let idx = ctx.circular.get(v);
      if (idx === undefined) ctx.circular.set(v, (idx = ctx.circular.size + 1));
      return `[Circular *${idx}]`;
    }
    let out;
    try {
      ctx.stack.push(v);
      out = inspectObject(v, ctx, depth);
    } catch {
      out = "[object: inspection failed]";
    } finally {
      ctx.stack.pop();
    }
    const idx = ctx.circular.get(v);
    return idx === undefined ? out : `<ref *${idx}> ${out}`;
  }
  function inspectObject(v, ctx, depth) {
    const isFn = typeof v === "function";
    const ctor = ctorName(v);
    let tag = "";
    try { const t = v[Symbol.toStringTag]; if (typeof t === "string" && t !== ctor) tag = t; } catch { /* getter threw */ }
    const prefix = (fallback, size) => {
      const name = ctor === null ? `[${fallback}: null prototype]` : ctor;
      return `${name}${size === undefined ? "" : `(${size})`}${tag ? ` [${tag}]` : ""} `;
    };
    if (RECORDS.has(v) || PARAMS.has(v)) return inspectURL(v, ctx, depth);
    const kind = isFn ? "Function" : classify(v), isArr = kind === "Array";
    const typedName = kind === "TypedArray" ? taName.call(v) : undefined;
    // Own enumerable keys; skipped for big arrays and typed arrays, where listing every index is costly.
    let keys = typedName !== undefined || (isArr && v.length > 10 * MAX_ITEMS) ? []
      : Reflect.ownKeys(v).filter(k => { const d = getOwnPropertyDescriptor(v, k); return d && d.enumerable; });
    let base = "", open = "{", close = "}", items = [], pfx = "", tail = "";
    if (isArr || typedName !== undefined) {
      const typed = !isArr;
      if (depth > ctx.maxDepth) return `[${typed ? typedName : ctor || "Array"}]`;
      const len = v.length;
      pfx = isArr ? (ctor === "Array" && !tag ? "" : prefix("Array", len)) : prefix(typedName, len);
      open = "["; close = "]";
      let holes = 0;
      const flushHoles = () => { if (holes) items.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`); holes = 0; };
      let i = 0;
      for (; i < len && items.length < MAX_ITEMS; i++) {
        if (typed) { items.push(fmtPrimitive(v[i])); continue; }
        const d = getOwnPropertyDescriptor(v, String(i));
        if (!d) { holes++; continue; }
        flushHoles();
        items.push(fmtProp(d, ctx, depth));
      }
      flushHoles();
      if (i < len) items.push(`... ${len - i} more item${len - i > 1 ? "s" : ""}`);
      keys = keys.filter(k => typeof k === "symbol" || !(String(k >>> 0) === k && (k >>> 0) < 4294967295)); // non-index
    } else if (isFn) {
      base = fnBase(v);
      if (keys.length === 0) return base;
    } else if (kind === "Error" || v instanceof Error) { // instanceof: QuickJS's DOMException is not Error.isError
      let stack = "", name = "Error", message = "";
      try { name = String(v.name); message = String(v.message); stack = v.stack; } catch { /* ignore */ }
      const head = message ? `${name}: ${message}` : name;
      // V8 stacks start with "Name: message", QuickJS stacks are frames only.
      if (typeof stack === "string") stack = stack.replace(/\s+$/, "");
      base = depth === 0 && typeof stack === "string" && stack ? (stack.startsWith(head) ? stack : `${head}\n${stack}`) : `[${head}]`;
      keys = keys.filter(k => k !== "stack" && k !== "message");
      const cause = getOwnPropertyDescriptor(v, "cause");
      if (cause && !cause.enumerable) tail = `[cause]: ${fmtProp(cause, ctx, depth)}`;
      if (keys.length === 0 && !tail) return base;
    } else if (kind === "Date") {
      const t = Date.prototype.getTime.call(v);
      base = Number.isNaN(t) ? "Invalid Date" : Date.prototype.toISOString.call(v);
      if (keys.length === 0) return base;
    } else if (kind === "RegExp") {
      base = RegExp.prototype.toString.call(v);
      if (keys.length === 0) return base;
    } else if (Object.hasOwn(TYPE_VALUEOF, kind)) { // boxed primitive
      base = `[${kind}: ${fmtPrimitive(TYPE_VALUEOF[kind].call(v), false)}]`;
      if (kind === "String") keys = keys.filter(k => typeof k === "symbol" || !/^(0|[1-9]\d*)$/.test(k));
      if (keys.length === 0) return base;
    } else if (kind === "Map" || kind === "Set") {
      const map = kind === "Map", size = map ? MAP_SIZE.call(v) : SET_SIZE.call(v);
      if (depth > ctx.maxDepth) return `[${ctor || (map ? "Map" : "Set")}]`;
      pfx = prefix(map ? "Map" : "Set", size);
      const it = map ? Map.prototype.entries.call(v) : Set.prototype.values.call(v);
      for (const e of it) {
        if (items.length >= MAX_ITEMS) { items.push(`... ${size - MAX_ITEMS} more item${size - MAX_ITEMS > 1 ? "s" : ""}`); break; }
        items.push(map ? `${inspectValue(e[0], ctx, depth + 1)} => ${inspectValue(e[1], ctx, depth + 1)}` : inspectValue(e, ctx, depth + 1));
      }
    } else if (kind === "ArrayBuffer") {
      const bytes = new Uint8Array(v), hex = [];
      for (let i = 0; i < Math.min(bytes.length, 50); i++) hex.push(bytes[i].toString(16).padStart(2, "0"));
      if (bytes.length > 50) hex.push(`... ${bytes.length - 50} more bytes`);
      pfx = prefix("ArrayBuffer");
      items.push(`[Uint8Contents]: <${hex.join(" ")}>`, `byteLength: ${bytes.length}`);
    } else if (kind === "WeakMap" || kind === "WeakSet") {
      return `${prefix("Object")}{ <items unknown> }`;
    } else if (kind === "Promise") {
      return `${prefix("Object")}{ <unknown> }`; // promise state is not observable from JS
    } else if (kind === "DataView") {
      if (depth > ctx.maxDepth) return "[DataView]";
      pfx = prefix("DataView");
      items.push(`byteLength: ${v.byteLength}`, `byteOffset: ${v.byteOffset}`, `buffer: ${inspectValue(v.buffer, ctx, depth + 1)}`);
    } else {
      if (depth > ctx.maxDepth) return `[${ctor || "Object"}]`;
      pfx = ctor === "Object" ? (tag ? `Object [${tag}] ` : "") : prefix("Object");
    }
    if (base && depth > ctx.maxDepth) return base;
    let shown = 0;
    for (const k of keys) {
      if (shown++ >= 1000) { items.push(`... ${keys.length - 1000} more properties`); break; }
      items.push(`${fmtKey(k)}: ${fmtProp(getOwnPropertyDescriptor(v, k), ctx, depth)}`);
    }
    if (tail) items.push(tail);
    if (base) return `${base} { ${items.join(", ")} }`;
    return items.length ? `${pfx}${open} ${items.join(", ")} ${close}` : `${pfx}${open}${close}`;
  }
  function fmtProp(d, ctx, depth) {
    if (!d) return "undefined";
    if ("value" in d) return inspectValue(d.value, ctx, depth + 1);
    return d.get ? (d.set ? "[Getter/Setter]" : "[Getter]") : d.set ? "[Setter]" : "undefined";
  }
  const URL_FIELDS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname",
    "search", "searchParams", "hash"];
  function inspectURL(v, ctx, depth) { // shaped like Node's output, on one line
    if (PARAMS.has(v)) {
      const items = PARAMS.get(v).list.map(([k, x]) => `${quote(k)} => ${quote(x)}`);
      return items.length ? `URLSearchParams { ${items.join(", ")} }` : "URLSearchParams {}";
    }
    if (depth > ctx.maxDepth) return "[URL]";
    return `URL { ${URL_FIELDS.map(f => `${f}: ${inspectValue(v[f], ctx, depth + 1)}`).join(", ")} }`;
  }
  const inspectDefault = inspect;
  function inspect(value, opts) {
    const maxDepth = opts && typeof opts.depth === "number" ? opts.depth : 4;
    return inspectValue(value, { stack: [], circular: new Map(), maxDepth }, 0, false);
  }

  // Which objects does %s print with String() (user-defined toString) rather than inspect? (Node rule)
  const BUILTIN_CTORS = new Set(["Object", "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError",
    "EvalError", "URIError", "AggregateError", "Array", "Date", "RegExp", "Map", "Set", "WeakMap", "WeakSet",
    "Promise", "ArrayBuffer", "DataView", "Number", "String", "Boolean", "Symbol", "BigInt", "Function",
    ...Object.keys(TYPED)]);
  function hasBuiltinToString(v) {
    try {
      if (typeof v.toString !== "function") return true;
      if (Object.hasOwn(v, "toString")) return false;
      let p = v;
      do { p = getPrototypeOf(p); } while (p !== null && !Object.hasOwn(p, "toString"));
      if (p === null) return true;
      const d = getOwnPropertyDescriptor(p, "constructor");
      return d !== undefined && typeof d.value === "function" && BUILTIN_CTORS.has(d.value.name);
    } catch { return true; }
  }
  function jsonOrCircular(v) {
    try { return `${JSON.stringify(v)}`; } catch (e) {
      if (e instanceof TypeError && /circular|cyclic/i.test(String(e.message))) return "[Circular]";
      throw e;
    }
  }
  // Port of Node's formatWithOptions (util.format); node:util passes its own inspect.
  function format(args, inspect = inspectDefault) {
    const first = args[0];
    let a = 0, str = "", join = "";
    if (typeof first === "string") {
      if (args.length === 1) return first;
      let lastPos = 0, tmp;
      for (let i = 0; i < first.length - 1; i++) {
        if (first.charCodeAt(i) !== 37) continue; // '%'
        const next = first.charCodeAt(++i);
        if (a + 1 !== args.length) {
          switch (next) {
            case 115: { // %s
              const x = args[++a];
              if (typeof x === "number") tmp = fmtNumber(x);
              else if (typeof x === "bigint") tmp = `${x}n`;
              else if (typeof x !== "object" || x === null || !hasBuiltinToString(x)) tmp = String(x);
              else tmp = inspect(x, { depth: 0 });
              break;
            }
            case 106: tmp = jsonOrCircular(args[++a]); break; // %j
            case 100: { // %d
              const x = args[++a];
              tmp = typeof x === "bigint" ? `${x}n` : typeof x === "symbol" ? "NaN" : fmtNumber(Number(x));
              break;
            }
            case 79: tmp = inspect(args[++a]); break; // %O
            case 111: tmp = inspect(args[++a], { showHidden: true, showProxy: true, depth: 4 }); break; // %o
            case 105: { // %i
              const x = args[++a];
              tmp = typeof x === "bigint" ? `${x}n` : typeof x === "symbol" ? "NaN" : fmtNumber(parseInt(x));
              break;
            }
            case 102: { const x = args[++a]; tmp = typeof x === "symbol" ? "NaN" : fmtNumber(parseFloat(x)); break; } // %f
            case 99: a += 1; tmp = ""; break; // %c: CSS is meaningless in a log
            case 37: str += first.slice(lastPos, i); lastPos = i + 1; continue; // %%
            default: continue;
          }
          if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
          str += tmp;
          lastPos = i + 1;
        } else if (next === 37) {
          str += first.slice(lastPos, i);
          lastPos = i + 1;
        }
      }
      if (lastPos !== 0) {
        a++;
        join = " ";
        if (lastPos < first.length) str += first.slice(lastPos);
      }
    }
    for (; a < args.length; a++) {
      const v = args[a];
      str += join + (typeof v === "string" ? v : inspect(v));
      join = " ";
    }
    return str;
  }
  if (typeof globalThis.__hbf_define === "function") {
    globalThis.__hbf_define("hbf:format", function (exports, require, module) { module.exports = { format, quote }; });
  }

  // ---------------------------------------------------------------- console
  let groupIndent = "";
  const counts = new Map(), timeLabels = new Map();
  function emit(level, message) {
    if (groupIndent) message = groupIndent + message.replace(/\n/g, `\n${groupIndent}`);
    try { host.log(level, message); } catch { /* logging must never throw into app code */ }
  }
  const logAt = level => (...args) => emit(level, format(args));
  const label = l => (l === undefined ? "default" : toStr(l));
  const consoleObj = {
    log: logAt("info"), info: logAt("info"), warn: logAt("warn"), error: logAt("error"), debug: logAt("debug"),
    trace(...args) {
      const stack = String(new Error().stack || "").split("\n").filter(l => /^\s+at /.test(l)).slice(1).join("\n");
      emit("debug", `Trace${args.length ? `: ${format(args)}` : ""}${stack ? `\n${stack}` : ""}`);
    },
    assert(cond, ...args) {
      if (cond) return;
      if (typeof args[0] === "string") args[0] = `Assertion failed: ${args[0]}`;
      else args.unshift("Assertion failed");
      emit("warn", format(args));
    },
    dir: (v) => emit("info", inspect(v)),
    table: (...args) => emit("info", format(args)),
    count(l) { const k = label(l), n = (counts.get(k) || 0) + 1; counts.set(k, n); emit("info", `${k}: ${n}`); },
    countReset(l) { counts.delete(label(l)); },
    time(l) { timeLabels.set(label(l), now()); },
    timeLog(l, ...extra) {
      const k = label(l), t = timeLabels.get(k);
      if (t === undefined) return emit("warn", `No such label '${k}' for console.timeLog()`);
      emit("info", format([`${k}: ${(now() - t).toFixed(3)}ms`, ...extra]));
    },
    timeEnd(l) {
      const k = label(l), t = timeLabels.get(k);
      if (t === undefined) return emit("warn", `No such label '${k}' for console.timeEnd()`);
      timeLabels.delete(k);
      emit("info", `${k}: ${(now() - t).toFixed(3)}ms`);
    },
    group(...args) { if (args.length) emit("info", format(args)); groupIndent += "  "; },
    groupEnd() { groupIndent = groupIndent.slice(0, -2); },
  };
  consoleObj.groupCollapsed = consoleObj.group;
  define("console", consoleObj);

  // ---------------------------------------------------------------- timers
  // A JS-side queue ordered by (due, seq). The host owns the clock: it passes a monotonic nowMs to
  // nextDelay/runDue and JS never reads a clock. Inside runDue "now" is known, so timers created by
  // callbacks are anchored at once; timers created by other code (a request handler, a promise job)
  // wait in `unanchored` and count their delay from the next nowMs the host passes, so a delay can
  // end late by the time until that call but never early, however stale the last nowMs was.
  const timerMap = new Map();
  const currentRequest = typeof host.currentRequest === "function" ? host.currentRequest : undefined;
  let queue = [], unanchored = [], nextTimerId = 1, seqCounter = 0, clock = 0, inRunDue = false;
  const before = (x, y) => x.due < y.due || (x.due === y.due && x.seq < y.seq);
  function position(t) { // binary search: first index whose entry is not before t
    let lo = 0, hi = queue.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (before(queue[mid], t)) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function schedule(t, delay) {
    t.delay = delay;
    t.seq = seqCounter++;
    if (inRunDue) anchor(t);
    else unanchored.push(t);
  }
  function anchor(t) {
    t.due = clock + t.delay;
    queue.splice(position(t), 0, t);
  }
  function advance(nowMs) {
    nowMs = Number(nowMs);
    if (nowMs > clock) clock = nowMs;
    for (const t of unanchored) anchor(t);
    unanchored = [];
  }
  function addTimer(cb, delay, args, repeat) {
    if (typeof cb !== "function") throw new TypeError('The "callback" argument must be of type function');
    delay = Number(delay);
    if (!(delay >= 0)) delay = 0; // NaN, negative
    if (delay > 2147483647) delay = 1; // overflow, as Node and browsers do
    // (owner: the request whose turn created it, so its callback runs as that request and the
    // timer ends with it; 0 outside requests)
    const owner = currentRequest === undefined ? 0 : currentRequest();
    const t = { id: nextTimerId++, cb, args, interval: repeat ? Math.max(1, delay) : -1, delay: 0, due: 0, seq: 0, owner };
    timerMap.set(t.id, t);
    schedule(t, delay);
    return new Timeout(t.id);
  }
  // What setTimeout/setInterval/setImmediate return, as in Node: an object that converts to its
  // id (so clearTimeout(Number(t)) and string ids work) with ref/unref/hasRef/refresh/close.
  class Timeout {
    #id;
    constructor(id) { this.#id = id; }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
    refresh() {
      const t = timerMap.get(this.#id);
      if (t) { unschedule(t); schedule(t, t.interval >= 0 ? t.interval : t.delay); }
      return this;
    }
    close() { cancelTimer(this.#id); return this; }
    [Symbol.toPrimitive]() { return this.#id; }
  }
  function unschedule(t) {
    const u = unanchored.indexOf(t);
    if (u >= 0) return void unanchored.splice(u, 1);
    const i = position(t);
    if (queue[i] === t) queue.splice(i, 1);
  }
  function cancelTimer(id) {
    if (id === null || id === undefined) return;
    const t = timerMap.get(typeof id === "number" ? id : Number(id));
    if (!t) return;
    timerMap.delete(t.id);
    unschedule(t);
  }
  define("setTimeout", function setTimeout(cb, delay, ...args) { return addTimer(cb, delay, args, false); });
  define("setInterval", function setInterval(cb, delay, ...args) { return addTimer(cb, delay, args, true); });
  define("setImmediate", function setImmediate(cb, ...args) { return addTimer(cb, 0, args, false); });
  define("clearTimeout", function clearTimeout(id) { cancelTimer(id); });
  define("clearInterval", function clearInterval(id) { cancelTimer(id); });
  define("clearImmediate", function clearImmediate(id) { cancelTimer(id); });
  // Host hook: capture it right after the prelude runs; it is read-only so app code cannot replace it.
  defineProperty(globalThis, "__hbf_timers", { enumerable: false, writable: false, configurable: false, value: freeze({
    nextDelay(nowMs) {
      advance(nowMs);
      return queue.length === 0 ? -1 : Math.max(0, queue[0].due - clock);
    },
    // Runs every timer due at nowMs that existed when the call began (timers added by callbacks wait
    // for the next call, so setTimeout(f, 0) loops cannot starve the host). Microtasks queued by a
    // callback run when the host drains jobs after runDue returns.
    runDue(nowMs) {
      advance(nowMs);
      const limit = seqCounter;
      let ran = 0;
      inRunDue = true;
      try {
        while (queue.length && queue[0].due <= clock && queue[0].seq < limit) {
          const t = queue.shift();
          if (t.interval < 0) timerMap.delete(t.id);
          ran++;
          try { Reflect.apply(t.cb, undefined, t.args); } catch (e) {
            emit("error", `Uncaught exception in timer callback: ${inspect(e)}`);
          }
          if (t.interval >= 0 && timerMap.get(t.id) === t) schedule(t, t.interval);
        }
      } finally {
        inRunDue = false;
      }
      return ran;
    },
    clear() { timerMap.clear(); queue = []; unanchored = []; },
    // One timer at a time, so the host can bind each callback's request first and run the
    // microtasks it queued before the next one (as Node does): seq() marks the timers that
    // exist when a sweep begins, peek(nowMs, limit) is the owner of the next due one (or -1),
    // runHead() runs it.
    seq() { return seqCounter; },
    peek(nowMs, limit) {
      advance(nowMs);
      return queue.length && queue[0].due <= clock && queue[0].seq < limit ? queue[0].owner : -1;
    },
    runHead() {
      const t = queue.shift();
      if (t === undefined) return;
      if (t.interval < 0) timerMap.delete(t.id);
      inRunDue = true;
      try { Reflect.apply(t.cb, undefined, t.args); } catch (e) {
        emit("error", `Uncaught exception in timer callback: ${inspect(e)}`);
      } finally {
        inRunDue = false;
      }
      if (t.interval >= 0 && timerMap.get(t.id) === t) schedule(t, t.interval);
    },
    // The timers of one request (its response is sent, or it ran out of time).
    clearOwner(owner) {
      if (timerMap.size === 0) return;
      for (const [id, t] of timerMap) if (t.owner === owner) cancelTimer(id);
    },
  }) });

  // ---------------------------------------------------------------- TextEncoder / TextDecoder
  function putUtf8(out, i, c) { // writes code point c at out[i], returns new index
    if (c < 0x80) out[i++] = c;
    else if (c < 0x800) { out[i++] = 0xc0 | (c >> 6); out[i++] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[i++] = 0xe0 | (c >> 12); out[i++] = 0x80 | ((c >> 6) & 63); out[i++] = 0x80 | (c & 63); }
    else {
      out[i++] = 0xf0 | (c >> 18); out[i++] = 0x80 | ((c >> 12) & 63);
      out[i++] = 0x80 | ((c >> 6) & 63); out[i++] = 0x80 | (c & 63);
    }
    return i;
  }
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return host.encodeUtf8(toUSV(input)); }
    encodeInto(source, destination) {
      needArgs(arguments.length, 2, "TextEncoder.encodeInto");
      if (taName.call(destination) !== "Uint8Array") throw new TypeError('The "dest" argument must be a Uint8Array');
      const s = toStr(source), cap = destination.length;
      let read = 0, written = 0;
      while (read < s.length) {
        let c = s.charCodeAt(read), units = 1;
        if (c >= 0xd800 && c <= 0xdbff && read + 1 < s.length) {
          const d = s.charCodeAt(read + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); units = 2; }
        }
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (written + len > cap) break; // never write a partial character
        written = putUtf8(destination, written, c);
        read += units;
      }
      return { read, written };
    }
  }
  const UTF8_LABELS = new Set(["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"]);
  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (isArrayBuffer(input) || (typeof SharedArrayBuffer === "function" && input instanceof SharedArrayBuffer)) return new Uint8Array(input);
    throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
  }
  // Length of a trailing, still-valid but incomplete UTF-8 sequence (0..3) to hold back when streaming.
  function incompleteTail(b) {
    const n = b.length;
    for (let k = 1; k <= 3 && k <= n; k++) {
      const lead = b[n - k];
      if (lead >= 0x80 && lead < 0xc0) continue; // continuation byte: keep looking for the lead
      if (lead < 0xc2 || lead > 0xf4) return 0;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
      if (need <= k) return 0; // complete (or over-long and thus invalid): decode as is
      if (k >= 2) { // the first continuation has a narrower range for some leads
        const c1 = b[n - k + 1];
        const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
        const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
        if (c1 < lo || c1 > hi) return 0;
      }
      return k;
    }
    return 0;
  }
  class TextDecoder {
    #fatal; #ignoreBOM; #pending = null; #bomSeen = false;
    constructor(label = "utf-8", options = undefined) {
      const l = toStr(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "").toLowerCase();
      if (!UTF8_LABELS.has(l)) throw new RangeError(`The "${label}" encoding is not supported`);
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      const stream = !!(options && options.stream);
      let bytes = toBytes(input);
      if (this.#pending) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
      }
      const keep = stream ? incompleteTail(bytes) : 0;
      this.#pending = keep ? bytes.slice(bytes.length - keep) : null;
      let out;
      try {
        out = bytes.length - keep ? host.decodeUtf8(keep ? bytes.subarray(0, bytes.length - keep) : bytes, this.#fatal) : "";
      } catch (e) {
        this.#pending = null; this.#bomSeen = false;
        throw e;
      }
      if (!this.#bomSeen && out.length) {
        this.#bomSeen = true;
        if (!this.#ignoreBOM && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      }
      if (!stream) this.#bomSeen = false;
      return out;
    }
  }
  for (const C of [TextEncoder, TextDecoder]) defineProperty(C.prototype, Symbol.toStringTag, { value: C.name, configurable: true });
  define("TextEncoder", TextEncoder);
  define("TextDecoder", TextDecoder);

  // ---------------------------------------------------------------- URL (WHATWG URL Standard)
  const FAIL = Symbol("failure");
  const SPECIAL = new Map([["ftp", 21], ["file", null], ["http", 80], ["https", 443], ["ws", 80], ["wss", 443]]);
  const isSpecialScheme = s => SPECIAL.has(s);
  const defaultPort = s => (SPECIAL.has(s) ? SPECIAL.get(s) : null);
  // Percent-encode sets as 128-entry tables for ASCII (1 = encode); non-ASCII is always encoded.
  const extendSet = (parent, chars) => {
    const t = parent.slice();
    for (const ch of chars) t[ch.charCodeAt(0)] = 1;
    return t;
  };
  const C0_SET = new Uint8Array(128).fill(1, 0, 0x20).fill(1, 0x7f);
  const FRAGMENT_SET = extendSet(C0_SET, ' "<>`');
  const QUERY_SET = extendSet(C0_SET, ' "#<>');
  const SPECIAL_QUERY_SET = extendSet(QUERY_SET, "'");
  const PATH_SET = extendSet(QUERY_SET, "?`{}");
  const USERINFO_SET = extendSet(PATH_SET, "/:;=@[\\]^|");
  const FORM_SET = new Uint8Array(128).fill(1); // application/x-www-form-urlencoded keeps only *-._ and alphanumerics
  for (const ch of "*-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") FORM_SET[ch.charCodeAt(0)] = 0;
  const HEX = "0123456789ABCDEF";
  const pctByte = b => "%" + HEX[b >> 4] + HEX[b & 15];
  const utf8Buf = new Uint8Array(4);
  function pctEncodeCp(ch, set) { // ch: one code point
    const c = ch.charCodeAt(0);
    if (c < 0x80 && set[c] === 0) return ch;
    const n = putUtf8(utf8Buf, 0, ch.codePointAt(0));
    let s = "";
    for (let i = 0; i < n; i++) s += pctByte(utf8Buf[i]);
    return s;
  }
  function pctEncode(str, set) {
    let i = 0;
    for (; i < str.length; i++) { const c = str.charCodeAt(i); if (c >= 0x80 || set[c]) break; }
    if (i === str.length) return str; // common case: nothing to encode
    let out = str.slice(0, i);
    for (const ch of str.slice(i)) out += pctEncodeCp(ch, set);
    return out;
  }
  const hexVal = c => (c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1);
  // Percent-decode to bytes, then UTF-8 decode (lossy, BOM kept).
  function pctDecode(str) {
    if (!str.includes("%")) return str;
    const b = host.encodeUtf8(str), out = new Uint8Array(b.length);
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      const h = b[i] === 37 && i + 2 < b.length ? hexVal(b[i + 1]) : -1, l = h >= 0 ? hexVal(b[i + 2]) : -1;
      if (l >= 0) { out[n++] = h * 16 + l; i += 2; } else out[n++] = b[i];
    }
    return host.decodeUtf8(out.subarray(0, n), false);
  }

  // -- punycode (RFC 3492) and a UTS #46 approximation (no mapping table: NFKC + lowercase)
  const punyAdapt = (delta, points, first) => {
    delta = first ? Math.floor(delta / 700) : delta >> 1;
    delta += Math.floor(delta / points);
    let k = 0;
    for (; delta > 455; k += 36) delta = Math.floor(delta / 35);
    return k + Math.floor((36 * delta) / (delta + 38));
  };
  const punyT = (k, bias) => (k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias);
  // RFC 3492 encoding. The textbook loop rescans the label once per distinct code point (quadratic, a
  // DoS risk for long hostile hosts); a Fenwick tree over positions counts "smaller code points
  // between two insertions" in O(log n) instead, giving identical output in O(n log n).
  function punyEncode(input) {
    const cps = Array.from(input, ch => ch.codePointAt(0)), len = cps.length;
    const tree = new Int32Array(len + 1);
    const mark = i => { for (i++; i <= len; i += i & -i) tree[i]++; };
    const countBefore = i => { let s = 0; for (; i > 0; i -= i & -i) s += tree[i]; return s; }; // marked in [0, i)
    const digit = d => String.fromCharCode(d + (d < 26 ? 97 : 22));
    let out = "";
    const rest = []; // positions of non-basic code points, by (code point, position)
    for (let i = 0; i < len; i++) {
      if (cps[i] < 0x80) { out += String.fromCharCode(cps[i]); mark(i); } else rest.push(i);
    }
    rest.sort((x, y) => cps[x] - cps[y] || x - y);
    const b = out.length;
    let h = b, n = 128, delta = 0, bias = 72;
    if (b) out += "-";
    for (let k = 0; k < rest.length;) {
      const m = cps[rest[k]], first = k;
      delta += (m - n) * (h + 1);
      n = m;
      let last = -1; // position of the previous insertion in this pass
      for (; k < rest.length && cps[rest[k]] === n; k++) {
        const j = rest[k];
        delta += countBefore(j) - countBefore(last + 1); // smaller code points strictly between
        let q = delta;
        for (let t, kk = 36; ; kk += 36) {
          t = punyT(kk, bias);
          if (q < t) break;
          out += digit(t + ((q - t) % (36 - t)));
          q = Math.floor((q - t) / (36 - t));
        }
        out += digit(q);
        bias = punyAdapt(delta, h + 1, h === b);
        delta = 0;
        h++;
        last = j;
      }
      delta += countBefore(len) - countBefore(last + 1) + 1;
      for (let t = first; t < k; t++) mark(rest[t]);
      n++;
    }
    return out;
  }
  function punyDecode(input) { // -> string, or null when invalid
    const out = [];
    const basic = Math.max(0, input.lastIndexOf("-"));
    for (let j = 0; j < basic; j++) {
      const c = input.charCodeAt(j);
      if (c >= 0x80) return null;
      out.push(c);
    }
    let i = 0, n = 128, bias = 72;
    for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length;) {
      const old = i;
      for (let w = 1, k = 36; ; k += 36) {
        if (idx >= input.length) return null;
        const c = input.charCodeAt(idx++);
        const d = c >= 48 && c <= 57 ? c - 22 : c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 97 : 36;
        if (d >= 36) return null;
        i += d * w;
        const t = punyT(k, bias);
        if (d < t) break;
        w *= 36 - t;
        if (i > 0x7fffffff || w > 0x7fffffff) return null;
      }
      bias = punyAdapt(i - old, out.length + 1, old === 0);
      n += Math.floor(i / (out.length + 1));
      i %= out.length + 1;
      if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
      out.splice(i++, 0, n);
    }
    return out.map(c => String.fromCodePoint(c)).join("");
  }
  const NON_ASCII = /[^\x00-\x7f]/;
  // Code points UTS #46 maps to nothing (soft hyphen, joiners, variation selectors, BOM, ...).
  const IDNA_IGNORED = /[\u00ad\u034f\u180b-\u180f\u200b\u2060\u2064\ufe00-\ufe0f\ufeff]/g;
  // Coarse stand-in for the UTS #46 "disallowed" status: controls, unassigned, surrogates, private use.
  const IDNA_DISALLOWED = /[\u0080-\u009f\p{Cn}\p{Cs}\p{Co}]/u;
  function domainToASCII(domain) {
    let d = domain;
    if (NON_ASCII.test(d)) {
      d = d.replace(IDNA_IGNORED, "").normalize("NFKC").toLowerCase().normalize("NFC")
        .replace(/[\u3002\uff0e\uff61]/g, ".");
      if (IDNA_DISALLOWED.test(d)) return FAIL;
    } else {
      d = d.toLowerCase();
      if (!d.includes("xn--")) return d === "" ? FAIL : d; // fast path: plain ASCII
    }
    const labels = d.split(".");
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (label.startsWith("xn--")) {
        // An ACE label must decode to something non-ASCII that re-encodes to itself.
        const u = punyDecode(label.slice(4));
        if (u === null || u === "" || !NON_ASCII.test(u) || punyEncode(u) !== label.slice(4)) return FAIL;
        if (IDNA_DISALLOWED.test(u) || u.normalize("NFKC").toLowerCase() !== u) return FAIL;
      } else if (NON_ASCII.test(label)) {
        labels[i] = "xn--" + punyEncode(label);
      }
    }
    const result = labels.join(".");
    return result === "" ? FAIL : result;
  }

  // -- hosts
  const FORBIDDEN_HOST = /[\x00\t\n\r #/:<>?@[\\\]^|]/;
  const FORBIDDEN_DOMAIN = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/;
  function parseIPv4Number(s) {
    if (s === "") return FAIL;
    let radix = 10;
    if (s.length >= 2 && (s.startsWith("0x") || s.startsWith("0X"))) { s = s.slice(2); radix = 16; }
    else if (s.length >= 2 && s[0] === "0") { s = s.slice(1); radix = 8; }
    if (s === "") return 0;
    const ok = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
    return ok.test(s) ? parseInt(s, radix) : FAIL;
  }
  function endsInNumber(s) {
    const parts = s.split(".");
    if (parts[parts.length - 1] === "") {
      if (parts.length === 1) return false;
      parts.pop();
    }
    const last = parts[parts.length - 1];
    if (last !== "" && /^[0-9]+$/.test(last)) return true;
    return parseIPv4Number(last) !== FAIL;
  }
  function parseIPv4(s) {
    const parts = s.split(".");
    if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
    if (parts.length > 4) return FAIL;
    const nums = [];
    for (const p of parts) {
      const n = parseIPv4Number(p);
      if (n === FAIL) return FAIL;
      nums.push(n);
    }
    for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) return FAIL;
    if (nums[nums.length - 1] >= 256 ** (5 - nums.length)) return FAIL;
    let ipv4 = nums[nums.length - 1];
    for (let i = 0; i < nums.length - 1; i++) ipv4 += nums[i] * 256 ** (3 - i);
    return ipv4;
  }
  const ipv4ToString = n => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
  function parseIPv6(s) {
    const addr = [0, 0, 0, 0, 0, 0, 0, 0];
    const isHex = ch => ch !== undefined && /^[0-9a-fA-F]$/.test(ch), isDigit = ch => ch !== undefined && ch >= "0" && ch <= "9";
    let piece = 0, compress = null, p = 0;
    if (s[0] === ":") {
      if (s[1] !== ":") return FAIL;
      p = 2;
      compress = ++piece;
    }
    while (p < s.length) {
      if (piece === 8) return FAIL;
      if (s[p] === ":") {
        if (compress !== null) return FAIL;
        p++;
        compress = ++piece;
        continue;
      }
      let value = 0, length = 0;
      while (length < 4 && isHex(s[p])) { value = value * 16 + parseInt(s[p], 16); p++; length++; }
      if (s[p] === ".") { // embedded IPv4
        if (length === 0) return FAIL;
        p -= length;
        if (piece > 6) return FAIL;
        let seen = 0;
        while (p < s.length) {
          let v4 = null;
          if (seen > 0) {
            if (s[p] === "." && seen < 4) p++;
            else return FAIL;
          }
          if (!isDigit(s[p])) return FAIL;
          while (isDigit(s[p])) {
            const n = +s[p];
            if (v4 === null) v4 = n;
            else if (v4 === 0) return FAIL;
            else v4 = v4 * 10 + n;
            if (v4 > 255) return FAIL;
            p++;
          }
          addr[piece] = addr[piece] * 256 + v4;
          seen++;
          if (seen === 2 || seen === 4) piece++;
        }
        if (seen !== 4) return FAIL;
        break;
      } else if (s[p] === ":") {
        p++;
        if (p >= s.length) return FAIL;
      } else if (p < s.length) return FAIL;
      addr[piece++] = value;
    }
    if (compress !== null) {
      let swaps = piece - compress;
      piece = 7;
      while (piece !== 0 && swaps > 0) {
        const t = addr[piece];
        addr[piece] = addr[compress + swaps - 1];
        addr[compress + swaps - 1] = t;
        piece--; swaps--;
      }
    } else if (piece !== 8) return FAIL;
    return addr;
  }
  function ipv6ToString(a) {
    let best = -1, bestLen = 1; // compress the first longest run of >= 2 zero pieces
    for (let i = 0; i < 8;) {
      if (a[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && a[j] === 0) j++;
      if (j - i > bestLen) { best = i; bestLen = j - i; }
      i = j;
    }
    let out = "";
    for (let i = 0; i < 8; i++) {
      if (i === best) { out += i === 0 ? "::" : ":"; i += bestLen - 1; continue; }
      out += a[i].toString(16) + (i < 7 ? ":" : "");
    }
    return out;
  }
  function parseHost(input, notSpecial) {
    if (input[0] === "[") {
      if (input[input.length - 1] !== "]") return FAIL;
      const a = parseIPv6(input.slice(1, -1));
      return a === FAIL ? FAIL : `[${ipv6ToString(a)}]`;
    }
    if (notSpecial) return FORBIDDEN_HOST.test(input) ? FAIL : pctEncode(input, C0_SET); // opaque host
    const ascii = domainToASCII(pctDecode(input));
    if (ascii === FAIL || FORBIDDEN_DOMAIN.test(ascii)) return FAIL;
    if (endsInNumber(ascii)) {
      const v4 = parseIPv4(ascii);
      return v4 === FAIL ? FAIL : ipv4ToString(v4);
    }
    return ascii;
  }

  // -- the basic URL parser (state machine straight from the standard)
  const isAlphaCode = c => (c | 32) >= 97 && (c | 32) <= 122;
  const isDigitCode = c => c >= 48 && c <= 57;
  const isAlpha = ch => ch !== undefined && isAlphaCode(ch.charCodeAt(0));
  const isWinLetter = s => s.length === 2 && isAlpha(s[0]) && (s[1] === ":" || s[1] === "|");
  const isNormWinLetter = s => s.length === 2 && isAlpha(s[0]) && s[1] === ":";
  const startsWithWinLetter = (cps, p) => cps.length - p >= 2 && isWinLetter(cps[p] + cps[p + 1]) &&
    (cps.length - p === 2 || "/\\?#".includes(cps[p + 2]));
  const isSingleDot = s => s === "." || s.toLowerCase() === "%2e";
  const isDoubleDot = s => { s = s.toLowerCase(); return s === ".." || s === ".%2e" || s === "%2e." || s === "%2e%2e"; };
  const hasOpaquePath = r => typeof r.path === "string";
  const hasCredentials = r => r.username !== "" || r.password !== "";
  const cannotHaveCredentials = r => r.host === null || r.host === "" || r.scheme === "file";
  function shortenPath(r) {
    if (r.scheme === "file" && r.path.length === 1 && isNormWinLetter(r.path[0])) return;
    r.path.pop();
  }
  const newRecord = () => ({ scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null });

  // Parser states (numbers: QuickJS compares these faster than strings in the hot loop).
  const SCHEME_START = 1, SCHEME = 2, NO_SCHEME = 3, SPECIAL_RELATIVE_OR_AUTHORITY = 4, PATH_OR_AUTHORITY = 5,
    RELATIVE = 6, RELATIVE_SLASH = 7, SPECIAL_AUTHORITY_SLASHES = 8, SPECIAL_AUTHORITY_IGNORE_SLASHES = 9,
    AUTHORITY = 10, HOST = 11, HOSTNAME = 12, PORT = 13, FILE = 14, FILE_SLASH = 15, FILE_HOST = 16,
    PATH_START = 17, PATH = 18, OPAQUE_PATH = 19, QUERY = 20, FRAGMENT = 21;

  function basicParse(input, base, url, override) {
    if (!url) {
      url = newRecord();
      input = input.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "");
    }
    input = input.replace(/[\t\n\r]/g, "");
    const cps = Array.from(input);
    let state = override || SCHEME_START, buffer = "";
    let atSeen = false, inBrackets = false, passwordSeen = false;
    let special = isSpecialScheme(url.scheme); // refreshed wherever url.scheme changes
    for (let p = 0; ; p++) {
      const c = cps[p]; // undefined is EOF
      const code = c === undefined ? -1 : c.charCodeAt(0);
      const slashy = code === 47 || (special && code === 92); // "/" or, for special URLs, "\"
      switch (state) {
        case SCHEME_START:
          if (isAlphaCode(code)) { buffer += c.toLowerCase(); state = SCHEME; }
          else if (!override) { state = NO_SCHEME; p--; }
          else return FAIL;
          break;
        case SCHEME:
          if (isAlphaCode(code) || isDigitCode(code) || code === 43 || code === 45 || code === 46) buffer += c.toLowerCase();
          else if (c === ":") {
            if (override) {
              if (isSpecialScheme(url.scheme) !== isSpecialScheme(buffer)) return url;
              if ((hasCredentials(url) || url.port !== null) && buffer === "file") return url;
              if (url.scheme === "file" && url.host === "") return url;
            }
            url.scheme = buffer;
            special = isSpecialScheme(buffer);
            if (override) {
              if (url.port === defaultPort(url.scheme)) url.port = null;
              return url;
            }
            buffer = "";
            if (url.scheme === "file") state = FILE;
            else if (isSpecialScheme(url.scheme) && base && base.scheme === url.scheme) state = SPECIAL_RELATIVE_OR_AUTHORITY;
            else if (isSpecialScheme(url.scheme)) state = SPECIAL_AUTHORITY_SLASHES;
            else if (cps[p + 1] === "/") { state = PATH_OR_AUTHORITY; p++; }
            else { url.path = ""; state = OPAQUE_PATH; }
          } else if (!override) { buffer = ""; state = NO_SCHEME; p = -1; }
          else return FAIL;
          break;
        case NO_SCHEME:
          if (!base || (hasOpaquePath(base) && c !== "#")) return FAIL;
          if (hasOpaquePath(base)) {
            url.scheme = base.scheme; url.path = base.path; url.query = base.query; url.fragment = "";
            special = isSpecialScheme(url.scheme);
            state = FRAGMENT;
          } else { state = base.scheme === "file" ? FILE : RELATIVE; p--; }
          break;
        case SPECIAL_RELATIVE_OR_AUTHORITY:
          if (c === "/" && cps[p + 1] === "/") { state = SPECIAL_AUTHORITY_IGNORE_SLASHES; p++; }
          else { state = RELATIVE; p--; }
          break;
        case PATH_OR_AUTHORITY:
          if (c === "/") state = AUTHORITY;
          else { state = PATH; p--; }
          break;
        case RELATIVE:
          url.scheme = base.scheme;
          special = isSpecialScheme(url.scheme);
          if (c === "/" || (special && c === "\\")) state = RELATIVE_SLASH;
          else {
            url.username = base.username; url.password = base.password; url.host = base.host; url.port = base.port;
            url.path = base.path.slice(); url.query = base.query;
            if (c === "?") { url.query = ""; state = QUERY; }
            else if (c === "#") { url.fragment = ""; state = FRAGMENT; }
            else if (c !== undefined) { url.query = null; shortenPath(url); state = PATH; p--; }
          }
          break;
        case RELATIVE_SLASH:
          if (special && (c === "/" || c === "\\")) state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          else if (c === "/") state = AUTHORITY;
          else {
            url.username = base.username; url.password = base.password; url.host = base.host; url.port = base.port;
            state = PATH; p--;
          }
          break;
        case SPECIAL_AUTHORITY_SLASHES:
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          if (c === "/" && cps[p + 1] === "/") p++;
          else p--;
          break;
        case SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== "/" && c !== "\\") { state = AUTHORITY; p--; }
          break;
        case AUTHORITY:
          if (c === "@") {
            if (atSeen) buffer = "%40" + buffer;
            atSeen = true;
            for (const ch of buffer) {
              if (ch === ":" && !passwordSeen) { passwordSeen = true; continue; }
              if (passwordSeen) url.password += pctEncodeCp(ch, USERINFO_SET);
              else url.username += pctEncodeCp(ch, USERINFO_SET);
            }
            buffer = "";
          } else if (c === undefined || slashy || c === "?" || c === "#") {
            if (atSeen && buffer === "") return FAIL;
            p -= Array.from(buffer).length + 1;
            buffer = "";
            state = HOST;
          } else {
            buffer += c;
            while (p + 1 < cps.length && !"@/\\?#".includes(cps[p + 1])) buffer += cps[++p]; // fast path
          }
          break;
        case HOST:
        case HOSTNAME:
          if (override && url.scheme === "file") { p--; state = FILE_HOST; }
          else if (c === ":" && !inBrackets) {
            if (buffer === "") return FAIL;
            if (override === HOSTNAME) return FAIL;
            const h = parseHost(buffer, !special);
            if (h === FAIL) return FAIL;
            url.host = h; buffer = ""; state = PORT;
          } else if (c === undefined || slashy || c === "?" || c === "#") {
            p--;
            if (special && buffer === "") return FAIL;
            if (override && buffer === "" && (hasCredentials(url) || url.port !== null)) return FAIL;
            const h = parseHost(buffer, !special);
            if (h === FAIL) return FAIL;
            url.host = h; buffer = ""; state = PATH_START;
            if (override) return url;
          } else {
            if (c === "[") inBrackets = true;
            if (c === "]") inBrackets = false;
            buffer += c;
            while (p + 1 < cps.length && !":/\\?#[]".includes(cps[p + 1])) buffer += cps[++p]; // fast path
          }
          break;
        case PORT:
          if (isDigitCode(code)) buffer += c;
          else if (c === undefined || slashy || c === "?" || c === "#" || override) {
            if (buffer !== "") {
              const port = parseInt(buffer, 10);
              if (port > 65535) return FAIL;
              url.port = port === defaultPort(url.scheme) ? null : port;
              buffer = "";
              if (override) return url;
            }
            if (override) return FAIL;
            state = PATH_START; p--;
          } else return FAIL;
          break;
        case FILE:
          url.scheme = "file"; url.host = ""; special = true;
          if (c === "/" || c === "\\") state = FILE_SLASH;
          else if (base && base.scheme === "file") {
            url.host = base.host; url.path = base.path.slice(); url.query = base.query;
            if (c === "?") { url.query = ""; state = QUERY; }
            else if (c === "#") { url.fragment = ""; state = FRAGMENT; }
            else if (c !== undefined) {
              url.query = null;
              if (!startsWithWinLetter(cps, p)) shortenPath(url);
              else url.path = [];
              state = PATH; p--;
            }
          } else { state = PATH; p--; }
          break;
        case FILE_SLASH:
          if (c === "/" || c === "\\") state = FILE_HOST;
          else {
            if (base && base.scheme === "file") {
              url.host = base.host;
              if (!startsWithWinLetter(cps, p) && base.path.length && isNormWinLetter(base.path[0])) url.path.push(base.path[0]);
            }
            state = PATH; p--;
          }
          break;
        case FILE_HOST:
          if (c === undefined || c === "/" || c === "\\" || c === "?" || c === "#") {
            p--;
            if (!override && isWinLetter(buffer)) state = PATH; // buffer is kept and becomes the first segment
            else if (buffer === "") {
              url.host = "";
              if (override) return url;
              state = PATH_START;
            } else {
              let h = parseHost(buffer, !special);
              if (h === FAIL) return FAIL;
              if (h === "localhost") h = "";
              url.host = h;
              if (override) return url;
              buffer = ""; state = PATH_START;
            }
          } else buffer += c;
          break;
        case PATH_START:
          if (special) { state = PATH; if (c !== "/" && c !== "\\") p--; }
          else if (!override && c === "?") { url.query = ""; state = QUERY; }
          else if (!override && c === "#") { url.fragment = ""; state = FRAGMENT; }
          else if (c !== undefined) { state = PATH; if (c !== "/") p--; }
          else if (override && url.host === null) url.path.push("");
          break;
        case PATH:
          if (c === undefined || slashy || (!override && (c === "?" || c === "#"))) {
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (!slashy) url.path.push("");
            } else if (isSingleDot(buffer) && !slashy) url.path.push("");
            else if (!isSingleDot(buffer)) {
              if (url.scheme === "file" && url.path.length === 0 && isWinLetter(buffer)) buffer = buffer[0] + ":";
              url.path.push(buffer);
            }
            buffer = "";
            if (c === "?") { url.query = ""; state = QUERY; }
            if (c === "#") { url.fragment = ""; state = FRAGMENT; }
          } else {
            buffer += pctEncodeCp(c, PATH_SET);
            // Fast path: take a run of plain ASCII path characters at once (same result, fewer loop turns).
            for (let k; p + 1 < cps.length; p++) {
              k = cps[p + 1].charCodeAt(0);
              if (k >= 0x80 || PATH_SET[k] === 1 || k === 47 || k === 92) break;
              buffer += cps[p + 1];
            }
          }
          break;
        case OPAQUE_PATH:
          if (c === "?") { url.query = ""; state = QUERY; }
          else if (c === "#") { url.fragment = ""; state = FRAGMENT; }
          else if (c !== undefined) url.path += pctEncodeCp(c, C0_SET);
          break;
        case QUERY:
          if ((!override && c === "#") || c === undefined) {
            url.query += pctEncode(buffer, special ? SPECIAL_QUERY_SET : QUERY_SET);
            buffer = "";
            if (c === "#") { url.fragment = ""; state = FRAGMENT; }
          } else { // take everything up to the next "#" (or the end) at once
            let q = p + 1;
            while (q < cps.length && (override || cps[q] !== "#")) q++;
            buffer += q === p + 1 ? c : cps.slice(p, q).join("");
            p = q - 1;
          }
          break;
        case FRAGMENT:
          if (c !== undefined) url.fragment += pctEncodeCp(c, FRAGMENT_SET);
          break;
      }
      if (p >= cps.length) break;
    }
    return url;
  }
  const pathString = r => (hasOpaquePath(r) ? r.path : r.path.map(s => "/" + s).join(""));
  function serializeURL(r, excludeFragment) {
    let out = r.scheme + ":";
    if (r.host !== null) {
      out += "//";
      if (hasCredentials(r)) out += r.username + (r.password !== "" ? ":" + r.password : "") + "@";
      out += r.host + (r.port !== null ? ":" + r.port : "");
    } else if (!hasOpaquePath(r) && r.path.length > 1 && r.path[0] === "") out += "/."; // keep "//x" a path
    out += pathString(r);
    if (r.query !== null) out += "?" + r.query;
    if (!excludeFragment && r.fragment !== null) out += "#" + r.fragment;
    return out;
  }
  function originOf(r) {
    if (r.scheme === "blob") {
      const inner = basicParse(pathString(r), null);
      return inner !== FAIL && (inner.scheme === "http" || inner.scheme === "https") ? originOf(inner) : "null";
    }
    if (r.scheme === "file" || !isSpecialScheme(r.scheme)) return "null";
    return `${r.scheme}://${r.host}${r.port !== null ? ":" + r.port : ""}`;
  }
  function stripOpaqueTrailingSpaces(r) {
    if (hasOpaquePath(r) && r.fragment === null && r.query === null) r.path = r.path.replace(/ +$/, "");
  }

  // -- application/x-www-form-urlencoded
  function formParse(s) {
    const out = [];
    for (const seq of s.split("&")) {
      if (seq === "") continue;
      const i = seq.indexOf("=");
      const name = i < 0 ? seq : seq.slice(0, i), value = i < 0 ? "" : seq.slice(i + 1);
      out.push([pctDecode(name.replace(/\+/g, " ")), pctDecode(value.replace(/\+/g, " "))]);
    }
    return out;
  }
  const formEncode = str => pctEncode(str, FORM_SET).replace(/%20/g, "+");
  const formSerialize = list => list.map(([n, v]) => `${formEncode(n)}=${formEncode(v)}`).join("&");

  const RECORDS = new WeakMap(), PARAMS = new WeakMap(), PARAMS_OF_URL = new WeakMap();
  const rec = self => {
    const r = RECORDS.get(self);
    if (!r) throw new TypeError("Illegal invocation: not a URL");
    return r;
  };
  const params = self => {
    const p = PARAMS.get(self);
    if (!p) throw new TypeError("Illegal invocation: not a URLSearchParams");
    return p;
  };
  function resetQuery(self, query) { // the URL's query changed: refresh its searchParams list in place
    const sp = PARAMS_OF_URL.get(self);
    if (!sp) return; // created lazily, on first use of url.searchParams
    replaceAll(PARAMS.get(sp).list, formParse(query || ""));
  }
  // Replace an array's contents in place (no spread: a huge query must not hit argument-count limits).
  function replaceAll(list, items) {
    list.length = 0;
    for (const x of items) list.push(x);
  }
  function parseWithBase(url, base) {
    let b = null;
    if (base !== undefined) {
      b = basicParse(toUSV(base), null);
      if (b === FAIL) return FAIL;
    }
    return basicParse(toUSV(url), b);
  }

  class URL {
    constructor(url, base = undefined) {
      needArgs(arguments.length, 1, "URL constructor");
      const r = parseWithBase(url, base);
      if (r === FAIL) throw new TypeError(`Invalid URL: ${toStr(url)}`);
      RECORDS.set(this, r);
    }
    static canParse(url, base = undefined) {
      needArgs(arguments.length, 1, "URL.canParse");
      return parseWithBase(url, base) !== FAIL;
    }
    static parse(url, base = undefined) {
      needArgs(arguments.length, 1, "URL.parse");
      const r = parseWithBase(url, base);
      if (r === FAIL) return null;
      const u = Object.create(URL.prototype); // same as a constructed URL: all state lives in RECORDS
      RECORDS.set(u, r);
      return u;
    }
    get href() { return serializeURL(rec(this)); }
    set href(v) {
      rec(this);
      const r = basicParse(toUSV(v), null);
      if (r === FAIL) throw new TypeError(`Invalid URL: ${toStr(v)}`);
      RECORDS.set(this, r);
      resetQuery(this, r.query);
    }
    get origin() { return originOf(rec(this)); }
    get protocol() { return rec(this).scheme + ":"; }
    set protocol(v) { basicParse(toUSV(v) + ":", null, rec(this), SCHEME_START); }
    get username() { return rec(this).username; }
    set username(v) { const r = rec(this); if (!cannotHaveCredentials(r)) r.username = pctEncode(toUSV(v), USERINFO_SET); }
    get password() { return rec(this).password; }
    set password(v) { const r = rec(this); if (!cannotHaveCredentials(r)) r.password = pctEncode(toUSV(v), USERINFO_SET); }
    get host() {
      const r = rec(this);
      return r.host === null ? "" : r.port === null ? r.host : `${r.host}:${r.port}`;
    }
    set host(v) { const r = rec(this); if (!hasOpaquePath(r)) basicParse(toUSV(v), null, r, HOST); }
    get hostname() { const h = rec(this).host; return h === null ? "" : h; }
    set hostname(v) { const r = rec(this); if (!hasOpaquePath(r)) basicParse(toUSV(v), null, r, HOSTNAME); }
    get port() { const p = rec(this).port; return p === null ? "" : String(p); }
    set port(v) {
      const r = rec(this);
      if (cannotHaveCredentials(r)) return;
      v = toUSV(v);
      if (v === "") r.port = null;
      else basicParse(v, null, r, PORT);
    }
    get pathname() { return pathString(rec(this)); }
    set pathname(v) {
      const r = rec(this);
      if (hasOpaquePath(r)) return;
      r.path = [];
      basicParse(toUSV(v), null, r, PATH_START);
    }
    get search() { const q = rec(this).query; return q ? "?" + q : ""; }
    set search(v) {
      const r = rec(this);
      v = toUSV(v);
      if (v === "") {
        r.query = null;
        resetQuery(this, "");
        stripOpaqueTrailingSpaces(r);
        return;
      }
      const input = v[0] === "?" ? v.slice(1) : v;
      r.query = "";
      basicParse(input, null, r, QUERY);
      resetQuery(this, input);
    }
    get searchParams() {
      let sp = PARAMS_OF_URL.get(this);
      if (!sp) {
        const query = rec(this).query;
        sp = new URLSearchParams();
        PARAMS.get(sp).owner = this;
        if (query) replaceAll(PARAMS.get(sp).list, formParse(query));
        PARAMS_OF_URL.set(this, sp);
      }
      return sp;
    }
    get hash() { const f = rec(this).fragment; return f ? "#" + f : ""; }
    set hash(v) {
      const r = rec(this);
      v = toUSV(v);
      if (v === "") {
        r.fragment = null;
        stripOpaqueTrailingSpaces(r);
        return;
      }
      r.fragment = "";
      basicParse(v[0] === "#" ? v.slice(1) : v, null, r, FRAGMENT);
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }

  class URLSearchParams {
    constructor(init = "") {
      const list = [];
      PARAMS.set(this, { list, owner: null });
      if (init === null) {
        // Node treats null like undefined (WebIDL would give "null="); we follow Node.
      } else if (typeof init === "object" || typeof init === "function") {
        const iter = init[Symbol.iterator];
        if (iter !== undefined && iter !== null) {
          if (typeof iter !== "function") throw new TypeError("Query pairs must be iterable");
          for (const pair of init) {
            if (pair === null || (typeof pair !== "object" && typeof pair !== "function") || typeof pair[Symbol.iterator] !== "function") {
              throw new TypeError("Each query pair must be an iterable [name, value] tuple");
            }
            const kv = Array.from(pair);
            if (kv.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
            list.push([toUSV(kv[0]), toUSV(kv[1])]);
          }
        } else { // record<USVString, USVString>
          const seen = new Map();
          for (const key of Reflect.ownKeys(init)) {
            const d = Reflect.getOwnPropertyDescriptor(init, key);
            if (!d || !d.enumerable) continue;
            const k = toUSV(key), v = toUSV(init[key]);
            if (seen.has(k)) list[seen.get(k)][1] = v;
            else { seen.set(k, list.length); list.push([k, v]); }
          }
        }
      } else {
        const s = toUSV(init);
        replaceAll(list, formParse(s[0] === "?" ? s.slice(1) : s));
      }
    }
    get size() { return params(this).list.length; }
    append(name, value) {
      needArgs(arguments.length, 2, "URLSearchParams.append");
      const p = params(this);
      p.list.push([toUSV(name), toUSV(value)]);
      update(p);
    }
    delete(name, value = undefined) {
      needArgs(arguments.length, 1, "URLSearchParams.delete");
      const p = params(this), n = toUSV(name), v = value === undefined ? undefined : toUSV(value);
      const kept = p.list.filter(e => !(e[0] === n && (v === undefined || e[1] === v)));
      replaceAll(p.list, kept);
      update(p);
    }
    get(name) {
      needArgs(arguments.length, 1, "URLSearchParams.get");
      const n = toUSV(name), e = params(this).list.find(x => x[0] === n);
      return e ? e[1] : null;
    }
    getAll(name) {
      needArgs(arguments.length, 1, "URLSearchParams.getAll");
      const n = toUSV(name);
      return params(this).list.filter(x => x[0] === n).map(x => x[1]);
    }
    has(name, value = undefined) {
      needArgs(arguments.length, 1, "URLSearchParams.has");
      const n = toUSV(name), v = value === undefined ? undefined : toUSV(value);
      return params(this).list.some(e => e[0] === n && (v === undefined || e[1] === v));
    }
    set(name, value) {
      needArgs(arguments.length, 2, "URLSearchParams.set");
      const p = params(this), n = toUSV(name), v = toUSV(value);
      const i = p.list.findIndex(e => e[0] === n);
      if (i < 0) p.list.push([n, v]);
      else {
        p.list[i][1] = v;
        const kept = p.list.filter((e, j) => j <= i || e[0] !== n);
        replaceAll(p.list, kept);
      }
      update(p);
    }
    sort() { // stable, by UTF-16 code units of the name
      const p = params(this);
      p.list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      update(p);
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== "function") throw new TypeError('The "callback" argument must be of type function');
      const list = params(this).list;
      for (let i = 0; i < list.length; i++) callback.call(thisArg, list[i][1], list[i][0], this);
    }
    keys() { return listIterator(params(this).list, e => e[0]); }
    values() { return listIterator(params(this).list, e => e[1]); }
    entries() { return listIterator(params(this).list, e => [e[0], e[1]]); }
    toString() { return formSerialize(params(this).list); }
  }
  URLSearchParams.prototype[Symbol.iterator] = URLSearchParams.prototype.entries;
  function* listIterator(list, pick) { // live: sees pairs appended during iteration, like the standard
    for (let i = 0; i < list.length; i++) yield pick(list[i]);
  }
  function update(p) {
    if (!p.owner) return;
    const r = RECORDS.get(p.owner), s = formSerialize(p.list);
    r.query = s === "" ? null : s;
    if (s === "") stripOpaqueTrailingSpaces(r);
  }
  for (const C of [URL, URLSearchParams]) defineProperty(C.prototype, Symbol.toStringTag, { value: C.name, configurable: true });
  define("URL", URL);
  define("URLSearchParams", URLSearchParams);

  // ---------------------------------------------------------------- structuredClone
  const ERROR_TYPES = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const cloneError = (v, what) => domError(`${what} could not be cloned.`, "DataCloneError");
  const describe = v => {
    if (typeof v === "function") { try { return Function.prototype.toString.call(v); } catch { return "function"; } }
    if (typeof v === "symbol") return v.toString();
    return `#<${ctorName(v) || "Object"}>`;
  };
  const put = (o, k, v) => defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  const CLONEABLE = { Number: 1, String: 1, Boolean: 1, BigInt: 1, Date: 1, RegExp: 1, ArrayBuffer: 1, TypedArray: 1,
    DataView: 1, Map: 1, Set: 1, Error: 1, Array: 1, Object: 1 };
  function cloneBuffer(ab) {
    if (ab.resizable) {
      const out = new ArrayBuffer(ab.byteLength, { maxByteLength: ab.maxByteLength });
      new Uint8Array(out).set(new Uint8Array(ab));
      return out;
    }
    return ArrayBuffer.prototype.slice.call(ab, 0);
  }
  function cloneValue(v, memory) {
    if (typeof v === "symbol" || typeof v === "function") throw cloneError(v, describe(v));
    if (v === null || typeof v !== "object") return v;
    if (memory.has(v)) return memory.get(v);
    let out;
    const kind = RECORDS.has(v) || PARAMS.has(v) ? "URL" : classify(v);
    if (!Object.hasOwn(CLONEABLE, kind)) throw cloneError(v, describe(v));
    if (Object.hasOwn(TYPE_VALUEOF, kind)) out = Object(TYPE_VALUEOF[kind].call(v));
    else if (kind === "Date") out = new Date(Date.prototype.getTime.call(v));
    else if (kind === "RegExp") out = new RegExp(RE_SOURCE.call(v), RE_FLAGS.call(v));
    else if (kind === "ArrayBuffer") out = cloneBuffer(v);
    else if (kind === "TypedArray" || kind === "DataView") {
      const name = taName.call(v), buffer = cloneValue(v.buffer, memory);
      out = name ? new TYPED[name](buffer, v.byteOffset, v.length) : new DataView(buffer, v.byteOffset, v.byteLength);
    } else if (kind === "Map") {
      out = new Map();
      memory.set(v, out);
      for (const [k, x] of [...Map.prototype.entries.call(v)]) out.set(cloneValue(k, memory), cloneValue(x, memory));
    } else if (kind === "Set") {
      out = new Set();
      memory.set(v, out);
      for (const x of [...Set.prototype.values.call(v)]) out.add(cloneValue(x, memory));
    } else if (kind === "Error") {
      let name = v.name;
      if (!Object.hasOwn(ERROR_TYPES, name)) name = "Error";
      const md = getOwnPropertyDescriptor(v, "message");
      out = md && "value" in md ? new ERROR_TYPES[name](toStr(md.value)) : new ERROR_TYPES[name]();
      memory.set(v, out);
      const stack = v.stack;
      if (typeof stack === "string") defineProperty(out, "stack", { value: stack, writable: true, configurable: true });
      const cd = getOwnPropertyDescriptor(v, "cause");
      if (cd && "value" in cd) defineProperty(out, "cause", { value: cloneValue(cd.value, memory), writable: true, configurable: true });
    } else { // Array or plain object (class instances lose their prototype, as the standard says)
      out = Array.isArray(v) ? new Array(v.length) : {};
      memory.set(v, out);
      for (const k of Object.keys(v)) put(out, k, cloneValue(v[k], memory));
    }
    memory.set(v, out);
    return out;
  }
  define("structuredClone", function structuredClone(value, options = undefined) {
    needArgs(arguments.length, 1, "structuredClone");
    const memory = new Map(), transferred = [];
    const transfer = options === undefined || options === null ? undefined : options.transfer;
    if (transfer !== undefined) {
      for (const t of transfer) {
        if (!isArrayBuffer(t)) throw domError("Value not transferable", "DataCloneError");
        if (memory.has(t)) throw domError("ArrayBuffer is listed more than once in the transfer list", "DataCloneError");
        if (t.detached) throw domError("An ArrayBuffer is detached and could not be cloned.", "DataCloneError");
        memory.set(t, cloneBuffer(t)); // views in value re-point at the copy; the original is detached below
        transferred.push(t);
      }
    }
    const out = cloneValue(value, memory);
    for (const t of transferred) if (typeof t.transfer === "function") t.transfer();
    return out;
  });

  // ---------------------------------------------------------------- crypto
  const INTEGER_ARRAYS = new Set(["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
    "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"]);
  const cryptoObj = {
    getRandomValues(array) {
      needArgs(arguments.length, 1, "crypto.getRandomValues");
      if (!INTEGER_ARRAYS.has(taName.call(array))) {
        throw domError("The data argument must be an integer-type TypedArray", "TypeMismatchError");
      }
      if (array.byteLength > 65536) throw domError("The requested length exceeds 65,536 bytes", "QuotaExceededError");
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(host.randomBytes(array.byteLength));
      return array;
    },
    randomUUID() {
      const b = host.randomBytes(16);
      b[6] = (b[6] & 0x0f) | 0x40; // version 4
      b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
      let h = "";
      for (let i = 0; i < 16; i++) h += (b[i] < 16 ? "0" : "") + b[i].toString(16) + (i === 3 || i === 5 || i === 7 || i === 9 ? "-" : "");
      return h;
    },
  };
  define("crypto", cryptoObj);

  // ---------------------------------------------------------------- global, Buffer, process
  // Buffer and process are the built-in modules `buffer` and `process` (src/js/lib/node/), made on
  // the first touch of the global, so an app that never uses them pays nothing.
  define("global", globalThis);
  const requireBuiltin = globalThis.require;
  for (const [name, load] of [["Buffer", () => requireBuiltin("buffer").Buffer], ["process", () => requireBuiltin("process")]]) {
    defineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() { const value = load(); define(name, value); return value; },
      set(value) { define(name, value); },
    });
  }
  // crypto.subtle and the CryptoKey/SubtleCrypto classes are the built-in hbf:webcrypto
  // (src/js/lib/node/webcrypto.js), made on first touch like Buffer.
  defineProperty(cryptoObj, "subtle", { configurable: true, enumerable: true, get: () => requireBuiltin("hbf:webcrypto").subtle });
  for (const name of ["CryptoKey", "SubtleCrypto"]) {
    defineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() { const value = requireBuiltin("hbf:webcrypto")[name]; define(name, value); return value; },
      set(value) { define(name, value); },
    });
  }

  // ---------------------------------------------------------------- lazy web globals
  // fetch, streams, Blob, AbortController, ... live in built-in modules (src/js/lib/web/),
  // compiled once per process and instantiated in a context the first time app code touches
  // one of these names, so an app that never does pays nothing.
  const LAZY_GLOBALS = {
    "hbf:web/events": ["Event", "CustomEvent", "EventTarget", "AbortController", "AbortSignal"],
    "hbf:web/streams": ["ReadableStream", "ReadableStreamDefaultReader", "WritableStream",
      "WritableStreamDefaultWriter", "TransformStream", "TextEncoderStream", "TextDecoderStream",
      "ByteLengthQueuingStrategy", "CountQueuingStrategy"],
    "hbf:web/blob": ["Blob", "File", "FormData"],
    "hbf:web/fetch": ["fetch", "Headers", "Request", "Response"],
  };
  for (const mod of Object.keys(LAZY_GLOBALS)) {
    for (const name of LAZY_GLOBALS[mod]) {
      if (typeof globalThis[name] !== "undefined" || typeof requireBuiltin !== "function") continue;
      defineProperty(globalThis, name, {
        configurable: true, enumerable: false,
        get() { const v = requireBuiltin(mod)[name]; define(name, v); return v; },
        set(v) { define(name, v); },
      });
    }
  }
})();
