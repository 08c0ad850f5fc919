'use strict';
// node:stream's PassThrough (also _stream_passthrough): a Transform that passes chunks on.

const Transform = require('_stream_transform');

function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
Object.setPrototypeOf(PassThrough, Transform);
PassThrough.prototype._transform = function (chunk, encoding, cb) { cb(null, chunk); };

module.exports = PassThrough;
