'use strict';
// HBF-layer runner: each app through src/js/lib/express.js (`express.__handle`) with the
// Node host shim, loaded by the same tiny CommonJS loader the unit tests use, in a fresh
// realm that has no Node globals.
//   node run-shim.js [--out file]     (default results/shim.json)

const path = require('node:path');
const lib = require('./lib');
const shim = require('../host-shim');

const outArg = process.argv.indexOf('--out');
const OUT = outArg !== -1 ? path.resolve(process.argv[outArg + 1]) : path.join(lib.DIR, 'results', 'shim.json');

async function runAll() {
  lib.prepareFixtures();
  const results = {};
  for (const name of lib.listApps()) {
    // a fresh host + express per app, as HBF gives each henv its own runtime
    // in a realm without Node globals, as QuickJS has none
    const context = shim.createIsolatedContext();
    const host = shim.createHost({ dirs: { public: lib.PUBLIC_DIR } });
    const express = shim.loadExpress(host, context);
    const app = shim.loadApp(path.join(lib.APPS_DIR, name + '.js'), express, context);
    results[name] = [];
    for (const spec of lib.loadRequests(name)) {
      const body = lib.requestBody(spec);
      const raw = await express.__handle(app, shim.makeRawReq({
        method: spec.method, url: spec.path, headers: lib.wireHeaders(spec), body: body && new Uint8Array(body),
      }));
      results[name].push(lib.record(spec, raw.status, raw.headers, raw.body));
    }
  }
  return results;
}

if (require.main === module) {
  runAll().then((results) => {
    lib.writeResults(OUT, results);
    const n = Object.values(results).reduce((a, r) => a + r.length, 0);
    process.stdout.write('run-shim: ' + n + ' responses from the HBF layer -> ' + path.relative(process.cwd(), OUT) + '\n');
  }).catch((e) => { process.stderr.write(e.stack + '\n'); process.exit(1); });
}

module.exports = { runAll };
