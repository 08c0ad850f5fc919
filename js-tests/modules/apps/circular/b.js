__cycleLog.push('b starting');
exports.done = false;
const a = require('./a.js');
__cycleLog.push('in b, a.done = ' + a.done);
exports.done = true;
__cycleLog.push('b done');
