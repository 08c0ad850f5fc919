// The `fs` built-in: a read-only view of the henv's files (`/` is the henv root; nothing
// outside the henv is reachable). Reads are synchronous SQLite lookups; the callback and
// promise forms wrap them. Every write throws ERR_HBF_READ_ONLY_FS pointing at hbf:db.
"use strict";
const host = require("hbf:host");

function toPath(p, syscall) {
  if (typeof URL === "function" && p instanceof URL) p = p.pathname;
  else if (typeof p === "object" && p !== null && typeof p.toString === "function" && ArrayBuffer.isView(p)) {
    p = host.decodeUtf8(p);
  }
  if (typeof p !== "string") {
    const err = new TypeError('The "path" argument must be of type string or an instance of Buffer or URL. Received ' + (p === null ? "null" : typeof p));
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
  return p;
}

function fsError(code, syscall, path) {
  const text = { ENOENT: "no such file or directory", EISDIR: "illegal operation on a directory", ENOTDIR: "not a directory" }[code];
  const err = new Error(code + ": " + text + ", " + syscall + " '" + path + "'");
  err.errno = { ENOENT: -2, EISDIR: -21, ENOTDIR: -20 }[code];
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

function toBuffer(u8) {
  return typeof Buffer === "function" && Buffer.from ? Buffer.from(u8.buffer, u8.byteOffset, u8.length) : u8;
}

function decode(u8, encoding) {
  if (!encoding || encoding === "buffer") return toBuffer(u8);
  if (typeof Buffer === "function" && Buffer.from) return toBuffer(u8).toString(encoding);
  const enc = String(encoding).toLowerCase();
  if (enc === "utf8" || enc === "utf-8") return host.decodeUtf8(u8);
  if (enc === "latin1" || enc === "binary" || enc === "ascii") {
    let s = "";
    for (let i = 0; i < u8.length; i++) s += String.fromCharCode(enc === "ascii" ? u8[i] & 0x7f : u8[i]);
    return s;
  }
  throw new TypeError("Unknown encoding: " + encoding);
}

function encodingOf(options) {
  if (typeof options === "string") return options;
  return options && options.encoding ? options.encoding : null;
}

function readFileSync(path, options) {
  if (typeof path === "number") throw readOnly("readFileSync on a file descriptor");
  path = toPath(path);
  const bytes = host.fsRead(path);
  if (bytes === undefined) {
    const st = host.fsStat(path);
    throw fsError(st ? "EISDIR" : "ENOENT", st ? "read" : "open", path);
  }
  return decode(bytes, encodingOf(options));
}

class Stats {
  constructor(kind, size, mtime) {
    this.dev = 0; this.mode = kind ? 0o100444 : 0o40555; this.nlink = 1; this.uid = 0; this.gid = 0;
    this.rdev = 0; this.blksize = 4096; this.ino = 0; this.size = size;
    this.blocks = Math.ceil(size / 512);
    const ms = mtime * 1000;
    this.atimeMs = ms; this.mtimeMs = ms; this.ctimeMs = ms; this.birthtimeMs = ms;
    this.atime = new Date(ms); this.mtime = new Date(ms); this.ctime = new Date(ms); this.birthtime = new Date(ms);
    Object.defineProperty(this, "_file", { value: !!kind });
  }
  isFile() { return this._file; }
  isDirectory() { return !this._file; }
  isSymbolicLink() { return false; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

function statSync(path, options) {
  path = toPath(path);
  const st = host.fsStat(path);
  if (st === undefined) {
    if (options && options.throwIfNoEntry === false) return undefined;
    throw fsError("ENOENT", "stat", path);
  }
  return new Stats(st[0], st[1], st[2]);
}

function existsSync(path) {
  try {
    return host.fsStat(toPath(path)) !== undefined;
  } catch (e) {
    return false;
  }
}

class Dirent {
  constructor(name, dir, isFile) {
    this.name = name;
    this.parentPath = dir;
    this.path = dir;
    Object.defineProperty(this, "_file", { value: isFile });
  }
  isFile() { return this._file; }
  isDirectory() { return !this._file; }
  isSymbolicLink() { return false; }
}

function readdirSync(path, options) {
  path = toPath(path);
  const names = host.fsReaddir(path);
  if (names === undefined) {
    const st = host.fsStat(path);
    throw fsError(st ? "ENOTDIR" : "ENOENT", "scandir", path);
  }
  if (options && options.withFileTypes) {
    const base = path.endsWith("/") ? path : path + "/";
    return names.map((n) => new Dirent(n, path, host.fsStat(base + n)[0] === 1));
  }
  const enc = encodingOf(options);
  return enc === "buffer" ? names.map((n) => toBuffer(host.encodeUtf8(n))) : names;
}

function accessSync(path, mode) {
  path = toPath(path);
  if (host.fsStat(path) === undefined) throw fsError("ENOENT", "access", path);
  if (mode & 2) {
    const err = fsError("ENOENT", "access", path);
    err.code = "EACCES";
    err.message = "EACCES: permission denied, access '" + path + "'";
    throw err;
  }
}

function realpathSync(path) {
  path = toPath(path);
  if (host.fsStat(path) === undefined) throw fsError("ENOENT", "realpath", path);
  const parts = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return "/" + parts.join("/");
}
realpathSync.native = realpathSync;

function readOnly(what) {
  const err = new Error(
    "fs." + what + " is not available in HBF: the henv's files are read-only at run time. Store data with require('hbf:db') (SQLite), or change files with `hbf import`."
  );
  err.code = "ERR_HBF_READ_ONLY_FS";
  return err;
}

const syncReads = { readFileSync, statSync, lstatSync: statSync, existsSync, readdirSync, accessSync, realpathSync };
const writes = [
  "writeFile", "appendFile", "mkdir", "rm", "rmdir", "unlink", "rename", "copyFile", "symlink", "link",
  "chmod", "chown", "truncate", "utimes", "mkdtemp", "cp", "open", "createWriteStream",
];

function callbackForm(fn) {
  return function () {
    const args = Array.prototype.slice.call(arguments);
    const cb = args.pop();
    if (typeof cb !== "function") {
      const err = new TypeError('The "cb" argument must be of type function. Received ' + typeof cb);
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    let result, error = null;
    try {
      result = fn.apply(null, args);
    } catch (e) {
      error = e;
    }
    queueMicrotask(() => (error ? cb(error) : cb(null, result)));
  };
}

function promiseForm(fn) {
  return function () {
    const args = arguments;
    return new Promise((resolve) => resolve(fn.apply(null, args)));
  };
}

const fs = exports;
Object.assign(fs, syncReads);
fs.Stats = Stats;
fs.Dirent = Dirent;
fs.constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2 };
Object.assign(fs, fs.constants);
fs.readFile = callbackForm(readFileSync);
fs.stat = callbackForm(statSync);
fs.lstat = fs.stat;
fs.readdir = callbackForm(readdirSync);
fs.access = callbackForm(accessSync);
fs.realpath = callbackForm(realpathSync);
fs.exists = function exists(path, cb) {
  const found = existsSync(path);
  queueMicrotask(() => cb(found));
};
fs.promises = {
  readFile: promiseForm(readFileSync),
  stat: promiseForm(statSync),
  lstat: promiseForm(statSync),
  readdir: promiseForm(readdirSync),
  access: promiseForm(accessSync),
  realpath: promiseForm(realpathSync),
  constants: fs.constants,
};
for (const name of writes) {
  const refuse = function () { throw readOnly(name); };
  fs[name] = refuse;
  fs[name + "Sync"] = refuse;
  fs.promises[name] = function () { return Promise.reject(readOnly(name)); };
}
fs.createReadStream = function createReadStream(path, options) {
  const { Readable } = require("stream");
  const data = readFileSync(path, options);
  return Readable.from([data]);
};
fs.watch = fs.watchFile = fs.unwatchFile = function () {
  throw readOnly("watch");
};
