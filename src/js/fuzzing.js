// Fuzz harness for express.js's parsers (see fuzzing.rs). `internals` are functions of
// express.js reached without editing it; `check(which, input, flags)` runs one input and throws
// an Error whose message starts with "INVARIANT" when a property does not hold. Exceptions the
// parsers document (PathError, a 400 URIError from decodeParam) are expected; any other escapes.
(function (internals) {
  'use strict';
  const { parseCookies, parseSimpleQuery, qsParse, parsePath, pathToRegexp, stringMatcher, parseUrlString } = internals;
  const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const fail = (what) => { throw new Error('INVARIANT: ' + what); };
  const snapshot = () => [Object.prototype, Array.prototype, Function.prototype, String.prototype]
    .map((p) => Reflect.ownKeys(p).map(String).join(',')).join('|');
  const pristine = snapshot();
  const show = (v) => { try { return JSON.stringify(v); } catch (e) { return String(v); } };

  // Walks a parse result: plain objects/arrays of strings only, no own __proto__, bounded leaves.
  function leaves(v, depth, path) {
    if (typeof v === 'string') return 1;
    if (v === null || typeof v !== 'object') fail(path + ' is a ' + typeof v);
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) fail(path + ' has a foreign prototype');
    if (own(v, '__proto__')) fail(path + ' has an own __proto__');
    if (depth > 40) fail(path + ' nests too deep');
    let n = 0;
    for (const k of Object.keys(v)) n += leaves(v[k], depth + 1, path + '.' + k);
    return n;
  }

  function cookies(input) {
    const obj = parseCookies(input);
    leaves(obj, 0, 'cookies');
    for (const k of Object.keys(obj)) {
      if (typeof obj[k] !== 'string') fail('cookie ' + k + ' is not a string');
      if (!input.includes(k)) fail('cookie name ' + show(k) + ' not in the header');
    }
  }

  function simpleQuery(input) {
    const obj = parseSimpleQuery(input);
    if (Object.getPrototypeOf(obj) !== null) fail('simple query has a prototype');
    const keys = Object.keys(obj);
    if (keys.length > 1000) fail(keys.length + ' keys past maxKeys');
    let values = 0;
    for (const k of keys) values += Array.isArray(obj[k]) ? obj[k].length : 1;
    if (values > 1000) fail(values + ' values past maxKeys');
  }

  // flags & 3: 0 the 'extended' query parser; 1 small depth/arrayLimit from the flags; 2 and 3
  // the options urlencoded({ extended: true / false }) passes (its 413 and 400 are documented).
  function extendedQuery(input, flags) {
    const mode = flags & 3;
    let opts = {};
    if (mode === 1) opts = { depth: flags >> 5, arrayLimit: (flags >> 2) & 7 };
    if (mode >= 2) {
      const count = input.split('&').length;
      if (!input.length || count > 1000) return; // {} / 413 before parsing
      const extended = mode === 2;
      opts = { arrayLimit: extended ? Math.max(100, count) : count, depth: extended ? 32 : 0,
        charset: (flags & 4) ? 'iso-8859-1' : 'utf-8', parameterLimit: 1000, strictDepth: true };
    }
    let obj;
    try { obj = qsParse(input, opts); } catch (e) {
      if (mode >= 2 && e instanceof RangeError && /depth/.test(e.message)) return;
      throw e;
    }
    const n = leaves(obj, 0, 'query');
    if (n > 1000) fail(n + ' values past parameterLimit');
    // Depth 0: no brackets are expanded, so a value is a string or (duplicates) a flat list of
    // strings: an array, or an index-keyed object past arrayLimit, as in qs.
    if (opts.depth === 0) {
      for (const k of Object.keys(obj)) {
        const v = obj[k];
        if (typeof v === 'string') continue;
        for (const i of Object.keys(v)) {
          if (!/^(0|[1-9][0-9]*)$/.test(i) || typeof v[i] !== 'string') fail('depth 0 nested ' + show(k) + ': ' + show(v));
        }
      }
    }
  }

  // parseurl: pathname, search and query put back together give the URL (minus fragment/origin).
  function url(input) {
    const [pathname, search, query, raw] = parseUrlString(input);
    if (raw !== input) fail('raw URL changed');
    if (typeof pathname !== 'string') fail('pathname is not a string');
    if ((search === null) !== (query === null)) fail('search and query disagree');
    if (search !== null && search !== '?' + query) fail('search is not ? + query');
    if (input.includes('#') || input[0] !== '/') return;
    if (pathname + (search || '') !== input) fail('pathname + search is not the URL');
    if (pathname.includes('?')) fail('pathname contains ?');
  }

  function searchParams(input) {
    const a = new URLSearchParams(input);
    const b = new URLSearchParams(a.toString());
    const ea = [...a], eb = [...b];
    if (show(ea) !== show(eb)) fail('URLSearchParams does not round-trip: ' + show(ea) + ' vs ' + show(eb));
    if (input.charCodeAt(0) !== 63 && ea.length > input.split('&').length) fail('more entries than parts');
  }

  // A value for a param made only of characters that occur nowhere in the pattern's text.
  function valueFor(seed, banned) {
    const alphabet = [...'abcdefghijklmnopqrstuvwxyz0123456789'].filter((c) => !banned.has(c));
    if (alphabet.length === 0) return undefined;
    let s = '';
    for (let i = 0; i < 1 + (seed % 5); i++) s += alphabet[(seed * 7 + i * 13) % alphabet.length];
    return s;
  }

  function paths(input, flags) {
    const cut = input.indexOf('\n');
    const pattern = cut === -1 ? input : input.slice(0, cut);
    const path = cut === -1 ? '/' : input.slice(cut + 1);
    const opts = { end: !(flags & 1), sensitive: !!(flags & 2), strict: !!(flags & 4) };
    let compiled, match;
    try {
      compiled = pathToRegexp(pattern, { end: opts.end, sensitive: opts.sensitive, trailing: !opts.strict });
      match = stringMatcher(pattern, opts);
    } catch (e) {
      if (e instanceof TypeError && /pathToRegexpError/.test(e.message)) return; // PathError
      throw e;
    }
    const names = compiled.keys.map((k) => k.name);
    // The matcher (with its fast paths) agrees with the plain regexp.
    let got, slow;
    try { got = match(path); } catch (e) {
      if (e instanceof URIError && e.status === 400) return;
      throw e;
    }
    const m = compiled.regexp.exec(path);
    if (!m !== !got) fail('matcher says ' + show(got) + ', regexp says ' + show(m));
    if (got) {
      if (typeof got[0] !== 'string' || !path.toLowerCase().startsWith(got[0].toLowerCase())) fail('matched text is not a prefix of the path');
      if (opts.end && got[0] !== path) fail('end:true matched only ' + show(got[0]));
      if (got[0] !== m[0]) fail('matched ' + show(got[0]) + ' but the regexp matched ' + show(m[0]));
      for (const k of Object.keys(got[1])) if (!names.includes(k)) fail('param ' + k + ' not in the pattern');
      if (got[2].length !== Object.keys(got[1]).length) fail('keys and params differ');
      slow = {};
      for (let i = 1; i < m.length; i++) {
        if (m[i] === undefined) continue;
        const key = compiled.keys[i - 1];
        slow[key.name] = key.type === 'wildcard' ? m[i].split('/').map(decodeURIComponent) : decodeURIComponent(m[i]);
      }
      if (show(slow) !== show(got[1])) fail('params ' + show(got[1]) + ' but the regexp gives ' + show(slow));
    }
    // Round trip: a path built from the pattern with fresh values matches with those values.
    const tokens = parsePath(pattern);
    if (tokens.some((t) => t.type === 'group')) return;
    const banned = new Set();
    for (const t of tokens) if (t.type === 'text') for (const c of t.value.toLowerCase()) banned.add(c);
    let built = '';
    const want = {};
    let seed = flags + path.length;
    tokens.forEach((t, i) => {
      if (t.type === 'text') { built += t.value; return; }
      const v = valueFor(seed++, banned);
      if (v === undefined) { built = undefined; return; }
      // Several segments only for a lone wildcard at the end: `/*a/*b` splits "x/y/z" either way.
      const last = !tokens.slice(i + 1).some((u) => u.type !== 'text') &&
        tokens.filter((u) => u.type === 'wildcard').length === 1;
      if (t.type === 'param') { want[t.name] = v; built += v; } else if (last) { want[t.name] = [v, v]; built += v + '/' + v; } else { want[t.name] = [v]; built += v; }
    });
    if (built === undefined) return;
    const again = match(built);
    if (!again) fail('pattern ' + show(pattern) + ' does not match the path built from it: ' + show(built));
    for (const k of Object.keys(want)) {
      if (show(again[1][k]) !== show(want[k])) fail('param ' + k + ' of ' + show(built) + ' is ' + show(again[1][k]) + ', want ' + show(want[k]));
    }
  }

  const targets = [cookies, simpleQuery, extendedQuery, searchParams, paths, url];
  return function check(which, input, flags) {
    targets[which % targets.length](input, flags);
    if (snapshot() !== pristine) fail('a built-in prototype changed');
    if (({}).polluted !== undefined || ([]).polluted !== undefined) fail('Object.prototype polluted');
  };
})
