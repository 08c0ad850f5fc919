// Browser test of /_admin against a real `hbf serve` (run by tests/admin_ui.rs).
// Env: HBF_URL (http://127.0.0.1:PORT), HBF_TOKEN (the printed setup token),
// HBF_SHOTS (optional: directory for screenshots of the main screens).
// Fails (exit 1) on any step that does not behave, and on any CSP violation.
import { chromium } from 'playwright-core';
import zlib from 'node:zlib';

const URL = process.env.HBF_URL;
const TOKEN = process.env.HBF_TOKEN;
const SHOTS = process.env.HBF_SHOTS;
const violations = [];
const log = (...a) => console.log('e2e:', ...a);

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  log('ok -', what);
}

// A 2x2 PNG built here (no fixture file).
function png() {
  const crc = (buf) => { let c = ~0; for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); } return ~c >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(2, 0); ihdr.writeUInt32BE(2, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 0]);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

function watch(page) {
  page.on('console', (m) => {
    const t = m.text();
    if (/Content[- ]Security[- ]Policy|violates/i.test(t)) violations.push(t);
    if (m.type() === 'error') log('console error:', t);
  });
  page.on('pageerror', (e) => log('page error:', e.message));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await ctx.newPage();
  watch(page);

  // Anonymous: the app redirects to sign-in; first run: create the owner with the token.
  await page.goto(`${URL}/_admin/`);
  check(page.url().endsWith('/_admin/login'), 'anonymous /_admin/ redirects to /_admin/login');
  await page.waitForSelector('#setup-link:not([hidden])');
  await shot(page, 'admin-login');
  await page.click('#setup-link a');
  await page.fill('input[name=token]', TOKEN);
  await page.fill('input[name=username]', 'boss');
  await page.fill('input[name=password]', 'correct horse battery');
  await shot(page, 'admin-setup');
  await page.click('button[type=submit]');
  await page.waitForURL(`${URL}/_admin/`);
  check(true, 'owner created with the setup token and signed in');

  // Code: Monaco opens server.js; edit it and save; the next request runs it.
  await page.waitForSelector('body[data-editor=monaco]', { timeout: 20000 });
  await page.waitForSelector('.monaco-editor .view-lines');
  await page.waitForSelector('#current:text-is("server.js")');
  const v1 = "const express = require('express');\nconst app = express();\napp.use(express.static('www'));\napp.get('/hello', (req, res) => res.send('hello from the admin editor'));\nmodule.exports = app;\n";
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(v1);
  await page.click('#save');
  await page.waitForSelector('#status.ok');
  let r = await fetch(`${URL}/hello`);
  check((await r.text()) === 'hello from the admin editor', 'saved server.js answers the next request');
  await shot(page, 'admin-code');

  // A syntax error: reported in the editor with file:line:col; the old code keeps serving.
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText("const express = require('express');\nconst app = ;\nmodule.exports = app;\n");
  await page.click('#save');
  await page.waitForSelector('#status.error');
  const status = await page.textContent('#status');
  check(/server\.js:2:\d+/.test(status), `syntax error reported with file:line:col (${status})`);
  await page.waitForSelector('.monaco-editor .squiggly-error');
  check(true, 'the error is marked in Monaco');
  r = await fetch(`${URL}/hello`);
  check((await r.text()) === 'hello from the admin editor', 'the previous version keeps serving');
  await shot(page, 'admin-syntax-error');

  // History: the first version is kept and can be restored.
  await page.click('#history-btn');
  await page.waitForSelector('#versions li button');
  check((await page.$$('#versions li')).length >= 1, 'history lists earlier versions');

  // Upload a binary file and see it served.
  const image = png();
  await page.setInputFiles('#upload', { name: 'pixel.png', mimeType: 'image/png', buffer: image });
  await page.waitForSelector('#tree li[data-path="www/pixel.png"]');
  r = await fetch(`${URL}/pixel.png`);
  const got = Buffer.from(await r.arrayBuffer());
  check(r.ok && got.equals(image), 'uploaded image is served byte for byte');

  // Data: SQL as the owner with a result grid.
  await page.click('nav button[data-tab=data]');
  await page.fill('#sql', "SELECT 1 AS one, 'two' AS two");
  await page.click('#sql-form button[type=submit]');
  await page.waitForSelector('#grid td');
  check((await page.textContent('#grid tbody')).includes('two'), 'SQL result grid');
  // (the starter app created `notes` when it first ran)
  for (const sql of ["INSERT INTO notes (title, body) VALUES ('write tests', 'first'), ('buy milk', 'second'), ('ship it', 'third')"]) {
    await page.fill('#sql', sql);
    await page.click('#sql-form button[type=submit]');
    await page.waitForSelector('#sql-status:not(:empty)');
    log('sql:', await page.textContent('#sql-status'));
  }
  await page.click('nav button[data-tab=code]');
  await page.click('nav button[data-tab=data]');
  await page.click('#tables li:text-is("notes")');
  await page.waitForSelector('#grid td:text-is("write tests")');
  await page.click('#grid th:text-is("title")');
  await page.waitForSelector('#grid tbody tr:first-child td:text-is("buy milk")');
  check(true, 'table browse with sort by column');
  await shot(page, 'admin-data');

  // Users: create a plain user from the form.
  await page.click('nav button[data-tab=users]');
  await page.fill('#user-form input[name=username]', 'pat');
  await page.fill('#user-form input[name=password]', 'pat password 1');
  await page.click('#user-form button[type=submit]');
  await page.waitForSelector('#user-grid td:text-is("pat")');
  check(true, 'user created from the Users screen');
  await shot(page, 'admin-users');

  // Rules: a row policy from the form, then "test as user" shows what pat would see.
  await page.click('nav button[data-tab=rules]');
  await page.waitForSelector('#policy-form select[name=table] option:text-is("notes")', { state: 'attached' });
  await page.fill('#policy-form input[name=name]', 'only-shopping');
  await page.selectOption('#policy-form select[name=table]', 'notes');
  await page.fill('#policy-form input[name=condition]', "title LIKE 'buy%'");
  await page.click('#policy-form button[type=submit]');
  await page.waitForSelector('#policy-grid td:text-is("only-shopping")');
  await page.selectOption('#preview-user', { label: 'pat (user)' });
  await page.fill('#preview-form input[name=sql]', 'SELECT id, title FROM notes ORDER BY id');
  await page.click('#preview-form button[type=submit]');
  await page.waitForSelector('#preview-grid td:text-is("buy milk")');
  const seen = await page.textContent('#preview-grid tbody');
  check(!seen.includes('write tests'), `preview as pat shows only the rows the policy lets through (${seen})`);
  await page.fill('#preview-form input[name=sql]', 'DELETE FROM notes');
  await page.click('#preview-form button[type=submit]');
  await page.waitForSelector('#rules-status:text-matches("read-only")');
  check(true, 'the preview refuses a write');
  await page.fill('#preview-form input[name=sql]', 'SELECT id, title FROM notes ORDER BY id');
  await page.click('#preview-form button[type=submit]');
  await page.waitForSelector('#preview-grid td:text-is("buy milk")');
  await shot(page, 'admin-rules');

  // A non-owner gets 403 on every admin page and API.
  const other = await browser.newContext();
  const login = await other.request.post(`${URL}/_api/auth/login`, { data: { username: 'pat', password: 'pat password 1' } });
  check(login.ok(), 'plain user signs in');
  const csrfCookie = (await other.cookies()).find((c) => c.name === 'hbf_csrf')?.value || '';
  const asset = await page.evaluate(() => document.querySelector('script[type=module]').getAttribute('src'));
  const monaco = await page.evaluate(() => document.body.dataset.monaco);
  const hdr = { 'X-CSRF-Token': csrfCookie, Origin: URL };
  const probes = [
    ['GET', '/_admin'], ['GET', '/_admin/'], ['GET', '/_admin/login'], ['GET', '/_admin/setup'],
    ['GET', asset], ['GET', `${monaco}/vs/loader.js`], ['GET', '/_admin/nope'],
    ['GET', '/_api/admin/files'], ['GET', '/_api/admin/files/server.js'],
    ['PUT', '/_api/admin/files/server.js'], ['DELETE', '/_api/admin/files/server.js'],
    ['POST', '/_api/admin/rename'], ['GET', '/_api/admin/history?path=server.js'],
    ['GET', '/_api/admin/history/1'], ['POST', '/_api/admin/history/1/restore'], ['POST', '/_api/admin/sql'], ['POST', '/_api/admin/preview'], ['GET', '/_api/admin/tables'],
    ['PATCH', '/_api/users/1'],
    ['GET', '/_api/users'], ['GET', '/_api/permissions'], ['GET', '/_api/policies'], ['GET', '/_api/audit'],
  ];
  for (const [method, path] of probes) {
    const res = await other.request.fetch(`${URL}${path}`, { method, headers: hdr, data: method === 'GET' ? undefined : '{}', maxRedirects: 0 });
    check(res.status() === 403, `non-owner ${method} ${path} -> 403 (got ${res.status()})`);
  }
  await other.close();

  // Logout: back to sign-in, and the admin is closed again.
  await page.click('#logout');
  await page.waitForURL(`${URL}/_admin/login`);
  const after = await page.request.get(`${URL}/_api/admin/files`);
  check(after.status() === 401, 'after sign-out the admin API answers 401');

  check(violations.length === 0, `no CSP violations (${violations.length}: ${violations.slice(0, 3).join(' | ')})`);
  log('PASS');
} catch (e) {
  console.error('e2e: FAIL:', e.message);
  if (violations.length) console.error('e2e: CSP violations:', violations);
  process.exitCode = 1;
} finally {
  await browser.close();
}
