'use strict';
// hbf:node-errors — Node's error shapes for the built-in modules: the `code` property, the
// class (TypeError, RangeError, …), and messages worded as Node 20 words them
// (ERR_INVALID_ARG_TYPE's "must be of type … Received …", ERR_OUT_OF_RANGE, …). Internal:
// apps reach it only by this name, which Node does not have.

const CLASSES = ['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol'];

function withCode(Base, code, message) {
  const e = new Base(message);
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return e;
}

// A short rendering of a primitive, as util.inspect gives it.
function show(v) {
  if (typeof v === 'string') {
    const q = v.includes("'") ? (v.includes('"') ? (v.includes('`') ? "'" : '`') : '"') : "'";
    return q + v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(new RegExp(q, 'g'), q === "'" ? "\\'" : q) + q;
  }
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function addSeparators(s) {
  let res = '';
  let i = s.length;
  const start = s[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${s.slice(i - 3, i)}${res}`;
  return `${s.slice(0, i)}${res}`;
}

function determineSpecificType(value) {
  if (value == null) return '' + value;
  if (typeof value === 'function' && value.name) return `function ${value.name}`;
  if (typeof value === 'object') {
    if (value.constructor && value.constructor.name) return `an instance of ${value.constructor.name}`;
    try { return require('util').inspect(value, { depth: -1 }); } catch { return '[Object: null prototype]'; }
  }
  if (typeof value === 'function') return 'function ';
  let inspected = show(value);
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;
  return `type ${typeof value} (${inspected})`;
}

function invalidArgType(name, expected, actual) {
  if (!Array.isArray(expected)) expected = [expected];
  let msg = name.endsWith(' argument') ? `The ${name} ` : `The "${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  msg += 'must be ';
  const types = [], instances = [], other = [];
  for (const value of expected) {
    if (CLASSES.includes(value)) types.push(value.toLowerCase());
    else if (/^[A-Z][a-zA-Z0-9]*$/.test(value)) instances.push(value);
    else other.push(value);
  }
  if (instances.length > 0) {
    const pos = types.indexOf('object');
    if (pos !== -1) { types.splice(pos, 1); instances.push('Object'); }
  }
  if (types.length > 0) {
    if (types.length > 2) { const last = types.pop(); msg += `one of type ${types.join(', ')}, or ${last}`; }
    else if (types.length === 2) msg += `one of type ${types[0]} or ${types[1]}`;
    else msg += `of type ${types[0]}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    if (instances.length > 2) { const last = instances.pop(); msg += `an instance of ${instances.join(', ')}, or ${last}`; }
    else { msg += `an instance of ${instances[0]}`; if (instances.length === 2) msg += ` or ${instances[1]}`; }
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 2) { const last = other.pop(); msg += `one of ${other.join(', ')}, or ${last}`; }
    else if (other.length === 2) msg += `one of ${other[0]} or ${other[1]}`;
    else { if (other[0].toLowerCase() !== other[0]) msg += 'an '; msg += other[0]; }
  }
  msg += `. Received ${determineSpecificType(actual)}`;
  return withCode(TypeError, 'ERR_INVALID_ARG_TYPE', msg);
}

function outOfRange(name, range, input) {
  let received;
  if (Number.isInteger(input) && Math.abs(input) > 2 ** 32) received = addSeparators(String(input));
  else if (typeof input === 'bigint') {
    received = String(input);
    if (input > 2n ** 32n || input < -(2n ** 32n)) received = addSeparators(received);
    received += 'n';
  } else received = typeof input === 'number' || typeof input !== 'object' ? show(input) : determineSpecificType(input);
  return withCode(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
}

function invalidArgValue(name, value, reason = 'is invalid') {
  let inspected;
  try { inspected = typeof value === 'object' || typeof value === 'function' ? require('util').inspect(value) : show(value); } catch { inspected = String(value); }
  if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`;
  const type = name.includes('.') ? 'property' : 'argument';
  return withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${type} '${name}' ${reason}. Received ${inspected}`);
}

function unavailable(module, name) {
  return function () {
    throw withCode(Error, 'ERR_HBF_UNAVAILABLE', `${module}.${name} is not available in HBF`);
  };
}

function validateFunction(v, name) { if (typeof v !== 'function') throw invalidArgType(name, 'Function', v); }
function validateString(v, name) { if (typeof v !== 'string') throw invalidArgType(name, 'string', v); }
function validateObject(v, name, nullable) {
  if ((v === null && !nullable) || (v !== null && typeof v !== 'object') || Array.isArray(v)) throw invalidArgType(name, 'Object', v);
}
function validateNumber(v, name, min, max) {
  if (typeof v !== 'number') throw invalidArgType(name, 'number', v);
  if ((min != null && v < min) || (max != null && v > max) || ((min != null || max != null) && Number.isNaN(v))) {
    throw outOfRange(name, `${min != null ? `>= ${min}` : ''}${min != null && max != null ? ' && ' : ''}${max != null ? `<= ${max}` : ''}`, v);
  }
}
function validateInteger(v, name, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  if (typeof v !== 'number') throw invalidArgType(name, 'number', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < min || v > max) throw outOfRange(name, `>= ${min} && <= ${max}`, v);
}
function abortError(cause) {
  const e = new Error('The operation was aborted', cause !== undefined ? { cause } : undefined);
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  return e;
}

module.exports = {
  withCode, show, determineSpecificType, invalidArgType, outOfRange, invalidArgValue, unavailable,
  validateFunction, validateString, validateObject, validateNumber, validateInteger, abortError, addSeparators,
};
