'use strict';
// Runs one app directory under real Node + Express 5 on an ephemeral port and prints the
// port: `node node-host.js apps/<name>`. (ES module apps are imported, their default export
// served.)
process.env.NODE_ENV = 'production'; // HBF's default env
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

async function main() {
  const dir = path.resolve(process.argv[2]);
  process.chdir(dir);
  console.error = () => {}; // Express logs unhandled errors
  const mod = await import(pathToFileURL(path.join(dir, 'server.js')).href);
  const app = mod.default;
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\n'));
}
main().catch((e) => { process.stderr.write(e.stack + '\n'); process.exit(1); });
