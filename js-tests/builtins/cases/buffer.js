// Buffer: encodings, edge cases and errors (run under Node and HBF; see ../run.js).
const { Buffer } = require('buffer');
const ENC = ['utf8', 'utf-8', 'UTF8', 'utf16le', 'ucs2', 'ucs-2', 'latin1', 'binary', 'ascii', 'base64', 'base64url', 'hex'];
const TEXT = 'héllo wörld € 𝄞 \u0000\u007f';
for (const enc of ENC) {
  t(`from/toString ${enc}`, () => { const b = Buffer.from(TEXT, enc); return [b, b.toString(enc), Buffer.byteLength(TEXT, enc)]; });
  t(`bytes toString ${enc}`, () => Buffer.from([0, 1, 127, 128, 200, 255, 0xe2, 0x82, 0xac, 0x41]).toString(enc));
}
t('hex odd length', () => Buffer.from('abc', 'hex'));
t('hex junk', () => [Buffer.from('abzz12', 'hex'), Buffer.from('zz', 'hex'), Buffer.from('0g', 'hex'), Buffer.from('AbCd', 'hex')]);
t('base64 no padding', () => [Buffer.from('aGVsbG8', 'base64'), Buffer.from('aGVsbA', 'base64'), Buffer.from('aA', 'base64'), Buffer.from('a', 'base64')]);
t('base64 junk', () => [Buffer.from('aGV sbG8=\n', 'base64'), Buffer.from('aG==VsbG8', 'base64'), Buffer.from('!!aGk', 'base64'), Buffer.from('-_8', 'base64'), Buffer.from('+/8=', 'base64url')]);
t('base64 lengths', () => ['', 'a', 'aa', 'aaa', 'aaaa', 'aa==', 'a===', '===='].map((s) => [Buffer.byteLength(s, 'base64'), Buffer.from(s, 'base64').length]));
t('base64 encode', () => [0, 1, 2, 3, 4, 5].map((n) => [Buffer.alloc(n, 0xfb).toString('base64'), Buffer.alloc(n, 0xff).toString('base64url')]));
t('invalid utf8', () => [Buffer.from([0xff, 0xfe, 0x41]).toString(), Buffer.from([0xe2, 0x82]).toString(), Buffer.from([0xed, 0xa0, 0x80]).toString(), Buffer.from([0xf0, 0x9f, 0x98]).toString() + 'x', Buffer.from([0xc0, 0xaf]).toString()]);
t('lone surrogates', () => [Buffer.from('a\ud800b'), Buffer.from('\udc00'), Buffer.from('\ud83d\ude00'), Buffer.byteLength('\ud800')]);
t('utf16 odd', () => Buffer.from([0x41, 0, 0x42]).toString('utf16le'));
t('ascii high', () => Buffer.from('é\u00ff', 'ascii'));
t('alloc', () => [Buffer.alloc(3), Buffer.alloc(5, 'ab'), Buffer.alloc(4, 0x101), Buffer.alloc(6, 'aGk=', 'base64'), Buffer.alloc(3, ''), Buffer.alloc(2, Buffer.from([7, 8, 9]))]);
t('alloc errors', () => [-1, 'x', 2 ** 33, NaN, 1.5].map((n) => { try { return Buffer.alloc(n).length; } catch (e) { return e; } }));
t('from errors', () => [1, {}, null, undefined, Symbol.iterator].map((v) => { try { return Buffer.from(v); } catch (e) { return e; } }));
t('from variants', () => [Buffer.from([1, 256, -1, 1.7, '3']), Buffer.from({ length: 2, 0: 5 }), Buffer.from({ type: 'Buffer', data: [1, 2] }), Buffer.from(new Uint16Array([1, 258])), Buffer.from(new Uint8Array([1, 2, 3]).buffer, 1, 1), Buffer.from(new String('hi'))]);
t('from arraybuffer bounds', () => [[5], [0, 9], [-1]].map((a) => { try { return Buffer.from(new ArrayBuffer(4), ...a); } catch (e) { return e; } }));
t('unknown encoding', () => { try { return Buffer.from('a', 'nope'); } catch (e) { return e; } });
t('toString unknown encoding', () => { try { return Buffer.from('a').toString('nope'); } catch (e) { return e; } });
t('toString ranges', () => { const b = Buffer.from('abcdef'); return [b.toString('utf8', 1, 3), b.toString('utf8', -5, 100), b.toString('utf8', 4, 2), b.toString(undefined, 2), b.toString('hex', 1.5, 3.9)]; });
t('isEncoding', () => [...ENC, 'nope', '', null, 'UTF-16LE', 'Binary'].map((e) => Buffer.isEncoding(e)));
t('concat', () => [Buffer.concat([Buffer.from('ab'), new Uint8Array([99]), Buffer.from('d')]), Buffer.concat([Buffer.from('abc')], 2), Buffer.concat([Buffer.from('a')], 4), Buffer.concat([])]);
t('concat errors', () => [1, [1], [Buffer.from('a'), 'b']].map((l) => { try { return Buffer.concat(l); } catch (e) { return e; } }));
t('compare/equals', () => { const a = Buffer.from('abc'), b = Buffer.from('abd'); return [Buffer.compare(a, b), Buffer.compare(b, a), a.compare(a), a.equals(Buffer.from('abc')), a.equals(b), a.compare(b, 0, 2, 0, 2), a.compare(b, 1), Buffer.compare(Buffer.from('ab'), Buffer.from('abc'))]; });
t('compare errors', () => [() => Buffer.compare(1, 2), () => Buffer.from('a').equals('a'), () => Buffer.from('a').compare(Buffer.from('b'), 0, 5)].map((f) => { try { return f(); } catch (e) { return e; } }));
t('slice/subarray', () => { const b = Buffer.from('abcdef'); return [b.slice(1, 3), b.slice(-2), b.slice(-10, 2), b.subarray(4, 1), b.slice(2, -1), b.slice('1', '3'), b.slice(NaN, 2)]; });
t('slice shares memory', () => { const b = Buffer.from('abc'); const s = b.slice(1); s[0] = 0x7a; return b; });
t('indexOf', () => { const b = Buffer.from('abcabc'); return [b.indexOf('b'), b.indexOf('b', 2), b.indexOf('b', -2), b.lastIndexOf('b'), b.lastIndexOf('b', 3), b.indexOf(99), b.indexOf(Buffer.from('ca')), b.indexOf(''), b.indexOf('', 10), b.lastIndexOf(''), b.includes('cab'), b.indexOf('x'), b.indexOf('YWJj', 'base64'), b.indexOf('6263', 0, 'hex'), b.indexOf(0x161), b.lastIndexOf('c', -5), b.indexOf('a', -100)]; });
t('indexOf errors', () => [() => Buffer.from('a').indexOf({}), () => Buffer.from('a').indexOf('a', 0, 'nope')].map((f) => { try { return f(); } catch (e) { return e; } }));
t('fill', () => [Buffer.alloc(5).fill('ab'), Buffer.alloc(5).fill(1, 1, 3), Buffer.alloc(4).fill('abc', 1), Buffer.alloc(4).fill('6162', 'hex'), Buffer.alloc(3).fill(''), Buffer.alloc(3).fill(257), Buffer.alloc(3).fill(true)]);
t('fill errors', () => [() => Buffer.alloc(2).fill('x', 'hex'), () => Buffer.alloc(2).fill(1, 0, 5), () => Buffer.alloc(2).fill(1, -1), () => Buffer.alloc(2).fill('a', 0, 2, 'nope')].map((f) => { try { return f(); } catch (e) { return e; } }));
t('copy', () => { const a = Buffer.from('abcdef'), b = Buffer.alloc(4); return [a.copy(b), b, a.copy(b, 2, 4), b, a.copy(b, 10), a.copy(b, 0, 5, 3), a.copy(b, 1.5, 0, 1)]; });
t('copy errors', () => [() => Buffer.from('a').copy(1), () => Buffer.from('a').copy(Buffer.alloc(1), -1), () => Buffer.from('a').copy(Buffer.alloc(1), 0, 5), () => Buffer.from('a').copy(Buffer.alloc(1), 0, 0, -1)].map((f) => { try { return f(); } catch (e) { return e; } }));
t('write', () => { const b = Buffer.alloc(6); return [b.write('hé'), b, b.write('€€', 3), b, b.write('abcdef', 1, 2), b, b.write('6162', 4, 'hex'), b.write('ab', 'latin1'), b.write('zz', 5, 1, 'utf8'), b]; });
t('write errors', () => [() => Buffer.alloc(2).write('a', 3), () => Buffer.alloc(2).write('a', -1), () => Buffer.alloc(2).write(1), () => Buffer.alloc(2).write('a', 0, 1, 'nope'), () => Buffer.alloc(2).write('a', 0, 5)].map((f) => { try { return f(); } catch (e) { return e; } }));
t('toJSON', () => [Buffer.from('ab').toJSON(), JSON.stringify(Buffer.from([1, 2])), Buffer.alloc(0).toJSON()]);
t('swap', () => [Buffer.from([1, 2, 3, 4]).swap16(), Buffer.from([1, 2, 3, 4]).swap32(), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).swap64()]);
t('swap errors', () => [() => Buffer.alloc(3).swap16(), () => Buffer.alloc(6).swap32(), () => Buffer.alloc(4).swap64()].map((f) => { try { return f(); } catch (e) { return e; } }));
const b8 = Buffer.from([0x81, 0x02, 0x83, 0x04, 0xf5, 0x06, 0x07, 0xf8]);
for (const m of ['readUInt8', 'readInt8', 'readUInt16LE', 'readUInt16BE', 'readInt16LE', 'readInt16BE', 'readUInt32LE', 'readUInt32BE', 'readInt32LE', 'readInt32BE', 'readFloatLE', 'readFloatBE', 'readDoubleLE', 'readDoubleBE', 'readBigUInt64LE', 'readBigInt64BE', 'readBigInt64LE', 'readBigUInt64BE', 'readUint8', 'readUint16LE']) {
  t(m, () => [0, 1, 4, 7, 8, -1, 1.5, '0', NaN, undefined].map((o) => { try { return b8[m](o); } catch (e) { return e; } }));
}
for (const m of ['readUIntLE', 'readUIntBE', 'readIntLE', 'readIntBE']) {
  t(m, () => [[0, 1], [0, 3], [1, 5], [2, 6], [0, 7], [0, 0], [3, 6], [undefined, 2], [0], [0, '2']].map((a) => { try { return b8[m](...a); } catch (e) { return e; } }));
}
for (const [m, values] of [['writeUInt8', [0, 255, 256, -1, 1.9, '7', NaN]], ['writeInt8', [-128, 127, 128, -129]], ['writeUInt16LE', [0, 65535, 65536, -1]], ['writeUInt16BE', [258]], ['writeInt16LE', [-32768, 32767, 40000]], ['writeInt16BE', [-2]], ['writeUInt32LE', [0, 4294967295, 4294967296, -1]], ['writeUInt32BE', [0x01020304]], ['writeInt32LE', [-2147483648, 2147483647, 2147483648]], ['writeInt32BE', [-5]], ['writeFloatLE', [1.5, NaN, Infinity, 1e40]], ['writeFloatBE', [-0.25]], ['writeDoubleLE', [Math.PI]], ['writeDoubleBE', [-1e300]], ['writeBigInt64LE', [-1n, 2n ** 63n, -(2n ** 63n)]], ['writeBigUInt64BE', [2n ** 64n - 1n, 2n ** 64n, -1n]]]) {
  t(m, () => values.map((v) => { const b = Buffer.alloc(8); try { return [b[m](v, 0), b]; } catch (e) { return e; } }));
  t(`${m} offsets`, () => [1, 7, 8, -1, 0.5, '0'].map((o) => { const b = Buffer.alloc(8); try { return [b[m](m.includes('Big') ? 1n : 1, o), b]; } catch (e) { return e; } }));
}
for (const m of ['writeUIntLE', 'writeUIntBE', 'writeIntLE', 'writeIntBE']) {
  t(m, () => [[1, 0, 1], [0x123456, 1, 3], [2 ** 40 - 1, 0, 5], [-(2 ** 47), 0, 6], [2 ** 48, 0, 6], [-1, 0, 2], [1, 0, 7], [1, 4, 6], [1, undefined, 2]].map((a) => { const b = Buffer.alloc(8); try { return [b[m](...a), b]; } catch (e) { return e; } }));
}
t('isBuffer/instanceof', () => [Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1)), Buffer.alloc(1) instanceof Uint8Array, Buffer.alloc(1) instanceof Buffer, Buffer.from('a').constructor === Buffer, Buffer.from('abc').slice(1) instanceof Buffer]);
t('kMaxLength and constants', () => { const b = require('buffer'); return [b.kMaxLength, b.constants.MAX_LENGTH, b.INSPECT_MAX_BYTES, typeof b.SlowBuffer, Buffer.poolSize]; });
t('inspect', () => [require('util').inspect(Buffer.from('hello')), require('util').inspect(Buffer.alloc(60)), require('util').inspect({ b: Buffer.from([1, 2]) })]);
t('deprecated Buffer()', () => [Buffer(3), new Buffer('ab'), Buffer.of(1, 2, 300)]);
t('map/filter species', () => [Buffer.from([1, 2, 3]).map((x) => x * 2), Buffer.from([1, 2, 3]).filter((x) => x > 1) instanceof Buffer]);
t('iterate', () => [[...Buffer.from('ab')], [...Buffer.from('ab').entries()], Buffer.from('ab').length]);
t('large base64/hex round trip', () => { const b = Buffer.alloc(100000); for (let i = 0; i < b.length; i++) b[i] = (i * 7) & 255; const s = b.toString('base64'); const h = b.toString('hex'); return [s.length, h.length, Buffer.from(s, 'base64').equals(b), Buffer.from(h, 'hex').equals(b), s.slice(0, 40), h.slice(-40)]; });
t('isUtf8/isAscii', () => { const m = require('buffer'); return [m.isUtf8(Buffer.from('é')), m.isUtf8(Buffer.from([0xff])), m.isAscii(Buffer.from('a')), m.isAscii(Buffer.from('é'))]; });
t('atob/btoa', () => { const m = require('buffer'); return [m.btoa('hi'), m.atob('aGk=')]; });
