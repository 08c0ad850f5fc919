'use strict';
// node:stream/promises — pipeline and finished returning promises (see node:stream).
module.exports = require('stream').promises;
