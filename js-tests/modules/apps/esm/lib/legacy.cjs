exports.kind = 'commonjs';
exports.helper = (s) => s + s;
