'use strict';
// node:string_decoder — StringDecoder for utf8, utf16le/ucs2, base64, base64url, hex, latin1
// and ascii: write() keeps an incomplete multi-byte character (UTF-8 sequence, UTF-16 unit or
// surrogate pair, base64 group) for the next call; end() flushes it (U+FFFD for incomplete
// UTF-8, as Node). The lastChar/lastNeed/lastTotal internals are not exposed.

const { Buffer } = require('buffer');
const { withCode, invalidArgType } = require('hbf:node-errors');

function normalize(enc) {
  const e = enc === undefined || enc === null ? 'utf8' : String(enc).toLowerCase();
  switch (e) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    case 'latin1': case 'binary': return 'latin1';
    case 'base64': case 'base64url': case 'hex': case 'ascii': return e;
    default: return undefined;
  }
}

class StringDecoder {
  constructor(encoding) {
    const enc = normalize(encoding);
    if (enc === undefined) throw withCode(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${encoding}`);
    this.encoding = enc;
    this._pending = null;
    if (enc === 'utf8') this._utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  }

  write(buf) {
    if (typeof buf === 'string') return buf;
    if (!ArrayBuffer.isView(buf)) throw invalidArgType('buf', ['Buffer', 'TypedArray', 'DataView'], buf);
    let bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    if (this.encoding === 'utf8') return this._utf8.decode(bytes, { stream: true });
    if (this._pending) {
      bytes = Buffer.concat([this._pending, bytes]);
      this._pending = null;
    }
    let keep = 0;
    if (this.encoding === 'utf16le') {
      keep = bytes.length % 2;
      if (!keep && bytes.length >= 2) {
        const last = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
        if (last >= 0xd800 && last <= 0xdbff) keep = 2; // a high surrogate waits for its pair
      }
    } else if (this.encoding === 'base64' || this.encoding === 'base64url') {
      keep = bytes.length % 3;
    }
    if (keep) {
      this._pending = Buffer.from(bytes.subarray(bytes.length - keep));
      bytes = bytes.subarray(0, bytes.length - keep);
    }
    return bytes.toString(this.encoding);
  }

  end(buf) {
    let out = buf === undefined ? '' : this.write(buf);
    if (this.encoding === 'utf8') return out + this._utf8.decode();
    if (this._pending) {
      const rest = this._pending;
      this._pending = null;
      out += this.encoding === 'utf16le' ? rest.subarray(0, rest.length - (rest.length % 2)).toString('utf16le') : rest.toString(this.encoding);
    }
    return out;
  }

  text(buf, offset) { return this.write(buf.subarray(offset)); }
}

module.exports = { StringDecoder };
