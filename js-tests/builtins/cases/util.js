// util.format / util.inspect / promisify & co (run under Node and HBF; see ../run.js).
const util = require('util');
t('format', () => [util.format('%s:%d:%i:%f:%j:%%', 'a', 1.5, 2.7, '3.5', { a: 1 }), util.format('%o', [1]), util.format('%O', { a: { b: { c: { d: 1 } } } }), util.format('a', 'b', 1, { c: 2 }), util.format('%s', null, undefined), util.format(1, 2), util.format('%s', { toString() { return 'T'; } }), util.format('%d', 10n), util.format('%s %s', 'only')]);
const values = {
  primitives: [1, -0, 'str', "it's", true, null, undefined, 10n, Symbol('s'), NaN],
  object: { a: 1, 'b-c': 2, nested: { x: [1, 2, { deep: { deeper: { deepest: 1 } } }] } },
  array: [1, 'two', [3, [4, [5, [6]]]]],
  long: Array.from({ length: 30 }, (_, i) => i * 1000),
  longStrings: Array.from({ length: 10 }, (_, i) => 'item' + i),
  manyKeys: Object.fromEntries(Array.from({ length: 12 }, (_, i) => ['key' + i, 'value' + i])),
  map: new Map([['a', 1], [{ k: 1 }, [2]]]),
  set: new Set([1, 'a', [2]]),
  empty: [{}, [], new Map(), new Set(), Object.create(null)],
  classes: [new (class Foo { constructor() { this.x = 1; } })(), new (class Bar {})(), class Baz {}, function named() {}, () => {}, async function af() {}],
  special: [new Date(0), /re/gi, new Number(3), new String('s'), [1, , 3], new Uint8Array([1, 2]), new ArrayBuffer(2)],
  getters: { get g() { return 1; }, set s(v) {}, get gs() { return 1; }, set gs(v) {} },
  symbols: { [Symbol('k')]: 1, normal: 2 },
  big: Array.from({ length: 120 }, (_, i) => i),
  tagged: { [Symbol.toStringTag]: 'Tag', a: 1 },
  custom: { [util.inspect.custom]() { return 'CUSTOM'; } },
};
for (const [name, v] of Object.entries(values)) t(`inspect ${name}`, () => util.inspect(v));
t('inspect circular', () => { const o = { a: 1 }; o.self = o; o.arr = [o]; return util.inspect(o); });
t('inspect options', () => [util.inspect({ a: { b: { c: { d: {} } } } }, { depth: 0 }), util.inspect({ a: { b: { c: { d: {} } } } }, { depth: null }), util.inspect('x'.repeat(20), { maxStringLength: 5 }), util.inspect([1, 2, 3], { maxArrayLength: 1 }), util.inspect({ b: 1, a: 2 }, { sorted: true }), util.inspect({ a: [1, 2] }, { compact: false }), util.inspect({ a: 1, b: 'x' }, { breakLength: 3 })]);
t('promisify', async () => { function cb(a, done) { setTimeout(() => done(null, a * 2), 1); } function bad(done) { done(new Error('nope')); } const p = util.promisify(cb); let err; try { await util.promisify(bad)(); } catch (e) { err = e; } return [await p(21), err]; });
t('promisify custom', async () => { function f() {} f[util.promisify.custom] = () => Promise.resolve('custom'); return [await util.promisify(f)(), util.promisify(f) === f[util.promisify.custom]]; });
t('callbackify', async () => { const f = util.callbackify(async (x) => x + 1); return await new Promise((r) => f(1, (err, v) => r([err, v]))); });
t('inherits', () => { function A() {} function B() {} util.inherits(A, B); return [A.super_ === B, new A() instanceof B]; });
t('types', () => [util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isPromise(Promise.resolve()), util.types.isUint8Array(Buffer.alloc(1)), util.types.isAsyncFunction(async () => {}), util.types.isMap(new Map()), util.types.isBoxedPrimitive(new Number(1)), util.types.isNativeError(new TypeError()), util.types.isArrayBuffer(new ArrayBuffer(1)), util.types.isTypedArray([])]);
t('isDeepStrictEqual', () => [util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), util.isDeepStrictEqual([1], ['1']), util.isDeepStrictEqual(new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])), util.isDeepStrictEqual(new Set([{ a: 1 }]), new Set([{ a: 2 }])), util.isDeepStrictEqual(NaN, NaN), util.isDeepStrictEqual(0, -0)]);
t('TextEncoder', () => [new util.TextEncoder().encode('é'), new util.TextDecoder().decode(new Uint8Array([0xe2, 0x82, 0xac]))]);
const more = {
  groupedNumbers: Array.from({ length: 26 }, (_, i) => i * i),
  groupedStrings: ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota'],
  mixedArray: [1, 'a', { b: 2 }, [3], null, undefined, true],
  nestedMaps: new Map([['outer', new Map([['inner', { deep: [1, 2, 3] }]])]]),
  objectInArrays: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 3, name: 'three' }],
  longValue: { description: 'x'.repeat(100), short: 1 },
  multiline: { text: 'line one\nline two\nline three that is long enough to wrap the output here' },
  nullProto: Object.assign(Object.create(null), { a: 1, b: [1] }),
  sparse: [1, , , 4, , 6],
  typedBig: new Float64Array([1.5, -0, NaN, Infinity]),
  boxed: [new Boolean(false), Object(1n), Object(Symbol('q'))],
  dates: { created: new Date(86400000), invalid: new Date(NaN) },
  errorProps: Object.assign(new Error('with props'), { code: 'E_X', status: 500 }).code,
  emptyNested: { a: {}, b: [], c: { d: {} } },
};
for (const [name, v] of Object.entries(more)) t(`inspect more ${name}`, () => util.inspect(v));
t('inspect depth 3 nested arrays', () => util.inspect({ l1: { l2: { l3: { l4: { l5: 1 } } } }, arr: [[[[[1]]]]] }));
t('format objects', () => [util.format('%s', [1, [2]]), util.format('%s', new Error('e').message), util.format('%j', { toJSON() { return 'J'; } }), util.format('%o', { a: [1, 2] })]);
