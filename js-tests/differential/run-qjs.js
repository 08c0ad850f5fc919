'use strict';
// Engine runner: each app through src/js/lib/express.js inside QuickJS-NG itself (the
// WebAssembly build published as @jitl/quickjs-ng-wasmfile-release-sync), with the
// hbf:host functions bridged to Node. It catches engine differences (regexp features,
// error messages, missing globals) before the Rust embedding exists.
// Needs the devDependencies:  cd js-tests/differential && npm install
//   node run-qjs.js [--out file]     (default results/qjs.json; then: node compare.js expected/node.json results/qjs.json)

const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');
const shim = require('../host-shim');

const outArg = process.argv.indexOf('--out');
const OUT = outArg !== -1 ? path.resolve(process.argv[outArg + 1]) : path.join(lib.DIR, 'results', 'qjs.json');

// Runs inside QuickJS: a CommonJS loader and the host object built on __native.
const BOOTSTRAP = `
'use strict';
const host = {
  sha1Base64: (b) => __native.sha1(typeof b === 'string' ? __native.encodeUtf8(b) : b.slice().buffer),
  encodeUtf8: (s) => new Uint8Array(__native.encodeUtf8(s)),
  utf8Length: (s) => __native.utf8Length(s),
  jsonText: () => undefined,
  decodeUtf8: (b) => __native.decodeUtf8(b.slice().buffer),
  serveStatic(root, pathname, req) {
    const r = __native.serveStatic(root, pathname, JSON.stringify({ method: req.method, headers: req.headers }));
    if (r === null) return null;
    const o = JSON.parse(r);
    o.body = new Uint8Array(o.body);
    return o;
  },
  log: (level, message) => __native.log(level, message),
};
// (express.js makes streamed and raw bodies Buffers with HBF's built-in node:buffer; a byte
// view stands in here, which is all the apps look at)
const modules = { 'hbf:host': host, buffer: { Buffer: { from: (b, o, n) => new Uint8Array(b, o, n) } } };
globalThis.__define = function (name, source) {
  const fn = (0, eval)('(function (exports, require, module) {' + source + '\\n})');
  const module = { exports: {} };
  fn.call(module.exports, module.exports, (n) => {
    if (!(n in modules)) throw new Error('no module ' + n);
    return modules[n];
  }, module);
  modules[name] = module.exports;
};
globalThis.__run = function (json) {
  const raw = JSON.parse(json);
  raw.body = new Uint8Array(raw.body);
  globalThis.__result = undefined;
  modules.express.__handle(modules.app, raw).then((r) => {
    globalThis.__result = JSON.stringify({ status: r.status, headers: r.headers, body: Array.from(r.body) });
  }, (e) => { globalThis.__result = JSON.stringify({ error: String(e && e.stack || e) }); });
};
`;

function available() {
  try {
    require.resolve('quickjs-emscripten-core');
    require.resolve('@jitl/quickjs-ng-wasmfile-release-sync');
    return true;
  } catch (e) {
    return false;
  }
}

// Returns { results, logs }; logs are the host.log calls made inside QuickJS.
async function runAll() {
  const core = require('quickjs-emscripten-core');
  const variant = require('@jitl/quickjs-ng-wasmfile-release-sync');
  const QuickJS = await core.newQuickJSWASMModuleFromVariant(variant.default || variant);
  lib.prepareFixtures();
  const results = {};
  const logs = [];
  for (const name of lib.listApps()) {
    const nodeHost = shim.createHost({ dirs: { public: lib.PUBLIC_DIR } });
    const runtime = QuickJS.newRuntime();
    runtime.setMemoryLimit(64 * 1024 * 1024);
    const vm = runtime.newContext();
    const native = vm.newObject();
    const fn = (fname, impl) => {
      const h = vm.newFunction(fname, impl);
      vm.setProp(native, fname, h);
      h.dispose();
    };
    const bytesOf = (h) => {
      const lt = vm.getArrayBuffer(h);
      const copy = new Uint8Array(lt.value);
      lt.dispose();
      return copy;
    };
    fn('sha1', (h) => vm.newString(nodeHost.sha1Base64(bytesOf(h))));
    fn('encodeUtf8', (h) => vm.newArrayBuffer(nodeHost.encodeUtf8(vm.getString(h)).slice().buffer));
    fn('utf8Length', (h) => vm.newNumber(nodeHost.utf8Length(vm.getString(h))));
    fn('decodeUtf8', (h) => vm.newString(nodeHost.decodeUtf8(bytesOf(h))));
    fn('log', (l, m) => { logs.push([name, vm.getString(l), vm.getString(m)]); return vm.undefined; });
    fn('serveStatic', (root, p, req) => {
      const r = nodeHost.serveStatic(vm.getString(root), vm.getString(p), JSON.parse(vm.getString(req)));
      return r === null ? vm.null : vm.newString(JSON.stringify({ status: r.status, headers: r.headers, body: Array.from(r.body) }));
    });
    vm.setProp(vm.global, '__native', native);
    native.dispose();
    const evalOrThrow = (code, file) => {
      const res = vm.evalCode(code, file);
      if (res.error) {
        const err = vm.dump(res.error);
        res.error.dispose();
        throw new Error(file + ': ' + JSON.stringify(err));
      }
      res.value.dispose();
    };
    const define = (modName, file) => {
      const src = vm.newString(fs.readFileSync(file, 'utf8'));
      vm.setProp(vm.global, '__src', src);
      src.dispose();
      evalOrThrow('__define(' + JSON.stringify(modName) + ', __src)', file);
    };
    evalOrThrow(BOOTSTRAP, 'bootstrap.js');
    define('hbf:proxy-addr', shim.PROXY_ADDR_JS);
    define('express', shim.EXPRESS_JS);
    define('app', path.join(lib.APPS_DIR, name + '.js'));

    results[name] = [];
    for (const spec of lib.loadRequests(name)) {
      const body = lib.requestBody(spec);
      const raw = shim.makeRawReq({ method: spec.method, url: spec.path, headers: lib.wireHeaders(spec), body: body && new Uint8Array(body) });
      raw.body = Array.from(raw.body);
      const arg = vm.newString(JSON.stringify(raw));
      vm.setProp(vm.global, '__arg', arg);
      arg.dispose();
      evalOrThrow('__run(__arg)', 'run.js');
      let out;
      for (let i = 0; i < 10000 && out === undefined; i++) {
        const jobs = runtime.executePendingJobs();
        if (jobs.error) { logs.push([name, 'job-error', JSON.stringify(vm.dump(jobs.error))]); jobs.error.dispose(); }
        const h = vm.getProp(vm.global, '__result');
        out = vm.dump(h);
        h.dispose();
      }
      if (out === undefined) throw new Error(name + ': ' + spec.method + ' ' + spec.path + ' never finished');
      const r = JSON.parse(out);
      if (r.error) throw new Error(name + ': ' + r.error);
      results[name].push(lib.record(spec, r.status, r.headers, Buffer.from(r.body)));
    }
    vm.dispose();
    runtime.dispose();
  }
  return { results, logs };
}

if (require.main === module) {
  if (!available()) {
    console.error('QuickJS-NG is not installed: cd js-tests/differential && npm install');
    process.exit(2);
  }
  runAll().then(({ results, logs }) => {
    lib.writeResults(OUT, results);
    const n = Object.values(results).reduce((a, r) => a + r.length, 0);
    if (process.argv.includes('--logs')) for (const l of logs) console.log(l.join(' | '));
    process.stdout.write('run-qjs: ' + n + ' responses from express.js in QuickJS-NG -> ' + path.relative(process.cwd(), OUT) + '\n');
  }).catch((e) => { process.stderr.write(e.stack + '\n'); process.exit(1); });
}

module.exports = { available, runAll };
