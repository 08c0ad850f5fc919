'use strict';
// The EJS differential cases: each template (with its data, options and include files) is
// rendered by the real `ejs` npm package under Node and by HBF's built-in `ejs` inside a
// real `hbf` server (run.js). Both sides run `runCase` below, so they differ only in the
// engine. Files are henv paths (`views/x.ejs`); `root` is where they are on each side.
// A case with `known` is a documented difference: HBF's output must equal `known`.

const FILES = {
  'views/header.ejs': '<header><%= title %></header>',
  'views/footer.ejs': '<footer>&copy; <%= year %></footer>\n',
  'views/user.ejs': '<li><%= user.name %></li>',
  'views/layout.ejs': '<%- include("header") %>\n<main><%- body %></main>\n<%- include("footer", { year: 2026 }) %>',
  'views/page.ejs': '<%- include("header") -%>\n<p><%= msg %></p>',
  'views/partials/item.ejs': '<i><%= it %></i>',
  'views/partials/list.ejs': '<% items.forEach(function (it) { %><%- include("item", { it: it }) %><% }) %>',
  'views/nested.ejs': '<%- include("partials/list") %>',
  'views/abs.ejs': '<%- include("/views/header") %>',
  'views/bad.ejs': 'one\ntwo\n<%= missing.prop %>\nfour',
  'views/includes-bad.ejs': 'top\n<%- include("bad") %>',
  'views/txt.html': '<b><%= v %></b>',
  'views/legacy.ejs': 'A<% include header %>B',
  'views/cycle.ejs': 'x<%- include("cycle") %>',
  'views/syntax.ejs': 'a\n<% if ( { %>\nb',
  'other/shared.ejs': '[shared <%= v %>]',
};

const cases = [
  // tags
  { name: 'plain text', t: 'hello world' },
  { name: 'empty', t: '' },
  { name: 'escaped', t: '<%= v %>', d: { v: '<a href="x">&\'</a>' } },
  { name: 'raw', t: '<%- v %>', d: { v: '<b>bold</b>' } },
  { name: 'eval', t: '<% var x = 2 * 3; %><%= x %>' },
  { name: 'comment', t: 'a<%# secret %>b' },
  { name: 'multiline comment', t: 'a<%# one\ntwo %>b' },
  { name: 'literal open', t: '<%% not a tag %>' },
  { name: 'literal close', t: 'x %%> y' },
  { name: 'literal both', t: '<%%= v %%>' },
  { name: 'null and undefined', t: '[<%= n %>][<%= u %>][<%- n %>]', d: { n: null, u: undefined } },
  { name: 'numbers', t: '<%= 0 %> <%= 1.5 %> <%= -0 %> <%= NaN %>' },
  { name: 'objects', t: '<%= o %> <%= a %>', d: { o: {}, a: [1, '<', 3] } },
  { name: 'trailing semicolon', t: '<%= v; %>|<%- v; %>', d: { v: 'x' } },
  { name: 'line comment in tag', t: '<%= v // note %>!', d: { v: 'y' } },
  { name: 'loop', t: '<ul><% for (var i = 0; i < items.length; i++) { %><li><%= items[i] %></li><% } %></ul>', d: { items: ['a', '<b>', 'c'] } },
  { name: 'forEach', t: '<% items.forEach(function (x) { %>(<%= x %>)<% }) %>', d: { items: [1, 2, 3] } },
  { name: 'if else', t: '<% if (on) { %>on<% } else { %>off<% } %>', d: { on: false } },
  { name: 'quotes and backslashes', t: 'a "q" \\ \'s\' \\n <%= v %>', d: { v: '"' } },
  { name: 'CRLF text', t: 'a\r\nb\r\n<%= v %>\r\n', d: { v: 1 } },
  { name: 'unicode', t: 'é ✓ 😀 <%= v %>', d: { v: 'ü' } },
  { name: 'script tag text', t: '<script>var a = "<%= v %>";</script>', d: { v: '</script>' } },
  { name: 'function in data', t: '<%= f(2) %>', d: { f: '__fn_double' } },
  { name: 'template literal', t: '<%= `x${v}` %>', d: { v: 3 } },
  { name: '__append', t: '<% __append("raw<") %>' },
  // whitespace
  { name: 'dash trim', t: '<% if (true) { -%>\nyes\n<% } -%>\nend' },
  { name: 'dash trim CRLF', t: '<% if (true) { -%>\r\nyes\r\n<% } -%>\r\nend' },
  { name: 'underscore slurp', t: '  <%_ if (true) { _%>\n  x\n  <%_ } _%>\ny' },
  { name: 'underscore tabs', t: '\t\t<%_ var a = 1 _%>\t\n<%= a %>' },
  { name: 'newline kept', t: '<% if (true) { %>\nyes\n<% } %>\nend' },
  { name: 'dash on output tag', t: '<%= v -%>\nnext', d: { v: 1 } },
  { name: 'rmWhitespace', t: '  <p>\n    <%= v %>\n  </p>  \n\n\n  x', d: { v: 2 }, o: { rmWhitespace: true } },
  { name: 'rmWhitespace with slurp', t: '  a\n  <%_ if (1) { _%>\n   b\n  <%_ } _%>\n', o: { rmWhitespace: true } },
  // locals and scope
  { name: 'locals.x', t: '<%= locals.x %>/<%= x %>', d: { x: 'v' } },
  { name: 'missing local via locals', t: '[<%= locals.nope %>]' },
  { name: 'typeof missing', t: '<%= typeof nope %>' },
  { name: '_with false', t: '<%= locals.x %>', d: { x: 'w' }, o: { _with: false } },
  { name: '_with false bare name', t: '<%= x %>', d: { x: 'w' }, o: { _with: false } },
  { name: 'strict', t: '<%= locals.x %>', d: { x: 's' }, o: { strict: true } },
  { name: 'strict assigns undeclared', t: '<% y = 1 %>ok', o: { strict: true } },
  { name: 'localsName', t: '<%= it.x %>', d: { x: 'n' }, o: { localsName: 'it', _with: false } },
  { name: 'destructuredLocals', t: '<%= a %>-<%= b %>', d: { a: 1, b: 2 }, o: { destructuredLocals: ['a', 'b'], _with: false } },
  { name: 'outputFunctionName', t: '<% echo("hi " + v) %>', d: { v: 1 }, o: { outputFunctionName: 'echo' } },
  { name: 'context', t: '<%= this.who %>', o: { context: { who: 'ctx' } } },
  { name: 'proto keys ignored', t: '<%= typeof constructor %>', d: JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') },
  // delimiters
  { name: 'delimiter ?', t: '<?= v ?> <% not %>', d: { v: 1 }, o: { delimiter: '?' } },
  { name: 'open/close delimiters', t: '[%= v %] <%= v %>', d: { v: 2 }, o: { openDelimiter: '[', closeDelimiter: ']' } },
  { name: 'all delimiters', t: '{{= v }} {{- r }} {{# c }} {{{ lit }}}', d: { v: '<', r: '<' }, o: { openDelimiter: '{', closeDelimiter: '}', delimiter: '{' } },
  { name: 'regexp chars delimiter', t: '<$= v $>', d: { v: 3 }, o: { delimiter: '$' } },
  { name: 'dollar literal', t: '<$$ x $$>', o: { delimiter: '$' } },
  { name: 'slurp with custom delimiter', t: '  <?_ if (1) { _?>\n  a\n  <?_ } _?>', o: { delimiter: '?' } },
  // escape option
  { name: 'escape option', t: '<%= v %>', d: { v: 'a<b' }, o: { escape: '__fn_upper' } },
  { name: 'escapeFunction option', t: '<%= v %>|<%- v %>', d: { v: 'x' }, o: { escapeFunction: '__fn_brackets' } },
  { name: 'compileDebug false', t: '<%= v %>', d: { v: 1 }, o: { compileDebug: false } },
  // includes
  { name: 'include', t: '<%- include("views/header") %>', d: { title: 'T' }, file: 'index.ejs' },
  { name: 'include with data', t: '<%- include("header", { title: "D" }) %>', d: { title: 'T' }, file: 'views/x.ejs' },
  { name: 'include ext html', t: '<%- include("txt.html", { v: "<" }) %>', file: 'views/x.ejs' },
  { name: 'include escaped', t: '<%= include("header") %>', d: { title: 'T' }, file: 'views/x.ejs' },
  { name: 'nested includes', t: '<%- include("views/nested") %>', d: { items: ['a', '<'] }, file: 'index.ejs' },
  { name: 'layout', t: '<%- include("views/layout", { body: "<b>x</b>" }) %>', d: { title: 'L' }, file: 'index.ejs' },
  { name: 'include trims', t: '<%- include("views/page") %>', d: { title: 'P', msg: 'm' }, file: 'index.ejs' },
  { name: 'absolute include root', t: '<%- include("/views/header") %>', d: { title: 'R' }, file: 'index.ejs', o: { root: '' } },
  { name: 'include via views option', t: '<%- include("shared", { v: 1 }) %>', file: 'views/x.ejs', o: { views: ['other'] } },
  { name: 'include relative dir', t: '<%- include("../other/shared", { v: 2 }) %>', file: 'views/x.ejs' },
  { name: 'include locals user', t: '<ul><% users.forEach(function (user) { %><%- include("user", { user: user }) %><% }) %></ul>', d: { users: [{ name: 'a' }, { name: '<b>' }] }, file: 'views/x.ejs' },
  { name: 'legacy include', t: '<% include header %>!', d: { title: 'Lg' }, file: 'views/x.ejs', known: '<header>Lg</header>!' },
  { name: 'renderFile', renderFile: 'views/page.ejs', d: { title: 'F', msg: 'file' } },
  { name: 'renderFile layout', renderFile: 'views/layout.ejs', d: { title: 'F', body: '<i>b</i>' } },
  { name: 'renderFile cache', renderFile: 'views/header.ejs', d: { title: 'C' }, o: { cache: true } },
  { name: 'renderFile settings', renderFile: 'views/header.ejs', d: { title: 'S', settings: { 'view cache': true } } },
  { name: 'async', t: '<%= await Promise.resolve(v) %>', d: { v: 'a' }, o: { async: true } },
  { name: 'async include', t: '<%- await include("header") %>', d: { title: 'AI' }, file: 'views/x.ejs', o: { async: true } },
  // errors
  { name: 'runtime error line', t: 'a\nb\n<%= nope.x %>\nc' },
  { name: 'runtime error in eval', t: 'a\n<% null.x %>' },
  { name: 'thrown error', t: '1\n2\n3\n4\n<% throw new TypeError("boom") %>' },
  { name: 'syntax error', t: 'a\n<% if ( { %>\nb' },
  { name: 'unclosed tag', t: 'a\n<% if (true) {\nb' },
  { name: 'unclosed output tag', t: '<%= v ' },
  { name: 'unbalanced brace', t: '<% if (x) { %>' },
  { name: 'missing include', t: '<%- include("nope") %>', file: 'views/x.ejs' },
  { name: 'include without filename', t: '<%- include("views/header") %>' },
  { name: 'error in include', t: '<%- include("views/includes-bad") %>', file: 'index.ejs' },
  { name: 'syntax error in include', t: 'x\n<%- include("views/syntax") %>', file: 'index.ejs' },
  { name: 'renderFile missing', renderFile: 'views/none.ejs' },
  { name: 'renderFile runtime error', renderFile: 'views/bad.ejs' },
  { name: 'bad localsName', t: 'x', o: { localsName: 'a-b' } },
  { name: 'bad outputFunctionName', t: 'x', o: { outputFunctionName: '1x' } },
  { name: 'strict with', t: '<%= x %>', d: { x: 1 }, o: { strict: true } },
  { name: 'cache without filename', t: 'x', o: { cache: true } },
  { name: 'error after newlines in tag', t: '<%\nvar a = 1;\nnope();\n%>' },
];

const FNS = {
  __fn_double: (n) => n * 2,
  __fn_upper: (s) => String(s).toUpperCase(),
  __fn_brackets: (s) => '[' + s + ']',
};

function fns(obj) {
  if (!obj || typeof obj !== 'object') return obj;
  const out = Array.isArray(obj) ? [] : {};
  for (const k of Object.keys(obj)) out[k] = typeof obj[k] === 'string' && FNS[obj[k]] ? FNS[obj[k]] : obj[k];
  return out;
}

// The outcome of a case: { out } or { error: { name, line } } (the line from EJS's
// `file:LINE` context block, when there is one).
function outcome(p) {
  return Promise.resolve(p).then(
    (out) => ({ out }),
    (e) => {
      const m = /^[^\n]*:(\d+)\n/.exec(String(e && e.message));
      return { error: { name: e && e.name, code: e && e.code, line: m ? Number(m[1]) : null } };
    },
  );
}

// Runs case `c` with `ejs`; `root` is the directory the henv paths live under ('' on HBF).
function runCase(ejs, c, root) {
  const at = (p) => root + '/' + p;
  const o = Object.assign({}, fns(c.o || {}));
  if (o.root !== undefined) o.root = at(o.root).replace(/\/$/, '') || '/';
  if (o.views) o.views = o.views.map(at);
  const d = c.d ? fns(c.d) : c.d;
  ejs.clearCache();
  return outcome(new Promise((resolve, reject) => {
    if (c.renderFile) {
      const cb = (e, s) => (e ? reject(e) : resolve(s));
      if (c.o) ejs.renderFile(at(c.renderFile), d, o, cb);
      else ejs.renderFile(at(c.renderFile), d, cb);
      return;
    }
    if (c.file) o.filename = at(c.file);
    resolve(ejs.render(c.t, d, o));
  }));
}

module.exports = { FILES, cases, runCase };
