'use strict';
// The cases of the fetch differential suite: real npm HTTP clients (node-fetch 2, axios)
// against the local upstream (tests/fetch_upstream/upstream.py). `run(base)` returns one JSON
// value per case; run.js compares HBF's with Node's.
const nodeFetch = require('node-fetch');
const axios = require('axios');

const pick = (h, names) => Object.fromEntries(names.map((n) => [n, h[n] === undefined ? null : h[n]]));

async function settle(fn) {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { error: { name: e.name, code: e.code || null, message: e.message,
      status: e.response ? e.response.status : null, type: e.type || null } };
  }
}

async function run(base) {
  const out = {};
  const c = (name, fn) => settle(fn).then((v) => { out[name] = v; });
  await c('nf get', async () => {
    const r = await nodeFetch(`${base}/hello`);
    return { status: r.status, ok: r.ok, statusText: r.statusText, type: r.headers.get('content-type'), text: await r.text() };
  });
  await c('nf post json', async () => {
    const r = await nodeFetch(`${base}/echo`, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json', 'x-case': 'nf' } });
    const j = await r.json();
    return { method: j.method, body: j.body, headers: pick(j.headers, ['content-type', 'x-case', 'content-length']) };
  });
  await c('nf redirect', async () => {
    const r = await nodeFetch(`${base}/redirect?code=302&to=/hello`);
    return { status: r.status, redirected: r.redirected, path: new URL(r.url).pathname, text: await r.text() };
  });
  await c('nf manual redirect', async () => {
    const r = await nodeFetch(`${base}/redirect?code=301&to=/hello`, { redirect: 'manual' });
    return { status: r.status, location: new URL(r.headers.get('location')).pathname };
  });
  await c('nf 404', async () => {
    const r = await nodeFetch(`${base}/status?code=404`);
    return { status: r.status, ok: r.ok, statusText: r.statusText };
  });
  await c('nf stream', async () => {
    const r = await nodeFetch(`${base}/stream?n=4&gap=5`);
    const parts = [];
    for await (const chunk of r.body) parts.push(chunk.toString());
    return { text: parts.join(''), cookies: r.headers.raw()['set-cookie'] };
  });
  await c('nf abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await nodeFetch(`${base}/slow?ms=1000`, { signal: ac.signal });
  });
  await c('nf refused', async () => { await nodeFetch('http://127.0.0.1:1/'); });
  await c('axios get', async () => {
    const r = await axios.get(`${base}/hello`);
    return { status: r.status, data: r.data, type: r.headers['content-type'] };
  });
  await c('axios post json', async () => {
    const r = await axios.post(`${base}/echo`, { a: [1, 2] }, { headers: { 'x-case': 'axios' }, params: { q: 'a b' } });
    return { method: r.data.method, path: r.data.path, body: r.data.body, headers: pick(r.data.headers, ['content-type', 'x-case']) };
  });
  await c('axios 404', async () => { await axios.get(`${base}/status?code=404`); });
  await c('axios redirect', async () => {
    const r = await axios.get(`${base}/redirect?code=301&to=/echo`);
    return { status: r.status, method: r.data.method, path: r.data.path };
  });
  await c('axios timeout', async () => { await axios.get(`${base}/slow?ms=1000`, { timeout: 100 }); });
  await c('axios refused', async () => { await axios.get('http://127.0.0.1:1/'); });
  return out;
}

module.exports = { run };
