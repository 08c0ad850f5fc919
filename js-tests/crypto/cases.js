'use strict';
// The crypto/WebCrypto/zlib cases, run unchanged under real Node and inside HBF (bundled into
// server.js by run.js). `run({ peer })` returns
//   vectors: deterministic results, which must be identical under Node and HBF;
//   made:    artifacts made here (random signatures, JWTs, compressed data) for the peer to check;
//   checks:  this side's verdicts on the peer's artifacts (each must be true).
// Binary values travel as base64.

const crypto = require('crypto');
const zlib = require('zlib');
const { promisify } = require('util');
const jose = require('jose');
const jwt = require('jsonwebtoken');
const KEYS = require('./keys.json');

const b64 = (b) => Buffer.from(b).toString('base64');
const unb64 = (s) => Buffer.from(s, 'base64');
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(40) + 'héllo wörld 🌍';
const IAT = 1700000000;

function error(fn) {
  try { fn(); return 'no error'; } catch (e) { return [e.name, e.code, e.message, e.errno].join(' | '); }
}
async function rejection(p) {
  try { await p; return 'no error'; } catch (e) { return [e.name, e.code || '', e.message].join(' | '); }
}
const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
const details = (k) => JSON.stringify(k.asymmetricKeyDetails, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

function nodeVectors() {
  const v = {};
  const inputs = ['', 'abc', 'a'.repeat(1000), 'héllo 🌍', TEXT];
  for (const alg of ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'RSA-SHA256', 'SHA256']) {
    v[`hash ${alg}`] = inputs.map((s) => crypto.createHash(alg).update(s).digest('hex'));
    v[`hmac ${alg}`] = [crypto.createHmac(alg, 'key').update(TEXT).digest('hex'),
      crypto.createHmac(alg, 'k'.repeat(200)).update('').digest('base64')];
  }
  const h = crypto.createHash('sha256').update('ab');
  const copy = h.copy();
  v['hash copy'] = [h.update('c').digest('hex'), copy.digest('hex')];
  v['digest encodings'] = ['hex', 'base64', 'base64url', 'latin1', 'binary', undefined]
    .map((e) => { const d = crypto.createHash('sha1').update('abc').digest(e); return typeof d === 'string' ? d : b64(d); });
  v['update encodings'] = [['616263', 'hex'], ['YWJj', 'base64'], ['abc', 'latin1'], ['abc', 'utf8']]
    .map(([s, e]) => crypto.createHash('sha256').update(s, e).digest('hex'));
  v['update views'] = [new Uint8Array([1, 2, 3]), new Uint16Array([1, 2]), new DataView(new ArrayBuffer(4)), Buffer.from('x')]
    .map((d) => crypto.createHash('md5').update(d).digest('hex'));
  v['hash()'] = [crypto.hash('sha1', 'abc'), crypto.hash('sha256', 'abc', 'base64'), b64(crypto.hash('md5', Buffer.from('abc'), 'buffer'))];
  // RFC 6070 (PBKDF2-HMAC-SHA1) and longer outputs with SHA-256/512.
  v.pbkdf2 = [
    crypto.pbkdf2Sync('password', 'salt', 1, 20, 'sha1').toString('hex'),
    crypto.pbkdf2Sync('password', 'salt', 2, 20, 'sha1').toString('hex'),
    crypto.pbkdf2Sync('password', 'salt', 4096, 20, 'sha1').toString('hex'),
    crypto.pbkdf2Sync('passwordPASSWORDpassword', 'saltSALTsaltSALTsaltSALTsaltSALTsalt', 4096, 25, 'sha1').toString('hex'),
    crypto.pbkdf2Sync('password', 'salt', 1000, 64, 'sha256').toString('hex'),
    crypto.pbkdf2Sync(Buffer.from([0, 1, 2]), Buffer.alloc(0), 10, 100, 'sha512').toString('hex'),
  ];
  // RFC 7914 section 12.
  v.scrypt = [
    crypto.scryptSync('', '', 64, { N: 16, r: 1, p: 1 }).toString('hex'),
    crypto.scryptSync('password', 'NaCl', 64, { N: 1024, r: 8, p: 16 }).toString('hex'),
    crypto.scryptSync('pw', 'salt', 32).toString('hex'),
  ];
  v.timingSafeEqual = [crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')),
    crypto.timingSafeEqual(new Uint8Array([1]), new Uint8Array([2]))];
  v.random = [crypto.randomBytes(16).length, crypto.randomFillSync(Buffer.alloc(8), 2, 4).subarray(0, 2).toString('hex'),
    /^[0-9a-f-]{36}$/.test(crypto.randomUUID()), Number.isInteger(crypto.randomInt(1000)),
    crypto.randomInt(5, 6), typeof crypto.webcrypto.getRandomValues];
  v.getHashes = ['md5', 'sha1', 'sha256', 'sha512', 'RSA-SHA256'].map((n) => crypto.getHashes().includes(n));

  // Keys: parse every form, export every form.
  const rsa = crypto.createPrivateKey(KEYS.rsa.private);
  const ec = crypto.createPrivateKey(KEYS.p256.private);
  const ec384 = crypto.createPrivateKey(KEYS.p384.private);
  const ed = crypto.createPrivateKey(KEYS.ed25519.private);
  // Deterministic signatures (RSA PKCS#1 v1.5, Ed25519) must match byte for byte
  // (before the key exports: Node 20 leaves an OpenSSL error queued by one of them that a
  // later sign() with a PEM string then reports).
  v.signatures = {
    rsaSha256: crypto.sign('sha256', Buffer.from(TEXT), KEYS.rsa.private).toString('base64'),
    rsaSha1Stream: crypto.createSign('RSA-SHA1').update('a').update('b').sign(rsa, 'hex'),
    rsaSha512: crypto.sign('sha512', Buffer.from('x'), { key: KEYS.rsaPkcs1, padding: crypto.constants.RSA_PKCS1_PADDING }).toString('base64'),
    ed25519: crypto.sign(null, Buffer.from(TEXT), ed).toString('base64'),
    verifyOwn: [
      crypto.verify('sha256', Buffer.from('m'), KEYS.p256.public, crypto.sign('sha256', Buffer.from('m'), ec)),
      crypto.verify('sha384', Buffer.from('m'), ec384, crypto.sign('sha384', Buffer.from('m'), ec384)),
      crypto.verify('sha256', Buffer.from('m'), { key: rsa, padding: 6, saltLength: 32 }, crypto.sign('sha256', Buffer.from('m'), { key: rsa, padding: 6, saltLength: 32 })),
      crypto.verify('sha256', Buffer.from('m'), { key: rsa, padding: 6 }, crypto.sign('sha256', Buffer.from('m'), { key: rsa, padding: 6 })),
      crypto.verify('sha256', Buffer.from('m'), { key: ec, dsaEncoding: 'ieee-p1363' }, crypto.sign('sha256', Buffer.from('m'), { key: ec, dsaEncoding: 'ieee-p1363' })),
      crypto.verify('sha256', Buffer.from('m'), KEYS.p256.public, crypto.sign('sha256', Buffer.from('n'), ec)),
      crypto.createVerify('sha256').update('x').verify(KEYS.rsa.public, crypto.createSign('sha256').update('x').sign(rsa, 'base64'), 'base64'),
    ],
  };
  v.keyInfo = [rsa, ec, ec384, ed, crypto.createPublicKey(KEYS.rsa.private), crypto.createSecretKey(Buffer.from('secret'))]
    .map((k) => [k.type, k.asymmetricKeyType, details(k), k.symmetricKeySize]);
  v.keyExport = {
    rsaPkcs8: rsa.export({ type: 'pkcs8', format: 'pem' }),
    rsaPkcs1: rsa.export({ type: 'pkcs1', format: 'pem' }),
    rsaJwk: sorted(rsa.export({ format: 'jwk' })),
    rsaPub: crypto.createPublicKey(rsa).export({ type: 'spki', format: 'pem' }),
    rsaPubPkcs1: b64(crypto.createPublicKey(rsa).export({ type: 'pkcs1', format: 'der' })),
    fromPkcs1: crypto.createPrivateKey(KEYS.rsaPkcs1).export({ type: 'pkcs8', format: 'pem' }) === KEYS.rsa.private,
    ecSec1: ec.export({ type: 'sec1', format: 'pem' }),
    fromSec1: crypto.createPrivateKey(KEYS.p256Sec1).export({ type: 'pkcs8', format: 'pem' }) === KEYS.p256.private,
    ecJwk: sorted(ec.export({ format: 'jwk' })),
    ec384Jwk: sorted(crypto.createPublicKey(ec384).export({ format: 'jwk' })),
    edJwk: sorted(ed.export({ format: 'jwk' })),
    edDer: b64(ed.export({ type: 'pkcs8', format: 'der' })),
    fromCert: crypto.createPublicKey(KEYS.p256Cert).export({ type: 'spki', format: 'pem' }) === KEYS.p256.public,
    fromJwk: crypto.createPrivateKey({ key: rsa.export({ format: 'jwk' }), format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) === KEYS.rsa.private,
    fromDer: crypto.createPublicKey({ key: crypto.createPublicKey(ec).export({ type: 'spki', format: 'der' }), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }),
    secretJwk: crypto.createSecretKey(Buffer.from('secret')).export({ format: 'jwk' }),
  };
  const key = Buffer.alloc(32, 7), iv = Buffer.alloc(16, 9), iv12 = Buffer.alloc(12, 3);
  const cbc = crypto.createCipheriv('aes-256-cbc', key, iv);
  const cbcOut = cbc.update('secret message', 'utf8', 'hex') + cbc.final('hex');
  const gcm = crypto.createCipheriv('aes-256-gcm', key, iv12);
  gcm.setAAD(Buffer.from('aad'));
  const gcmOut = Buffer.concat([gcm.update('secret message'), gcm.final()]);
  const gcmTag = gcm.getAuthTag();
  const dec = crypto.createDecipheriv('aes-256-gcm', key, iv12);
  dec.setAAD(Buffer.from('aad'));
  dec.setAuthTag(gcmTag);
  const dcbc = crypto.createDecipheriv('aes-256-cbc', key, iv);
  v.ciphers = [cbcOut, gcmOut.toString('hex'), gcmTag.toString('hex'),
    Buffer.concat([dec.update(gcmOut), dec.final()]).toString(),
    dcbc.update(cbcOut, 'hex', 'utf8') + dcbc.final('utf8'),
    crypto.createCipheriv('aes-128-cbc', Buffer.alloc(16), Buffer.alloc(16)).setAutoPadding(false).update(Buffer.alloc(16)).length];
  v.errors = [
    error(() => crypto.createHash('nope')),
    error(() => crypto.createHmac('nope', 'k')),
    error(() => crypto.pbkdf2Sync('a', 'b', 1, 10, 'nope')),
    error(() => crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab'))),
    error(() => { const x = crypto.createHash('sha256'); x.digest(); x.update('y'); }),
    error(() => crypto.randomBytes(-1)),
    error(() => crypto.randomInt(10, 5)),
    error(() => crypto.createCipheriv('aes-256-cbc', Buffer.alloc(5), iv)),
    error(() => { const d = crypto.createDecipheriv('aes-256-gcm', key, iv12); d.setAuthTag(Buffer.alloc(16)); d.update(gcmOut); d.final(); }).split(' | ')[2],
    error(() => crypto.createPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).split(' | ')[0],
  ];
  // (Not equals() across key types: Node 20 then leaves an OpenSSL error queued, which the
  // next OpenSSL call reports instead of its own result.)
  v.keyEquals = [rsa.equals(crypto.createPrivateKey(KEYS.rsaPkcs1)), ec.equals(crypto.createPrivateKey(KEYS.p256Sec1)),
    crypto.createSecretKey(Buffer.from('a')).equals(crypto.createSecretKey(Buffer.from('b'))), rsa.equals(crypto.createPublicKey(rsa))];
  return v;
}

async function webVectors() {
  const s = globalThis.crypto.subtle;
  const v = {};
  const enc = new TextEncoder().encode(TEXT);
  v.digest = [];
  for (const a of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) v.digest.push(b64(await s.digest(a, enc)));
  const hk = await s.importKey('raw', new TextEncoder().encode('key'), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
  const mac = await s.sign('HMAC', hk, enc);
  v.hmac = [b64(mac), await s.verify('HMAC', hk, mac, enc), await s.verify('HMAC', hk, mac, new Uint8Array(1)),
    JSON.stringify(sorted(await s.exportKey('jwk', hk))), hk.algorithm.length, hk.algorithm.hash.name];
  const pk = (pem) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const rsa = await s.importKey('pkcs8', pk(KEYS.rsa.private), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  const rsaPub = await s.importKey('spki', pk(KEYS.rsa.public), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
  const rsaSig = await s.sign('RSASSA-PKCS1-v1_5', rsa, enc);
  const ed = await s.importKey('pkcs8', pk(KEYS.ed25519.private), { name: 'Ed25519' }, true, ['sign']);
  const edSig = await s.sign('Ed25519', ed, enc);
  const ec = await s.importKey('pkcs8', pk(KEYS.p256.private), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const ecPub = await s.importKey('spki', pk(KEYS.p256.public), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const ecSig = await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, ec, enc);
  const pss = await s.importKey('pkcs8', pk(KEYS.rsa.private), { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['sign']);
  const { alg, ...rsaJwk } = await s.exportKey('jwk', rsaPub);
  const pssPub = await s.importKey('jwk', { ...rsaJwk, key_ops: ['verify'] }, { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['verify']);
  const algMismatch = await rejection(s.importKey('jwk', { ...rsaJwk, alg }, { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['verify']));
  const pssSig = await s.sign({ name: 'RSA-PSS', saltLength: 48 }, pss, enc);
  v.sign = [b64(rsaSig), await s.verify('RSASSA-PKCS1-v1_5', rsaPub, rsaSig, enc), b64(edSig),
    ecSig.byteLength, await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, ecPub, ecSig, enc),
    await s.verify({ name: 'RSA-PSS', saltLength: 48 }, pssPub, pssSig, enc),
    rsa.algorithm.modulusLength, b64(rsa.algorithm.publicExponent), rsa.algorithm.hash.name, ec.algorithm.namedCurve,
    rsa.type, rsaPub.type, rsa.extractable, JSON.stringify(rsa.usages), Object.prototype.toString.call(rsa)];
  v.export = [JSON.stringify(sorted(await s.exportKey('jwk', ec))), b64(await s.exportKey('raw', ecPub)),
    JSON.stringify(sorted(await s.exportKey('jwk', ed))), b64(await s.exportKey('spki', rsaPub)),
    b64(await s.exportKey('pkcs8', ed)), JSON.stringify(sorted(await s.exportKey('jwk', rsa)))];
  const aes = await s.importKey('raw', new Uint8Array(32).fill(5), 'AES-GCM', true, ['encrypt', 'decrypt']);
  const iv = new Uint8Array(12).fill(1);
  const ct = await s.encrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array([1]) }, aes, enc);
  const cbcKey = await s.importKey('raw', new Uint8Array(16).fill(2), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
  const cbc = await s.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, cbcKey, new Uint8Array([1, 2, 3]));
  v.aes = [b64(ct), new TextDecoder().decode(await s.decrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array([1]) }, aes, ct)) === TEXT,
    b64(cbc), b64(await s.decrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, cbcKey, cbc)),
    await rejection(s.decrypt({ name: 'AES-GCM', iv }, aes, ct)), aes.algorithm.length];
  const pw = await s.importKey('raw', new TextEncoder().encode('password'), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
  v.pbkdf2 = [b64(await s.deriveBits({ name: 'PBKDF2', salt: new TextEncoder().encode('salt'), iterations: 4096, hash: 'SHA-256' }, pw, 256))];
  const gen = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const gsig = await s.sign({ name: 'ECDSA', hash: 'SHA-384' }, gen.privateKey, enc);
  const ged = await s.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  v.generate = [gen.publicKey.algorithm.namedCurve, gsig.byteLength, await s.verify({ name: 'ECDSA', hash: 'SHA-384' }, gen.publicKey, gsig, enc),
    JSON.stringify(gen.privateKey.usages), JSON.stringify(gen.publicKey.usages), gen.publicKey.extractable, ged.privateKey.extractable,
    (await s.generateKey({ name: 'HMAC', hash: 'SHA-512' }, true, ['sign'])).algorithm.length,
    crypto.KeyObject.from(gen.privateKey).asymmetricKeyType];
  v.errors = [
    await rejection(s.digest('MD5', enc)),
    await rejection(s.importKey('raw', new Uint8Array(3), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify'])),
    await rejection(s.exportKey('jwk', pss)),
    await rejection(s.sign('HMAC', rsa, enc)),
    await rejection(s.importKey('spki', pk(KEYS.rsa.public), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify'])),
    await rejection(s.importKey('raw', new Uint8Array(16), 'AES-GCM', true, ['sign'])),
    algMismatch,
  // (Node 20 names the non-extractable export error InvalidAccessException; the spec and
  // later Node versions say InvalidAccessError.)
  ].map((e) => e.split(' | ')[0].replace('InvalidAccessException', 'InvalidAccessError'));
  return v;
}

async function zlibVectors() {
  const v = {};
  const inputs = ['', 'x', TEXT, Buffer.alloc(100000, 'ab')];
  const pairs = [['gzip', 'gunzip'], ['deflate', 'inflate'], ['deflateRaw', 'inflateRaw'], ['brotliCompress', 'brotliDecompress'], ['gzip', 'unzip'], ['deflate', 'unzip']];
  v.roundTrip = pairs.map(([a, b]) => inputs.map((i) => zlib[`${b}Sync`](zlib[`${a}Sync`](i)).equals(Buffer.from(i))));
  v.levels = [0, 1, 9].map((level) => zlib.inflateSync(zlib.deflateSync(TEXT, { level })).toString() === TEXT);
  v.small = [zlib.gzipSync('x').toString('hex'), zlib.gzipSync('x', { level: 9 }).toString('hex')];
  const gz = zlib.gzipSync(TEXT);
  v.errors = [
    error(() => zlib.inflateSync(Buffer.from('garbage'))),
    error(() => zlib.gunzipSync(Buffer.from('garbage'))),
    error(() => zlib.gunzipSync(gz.subarray(0, 20))),
    error(() => zlib.inflateSync(zlib.deflateSync(TEXT).subarray(0, 5))),
    error(() => { const g = Buffer.from(gz); g[g.length - 5] ^= 1; zlib.gunzipSync(g); }),
    error(() => zlib.brotliDecompressSync(zlib.brotliCompressSync(TEXT).subarray(0, 10))),
    error(() => zlib.gunzipSync(gz, { maxOutputLength: 100 })),
    error(() => zlib.gzipSync('x', { level: 12 })),
    error(() => zlib.gzipSync(42)),
    error(() => zlib.unzipSync(Buffer.from('xyz'))),
    error(() => zlib.brotliDecompressSync(Buffer.from('garbage'))).split(' | ').slice(0, 1).join(),
  ];
  v.finishFlush = zlib.gunzipSync(gz.subarray(0, gz.length - 40), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length > 0;
  v.concatenated = zlib.gunzipSync(Buffer.concat([zlib.gzipSync('ab'), zlib.gzipSync('cd')])).toString();
  v.callback = await new Promise((resolve) => zlib.deflate(TEXT, (e, b) => zlib.inflate(b, (e2, out) => resolve(String(out) === TEXT))));
  v.promisified = (await promisify(zlib.brotliDecompress)(await promisify(zlib.brotliCompress)('hi'))).toString();
  v.stream = await new Promise((resolve, reject) => {
    const chunks = [];
    const gzs = zlib.createGzip({ level: 6 });
    const gun = zlib.createGunzip();
    gzs.pipe(gun);
    gun.on('data', (c) => chunks.push(c));
    gun.on('end', () => resolve(Buffer.concat(chunks).toString() === TEXT + TEXT));
    gun.on('error', reject);
    gzs.write(TEXT);
    gzs.flush(() => { gzs.end(TEXT); });
  });
  v.streamError = await new Promise((resolve) => {
    const inf = zlib.createInflate();
    inf.on('error', (e) => resolve([e.code, e.message, e.errno].join(' | ')));
    inf.on('data', () => {});
    inf.end(Buffer.from('not zlib'));
  });
  v.constants = [zlib.constants.Z_SYNC_FLUSH, zlib.constants.BROTLI_PARAM_QUALITY, zlib.Z_BEST_COMPRESSION, typeof zlib.Gzip, typeof zlib.createBrotliDecompress];
  return v;
}

async function joseVectors() {
  const v = {};
  const secret = new TextEncoder().encode('a-string-secret-at-least-256-bits-long');
  const claims = { sub: 'user-1', admin: true };
  v.hs256 = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(IAT).sign(secret);
  const rsa = await jose.importPKCS8(KEYS.rsa.private, 'RS256');
  v.rs256 = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setIssuedAt(IAT).sign(rsa);
  const ed = await jose.importPKCS8(KEYS.ed25519.private, 'EdDSA');
  v.eddsa = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'EdDSA' }).setIssuedAt(IAT).sign(ed);
  const pub = await jose.importSPKI(KEYS.p256.public, 'ES256');
  v.jwk = await jose.exportJWK(pub);
  v.thumbprint = await jose.calculateJwkThumbprint(v.jwk);
  v.verifyOwnHs = (await jose.jwtVerify(v.hs256, secret)).payload;
  v.bad = await rejection(jose.jwtVerify(v.hs256 + 'x', secret));
  v.jsonwebtoken = [
    jwt.sign({ ...claims, iat: IAT }, 'shhh'),
    jwt.sign({ ...claims, iat: IAT }, KEYS.rsa.private, { algorithm: 'RS256' }),
    jwt.verify(jwt.sign({ ...claims, iat: IAT }, 'shhh'), 'shhh'),
    error(() => jwt.verify(jwt.sign({ a: 1 }, 'shhh'), 'other')),
  ];
  return v;
}

// Artifacts only this side can make (random signatures, fresh keys, compressed bytes).
async function make() {
  const s = globalThis.crypto.subtle;
  const m = { text: TEXT };
  const ec = crypto.createPrivateKey(KEYS.p256.private);
  m.es256 = b64(crypto.sign('sha256', Buffer.from(TEXT), ec));
  m.es384 = b64(crypto.sign('sha384', Buffer.from(TEXT), KEYS.p384.private));
  m.ps256 = b64(crypto.sign('sha256', Buffer.from(TEXT), { key: KEYS.rsa.private, padding: 6, saltLength: 32 }));
  m.psMax = b64(crypto.sign('sha256', Buffer.from(TEXT), { key: KEYS.rsa.private, padding: 6 }));
  const gen = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' } });
  m.genPub = gen.publicKey;
  m.genSig = b64(crypto.sign('sha256', Buffer.from('fresh'), gen.privateKey));
  const ed = crypto.generateKeyPairSync('ed25519');
  m.edPub = ed.publicKey.export({ format: 'jwk' });
  m.edSig = b64(crypto.sign(null, Buffer.from('fresh'), ed.privateKey));
  const wk = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  m.webJwk = await s.exportKey('jwk', wk.publicKey);
  m.webSig = b64(await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, wk.privateKey, new TextEncoder().encode('web')));
  const es = await jose.generateKeyPair('ES256', { extractable: true });
  m.joseJwk = await jose.exportJWK(es.publicKey);
  m.joseEs256 = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt().setExpirationTime('1h').sign(es.privateKey);
  m.joseRs256 = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).sign(await jose.importPKCS8(KEYS.rsa.private, 'RS256'));
  m.josePs256 = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'PS256' }).sign(await jose.importPKCS8(KEYS.rsa.private, 'PS256'));
  m.joseEdDsa = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuedAt().sign(await jose.importPKCS8(KEYS.ed25519.private, 'EdDSA'));
  m.joseHs256 = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode('a-string-secret-at-least-256-bits-long'));
  m.jwtEs256 = jwt.sign({ sub: 'y' }, KEYS.p256.private, { algorithm: 'ES256' });
  m.jwtPs256 = jwt.sign({ sub: 'y' }, KEYS.rsa.private, { algorithm: 'PS256' });
  m.jwtHs256 = jwt.sign({ sub: 'y' }, 'shhh', { expiresIn: '1h' });
  const key = crypto.randomBytes(32), iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  m.gcm = { key: b64(key), iv: b64(iv), ct: b64(Buffer.concat([c.update(TEXT), c.final()])), tag: b64(c.getAuthTag()) };
  m.zipped = {};
  for (const f of ['gzip', 'deflate', 'deflateRaw', 'brotliCompress']) m.zipped[f] = b64(zlib[`${f}Sync`](TEXT.repeat(50)));
  m.zipped.gzipLevel1 = b64(zlib.gzipSync(TEXT, { level: 1 }));
  return m;
}

// Checks the peer's artifacts here.
async function check(p) {
  const s = globalThis.crypto.subtle;
  const text = Buffer.from(p.text);
  const c = {};
  c.es256 = crypto.verify('sha256', text, KEYS.p256.public, unb64(p.es256));
  c.es384 = crypto.verify('sha384', text, crypto.createPublicKey(KEYS.p384.private), unb64(p.es384));
  c.ps256 = crypto.verify('sha256', text, { key: KEYS.rsa.public, padding: 6, saltLength: 32 }, unb64(p.ps256));
  c.psMaxAuto = crypto.verify('sha256', text, { key: KEYS.rsa.public, padding: 6 }, unb64(p.psMax));
  c.genSig = crypto.verify('sha256', Buffer.from('fresh'), p.genPub, unb64(p.genSig));
  c.edSig = crypto.verify(null, Buffer.from('fresh'), { key: p.edPub, format: 'jwk' }, unb64(p.edSig));
  const wpub = await s.importKey('jwk', p.webJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  c.webSig = await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, wpub, unb64(p.webSig), new TextEncoder().encode('web'));
  c.joseEs256 = (await jose.jwtVerify(p.joseEs256, await jose.importJWK(p.joseJwk, 'ES256'))).payload.sub === 'x';
  c.joseRs256 = (await jose.jwtVerify(p.joseRs256, await jose.importSPKI(KEYS.rsa.public, 'RS256'))).payload.sub === 'x';
  c.josePs256 = (await jose.jwtVerify(p.josePs256, await jose.importSPKI(KEYS.rsa.public, 'PS256'))).payload.sub === 'x';
  c.joseEdDsa = (await jose.jwtVerify(p.joseEdDsa, await jose.importSPKI(KEYS.ed25519.public, 'EdDSA'))).payload.sub === 'x';
  c.joseHs256 = (await jose.jwtVerify(p.joseHs256, new TextEncoder().encode('a-string-secret-at-least-256-bits-long'))).payload.sub === 'x';
  c.joseJwks = (await jose.jwtVerify(p.joseEs256, jose.createLocalJWKSet({ keys: [{ ...p.joseJwk, alg: 'ES256' }] }))).payload.sub === 'x';
  c.jwtEs256 = jwt.verify(p.jwtEs256, KEYS.p256.public).sub === 'y';
  c.jwtPs256 = jwt.verify(p.jwtPs256, KEYS.rsa.public, { algorithms: ['PS256'] }).sub === 'y';
  c.jwtHs256 = jwt.verify(p.jwtHs256, 'shhh').sub === 'y';
  c.joseJsonwebtoken = jwt.verify(p.joseRs256, KEYS.rsa.public).sub === 'x';
  const d = crypto.createDecipheriv('aes-256-gcm', unb64(p.gcm.key), unb64(p.gcm.iv));
  d.setAuthTag(unb64(p.gcm.tag));
  c.gcm = Buffer.concat([d.update(unb64(p.gcm.ct)), d.final()]).toString() === p.text;
  const inverse = { gzip: 'gunzipSync', deflate: 'inflateSync', deflateRaw: 'inflateRawSync', brotliCompress: 'brotliDecompressSync', gzipLevel1: 'unzipSync' };
  for (const [f, packed] of Object.entries(p.zipped)) {
    c[`zlib ${f}`] = zlib[inverse[f]](unb64(packed)).toString() === (f === 'gzipLevel1' ? p.text : p.text.repeat(50));
  }
  return c;
}

async function run(input = {}) {
  const section = async (name, fn) => {
    try { return await fn(); } catch (e) { return { failed: `${name}: ${e && e.stack ? e.stack : e}`, message: e && e.message }; }
  };
  return {
    vectors: {
      node: await section('node', nodeVectors),
      web: await section('web', webVectors),
      zlib: await section('zlib', zlibVectors),
      jose: await section('jose', joseVectors),
    },
    made: await section('make', make),
    checks: input.peer ? await section('check', () => check(input.peer)) : {},
  };
}

module.exports = { run };
