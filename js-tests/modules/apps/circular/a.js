__cycleLog.push('a starting');
exports.done = false;
const b = require('./b.js');
__cycleLog.push('in a, b.done = ' + b.done);
exports.done = true;
__cycleLog.push('a done');
