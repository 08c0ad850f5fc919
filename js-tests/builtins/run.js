'use strict';
// Differential suite for HBF's built-in Node modules (src/js/lib/node/): every case file in
// cases/ runs under this Node and inside a real `hbf` server (as routes of a generated
// server.js), and the recorded outcomes must be identical, except the cases listed in
// known-differences.json (each with the reason).
//   HBF_BIN=target/debug/hbf node js-tests/builtins/run.js      # prints "N passed, M failed"
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { runCases } = require('./harness');
process.noDeprecation = true; // (the Buffer() cases are deliberate)

const DIR = __dirname;
const HBF = process.env.HBF_BIN || path.join(DIR, '..', '..', 'target', 'debug', 'hbf');
const suites = fs.readdirSync(path.join(DIR, 'cases')).filter((f) => f.endsWith('.js')).sort();
const known = JSON.parse(fs.readFileSync(path.join(DIR, 'known-differences.json'), 'utf8'));
const bodyOf = (file) => `function (require, t) {\n${fs.readFileSync(path.join(DIR, 'cases', file), 'utf8')}\n}`;

function serverSource() {
  let src = `const express = require('express');\n${fs.readFileSync(path.join(DIR, 'harness.js'), 'utf8')}\nconst SUITES = {};\n`;
  for (const f of suites) src += `SUITES[${JSON.stringify(f)}] = ${bodyOf(f)};\n`;
  src += `const app = express();
app.get('/suite/:name', async (req, res) => { res.json(await runCases(SUITES[req.params.name], require)); });
module.exports = app;\n`;
  return src;
}

const serve = (storage) => require('../differential/lib').serveHbf(HBF, storage);
function get(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, headers: { host: 'localhost' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${p}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-builtins-'));
  const src = path.join(work, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'server.js'), serverSource());
  const storage = path.join(work, 'henvs');
  execFileSync(HBF, ['import', src, '--host', 'localhost', '--storage_dir', storage], { stdio: 'ignore' });
  const { child, port } = await serve(storage);
  let passed = 0, failed = 0, allowed = 0;
  try {
    for (const f of suites) {
      const body = new Function('return ' + bodyOf(f))();
      const expected = JSON.parse(JSON.stringify(await runCases(body, require)));
      const actual = await get(port, `/suite/${encodeURIComponent(f)}`);
      for (const name of Object.keys(expected)) {
        const e = JSON.stringify(expected[name]), a = JSON.stringify(actual[name]);
        const key = `${f}: ${name}`;
        if (e === a) passed++;
        else if (known[key]) allowed++;
        else {
          failed++;
          process.stdout.write(`FAIL ${key}\n  node: ${e}\n  hbf:  ${a}\n`);
        }
      }
    }
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`builtins differential: ${passed} passed, ${allowed} known differences, ${failed} failed\n`);
  if (failed) process.exitCode = 1;
}
main().catch((e) => { process.stderr.write(e.stack + '\n'); process.exit(1); });
