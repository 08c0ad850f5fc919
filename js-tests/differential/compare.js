'use strict';
// Diff two runners' results, request by request.
//   node compare.js [expected.json] [actual.json]
// Defaults: expected/node.json (real Express) vs results/shim.json (HBF layer).
// Exits 1 on any difference.

const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');

function diffResults(expected, actual) {
  const failures = [];
  let passed = 0;
  for (const app of Object.keys(expected)) {
    const exp = expected[app];
    const act = actual[app] || [];
    exp.forEach((e, i) => {
      const a = act[i];
      const problems = [];
      if (!a) problems.push('missing response');
      else {
        if (a.request !== e.request) problems.push('request mismatch: ' + a.request);
        if (a.status !== e.status) problems.push('status ' + a.status + ' != ' + e.status);
        const names = new Set([...Object.keys(e.headers), ...Object.keys(a.headers)]);
        for (const n of names) {
          if (JSON.stringify(e.headers[n]) !== JSON.stringify(a.headers[n])) {
            problems.push(n + ': ' + JSON.stringify(a.headers[n]) + ' != ' + JSON.stringify(e.headers[n]));
          }
        }
        if (a.body !== e.body) problems.push('body ' + JSON.stringify(a.body).slice(0, 300) + ' != ' + JSON.stringify(e.body).slice(0, 300));
      }
      if (problems.length) failures.push({ app, request: e.request, problems });
      else passed++;
    });
  }
  for (const app of Object.keys(actual)) if (!expected[app]) failures.push({ app, request: '*', problems: ['app missing from expected'] });
  return { passed, failures };
}

if (require.main === module) {
  const [expFile, actFile] = [
    process.argv[2] || path.join(lib.DIR, 'expected', 'node.json'),
    process.argv[3] || path.join(lib.DIR, 'results', 'shim.json'),
  ];
  const { passed, failures } = diffResults(JSON.parse(fs.readFileSync(expFile, 'utf8')), JSON.parse(fs.readFileSync(actFile, 'utf8')));
  for (const f of failures) {
    console.log('FAIL ' + f.app + ': ' + f.request);
    for (const p of f.problems) console.log('    ' + p);
  }
  console.log(passed + ' passed, ' + failures.length + ' failed');
  process.exit(failures.length ? 1 : 0);
}

module.exports = { diffResults };
