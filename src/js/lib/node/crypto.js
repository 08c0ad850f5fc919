'use strict';
// node:crypto — Node's crypto API over HBF's Rust host functions (src/js/host_crypto.rs, on
// the RustCrypto crates): randomBytes/randomInt/randomUUID/randomFill, createHash/createHmac
// (md5, sha1, sha224, sha256, sha384, sha512), hash(), timingSafeEqual, pbkdf2, scrypt,
// KeyObject with createSecretKey/createPublicKey/createPrivateKey (PEM, DER, JWK),
// generateKeyPair(Sync) for rsa/ec/ed25519, createSign/createVerify/sign/verify (RSA PKCS#1
// v1.5 and PSS, ECDSA P-256/P-384, Ed25519), createCipheriv/createDecipheriv for
// aes-*-gcm and aes-*-cbc, webcrypto/subtle (the global `crypto`).
// Left out: Hash/Sign/Cipher as streams (they have update/digest but no pipe), ciphers
// other than AES-GCM/CBC, DH/ECDH, X.509 objects, encrypted private keys. AES-GCM's update()
// returns an empty buffer and final() all output (the crate computes GCM in one call), so
// update()+final() concatenated is what Node gives; AES-CBC streams block by block as Node.

const host = require('hbf:host');
const { Buffer } = require('buffer');
const errors = require('hbf:node-errors');
const { withCode, invalidArgType, outOfRange, invalidArgValue, validateFunction, validateString,
  validateObject, validateInteger } = errors;

const HASHES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const DIGEST_LEN = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const constants = Object.freeze({
  RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6,
  RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
  POINT_CONVERSION_COMPRESSED: 2, POINT_CONVERSION_UNCOMPRESSED: 4, POINT_CONVERSION_HYBRID: 6,
});

// ---------------------------------------------------------------- bytes in and out
const asBuffer = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

function isBytes(v) {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer);
}

// `data` as a Uint8Array view: strings in `encoding` (utf8 by default), any ArrayBufferView,
// ArrayBuffer; anything else is Node's ERR_INVALID_ARG_TYPE naming `name`.
function toBytes(data, encoding, name = 'data', extra = []) {
  if (typeof data === 'string') return Buffer.from(data, encoding === 'buffer' ? 'utf8' : encoding || 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (isBytes(data)) return new Uint8Array(data);
  throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView', ...extra], data);
}

function encodeOut(u8, encoding) {
  const buf = asBuffer(u8);
  return encoding && encoding !== 'buffer' ? buf.toString(encoding) : buf;
}

function normalizeHash(name) {
  if (typeof name !== 'string') return null;
  let n = name.toLowerCase();
  if (n.startsWith('rsa-')) n = n.slice(4);
  n = n.replace(/withrsaencryption$/, '').replace(/^ecdsa-with-/, '').replace('-', '');
  return HASHES.includes(n) ? n : null;
}

const later = (fn) => Promise.resolve().then(fn);

// ---------------------------------------------------------------- random
const MAX_RANDOM = 2 ** 31 - 1;

function randomBytes(size, callback) {
  if (typeof size !== 'number') throw invalidArgType('size', 'number', size);
  if (!(size >= 0 && size <= MAX_RANDOM) || !Number.isInteger(size)) {
    throw outOfRange('size', `>= 0 && <= ${MAX_RANDOM}`, size);
  }
  if (callback !== undefined) validateFunction(callback, 'callback');
  const buf = asBuffer(host.cryptoRandomFill(size));
  if (callback) { later(() => callback(null, buf)); return undefined; }
  return buf;
}

function randomFillSync(buf, offset = 0, size) {
  if (!isBytes(buf)) throw invalidArgType('buf', ['ArrayBuffer', 'ArrayBufferView'], buf);
  const view = toBytes(buf);
  validateInteger(offset, 'offset', 0, view.byteLength);
  if (size === undefined) size = view.byteLength - offset;
  validateInteger(size, 'size', 0, view.byteLength - offset);
  view.set(host.cryptoRandomFill(size), offset);
  return buf;
}

function randomFill(buf, offset, size, callback) {
  if (typeof offset === 'function') { callback = offset; offset = 0; size = undefined; }
  else if (typeof size === 'function') { callback = size; size = undefined; }
  validateFunction(callback, 'callback');
  randomFillSync(buf, offset, size);
  later(() => callback(null, buf));
}

// Node's algorithm: rejection sampling over 48-bit integers.
function randomInt(min, max, callback) {
  if (typeof max === 'undefined' || typeof max === 'function') { callback = max; max = min; min = 0; }
  if (!Number.isSafeInteger(min)) throw invalidArgType('min', 'a safe integer', min);
  if (!Number.isSafeInteger(max)) throw invalidArgType('max', 'a safe integer', max);
  if (max <= min) {
    throw withCode(RangeError, 'ERR_OUT_OF_RANGE',
      `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
  }
  const range = max - min;
  if (range > 2 ** 48 - 1) {
    throw withCode(RangeError, 'ERR_OUT_OF_RANGE',
      `The value of "max - min" is out of range. It must be <= 281474976710655. Received ${range}`);
  }
  if (callback !== undefined) validateFunction(callback, 'callback');
  const limit = 2 ** 48 - (2 ** 48 % range);
  let n;
  do {
    const b = host.cryptoRandomFill(6);
    n = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
  } while (n >= limit);
  const result = min + (n % range);
  if (callback) { later(() => callback(null, result)); return undefined; }
  return result;
}

// ---------------------------------------------------------------- hashes
const finalized = () => withCode(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');

class Hash {
  constructor(algorithm, options, handle) {
    if (handle) { this._handle = handle; return; }
    validateString(algorithm, 'algorithm');
    this._handle = host.cryptoHash(algorithm);
  }
  update(data, encoding) {
    if (this._done) throw finalized();
    host.cryptoUpdate(this._handle, toBytes(data, encoding));
    return this;
  }
  digest(encoding) {
    if (this._done) throw finalized();
    this._done = true;
    return encodeOut(host.cryptoDigest(this._handle), encoding);
  }
  copy() {
    if (this._done) throw finalized();
    return new Hash(null, null, host.cryptoCopy(this._handle));
  }
}

class Hmac {
  constructor(hmac, key, options) {
    validateString(hmac, 'hmac');
    const k = key instanceof KeyObject ? secretBytes(key) : toBytes(key, options && options.encoding, 'key', ['KeyObject']);
    this._handle = host.cryptoHash(hmac, k);
  }
  update(data, encoding) {
    if (this._done) throw withCode(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    host.cryptoUpdate(this._handle, toBytes(data, encoding));
    return this;
  }
  digest(encoding) {
    // Node answers a second digest() with an empty result rather than an error.
    if (this._done) return encodeOut(new Uint8Array(0), encoding);
    this._done = true;
    return encodeOut(host.cryptoDigest(this._handle), encoding);
  }
}

const createHash = (algorithm, options) => new Hash(algorithm, options);
const createHmac = (hmac, key, options) => new Hmac(hmac, key, options);

// crypto.hash(algorithm, data[, outputEncoding = 'hex']) (Node 21.7).
function hash(algorithm, data, outputEncoding = 'hex') {
  validateString(algorithm, 'algorithm');
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) throw invalidArgType('data', ['Buffer', 'TypedArray', 'DataView', 'string'], data);
  return new Hash(algorithm).update(data).digest(outputEncoding);
}

function timingSafeEqual(buf1, buf2) {
  if (!isBytes(buf1)) throw invalidArgType('buf1', ['ArrayBuffer', 'Buffer', 'TypedArray', 'DataView'], buf1);
  if (!isBytes(buf2)) throw invalidArgType('buf2', ['ArrayBuffer', 'Buffer', 'TypedArray', 'DataView'], buf2);
  const a = toBytes(buf1), b = toBytes(buf2);
  if (a.byteLength !== b.byteLength) {
    throw withCode(RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length');
  }
  return host.cryptoTimingSafeEqual(a, b);
}

// ---------------------------------------------------------------- key derivation
function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  password = toBytes(password, undefined, 'password', ['ArrayBuffer']);
  salt = toBytes(salt, undefined, 'salt', ['ArrayBuffer']);
  validateInteger(iterations, 'iterations', 1, 2 ** 31 - 1);
  validateInteger(keylen, 'keylen', 0, 2 ** 31 - 1);
  validateString(digest, 'digest');
  if (!normalizeHash(digest)) throw withCode(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', `Invalid digest: ${digest}`);
  return asBuffer(host.cryptoPbkdf2(digest, password, salt, iterations, keylen));
}

function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  if (typeof digest === 'function') { callback = digest; digest = undefined; }
  validateFunction(callback, 'callback');
  const key = pbkdf2Sync(password, salt, iterations, keylen, digest);
  later(() => callback(null, key));
}

const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, maxmem: 32 << 20 };

function scryptSync(password, salt, keylen, options = {}) {
  password = toBytes(password, undefined, 'password', ['ArrayBuffer']);
  salt = toBytes(salt, undefined, 'salt', ['ArrayBuffer']);
  validateInteger(keylen, 'keylen', 0, 2 ** 31 - 1);
  const pick = (a, b) => (options[a] !== undefined ? options[a] : options[b]);
  const N = pick('N', 'cost') ?? SCRYPT_DEFAULTS.N;
  const r = pick('r', 'blockSize') ?? SCRYPT_DEFAULTS.r;
  const p = pick('p', 'parallelization') ?? SCRYPT_DEFAULTS.p;
  const maxmem = options.maxmem ?? SCRYPT_DEFAULTS.maxmem;
  const logN = Math.log2(N);
  if (!Number.isInteger(logN) || N < 2 || !(r >= 1) || !(p >= 1) || 128 * N * r > maxmem) {
    throw withCode(RangeError, 'ERR_CRYPTO_INVALID_SCRYPT_PARAMS',
      128 * N * r > maxmem ? 'Invalid scrypt params: error:030000AC:digital envelope routines::memory limit exceeded' : 'Invalid scrypt params');
  }
  return asBuffer(host.cryptoScrypt(password, salt, { logN, r, p }, keylen));
}

function scrypt(password, salt, keylen, options, callback) {
  if (typeof options === 'function') { callback = options; options = undefined; }
  validateFunction(callback, 'callback');
  const key = scryptSync(password, salt, keylen, options);
  later(() => callback(null, key));
}

// ---------------------------------------------------------------- keys
const kHandle = Symbol('kHandle');

class KeyObject {
  constructor(type, handle) {
    if (type !== 'secret' && type !== 'public' && type !== 'private') throw invalidArgValue('type', type);
    this[kHandle] = handle;
    this._type = type;
  }
  static from(key) {
    if (!key || !key[kHandle] || !key.algorithm) throw invalidArgType('key', 'CryptoKey', key);
    return wrapKey(key[kHandle]);
  }
  get type() { return this._type; }
  get _info() { return this._cachedInfo || (this._cachedInfo = host.cryptoKeyInfo(this[kHandle])); }
  get symmetricKeySize() { return this._type === 'secret' ? this._info.symmetricKeySize : undefined; }
  get asymmetricKeyType() { return this._type === 'secret' ? undefined : this._info.asymmetricKeyType; }
  get asymmetricKeyDetails() {
    if (this._type === 'secret') return undefined;
    const i = this._info;
    if (i.asymmetricKeyType === 'rsa') return { modulusLength: i.modulusLength, publicExponent: BigInt(i.publicExponent) };
    if (i.asymmetricKeyType === 'ec') return { namedCurve: i.namedCurve };
    return {};
  }
  export(options) {
    if (this._type === 'secret') {
      if (options && options.format === 'jwk') return host.cryptoKeyExport(this[kHandle], 'jwk');
      return asBuffer(host.cryptoKeyExport(this[kHandle], 'der'));
    }
    if (options === undefined) throw invalidArgType('options', 'Object', options);
    validateObject(options, 'options');
    const { format, type } = options;
    if (format === 'jwk') return host.cryptoKeyExport(this[kHandle], 'jwk');
    if (format !== 'pem' && format !== 'der') throw invalidArgValue('options.format', format);
    if (options.cipher !== undefined || options.passphrase !== undefined) {
      throw withCode(Error, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'encrypted private key export is not available in HBF');
    }
    const allowed = this._type === 'public' ? ['spki', 'pkcs1'] : ['pkcs8', 'pkcs1', 'sec1'];
    if (!allowed.includes(type)) throw invalidArgValue('options.type', type);
    const out = host.cryptoKeyExport(this[kHandle], format, type);
    return format === 'der' ? asBuffer(out) : out;
  }
  equals(otherKeyObject) {
    if (!(otherKeyObject instanceof KeyObject)) throw invalidArgType('otherKeyObject', 'KeyObject', otherKeyObject);
    return this._type === otherKeyObject._type && host.cryptoKeyEquals(this[kHandle], otherKeyObject[kHandle]);
  }
  get [Symbol.toStringTag]() { return 'KeyObject'; }
}

function wrapKey(handle) {
  return new KeyObject(host.cryptoKeyInfo(handle).type, handle);
}

function secretBytes(key) {
  if (key.type !== 'secret') throw withCode(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${key.type}, expected secret.`);
  return host.cryptoKeyExport(key[kHandle], 'der');
}

function createSecretKey(key, encoding) {
  return new KeyObject('secret', host.cryptoKeyImport('secret', 'raw', toBytes(key, encoding, 'key', ['ArrayBuffer'])));
}

// The handle of `key` as createPublicKey/createPrivateKey/sign/verify take it: a PEM string or
// buffer, { key, format, type, encoding }, a KeyObject, a CryptoKey, or a JWK object.
function importAsym(key, kind) {
  if (key instanceof KeyObject) {
    if (key.type === 'private' && kind === 'public') return host.cryptoKeyPublic(key[kHandle]);
    if (key.type !== kind) {
      throw withCode(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${key.type}, expected ${kind}.`);
    }
    return key[kHandle];
  }
  if (key && key[kHandle] && key.algorithm) return importAsym(KeyObject.from(key), kind);
  let data = key, format = 'pem', type, encoding;
  if (key && typeof key === 'object' && !isBytes(key)) {
    if (key.key instanceof KeyObject || (key.key && key.key[kHandle])) return importAsym(key.key, kind);
    ({ key: data, format = 'pem', type, encoding } = key);
    if (key.passphrase !== undefined) {
      throw withCode(Error, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'encrypted private keys are not supported in HBF');
    }
    if (format === 'jwk') {
      validateObject(data, 'key.key');
      return host.cryptoKeyImport(kind, 'jwk', data);
    }
  }
  if (typeof data !== 'string' && !isBytes(data)) {
    throw invalidArgType('key', ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView', 'KeyObject', 'CryptoKey'], data);
  }
  if (format !== 'pem' && format !== 'der') throw invalidArgValue('key.format', format);
  return host.cryptoKeyImport(kind, format, toBytes(data, encoding), format === 'der' ? type : undefined);
}

function createPublicKey(key) { return new KeyObject('public', importAsym(key, 'public')); }
function createPrivateKey(key) { return new KeyObject('private', importAsym(key, 'private')); }

const KEY_TYPES = ['rsa', 'ec', 'ed25519'];

function generateKeyPairSync(type, options = {}) {
  validateString(type, 'type');
  if (!KEY_TYPES.includes(type)) {
    throw invalidArgValue('type', type, 'must be a supported key type');
  }
  validateObject(options, 'options');
  if (type === 'ec' && typeof options.namedCurve !== 'string') throw invalidArgType('options.namedCurve', 'string', options.namedCurve);
  if (type === 'rsa') validateInteger(options.modulusLength, 'options.modulusLength', 0);
  const priv = host.cryptoKeyGenerate(type, options);
  const privateKey = new KeyObject('private', priv);
  const publicKey = new KeyObject('public', host.cryptoKeyPublic(priv));
  const out = (k, enc) => (enc ? k.export(enc) : k);
  return { publicKey: out(publicKey, options.publicKeyEncoding), privateKey: out(privateKey, options.privateKeyEncoding) };
}

function generateKeyPair(type, options, callback) {
  if (typeof options === 'function') { callback = options; options = undefined; }
  validateFunction(callback, 'callback');
  let pair;
  try { pair = generateKeyPairSync(type, options); } catch (e) { later(() => callback(e)); return; }
  later(() => callback(null, pair.publicKey, pair.privateKey));
}

function generateKeySync(type, options) {
  validateString(type, 'type');
  validateObject(options, 'options');
  const { length } = options;
  if (type === 'hmac') validateInteger(length, 'options.length', 8, 2 ** 31 - 1);
  else if (type === 'aes') {
    if (![128, 192, 256].includes(length)) throw invalidArgValue('options.length', length, 'must be one of: 128, 192, 256');
  } else throw invalidArgValue('type', type, "must be a supported key type");
  return createSecretKey(host.cryptoRandomFill(Math.floor(length / 8)));
}

function generateKey(type, options, callback) {
  validateFunction(callback, 'callback');
  const key = generateKeySync(type, options);
  later(() => callback(null, key));
}

// ---------------------------------------------------------------- sign / verify
function signOptions(key, algorithm) {
  const o = {};
  if (key && typeof key === 'object' && !isBytes(key) && !(key instanceof KeyObject)) {
    if (key.padding !== undefined && key.padding === constants.RSA_PKCS1_PSS_PADDING) o.padding = 'pss';
    else if (key.padding !== undefined && key.padding !== constants.RSA_PKCS1_PADDING) {
      throw withCode(Error, 'ERR_OSSL_RSA_UNKNOWN_PADDING_TYPE', 'error:1C8000A5:Provider routines::illegal or unsupported padding mode');
    }
    if (key.saltLength !== undefined) {
      validateInteger(key.saltLength, 'key.saltLength', -2);
      if (key.saltLength === constants.RSA_PSS_SALTLEN_DIGEST) o.saltLength = DIGEST_LEN[normalizeHash(algorithm) || 'sha256'];
      else if (key.saltLength >= 0) o.saltLength = key.saltLength;
    }
    if (key.dsaEncoding !== undefined) {
      if (key.dsaEncoding !== 'der' && key.dsaEncoding !== 'ieee-p1363') throw invalidArgValue('options.dsaEncoding', key.dsaEncoding);
      o.p1363 = key.dsaEncoding === 'ieee-p1363';
    }
  }
  return o;
}

function digestName(algorithm) {
  if (algorithm === undefined || algorithm === null) return '';
  validateString(algorithm, 'algorithm');
  const n = normalizeHash(algorithm);
  if (!n) throw withCode(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', `Invalid digest: ${algorithm}`);
  return n;
}

// RSA and ECDSA keys default to SHA-256 when no digest is given, as OpenSSL does.
function signDigest(algorithm, handle) {
  const name = digestName(algorithm);
  if (name || host.cryptoKeyInfo(handle).asymmetricKeyType === 'ed25519') return name;
  return 'sha256';
}

function sign(algorithm, data, key, callback) {
  data = toBytes(data, undefined, 'data');
  const handle = importAsym(key, 'private');
  const run = () => asBuffer(host.cryptoSign(signDigest(algorithm, handle), handle, data, signOptions(key, algorithm)));
  if (callback === undefined) return run();
  validateFunction(callback, 'callback');
  let sig;
  try { sig = run(); } catch (e) { later(() => callback(e)); return undefined; }
  later(() => callback(null, sig));
  return undefined;
}

function verify(algorithm, data, key, signature, callback) {
  data = toBytes(data, undefined, 'data');
  signature = toBytes(signature, undefined, 'signature');
  const handle = importAsym(key, 'public');
  const run = () => host.cryptoVerify(signDigest(algorithm, handle), handle, data, signature, signOptions(key, algorithm));
  if (callback === undefined) return run();
  validateFunction(callback, 'callback');
  let ok;
  try { ok = run(); } catch (e) { later(() => callback(e)); return undefined; }
  later(() => callback(null, ok));
  return undefined;
}

class Sign {
  constructor(algorithm) {
    validateString(algorithm, 'algorithm');
    if (!normalizeHash(algorithm)) throw withCode(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest');
    this._algorithm = algorithm;
    this._chunks = [];
  }
  update(data, encoding) {
    this._chunks.push(Buffer.from(toBytes(data, encoding)));
    return this;
  }
  write(data, encoding) { this.update(data, encoding); return true; }
  end(data, encoding) { if (data !== undefined) this.update(data, encoding); return this; }
  sign(privateKey, outputEncoding) {
    const sig = sign(this._algorithm, Buffer.concat(this._chunks), privateKey);
    return outputEncoding && outputEncoding !== 'buffer' ? sig.toString(outputEncoding) : sig;
  }
}

class Verify extends Sign {
  verify(object, signature, signatureEncoding) {
    const sig = typeof signature === 'string' ? Buffer.from(signature, signatureEncoding || 'utf8') : signature;
    return verify(this._algorithm, Buffer.concat(this._chunks), object, sig);
  }
}
delete Verify.prototype.sign;

const createSign = (algorithm) => new Sign(algorithm);
const createVerify = (algorithm) => new Verify(algorithm);

// ---------------------------------------------------------------- ciphers
const CIPHERS = {};
for (const bits of [128, 192, 256]) {
  CIPHERS[`aes-${bits}-gcm`] = { mode: 'gcm', keyLen: bits / 8 };
  CIPHERS[`aes-${bits}-cbc`] = { mode: 'cbc', keyLen: bits / 8, ivLen: 16 };
  CIPHERS[`aes${bits}`] = CIPHERS[`aes-${bits}-cbc`];
}

class Cipheriv {
  constructor(encrypt, cipher, key, iv, options = {}) {
    validateString(cipher, 'cipher');
    const spec = CIPHERS[cipher.toLowerCase()];
    if (!spec) throw withCode(Error, 'ERR_CRYPTO_UNKNOWN_CIPHER', 'Unknown cipher');
    const k = key instanceof KeyObject ? secretBytes(key) : toBytes(key, undefined, 'key', ['ArrayBuffer', 'KeyObject']);
    if (k.byteLength !== spec.keyLen) throw withCode(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
    const v = toBytes(iv, undefined, 'iv', ['ArrayBuffer']);
    if (spec.ivLen ? v.byteLength !== spec.ivLen : v.byteLength === 0) throw withCode(TypeError, 'ERR_CRYPTO_INVALID_IV', 'Invalid initialization vector');
    if (spec.mode === 'gcm' && options && options.authTagLength !== undefined && options.authTagLength !== 16) {
      throw withCode(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${options.authTagLength} (HBF supports 16)`);
    }
    Object.assign(this, { _encrypt: encrypt, _spec: spec, _key: Buffer.from(k), _iv: Buffer.from(v), _chunks: [], _aad: null, _tag: null, _pad: true, _done: false });
  }
  update(data, inputEncoding, outputEncoding) {
    if (this._done) throw withCode(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation update');
    const input = Buffer.from(toBytes(data, inputEncoding));
    let out = Buffer.alloc(0);
    if (this._spec.mode === 'cbc') out = this._cbcBlocks(input);
    else this._chunks.push(input);
    return outputEncoding && outputEncoding !== 'buffer' ? out.toString(outputEncoding) : out;
  }
  // CBC streams: whole blocks go through now, chaining the IV; the rest waits (and, when
  // decrypting with padding, the last block, which final() unpads).
  _cbcBlocks(input) {
    const buf = this._chunks.length ? Buffer.concat([...this._chunks, input]) : input;
    let n = buf.length - (buf.length % 16);
    if (!this._encrypt && this._pad && n === buf.length) n -= 16;
    if (n <= 0) { this._chunks = [buf]; return Buffer.alloc(0); }
    const out = asBuffer(host.cryptoAes(buf.subarray(0, n), { mode: 'cbc', encrypt: this._encrypt, key: this._key, iv: this._iv, padding: false }));
    this._iv = Buffer.from((this._encrypt ? out : buf).subarray(n - 16, n));
    this._chunks = [Buffer.from(buf.subarray(n))];
    return out;
  }
  final(outputEncoding) {
    if (this._done) throw withCode(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation final');
    this._done = true;
    let data = Buffer.concat(this._chunks);
    const gcm = this._spec.mode === 'gcm';
    if (gcm && !this._encrypt) {
      if (!this._tag) throw withCode(Error, 'ERR_CRYPTO_INVALID_STATE', 'Unsupported state or unable to authenticate data');
      data = Buffer.concat([data, this._tag]);
    }
    let out = asBuffer(host.cryptoAes(data, { mode: this._spec.mode, encrypt: this._encrypt, key: this._key, iv: this._iv,
      aad: this._aad || new Uint8Array(0), padding: this._pad }));
    if (gcm && this._encrypt) {
      this._tag = Buffer.from(out.subarray(out.length - 16));
      out = out.subarray(0, out.length - 16);
    }
    return outputEncoding && outputEncoding !== 'buffer' ? out.toString(outputEncoding) : out;
  }
  setAAD(buffer) {
    if (this._spec.mode !== 'gcm') throw withCode(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAAD');
    this._aad = Buffer.from(toBytes(buffer, undefined, 'buffer'));
    return this;
  }
  getAuthTag() {
    if (!this._encrypt || !this._done || !this._tag) throw withCode(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation getAuthTag');
    return this._tag;
  }
  setAuthTag(tag) {
    if (this._encrypt || this._done) throw withCode(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAuthTag');
    const t = toBytes(tag, undefined, 'buffer');
    if (t.byteLength !== 16) throw withCode(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${t.byteLength}`);
    this._tag = Buffer.from(t);
    return this;
  }
  setAutoPadding(autoPadding = true) { this._pad = !!autoPadding; return this; }
}

const createCipheriv = (cipher, key, iv, options) => new Cipheriv(true, cipher, key, iv, options);
const createDecipheriv = (cipher, key, iv, options) => new Cipheriv(false, cipher, key, iv, options);

// ---------------------------------------------------------------- exports
module.exports = {
  constants,
  randomBytes, pseudoRandomBytes: randomBytes, prng: randomBytes, rng: randomBytes,
  randomFill, randomFillSync, randomInt,
  randomUUID: (options) => globalThis.crypto.randomUUID(options),
  getRandomValues: (array) => globalThis.crypto.getRandomValues(array),
  createHash, createHmac, hash, Hash, Hmac,
  timingSafeEqual, pbkdf2, pbkdf2Sync, scrypt, scryptSync,
  getHashes: () => ['RSA-MD5', 'RSA-SHA1', 'RSA-SHA224', 'RSA-SHA256', 'RSA-SHA384', 'RSA-SHA512', ...HASHES],
  getCiphers: () => Object.keys(CIPHERS).sort(),
  getCurves: () => ['prime256v1', 'secp384r1'],
  KeyObject, createSecretKey, createPublicKey, createPrivateKey,
  generateKeyPair, generateKeyPairSync, generateKey, generateKeySync,
  createSign, createVerify, sign, verify, Sign, Verify,
  createCipheriv, createDecipheriv,
  getFips: () => 0,
  setFips() { throw withCode(Error, 'ERR_CRYPTO_FIPS_FORCED', 'Cannot set FIPS mode in HBF'); },
};
Object.defineProperty(module.exports, 'webcrypto', { enumerable: true, get: () => globalThis.crypto });
Object.defineProperty(module.exports, 'subtle', { enumerable: true, get: () => globalThis.crypto.subtle });
// For lib/node/webcrypto.js: the handle inside a KeyObject and the KeyObject of a handle.
Object.defineProperty(module.exports, '__hbfKeys', { value: { kHandle, wrapKey } });
