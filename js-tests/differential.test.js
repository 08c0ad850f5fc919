'use strict';
// The differential apps through HBF's Express layer, compared with the committed results
// of the same requests against real Express 5 (differential/expected/node.json, made by
// differential/run-node.js). Needs no npm install.

const test = require('node:test');
const assert = require('node:assert/strict');
const { runAll } = require('./differential/run-shim');
const { diffResults } = require('./differential/compare');
const expected = require('./differential/expected/node.json');

test('differential: HBF Express layer == real Express 5', async (t) => {
  const actual = await runAll();
  for (const app of Object.keys(expected)) {
    await t.test(app, () => {
      const { failures } = diffResults({ [app]: expected[app] }, { [app]: actual[app] });
      assert.deepEqual(failures.map((f) => f.request + ': ' + f.problems.join('; ')), []);
    });
  }
});

// The same comparison with express.js running inside QuickJS-NG (WebAssembly build), when
// the differential devDependencies are installed (cd js-tests/differential && npm install).
const qjs = require('./differential/run-qjs');

test('differential: express.js inside QuickJS-NG == real Express 5', { skip: !qjs.available() && 'QuickJS-NG not installed' }, async (t) => {
  const { results, logs } = await qjs.runAll();
  for (const app of Object.keys(expected)) {
    await t.test(app, () => {
      const { failures } = diffResults({ [app]: expected[app] }, { [app]: results[app] });
      assert.deepEqual(failures.map((f) => f.request + ': ' + f.problems.join('; ')), []);
    });
  }
  await t.test('logged errors carry their message (V8-shaped stacks)', () => {
    const boom = logs.find(([app, level, msg]) => app === 'errors' && level === 'error' && msg.includes('boom'));
    assert.ok(boom, 'an error log for the "boom" error');
    assert.match(boom[2], /^Error: boom\n {4}at /);
  });
});
