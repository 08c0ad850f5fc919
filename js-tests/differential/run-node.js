'use strict';
// Reference runner: each app under real Node + Express 5 on an ephemeral port.
// Needs `express` installed here:  cd js-tests/differential && npm install
// Writes expected/node.json (committed, so the shim comparison runs without Express).
//   node run-node.js [--out file]

process.env.NODE_ENV = 'production'; // HBF's default env; Express reads it at app creation

const http = require('node:http');
const path = require('node:path');
const lib = require('./lib');

const outArg = process.argv.indexOf('--out');
const OUT = outArg !== -1 ? path.resolve(process.argv[outArg + 1]) : path.join(lib.DIR, 'expected', 'node.json');

const send = lib.send;

// HBF parses cookies itself (req.cookies / req.signedCookies, as cookie-parser without a
// secret would). Real Express has no cookie parser, so give it cookie-parser's exact
// result, computed lazily the way HBF does it.
function emulateBuiltinCookies() {
  const express = require('express');
  const parse = require('cookie-parser')();
  for (const name of ['cookies', 'signedCookies']) {
    Object.defineProperty(express.request, name, {
      configurable: true,
      enumerable: true,
      get() {
        if (!this._cookieJar) {
          const jar = { headers: this.headers };
          parse(jar, null, () => {});
          this._cookieJar = jar;
        }
        return this._cookieJar[name];
      },
      set(v) { this._cookieJar = Object.assign(this._cookieJar || {}, { [name]: v }); },
    });
  }
}

async function main() {
  try {
    require.resolve('express', { paths: [lib.DIR] });
  } catch (e) {
    console.error('express is not installed: cd js-tests/differential && npm install');
    process.exit(2);
  }
  emulateBuiltinCookies();
  process.chdir(lib.DIR); // express.static('public') is relative to the cwd
  lib.prepareFixtures();
  console.error = () => {}; // Express logs unhandled errors; keep the output readable
  const results = {};
  for (const name of lib.listApps()) {
    const app = require(path.join(lib.APPS_DIR, name + '.js'));
    const server = http.createServer(app);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address();
    results[name] = [];
    for (const spec of lib.loadRequests(name)) results[name].push(await send(port, spec));
    await new Promise((r) => server.close(r));
  }
  lib.writeResults(OUT, results);
  const n = Object.values(results).reduce((a, r) => a + r.length, 0);
  process.stdout.write('run-node: ' + n + ' responses from real Express -> ' + path.relative(process.cwd(), OUT) + '\n');
}

main().catch((e) => { process.stderr.write(e.stack + '\n'); process.exit(1); });
