'use strict';
// hbf:webcrypto — the Web Crypto API's SubtleCrypto and CryptoKey, behind the global
// `crypto.subtle` (made on first touch by prelude.js), over the same Rust host functions as
// node:crypto. Algorithms: digest SHA-1/256/384/512; HMAC; AES-GCM and AES-CBC (encrypt,
// decrypt); ECDSA P-256/P-384; Ed25519; RSASSA-PKCS1-v1_5 and RSA-PSS; PBKDF2 deriveBits.
// Formats: raw, jwk, spki, pkcs8. What jose and other JWT libraries use. Left out: ECDH,
// X25519, HKDF, RSA-OAEP, AES-KW/CTR, wrapKey/unwrapKey (NotSupportedError).
// Errors are DOMExceptions with the names the spec gives; every method returns a promise.

const host = require('hbf:host');
const { kHandle } = require('crypto').__hbfKeys;

const domError = (message, name) => new DOMException(message, name);
const notSupported = (what) => domError(`Unrecognized algorithm name${what ? ': ' + what : ''}`, 'NotSupportedError');

const HASH = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH_BLOCK_BITS = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };
const NAMES = ['HMAC', 'AES-GCM', 'AES-CBC', 'ECDSA', 'Ed25519', 'RSASSA-PKCS1-v1_5', 'RSA-PSS', 'PBKDF2',
  'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
const CURVES = ['P-256', 'P-384'];
const RSA_JWK_PREFIX = { 'RSASSA-PKCS1-v1_5': 'RS', 'RSA-PSS': 'PS' };

// The spec's algorithm normalisation: a name string or an object with `name`, matched
// case-insensitively; a `hash` member normalised the same way.
function normalize(algorithm) {
  if (typeof algorithm === 'string') algorithm = { name: algorithm };
  if (!algorithm || typeof algorithm !== 'object' || typeof algorithm.name !== 'string') {
    throw new TypeError('Algorithm: name: Missing or not a string');
  }
  const name = NAMES.find((n) => n.toLowerCase() === algorithm.name.toLowerCase());
  if (!name) throw notSupported(algorithm.name);
  const out = { ...algorithm, name };
  if (algorithm.hash !== undefined) {
    const hash = normalize(algorithm.hash);
    if (!HASH[hash.name]) throw notSupported(hash.name);
    out.hash = { name: hash.name };
  }
  return out;
}

function bytes(data, what = 'data') {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(`Failed to execute: ${what} is not of type (ArrayBuffer or ArrayBufferView)`);
}

const toArrayBuffer = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);

// A handle whose host call failed as a DataError (bad key bytes) rather than a TypeError.
function dataError(fn) {
  try { return fn(); } catch (e) { throw domError(e && e.message ? e.message : 'Invalid key data', 'DataError'); }
}

const kInternal = Symbol('kInternal');

class CryptoKey {
  constructor(token) { if (token !== kInternal) throw new TypeError('Illegal constructor'); }
  get [Symbol.toStringTag]() { return 'CryptoKey'; }
}

function makeKey(handle, type, algorithm, extractable, usages) {
  const key = new CryptoKey(kInternal);
  Object.defineProperties(key, {
    type: { value: type, enumerable: true },
    extractable: { value: !!extractable, enumerable: true },
    algorithm: { value: Object.freeze(algorithm), enumerable: true },
    usages: { value: Object.freeze([...usages]), enumerable: true },
    [kHandle]: { value: handle },
  });
  return key;
}

const USAGES = {
  HMAC: { secret: ['sign', 'verify'] },
  'AES-GCM': { secret: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] },
  'AES-CBC': { secret: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] },
  PBKDF2: { secret: ['deriveBits', 'deriveKey'] },
  ECDSA: { private: ['sign'], public: ['verify'] },
  Ed25519: { private: ['sign'], public: ['verify'] },
  'RSASSA-PKCS1-v1_5': { private: ['sign'], public: ['verify'] },
  'RSA-PSS': { private: ['sign'], public: ['verify'] },
};

function checkUsages(name, type, usages) {
  if (!Array.isArray(usages)) throw new TypeError('usages must be a sequence');
  const allowed = USAGES[name] && USAGES[name][type];
  if (!allowed) throw notSupported(name);
  for (const u of usages) if (!allowed.includes(u)) throw domError(`Unsupported key usage for a ${name} key: ${u}`, 'SyntaxError');
  return usages;
}

function requireUsage(key, usage, name) {
  if (!(key instanceof CryptoKey)) throw new TypeError('key is not a CryptoKey');
  if (key.algorithm.name !== name) throw domError('The requested operation is not valid for the provided key', 'InvalidAccessError');
  if (!key.usages.includes(usage)) throw domError(`The requested operation is not valid for the provided key (usage ${usage})`, 'InvalidAccessError');
}

// The algorithm object of an asymmetric key from what the host says it is; DataError when it
// is not the kind `alg` names.
function asymAlgorithm(alg, handle) {
  const info = host.cryptoKeyInfo(handle);
  if (alg.name === 'ECDSA') {
    const curve = info.namedCurve === 'prime256v1' ? 'P-256' : info.namedCurve === 'secp384r1' ? 'P-384' : null;
    if (info.asymmetricKeyType !== 'ec' || !curve) throw domError('Invalid key type for ECDSA', 'DataError');
    if (alg.namedCurve !== curve) throw domError('Named curve mismatch', 'DataError');
    return { name: 'ECDSA', namedCurve: curve };
  }
  if (alg.name === 'Ed25519') {
    if (info.asymmetricKeyType !== 'ed25519') throw domError('Invalid key type for Ed25519', 'DataError');
    return { name: 'Ed25519' };
  }
  if (info.asymmetricKeyType !== 'rsa') throw domError(`Invalid key type for ${alg.name}`, 'DataError');
  if (!alg.hash) throw new TypeError('Algorithm: hash: Missing');
  const e = [];
  for (let x = info.publicExponent; x > 0; x = Math.floor(x / 256)) e.unshift(x % 256);
  return { name: alg.name, modulusLength: info.modulusLength, publicExponent: new Uint8Array(e), hash: alg.hash };
}

function secretAlgorithm(alg, length) {
  if (alg.name === 'HMAC') {
    if (!alg.hash) throw new TypeError('Algorithm: hash: Missing');
    return { name: 'HMAC', length, hash: alg.hash };
  }
  if (alg.name === 'PBKDF2') return { name: 'PBKDF2' };
  if (![128, 192, 256].includes(length)) throw domError('Invalid key length', 'DataError');
  return { name: alg.name, length };
}

// The JWK "alg" a key of algorithm `alg` carries (undefined: not checked, as for EC keys).
function jwkAlg(alg, length) {
  const bits = alg.hash ? alg.hash.name.slice(4) : '';
  if (alg.name === 'HMAC') return `HS${bits}`;
  if (RSA_JWK_PREFIX[alg.name]) return `${RSA_JWK_PREFIX[alg.name]}${bits}`;
  if ((alg.name === 'AES-GCM' || alg.name === 'AES-CBC') && length) return `A${length}${alg.name.slice(4)}`;
  return undefined;
}

function importKeySync(format, keyData, algorithm, extractable, usages) {
  const alg = normalize(algorithm);
  if (!USAGES[alg.name]) throw notSupported(alg.name);
  const secret = !!USAGES[alg.name].secret;
  if (format === 'jwk') {
    if (!keyData || typeof keyData !== 'object') throw new TypeError('keyData must be a JsonWebKey');
    if (keyData.ext === false && extractable) throw domError('JWK "ext" is false but the key is extractable', 'DataError');
    if (Array.isArray(keyData.key_ops) && !usages.every((u) => keyData.key_ops.includes(u))) {
      throw domError('Key operations and usage mismatch', 'DataError');
    }
    const expected = jwkAlg(alg);
    if (keyData.alg !== undefined && expected !== undefined && keyData.alg !== expected) {
      throw domError('JWK "alg" does not match the requested algorithm', 'DataError');
    }
    if (secret) {
      if (keyData.kty !== 'oct') throw domError('Invalid JWK "kty" for a secret key', 'DataError');
      const handle = dataError(() => host.cryptoKeyImport('secret', 'jwk', keyData));
      const length = host.cryptoKeyInfo(handle).symmetricKeySize * 8;
      return makeKey(handle, 'secret', secretAlgorithm(alg, alg.length || length), extractable, checkUsages(alg.name, 'secret', usages));
    }
    const type = keyData.d !== undefined ? 'private' : 'public';
    const handle = dataError(() => host.cryptoKeyImport(type, 'jwk', keyData));
    return makeKey(handle, type, asymAlgorithm(alg, handle), extractable, checkUsages(alg.name, type, usages));
  }
  const data = bytes(keyData, 'keyData');
  if (format === 'raw') {
    if (secret) {
      if (alg.name === 'PBKDF2' && extractable) throw domError('PBKDF2 keys are not extractable', 'SyntaxError');
      const handle = host.cryptoKeyImport('secret', 'raw', data);
      return makeKey(handle, 'secret', secretAlgorithm(alg, alg.length || data.byteLength * 8), extractable, checkUsages(alg.name, 'secret', usages));
    }
    if (alg.name !== 'ECDSA' && alg.name !== 'Ed25519') throw domError('raw import is only for EC and Ed25519 public keys', 'NotSupportedError');
    const curve = alg.name === 'Ed25519' ? 'Ed25519' : alg.namedCurve;
    if (alg.name === 'ECDSA' && !CURVES.includes(curve)) throw notSupported(curve);
    const handle = dataError(() => host.cryptoKeyImport('public', 'raw', data, curve));
    return makeKey(handle, 'public', asymAlgorithm(alg, handle), extractable, checkUsages(alg.name, 'public', usages));
  }
  if (format === 'spki' || format === 'pkcs8') {
    if (secret) throw domError(`${format} import is not valid for ${alg.name}`, 'NotSupportedError');
    const type = format === 'spki' ? 'public' : 'private';
    const handle = dataError(() => host.cryptoKeyImport(type, 'der', data, format));
    return makeKey(handle, type, asymAlgorithm(alg, handle), extractable, checkUsages(alg.name, type, usages));
  }
  throw new TypeError(`Unsupported key format: ${format}`);
}

function exportKeySync(format, key) {
  if (!(key instanceof CryptoKey)) throw new TypeError('key is not a CryptoKey');
  if (!key.extractable) throw domError('key is not extractable', 'InvalidAccessError');
  const handle = key[kHandle];
  const alg = key.algorithm;
  if (format === 'jwk') {
    const jwk = host.cryptoKeyExport(handle, 'jwk');
    const name = alg.name === 'Ed25519' ? 'Ed25519' : jwkAlg(alg, alg.length);
    if (name !== undefined) jwk.alg = name;
    jwk.key_ops = [...key.usages];
    jwk.ext = true;
    return jwk;
  }
  if (format === 'raw') {
    if (key.type === 'private') throw domError('raw export of a private key is not supported', 'InvalidAccessError');
    if (key.type === 'public' && key.algorithm.name !== 'ECDSA' && key.algorithm.name !== 'Ed25519') {
      throw domError('raw export is not supported for this key', 'InvalidAccessError');
    }
    return toArrayBuffer(host.cryptoKeyExport(handle, key.type === 'secret' ? 'der' : 'raw'));
  }
  if (format === 'spki' || format === 'pkcs8') {
    if ((format === 'spki') !== (key.type === 'public')) throw domError(`${format} export needs a ${format === 'spki' ? 'public' : 'private'} key`, 'InvalidAccessError');
    return toArrayBuffer(host.cryptoKeyExport(handle, 'der', format));
  }
  throw new TypeError(`Unsupported key format: ${format}`);
}

function generateKeySync(algorithm, extractable, usages) {
  const alg = normalize(algorithm);
  if (alg.name === 'HMAC' || alg.name === 'AES-GCM' || alg.name === 'AES-CBC') {
    const length = alg.name === 'HMAC' ? (alg.length || (alg.hash && HASH_BLOCK_BITS[alg.hash.name])) : alg.length;
    if (!length || length % 8 !== 0) throw domError('Invalid key length', 'OperationError');
    const handle = host.cryptoKeyImport('secret', 'raw', host.cryptoRandomFill(length / 8));
    return makeKey(handle, 'secret', secretAlgorithm(alg, length), extractable, checkUsages(alg.name, 'secret', usages));
  }
  let priv;
  if (alg.name === 'ECDSA') {
    if (!CURVES.includes(alg.namedCurve)) throw notSupported(alg.namedCurve);
    priv = host.cryptoKeyGenerate('ec', { namedCurve: alg.namedCurve });
  } else if (alg.name === 'Ed25519') {
    priv = host.cryptoKeyGenerate('ed25519', {});
  } else if (RSA_JWK_PREFIX[alg.name]) {
    const e = bytes(alg.publicExponent || new Uint8Array([1, 0, 1]), 'publicExponent').reduce((a, b) => a * 256 + b, 0);
    priv = host.cryptoKeyGenerate('rsa', { modulusLength: alg.modulusLength, publicExponent: e });
  } else {
    throw notSupported(alg.name);
  }
  const pub = host.cryptoKeyPublic(priv);
  const a = asymAlgorithm(alg, priv);
  const privUsages = usages.filter((u) => USAGES[alg.name].private.includes(u));
  const pubUsages = usages.filter((u) => USAGES[alg.name].public.includes(u));
  checkUsages(alg.name, 'private', privUsages);
  if (privUsages.length + pubUsages.length !== usages.length) throw domError('Unsupported key usage', 'SyntaxError');
  if (privUsages.length === 0) throw domError('Usages cannot be empty when creating a key.', 'SyntaxError');
  return { publicKey: makeKey(pub, 'public', a, true, pubUsages), privateKey: makeKey(priv, 'private', a, extractable, privUsages) };
}

function hmac(key, data) {
  const h = host.cryptoHash(HASH[key.algorithm.hash.name], host.cryptoKeyExport(key[kHandle], 'der'));
  host.cryptoUpdate(h, data);
  return host.cryptoDigest(h);
}

function signOpts(alg, key) {
  if (alg.name === 'ECDSA') {
    if (!alg.hash) throw new TypeError('Algorithm: hash: Missing');
    return [HASH[alg.hash.name], { p1363: true }];
  }
  if (alg.name === 'Ed25519') return ['', {}];
  const hash = HASH[key.algorithm.hash.name];
  if (alg.name === 'RSA-PSS') {
    if (typeof alg.saltLength !== 'number') throw new TypeError('Algorithm: saltLength: Missing');
    return [hash, { padding: 'pss', saltLength: alg.saltLength }];
  }
  return [hash, {}];
}

function signSync(algorithm, key, data) {
  const alg = normalize(algorithm);
  requireUsage(key, 'sign', alg.name);
  const d = bytes(data);
  if (alg.name === 'HMAC') return toArrayBuffer(hmac(key, d));
  const [hash, opts] = signOpts(alg, key);
  return toArrayBuffer(host.cryptoSign(hash, key[kHandle], d, opts));
}

function verifySync(algorithm, key, signature, data) {
  const alg = normalize(algorithm);
  requireUsage(key, 'verify', alg.name);
  const d = bytes(data), sig = bytes(signature, 'signature');
  if (alg.name === 'HMAC') {
    const mac = hmac(key, d);
    return mac.byteLength === sig.byteLength && host.cryptoTimingSafeEqual(mac, sig);
  }
  const [hash, opts] = signOpts(alg, key);
  return host.cryptoVerify(hash, key[kHandle], d, sig, opts);
}

function aes(encrypt, algorithm, key, data) {
  const alg = normalize(algorithm);
  requireUsage(key, encrypt ? 'encrypt' : 'decrypt', alg.name);
  if (alg.name !== 'AES-GCM' && alg.name !== 'AES-CBC') throw notSupported(alg.name);
  const iv = bytes(alg.iv, 'iv');
  if (alg.name === 'AES-CBC' && iv.byteLength !== 16) throw domError('algorithm.iv must contain exactly 16 bytes', 'OperationError');
  if (alg.tagLength !== undefined && alg.tagLength !== 128) throw domError(`Unsupported tagLength ${alg.tagLength} (HBF supports 128)`, 'NotSupportedError');
  try {
    return toArrayBuffer(host.cryptoAes(bytes(data), {
      mode: alg.name === 'AES-GCM' ? 'gcm' : 'cbc', encrypt, key: host.cryptoKeyExport(key[kHandle], 'der'), iv,
      aad: alg.additionalData === undefined ? new Uint8Array(0) : bytes(alg.additionalData, 'additionalData'),
    }));
  } catch (e) {
    throw domError('The operation failed for an operation-specific reason', 'OperationError');
  }
}

function deriveBitsSync(algorithm, baseKey, length) {
  const alg = normalize(algorithm);
  requireUsage(baseKey, 'deriveBits', alg.name);
  if (alg.name !== 'PBKDF2') throw notSupported(alg.name);
  if (!alg.hash) throw new TypeError('Algorithm: hash: Missing');
  if (!Number.isInteger(length) || length % 8 !== 0 || length <= 0) throw domError('length must be a positive multiple of 8', 'OperationError');
  if (!(alg.iterations > 0)) throw domError('iterations cannot be zero', 'OperationError');
  return toArrayBuffer(host.cryptoPbkdf2(HASH[alg.hash.name], host.cryptoKeyExport(baseKey[kHandle], 'der'),
    bytes(alg.salt, 'salt'), alg.iterations, length / 8));
}

// Each method runs synchronously and settles its promise with the result or the error.
const settle = (fn) => new Promise((resolve) => resolve(fn()));

class SubtleCrypto {
  constructor(token) { if (token !== kInternal) throw new TypeError('Illegal constructor'); }
  digest(algorithm, data) {
    return settle(() => {
      const alg = normalize(algorithm);
      if (!HASH[alg.name]) throw notSupported(alg.name);
      const h = host.cryptoHash(HASH[alg.name]);
      host.cryptoUpdate(h, bytes(data));
      return toArrayBuffer(host.cryptoDigest(h));
    });
  }
  importKey(format, keyData, algorithm, extractable, usages) { return settle(() => importKeySync(format, keyData, algorithm, extractable, usages)); }
  exportKey(format, key) { return settle(() => exportKeySync(format, key)); }
  generateKey(algorithm, extractable, usages) { return settle(() => generateKeySync(algorithm, extractable, usages)); }
  sign(algorithm, key, data) { return settle(() => signSync(algorithm, key, data)); }
  verify(algorithm, key, signature, data) { return settle(() => verifySync(algorithm, key, signature, data)); }
  encrypt(algorithm, key, data) { return settle(() => aes(true, algorithm, key, data)); }
  decrypt(algorithm, key, data) { return settle(() => aes(false, algorithm, key, data)); }
  deriveBits(algorithm, baseKey, length) { return settle(() => deriveBitsSync(algorithm, baseKey, length)); }
  deriveKey(algorithm, baseKey, derivedKeyType, extractable, usages) {
    return settle(() => {
      const target = normalize(derivedKeyType);
      const length = target.length || (target.hash && HASH_BLOCK_BITS[target.hash.name]);
      const bits = deriveBitsSync(algorithm, baseKey, length);
      return importKeySync('raw', bits, derivedKeyType, extractable, usages);
    });
  }
  wrapKey() { return settle(() => { throw domError('wrapKey is not supported in HBF', 'NotSupportedError'); }); }
  unwrapKey() { return settle(() => { throw domError('unwrapKey is not supported in HBF', 'NotSupportedError'); }); }
  get [Symbol.toStringTag]() { return 'SubtleCrypto'; }
}

module.exports = { subtle: new SubtleCrypto(kInternal), SubtleCrypto, CryptoKey };
