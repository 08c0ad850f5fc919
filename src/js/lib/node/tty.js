'use strict';
// node:tty — isatty() is always false (a henv has no terminal); ReadStream and WriteStream
// exist for instanceof checks and throw when constructed.

const { unavailable } = require('hbf:node-errors');

function ReadStream() { unavailable('tty', 'ReadStream')(); }
function WriteStream() { unavailable('tty', 'WriteStream')(); }
WriteStream.prototype.hasColors = () => false;
WriteStream.prototype.getColorDepth = () => 1;
WriteStream.prototype.isTTY = false;

module.exports = { isatty: () => false, ReadStream, WriteStream };
