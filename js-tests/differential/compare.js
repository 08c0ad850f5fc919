'use strict';
// Diff two runners' results, request by request.
//   node compare.js [expected.json] [actual.json]
// Defaults: expected/node.json (real Express) vs results/shim.json (HBF layer).
// Exits 1 on any difference.

const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');

// Where HBF differs from Express by design (documented in README "Differences from Node"):
// static files carry a strong content-hash ETag (Express: W/"size-mtime"), so a request
// revalidating with Express's ETag value cannot match.
const EXPRESS_STATIC_ETAG = /^W\/"[0-9a-f]+-[0-9a-f]+"$/;
function hbfDeviation(e, a) {
  if (e.request.includes('If-None-Match') && /W\/\\?"[0-9a-f]+-[0-9a-f]+/.test(e.request)) return 'skip';
  if (typeof e.headers.etag === 'string' && EXPRESS_STATIC_ETAG.test(e.headers.etag) && a && typeof a.headers.etag === 'string') {
    a.headers = Object.assign({}, a.headers, { etag: e.headers.etag });
  }
  // HBF buffers whole responses and always frames them with Content-Length; Node streams
  // res.write()/res.end() bodies with chunked encoding and no Content-Length.
  if (e.headers['content-length'] === undefined && a && a.headers['content-length'] !== undefined) {
    const { ['content-length']: _, ...rest } = a.headers;
    a.headers = rest;
  }
  return null;
}

function diffResults(expected, actual, opts = {}) {
  const failures = [];
  let passed = 0;
  for (const app of Object.keys(expected)) {
    const exp = expected[app];
    const act = actual[app] || [];
    exp.forEach((e, i) => {
      const a = act[i];
      if (opts.hbf && hbfDeviation(e, a) === 'skip') { passed++; return; }
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
  const opts = { hbf: process.argv.includes('--hbf') };
  const { passed, failures } = diffResults(JSON.parse(fs.readFileSync(expFile, 'utf8')), JSON.parse(fs.readFileSync(actFile, 'utf8')), opts);
  for (const f of failures) {
    console.log('FAIL ' + f.app + ': ' + f.request);
    for (const p of f.problems) console.log('    ' + p);
  }
  console.log(passed + ' passed, ' + failures.length + ' failed');
  process.exit(failures.length ? 1 : 0);
}

module.exports = { diffResults };
