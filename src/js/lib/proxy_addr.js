// Express's `trust proxy` (the proxy-addr package's behaviour): compiling a setting value
// (boolean, hop count, comma-separated list or array of addresses and CIDR ranges with the
// names loopback/linklocal/uniquelocal, or a function) into a trust function, and the
// address chain of a request: [the address the connection came from, X-Forwarded-For
// entries nearest first]. Loaded by express.js on the first request whose app trusts proxies.
"use strict";

const NAMES = {
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  loopback: ["127.0.0.1/8", "::1/128"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

// An IPv4 address as 4 bytes, or undefined (dotted decimal only).
function parse4(s) {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

// An IPv6 address as 16 bytes (a %zone ignored), or undefined.
function parse6(s) {
  const zone = s.indexOf("%");
  if (zone !== -1) s = s.slice(0, zone);
  let tail = [];
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".") !== -1) {
    const v4 = parse4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = head.concat(new Array(8 - total).fill("0"), rest);
  const bytes = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 255);
  }
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function parseIp(s) {
  if (typeof s !== "string") return undefined;
  const v4 = parse4(s);
  if (v4) return v4;
  return s.indexOf(":") !== -1 ? parse6(s) : undefined;
}

const isMapped = (b) => b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 255 && b[11] === 255;
const mapped = (b) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255].concat(b);

function matches(ip, net, bits) {
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 255 : (255 << (8 - bits)) & 255;
    if ((ip[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
}

// "ip", "ip/prefix" or "ip/netmask" → [bytes, prefix bits]
function parseNotation(note) {
  const slash = note.lastIndexOf("/");
  const str = slash !== -1 ? note.substring(0, slash) : note;
  let ip = parseIp(str);
  if (!ip) throw new TypeError("invalid IP address: " + str);
  const max = ip.length * 8;
  let range = slash !== -1 ? note.substring(slash + 1) : null;
  if (range === null) range = max;
  else if (/^[0-9]+$/.test(range)) range = parseInt(range, 10);
  else {
    const mask = parseIp(range);
    if (mask && mask.length === ip.length) {
      let bits = 0, seenZero = false, ok = true;
      for (const b of mask) {
        for (let k = 7; k >= 0; k--) {
          if (b & (1 << k)) { if (seenZero) ok = false; bits++; } else seenZero = true;
        }
      }
      range = ok ? bits : null;
    } else range = null;
  }
  if (range === null || range <= 0 || range > max) throw new TypeError("invalid range on address: " + note);
  if (isMapped(ip)) {
    ip = ip.slice(12);
    range -= 96;
  }
  return [ip, range];
}

function compileList(list) {
  const subnets = [];
  for (const entry of list) {
    const names = NAMES[entry];
    for (const note of names || [entry]) subnets.push(parseNotation(note));
  }
  if (subnets.length === 0) return function trustNone() { return false; };
  return function trust(addr) {
    const ip = parseIp(addr);
    if (!ip) return false;
    let conv;
    for (const [net, bits] of subnets) {
      let candidate = ip;
      if (ip.length !== net.length) {
        if (net.length === 4 && !isMapped(ip)) continue;
        if (conv === undefined) conv = net.length === 4 ? ip.slice(12) : mapped(ip);
        candidate = conv;
      }
      if (matches(candidate, net, bits)) return true;
    }
    return false;
  };
}

// Express's compileTrust.
exports.compileTrust = function compileTrust(val) {
  if (typeof val === "function") return val;
  if (val === true) return function trustAll() { return true; };
  if (val === false || val == null) {
    const none = function trustNone() { return false; };
    none.none = true;
    return none;
  }
  if (typeof val === "number") return function trustHops(a, i) { return i < val; };
  if (typeof val === "string") val = val.split(",").map((v) => v.trim());
  return compileList(Array.isArray(val) ? val : [val]);
};

// The `forwarded` package's parse: X-Forwarded-For entries, nearest first (empty entries
// dropped, spaces trimmed).
function parseForwarded(header) {
  const list = [];
  let end = header.length, start = header.length;
  for (let i = header.length - 1; i >= 0; i--) {
    const c = header.charCodeAt(i);
    if (c === 0x20) {
      if (start === end) start = end = i;
    } else if (c === 0x2c) {
      if (start !== end) list.push(header.substring(start, end));
      start = end = i;
    } else start = i;
  }
  if (start !== end) list.push(header.substring(start, end));
  return list;
}
exports.parseForwarded = parseForwarded;

// proxy-addr's alladdrs: [socket address, forwarded addresses nearest first], cut after the
// first address not trusted.
exports.addresses = function addresses(socketAddr, forwardedNearestFirst, trust) {
  const addrs = [socketAddr].concat(forwardedNearestFirst);
  for (let i = 0; i < addrs.length - 1; i++) {
    if (trust(addrs[i], i)) continue;
    addrs.length = i + 1;
  }
  return addrs;
};
