// node:string_decoder (run under Node and HBF; see ../run.js).
const { StringDecoder } = require('string_decoder');
const euro = Buffer.from('€𝄞');
t('utf8 split', () => { const d = new StringDecoder('utf8'); const out = []; for (const b of euro) out.push(d.write(Buffer.from([b]))); out.push(d.end()); return out; });
t('utf8 incomplete end', () => { const d = new StringDecoder(); return [d.write(Buffer.from([0xe2, 0x82])), d.end()]; });
t('utf16le split', () => { const d = new StringDecoder('utf16le'); const b = Buffer.from('a𝄞', 'utf16le'); return [d.write(b.subarray(0, 1)), d.write(b.subarray(1, 4)), d.write(b.subarray(4)), d.end()]; });
t('base64 split', () => { const d = new StringDecoder('base64'); return [d.write(Buffer.from('ab')), d.write(Buffer.from('cde')), d.end()]; });
t('hex/latin1', () => [new StringDecoder('hex').write(Buffer.from([1, 255])), new StringDecoder('latin1').write(Buffer.from([0xe9]))]);
t('unknown encoding', () => { try { return new StringDecoder('nope'); } catch (e) { return e; } });
