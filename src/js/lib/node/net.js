'use strict';
// node:net — isIP/isIPv4/isIPv6 (Node's patterns), BlockList (addAddress, addRange,
// addSubnet, check, rules; IPv4-mapped IPv6 addresses match IPv4 rules) and SocketAddress.
// Sockets and servers are not available in HBF: Socket, Server, connect, createConnection
// and createServer throw a clear error when used (the classes exist for instanceof checks).

const { unavailable, invalidArgType, withCode } = require('hbf:node-errors');

const v4Seg = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const v4Str = `(?:${v4Seg}\\.){3}${v4Seg}`;
const IPv4Reg = new RegExp(`^${v4Str}$`);
const v6Seg = '(?:[0-9a-fA-F]{1,4})';
const IPv6Reg = new RegExp('^(?:' +
  `(?:${v6Seg}:){7}(?:${v6Seg}|:)|` +
  `(?:${v6Seg}:){6}(?:${v4Str}|:${v6Seg}|:)|` +
  `(?:${v6Seg}:){5}(?::${v4Str}|(?::${v6Seg}){1,2}|:)|` +
  `(?:${v6Seg}:){4}(?:(?::${v6Seg}){0,1}:${v4Str}|(?::${v6Seg}){1,3}|:)|` +
  `(?:${v6Seg}:){3}(?:(?::${v6Seg}){0,2}:${v4Str}|(?::${v6Seg}){1,4}|:)|` +
  `(?:${v6Seg}:){2}(?:(?::${v6Seg}){0,3}:${v4Str}|(?::${v6Seg}){1,5}|:)|` +
  `(?:${v6Seg}:){1}(?:(?::${v6Seg}){0,4}:${v4Str}|(?::${v6Seg}){1,6}|:)|` +
  `(?::(?:(?::${v6Seg}){0,5}:${v4Str}|(?::${v6Seg}){1,7}|:))` +
')(?:%[0-9a-zA-Z-.:]{1,})?$');

const isIPv4 = (s) => IPv4Reg.test(`${s}`);
const isIPv6 = (s) => IPv6Reg.test(`${s}`);
const isIP = (s) => (isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0);

// An address as a BigInt (IPv4 in 32 bits, IPv6 in 128), or null.
function v4ToBig(s) { return s.split('.').reduce((acc, p) => (acc << 8n) + BigInt(Number(p)), 0n); }
function v6ToBig(s) {
  s = s.replace(/%.*$/, '');
  let tail = [];
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const v = v4ToBig(m[1]);
    tail = [Number(v >> 16n).toString(16), Number(v & 0xffffn).toString(16)];
    s = s.slice(0, -m[1].length) + tail.join(':');
  }
  const [head, rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined ? (rest ? rest.split(':') : []) : [];
  const groups = rest !== undefined ? [...h, ...Array(8 - h.length - r.length).fill('0'), ...r] : h;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}
function parse(address, family) {
  family = String(family || 'ipv4').toLowerCase();
  if (family === 'ipv4') {
    if (!isIPv4(address)) throw withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'address' is invalid. Received '${address}'`);
    return { family, value: v4ToBig(address) };
  }
  if (family === 'ipv6') {
    if (!isIPv6(address)) throw withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'address' is invalid. Received '${address}'`);
    return { family, value: v6ToBig(address) };
  }
  throw withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'family' must be one of: 'ipv4', 'ipv6'. Received '${family}'`);
}
const MAPPED = 0xffffn << 32n;

class SocketAddress {
  constructor(options = {}) {
    this.address = options.address || (options.family === 'ipv6' ? '::' : '127.0.0.1');
    this.family = options.family || (isIPv6(this.address) ? 'ipv6' : 'ipv4');
    this.port = options.port || 0;
    this.flowlabel = options.flowlabel || 0;
  }
  static isSocketAddress(v) { return v instanceof SocketAddress; }
  static parse(input) {
    try {
      const u = new URL(`http://${input}`);
      return new SocketAddress({ address: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || 0 });
    } catch { return undefined; }
  }
}

class BlockList {
  #rules = [];
  static isBlockList(v) { return v instanceof BlockList; }
  addAddress(address, family = 'ipv4') {
    if (address instanceof SocketAddress) ({ address, family } = address);
    const a = parse(address, family);
    this.#rules.push({ type: 'address', family: a.family, from: a.value, to: a.value, text: `Address: ${a.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${address}` });
  }
  addRange(start, end, family = 'ipv4') {
    const a = parse(start, family), b = parse(end, family);
    if (a.value > b.value) throw withCode(RangeError, 'ERR_INVALID_ARG_VALUE', "The argument 'start' must come before 'end'");
    this.#rules.push({ type: 'range', family: a.family, from: a.value, to: b.value, text: `Range: ${a.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${start}-${end}` });
  }
  addSubnet(net, prefix, family = 'ipv4') {
    const a = parse(net, family);
    const bits = a.family === 'ipv4' ? 32 : 128;
    if (typeof prefix !== 'number') throw invalidArgType('prefix', 'number', prefix);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw require('hbf:node-errors').outOfRange('prefix', `>= 0 && <= ${bits}`, prefix);
    const hostBits = BigInt(bits - prefix);
    const from = (a.value >> hostBits) << hostBits;
    const to = from + (1n << hostBits) - 1n;
    this.#rules.push({ type: 'subnet', family: a.family, from, to, text: `Subnet: ${a.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${net}/${prefix}` });
  }
  check(address, family = 'ipv4') {
    if (address instanceof SocketAddress) ({ address, family } = address);
    let a;
    try { a = parse(address, family); } catch { return false; }
    for (const r of this.#rules) {
      if (r.family === a.family && a.value >= r.from && a.value <= r.to) return true;
      if (r.family === 'ipv4' && a.family === 'ipv6' && (a.value >> 32n) << 32n === MAPPED) {
        const v4 = a.value & 0xffffffffn;
        if (v4 >= r.from && v4 <= r.to) return true;
      }
      if (r.family === 'ipv6' && a.family === 'ipv4') {
        const mapped = MAPPED | a.value;
        if (mapped >= r.from && mapped <= r.to) return true;
      }
    }
    return false;
  }
  get rules() { return this.#rules.map((r) => r.text).reverse(); }
}

function Socket() { unavailable('net', 'Socket')(); }
function Server() { unavailable('net', 'Server')(); }
Object.setPrototypeOf(Socket.prototype, require('stream').Duplex.prototype);
Object.setPrototypeOf(Server.prototype, require('events').prototype);

module.exports = {
  isIP,
  isIPv4,
  isIPv6,
  BlockList,
  SocketAddress,
  Socket,
  Stream: Socket,
  Server,
  connect: unavailable('net', 'connect'),
  createConnection: unavailable('net', 'createConnection'),
  createServer: unavailable('net', 'createServer'),
  getDefaultAutoSelectFamily: () => true,
  setDefaultAutoSelectFamily() {},
  getDefaultAutoSelectFamilyAttemptTimeout: () => 250,
  setDefaultAutoSelectFamilyAttemptTimeout() {},
};
