// node:querystring (run under Node and HBF; see ../run.js).
const qs = require('querystring');
t('parse', () => ['a=1&b=2', 'a=1&a=2&a=3', 'a', 'a=', '=b', '&&a=1&&', 'a+b=c+d', 'a=%20%zz%', 'x=%E2%82%AC', '', 'a[b]=1', 'a=1;b=2'].map((s) => ({ ...qs.parse(s) })));
t('parse options', () => [{ ...qs.parse('a:1;b:2', ';', ':') }, { ...qs.parse('a=1&b=2&c=3', null, null, { maxKeys: 2 }) }]);
t('stringify', () => [qs.stringify({ a: 1, b: [2, 3], c: 'x y', d: true, e: null, f: undefined, g: {}, h: 10n, i: NaN }), qs.stringify({ a: 'é€' }), qs.stringify({ a: 1 }, ';', ':'), qs.stringify('x'), qs.stringify({ a: [] })]);
t('escape/unescape', () => [qs.escape('a b&c/é'), qs.unescape('a%20b%zz'), qs.unescape('%E2%82')]);
