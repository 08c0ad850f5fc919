// node:path (posix) (run under Node and HBF; see ../run.js).
const path = require('path');
const inputs = ['', '.', '..', '/', '//', 'a', '/a/b/', 'a/b/../../..', '/a/./b/../c//d/', 'a//b', './a', '../a/b', '/foo/bar/baz.tar.gz', '.bashrc', 'file.', 'a/b.c/d', '/..', 'a/..'];
for (const fn of ['normalize', 'dirname', 'basename', 'extname', 'isAbsolute', 'parse']) t(fn, () => inputs.map((p) => path[fn](p)));
t('basename suffix', () => [path.basename('/a/b.html', '.html'), path.basename('/a/b.html', 'b.html'), path.basename('aaa', 'a'), path.basename('/a/b/', 'b')]);
t('join', () => [path.join('/a', 'b', '../c'), path.join('a', '', 'b'), path.join(), path.join(''), path.join('/', '..', 'x'), path.join('a/', '/b/')]);
t('resolve', () => [path.resolve('/a', 'b', '../c'), path.resolve('/a', '/b'), path.resolve('/')]);
t('relative', () => [path.relative('/a/b/c', '/a/d'), path.relative('/a', '/a/b/c'), path.relative('/a/b', '/a/b'), path.relative('/a/b', '/'), path.relative('/', '/x')]);
t('format', () => [path.format({ root: '/', dir: '/home', base: 'f.txt' }), path.format({ name: 'f', ext: 'txt' }), path.format({ root: '/', name: 'f', ext: '.js' })]);
t('errors', () => [() => path.join(1), () => path.basename(null), () => path.format('x')].map((f) => { try { return f(); } catch (e) { return e; } }));
t('constants', () => [path.sep, path.delimiter, path.posix === path]);
