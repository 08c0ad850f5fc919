'use strict';
// Deep equality as Node's assert.deepStrictEqual / deepEqual and util.isDeepStrictEqual define
// it: strict mode compares with Object.is, prototypes and [[Class]]; loose mode with == for
// primitives. Dates, RegExps (source, flags, lastIndex), boxed primitives, errors (name,
// message), typed arrays and ArrayBuffers by content, Maps and Sets regardless of order (deep
// keys matched pairwise), own enumerable string keys (and enumerable symbols in strict mode),
// cycles. Internal to the built-ins (hbf:node-compare).

const types = require('hbf:node-types');

const kStrict = true, kLoose = false;
const tag = (v) => Object.prototype.toString.call(v);
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isEnumerable = (o, k) => Object.prototype.propertyIsEnumerable.call(o, k);

function ownKeys(val, strict) {
  const keys = Object.keys(val);
  if (strict) for (const s of Object.getOwnPropertySymbols(val)) if (isEnumerable(val, s)) keys.push(s);
  return keys;
}

function isEqualBoxed(a, b) {
  if (types.isNumberObject(a)) return types.isNumberObject(b) && Object.is(Number.prototype.valueOf.call(a), Number.prototype.valueOf.call(b));
  if (types.isStringObject(a)) return types.isStringObject(b) && String.prototype.valueOf.call(a) === String.prototype.valueOf.call(b);
  if (types.isBooleanObject(a)) return types.isBooleanObject(b) && Boolean.prototype.valueOf.call(a) === Boolean.prototype.valueOf.call(b);
  if (types.isBigIntObject(a)) return types.isBigIntObject(b) && BigInt.prototype.valueOf.call(a) === BigInt.prototype.valueOf.call(b);
  if (types.isSymbolObject(a)) return types.isSymbolObject(b) && Symbol.prototype.valueOf.call(a) === Symbol.prototype.valueOf.call(b);
  return false;
}

function bytesEqual(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer || a, a.byteOffset || 0, a.byteLength);
  const y = new Uint8Array(b.buffer || b, b.byteOffset || 0, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function innerDeepEqual(val1, val2, strict, memos) {
  if (val1 === val2) return val1 !== 0 || Object.is(val1, val2) || !strict;
  if (strict) {
    if (typeof val1 !== 'object') return typeof val1 === 'number' && Number.isNaN(val1) && Number.isNaN(val2);
    if (typeof val2 !== 'object' || val1 === null || val2 === null) return false;
    if (Object.getPrototypeOf(val1) !== Object.getPrototypeOf(val2)) return false;
  } else {
    if (val1 === null || typeof val1 !== 'object') {
      if (val2 === null || typeof val2 !== 'object') {
        // eslint-disable-next-line eqeqeq
        return val1 == val2 || (Number.isNaN(val1) && Number.isNaN(val2));
      }
      return false;
    }
    if (val2 === null || typeof val2 !== 'object') return false;
  }
  const t1 = tag(val1);
  if (t1 !== tag(val2)) return false;
  if (Array.isArray(val1)) {
    if (!Array.isArray(val2) || val1.length !== val2.length) return false;
    const k1 = ownKeys(val1, strict), k2 = ownKeys(val2, strict);
    if (k1.length !== k2.length) return false;
    return keyCheck(val1, val2, strict, memos, 1, k1);
  }
  if (t1 === '[object Object]' && !types.isBoxedPrimitive(val1) && !types.isNativeError(val1) && !types.isDate(val1) && !types.isRegExp(val1) && !(val1 instanceof Error)) {
    if (types.isBoxedPrimitive(val2)) return false;
    return keyCheck(val1, val2, strict, memos, 0);
  }
  if (types.isDate(val1)) {
    if (!types.isDate(val2) || Date.prototype.getTime.call(val1) !== Date.prototype.getTime.call(val2)) return false;
  } else if (types.isRegExp(val1)) {
    if (!types.isRegExp(val2) || val1.source !== val2.source || val1.flags !== val2.flags || val1.lastIndex !== val2.lastIndex) return false;
  } else if (types.isNativeError(val1) || val1 instanceof Error) {
    if ((!types.isNativeError(val2) && !(val2 instanceof Error)) || val1.message !== val2.message || val1.name !== val2.name) return false;
    if ('cause' in val1 !== 'cause' in val2 || ('cause' in val1 && !innerDeepEqual(val1.cause, val2.cause, strict, memos))) return false;
  } else if (ArrayBuffer.isView(val1)) {
    if (!ArrayBuffer.isView(val2)) return false;
    if (strict && types.typedArrayName(val1) !== types.typedArrayName(val2)) return false;
    if (!strict && (types.isFloat32Array(val1) || types.isFloat64Array(val1))) {
      if (val1.length !== val2.length) return false;
      for (let i = 0; i < val1.length; i++) if (val1[i] !== val2[i]) return false;
    } else if (!bytesEqual(val1, val2)) return false;
    const k1 = ownKeys(val1, strict).filter((k) => typeof k !== 'string' || !/^\d+$/.test(k));
    const k2 = ownKeys(val2, strict).filter((k) => typeof k !== 'string' || !/^\d+$/.test(k));
    if (k1.length !== k2.length) return false;
    return keyCheck(val1, val2, strict, memos, 0, k1);
  } else if (types.isSet(val1)) {
    if (!types.isSet(val2) || val1.size !== val2.size) return false;
    return keyCheck(val1, val2, strict, memos, 2);
  } else if (types.isMap(val1)) {
    if (!types.isMap(val2) || val1.size !== val2.size) return false;
    return keyCheck(val1, val2, strict, memos, 3);
  } else if (types.isAnyArrayBuffer(val1)) {
    if (!types.isAnyArrayBuffer(val2) || !bytesEqual(val1, val2)) return false;
  } else if (types.isBoxedPrimitive(val1)) {
    if (!isEqualBoxed(val1, val2)) return false;
  } else if (Array.isArray(val2) || ArrayBuffer.isView(val2) || types.isSet(val2) || types.isMap(val2) ||
    types.isDate(val2) || types.isRegExp(val2) || types.isAnyArrayBuffer(val2) || types.isBoxedPrimitive(val2) || types.isNativeError(val2)) {
    return false;
  } else if (types.isWeakMap(val1) || types.isWeakSet(val1) || types.isPromise(val1)) {
    return false;
  }
  return keyCheck(val1, val2, strict, memos, 0);
}

function keyCheck(val1, val2, strict, memos, iterationType, aKeys) {
  if (aKeys === undefined) {
    aKeys = ownKeys(val1, strict);
    const bKeys = ownKeys(val2, strict);
    if (aKeys.length !== bKeys.length) return false;
  }
  for (const k of aKeys) if (!(typeof k === 'symbol' ? isEnumerable(val2, k) : hasOwn(val2, k) && isEnumerable(val2, k))) return false;
  if (aKeys.length === 0 && (iterationType === 0 || (iterationType === 1 && val1.length === 0) || val1.size === 0)) return true;
  if (memos === undefined) {
    memos = { val1: new Map(), val2: new Map(), position: 0 };
  } else {
    const v1 = memos.val1.get(val1);
    if (v1 !== undefined) {
      const v2 = memos.val2.get(val2);
      if (v2 !== undefined) return v1 === v2;
    }
    memos.position++;
  }
  memos.val1.set(val1, memos.position);
  memos.val2.set(val2, memos.position);
  const areEq = objEquiv(val1, val2, strict, aKeys, memos, iterationType);
  memos.val1.delete(val1);
  memos.val2.delete(val2);
  return areEq;
}

function findLooseMatch(set, val, strict, memo) {
  for (const v of set) if (innerDeepEqual(val, v, strict, memo)) { set.delete(v); return true; }
  return false;
}
function setEquiv(a, b, strict, memo) {
  let set = null;
  for (const val of a) {
    if (typeof val === 'object' && val !== null) (set || (set = new Set())).add(val);
    else if (!b.has(val)) {
      if (strict) return false;
      if (!b.has(val)) { (set || (set = new Set())).add(val); }
    }
  }
  if (set !== null) {
    for (const val of b) {
      if (typeof val === 'object' && val !== null) {
        if (!findLooseMatch(set, val, strict, memo)) return false;
      } else if (!strict && !a.has(val) && !findLooseMatch(set, val, strict, memo)) return false;
    }
    return set.size === 0;
  }
  return true;
}
function mapEquiv(a, b, strict, memo) {
  let set = null;
  for (const [key, item1] of a) {
    if (typeof key === 'object' && key !== null) (set || (set = new Set())).add(key);
    else {
      const item2 = b.get(key);
      if ((item2 === undefined && !b.has(key)) || !innerDeepEqual(item1, item2, strict, memo)) {
        if (strict) return false;
        (set || (set = new Set())).add(key);
      }
    }
  }
  if (set !== null) {
    for (const [key, item] of b) {
      if (typeof key === 'object' && key !== null) {
        let found = false;
        for (const k of set) {
          if (innerDeepEqual(k, key, strict, memo) && innerDeepEqual(a.get(k), item, strict, memo)) { set.delete(k); found = true; break; }
        }
        if (!found) return false;
      } else if (!strict && (!a.has(key) || !innerDeepEqual(a.get(key), item, false, memo))) {
        let found = false;
        for (const k of set) {
          if (innerDeepEqual(k, key, false, memo) && innerDeepEqual(a.get(k), item, false, memo)) { set.delete(k); found = true; break; }
        }
        if (!found) return false;
      }
    }
    return set.size === 0;
  }
  return true;
}
function objEquiv(a, b, strict, keys, memos, iterationType) {
  if (iterationType === 2) { if (!setEquiv(a, b, strict, memos)) return false; }
  else if (iterationType === 3) { if (!mapEquiv(a, b, strict, memos)) return false; }
  else if (iterationType === 1) {
    for (let i = 0; i < a.length; i++) {
      if (hasOwn(a, i)) {
        if (!hasOwn(b, i) || !innerDeepEqual(a[i], b[i], strict, memos)) return false;
      } else if (hasOwn(b, i)) return false;
    }
  }
  for (const key of keys) {
    if (iterationType === 1 && typeof key === 'string' && /^\d+$/.test(key)) continue;
    if (!innerDeepEqual(a[key], b[key], strict, memos)) return false;
  }
  return true;
}

module.exports = {
  isDeepEqual: (a, b) => innerDeepEqual(a, b, kLoose),
  isDeepStrictEqual: (a, b) => innerDeepEqual(a, b, kStrict),
};
