'use strict';
// util.types (also node:util/types): brand checks that a spoofed Symbol.toStringTag cannot
// fool (each calls an internal-slot accessor of the type). isProxy and isExternal are always
// false (QuickJS does not expose them to JS); isArgumentsObject relies on the Arguments tag.

const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const brand = (fn, v, ...args) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  try { fn.call(v, ...args); return true; } catch { return false; }
};
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const taTag = getter(TypedArrayProto, Symbol.toStringTag);
const abLength = getter(ArrayBuffer.prototype, 'byteLength');
const sabLength = typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype, 'byteLength') : null;
const dvLength = getter(DataView.prototype, 'byteLength');
const mapSize = getter(Map.prototype, 'size');
const setSize = getter(Set.prototype, 'size');
const reSource = getter(RegExp.prototype, 'source');
const objToString = Object.prototype.toString;
const tagOf = (v) => objToString.call(v).slice(8, -1);

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;
const GeneratorProto = Object.getPrototypeOf(function* () {}).prototype;
const AsyncGeneratorProto = Object.getPrototypeOf(async function* () {}).prototype;
const MapIteratorProto = Object.getPrototypeOf(new Map().entries());
const SetIteratorProto = Object.getPrototypeOf(new Set().values());

const typedArrayName = (v) => (ArrayBuffer.isView(v) ? taTag.call(v) : undefined);
const isTypedArray = (v) => typedArrayName(v) !== undefined;
const typed = (name) => (v) => typedArrayName(v) === name;
const isArrayBuffer = (v) => brand(abLength, v);
const isSharedArrayBuffer = (v) => sabLength !== null && brand(sabLength, v);
const isNativeError = typeof Error.isError === 'function' ? Error.isError
  : (v) => v !== null && typeof v === 'object' && tagOf(v) === 'Error' && v instanceof Error;

const types = {
  isAnyArrayBuffer: (v) => isArrayBuffer(v) || isSharedArrayBuffer(v),
  isArrayBuffer,
  isSharedArrayBuffer,
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: (v) => brand(dvLength, v),
  isTypedArray,
  isUint8Array: typed('Uint8Array'),
  isUint8ClampedArray: typed('Uint8ClampedArray'),
  isUint16Array: typed('Uint16Array'),
  isUint32Array: typed('Uint32Array'),
  isInt8Array: typed('Int8Array'),
  isInt16Array: typed('Int16Array'),
  isInt32Array: typed('Int32Array'),
  isFloat32Array: typed('Float32Array'),
  isFloat64Array: typed('Float64Array'),
  isBigInt64Array: typed('BigInt64Array'),
  isBigUint64Array: typed('BigUint64Array'),
  isAsyncFunction: (v) => typeof v === 'function' && (v instanceof AsyncFunction || v instanceof AsyncGeneratorFunction),
  isGeneratorFunction: (v) => typeof v === 'function' && (v instanceof GeneratorFunction || v instanceof AsyncGeneratorFunction),
  isGeneratorObject: (v) => v !== null && typeof v === 'object' && (GeneratorProto.isPrototypeOf(v) || AsyncGeneratorProto.isPrototypeOf(v)),
  isPromise: (v) => v instanceof Promise,
  isMap: (v) => brand(mapSize, v),
  isSet: (v) => brand(setSize, v),
  isWeakMap: (v) => brand(WeakMap.prototype.has, v, {}),
  isWeakSet: (v) => brand(WeakSet.prototype.has, v, {}),
  isMapIterator: (v) => v !== null && typeof v === 'object' && MapIteratorProto.isPrototypeOf(v),
  isSetIterator: (v) => v !== null && typeof v === 'object' && SetIteratorProto.isPrototypeOf(v),
  isDate: (v) => brand(Date.prototype.getTime, v),
  isRegExp: (v) => v !== RegExp.prototype && brand(reSource, v),
  isNativeError,
  isNumberObject: (v) => typeof v === 'object' && brand(Number.prototype.valueOf, v),
  isStringObject: (v) => typeof v === 'object' && brand(String.prototype.valueOf, v),
  isBooleanObject: (v) => typeof v === 'object' && brand(Boolean.prototype.valueOf, v),
  isBigIntObject: (v) => typeof v === 'object' && brand(BigInt.prototype.valueOf, v),
  isSymbolObject: (v) => typeof v === 'object' && brand(Symbol.prototype.valueOf, v),
  isBoxedPrimitive: (v) => typeof v === 'object' && v !== null && ['Number', 'String', 'Boolean', 'BigInt', 'Symbol']
    .some((t) => brand({ Number, String, Boolean, BigInt, Symbol }[t].prototype.valueOf, v)),
  isArgumentsObject: (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && tagOf(v) === 'Arguments',
  isModuleNamespaceObject: (v) => v !== null && typeof v === 'object' && tagOf(v) === 'Module' && Object.getPrototypeOf(v) === null,
  isWeakRef: (v) => typeof WeakRef === 'function' && brand(WeakRef.prototype.deref, v),
  isProxy: () => false,
  isExternal: () => false,
  isKeyObject: (v) => v !== null && typeof v === 'object' && v.constructor !== undefined && /KeyObject$/.test(v.constructor.name),
  isCryptoKey: (v) => typeof CryptoKey === 'function' && v instanceof CryptoKey,
};
Object.defineProperty(types, 'typedArrayName', { value: typedArrayName, enumerable: false });
module.exports = types;
