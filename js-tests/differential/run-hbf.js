'use strict';
// HBF runner: each app as the server.js of a real henv, served by the real `hbf` binary over
// HTTP. Needs a built binary:  HBF_BIN=target/debug/hbf node run-hbf.js [--out file]
// Writes results/hbf.json; compare with `node compare.js expected/node.json results/hbf.json --hbf`.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('./lib');

const HBF = process.env.HBF_BIN || path.join(lib.DIR, '..', '..', 'target', 'debug', 'hbf');
const outArg = process.argv.indexOf('--out');
const OUT = outArg !== -1 ? path.resolve(process.argv[outArg + 1]) : path.join(lib.DIR, 'results', 'hbf.json');

const send = lib.send;

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyDir(src, dst);
    else { fs.copyFileSync(src, dst); fs.utimesSync(dst, lib.FIXTURE_MTIME, lib.FIXTURE_MTIME); }
  }
}

// Starts `hbf serve --port 0` and resolves with the port it logs.
const serve = (storage) => lib.serveHbf(HBF, storage, ['--builtin_bare_paths', 'false']);

async function main() {
  lib.prepareFixtures();
  const results = {};
  for (const name of lib.listApps()) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-diff-'));
    const src = path.join(work, 'src');
    copyDir(lib.PUBLIC_DIR, path.join(src, 'public'));
    fs.copyFileSync(path.join(lib.APPS_DIR, name + '.js'), path.join(src, 'server.js'));
    const storage = path.join(work, 'henvs');
    execFileSync(HBF, ['import', src, '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
    // Compare the Express layer, not HBF's own response defaults.
    execFileSync(HBF, ['sql', "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('security_headers', 'false')",
      '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
    const { child, port } = await serve(storage);
    try {
      results[name] = [];
      for (const spec of lib.loadRequests(name)) results[name].push(await send(port, spec));
    } finally {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  lib.writeResults(OUT, results);
  const n = Object.values(results).reduce((a, r) => a + r.length, 0);
  process.stdout.write('run-hbf: ' + n + ' responses from hbf -> ' + path.relative(process.cwd(), OUT) + '\n');
}

main().catch((e) => { process.stderr.write(e.stack + '\n'); process.exit(1); });
