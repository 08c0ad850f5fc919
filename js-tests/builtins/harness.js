'use strict';
// Runs the case files of js-tests/builtins/cases/ and records each case's outcome in a form
// both engines print the same way (bytes as hex, errors as name/code/message, -0, NaN,
// BigInt, undefined spelled out). Loaded by run.js under Node, and embedded (as text) in the
// server.js run.js builds for HBF, so the exact same code records both sides.
function describe(v) {
  if (v === undefined) return { undefined: true };
  if (typeof v === 'bigint') return { bigint: String(v) };
  if (typeof v === 'number') return Number.isNaN(v) ? { number: 'NaN' } : Object.is(v, -0) ? { number: '-0' } : !Number.isFinite(v) ? { number: String(v) } : v;
  if (typeof v === 'symbol') return { symbol: String(v) };
  if (typeof v === 'function') return { function: v.name };
  if (v instanceof Uint8Array) return { [v.constructor.name]: Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('') };
  if (v instanceof Error) return { error: { name: v.name, code: v.code, message: v.message } };
  if (Array.isArray(v)) return v.map(describe);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v)) out[k] = describe(v[k]);
    return out;
  }
  return v;
}
async function runCases(body, require) {
  const cases = [];
  const t = (name, fn) => cases.push([name, fn]);
  body(require, t);
  const results = {};
  for (const [name, fn] of cases) {
    try {
      results[name] = describe(await fn());
    } catch (e) {
      results[name] = { threw: describe(e instanceof Error ? e : new Error(String(e))) };
    }
  }
  return results;
}
if (typeof module !== 'undefined') module.exports = { runCases, describe };
