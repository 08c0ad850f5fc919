'use strict';
// hbf:node-stubs — the Node modules HBF cannot offer, shaped so that packages which only load
// or probe them keep working: each loads, and using a function that would need processes,
// threads, sockets, a REPL or a V8 isolate throws "<module>.<fn> is not available in HBF"
// (code ERR_HBF_UNAVAILABLE). What can be answered honestly is answered: perf_hooks.performance,
// module.createRequire/builtinModules/isBuiltin, v8.getHeapStatistics (zeros), worker_threads'
// isMainThread, cluster.isPrimary, readline's cursor helpers (no-ops), constants.

const { unavailable } = require('hbf:node-errors');
const EventEmitter = require('events');

function stub(module, names, extra = {}) {
  const out = {};
  for (const n of names) out[n] = unavailable(module, n);
  return Object.assign(out, extra);
}

const builtinModules = ['assert', 'assert/strict', 'async_hooks', 'buffer', 'child_process', 'cluster', 'console',
  'constants', 'crypto', 'dgram', 'diagnostics_channel', 'dns', 'dns/promises', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'module', 'net', 'os', 'path', 'path/posix', 'path/win32', 'perf_hooks', 'process', 'punycode',
  'querystring', 'readline', 'readline/promises', 'stream', 'stream/promises', 'string_decoder', 'timers',
  'timers/promises', 'tty', 'url', 'util', 'util/types', 'v8', 'vm', 'worker_threads', 'zlib'];

module.exports = {
  child_process: stub('child_process', ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'],
    { ChildProcess: unavailable('child_process', 'ChildProcess') }),
  worker_threads: stub('worker_threads', ['Worker', 'MessageChannel', 'BroadcastChannel', 'receiveMessageOnPort',
    'markAsUntransferable', 'moveMessagePortToContext'], {
    isMainThread: true, parentPort: null, workerData: null, threadId: 0, resourceLimits: {}, SHARE_ENV: Symbol('SHARE_ENV'),
    MessagePort: unavailable('worker_threads', 'MessagePort'),
    getEnvironmentData: () => undefined, setEnvironmentData() {},
  }),
  cluster: Object.assign(new EventEmitter(), stub('cluster', ['fork', 'setupPrimary', 'setupMaster', 'disconnect']), {
    isPrimary: true, isMaster: true, isWorker: false, workers: {}, settings: {}, SCHED_NONE: 1, SCHED_RR: 2, schedulingPolicy: 2,
  }),
  dgram: stub('dgram', ['createSocket', 'Socket']),
  http2: stub('http2', ['connect', 'createServer', 'createSecureServer', 'getDefaultSettings', 'getPackedSettings',
    'getUnpackedSettings'], { constants: {}, sensitiveHeaders: Symbol('nodejs.http2.sensitiveHeaders') }),
  dns: (() => {
    const names = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveMx',
      'resolveNs', 'resolveTxt', 'resolveSrv', 'resolvePtr', 'resolveNaptr', 'resolveSoa', 'reverse'];
    const promises = stub('dns.promises', names, { setServers() {}, getServers: () => [], setDefaultResultOrder() {} });
    return stub('dns', names, {
      promises, Resolver: unavailable('dns', 'Resolver'), setServers() {}, getServers: () => [], setDefaultResultOrder() {},
      getDefaultResultOrder: () => 'verbatim', ADDRCONFIG: 1024, V4MAPPED: 2048, ALL: 256, NOTFOUND: 'ENOTFOUND',
    });
  })(),
  module: (() => {
    function Module(id = '', parent) { this.id = id; this.parent = parent; this.exports = {}; this.filename = null; this.loaded = false; this.children = []; this.paths = []; }
    Object.assign(Module, {
      builtinModules,
      isBuiltin: (name) => builtinModules.includes(String(name).replace(/^node:/, '')),
      createRequire: () => globalThis.require,
      syncBuiltinESMExports() {},
      findSourceMap: () => undefined,
      register: unavailable('module', 'register'),
      wrap: (src) => `(function (exports, require, module, __filename, __dirname) { ${src}\n});`,
      _extensions: { '.js': null, '.json': null },
      _cache: {},
      _load: (request) => globalThis.require(request),
      _resolveFilename: (request) => request,
      _nodeModulePaths: () => [],
      globalPaths: [],
    });
    Module.Module = Module;
    return Module;
  })(),
  v8: stub('v8', ['serialize', 'deserialize', 'writeHeapSnapshot', 'getHeapSnapshot', 'setFlagsFromString', 'takeCoverage', 'stopCoverage'], {
    cachedDataVersionTag: () => 0,
    getHeapStatistics: () => ({ total_heap_size: 0, total_heap_size_executable: 0, total_physical_size: 0,
      total_available_size: 0, used_heap_size: 0, heap_size_limit: 0, malloced_memory: 0, peak_malloced_memory: 0,
      does_zap_garbage: 0, number_of_native_contexts: 1, number_of_detached_contexts: 0, total_global_handles_size: 0,
      used_global_handles_size: 0, external_memory: 0 }),
    getHeapSpaceStatistics: () => [],
    getHeapCodeStatistics: () => ({ code_and_metadata_size: 0, bytecode_and_metadata_size: 0, external_script_source_size: 0 }),
  }),
  vm: stub('vm', ['Script', 'createContext', 'runInContext', 'runInNewContext', 'runInThisContext', 'compileFunction',
    'measureMemory', 'SourceTextModule', 'SyntheticModule'], { isContext: () => false }),
  readline: stub('readline', ['createInterface', 'Interface', 'emitKeypressEvents'], {
    clearLine: (s, d, cb) => { if (typeof cb === 'function') queueMicrotask(cb); return true; },
    clearScreenDown: (s, cb) => { if (typeof cb === 'function') queueMicrotask(cb); return true; },
    cursorTo: (s, x, y, cb) => { if (typeof cb === 'function') queueMicrotask(cb); else if (typeof y === 'function') queueMicrotask(y); return true; },
    moveCursor: (s, dx, dy, cb) => { if (typeof cb === 'function') queueMicrotask(cb); return true; },
    promises: stub('readline.promises', ['createInterface', 'Interface', 'Readline']),
  }),
  inspector: stub('inspector', ['open', 'close', 'waitForDebugger', 'Session'], { url: () => undefined, console: globalThis.console }),
  perf_hooks: {
    performance: globalThis.performance,
    PerformanceObserver: class PerformanceObserver {
      constructor(callback) { this.callback = callback; }
      observe() {}
      disconnect() {}
      static get supportedEntryTypes() { return ['mark', 'measure']; }
    },
    PerformanceEntry: class PerformanceEntry {},
    monitorEventLoopDelay: unavailable('perf_hooks', 'monitorEventLoopDelay'),
    createHistogram: unavailable('perf_hooks', 'createHistogram'),
    constants: { NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, NODE_PERFORMANCE_GC_INCREMENTAL: 8, NODE_PERFORMANCE_GC_WEAKCB: 16 },
  },
  constants: Object.assign({}, require('os').constants.errno, require('os').constants.signals, require('os').constants.priority, {
    O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128, O_TRUNC: 512, O_APPEND: 1024,
    S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFLNK: 40960, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  }),
};
