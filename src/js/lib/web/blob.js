// Web globals: Blob, File, FormData (File API and XHR Standard subsets), plus the
// multipart/form-data encoder and the form body parsers fetch.js uses.
// Installed lazily as globals by prelude.js on first use. Blobs hold their bytes in memory
// (no disk-backed blobs); `stream()` yields them as one chunk.
"use strict";

const kBytes = Symbol("blobBytes");
const enc = s => new TextEncoder().encode(s);

function toBytes(part) {
  if (part instanceof Blob) return part[kBytes];
  if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
  return enc(`${part}`);
}

function concat(chunks) {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let i = 0;
  for (const c of chunks) { out.set(c, i); i += c.length; }
  return out;
}

class Blob {
  #type;
  constructor(parts = [], options = {}) {
    if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function") {
      throw new TypeError("Blob: the first argument must be an iterable of parts");
    }
    const type = options && options.type !== undefined ? `${options.type}` : "";
    this.#type = /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : "";
    const endings = options && options.endings === "native" ? "native" : "transparent";
    const chunks = [];
    for (const p of parts) {
      chunks.push(typeof p === "string" && endings === "native" ? enc(p.replace(/\r?\n/g, "\n")) : toBytes(p));
    }
    Object.defineProperty(this, kBytes, { value: concat(chunks) });
  }
  get size() { return this[kBytes].length; }
  get type() { return this.#type; }
  slice(start = 0, end = undefined, type = "") {
    const n = this.size;
    const clamp = v => (v < 0 ? Math.max(n + v, 0) : Math.min(v, n));
    const s = clamp(Math.trunc(Number(start)) || 0), e = end === undefined ? n : clamp(Math.trunc(Number(end)) || 0);
    return new Blob([this[kBytes].subarray(s, Math.max(s, e))], { type });
  }
  text() { return Promise.resolve(new TextDecoder().decode(this[kBytes])); }
  arrayBuffer() { return Promise.resolve(this[kBytes].slice().buffer); }
  bytes() { return Promise.resolve(this[kBytes].slice()); }
  stream() {
    const bytes = this[kBytes];
    return new ReadableStream({
      start(c) { if (bytes.length) c.enqueue(bytes.slice()); c.close(); },
    });
  }
  get [Symbol.toStringTag]() { return "Blob"; }
}

class File extends Blob {
  #name; #lastModified;
  constructor(parts, name, options = {}) {
    if (arguments.length < 2) throw new TypeError("File constructor: 2 arguments required");
    super(parts, options);
    this.#name = `${name}`;
    this.#lastModified = options && options.lastModified !== undefined ? Number(options.lastModified) : Date.now();
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get [Symbol.toStringTag]() { return "File"; }
}

function entryValue(value, filename) {
  if (value instanceof Blob) {
    if (!(value instanceof File) || filename !== undefined) {
      return new File([value], filename !== undefined ? `${filename}` : value instanceof File ? value.name : "blob", { type: value.type });
    }
    return value;
  }
  return `${value}`;
}

class FormData {
  #entries = [];
  constructor(form = undefined) {
    if (form !== undefined) throw new TypeError("FormData: a form element is not supported here");
  }
  append(name, value, filename = undefined) { this.#entries.push([`${name}`, entryValue(value, filename)]); }
  set(name, value, filename = undefined) {
    name = `${name}`;
    const v = entryValue(value, filename);
    const i = this.#entries.findIndex(e => e[0] === name);
    if (i < 0) { this.#entries.push([name, v]); return; }
    this.#entries[i] = [name, v];
    this.#entries = this.#entries.filter((e, j) => j <= i || e[0] !== name);
  }
  get(name) { const e = this.#entries.find(e => e[0] === `${name}`); return e ? e[1] : null; }
  getAll(name) { return this.#entries.filter(e => e[0] === `${name}`).map(e => e[1]); }
  has(name) { return this.#entries.some(e => e[0] === `${name}`); }
  delete(name) { this.#entries = this.#entries.filter(e => e[0] !== `${name}`); }
  *entries() { for (const e of this.#entries) yield [e[0], e[1]]; }
  *keys() { for (const e of this.#entries) yield e[0]; }
  *values() { for (const e of this.#entries) yield e[1]; }
  forEach(fn, thisArg) { for (const [k, v] of this.#entries) fn.call(thisArg, v, k, this); }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return "FormData"; }
}

/** `{ bytes, type }` of `form` as multipart/form-data. */
function encodeMultipart(form) {
  const boundary = "----hbf-formdata-" + crypto.randomUUID().replace(/-/g, "");
  const esc = s => s.replace(/\r\n|\r|\n/g, "\r\n").replace(/"/g, "%22").replace(/\r\n/g, "%0D%0A");
  const chunks = [];
  for (const [name, value] of form) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${esc(name)}"`;
    if (typeof value === "string") {
      chunks.push(enc(`${head}\r\n\r\n${value.replace(/\r\n|\r|\n/g, "\r\n")}\r\n`));
    } else {
      head += `; filename="${esc(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
      chunks.push(enc(head), value[kBytes], enc("\r\n"));
    }
  }
  chunks.push(enc(`--${boundary}--\r\n`));
  return { bytes: concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

function indexOf(hay, needle, from) {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Parses a form body (`multipart/form-data` or `application/x-www-form-urlencoded`). */
function parseForm(bytes, contentType) {
  const type = (contentType || "").toLowerCase();
  const form = new FormData();
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(new TextDecoder().decode(bytes))) form.append(k, v);
    return form;
  }
  const m = /^multipart\/form-data\s*;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || "");
  if (!m) throw new TypeError("Could not parse content as FormData.");
  const delim = enc("--" + (m[1] || m[2]));
  const dec = new TextDecoder();
  let pos = indexOf(bytes, delim, 0);
  if (pos < 0) throw new TypeError("Could not parse content as FormData.");
  for (;;) {
    pos += delim.length;
    if (bytes[pos] === 45 && bytes[pos + 1] === 45) break; // closing "--"
    pos += 2; // CRLF
    const headEnd = indexOf(bytes, enc("\r\n\r\n"), pos);
    if (headEnd < 0) throw new TypeError("Could not parse content as FormData.");
    const head = dec.decode(bytes.subarray(pos, headEnd));
    const next = indexOf(bytes, delim, headEnd + 4);
    if (next < 0) throw new TypeError("Could not parse content as FormData.");
    const body = bytes.subarray(headEnd + 4, next - 2);
    const disp = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(head);
    const file = /content-disposition:[^\r\n]*?\bfilename="([^"]*)"/i.exec(head);
    const ctype = /content-type:\s*([^\r\n]*)/i.exec(head);
    if (disp) {
      if (file) form.append(disp[1], new File([body], file[1], { type: ctype ? ctype[1] : "" }));
      else form.append(disp[1], dec.decode(body));
    }
    pos = next;
  }
  return form;
}

module.exports = { Blob, File, FormData, encodeMultipart, parseForm, blobBytes: b => b[kBytes], concat };
