'use strict';
// node:util — format/formatWithOptions (the prelude's port of Node's, over this inspect),
// inspect (Node's layout: depth 2, breakLength 80, compact 3 with grouping of long arrays of
// short items, <ref *1>/[Circular *1], [Getter], class/null-prototype prefixes, Symbol.toStringTag,
// custom inspect functions via util.inspect.custom, Buffer's <Buffer ..>), promisify (with
// util.promisify.custom), callbackify, inherits, deprecate (warns once per code), types,
// isDeepStrictEqual, TextEncoder/TextDecoder, debuglog/debug (NODE_DEBUG in process.env),
// the legacy is* helpers, stripVTControlCharacters, toUSVString, aborted, getSystemErrorName,
// parseArgs (the common subset).
// Left out: colors (accepted, ignored), showProxy (QuickJS cannot see through Proxies), promise
// states (shown as <unknown>: not observable from JS in QuickJS), MIMEType, styleText.

const { withCode, invalidArgType, validateFunction } = require('hbf:node-errors');
const types = require('hbf:node-types');

const customInspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const inspectDefaultOptions = {
  showHidden: false, depth: 2, colors: false, customInspect: true, showProxy: false, maxArrayLength: 100,
  maxStringLength: 10000, breakLength: 80, compact: 3, sorted: false, getters: false, numericSeparator: false,
};

// ---------------------------------------------------------------- inspect
// Strings quoted and escaped as Node does (the prelude's, shared with console.log).
const { format: formatImpl, quote: strEscape } = require('hbf:format');
const KEY_RE = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const fmtKey = (k) => (typeof k === 'symbol' ? `[${k.toString()}]` : KEY_RE.test(k) ? k : strEscape(k));
const fmtNumber = (n, sep) => {
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  if (!sep || !Number.isInteger(n)) return s;
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, '_');
};

function inspect(value, opts) {
  const ctx = {
    budget: {}, indentationLvl: 0, seen: [], currentDepth: 0, circular: new Map(),
    ...inspectDefaultOptions,
  };
  if (arguments.length > 1) {
    if (arguments.length > 2 && arguments[2] !== undefined) ctx.depth = arguments[2];
    if (arguments.length > 3 && arguments[3] !== undefined) ctx.colors = arguments[3];
    if (typeof opts === 'boolean') ctx.showHidden = opts;
    else if (opts) {
      for (const key of Object.keys(opts)) {
        if (Object.prototype.hasOwnProperty.call(inspectDefaultOptions, key) || key === 'stylize') ctx[key] = opts[key];
        else if (ctx.userOptions === undefined) ctx.userOptions = opts;
      }
    }
  }
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  if (ctx.depth === null) ctx.depth = Infinity;
  return formatValue(ctx, value, 0, true);
}
inspect.custom = customInspectSymbol;
Object.defineProperty(inspect, 'defaultOptions', {
  get() { return inspectDefaultOptions; },
  set(options) { if (options === null || typeof options !== 'object') throw invalidArgType('options', 'Object', options); Object.assign(inspectDefaultOptions, options); },
});
inspect.colors = Object.assign(Object.create(null), { bold: [1, 22], italic: [3, 23], underline: [4, 24], inverse: [7, 27],
  white: [37, 39], grey: [90, 39], black: [30, 39], blue: [34, 39], cyan: [36, 39], green: [32, 39], magenta: [35, 39], red: [31, 39], yellow: [33, 39] });
inspect.styles = Object.assign(Object.create(null), { special: 'cyan', number: 'yellow', bigint: 'yellow', boolean: 'yellow',
  undefined: 'grey', null: 'bold', string: 'green', symbol: 'green', date: 'magenta', regexp: 'red', module: 'underline' });

function formatPrimitive(ctx, value) {
  switch (typeof value) {
    case 'string': {
      let trailer = '';
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = value.slice(0, ctx.maxStringLength);
        trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
      }
      if (ctx.compact !== true && value.length > 16 && value.length > ctx.breakLength - ctx.indentationLvl - 4) {
        return value.split(/(?<=\n)/).map((line) => strEscape(line)).join(` +\n${' '.repeat(ctx.indentationLvl + 2)}`) + trailer;
      }
      return strEscape(value) + trailer;
    }
    case 'number': return fmtNumber(value, ctx.numericSeparator);
    case 'bigint': return `${value}n`;
    case 'symbol': return value.toString();
    default: return String(value);
  }
}

function getCtorName(obj) {
  let o = obj;
  while (o !== null && o !== undefined) {
    const d = Object.getOwnPropertyDescriptor(o, 'constructor');
    if (d !== undefined && typeof d.value === 'function' && d.value.name !== '' && isInstanceof(obj, d.value)) return d.value.name;
    o = Object.getPrototypeOf(o);
  }
  return null;
}
function isInstanceof(o, C) { try { return o instanceof C; } catch { return false; } }

function formatValue(ctx, value, recurseTimes, typedArray) {
  if (typeof value !== 'object' && typeof value !== 'function') return formatPrimitive(ctx, value);
  if (value === null) return 'null';
  if (ctx.customInspect) {
    let maybeCustom;
    try { maybeCustom = value[customInspectSymbol]; } catch { maybeCustom = undefined; }
    if (typeof maybeCustom === 'function' && maybeCustom !== inspect) {
      const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
      const opts = { ...inspectDefaultOptions, ...ctx, ...(ctx.userOptions || {}) };
      for (const k of ['budget', 'indentationLvl', 'seen', 'currentDepth', 'circular', 'userOptions']) delete opts[k];
      opts.stylize = (s) => s;
      const ret = maybeCustom.call(value, depth, opts, inspect);
      if (ret !== value) {
        if (typeof ret !== 'string') return formatValue(ctx, ret, recurseTimes);
        return ret.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
      }
    }
  }
  if (ctx.seen.includes(value)) {
    let index = 1;
    if (!ctx.circular.has(value)) { index = ctx.circular.size + 1; ctx.circular.set(value, index); }
    else index = ctx.circular.get(value);
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

function getPrefix(constructor, tag, fallback, size = '') {
  if (constructor === null) {
    if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function getKeys(value, showHidden) {
  let keys;
  const symbols = Object.getOwnPropertySymbols(value);
  if (showHidden) {
    keys = Object.getOwnPropertyNames(value);
    if (symbols.length !== 0) keys.push(...symbols);
  } else {
    keys = Object.keys(value);
    for (const s of symbols) if (Object.prototype.propertyIsEnumerable.call(value, s)) keys.push(s);
  }
  return keys;
}

function fnBase(value, constructor, tag) {
  let src = '';
  try { src = Function.prototype.toString.call(value); } catch { /* native */ }
  if (src.startsWith('class') && /^class(?:\s|\{|$)/.test(src)) {
    let base = `[class ${value.name || '(anonymous)'}`;
    if (constructor !== 'Function' && constructor !== null) base += ` [${constructor}]`;
    if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
    if (constructor !== null) {
      const sup = Object.getPrototypeOf(value);
      if (sup && sup.name) base += ` extends ${sup.name}`;
    } else base += ' extends [null prototype]';
    return base + ']';
  }
  let type = 'Function';
  if (types.isGeneratorFunction(value)) type = `Generator${type}`;
  if (types.isAsyncFunction(value)) type = `Async${type}`;
  let base = `[${type}`;
  if (constructor === null) base += ' (null prototype)';
  base += value.name === '' ? ' (anonymous)' : `: ${value.name}`;
  base += ']';
  if (constructor !== type && constructor !== null) base += ` ${constructor}`;
  if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function formatError(err, constructor, tag, ctx, keys) {
  let name = 'Error', message = '', stack;
  try { name = err.name != null ? String(err.name) : 'Error'; } catch { /* getter */ }
  try { message = err.message != null ? String(err.message) : ''; } catch { /* getter */ }
  try { stack = err.stack; } catch { /* getter */ }
  const head = message ? `${name}: ${message}` : name;
  for (const k of ['name', 'message', 'stack']) {
    const i = keys.indexOf(k);
    if (i !== -1 && (k !== 'name' || true)) {
      const d = Object.getOwnPropertyDescriptor(err, k);
      if (d && typeof d.value === 'string' && (k !== 'name' || head.includes(d.value))) keys.splice(i, 1);
    }
  }
  if (typeof stack !== 'string' || stack === '') return `[${head}]`;
  stack = stack.replace(/\s+$/, '');
  // V8 stacks start with "Name: message", QuickJS stacks are the frames only.
  let out = stack.startsWith(head) || stack.startsWith(name) ? stack : `${head}\n${stack}`;
  if (ctx.indentationLvl !== 0) out = out.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
  return out;
}

const kObjectType = 0, kArrayType = 1, kArrayExtrasType = 2;

function formatRaw(ctx, value, recurseTimes, typedArray) {
  let keys, protoProps;
  const constructor = getCtorName(value);
  let tag = '';
  try { tag = value[Symbol.toStringTag]; } catch { tag = ''; }
  if (typeof tag !== 'string' || (tag !== '' && (ctx.showHidden ? Object.prototype.hasOwnProperty : Object.prototype.propertyIsEnumerable).call(value, Symbol.toStringTag))) tag = '';
  let base = '', formatter = getEmptyFormatArray, braces, noIterator = true, i = 0;
  let extrasType = kObjectType;
  const filterNonIndex = (ks) => ks.filter((k) => typeof k === 'symbol' || !/^(0|[1-9]\d*)$/.test(k));

  if (Symbol.iterator in value || constructor === null) {
    noIterator = false;
    if (Array.isArray(value)) {
      const prefix = (constructor !== 'Array' || tag !== '') ? getPrefix(constructor, tag, 'Array', `(${value.length})`) : '';
      keys = filterNonIndex(getKeys(value, ctx.showHidden));
      braces = [`${prefix}[`, ']'];
      if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
    } else if (types.isSet(value)) {
      const size = Set.prototype[Symbol.iterator] && value.size;
      const prefix = getPrefix(constructor, tag, 'Set', `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = formatSet.bind(null, value);
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
    } else if (types.isMap(value)) {
      const size = value.size;
      const prefix = getPrefix(constructor, tag, 'Map', `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = formatMap.bind(null, value);
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
    } else if (types.isTypedArray(value)) {
      keys = filterNonIndex(getKeys(value, ctx.showHidden));
      const fallback = types.typedArrayName(value);
      const size = value.length;
      const prefix = getPrefix(constructor, tag, fallback, `(${size})`);
      braces = [`${prefix}[`, ']'];
      if (value.length === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
      formatter = formatTypedArray.bind(null, value, size);
      extrasType = kArrayExtrasType;
    } else if (types.isMapIterator(value) || types.isSetIterator(value)) {
      keys = getKeys(value, ctx.showHidden);
      braces = [`[${tag}] {`, '}'];
      formatter = () => ['<items unknown>'];
    } else {
      noIterator = true;
    }
  }
  if (noIterator) {
    keys = getKeys(value, ctx.showHidden);
    braces = ['{', '}'];
    if (constructor === 'Object') {
      if (types.isArgumentsObject(value)) braces[0] = '[Arguments] [';
      else if (tag !== '') braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
      if (types.isArgumentsObject(value)) {
        keys = filterNonIndex(keys).filter((k) => k !== 'length');
        braces[1] = ']';
        extrasType = kArrayExtrasType;
        formatter = formatArray;
        if (value.length === 0 && keys.length === 0) return '[Arguments] []';
      } else if (keys.length === 0) return `${braces[0]}}`;
    } else if (typeof value === 'function') {
      base = fnBase(value, constructor, tag);
      keys = keys.filter((k) => k !== 'prototype' || ctx.showHidden);
      if (keys.length === 0) return base;
    } else if (types.isRegExp(value)) {
      base = RegExp.prototype.toString.call(constructor !== null ? value : new RegExp(value));
      const prefix = getPrefix(constructor, tag, 'RegExp');
      if (prefix !== 'RegExp ') base = `${prefix}${base}`;
      keys = keys.filter((k) => k !== 'lastIndex');
      if (keys.length === 0 || recurseTimes > ctx.depth) return base;
    } else if (types.isDate(value)) {
      const t = Date.prototype.getTime.call(value);
      base = Number.isNaN(t) ? Date.prototype.toString.call(value) : Date.prototype.toISOString.call(value);
      const prefix = getPrefix(constructor, tag, 'Date');
      if (prefix !== 'Date ') base = `${prefix}${base}`;
      if (keys.length === 0) return base;
    } else if (types.isNativeError(value) || value instanceof Error) {
      base = formatError(value, constructor, tag, ctx, keys);
      if (keys.length === 0) return base;
    } else if (types.isAnyArrayBuffer(value)) {
      const arrayType = types.isArrayBuffer(value) ? 'ArrayBuffer' : 'SharedArrayBuffer';
      const prefix = getPrefix(constructor, tag, arrayType);
      if (typedArray === undefined) formatter = formatArrayBuffer;
      else if (keys.length === 0) return prefix + `{ byteLength: ${value.byteLength} }`;
      braces[0] = `${prefix}{`;
      keys.unshift('byteLength');
    } else if (types.isDataView(value)) {
      braces[0] = `${getPrefix(constructor, tag, 'DataView')}{`;
      keys.unshift('byteLength', 'byteOffset', 'buffer');
    } else if (types.isPromise(value)) {
      braces[0] = `${getPrefix(constructor, tag, 'Promise')}{`;
      formatter = () => ['<unknown>'];
    } else if (types.isWeakSet(value)) {
      braces[0] = `${getPrefix(constructor, tag, 'WeakSet')}{`;
      formatter = () => ['<items unknown>'];
    } else if (types.isWeakMap(value)) {
      braces[0] = `${getPrefix(constructor, tag, 'WeakMap')}{`;
      formatter = () => ['<items unknown>'];
    } else if (types.isBoxedPrimitive(value)) {
      let type, fmt;
      if (types.isNumberObject(value)) { type = 'Number'; fmt = fmtNumber(Number.prototype.valueOf.call(value)); }
      else if (types.isStringObject(value)) {
        type = 'String'; fmt = strEscape(String.prototype.valueOf.call(value));
        keys = filterNonIndex(keys).filter((k) => k !== 'length');
      } else if (types.isBooleanObject(value)) { type = 'Boolean'; fmt = String(Boolean.prototype.valueOf.call(value)); }
      else if (types.isBigIntObject(value)) { type = 'BigInt'; fmt = `${BigInt.prototype.valueOf.call(value)}n`; }
      else { type = 'Symbol'; fmt = Symbol.prototype.toString.call(value); }
      base = `[${type}`;
      if (type !== constructor) base += constructor === null ? ' (null prototype)' : ` (${constructor})`;
      base += `: ${fmt}]`;
      if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
      if (keys.length === 0) return base;
    } else {
      if (keys.length === 0) return `${getCtorName(value) === null ? '[Object: null prototype] ' : `${constructor} `}${tag !== '' && tag !== constructor ? `[${tag}] ` : ''}{}`.replace(/^Object \{\}$/, '{}');
      braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
    }
  }

  if (recurseTimes > ctx.depth && ctx.depth !== null) {
    let name = (constructor || tag || 'Object');
    if (constructor === null) name = '[Object: null prototype]';
    else name = name === 'Object' && Array.isArray(value) ? 'Array' : name;
    return `[${Array.isArray(value) ? (constructor === 'Array' ? 'Array' : constructor) : name}]`;
  }
  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output;
  try {
    output = formatter(ctx, value, recurseTimes);
    for (i = 0; i < keys.length; i++) output.push(formatProperty(ctx, value, recurseTimes, keys[i], extrasType));
  } finally {
    ctx.seen.pop();
  }
  if (ctx.circular.size !== 0) {
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const reference = `<ref *${index}>`;
      if (ctx.compact !== true) base = base === '' ? reference : `${reference} ${base}`;
      else braces[0] = `${reference} ${braces[0]}`;
    }
  }
  if (ctx.sorted) {
    const cmp = ctx.sorted === true ? undefined : ctx.sorted;
    if (extrasType === kObjectType) output.sort(cmp);
  }
  const res = reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
  const budget = ctx.budget[ctx.indentationLvl] || 0;
  const newLength = budget + res.length;
  ctx.budget[ctx.indentationLvl] = newLength;
  return res;
}

function getEmptyFormatArray() { return []; }

function formatArrayBuffer(ctx, value) {
  const bytes = new Uint8Array(value);
  let str = '';
  const n = Math.min(ctx.maxArrayLength, bytes.length);
  for (let i = 0; i < n; i++) str += (i ? ' ' : '') + bytes[i].toString(16).padStart(2, '0');
  const remaining = bytes.length - ctx.maxArrayLength;
  if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
  return [`[Uint8Contents]: <${str}>`];
}

function formatArray(ctx, value, recurseTimes) {
  const valLen = value.length;
  const len = Math.min(Math.max(0, ctx.maxArrayLength), valLen);
  const remaining = valLen - len;
  const output = [];
  for (let i = 0; i < len; i++) {
    if (!Object.prototype.hasOwnProperty.call(value, i)) return formatArrayHoles(ctx, value, recurseTimes, len, output, i);
    output.push(formatProperty(ctx, value, recurseTimes, i, kArrayExtrasType));
  }
  if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
  return output;
}
function formatArrayHoles(ctx, value, recurseTimes, len, output, i) {
  let holes = 0;
  for (; i < value.length && output.length < len; i++) {
    if (!Object.prototype.hasOwnProperty.call(value, i)) { holes++; continue; }
    if (holes) { output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`); holes = 0; }
    output.push(formatProperty(ctx, value, recurseTimes, i, kArrayExtrasType));
  }
  if (holes) output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
  const remaining = value.length - i;
  if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
  return output;
}
function formatTypedArray(value, length, ctx, ignored, recurseTimes) {
  const maxLength = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const remaining = value.length - maxLength;
  const output = new Array(maxLength);
  for (let i = 0; i < maxLength; ++i) output[i] = formatPrimitive(ctx, value[i]);
  if (remaining > 0) output[maxLength] = `... ${remaining} more item${remaining > 1 ? 's' : ''}`;
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ['BYTES_PER_ELEMENT', 'length', 'byteLength', 'byteOffset', 'buffer']) {
      output.push(`[${key}]: ${formatValue(ctx, value[key], recurseTimes, true)}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}
function formatSet(value, ctx, ignored, recurseTimes) {
  const output = [];
  ctx.indentationLvl += 2;
  for (const v of value) output.push(formatValue(ctx, v, recurseTimes));
  ctx.indentationLvl -= 2;
  return output;
}
function formatMap(value, ctx, ignored, recurseTimes) {
  const output = [];
  ctx.indentationLvl += 2;
  for (const [k, v] of value) output.push(`${formatValue(ctx, k, recurseTimes)} => ${formatValue(ctx, v, recurseTimes)}`);
  ctx.indentationLvl -= 2;
  return output;
}

function formatProperty(ctx, value, recurseTimes, key, type) {
  let name, str;
  const desc = Object.getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
  if (desc.value !== undefined) {
    const diff = ctx.compact !== true || type !== kObjectType ? 2 : 3;
    ctx.indentationLvl += diff;
    str = formatValue(ctx, desc.value, recurseTimes);
    ctx.indentationLvl -= diff;
  } else if (desc.get !== undefined) {
    const label = desc.set !== undefined ? 'Getter/Setter' : 'Getter';
    if (ctx.getters && (ctx.getters === true || (ctx.getters === 'get' && desc.set === undefined) || (ctx.getters === 'set' && desc.set !== undefined))) {
      try {
        const tmp = desc.get.call(value);
        ctx.indentationLvl += 2;
        str = tmp === null ? `[${label}: null]` : typeof tmp === 'object' ? `[${label}] ${formatValue(ctx, tmp, recurseTimes)}` : `[${label}: ${formatPrimitive(ctx, tmp)}]`;
        ctx.indentationLvl -= 2;
      } catch (err) {
        str = `[${label}: <Inspection threw (${err.message})>]`;
      }
    } else str = `[${label}]`;
  } else if (desc.set !== undefined) {
    str = '[Setter]';
  } else {
    str = 'undefined';
  }
  if (type === kArrayExtrasType && typeof key === 'number') return str;
  if (typeof key === 'symbol') name = `[${key.toString()}]`;
  else if (key === '__proto__') name = "['__proto__']";
  else if (desc.enumerable === false) name = `[${KEY_RE.test(key) ? key : strEscape(key)}]`;
  else name = fmtKey(key);
  return `${name}: ${str}`;
}

function isBelowBreakLength(ctx, output, start, base) {
  let totalLength = output.length + start;
  if (totalLength + output.length > ctx.breakLength) return false;
  for (let i = 0; i < output.length; i++) {
    totalLength += output[i].length;
    if (totalLength > ctx.breakLength) return false;
  }
  return base === '' || !base.includes('\n');
}

function groupArrayElements(ctx, output, value) {
  let totalLength = 0, maxLength = 0, i = 0;
  let outputLength = output.length;
  if (ctx.maxArrayLength < output.length) outputLength--;
  const separatorSpace = 2;
  const dataLen = new Array(outputLength);
  for (; i < outputLength; i++) {
    const len = output[i].length;
    dataLen[i] = len;
    totalLength += len + separatorSpace;
    if (maxLength < len) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength && (totalLength / actualMax > 5 || maxLength <= 6)) {
    const averageBias = Math.sqrt(actualMax - totalLength / output.length);
    const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
    const columns = Math.min(
      Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
      Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      ctx.compact * 4,
      15);
    if (columns <= 1) return output;
    const tmp = [];
    const maxLineLength = [];
    for (let c = 0; c < columns; c++) {
      let lineLength = 0;
      for (let j = c; j < output.length; j += columns) if (dataLen[j] > lineLength) lineLength = dataLen[j];
      maxLineLength.push(lineLength + separatorSpace);
    }
    let padStart = true;
    if (value !== undefined) {
      for (let k = 0; k < output.length; k++) {
        if (typeof value[k] !== 'number' && typeof value[k] !== 'bigint') { padStart = false; break; }
      }
    }
    for (let r = 0; r < outputLength; r += columns) {
      const max = Math.min(r + columns, outputLength);
      let str = '';
      let j = r;
      for (; j < max - 1; j++) {
        const padding = maxLineLength[j - r];
        str += padStart ? `${output[j]}, `.padStart(padding, ' ') : `${output[j]}, `.padEnd(padding, ' ');
      }
      if (padStart) str += output[j].padStart(maxLineLength[j - r] - separatorSpace, ' ');
      else str += output[j];
      tmp.push(str);
    }
    if (ctx.maxArrayLength < output.length) tmp.push(output[outputLength]);
    output = tmp;
  }
  return output;
}

function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
      const entries = output.length;
      if (extrasType === kArrayExtrasType && entries > 6) output = groupArrayElements(ctx, output, value);
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (isBelowBreakLength(ctx, output, start, base)) {
          const joined = output.join(', ');
          if (!joined.includes('\n')) return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
        }
      }
    }
    const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }
  if (isBelowBreakLength(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ''} ${output.join(', ')} ${braces[1]}`;
  }
  const indentation = ' '.repeat(ctx.indentationLvl);
  const ln = base === '' && braces[0].length === 1 ? ' ' : `${base ? ` ${base}` : ''}\n${indentation}  `;
  return `${braces[0]}${ln}${output.join(`,\n${indentation}  `)} ${braces[1]}`;
}

// ---------------------------------------------------------------- format
function format(...args) { return formatImpl(args, inspect); }
function formatWithOptions(inspectOptions, ...args) {
  if (typeof inspectOptions !== 'object' || inspectOptions === null) throw invalidArgType('inspectOptions', 'object', inspectOptions);
  return formatImpl(args, (v, o) => inspect(v, { ...inspectOptions, ...o }));
}

// ---------------------------------------------------------------- promisify / callbackify
const kCustomPromisified = Symbol.for('nodejs.util.promisify.custom');
function promisify(original) {
  validateFunction(original, 'original');
  if (original[kCustomPromisified]) {
    const fn = original[kCustomPromisified];
    validateFunction(fn, 'util.promisify.custom');
    return Object.defineProperty(fn, kCustomPromisified, { value: fn, enumerable: false, writable: false, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, ...values) => {
        if (err) return reject(err);
        resolve(values[0]);
      }]);
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, kCustomPromisified, { value: fn, enumerable: false, writable: false, configurable: true });
  const descriptors = Object.getOwnPropertyDescriptors(original);
  for (const k of Reflect.ownKeys(descriptors)) if (k !== 'length' && k !== 'name' && k !== 'prototype') Object.defineProperty(fn, k, descriptors[k]);
  return fn;
}
promisify.custom = kCustomPromisified;

function callbackify(original) {
  validateFunction(original, 'original');
  function callbackified(...args) {
    const maybeCb = args.pop();
    validateFunction(maybeCb, 'last argument');
    const cb = maybeCb.bind(this);
    Reflect.apply(original, this, args).then(
      (ret) => queueMicrotask(() => cb(null, ret)),
      (rej) => queueMicrotask(() => {
        if (!rej) {
          const e = withCode(Error, 'ERR_FALSY_VALUE_REJECTION', 'Promise was rejected with falsy value');
          e.reason = rej;
          rej = e;
        }
        cb(rej);
      }));
  }
  const descriptors = Object.getOwnPropertyDescriptors(original);
  if (typeof descriptors.length.value === 'number') descriptors.length.value++;
  if (typeof descriptors.name.value === 'string') descriptors.name.value += 'Callbackified';
  const { length, name } = descriptors;
  Object.defineProperties(callbackified, { length, name });
  return callbackified;
}

// ---------------------------------------------------------------- misc
function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw invalidArgType('ctor', 'Function', ctor);
  if (superCtor === undefined || superCtor === null) throw invalidArgType('superCtor', 'Function', superCtor);
  if (superCtor.prototype === undefined) throw invalidArgType('superCtor.prototype', 'Object', superCtor.prototype);
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const deprecatedCodes = new Set();
function deprecate(fn, msg, code) {
  validateFunction(fn, 'fn');
  if (typeof process !== 'undefined' && process.noDeprecation === true) return fn;
  let warned = false;
  function deprecated(...args) {
    if (!warned && !(code !== undefined && deprecatedCodes.has(code))) {
      warned = true;
      if (code !== undefined) deprecatedCodes.add(code);
      process.emitWarning(msg, 'DeprecationWarning', code);
    }
    if (new.target) return Reflect.construct(fn, args, new.target);
    return Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

const debugs = {};
let debugEnvRe;
function debuglog(set, cb) {
  set = set.toUpperCase();
  let fn;
  function logger(...args) {
    if (fn === undefined) {
      if (debugEnvRe === undefined) {
        const env = (typeof process !== 'undefined' && process.env.NODE_DEBUG) || '';
        debugEnvRe = env ? new RegExp(`^(${env.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*').replace(/,/g, '$|^')})$`, 'i') : null;
      }
      if (debugEnvRe && debugEnvRe.test(set)) {
        fn = (...a) => console.error('%s %d: %s', set, 1, format(...a));
        debugs[set] = true;
      } else fn = () => {};
      if (typeof cb === 'function') cb(fn);
    }
    fn(...args);
  }
  Object.defineProperty(logger, 'enabled', {
    get() { if (fn === undefined) logger.call(null); return debugs[set] === true; },
    configurable: true,
  });
  return logger;
}

function isDeepStrictEqual(a, b) { return require('hbf:node-compare').isDeepStrictEqual(a, b); }

const ANSI_RE = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d\/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d\/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;
function stripVTControlCharacters(str) {
  if (typeof str !== 'string') throw invalidArgType('str', 'string', str);
  return str.replace(ANSI_RE, '');
}
function toUSVString(s) { s = `${s}`; return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s; }
function getSystemErrorName(n) { return { '-2': 'ENOENT', '-13': 'EACCES', '-17': 'EEXIST', '-22': 'EINVAL' }[n] || `Unknown system error ${n}`; }
function aborted(signal, resource) {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function parseArgs(config = {}) {
  const args = config.args || [];
  const options = config.options || {};
  const values = { __proto__: null };
  const positionals = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') { positionals.push(...args.slice(i + 1)); break; }
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s);
      const opt = options[name] || {};
      let v = true;
      if (opt.type === 'string') v = inline !== undefined ? inline : args[++i];
      if (opt.multiple) (values[name] || (values[name] = [])).push(v); else values[name] = v;
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (const [name, opt] of Object.entries(options)) {
        if (opt.short === arg[1]) { values[name] = opt.type === 'string' ? (arg.length > 2 ? arg.slice(2) : args[++i]) : true; }
      }
    } else positionals.push(arg);
  }
  for (const [name, opt] of Object.entries(options)) if (values[name] === undefined && opt.default !== undefined) values[name] = opt.default;
  return { values, positionals };
}

module.exports = {
  format,
  formatWithOptions,
  inspect,
  promisify,
  callbackify,
  inherits,
  deprecate,
  debuglog,
  debug: debuglog,
  isDeepStrictEqual,
  types,
  TextEncoder: globalThis.TextEncoder,
  TextDecoder: globalThis.TextDecoder,
  stripVTControlCharacters,
  toUSVString,
  getSystemErrorName,
  aborted,
  parseArgs,
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === 'boolean',
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v == null,
  isNumber: (v) => typeof v === 'number',
  isString: (v) => typeof v === 'string',
  isSymbol: (v) => typeof v === 'symbol',
  isUndefined: (v) => v === undefined,
  isRegExp: types.isRegExp,
  isObject: (v) => v !== null && typeof v === 'object',
  isDate: types.isDate,
  isError: (v) => types.isNativeError(v) || v instanceof Error,
  isFunction: (v) => typeof v === 'function',
  isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
  isBuffer: (v) => require('buffer').Buffer.isBuffer(v),
  log: (...args) => console.log('%s - %s', new Date().toISOString(), format(...args)),
  _extend: (target, source) => { if (source !== null && typeof source === 'object') for (const k of Object.keys(source)) target[k] = source[k]; return target; },
};
