// Runs stress/apps/bench/server.js (or DIR/server.js) under Node + Express 5 as a 2-worker
// cluster (one per core, as HBF runs one worker per core), with `hbf:db` mapped to
// hbf-db-node.js.
//   BENCH_DB=/tmp/x.db NODE_PATH=stress/node-bench/node_modules node stress/node-bench/cluster.js [DIR]
const cluster = require('node:cluster');
const path = require('node:path');
const Module = require('node:module');

const WORKERS = Number(process.env.WORKERS || 2);

if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < WORKERS; i++) {
    cluster.fork().on('message', (m) => {
      if (m && m.port && ++ready === WORKERS) console.log(`node listening on http://127.0.0.1:${m.port}`);
    });
  }
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); });
} else {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'hbf:db') return path.join(__dirname, 'hbf-db-node.js');
    return resolve.call(this, request, ...rest);
  };
  process.env.NODE_ENV = 'production';
  const dir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, '..', 'apps', 'bench');
  const app = require(path.join(dir, 'server.js'));
  const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
    process.send({ port: server.address().port });
  });
}
