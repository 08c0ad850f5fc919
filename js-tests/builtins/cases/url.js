// node:url legacy API and helpers (run under Node and HBF; see ../run.js).
const url = require('url');
const inputs = ['http://user:pw@Host.COM:8080/p/a/t/h?query=string&a=1#hash', '/just/a/path?x=1', '//host/path', 'https://example.com', 'mailto:a@b.c', 'javascript:alert(1)', 'http://x.com/a b', 'file:///etc/passwd', 'HTTP://EXAMPLE.com/Path', '?q=1', 'http://[::1]:3000/x', 'x.com/path', 'http://a.com/p?q=%20&r=a+b'];
t('parse', () => inputs.map((u) => ({ ...url.parse(u) })));
t('parse with query', () => inputs.map((u) => ({ ...url.parse(u, true), query: { ...url.parse(u, true).query } })));
t('parse slashesDenoteHost', () => ({ ...url.parse('//host/path', false, true) }));
t('format', () => [url.format({ protocol: 'http', host: 'a.com', pathname: '/x', query: { a: 1, b: ['2', '3'] } }), url.format({ protocol: 'https:', hostname: 'h', port: 81, hash: 'h', search: 's' }), url.format('http://a.com/b?c#d'), url.format(new URL('http://u:p@a.com/x?y#z'), { auth: false, search: false })]);
t('resolve', () => [url.resolve('/one/two/three', 'four'), url.resolve('http://example.com/', '/one'), url.resolve('http://example.com/one', '/two'), url.resolve('http://a.com/b/c', '../d'), url.resolve('http://a.com/b', 'http://c.com/')]);
t('fileURLToPath', () => ['file:///a/b%20c', 'file:///x/%2F', 'http://x/', new URL('file:///y')].map((u) => { try { return url.fileURLToPath(u); } catch (e) { return e; } }));
t('pathToFileURL', () => ['/a/b c', '/x/', '/p%q#r?s'].map((p) => url.pathToFileURL(p).href));
t('URL globals', () => [url.URL === URL, url.URLSearchParams === URLSearchParams]);
